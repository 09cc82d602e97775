"""A port of Java's ``java.text.SimpleDateFormat`` (English locale, Gregorian calendar).

Cloud Elements reads and writes poller dates with SimpleDateFormat patterns, and
its quirks decide which records a poll delivers, so they are reproduced here
rather than approximated with ``strptime``:

* only a prefix of the text has to match (trailing text is ignored);
* numbers are greedy unless the next pattern element is an adjacent numeric
  field (``yyyyMMdd``), in which case exactly ``count`` characters are read;
* ``S`` is a count of milliseconds, not a fraction (``.451000`` with ``SSSSSS``
  adds 451 seconds);
* lenient by default: ``2017-02-30`` is 2017-03-02, ``13:61`` is 14:01;
* missing fields default to 1970-01-01 00:00:00.000 in the formatter's zone,
  unless the text carries a zone (``z``, ``Z``, ``X``);
* two-digit years (``yy``) land within 80 years before and 20 after "now".

Known simplifications: the calendar is proleptic Gregorian (Java switches to
Julian before 1582-10-15); week fields ``w``/``W``/``F`` and weekday ``E``/``u``
are formatted, but when parsing they only decide the date together with a
week year ``Y`` (Java's week-date rule); otherwise year, month and day (or day
of year ``D``) decide it, which is what Java does for the patterns seen in
practice.

The keyword ``milliseconds`` (epoch milliseconds) is handled by :class:`DateCodec`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final

from pytest_woosim.instance.zones import JavaZone, java_timezone, zone_name_offsets

__all__ = [
    "MILLISECONDS",
    "DateCodec",
    "DateParseError",
    "DatePatternError",
    "Field",
    "Literal",
    "SimpleDateFormat",
    "compile_pattern",
]

#: The one non-pattern keyword of Cloud Elements' date format fields: epoch milliseconds.
MILLISECONDS: Final = "milliseconds"

#: Every letter SimpleDateFormat knows; any other ASCII letter is an error.
PATTERN_LETTERS: Final = "GyMdkHmsSEDFwWahKzZYuXL"

# Letters whose parse reads a number (for ``M``/``L`` only when count <= 2).
_NUMERIC_LETTERS: Final = frozenset("ydkHmsSDFwWhKYu")

_MONTHS: Final = (
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
_SHORT_MONTHS: Final = tuple(name[:3] for name in _MONTHS)
# Java's DAY_OF_WEEK order: Sunday = 1.
_WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_SHORT_WEEKDAYS: Final = tuple(name[:3] for name in _WEEKDAYS)
_AM_PM: Final = ("AM", "PM")
_ERAS: Final = ("BC", "AD")

# Longest first, so "PDT" never shadows a longer name that starts the same way.
_ZONE_NAMES_LONGEST_FIRST: Final = sorted(
    zone_name_offsets().items(), key=lambda item: len(item[0]), reverse=True
)

_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


class DatePatternError(ValueError):
    """The pattern does not compile (Java's ``IllegalArgumentException``)."""


class DateParseError(ValueError):
    """The text does not match the pattern (Java's ``ParseException``).

    ``error_index`` is where in the text matching failed.
    """

    def __init__(self, message: str, error_index: int = 0) -> None:
        super().__init__(message)
        self.error_index = error_index


@dataclass(frozen=True)
class Literal:
    """Text that must appear as is (quoted text or a non-letter)."""

    text: str


@dataclass(frozen=True)
class Field:
    """A run of one pattern letter; ``count`` is the run's length."""

    letter: str
    count: int

    @property
    def numeric(self) -> bool:
        """Whether parsing this field reads a number."""
        if self.letter in "ML":
            return self.count <= 2
        return self.letter in _NUMERIC_LETTERS


Element = Literal | Field


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Element, ...]:
    """Split ``pattern`` into literals and fields, as ``SimpleDateFormat.compile`` does.

    Raises :class:`DatePatternError` for an unterminated quote, a letter that is
    not a pattern letter, or four or more ``X``. Compiled patterns are cached
    (the result is immutable; errors are not cached and raise again).
    """
    elements: list[Element] = []
    literal: list[str] = []
    letter = ""
    count = 0

    def flush_field() -> None:
        nonlocal letter, count
        if count:
            if letter == "X" and count >= 4:
                raise DatePatternError(
                    f"invalid ISO 8601 format: length={count} (use X, XX or XXX)"
                )
            if literal:
                elements.append(Literal("".join(literal)))
                literal.clear()
            elements.append(Field(letter, count))
        letter, count = "", 0

    in_quote = False
    quoted: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "'":
            if index < len(pattern) and pattern[index] == "'":
                # '' is one literal quote, inside or outside a quoted section.
                index += 1
                flush_field()
                (quoted if in_quote else literal).append("'")
                continue
            if not in_quote:
                flush_field()
                quoted = []
                in_quote = True
            else:
                literal.extend(quoted)
                in_quote = False
            continue
        if in_quote:
            quoted.append(char)
            continue
        if not ("a" <= char <= "z" or "A" <= char <= "Z"):
            flush_field()
            literal.append(char)
            continue
        if char not in PATTERN_LETTERS:
            raise DatePatternError(f"Illegal pattern character '{char}'")
        if letter and letter != char:
            flush_field()
        letter = char
        count += 1
    if in_quote:
        raise DatePatternError("Unterminated quote")
    flush_field()
    if literal:
        elements.append(Literal("".join(literal)))
    return tuple(elements)


