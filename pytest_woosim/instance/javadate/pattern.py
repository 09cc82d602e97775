"""SimpleDateFormat's pattern language: letters, literals, and compiling a pattern into elements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

#: The one non-pattern keyword of Cloud Elements' date format fields: epoch milliseconds.
MILLISECONDS: Final = "milliseconds"

#: Every letter SimpleDateFormat knows; any other ASCII letter is an error.
PATTERN_LETTERS: Final = "GyMdkHmsSEDFwWahKzZYuXL"

# Letters whose parse reads a number (for ``M``/``L`` only when count <= 2).
_NUMERIC_LETTERS: Final = frozenset("ydkHmsSDFwWhKYu")


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


def obeys_count(element: Element) -> bool:
    """Java's ``shouldObeyCount``: a following numeric field makes the current one fixed-width."""
    return isinstance(element, Field) and element.numeric


__all__ = [
    "MILLISECONDS",
    "PATTERN_LETTERS",
    "DateParseError",
    "DatePatternError",
    "Element",
    "Field",
    "Literal",
    "compile_pattern",
    "obeys_count",
]
