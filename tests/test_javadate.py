"""The SimpleDateFormat port: compiling, formatting and parsing as Java does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pytest_woosim.instance.javadate import (
    DateCodec,
    DateParseError,
    DatePatternError,
    Field,
    Literal,
    SimpleDateFormat,
    compile_pattern,
)

# 2001-07-04 12:08:56.235 in Los Angeles (PDT), the instant of the javadoc examples.
JAVADOC_INSTANT = datetime(2001, 7, 4, 19, 8, 56, 235000, tzinfo=UTC)
NOW_2017 = datetime(2017, 6, 1, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# ------------------------------------------------------------------ compiling
def test_compile_splits_literals_and_fields() -> None:
    assert compile_pattern("yyyy-MM-dd'T'HH") == (
        Field("y", 4),
        Literal("-"),
        Field("M", 2),
        Literal("-"),
        Field("d", 2),
        Literal("T"),
        Field("H", 2),
    )


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [("'o''clock'", "o'clock"), ("''", "'"), ("'It''s'' '", "It's' "), ("'T'", "T")],
)
def test_doubled_quote_is_one_quote_inside_and_outside_quotes(pattern: str, literal: str) -> None:
    assert compile_pattern(pattern) == (Literal(literal),)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss'", "Unterminated quote"),
        ("'abc", "Unterminated quote"),
        ("yyyy-MM-ddTHH", "Illegal pattern character 'T'"),
        ("milliseconds'", "Illegal pattern character 'i'"),
        ("yyyy-MM-dd HH:mm:ss XXXX", "invalid ISO 8601 format"),
        ("XXXXXX", "invalid ISO 8601 format"),
        ("yyyy-MM-dd'T'HH:mm:ss.fff", "Illegal pattern character 'f'"),
    ],
)
def test_patterns_that_java_rejects(pattern: str, message: str) -> None:
    with pytest.raises(DatePatternError, match=message):
        SimpleDateFormat(pattern)


def test_non_ascii_letters_are_literals() -> None:
    assert compile_pattern("é") == (Literal("é"),)


# ----------------------------------------------------------------- formatting
@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2001-07-04T12:08:56.235-0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T12:08:56.235-07:00"),
        ("EEE, d MMM yyyy HH:mm:ss Z", "Wed, 4 Jul 2001 12:08:56 -0700"),
        ("EEE, MMM d, ''yy", "Wed, Jul 4, '01"),
        ("hh 'o''clock' a, zzzz", "12 o'clock PM, Pacific Daylight Time"),
        ("yyyy.MM.dd G 'at' HH:mm:ss z", "2001.07.04 AD at 12:08:56 PDT"),
        ("h:mm a", "12:08 PM"),
        ("K:mm a, z", "0:08 PM, PDT"),
        ("yyyyy.MMMMM.dd GGG hh:mm aaa", "02001.July.04 AD 12:08 PM"),
        ("yyMMddHHmmssZ", "010704120856-0700"),
        ("YYYY-'W'ww-u", "2001-W27-3"),
    ],
)
def test_javadoc_examples_format_and_round_trip(pattern: str, text: str) -> None:
    fmt = SimpleDateFormat(pattern, "America/Los_Angeles", now=NOW_2017)
    assert fmt.format(JAVADOC_INSTANT) == text
    parsed = fmt.parse(text)
    # Each example keeps what its pattern holds; those with all fields give the instant back.
    if "ss" in pattern and ("yy" in pattern or "YYYY" in pattern):
        expected = JAVADOC_INSTANT if "SSS" in pattern else JAVADOC_INSTANT.replace(microsecond=0)
        assert parsed == expected
    # Whatever it reads, formatting that and reading it again is stable.
    assert fmt.parse(fmt.format(parsed)) == parsed


def test_format_zone_fields_at_utc() -> None:
    fmt = SimpleDateFormat("Z X XX XXX z zzzz", "GMT")
    assert fmt.format(utc(2017, 3, 21)) == "+0000 Z Z Z GMT Greenwich Mean Time"


def test_format_iso_zone_drops_minutes_for_single_x() -> None:
    fmt = SimpleDateFormat("X|XX|XXX|Z", "Asia/Kolkata")
    assert fmt.format(utc(2017, 3, 21)) == "+05|+0530|+05:30|+0530"


def test_format_hours_and_names_at_midnight() -> None:
    fmt = SimpleDateFormat("H k K h a E EEEE u D F w W MMM MMMM M", "GMT")
    assert fmt.format(utc(2017, 1, 1)) == "0 24 0 12 AM Sun Sunday 7 1 1 1 1 Jan January 1"


def test_format_s_is_milliseconds_zero_padded_to_count() -> None:
    instant = utc(2017, 3, 21, 16, 9, 28, 45000)
    assert SimpleDateFormat("S|SS|SSS|SSSSSS").format(instant) == "45|45|045|000045"


def test_format_years() -> None:
    instant = utc(2017, 3, 21)
    assert SimpleDateFormat("y|yy|yyy|yyyy|yyyyy").format(instant) == "2017|17|2017|2017|02017"


def test_format_naive_is_utc_and_uses_zone() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", "EST")
    assert fmt.format(datetime(2017, 7, 1, 12, 0)) == "2017-07-01 07:00"


# -------------------------------------------------------------------- parsing
def test_only_a_prefix_must_match() -> None:
    assert SimpleDateFormat("yyyy-MM-dd").parse("2017-08-30T13:19:29Z") == utc(2017, 8, 30)
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss")
    # The offset is dropped: the zone comes from the formatter.
    assert fmt.parse("2017-08-30T13:19:29+05:00") == utc(2017, 8, 30, 13, 19, 29)


def test_whitespace_before_fields_is_skipped_literals_are_exact() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm")
    assert fmt.parse("  2017-08-30 \t13:19") == utc(2017, 8, 30, 13, 19)
    with pytest.raises(DateParseError) as caught:
        fmt.parse("2017/08/30 13:19")
    assert caught.value.error_index == 4
    with pytest.raises(DateParseError):
        SimpleDateFormat("yyyy'T'").parse("2017t")


def test_numbers_are_greedy_unless_next_field_is_adjacent_numeric() -> None:
    assert SimpleDateFormat("yyyyMMdd").parse("20170821") == utc(2017, 8, 21)
    assert SimpleDateFormat("yyyyMMddHHmm").parse("201708211305") == utc(2017, 8, 21, 13, 5)
    # Greedy: the last field takes every digit (and rolls over).
    assert SimpleDateFormat("yyyy-MM-dd").parse("2017-08-0021") == utc(2017, 8, 21)
    with pytest.raises(DateParseError):
        SimpleDateFormat("yyyyMMdd").parse("201708")
    # Text month followed by a number: the number obeys no count (only the field before it does).
    assert SimpleDateFormat("ddMMMyyyy").parse("04Jul2001") == utc(2001, 7, 4)


def test_numbers_stop_at_a_dot() -> None:
    assert SimpleDateFormat("ss").parse("12.5") == utc(1970, 1, 1, 0, 0, 12)


def test_s_is_a_millisecond_count_not_a_fraction() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
    assert fmt.parse("2017-08-21T10:00:00.451000+00:00") == utc(2017, 8, 21, 10, 7, 31)
    assert SimpleDateFormat("ss.SSS").parse("01.5") == utc(1970, 1, 1, 0, 0, 1, 5000)


def test_lenient_roll_over() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm")
    assert fmt.parse("2017-02-30 13:61") == utc(2017, 3, 2, 14, 1)
    assert fmt.parse("2017-13-01 00:00") == utc(2018, 1, 1)
    assert fmt.parse("2017-00-00 24:00") == utc(2016, 12, 1)
    assert fmt.parse("2017--1-01 00:00") == utc(2016, 11, 1)


def test_not_lenient_rejects_out_of_range_fields() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", lenient=False)
    assert fmt.parse("2016-02-29 23:59") == utc(2016, 2, 29, 23, 59)
    for text in ("2017-02-29 00:00", "2017-13-01 00:00", "2017-01-01 24:00", "2017-01-01 00:60"):
        with pytest.raises(DateParseError):
            fmt.parse(text)


def test_missing_fields_default_to_the_epoch() -> None:
    assert SimpleDateFormat("HH:mm").parse("13:05") == utc(1970, 1, 1, 13, 5)
    assert SimpleDateFormat("MM").parse("03") == utc(1970, 3, 1)
    assert SimpleDateFormat("'at' HH").parse("at 7") == utc(1970, 1, 1, 7)


def test_configured_zone_applies_when_the_text_has_none() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", "America/Denver")
    assert fmt.parse("2017-07-01 12:00") == utc(2017, 7, 1, 18, 0)
    assert fmt.parse("2017-01-01 12:00") == utc(2017, 1, 1, 19, 0)
    assert SimpleDateFormat("yyyy-MM-dd HH:mm", "EST").parse("2017-07-01 12:00") == utc(
        2017, 7, 1, 17, 0
    )


def test_zone_in_the_text_overrides_the_configured_zone() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm Z", "America/Denver")
    assert fmt.parse("2017-07-01 12:00 +0200") == utc(2017, 7, 1, 10, 0)


@pytest.mark.parametrize(
    ("pattern", "text", "offset_minutes"),
    [
        ("X", "Z", 0),
        ("X", "+05", 300),
        ("X", "-0530", -300),  # one X reads hours only; the rest is trailing text
        ("XX", "+0530", 330),
        ("XXX", "+05:30", 330),
        ("XXX", "-07:00", -420),
        ("Z", "-0700", -420),
        ("Z", "GMT-7:00", -420),
        ("Z", "GMT+05:30", 330),
        ("Z", "GMT", 0),
        ("Z", "PDT", -420),
        ("z", "Pacific Standard Time", -480),
        ("z", "utc", 0),
        ("z", "EST", -300),
        ("z", "+0100", 60),
    ],
)
def test_zone_parsing(pattern: str, text: str, offset_minutes: int) -> None:
    parsed = SimpleDateFormat(pattern, "Asia/Tokyo").parse(text)
    assert parsed == utc(1970, 1, 1) - timedelta(minutes=offset_minutes)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("XXX", "+0530"),  # XXX needs the colon
        ("XX", "+05:30"),
        ("X", "UTC"),  # X takes no names
        ("X", "z"),
        ("XXX", "+24:00"),
        ("XXX", "+05:60"),
        ("Z", "+5"),  # RFC 822 needs two-digit hours
        ("Z", "GMT+5"),  # GMT+h needs :mm
        ("z", "Mars Time"),
    ],
)
def test_zone_parsing_failures(pattern: str, text: str) -> None:
    with pytest.raises(DateParseError):
        SimpleDateFormat(pattern).parse(text)


def test_am_pm_and_twelve_hour_clocks() -> None:
    fmt = SimpleDateFormat("hh:mm a")
    assert fmt.parse("12:30 AM") == utc(1970, 1, 1, 0, 30)
    assert fmt.parse("12:30 pm") == utc(1970, 1, 1, 12, 30)
    assert fmt.parse("01:30 PM") == utc(1970, 1, 1, 13, 30)
    # hh without a means AM.
    assert SimpleDateFormat("hh:mm").parse("11:30") == utc(1970, 1, 1, 11, 30)
    assert SimpleDateFormat("kk:mm").parse("24:30") == utc(1970, 1, 1, 0, 30)
    assert SimpleDateFormat("KK:mm a").parse("11:30 PM") == utc(1970, 1, 1, 23, 30)


def test_names_are_case_insensitive_long_or_short() -> None:
    fmt = SimpleDateFormat("dd MMM yyyy")
    assert fmt.parse("04 jul 2001") == utc(2001, 7, 4)
    assert fmt.parse("04 JULY 2001") == utc(2001, 7, 4)
    assert SimpleDateFormat("EEE, dd MMMM yyyy").parse("wednesday, 04 Jul 2001") == utc(2001, 7, 4)
    with pytest.raises(DateParseError):
        fmt.parse("04 Jux 2001")


def test_two_digit_years_land_in_the_century_around_now() -> None:
    fmt = SimpleDateFormat("yy-MM-dd", now=NOW_2017)  # window: 1937-06-01 .. 2037-06-01
    assert fmt.parse("01-07-04") == utc(2001, 7, 4)
    assert fmt.parse("50-01-01") == utc(1950, 1, 1)
    assert fmt.parse("36-12-31") == utc(2036, 12, 31)
    # 37 is ambiguous: before the window start it moves a century forward.
    assert fmt.parse("37-01-01") == utc(2037, 1, 1)
    assert fmt.parse("37-12-01") == utc(1937, 12, 1)
    # Not exactly two digits: literal.
    assert fmt.parse("7-01-01") == utc(7, 1, 1)
    assert SimpleDateFormat("yyyy", now=NOW_2017).parse("17") == utc(17, 1, 1)
    assert SimpleDateFormat("yy", now=datetime(2090, 1, 1, tzinfo=UTC)).parse("01") == utc(
        2101, 1, 1
    )


def test_day_of_year_and_week_year_trap() -> None:
    assert SimpleDateFormat("yyyy-DDD").parse("2017-060") == utc(2017, 3, 1)
    # YYYY without weeks: Java's setWeekDate(Y, 1, Sunday) ignores month and day.
    assert SimpleDateFormat("YYYY-MM-dd").parse("2017-08-30") == utc(2017, 1, 1)
    assert SimpleDateFormat("YYYY-MM-dd").parse("2016-08-30") == utc(2015, 12, 27)


def test_dst_gap_and_overlap_read_as_standard_time() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", "America/Los_Angeles")
    assert fmt.parse("2017-03-12 02:30") == utc(2017, 3, 12, 10, 30)  # = 03:30 PDT
    assert fmt.parse("2017-11-05 01:30") == utc(2017, 11, 5, 9, 30)  # the PST one


def test_eras_and_range() -> None:
    assert SimpleDateFormat("yyyy G").parse("2017 AD") == utc(2017, 1, 1)
    with pytest.raises(DateParseError, match="out of range"):
        SimpleDateFormat("yyyy G").parse("0044 BC")
    with pytest.raises(DateParseError, match="out of range"):
        SimpleDateFormat("yyyy").parse("99999")
    with pytest.raises(DateParseError, match="out of range"):
        SimpleDateFormat("yyyy").parse("999999999999999999999999")


def test_empty_pattern_or_text_is_unparseable() -> None:
    with pytest.raises(DateParseError):
        SimpleDateFormat("").parse("2017")
    with pytest.raises(DateParseError):
        SimpleDateFormat("yyyy").parse("")
    with pytest.raises(DateParseError):
        SimpleDateFormat("yyyy").parse("-")


def test_tzinfo_can_be_given_directly() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", timezone(timedelta(hours=2)))
    assert fmt.parse("2017-07-01 12:00") == utc(2017, 7, 1, 10, 0)


def test_unknown_zone_id_means_gmt() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm", "Mars/Olympus_Mons")
    assert fmt.zone.id == "GMT" and not fmt.zone.known
    assert fmt.parse("2017-07-01 12:00") == utc(2017, 7, 1, 12, 0)


# ---------------------------------------------------------------------- codec
def test_codec_milliseconds() -> None:
    codec = DateCodec("milliseconds")
    instant = utc(2017, 3, 21, 16, 9, 28, 123000)
    assert codec.format(instant) == "1490112568123"
    for value in (1490112568123, "1490112568123", " 1490112568123 ", 1490112568123.0):
        assert codec.parse(value) == instant
    assert codec.parse(-1000) == utc(1969, 12, 31, 23, 59, 59)
    for bad in ("yesterday", "", "nan", "inf", True, None, "9" * 400):
        with pytest.raises(DateParseError):
            codec.parse(bad)  # type: ignore[arg-type]


def test_codec_pattern() -> None:
    codec = DateCodec("yyyy-MM-dd'T'HH:mm:ss", "EST")
    assert codec.parse("2017-03-21T16:09:28") == utc(2017, 3, 21, 21, 9, 28)
    assert codec.format(utc(2017, 3, 21, 21, 9, 28)) == "2017-03-21T16:09:28"
    assert DateCodec("yyyyMMdd").parse(20170321) == utc(2017, 3, 21)
    with pytest.raises(DatePatternError):
        DateCodec("milliseconds'")
    with pytest.raises(DateParseError):
        DateCodec("yyyy").parse([2017])  # type: ignore[arg-type]
