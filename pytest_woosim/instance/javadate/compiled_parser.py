"""SimpleDateFormat's fast path: the common patterns compiled into one regular expression."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

from pytest_woosim.instance.javadate.calendar_rules import (
    EPOCH,
    MONTHS,
    SHORT_MONTHS,
    SHORT_WEEKDAYS,
    WEEKDAYS,
    Century,
    fixed_offset,
    java_int,
    local_to_utc,
)
from pytest_woosim.instance.javadate.pattern import Element, Field, Literal, obeys_count
from pytest_woosim.instance.zones import JavaZone

# The general parser (general_parser.py) walks the pattern a character at a time and keeps
# Java's field stamps: faithful, but about 0.1 ms a date, and the poller reads
# two dates per record. Patterns made of the common fields therefore also
# compile (once, cached) into one regular expression built from our own tokens,
# which reproduces the general parser's matching exactly: prefix match, spaces
# and tabs skipped before each field, greedy numbers that never give digits
# back (atomic groups), fixed-width numbers before an adjacent numeric field,
# ``S`` as milliseconds, names matched case-insensitively in ASCII. A flat
# resolver then does the lenient arithmetic. Whatever it does not take (text
# the expression does not match, a value out of range when not lenient or out
# of datetime's range, a zone offset out of range) goes to the general parser,
# which gives the answer or the error: the compiled path never raises.

# What each capture group of a compiled matcher holds; the numeric kinds come first.
_YEAR: Final = 0  # y with count >= 3: taken literally
_SHORT_YEAR: Final = 1  # y, yy: two digits are placed in the default century
_MONTH: Final = 2
_DAY: Final = 3
_HOUR_OF_DAY: Final = 4  # H
_HOUR_1_24: Final = 5  # k: 24 is midnight
_HOUR_0_11: Final = 6  # K
_HOUR_1_12: Final = 7  # h: 12 is hour 0 of its half-day
_MINUTE: Final = 8
_SECOND: Final = 9
_MILLISECOND: Final = 10
_MONTH_NAME: Final = 11
_AM_PM_NAME: Final = 12
_ZONE_OFFSET: Final = 13  # X: Z or +-hh[[:]mm]; Z and z: +-hhmm (names go to the general parser)

_NUMBER_KINDS: Final = {
    "M": _MONTH,
    "L": _MONTH,
    "d": _DAY,
    "H": _HOUR_OF_DAY,
    "k": _HOUR_1_24,
    "K": _HOUR_0_11,
    "h": _HOUR_1_12,
    "m": _MINUTE,
    "s": _SECOND,
    "S": _MILLISECOND,
}
_MONTH_BY_NAME: Final = {
    name.lower(): index for names in (SHORT_MONTHS, MONTHS) for index, name in enumerate(names)
}
_ZONE_OFFSET_REGEX: Final = {
    "X1": "(Z|[+-][0-9][0-9])",
    "X2": "(Z|[+-][0-9]{4})",
    "X3": "(Z|[+-][0-9][0-9]:[0-9][0-9])",
    "Z": "([+-][0-9]{4})",
}
# Spaces and tabs before a field are skipped, and never given back.
_SKIP_BLANKS: Final = "[ \t]*+"

_US_PER_DAY: Final = 86_400_000_000
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)
_EPOCH_ORDINAL: Final = _NAIVE_EPOCH.toordinal()
_MAX_ORDINAL: Final = date.max.toordinal()
_MIN_US: Final = (datetime.min - _NAIVE_EPOCH) // timedelta(microseconds=1)
_MAX_US: Final = (datetime.max - _NAIVE_EPOCH) // timedelta(microseconds=1)
_ONE_US: Final = timedelta(microseconds=1)


@dataclass(frozen=True)
class _Matcher:
    """A compiled pattern: its expression's ``match`` and what each group holds."""

    match: Callable[[str], re.Match[str] | None]
    kinds: tuple[int, ...]


def _names_regex(*groups: Sequence[str]) -> str:
    """Names of each group longest first, groups in order, committed once matched.

    The general parser takes the longest name of the first group that matches
    and never tries another, so an atomic alternation in that order is the same.
    ASCII classes rather than IGNORECASE: ``str.lower`` and ``re`` disagree on a
    few non-ASCII letters, which the general parser then decides.
    """
    alternatives = [
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in name)
        for names in groups
        for name in sorted(names, key=len, reverse=True)
    ]
    return "(?>" + "|".join(alternatives) + ")"


