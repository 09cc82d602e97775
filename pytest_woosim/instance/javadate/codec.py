"""A Cloud Elements date format field: a SimpleDateFormat pattern, or epoch milliseconds."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from pytest_woosim.instance.javadate.calendar_rules import EPOCH
from pytest_woosim.instance.javadate.pattern import MILLISECONDS, DateParseError
from pytest_woosim.instance.javadate.simple_date_format import SimpleDateFormat
from pytest_woosim.instance.zones import JavaZone


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
        return str((utc - EPOCH) // timedelta(milliseconds=1))


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
        return EPOCH + timedelta(milliseconds=number)
    except (ValueError, OverflowError):
        raise DateParseError(f"not a number of epoch milliseconds: {value!r}") from None


__all__ = ["DateCodec"]
