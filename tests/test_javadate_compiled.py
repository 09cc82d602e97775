"""The compiled matcher of SimpleDateFormat against the general parser it stands in for.

The compiled path may decline a text (the general parser then reads it) but
whenever it answers, it must give what the general parser gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_woosim.instance.javadate import (
    DateCodec,
    DateParseError,
    DatePatternError,
    SimpleDateFormat,
    compile_pattern,
)

DIFFERENTIAL = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# A fixed "now" so two-digit years land in the same century in both parsers.
NOW = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)

#: The patterns of Cloud Elements poller configurations (spec §6), with a text of each.
COMMON = [
    ("yyyy-MM-dd'T'HH:mm:ssXXX", "2024-03-10T06:00:00+01:00", datetime(2024, 3, 10, 5, 0)),
    ("yyyy-MM-dd'T'HH:mm:ss'Z'", "2024-03-10T06:00:00Z", datetime(2024, 3, 10, 6, 0)),
    ("yyyy-MM-dd HH:mm:ss", "2024-03-10 06:00:00", datetime(2024, 3, 10, 6, 0)),
    (
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
        "2024-03-10T06:00:00.045Z",
        datetime(2024, 3, 10, 6, 0, 0, 45_000),
    ),
    (
        "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
        "2001-07-04T12:08:56.235-0700",
        datetime(2001, 7, 4, 19, 8, 56, 235_000),
    ),
    ("MM/dd/yyyy HH:mm:ss", "03/10/2024 06:00:00", datetime(2024, 3, 10, 6, 0)),
    (
        "EEE, dd MMM yyyy HH:mm:ss Z",
        "Wed, 04 Jul 2001 12:08:56 -0700",
        datetime(2001, 7, 4, 19, 8, 56),
    ),
    ("yyyy-MM-dd'T'HH:mm:ss", "2024-03-10T06:00:00", datetime(2024, 3, 10, 6, 0)),
]

ZONES = [
    "GMT",
    "EST",
    "GMT+05:30",
    "GMT-00:00",
    "America/Denver",  # DST, and local mean time (-6:59:56) before 1883
    "Europe/Paris",
    "Australia/Lord_Howe",  # half-hour DST
    "Nowhere/Unknown",  # GMT, as Java does
]


def outcome(fmt: SimpleDateFormat, text: str) -> tuple[str, object]:
    """What parsing gives: the instant (with its zone object), or the error's type."""
    try:
        result = fmt.parse(text)
    except DateParseError:
        return ("error", DateParseError)
    assert result.tzinfo is UTC
    return ("value", result)


def both(pattern: str, zone: str, lenient: bool) -> tuple[SimpleDateFormat, SimpleDateFormat]:
    compiled = SimpleDateFormat(pattern, zone, lenient=lenient, now=NOW)
    general = SimpleDateFormat(pattern, zone, lenient=lenient, now=NOW, compiled=False)
    assert not general.compiled
    return compiled, general


# ------------------------------------------------------------------ generated patterns
# Fields the compiled matcher takes, fields it leaves to the general parser, and
# literals, including digits (a digit literal after a greedy number must not be
# taken from the number) and no separator at all (fixed-width numbers).
FIELDS = st.sampled_from(
    [
        "y",
        "yy",
        "yyy",
        "yyyy",
        "M",
        "MM",
        "MMM",
        "MMMM",
        "L",
        "d",
        "dd",
        "H",
        "HH",
        "k",
        "kk",
        "K",
        "h",
        "hh",
        "a",
        "m",
        "mm",
        "s",
        "ss",
        "S",
        "SSS",
        "SSSSSS",
        "E",
        "EEEE",
        "X",
        "XX",
        "XXX",
        "Z",
        "z",
        "D",
        "u",
        "G",
        "w",
    ]
)
LITERALS = st.sampled_from(["", "", "-", ":", "/", " ", "'T'", ".", "''", ", ", "'Z'", "0", "1"])


