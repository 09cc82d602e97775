"""SimpleDateFormat's general parser: every pattern, a character at a time, Java's rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from pytest_woosim.instance.javadate.calendar_rules import (
    AM_PM,
    ERAS,
    MONTHS,
    SHORT_MONTHS,
    SHORT_WEEKDAYS,
    WEEKDAYS,
    Century,
    java_int,
    local_to_utc,
    week_one_start,
)
from pytest_woosim.instance.javadate.pattern import (
    DateParseError,
    Element,
    Field,
    Literal,
    obeys_count,
)
from pytest_woosim.instance.zones import JavaZone, zone_name_offsets

# Longest first, so "PDT" never shadows a longer name that starts the same way.
_ZONE_NAMES_LONGEST_FIRST: Final = sorted(
    zone_name_offsets().items(), key=lambda item: len(item[0]), reverse=True
)


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


class GeneralParser:
    """Reads a text the way Java's ``SimpleDateFormat.parse`` does, field by field,
    keeping the order fields were set in (Calendar's stamps) to resolve them.

    ``century``: where two-digit years land.
    """

    def __init__(
        self,
        pattern: str,
        elements: tuple[Element, ...],
        zone: JavaZone,
        *,
        lenient: bool,
        century: Century,
    ) -> None:
        self.pattern = pattern
        self.elements = elements
        self.zone = zone
        self.lenient = lenient
        self._century_start = century.start
        self._century_start_year = century.start_year

    def parse(self, text: str) -> datetime:
        """The instant (aware, UTC) a prefix of ``text`` denotes; raises :class:`DateParseError`."""
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
            obey = following is not None and obeys_count(following)
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
        return java_int(text[digits_start:position], negative), position

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
            month, end = self._match_names(text, start, MONTHS, SHORT_MONTHS)
            parsed.set("month", month)
            return end
        if letter == "E":
            weekday, end = self._match_names(text, start, WEEKDAYS, SHORT_WEEKDAYS)
            parsed.set("weekday", weekday + 1)
            return end
        if letter == "a":
            am_pm, end = self._match_names(text, start, AM_PM)
            parsed.set("am_pm", am_pm)
            return end
        if letter == "G":
            era, end = self._match_names(text, start, ERAS)
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

    # ----------------------------------------------------------------- resolve
    def _resolve(self, parsed: _Parsed) -> datetime:
        try:
            local = self._local_fields(parsed)
        except (OverflowError, ValueError) as exc:
            raise DateParseError(f"date out of range for {self.pattern!r}: {exc}") from None
        try:
            if parsed.offset_minutes is not None:
                return (local - timedelta(minutes=parsed.offset_minutes)).replace(tzinfo=UTC)
            return local_to_utc(local, self.zone.tz)
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
        return week_one_start(values["week_year"]) + 7 * (week - 1) + (weekday - 1)

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


__all__ = ["GeneralParser"]
