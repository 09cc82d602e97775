"""Date placeholders in a poller resource ``url`` (Cloud Elements' ``${…}`` forms).

Forms, each replaced with the last poll date:

* ``${gmtDate:FMT}``: the date formatted with the SimpleDateFormat pattern FMT in GMT;
* ``${date:FMT}``: formatted in the default zone (GMT on Cloud Elements' servers);
* ``${dateTimeZone:ZONE:FMT}``: formatted in ZONE (a Java zone id, or an offset
  such as ``-6:00``);
* ``${date}``: ``yyyy-MM-dd'T'HH:mm:ssXXX`` in the default zone;
* ``${epoch}`` / ``${epoch:ms}``: epoch milliseconds; ``${epoch:s}`` seconds;
  ``${epoch:us}`` microseconds; ``${milliseconds}``: epoch milliseconds.

A placeholder ends at the first ``}``: patterns contain quotes (``'T'``), so quote
balancing cannot find the end. After substitution the query string is
percent-encoded (existing ``%XX`` escapes are kept), since the formatted dates
put ``+``, ``:`` and spaces into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

from pytest_woosim.instance.javadate import DatePatternError, SimpleDateFormat
from pytest_woosim.instance.zones import java_timezone

__all__ = [
    "DEFAULT_DATE_PATTERN",
    "Placeholder",
    "PlaceholderError",
    "encode_query",
    "expand_url",
    "find_placeholders",
]

#: The pattern of a bare ``${date}``. Cloud Elements documents none: ISO 8601
#: with an offset is the reading that any API accepts.
DEFAULT_DATE_PATTERN: Final = "yyyy-MM-dd'T'HH:mm:ssXXX"

_EPOCH_UNITS: Final = {"s": 1, "ms": 1_000, "us": 1_000_000}
# A zone that is an offset contains colons itself: "-6:00", "GMT-06:00".
_OFFSET_ZONE: Final = re.compile(r"((?:GMT|UTC)?[+-][0-9]{1,2}(?::?[0-9]{2})?):(.*)", re.DOTALL)
_BARE_OFFSET: Final = re.compile(r"[+-][0-9]{1,2}(?::?[0-9]{2})?")
_ESCAPE: Final = re.compile(r"%[0-9A-Fa-f]{2}")
# Characters left as they are in query keys and values (besides unreserved ones).
_QUERY_SAFE: Final = "/:@,!$*()"


class PlaceholderError(ValueError):
    """A ``${…}`` that cannot be expanded: unterminated, unknown, or with a bad pattern."""


@dataclass(frozen=True)
class Placeholder:
    """One ``${…}`` in a URL: its span, kind, and what it formats with."""

    start: int
    end: int
    text: str
    kind: str  # "date", "epoch"
    pattern: str | None = None
    zone: str | None = None  # None: the default zone
    unit: str = "ms"

    def render(self, last_poll: datetime, default_timezone: str = "GMT") -> str:
        """The text that replaces this placeholder for ``last_poll`` (naive means UTC)."""
        instant = last_poll.replace(tzinfo=UTC) if last_poll.tzinfo is None else last_poll
        if self.kind == "epoch":
            delta = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
            microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            return str(microseconds * _EPOCH_UNITS[self.unit] // 1_000_000)
        zone = self.zone if self.zone is not None else default_timezone
        assert self.pattern is not None
        return SimpleDateFormat(self.pattern, java_timezone(zone)).format(instant)


def _zone_id(zone: str) -> str:
    # UNVERIFIED: the docs allow offsets such as "-6:00"; Java's TimeZone would read a
    # bare offset as an unknown id (GMT). We read it as the offset the author meant.
    return f"GMT{zone}" if _BARE_OFFSET.fullmatch(zone) else zone


def _parse_one(start: int, end: int, body: str) -> Placeholder:
    text = "${" + body + "}"
    descriptor, _, rest = body.partition(":")
    has_argument = ":" in body
    # Descriptors are matched without regard to case: the docs write both
    # "dateTimeZone" and "DateTimeZone" (UNVERIFIED for the others).
    kind = descriptor.strip().lower()
    if kind in ("epoch", "milliseconds"):
        unit = rest.strip() if has_argument and kind == "epoch" else "ms"
        if kind == "milliseconds" and has_argument:
            raise PlaceholderError(f"{text}: ${{milliseconds}} takes no argument")
        if unit not in _EPOCH_UNITS:
            raise PlaceholderError(f"{text}: unknown epoch unit {unit!r} (use s, ms or us)")
        return Placeholder(start, end, text, "epoch", unit=unit)
    if kind in ("date", "gmtdate"):
        pattern = rest if has_argument else DEFAULT_DATE_PATTERN
        zone = "GMT" if kind == "gmtdate" else None
    elif kind == "datetimezone":
        match = _OFFSET_ZONE.fullmatch(rest)
        if match is not None:
            zone, pattern = _zone_id(match.group(1)), match.group(2)
        else:
            zone, separator, pattern = rest.partition(":")
            if not separator:
                raise PlaceholderError(f"{text}: expected ${{dateTimeZone:ZONE:FORMAT}}")
        if not zone:
            raise PlaceholderError(f"{text}: the zone is empty")
    else:
        raise PlaceholderError(
            f"{text}: unknown placeholder {descriptor!r} "
            "(known: gmtDate, date, dateTimeZone, epoch, milliseconds)"
        )
    if not pattern:
        raise PlaceholderError(f"{text}: the date format is empty")
    try:
        SimpleDateFormat(pattern)
    except DatePatternError as exc:
        raise PlaceholderError(f"{text}: date format {pattern!r} does not compile: {exc}") from None
    return Placeholder(start, end, text, "date", pattern=pattern, zone=zone)


def find_placeholders(url: str) -> list[Placeholder]:
    """Every ``${…}`` in ``url``, in order; :class:`PlaceholderError` for the first bad one."""
    found: list[Placeholder] = []
    index = 0
    while (start := url.find("${", index)) >= 0:
        close = url.find("}", start + 2)
        if close < 0:
            raise PlaceholderError(f"unterminated placeholder at index {start}: {url[start:]!r}")
        found.append(_parse_one(start, close + 1, url[start + 2 : close]))
        index = close + 1
    return found


def _encode_component(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for escape in _ESCAPE.finditer(text):
        pieces.append(quote(text[last : escape.start()], safe=_QUERY_SAFE))
        pieces.append(escape.group(0))
        last = escape.end()
    pieces.append(quote(text[last:], safe=_QUERY_SAFE))
    return "".join(pieces)


def encode_query(query: str) -> str:
    """Percent-encode each key and value of ``query``; ``&`` and ``=`` stay delimiters."""
    encoded: list[str] = []
    for pair in query.split("&"):
        key, separator, value = pair.partition("=")
        encoded.append(_encode_component(key) + separator + _encode_component(value))
    return "&".join(encoded)


def expand_url(url: str, last_poll: datetime, *, default_timezone: str = "GMT") -> str:
    """``url`` with every placeholder replaced by ``last_poll`` and its query percent-encoded.

    ``default_timezone`` is the zone of ``${date:…}`` (a Java zone id). Raises
    :class:`PlaceholderError` for a placeholder that cannot be expanded.
    """
    pieces: list[str] = []
    last = 0
    for placeholder in find_placeholders(url):
        pieces.append(url[last : placeholder.start])
        pieces.append(placeholder.render(last_poll, default_timezone))
        last = placeholder.end
    pieces.append(url[last:])
    expanded = "".join(pieces)
    path, separator, query = expanded.partition("?")
    return path + separator + encode_query(query) if separator else path