@st.composite
def patterns(draw: st.DrawFn) -> str:
    fields = draw(st.lists(FIELDS, min_size=1, max_size=7))
    pattern = ""
    for index, letters in enumerate(fields):
        if index:
            separator = draw(LITERALS)
            # Two runs of one letter with nothing between would merge into one field.
            if not separator and pattern[-1] == letters[0]:
                separator = "-"
            pattern += separator
        pattern += letters
    return draw(st.sampled_from(["", "'", " "])) + pattern if draw(st.booleans()) else pattern


instants = st.integers(
    min_value=int(datetime(1850, 1, 1, tzinfo=UTC).timestamp() * 1000),
    max_value=int(datetime(2150, 1, 1, tzinfo=UTC).timestamp() * 1000),
).map(lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms))

MUTATION_CHARS = "0123456789-+: \tZT.9AMpmJulwed/"


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few characters replaced, inserted or removed, or cut short."""
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(chars)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        new = draw(st.sampled_from(MUTATION_CHARS))
        if action == "insert" or not chars:
            chars.insert(position, new)
        elif action == "cut":
            del chars[position:]
        elif position < len(chars):
            if action == "replace":
                chars[position] = new
            else:
                del chars[position]
    return "".join(chars)


@DIFFERENTIAL
@given(
    data=st.data(),
    pattern=patterns(),
    zone=st.sampled_from(ZONES),
    instant=instants,
    lenient=st.booleans(),
)
def test_compiled_and_general_agree_on_formatted_and_mutated_texts(
    data: st.DataObject, pattern: str, zone: str, instant: datetime, lenient: bool
) -> None:
    try:
        compiled, general = both(pattern, zone, lenient)
    except DatePatternError:
        return
    text = compiled.format(instant)
    for candidate in (text, data.draw(mutated(text))):
        assert outcome(compiled, candidate) == outcome(general, candidate), (pattern, candidate)


NUMERIC_TEXT = st.text(alphabet="0123456789-+:. \tTZ/", max_size=30)


@DIFFERENTIAL
@given(
    pattern=patterns(),
    zone=st.sampled_from(ZONES),
    text=st.one_of(NUMERIC_TEXT, st.text(max_size=30)),
    lenient=st.booleans(),
)
@example(pattern="yyyy1MM", zone="GMT", text="20241203", lenient=True)
@example(pattern="yyyyMMddHHmmss", zone="GMT", text="2024031006000", lenient=True)
@example(pattern="yyMMdd", zone="GMT", text="-10310", lenient=True)
@example(pattern="yyyyMM", zone="GMT", text="2-5", lenient=True)  # fixed width needs 4 left
@example(pattern="HH:mm", zone="GMT", text="99999999999999999999:1", lenient=True)
@example(pattern="yyyy-MM-dd", zone="GMT", text="9999-12-32", lenient=True)
@example(pattern="yyyy-MM-ddXXX", zone="GMT", text="0001-01-01+01:00", lenient=True)
@example(pattern="MMM d", zone="GMT", text="\u212aan 5", lenient=True)
def test_compiled_and_general_agree_on_any_text(
    pattern: str, zone: str, text: str, lenient: bool
) -> None:
    try:
        compiled, general = both(pattern, zone, lenient)
    except DatePatternError:
        return
    assert outcome(compiled, text) == outcome(general, text)


@settings(max_examples=200, deadline=None)
@given(
    instant=instants,
    zone=st.sampled_from(ZONES),
    common=st.sampled_from([pattern for pattern, _, _ in COMMON]),
)
def test_common_patterns_take_the_compiled_path(instant: datetime, zone: str, common: str) -> None:
    compiled, general = both(common, zone, True)
    text = compiled.format(instant)
    fast = compiled._parse_compiled(text)
    assert fast is not None, text
    assert fast == general.parse(text)


# ------------------------------------------------------------------ examples
@pytest.mark.parametrize(("pattern", "text", "expected"), COMMON)
def test_common_patterns(pattern: str, text: str, expected: datetime) -> None:
    fmt = SimpleDateFormat(pattern, "GMT")
    assert fmt.compiled
    assert fmt._parse_compiled(text) == expected.replace(tzinfo=UTC)
    assert DateCodec(pattern, "GMT").parse(text) == expected.replace(tzinfo=UTC)


def test_rules_of_the_port_hold_on_the_compiled_path() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSSSS", "GMT")
    # S counts milliseconds: .451000 is 451 seconds.
    assert fmt._parse_compiled("2017-08-30T13:19:29.451000") == datetime(
        2017, 8, 30, 13, 27, 0, tzinfo=UTC
    )
    day = SimpleDateFormat("yyyy-MM-dd", "GMT")
    # A prefix is enough; leniency rolls over; blanks before a field are skipped.
    assert day._parse_compiled("2017-08-30T13:19:29Z") == datetime(2017, 8, 30, tzinfo=UTC)
    assert day._parse_compiled("2017-02-30") == datetime(2017, 3, 2, tzinfo=UTC)
    assert day._parse_compiled("2017-\t 02- 1") == datetime(2017, 2, 1, tzinfo=UTC)
    clock = SimpleDateFormat("HH:mm", "GMT")
    assert clock._parse_compiled("13:61") == datetime(1970, 1, 1, 14, 1, tzinfo=UTC)
    # Numbers before an adjacent numeric field are fixed width.
    packed = SimpleDateFormat("yyyyMMddHHmmss", "GMT")
    assert packed._parse_compiled("20240310060102") == datetime(2024, 3, 10, 6, 1, 2, tzinfo=UTC)
    # Without a zone in the text, the formatter's zone (here with DST) applies.
    denver = SimpleDateFormat("yyyy-MM-dd HH:mm", "America/Denver")
    assert denver._parse_compiled("2024-07-01 12:00") == datetime(2024, 7, 1, 18, tzinfo=UTC)


def test_what_the_compiled_path_declines_the_general_parser_decides() -> None:
    strict = SimpleDateFormat("yyyy-MM-dd", "GMT", lenient=False)
    assert strict._parse_compiled("2017-02-30") is None
    with pytest.raises(DateParseError, match="out of range"):
        strict.parse("2017-02-30")
    greedy = SimpleDateFormat("yyyy1MM", "GMT")
    # The greedy year takes every digit and leaves none for the literal 1.
    assert greedy._parse_compiled("20241203") is None
    with pytest.raises(DateParseError):
        greedy.parse("20241203")
    named = SimpleDateFormat("yyyy-MM-dd HH:mm z", "GMT")
    assert named._parse_compiled("2024-03-10 06:00 PST") is None
    assert named.parse("2024-03-10 06:00 PST") == datetime(2024, 3, 10, 14, tzinfo=UTC)


@pytest.mark.parametrize("pattern", ["YYYY-'W'ww-u", "yyyy DDD", "G yyyy", "HH a", ""])
def test_patterns_left_to_the_general_parser(pattern: str) -> None:
    fmt = SimpleDateFormat(pattern, "GMT")
    assert not fmt.compiled
    assert fmt._parse_compiled("anything") is None


def test_two_digit_years_on_the_compiled_path() -> None:
    fmt = SimpleDateFormat("yy-MM-dd", "GMT", now=datetime(2017, 6, 1, tzinfo=UTC))
    # The default century starts 80 years before now: 1937-06-01.
    assert fmt._parse_compiled("37-06-02") == datetime(1937, 6, 2, tzinfo=UTC)
    assert fmt._parse_compiled("37-05-31") == datetime(2037, 5, 31, tzinfo=UTC)
    assert fmt._parse_compiled("36-01-01") == datetime(2036, 1, 1, tzinfo=UTC)
    assert fmt._parse_compiled("01-01-01") == datetime(2001, 1, 1, tzinfo=UTC)
    assert fmt._parse_compiled("2001-01-01") == datetime(2001, 1, 1, tzinfo=UTC)


def test_compiled_patterns_are_cached() -> None:
    assert compile_pattern("yyyy-MM-dd'T'HH:mm:ss") is compile_pattern("yyyy-MM-dd'T'HH:mm:ss")
    first = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss", "GMT")
    second = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss", "America/Denver")
    assert first._matcher is second._matcher
    with pytest.raises(DatePatternError):
        compile_pattern("yyyy-MM-dd'T'HH:mm:ss'")
    with pytest.raises(DatePatternError):  # errors are raised again, not cached away
        compile_pattern("yyyy-MM-dd'T'HH:mm:ss'")
