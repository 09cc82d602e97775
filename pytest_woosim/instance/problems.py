"""What is wrong with a configuration: problems with their field path or file position."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

_PLAIN_SEGMENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def format_path(parts: Sequence[str | int]) -> str:
    """Render a location: ``("configuration", "event.poller.configuration", "customers")``
    → ``configuration."event.poller.configuration".customers``."""
    rendered: list[str] = []
    for part in parts:
        if isinstance(part, int):
            rendered.append(f"[{part}]")
        elif _PLAIN_SEGMENT.fullmatch(part):
            rendered.append(("." if rendered else "") + part)
        else:
            rendered.append(("." if rendered else "") + json.dumps(part))
    return "".join(rendered)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a configuration.

    ``path`` is the field path (empty for syntax errors), ``line``/``col`` the
    1-based position in the file when known.
    """

    path: str
    message: str
    line: int | None = None
    col: int | None = None

    def render(self, filename: str, *, warning: bool = False) -> str:
        """``FILE:LINE:COL: message`` or ``FILE: path: message`` (``warning:`` after ``FILE:``)."""
        label = "warning: " if warning else ""
        if self.line is not None:
            return f"{filename}:{self.line}:{self.col or 1}: {label}{self.message}"
        where = f"{self.path}: " if self.path else ""
        return f"{filename}: {label}{where}{self.message}"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(ValueError):
    """The configuration is not usable; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


__all__ = ["ConfigError", "Problem", "format_path"]
