"""Java ``TimeZone`` ids as Cloud Elements reads them (``*DateTimezone``, ``${dateTimeZone:…}``).

``TimeZone.getTimeZone(id)`` looks the id up in the tz database plus Java's
legacy three-letter aliases, then tries a custom ``GMT±h:mm`` id, and returns
GMT for anything else, without an error. :func:`java_timezone` does the same
and says, through :attr:`JavaZone.known`, when it fell back, so configuration
checks can warn about it.

Display names (the ``z`` pattern letter) come from a small table of the names
Java prints in the English locale; zones outside it use their tz abbreviation
when it is alphabetic and ``GMT±hh:mm`` otherwise, as Java does for zones
without localised names.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

__all__ = [
    "GMT",
    "JavaZone",
    "custom_zone_id",
    "java_timezone",
    "parse_custom_offset",
    "zone_name_offsets",
]

#: Java's legacy three-letter ids that name a region (they follow its DST rules).
#: ``EST``, ``MST`` and ``HST`` are fixed offsets instead (see ``_FIXED_ALIASES``).
_REGION_ALIASES: dict[str, str] = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}

# Fixed in Java (not links to a region as in recent tz data), in minutes east of UTC.
_FIXED_ALIASES: dict[str, int] = {"EST": -5 * 60, "MST": -7 * 60, "HST": -10 * 60}

# Java's English display names: zone id -> (standard short, standard long, DST short, DST long).
_DISPLAY_NAMES: dict[str, tuple[str, str, str, str]] = {
    "GMT": ("GMT", "Greenwich Mean Time", "GMT", "Greenwich Mean Time"),
    "UTC": ("UTC", "Coordinated Universal Time", "UTC", "Coordinated Universal Time"),
    "America/Los_Angeles": (
        "PST",
        "Pacific Standard Time",
        "PDT",
        "Pacific Daylight Time",
    ),
    "America/Denver": ("MST", "Mountain Standard Time", "MDT", "Mountain Daylight Time"),
    "America/Phoenix": ("MST", "Mountain Standard Time", "MDT", "Mountain Daylight Time"),
    "America/Chicago": ("CST", "Central Standard Time", "CDT", "Central Daylight Time"),
    "America/New_York": ("EST", "Eastern Standard Time", "EDT", "Eastern Daylight Time"),
    "America/Indiana/Indianapolis": (
        "EST",
        "Eastern Standard Time",
        "EDT",
        "Eastern Daylight Time",
    ),
    "America/Anchorage": ("AKST", "Alaska Standard Time", "AKDT", "Alaska Daylight Time"),
    "Pacific/Honolulu": ("HST", "Hawaii Standard Time", "HDT", "Hawaii Daylight Time"),
    "EST": ("EST", "Eastern Standard Time", "EST", "Eastern Standard Time"),
    "MST": ("MST", "Mountain Standard Time", "MST", "Mountain Standard Time"),
    "HST": ("HST", "Hawaii Standard Time", "HST", "Hawaii Standard Time"),
    "Europe/London": ("GMT", "Greenwich Mean Time", "BST", "British Summer Time"),
    "Europe/Paris": ("CET", "Central European Time", "CEST", "Central European Summer Time"),
    "Europe/Berlin": ("CET", "Central European Time", "CEST", "Central European Summer Time"),
    "Asia/Kolkata": ("IST", "India Standard Time", "IDT", "India Daylight Time"),
    "Asia/Tokyo": ("JST", "Japan Standard Time", "JDT", "Japan Daylight Time"),
}

# Names the parser accepts for ``z``/``Z`` (Java matches the names of every zone it
# knows; this is the English subset in practical use). Value: minutes east of UTC.
_NAME_OFFSETS: dict[str, int] = {
    "UTC": 0,
    "Coordinated Universal Time": 0,
    "Greenwich Mean Time": 0,
    "PST": -480,
    "PDT": -420,
    "Pacific Standard Time": -480,
    "Pacific Daylight Time": -420,
    "MST": -420,
    "MDT": -360,
    "Mountain Standard Time": -420,
    "Mountain Daylight Time": -360,
    "CST": -360,
    "CDT": -300,
    "Central Standard Time": -360,
    "Central Daylight Time": -300,
    "EST": -300,
    "EDT": -240,
    "Eastern Standard Time": -300,
    "Eastern Daylight Time": -240,
    "AKST": -540,
    "AKDT": -480,
    "Alaska Standard Time": -540,
    "Alaska Daylight Time": -480,
    "HST": -600,
    "Hawaii Standard Time": -600,
    "BST": 60,
    "British Summer Time": 60,
    "CET": 60,
    "CEST": 120,
    "Central European Time": 60,
    "Central European Summer Time": 120,
    "IST": 330,
    "India Standard Time": 330,
    "JST": 540,
    "Japan Standard Time": 540,
}

_log = logging.getLogger(__name__)

_CUSTOM_ID = re.compile(r"GMT([+-])([0-9]*)(?::([0-9]*))?")


@dataclass(frozen=True)
class JavaZone:
    """A resolved Java time zone.

    ``id`` is the id Java reports (``GMT+05:30`` for a custom id), ``tz`` the
    Python tzinfo, ``known`` False when the requested id was unknown and GMT was
    used instead (Java's silent fallback).
    """

    id: str
    tz: tzinfo
    known: bool = True
    requested: str = ""

    def offset_at(self, instant: datetime) -> timedelta:
        """Total UTC offset (standard + DST) in force at ``instant``."""
        return instant.astimezone(self.tz).utcoffset() or timedelta(0)

    def is_dst_at(self, instant: datetime) -> bool:
        return bool(instant.astimezone(self.tz).dst())

    def short_name(self, instant: datetime) -> str:
        """What ``z``/``zzz`` prints at ``instant``."""
        return self._display(instant, long=False)

    def long_name(self, instant: datetime) -> str:
        """What ``zzzz`` prints at ``instant``."""
        return self._display(instant, long=True)

    def _display(self, instant: datetime, *, long: bool) -> str:
        names = _DISPLAY_NAMES.get(self.id)
        dst = self.is_dst_at(instant)
        if names is not None:
            return names[(2 if dst else 0) + (1 if long else 0)]
        local = instant.astimezone(self.tz)
        abbreviation = local.tzname() or ""
        if abbreviation.isalpha() and not self.id.startswith("GMT"):
            return abbreviation
        return custom_zone_id(int(self.offset_at(instant).total_seconds() // 60))


GMT = JavaZone("GMT", UTC)


def custom_zone_id(offset_minutes: int) -> str:
    """Java's normalised custom id for an offset: ``GMT+05:30``, ``GMT-07:00``."""
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"GMT{sign}{hours:02d}:{minutes:02d}"


def parse_custom_offset(zone_id: str) -> int | None:
    """Minutes east of UTC for a Java custom id (``GMT+5``, ``GMT-7:00``, ``GMT+0530``), else None.

    Follows ``TimeZone.parseCustomTimeZone``: the ``GMT`` prefix is required and
    case-sensitive; hours ``h``/``hh`` or ``hhmm`` without a colon, ``h:mm``/``hh:mm``
    with one; hours at most 23 and minutes at most 59.
    """
    match = _CUSTOM_ID.fullmatch(zone_id)
    if match is None:
        return None
    sign, first, after_colon = match.groups()
    if after_colon is not None:
        if not first or len(first) > 2 or len(after_colon) != 2:
            return None
        hours, minutes = int(first), int(after_colon)
    elif not first:
        return None
    elif len(first) <= 2:
        hours, minutes = int(first), 0
    else:
        number = int(first)
        hours, minutes = divmod(number, 100)
    if hours > 23 or minutes > 59:
        return None
    total = hours * 60 + minutes
    return -total if sign == "-" else total


@lru_cache(maxsize=1)
def _tz_database_ids() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=512)
def java_timezone(zone_id: str) -> JavaZone:
    """Resolve ``zone_id`` as ``java.util.TimeZone.getTimeZone`` does.

    Unknown ids give GMT with ``known`` False (and a logged warning).
    """
    if zone_id in ("GMT", "UTC"):
        return JavaZone(zone_id, UTC, requested=zone_id)
    if zone_id in _FIXED_ALIASES:
        offset = timedelta(minutes=_FIXED_ALIASES[zone_id])
        return JavaZone(zone_id, timezone(offset, zone_id), requested=zone_id)
    region = _REGION_ALIASES.get(zone_id)
    if region is not None:
        return JavaZone(region, zoneinfo.ZoneInfo(region), requested=zone_id)
    if zone_id in _tz_database_ids():
        return JavaZone(zone_id, zoneinfo.ZoneInfo(zone_id), requested=zone_id)
    offset_minutes = parse_custom_offset(zone_id)
    if offset_minutes is not None:
        # Java names a zero custom offset GMT+00:00 / GMT-00:00 but it is plain GMT.
        custom_id = custom_zone_id(offset_minutes)
        if offset_minutes == 0:
            custom_id = "GMT-00:00" if zone_id.startswith("GMT-") else "GMT+00:00"
        tz = timezone(timedelta(minutes=offset_minutes), custom_id)
        return JavaZone(custom_id, tz, requested=zone_id)
    # Logged once per id (the result is cached); ids are not secrets.
    _log.warning("unknown time zone id %r: using GMT, as Java does", zone_id)
    return JavaZone("GMT", UTC, known=False, requested=zone_id)


def zone_name_offsets() -> dict[str, int]:
    """Zone names the ``z``/``Z`` parser recognises, mapped to minutes east of UTC."""
    return dict(_NAME_OFFSETS)
