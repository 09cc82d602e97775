"""Java TimeZone ids: tz names, legacy three-letter aliases, custom GMT offsets, GMT fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pytest_woosim.instance.zones import custom_zone_id, java_timezone, parse_custom_offset

WINTER = datetime(2017, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2017, 7, 15, 12, tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


@pytest.mark.parametrize(
    ("zone_id", "winter", "summer"),
    [
        ("EST", -5, -5),  # fixed in Java, no DST
        ("MST", -7, -7),
        ("HST", -10, -10),
        ("PST", -8, -7),  # America/Los_Angeles, with DST
        ("CST", -6, -5),
        ("IST", 5.5, 5.5),
        ("GMT", 0, 0),
        ("UTC", 0, 0),
        ("America/Denver", -7, -6),
        ("Europe/London", 0, 1),
    ],
)
def test_offsets(zone_id: str, winter: float, summer: float) -> None:
    zone = java_timezone(zone_id)
    assert zone.known
    assert zone.offset_at(WINTER) == hours(winter)
    assert zone.offset_at(SUMMER) == hours(summer)


@pytest.mark.parametrize(
    ("zone_id", "minutes"),
    [
        ("GMT+5", 300),
        ("GMT-7", -420),
        ("GMT+05", 300),
        ("GMT-6:00", -360),
        ("GMT+05:30", 330),
        ("GMT+0530", 330),
        ("GMT+530", 330),
        ("GMT-00:00", 0),
    ],
)
def test_custom_ids(zone_id: str, minutes: int) -> None:
    assert parse_custom_offset(zone_id) == minutes
    zone = java_timezone(zone_id)
    assert zone.known and zone.offset_at(WINTER) == timedelta(minutes=minutes)


def test_custom_id_is_normalised() -> None:
    assert java_timezone("GMT+5").id == "GMT+05:00"
    assert java_timezone("GMT-6:00").id == "GMT-06:00"
    assert custom_zone_id(-90) == "GMT-01:30"


@pytest.mark.parametrize(
    "zone_id",
    [
        "GMT+24",
        "GMT+5:60",
        "GMT+",
        "gmt+5",
        "UTC+5",
        "-6:00",
        "GMT+5:0",
        "GMT+123:00",
        "Mars/Base",
        "",
        "../etc",
    ],
)
def test_unknown_ids_fall_back_to_gmt(zone_id: str) -> None:
    zone = java_timezone(zone_id)
    assert zone.id == "GMT" and not zone.known
    assert zone.offset_at(SUMMER) == timedelta(0)


def test_display_names() -> None:
    la = java_timezone("America/Los_Angeles")
    assert (la.short_name(WINTER), la.long_name(SUMMER)) == ("PST", "Pacific Daylight Time")
    assert java_timezone("GMT+05:30").short_name(WINTER) == "GMT+05:30"
    assert java_timezone("Europe/Madrid").short_name(SUMMER) == "CEST"
    assert java_timezone("America/Sao_Paulo").short_name(WINTER) in ("GMT-03:00", "GMT-02:00")
