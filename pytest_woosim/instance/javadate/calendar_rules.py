"""Java's calendar as SimpleDateFormat sees it: English names, 32-bit numbers, US weeks, zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Final

from pytest_woosim.instance.zones import JavaZone, java_timezone

MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SHORT_MONTHS: Final = tuple(name[:3] for name in MONTHS)
# Java's DAY_OF_WEEK order: Sunday = 1.
WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SHORT_WEEKDAYS: Final = tuple(name[:3] for name in WEEKDAYS)
AM_PM: Final = ("AM", "PM")
ERAS: Final = ("BC", "AD")
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


#: The epoch, as an instant.
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def java_int(digits: str, negative: bool) -> int:
    """The ``int`` Java gets from DecimalFormat: a long wrapped to 32 bits, or saturated."""
    if len(digits) > 18:
        return _INT_MIN if negative else _INT_MAX
    value = -int(digits) if negative else int(digits)
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def week_one_start(year: int) -> int:
    """Ordinal of the Sunday that starts week 1 (the week holding January 1; US rules)."""
    jan1 = date(year, 1, 1).toordinal()
    return jan1 - (date.fromordinal(jan1).isoweekday() % 7)


def us_week_of_year(day: date) -> tuple[int, int]:
    """(week year, week of year) with Sunday-first weeks and 1 minimal day (Java's US locale)."""
    sunday = day.toordinal() - day.isoweekday() % 7
    saturday_year = day.year
    if sunday + 6 <= date.max.toordinal():
        saturday_year = date.fromordinal(sunday + 6).year
    if saturday_year > day.year:
        return saturday_year, 1
    return day.year, (sunday - week_one_start(day.year)) // 7 + 1


def zone_for(timezone: str | tzinfo | JavaZone) -> JavaZone:
    if isinstance(timezone, JavaZone):
        return timezone
    if isinstance(timezone, str):
        return java_timezone(timezone)
    name = getattr(timezone, "key", None) or timezone.tzname(None) or "custom"
    return JavaZone(str(name), timezone)


def local_to_utc(local: datetime, tz: tzinfo) -> datetime:
    """Wall time to an instant; in a DST gap or overlap Java takes the smaller offset."""
    earlier = local.replace(tzinfo=tz, fold=0)
    later = local.replace(tzinfo=tz, fold=1)
    offsets = [earlier.utcoffset() or timedelta(0), later.utcoffset() or timedelta(0)]
    return (local - min(offsets)).replace(tzinfo=UTC)


def fixed_offset(tz: tzinfo) -> timedelta | None:
    """The offset of a fixed zone; None for zones with rules."""
    if isinstance(tz, timezone):
        return tz.utcoffset(None)
    return None


@dataclass(frozen=True)
class Century:
    """Where two-digit years land: the hundred years from ``start`` (an instant), whose
    local year is ``start_year``."""

    start: datetime
    start_year: int


def default_century(zone: JavaZone, now: datetime | None) -> Century:
    """Java's default century: it starts 80 years before the formatter was made.

    This is about real "now" only when no instant is given (Java's own rule).
    """
    reference = now if now is not None else datetime.now(UTC)
    reference = reference.replace(tzinfo=UTC) if reference.tzinfo is None else reference
    local_reference = reference.astimezone(zone.tz).replace(tzinfo=None)
    year = max(local_reference.year - 80, 1)
    try:
        century_start = local_reference.replace(year=year)
    except ValueError:  # 29 February: Calendar.add pins it to the 28th
        century_start = local_reference.replace(year=year, day=28)
    return Century(local_to_utc(century_start, zone.tz), year)


__all__ = [
    "AM_PM",
    "EPOCH",
    "ERAS",
    "MONTHS",
    "SHORT_MONTHS",
    "SHORT_WEEKDAYS",
    "WEEKDAYS",
    "Century",
    "default_century",
    "fixed_offset",
    "java_int",
    "local_to_utc",
    "us_week_of_year",
    "week_one_start",
    "zone_for",
]
