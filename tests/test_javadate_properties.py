"""Properties of the SimpleDateFormat port, checked on generated instants, zones and patterns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_woosim.instance.javadate import DateParseError, DatePatternError, SimpleDateFormat

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

FIXED_ZONES = ["GMT", "UTC", "EST", "MST", "HST", "GMT+05:30", "GMT-03:00", "GMT+14:00"]
DST_ZONES = ["America/Los_Angeles", "America/Denver", "Europe/Paris", "Australia/Sydney", "PST"]

# Millisecond instants from 1950 (no local-mean-time offsets with seconds) to 2100.
instants = st.integers(
    min_value=int(datetime(1950, 1, 1, tzinfo=UTC).timestamp() * 1000),
    max_value=int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000),
).map(lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms))

separators = st.sampled_from(["-", "/", " ", "'T'", ".", ":", ", ", "'at'", "''", "_"])
dates = st.sampled_from(
    [
        ["yyyy", "MM", "dd"],
        ["dd", "MMM", "yyyy"],
        ["MMMM", "d", "yyyy"],
        ["yyyy", "DDD"],
        ["EEE", "d", "MMM", "yyyy"],
        ["yyyyMMdd"],
    ]
)
times = st.sampled_from(
    [
        ["HH", "mm", "ss", "SSS"],
        ["hh", "mm", "ss", "SSS", "a"],
        ["kk", "mm", "ss", "SSS"],
        ["KK", "mm", "ss", "SSS", "a"],
        ["HHmmss", "SSS"],
        ["H", "m", "s", "S"],
    ]
)


@st.composite
def full_patterns(draw: st.DrawFn, zone_letters: list[str]) -> str:
    """Patterns that hold every field down to the millisecond, fields separated by literals."""
    parts = draw(dates) + draw(times) + [draw(st.sampled_from(zone_letters))]
    parts = [part for part in parts if part]
    pattern = parts[0]
    for part in parts[1:]:
        pattern += draw(separators) + part
    return pattern


@PROPERTY_SETTINGS
@given(instants, st.sampled_from(FIXED_ZONES), full_patterns(["", "Z", "XXX", "XX", "z"]))
def test_round_trip_in_fixed_zones(instant: datetime, zone: str, pattern: str) -> None:
    fmt = SimpleDateFormat(pattern, zone)
    assert fmt.parse(fmt.format(instant)) == instant


@PROPERTY_SETTINGS
@given(instants, st.sampled_from(DST_ZONES), full_patterns(["Z", "XXX", "XX"]))
def test_round_trip_with_an_offset_in_any_zone(instant: datetime, zone: str, pattern: str) -> None:
    fmt = SimpleDateFormat(pattern, zone)
    assert fmt.parse(fmt.format(instant)) == instant


@PROPERTY_SETTINGS
@given(instants, st.sampled_from(["America/Los_Angeles", "GMT"]))
def test_round_trip_with_zone_names(instant: datetime, zone: str) -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS z", zone)
    assert fmt.parse(fmt.format(instant)) == instant


@PROPERTY_SETTINGS
@given(instants, st.sampled_from(DST_ZONES + FIXED_ZONES))
def test_wall_time_round_trip_without_offset(instant: datetime, zone: str) -> None:
    """Without an offset in the text the wall time survives (the instant may not: DST overlap)."""
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS", zone)
    text = fmt.format(instant)
    assert fmt.format(fmt.parse(text)) == text


WOO_ALPHABET = "0123456789-:+TZ.'/ APMGMTaejulyJULwed\t"


@PROPERTY_SETTINGS
@given(
    st.one_of(st.text(max_size=40), st.text(alphabet=WOO_ALPHABET, max_size=40)),
    st.sampled_from(
        [
            "yyyy-MM-dd'T'HH:mm:ss",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "EEE, dd MMM yyyy HH:mm:ss Z",
            "yyyyMMddHHmmss",
            "yy-M-d h:m a z",
            "YYYY-'W'ww-u",
            "G yyyy DDD kk KK X",
            "",
        ]
    ),
)
def test_parse_raises_only_its_own_error(text: str, pattern: str) -> None:
    fmt = SimpleDateFormat(pattern, "America/Los_Angeles")
    try:
        result = fmt.parse(text)
    except DateParseError:
        return
    assert result.tzinfo is UTC


@PROPERTY_SETTINGS
@given(
    st.text(alphabet="yMdHhKkmsSEDFwWazZXuGYL'-: .T", max_size=16), instants, st.text(max_size=30)
)
def test_any_pattern_compiles_or_raises_its_error_and_then_behaves(
    pattern: str, instant: datetime, text: str
) -> None:
    try:
        fmt = SimpleDateFormat(pattern, "Europe/Paris")
    except DatePatternError:
        return
    formatted = fmt.format(instant)
    for candidate in (formatted, text):
        try:
            fmt.parse(candidate)
        except DateParseError:
            pass
