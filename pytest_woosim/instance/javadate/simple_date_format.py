"""``java.text.SimpleDateFormat``: a pattern, a zone and leniency, over a formatter and parsers."""

from __future__ import annotations

from datetime import datetime, tzinfo

from pytest_woosim.instance.javadate.calendar_rules import default_century, zone_for
from pytest_woosim.instance.javadate.compiled_parser import CompiledParser, compiled_matcher
from pytest_woosim.instance.javadate.formatting import format_instant
from pytest_woosim.instance.javadate.general_parser import GeneralParser
from pytest_woosim.instance.javadate.pattern import compile_pattern
from pytest_woosim.instance.zones import JavaZone


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
        self.zone = zone_for(timezone)
        self.lenient = lenient
        self._matcher = compiled_matcher(self.elements) if compiled else None
        century = default_century(self.zone, now)
        self._general = GeneralParser(
            pattern, self.elements, self.zone, lenient=lenient, century=century
        )
        self._compiled = (
            None
            if self._matcher is None
            else CompiledParser(self._matcher, self.zone, lenient=lenient, century=century)
        )

    @property
    def compiled(self) -> bool:
        """Whether texts are read by the compiled matcher first (else the general parser only)."""
        return self._matcher is not None

    def __repr__(self) -> str:
        return f"SimpleDateFormat({self.pattern!r}, {self.zone.id!r})"

    def format(self, instant: datetime) -> str:
        """The text for ``instant`` (a naive datetime is taken as UTC), at millisecond precision."""
        return format_instant(self.elements, self.zone, instant)

    def parse(self, text: str) -> datetime:
        """The instant (aware, UTC) that a prefix of ``text`` denotes.

        Raises :class:`DateParseError` (only) when the text does not match.
        """
        if self._compiled is not None and type(text) is str:
            instant = self._compiled.parse(text)
            if instant is not None:
                return instant
        return self._general.parse(text)

    def _parse_compiled(self, text: str) -> datetime | None:
        """The compiled matcher's reading of ``text``; None sends it to the general parser."""
        if self._compiled is None:
            return None
        return self._compiled.parse(text)


__all__ = ["SimpleDateFormat"]
