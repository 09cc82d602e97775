"""Sorted date indexes of orders and products.

Date-filtered queries use sorted indexes of packed ``(wall seconds, id)`` integers
in ``array('q')`` (8 bytes a record), answered with ``bisect``: the cost of a
``modified_after`` window is the size of the window, not of the store.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from threading import Lock

from simulator.models import Order, Product

_KEY_BASE = 1_577_836_800  # 2020-01-01: keeps packed keys in int64 for 1884..2156
_ID_SPACE = 1 << 31


class SortedIndex:
    """Ids sorted by an integer key, then by id, packed into one int64 each."""

    __slots__ = ("_added", "_data_", "_merging")

    def __init__(self) -> None:
        self._data_: array[int] = array("q")
        #: Packed keys of bulk additions not merged in yet (see :meth:`extend_packed`).
        self._added: list[int] = []
        # The store is read from its server's thread and a test's: one merge at a time.
        self._merging = Lock()

    @property
    def _data(self) -> array[int]:
        """The sorted keys, with every bulk addition merged in first."""
        if self._added:
            self._merge()
        return self._data_

    @staticmethod
    def _pack(key: int, record_id: int) -> int:
        return (key - _KEY_BASE) * _ID_SPACE + record_id

    def add(self, key: int, record_id: int) -> None:
        packed = self._pack(key, record_id)
        data = self._data
        if not data or data[-1] < packed:
            data.append(packed)  # the common case: the newest record
        else:
            data.insert(bisect_left(data, packed), packed)

    def remove(self, key: int, record_id: int) -> None:
        packed = self._pack(key, record_id)
        position = bisect_left(self._data, packed)
        if position < len(self._data) and self._data[position] == packed:
            del self._data[position]

    def clear(self) -> None:
        self._data_ = array("q")
        self._added = []

    def extend(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Bulk add (the generator): sort the new keys, then merge them in."""
        base, space = _KEY_BASE, _ID_SPACE
        self.extend_packed([(key - base) * space + record_id for key, record_id in pairs])

    def extend_packed(self, packed: list[int]) -> None:
        """Bulk add of packed keys (``(key - _KEY_BASE) * _ID_SPACE + id``).

        Merged in on the next read: a generation adding a million records in
        steps sorts and merges them once, not the overlapping tail once per step.
        """
        self._added.extend(packed)

    def _merge(self) -> None:
        """Sort the added keys and merge them in. Generated records come in time order,
        so the new keys mostly sort after the old ones: only the overlapping tail is
        re-sorted."""
        with self._merging:
            if self._added:  # not merged by another thread meanwhile
                self._merge_added()

    def _merge_added(self) -> None:
        new, self._added = self._added, []
        new.sort()
        data = self._data_
        position = bisect_left(data, new[0])
        if position == len(data):
            data.extend(new)
            return
        merged = sorted(data[position:].tolist() + new)
        del data[position:]
        data.extend(merged)

    def __len__(self) -> int:
        return len(self._data)

    def span(self, after: int | None, before: int | None) -> tuple[int, int]:
        """Positions [start, end) of the keys strictly between ``after`` and ``before``."""
        data = self._data
        start = 0 if after is None else bisect_right(data, self._pack(after, _ID_SPACE - 1))
        end = len(data) if before is None else bisect_left(data, self._pack(before, 0))
        return start, max(start, end)

    def ids(self, start: int, end: int, *, descending: bool = False) -> Iterator[int]:
        """Ids at positions [start, end), read in growing slices (a page reads a few hundred)."""
        data, space = self._data, _ID_SPACE
        batch = 256
        low, high = start, end
        while low < high:
            if descending:
                chunk = data[max(low, high - batch) : high]
                high -= len(chunk)
                chunk.reverse()
            else:
                chunk = data[low : min(high, low + batch)]
                low += len(chunk)
            for value in chunk:
                yield value % space
            batch = min(batch * 4, 1 << 16)

    def id_slice(self, start: int, end: int, *, descending: bool = False) -> list[int]:
        """Ids at positions [start, end) at once (a known page: no need to read lazily)."""
        chunk = self._data[start:end]
        if descending:
            chunk.reverse()
        space = _ID_SPACE
        return [value % space for value in chunk]


@dataclass(slots=True)
class DateIndexes:
    """The four date columns WordPress filters posts on."""

    created_local: SortedIndex = field(default_factory=SortedIndex)
    created_gmt: SortedIndex = field(default_factory=SortedIndex)
    modified_local: SortedIndex = field(default_factory=SortedIndex)
    modified_gmt: SortedIndex = field(default_factory=SortedIndex)

    def add(self, record: Order | Product) -> None:
        self.created_local.add(record.created_wall, record.id)
        self.created_gmt.add(record.created, record.id)
        self.modified_local.add(record.modified_wall, record.id)
        self.modified_gmt.add(record.modified, record.id)

    def remove(self, record: Order | Product) -> None:
        self.created_local.remove(record.created_wall, record.id)
        self.created_gmt.remove(record.created, record.id)
        self.modified_local.remove(record.modified_wall, record.id)
        self.modified_gmt.remove(record.modified, record.id)

    def extend(
        self,
        ids: Sequence[int],
        created: Iterable[int],
        modified: Iterable[int],
        walls: tuple[Iterable[int], Iterable[int]] | None,
    ) -> None:
        """Bulk :meth:`add` (the generator's path), by columns: the records' ids, their
        created and modified instants, and their created and modified wall seconds, or
        None when those are the instants (a UTC store's), so the local columns take the
        same keys."""
        # Packed as SortedIndex does, one comprehension per column.
        space, shift = _ID_SPACE, _KEY_BASE * _ID_SPACE
        packed_created = [at * space + i - shift for at, i in zip(created, ids, strict=True)]
        packed_modified = [at * space + i - shift for at, i in zip(modified, ids, strict=True)]
        self.created_gmt.extend_packed(packed_created)
        self.modified_gmt.extend_packed(packed_modified)
        if walls is not None:
            created_walls, modified_walls = walls
            packed_created = [
                at * space + i - shift for at, i in zip(created_walls, ids, strict=True)
            ]
            packed_modified = [
                at * space + i - shift for at, i in zip(modified_walls, ids, strict=True)
            ]
        self.created_local.extend_packed(packed_created)
        self.modified_local.extend_packed(packed_modified)

    def clear(self) -> None:
        for index in (self.created_local, self.created_gmt, self.modified_local, self.modified_gmt):
            index.clear()
