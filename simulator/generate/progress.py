"""A text progress bar for ``woosim serve --generate``."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    """A one-line text progress bar for a terminal stream (redrawn with ``\\r``)."""

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self._last and done != total:
            return  # redraw only when the figure moves
        self._last = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {done:,}/{total:,}{end}")
        self.stream.flush()