def _obeys_count(element: Element) -> bool:
    """Java's ``shouldObeyCount``: a following numeric field makes the current one fixed-width."""
    return isinstance(element, Field) and element.numeric


def _java_int(digits: str, negative: bool) -> int:
    """The ``int`` Java gets from DecimalFormat: a long wrapped to 32 bits, or saturated."""
    if len(digits) > 18:
        return _INT_MIN if negative else _INT_MAX
    value = -int(digits) if negative else int(digits)
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _week_one_start(year: int) -> int:
    """Ordinal of the Sunday that starts week 1 (the week holding January 1; US rules)."""
    jan1 = date(year, 1, 1).toordinal()
    return jan1 - (date.fromordinal(jan1).isoweekday() % 7)


def _us_week_of_year(day: date) -> tuple[int, int]:
    """(week year, week of year) with Sunday-first weeks and 1 minimal day (Java's US locale)."""
    sunday = day.toordinal() - day.isoweekday() % 7
    saturday_year = day.year
    if sunday + 6 <= date.max.toordinal():
        saturday_year = date.fromordinal(sunday + 6).year
    if saturday_year > day.year:
        return saturday_year, 1
    return day.year, (sunday - _week_one_start(day.year)) // 7 + 1


def _zone_for(timezone: str | tzinfo | JavaZone) -> JavaZone:
    if isinstance(timezone, JavaZone):
        return timezone
    if isinstance(timezone, str):
        return java_timezone(timezone)
    name = getattr(timezone, "key", None) or timezone.tzname(None) or "custom"
    return JavaZone(str(name), timezone)


def _local_to_utc(local: datetime, tz: tzinfo) -> datetime:
    """Wall time to an instant; in a DST gap or overlap Java takes the smaller offset."""
    earlier = local.replace(tzinfo=tz, fold=0)
    later = local.replace(tzinfo=tz, fold=1)
    offsets = [earlier.utcoffset() or timedelta(0), later.utcoffset() or timedelta(0)]
    return (local - min(offsets)).replace(tzinfo=UTC)


@dataclass
class _Parsed:
    """Calendar fields set while parsing, with the order they were set in (Java's stamps)."""

    values: dict[str, int] = field(default_factory=dict)
    stamps: dict[str, int] = field(default_factory=dict)
    offset_minutes: int | None = None
    ambiguous_year: bool = False

    counter: int = 0

    def set(self, name: str, value: int) -> None:
        self.counter += 1
        self.values[name] = value
        self.stamps[name] = self.counter

    def stamp(self, name: str) -> int:
        return self.stamps.get(name, 0)