def _number_regex(count: int, fixed: bool) -> str:
    """Java's number reading: an optional ``-`` and ASCII digits, greedy or within ``count``."""
    if not fixed:
        return "(?>(-?[0-9]+))"
    if count == 1:
        return "([0-9])"
    # Fixed width needs ``count`` characters left, and reads at most that many.
    return f"(?=[\\s\\S]{{{count}}})(?>(-[0-9]{{1,{count - 1}}}|[0-9]{{1,{count}}}))"


@lru_cache(maxsize=256)
def compiled_matcher(elements: tuple[Element, ...]) -> _Matcher | None:
    """The compiled matcher of a pattern, or None when only the general parser can read it.

    Taken: literals, ``y M L d H k K h m s S`` as numbers, ``MMM``+ month names,
    ``E`` (matched, not used: weekdays only count with week fields), ``a``, and
    zone offsets ``X``, ``Z``, ``z``. Week and day-of-year fields, eras, and
    ``H``/``k`` mixed with ``h``/``K``/``a`` (Calendar's "most recently set"
    rule) are left to the general parser.
    """
    if not elements:
        return None
    letters = {element.letter for element in elements if isinstance(element, Field)}
    if letters & set("Hk") and letters & set("hKa"):
        return None
    parts: list[str] = []
    kinds: list[int] = []
    for index, element in enumerate(elements):
        if isinstance(element, Literal):
            parts.append(re.escape(element.text))
            continue
        letter, count = element.letter, element.count
        parts.append(_SKIP_BLANKS)
        if element.numeric:
            if letter == "y":
                kind = _SHORT_YEAR if count <= 2 else _YEAR
            elif letter in _NUMBER_KINDS:
                kind = _NUMBER_KINDS[letter]
            else:
                return None
            following = elements[index + 1] if index + 1 < len(elements) else None
            fixed = following is not None and obeys_count(following)
            parts.append(_number_regex(count, fixed))
            kinds.append(kind)
        elif letter in "ML":
            parts.append("(" + _names_regex(MONTHS, SHORT_MONTHS) + ")")
            kinds.append(_MONTH_NAME)
        elif letter == "E":
            parts.append(_names_regex(WEEKDAYS, SHORT_WEEKDAYS))
        elif letter == "a":
            parts.append("([AaPp][Mm])")
            kinds.append(_AM_PM_NAME)
        elif letter == "X":
            parts.append(_ZONE_OFFSET_REGEX[f"X{count}"])
            kinds.append(_ZONE_OFFSET)
        elif letter in "Zz":
            parts.append(_ZONE_OFFSET_REGEX["Z"])
            kinds.append(_ZONE_OFFSET)
        else:
            return None
    return _Matcher(re.compile("".join(parts)).match, tuple(kinds))


