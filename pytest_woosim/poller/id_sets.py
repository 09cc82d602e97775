"""The ids a full scan saw, kept compactly in the resource's cursor, for deletion detection.

A poll that reads a resource in full compares today's ids with the last run's; the
difference is what was deleted. Ids are stored as ranges of numbers (WooCommerce ids
are dense) plus any ids that are not numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def id_value(object_id: str) -> int | str:
    """An id as a DELETED event carries it: a number when it is one."""
    return int(object_id) if object_id.isdigit() else object_id


def id_sort_key(object_id: str) -> tuple[int, int | str]:
    """Numeric ids in numeric order, then the others."""
    return (0, int(object_id)) if object_id.isdigit() else (1, object_id)


def compress_ids(ids: Iterable[str]) -> dict[str, Any]:
    """A set of ids as ranges of numbers plus any non-numeric ids (kept in the cursor)."""
    numbers = sorted(int(i) for i in ids if i.isdigit())
    others = sorted(i for i in ids if not i.isdigit())
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return {"ranges": ranges, "other": others}


def expand_ids(stored: Any) -> set[str] | None:
    """The ids :func:`compress_ids` stored, or None when nothing (usable) was stored."""
    if not isinstance(stored, dict):
        return None
    out: set[str] = set()
    for first, last in stored.get("ranges", []):
        out.update(str(n) for n in range(int(first), int(last) + 1))
    out.update(str(i) for i in stored.get("other", []))
    return out


__all__ = ["compress_ids", "expand_ids", "id_sort_key", "id_value"]
