"""Dates the way WordPress stores, renders and filters them.

A record keeps its instants as whole UTC seconds (MySQL ``DATETIME`` has no
fraction). WordPress also stores the site-local *wall time* of each instant
(``post_date`` beside ``post_date_gmt``) and date filters compare against those
wall-time columns textually. We model a wall time as "wall seconds": the local
calendar reading encoded as if it were UTC, so local and GMT columns are both
plain integers that sort and compare like the MySQL strings do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# rest_parse_date's validation pattern (wp-includes/rest-api.php).
_REST_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(Z|[+-]\d{2}(?::\d{2})?)?$"
)

_EPOCH = datetime(1970, 1, 1)


def wall_seconds(timestamp: int, zone: ZoneInfo) -> int:
    """The local calendar reading of ``timestamp`` in ``zone``, encoded as UTC seconds."""
    offset = datetime.fromtimestamp(timestamp, zone).utcoffset()
    return timestamp + (int(offset.total_seconds()) if offset is not None else 0)


def format_wall(wall: int | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` (no fraction, no zone) or None, as wc_rest_prepare_date_response."""
    if wall is None:
        return None
    return (_EPOCH + timedelta(seconds=wall)).strftime("%Y-%m-%dT%H:%M:%S")


def naive_wall(wall: int) -> datetime:
    return _EPOCH + timedelta(seconds=wall)


def is_rest_date(value: str) -> bool:
    return parse_rest_date(value) is not None


def parse_rest_date(value: str) -> datetime | None:
    """rest_parse_date: aware if an offset is given, else naive; None if invalid."""
    match = _REST_DATE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    suffix = match.group(7)
    if suffix is None:
        return naive
    if suffix == "Z":
        return naive.replace(tzinfo=UTC)
    sign = 1 if suffix[0] == "+" else -1
    hours = int(suffix[1:3])
    minutes = int(suffix[4:6]) if len(suffix) > 3 else 0
    if hours > 23:
        return None
    return naive.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))


def filter_wall(value: datetime, zone: ZoneInfo) -> int:
    """WP_Date_Query::build_mysql_datetime for a string value, as wall seconds.

    ``date_create($value, wp_timezone())`` then ``setTimezone(wp_timezone())``:
    a value without offset is read as site-local time, one with an offset is
    honoured; either way the result is the site-local wall reading (a time in
    a DST gap comes out shifted forward, as PHP does).
    """
    aware = value.replace(tzinfo=zone) if value.tzinfo is None else value
    local = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return int((local - _EPOCH).total_seconds())


def to_timestamp(value: datetime) -> int:
    """Whole UTC seconds of an aware datetime (fractions dropped, as MySQL does)."""
    return int(value.timestamp() // 1)


def parse_iso_instant(value: str, zone: ZoneInfo | None = None) -> datetime:
    """An aware instant from ISO-8601 (naive = ``zone`` or UTC); ValueError if malformed."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone or UTC)
    return parsed.astimezone(UTC)