class CompiledParser:
    """Reads the texts ``matcher`` takes (see above); None for any other."""

    def __init__(
        self,
        matcher: _Matcher,
        zone: JavaZone,
        *,
        lenient: bool,
        century: Century,
    ) -> None:
        self._matcher = matcher
        self.zone = zone
        self.lenient = lenient
        self._fixed_offset = fixed_offset(zone.tz)
        self._century_start = century.start
        # Two-digit years: this century, or the next one below the ambiguous value.
        self._century_base = (century.start_year // 100) * 100
        self._ambiguous_two_digits = century.start_year % 100

    def parse(self, text: str) -> datetime | None:
        """The compiled matcher's reading of ``text``; None sends it to the general parser."""
        matcher = self._matcher
        match = matcher.match(text)
        if match is None:
            return None
        lenient = self.lenient
        year = 1970
        month: int | None = None
        day: int | None = None
        hour_of_day: int | None = None
        hour: int | None = None
        am_pm = 0
        minute: int | None = None
        second: int | None = None
        millisecond: int | None = None
        offset_minutes: int | None = None
        ambiguous_year = False
        for kind, group in zip(matcher.kinds, match.groups(), strict=True):
            if kind < _MONTH_NAME:
                # Up to nine characters always fit Java's int; longer ones wrap or saturate.
                if len(group) < 10:
                    value = int(group)
                elif group[0] == "-":
                    value = java_int(group[1:], True)
                else:
                    value = java_int(group, False)
                if kind == _YEAR:
                    year = value
                elif kind == _SHORT_YEAR:
                    year = value
                    if len(group) == 2 and group[0] != "-":
                        ambiguous = self._ambiguous_two_digits
                        ambiguous_year = value == ambiguous
                        year = value + self._century_base + (100 if value < ambiguous else 0)
                elif kind == _MONTH:
                    month = value - 1
                elif kind == _DAY:
                    day = value
                elif kind == _HOUR_OF_DAY:
                    hour_of_day = value
                elif kind == _HOUR_1_24:
                    if not lenient and not 1 <= value <= 24:
                        return None
                    hour_of_day = 0 if value == 24 else value
                elif kind == _HOUR_0_11:
                    hour = value
                elif kind == _HOUR_1_12:
                    if not lenient and not 1 <= value <= 12:
                        return None
                    hour = 0 if value == 12 else value
                elif kind == _MINUTE:
                    minute = value
                elif kind == _SECOND:
                    second = value
                else:
                    millisecond = value
            elif kind == _MONTH_NAME:
                month = _MONTH_BY_NAME[group.lower()]
            elif kind == _AM_PM_NAME:
                am_pm = 0 if group[0] in "Aa" else 1
            elif group == "Z":
                offset_minutes = 0
            else:
                # +hh, +hhmm or +hh:mm; hours above 23 or minutes above 59 do not parse.
                hours = int(group[1:3])
                minutes = int(group[-2:]) if len(group) > 3 else 0
                if hours > 23 or minutes > 59:
                    return None
                offset_minutes = hours * 60 + minutes
                if group[0] == "-":
                    offset_minutes = -offset_minutes
        if hour_of_day is not None:
            if not lenient and not 0 <= hour_of_day <= 23:
                return None
            hours = hour_of_day
        else:
            if hour is not None and not lenient and not 0 <= hour <= 11:
                return None
            hours = (hour or 0) + 12 * am_pm
        if not lenient and not (
            (minute is None or 0 <= minute <= 59)
            and (second is None or 0 <= second <= 59)
            and (millisecond is None or 0 <= millisecond <= 999)
        ):
            return None
        clock = (hours, minute or 0, second or 0, millisecond or 0)
        try:
            instant = self._compiled_instant(year, month, day, clock, offset_minutes)
            if instant is not None and ambiguous_year and instant < self._century_start:
                instant = self._compiled_instant(year + 100, month, day, clock, offset_minutes)
        except (ValueError, OverflowError):
            return None
        return instant

    def _compiled_instant(
        self,
        year: int,
        month: int | None,
        day: int | None,
        clock: tuple[int, int, int, int],
        offset_minutes: int | None,
    ) -> datetime | None:
        """Calendar fields (rolled over when lenient) to an instant; None if they cannot be."""
        normal_month = 0 if month is None else month
        year += normal_month // 12
        normal_month %= 12
        if not self.lenient:
            if month is not None and not 0 <= month <= 11:
                return None
            if day is not None:
                next_month = normal_month + 1
                last_day = (
                    date(year + next_month // 12, next_month % 12 + 1, 1)
                    - date(year, normal_month + 1, 1)
                ).days
                if not 1 <= day <= last_day:
                    return None
        hours, minute, second, millisecond = clock
        fixed_zone = offset_minutes is not None or self._fixed_offset is not None
        try:
            # Every field in its range (the usual case): the datetime is the answer.
            local = datetime(
                year,
                normal_month + 1,
                1 if day is None else day,
                hours,
                minute,
                second,
                millisecond * 1000,
                tzinfo=UTC if fixed_zone else None,
            )
        except ValueError:
            return self._rolled_over_instant(year, normal_month, day, clock, offset_minutes)
        if offset_minutes is not None:
            return local - timedelta(minutes=offset_minutes) if offset_minutes else local
        if self._fixed_offset is not None:
            return local - self._fixed_offset if self._fixed_offset else local
        return local_to_utc(local, self.zone.tz)

    def _rolled_over_instant(
        self,
        year: int,
        month: int,
        day: int | None,
        clock: tuple[int, int, int, int],
        offset_minutes: int | None,
    ) -> datetime | None:
        """Lenient arithmetic: any field out of its range carries into the next."""
        hours, minute, second, millisecond = clock
        milliseconds = ((hours * 60 + minute) * 60 + second) * 1000 + millisecond
        ordinal = date(year, month + 1, 1).toordinal() + (0 if day is None else day - 1)
        if not 1 <= ordinal <= _MAX_ORDINAL:
            return None
        local_us = (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY + milliseconds * 1000
        if not _MIN_US <= local_us <= _MAX_US:
            return None
        if offset_minutes is not None:
            utc_us = local_us - offset_minutes * 60_000_000
        elif self._fixed_offset is not None:
            utc_us = local_us - self._fixed_offset // _ONE_US
        else:
            return local_to_utc(_NAIVE_EPOCH + timedelta(microseconds=local_us), self.zone.tz)
        if not _MIN_US <= utc_us <= _MAX_US:
            return None
        return EPOCH + timedelta(microseconds=utc_us)


__all__ = ["CompiledParser", "compiled_matcher"]