# ------------------------------------------------------------------ compiled matcher
# The general parser below walks the pattern a character at a time and keeps
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
    name.lower(): index for names in (_SHORT_MONTHS, _MONTHS) for index, name in enumerate(names)
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
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
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
def _compiled_matcher(elements: tuple[Element, ...]) -> _Matcher | None:
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
            fixed = following is not None and _obeys_count(following)
            parts.append(_number_regex(count, fixed))
            kinds.append(kind)
        elif letter in "ML":
            parts.append("(" + _names_regex(_MONTHS, _SHORT_MONTHS) + ")")
            kinds.append(_MONTH_NAME)
        elif letter == "E":
            parts.append(_names_regex(_WEEKDAYS, _SHORT_WEEKDAYS))
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


def _fixed_offset(tz: tzinfo) -> timedelta | None:
    """The offset of a fixed zone; None for zones with rules."""
    if isinstance(tz, timezone):
        return tz.utcoffset(None)
    return None


class SimpleDateFormat:
    """``new SimpleDateFormat(pattern)`` with ``setTimeZone(timezone)`` and ``setLenient(lenient)``.

    ``timezone`` is a Java zone id (``GMT``, ``EST``, ``America/Denver``,
    ``GMT-06:00``; unknown ids mean GMT, as in Java) or a tzinfo. ``now`` fixes
    the instant two-digit years are placed around (default: the real now).
    ``compiled=False`` reads every text with the general parser only (the
    reference the compiled matcher is checked against).
    Raises :class:`DatePatternError` if the pattern does not compile.
    """

    def __init__(
        self,
        pattern: str,
        timezone: str | tzinfo | JavaZone = "GMT",
        *,
        lenient: bool = True,
        now: datetime | None = None,
        compiled: bool = True,
    ) -> None:
        self.pattern = pattern
        self.elements = compile_pattern(pattern)
        self.zone = _zone_for(timezone)
        self.lenient = lenient
        self._matcher = _compiled_matcher(self.elements) if compiled else None
        self._fixed_offset = _fixed_offset(self.zone.tz)
        # Java: the default century starts 80 years before the formatter was made.
        # This is about real "now" only when no instant is given (Java's own rule).
        reference = now if now is not None else datetime.now(UTC)
        reference = reference.replace(tzinfo=UTC) if reference.tzinfo is None else reference
        local_reference = reference.astimezone(self.zone.tz).replace(tzinfo=None)
        year = max(local_reference.year - 80, 1)
        try:
            century_start = local_reference.replace(year=year)
        except ValueError:  # 29 February: Calendar.add pins it to the 28th
            century_start = local_reference.replace(year=year, day=28)
        self._century_start = _local_to_utc(century_start, self.zone.tz)
        self._century_start_year = year
        # Two-digit years: this century, or the next one below the ambiguous value.
        self._century_base = (year // 100) * 100
        self._ambiguous_two_digits = year % 100

    @property
    def compiled(self) -> bool:
        """Whether texts are read by the compiled matcher first (else the general parser only)."""
        return self._matcher is not None

    def __repr__(self) -> str:
        return f"SimpleDateFormat({self.pattern!r}, {self.zone.id!r})"

    # ------------------------------------------------------------------ format
    def format(self, instant: datetime) -> str:
        """The text for ``instant`` (a naive datetime is taken as UTC), at millisecond precision."""
        utc = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
        local = utc.astimezone(self.zone.tz)
        parts: list[str] = []
        for element in self.elements:
            if isinstance(element, Literal):
                parts.append(element.text)
            else:
                parts.append(self._format_field(element, local, utc))
        return "".join(parts)

    def _format_field(self, element: Field, local: datetime, utc: datetime) -> str:
        letter, count = element.letter, element.count

        def number(value: int) -> str:
            return f"{value:0{count}d}"

        if letter == "G":
            return "AD"
        if letter in "yY":
            year = _us_week_of_year(local.date())[0] if letter == "Y" else local.year
            return f"{year % 100:02d}" if count == 2 else number(year)
        if letter in "ML":
            if count >= 4:
                return _MONTHS[local.month - 1]
            if count == 3:
                return _SHORT_MONTHS[local.month - 1]
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
            return _WEEKDAYS[weekday] if count >= 4 else _SHORT_WEEKDAYS[weekday]
        if letter == "u":
            return number(local.isoweekday())
        if letter == "D":
            return number(local.timetuple().tm_yday)
        if letter == "F":
            return number((local.day - 1) // 7 + 1)
        if letter == "w":
            return number(_us_week_of_year(local.date())[1])
        if letter == "W":
            first_weekday = local.replace(day=1).isoweekday() % 7
            return number((local.day - 1 + first_weekday) // 7 + 1)
        if letter == "a":
            return _AM_PM[local.hour >= 12]
        if letter == "z":
            return self.zone.long_name(utc) if count >= 4 else self.zone.short_name(utc)
        # Z and X: Java truncates the offset to whole minutes.
        minutes = int(self.zone.offset_at(utc).total_seconds() / 60)
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

    # ------------------------------------------------------------------- parse
    def parse(self, text: str) -> datetime:
        """The instant (aware, UTC) that a prefix of ``text`` denotes.

        Raises :class:`DateParseError` (only) when the text does not match.
        """
        if self._matcher is not None and type(text) is str:
            instant = self._parse_compiled(text)
            if instant is not None:
                return instant
        return self._parse_general(text)

    def _parse_general(self, text: str) -> datetime:
        if not isinstance(text, str):
            raise DateParseError(f"expected text, got {type(text).__name__}")
        parsed = _Parsed()
        position = 0
        for index, element in enumerate(self.elements):
            if isinstance(element, Literal):
                for char in element.text:
                    if position >= len(text) or text[position] != char:
                        raise DateParseError(self._unparseable(text, position), position)
                    position += 1
                continue
            following = self.elements[index + 1] if index + 1 < len(self.elements) else None
            obey = following is not None and _obeys_count(following)
            position = self._parse_field(text, position, element, obey, parsed)
        if position == 0:
            raise DateParseError(self._unparseable(text, 0), 0)
        result = self._resolve(parsed)
        if parsed.ambiguous_year and result < self._century_start:
            parsed.values["year"] += 100
            result = self._resolve(parsed)
        return result

    def _unparseable(self, text: str, position: int) -> str:
        return f"Unparseable date: {text!r} does not match {self.pattern!r} at index {position}"

    def _fail(self, text: str, position: int) -> DateParseError:
        return DateParseError(self._unparseable(text, position), position)

    def _read_number(self, text: str, start: int, count: int, obey: bool) -> tuple[int, int]:
        if obey:
            if start + count > len(text):
                raise self._fail(text, start)
            limit = start + count
        else:
            limit = len(text)
        position = start
        negative = position < limit and text[position] == "-"
        if negative:
            position += 1
        digits_start = position
        while position < limit and "0" <= text[position] <= "9":
            position += 1
        if position == digits_start:
            raise self._fail(text, start)
        return _java_int(text[digits_start:position], negative), position

    def _match_names(self, text: str, start: int, *groups: Sequence[str]) -> tuple[int, int]:
        """Index and end of the longest case-insensitive name match, trying each group in turn."""
        for names in groups:
            best_index, best_length = -1, 0
            for name_index, name in enumerate(names):
                length = len(name)
                if length > best_length and text[start : start + length].lower() == name.lower():
                    best_index, best_length = name_index, length
            if best_index >= 0:
                return best_index, start + best_length
        raise self._fail(text, start)

    def _parse_field(
        self, text: str, start: int, element: Field, obey: bool, parsed: _Parsed
    ) -> int:
        # Spaces and tabs before any field are skipped.
        while start < len(text) and text[start] in " \t":
            start += 1
        if start >= len(text):
            raise self._fail(text, start)
        letter, count = element.letter, element.count
        if element.numeric:
            value, end = self._read_number(text, start, count, obey)
            self._set_number(text, start, end, element, value, parsed)
            return end
        if letter in "ML":
            month, end = self._match_names(text, start, _MONTHS, _SHORT_MONTHS)
            parsed.set("month", month)
            return end
        if letter == "E":
            weekday, end = self._match_names(text, start, _WEEKDAYS, _SHORT_WEEKDAYS)
            parsed.set("weekday", weekday + 1)
            return end
        if letter == "a":
            am_pm, end = self._match_names(text, start, _AM_PM)
            parsed.set("am_pm", am_pm)
            return end
        if letter == "G":
            era, end = self._match_names(text, start, _ERAS)
            parsed.set("era", era)
            return end
        if letter == "X":
            return self._parse_iso_zone(text, start, count, parsed)
        return self._parse_general_zone(text, start, parsed)

    def _set_number(
        self, text: str, start: int, end: int, element: Field, value: int, parsed: _Parsed
    ) -> None:
        letter = element.letter
        if letter == "y":
            parsed.set("year", value)
            two_digits = end - start == 2 and text[start].isdigit() and text[start + 1].isdigit()
            if element.count <= 2 and two_digits:
                ambiguous = self._century_start_year % 100
                parsed.ambiguous_year = value == ambiguous
                parsed.values["year"] = (
                    value
                    + (self._century_start_year // 100) * 100
                    + (100 if value < ambiguous else 0)
                )
            return
        if letter in "ML":
            parsed.set("month", value - 1)
            return
        if letter in "kh":
            if not self.lenient and not 1 <= value <= (24 if letter == "k" else 12):
                raise self._fail(text, start)
            # k: 24 is midnight; h: 12 is hour 0 of its half-day.
            if value == (24 if letter == "k" else 12):
                value = 0
        names = {
            "d": "day",
            "H": "hour_of_day",
            "k": "hour_of_day",
            "K": "hour",
            "h": "hour",
            "m": "minute",
            "s": "second",
            "S": "millisecond",
            "D": "day_of_year",
            "F": "day_of_week_in_month",
            "w": "week_of_year",
            "W": "week_of_month",
            "Y": "week_year",
        }
        if letter == "u":
            # ISO day number (1 = Monday) to Java's DAY_OF_WEEK (1 = Sunday).
            parsed.set("weekday", value % 7 + 1)
            return
        parsed.set(names[letter], value)

    def _parse_numeric_zone(
        self, text: str, start: int, sign: int, count: int, colon: bool, parsed: _Parsed
    ) -> int:
        """Java's ``subParseNumericZone``: ``hh[[:]mm]``; one-digit hours only as ``h:mm``."""
        position = start

        def digit_at(index: int) -> int | None:
            if index < len(text) and "0" <= text[index] <= "9":
                return ord(text[index]) - 48
            return None

        first = digit_at(position)
        if first is None:
            raise self._fail(text, position)
        position += 1
        hours = first
        second = digit_at(position)
        if second is not None:
            hours = hours * 10 + second
            position += 1
        elif count > 0 or not colon:
            raise self._fail(text, position)
        if hours > 23:
            raise self._fail(text, position)
        minutes = 0
        if count != 1:
            if colon:
                if position >= len(text) or text[position] != ":":
                    raise self._fail(text, position)
                position += 1
            tens, units = digit_at(position), digit_at(position + 1)
            if tens is None or units is None:
                raise self._fail(text, position)
            minutes = tens * 10 + units
            position += 2
            if minutes > 59:
                raise self._fail(text, position)
        parsed.offset_minutes = sign * (hours * 60 + minutes)
        return position

    def _parse_iso_zone(self, text: str, start: int, count: int, parsed: _Parsed) -> int:
        char = text[start]
        if char == "Z":
            parsed.offset_minutes = 0
            return start + 1
        if char not in "+-":
            raise self._fail(text, start)
        sign = 1 if char == "+" else -1
        return self._parse_numeric_zone(text, start + 1, sign, count, count == 3, parsed)

    def _parse_general_zone(self, text: str, start: int, parsed: _Parsed) -> int:
        """``z`` and ``Z`` parse alike: ``±hhmm``, ``GMT``, ``GMT±h:mm`` or a zone name."""
        char = text[start]
        if char in "+-":
            sign = 1 if char == "+" else -1
            return self._parse_numeric_zone(text, start + 1, sign, 0, False, parsed)
        if char in "Gg" and text[start : start + 3].upper() == "GMT":
            position = start + 3
            if position >= len(text) or text[position] not in "+-":
                parsed.offset_minutes = 0
                return position
            sign = 1 if text[position] == "+" else -1
            return self._parse_numeric_zone(text, position + 1, sign, 0, True, parsed)
        for name, offset in _ZONE_NAMES_LONGEST_FIRST:
            if text[start : start + len(name)].lower() == name.lower():
                parsed.offset_minutes = offset
                return start + len(name)
        raise self._fail(text, start)

    # ------------------------------------------------------------ compiled parse
    def _parse_compiled(self, text: str) -> datetime | None:
        """The compiled matcher's reading of ``text``; None sends it to the general parser."""
        matcher = self._matcher
        if matcher is None:
            return None
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
                    value = _java_int(group[1:], True)
                else:
                    value = _java_int(group, False)
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
        return _local_to_utc(local, self.zone.tz)

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
            return _local_to_utc(_NAIVE_EPOCH + timedelta(microseconds=local_us), self.zone.tz)
        if not _MIN_US <= utc_us <= _MAX_US:
            return None
        return _EPOCH + timedelta(microseconds=utc_us)

    # ----------------------------------------------------------------- resolve
    def _resolve(self, parsed: _Parsed) -> datetime:
        try:
            local = self._local_fields(parsed)
        except (OverflowError, ValueError) as exc:
            raise DateParseError(f"date out of range for {self.pattern!r}: {exc}") from None
        try:
            if parsed.offset_minutes is not None:
                return (local - timedelta(minutes=parsed.offset_minutes)).replace(tzinfo=UTC)
            return _local_to_utc(local, self.zone.tz)
        except OverflowError:
            raise DateParseError(f"date out of range for {self.pattern!r}") from None

    def _local_fields(self, parsed: _Parsed) -> datetime:
        values, stamp = parsed.values, parsed.stamp
        year = values.get("year", 1970)
        if values.get("era", 1) == 0:
            year = 1 - year
        if stamp("week_year") > stamp("year"):
            day_ordinal = self._week_date(parsed)
        else:
            month = values.get("month", 0)
            year += month // 12
            month %= 12
            if stamp("day_of_year") > max(stamp("day"), stamp("month")):
                day_ordinal = date(year, 1, 1).toordinal() + values["day_of_year"] - 1
                self._check_range(parsed, "day_of_year", 1, 366)
            else:
                day = values.get("day", 1)
                if not self.lenient:
                    self._check_range(parsed, "month", 0, 11)
                    last_day = (
                        date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
                        - date(year, month + 1, 1)
                    ).days
                    self._check_range(parsed, "day", 1, last_day)
                day_ordinal = date(year, month + 1, 1).toordinal() + day - 1
        milliseconds = self._time_of_day_ms(parsed)
        midnight = datetime.combine(date.fromordinal(day_ordinal), datetime.min.time())
        return midnight + timedelta(milliseconds=milliseconds)

    def _week_date(self, parsed: _Parsed) -> int:
        """Java's ``setWeekDate(weekYear, weekOfYear, dayOfWeek)`` with US week rules."""
        values = parsed.values
        week = values.get("week_of_year", 1)
        weekday = values.get("weekday", 1)
        return _week_one_start(values["week_year"]) + 7 * (week - 1) + (weekday - 1)

    def _time_of_day_ms(self, parsed: _Parsed) -> int:
        values, stamp = parsed.values, parsed.stamp
        hour_stamp = max(stamp("hour"), stamp("am_pm")) if stamp("hour") and stamp("am_pm") else 0
        best = max(hour_stamp, stamp("hour_of_day"))
        if best == 0:
            best = max(stamp("hour"), stamp("am_pm"))
        if best and best == stamp("hour_of_day"):
            hours = values["hour_of_day"]
            self._check_range(parsed, "hour_of_day", 0, 23)
        else:
            hours = values.get("hour", 0) + 12 * values.get("am_pm", 0)
            self._check_range(parsed, "hour", 0, 11)
        for name, high in (("minute", 59), ("second", 59), ("millisecond", 999)):
            self._check_range(parsed, name, 0, high)
        return (
            (hours * 60 + values.get("minute", 0)) * 60 + values.get("second", 0)
        ) * 1000 + values.get("millisecond", 0)

    def _check_range(self, parsed: _Parsed, name: str, low: int, high: int) -> None:
        if self.lenient or name not in parsed.values:
            return
        value = parsed.values[name]
        if not low <= value <= high:
            raise DateParseError(
                f"{name.replace('_', ' ')} {value} is out of range {low}..{high} "
                f"(the format is not lenient)"
            )


class DateCodec:
    """A Cloud Elements date format field: a SimpleDateFormat pattern or ``milliseconds``.

    ``parse`` accepts what a record's date field may hold (text, or a number for
    ``milliseconds``) and returns an aware UTC datetime; ``format`` is the inverse.
    Raises :class:`DatePatternError` for a pattern that does not compile.
    """

    def __init__(
        self,
        date_format: str,
        timezone: str | tzinfo | JavaZone = "GMT",
        *,
        now: datetime | None = None,
    ) -> None:
        self.date_format = date_format
        self.epoch_milliseconds = date_format == MILLISECONDS
        self._pattern = (
            None if self.epoch_milliseconds else SimpleDateFormat(date_format, timezone, now=now)
        )

    def __repr__(self) -> str:
        return f"DateCodec({self.date_format!r})"

    def parse(self, value: str | int | float) -> datetime:
        """The instant ``value`` denotes; raises :class:`DateParseError`."""
        pattern = self._pattern
        if pattern is not None and type(value) is str:
            return pattern.parse(value)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise DateParseError(f"expected a date string or number, got {type(value).__name__}")
        if self._pattern is not None:
            if isinstance(value, float):
                value = str(int(value)) if value.is_integer() else str(value)
            return self._pattern.parse(str(value))
        return _from_epoch_milliseconds(value)

    def format(self, instant: datetime) -> str:
        """The text (or digits, for ``milliseconds``) for ``instant``; naive means UTC."""
        if self._pattern is not None:
            return self._pattern.format(instant)
        utc = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
        return str((utc - _EPOCH) // timedelta(milliseconds=1))


_INTEGER: Final = re.compile(r"-?[0-9]+")


def _from_epoch_milliseconds(value: str | int | float) -> datetime:
    try:
        if isinstance(value, str):
            text = value.strip()
            if len(text) > 40:
                raise ValueError
            number: int | float = int(text) if _INTEGER.fullmatch(text) else float(text)
        else:
            number = value
        if not math.isfinite(number):
            raise ValueError
        return _EPOCH + timedelta(milliseconds=number)
    except (ValueError, OverflowError):
        raise DateParseError(f"not a number of epoch milliseconds: {value!r}") from None
