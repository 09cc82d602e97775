"""SimpleDateFormat's ``format``: an instant as the text of a compiled pattern."""

from __future__ import annotations

from datetime import UTC, datetime

from pytest_woosim.instance.javadate.calendar_rules import (
    AM_PM,
    MONTHS,
    SHORT_MONTHS,
    SHORT_WEEKDAYS,
    WEEKDAYS,
    us_week_of_year,
)
from pytest_woosim.instance.javadate.pattern import Element, Field, Literal
from pytest_woosim.instance.zones import JavaZone


def format_instant(elements: tuple[Element, ...], zone: JavaZone, instant: datetime) -> str:
    """The text for ``instant`` (a naive datetime is taken as UTC), at millisecond precision."""
    utc = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    local = utc.astimezone(zone.tz)
    parts: list[str] = []
    for element in elements:
        if isinstance(element, Literal):
            parts.append(element.text)
        else:
            parts.append(_format_field(element, local, utc, zone))
    return "".join(parts)


def _format_field(element: Field, local: datetime, utc: datetime, zone: JavaZone) -> str:
    letter, count = element.letter, element.count

    def number(value: int) -> str:
        return f"{value:0{count}d}"

    if letter == "G":
        return "AD"
    if letter in "yY":
        year = us_week_of_year(local.date())[0] if letter == "Y" else local.year
        return f"{year % 100:02d}" if count == 2 else number(year)
    if letter in "ML":
        if count >= 4:
            return MONTHS[local.month - 1]
        if count == 3:
            return SHORT_MONTHS[local.month - 1]
        return number(local.month)
    if letter == "d":
        return number(local.day)
    if letter == "H":
        return number(local.hour)
    if letter == "k":
        return number(local.hour or 24)
    if letter == "K":
        return number(local.hour % 12)
    if letter == "h":
        return number(local.hour % 12 or 12)
    if letter == "m":
        return number(local.minute)
    if letter == "s":
        return number(local.second)
    if letter == "S":
        return number(local.microsecond // 1000)
    if letter == "E":
        weekday = local.isoweekday() % 7
        return WEEKDAYS[weekday] if count >= 4 else SHORT_WEEKDAYS[weekday]
    if letter == "u":
        return number(local.isoweekday())
    if letter == "D":
        return number(local.timetuple().tm_yday)
    if letter == "F":
        return number((local.day - 1) // 7 + 1)
    if letter == "w":
        return number(us_week_of_year(local.date())[1])
    if letter == "W":
        first_weekday = local.replace(day=1).isoweekday() % 7
        return number((local.day - 1 + first_weekday) // 7 + 1)
    if letter == "a":
        return AM_PM[local.hour >= 12]
    if letter == "z":
        return zone.long_name(utc) if count >= 4 else zone.short_name(utc)
    # Z and X: Java truncates the offset to whole minutes.
    minutes = int(zone.offset_at(utc).total_seconds() / 60)
    if letter == "X" and minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    if letter == "Z":
        return f"{sign}{hours:02d}{rest:02d}"
    if count == 1:
        return f"{sign}{hours:02d}"
    separator = ":" if count == 3 else ""
    return f"{sign}{hours:02d}{separator}{rest:02d}"


__all__ = ["format_instant"]
