"""Durable integrator state in one SQLite file (the embedded engine).

Watermarks, the outbox, dedupe keys and small values.

Here are the tables' operations; the statements they share with PostgreSQL are
in :mod:`pytest_woosim.outbox.state.statements`. Every statement runs on the
database thread of :mod:`pytest_woosim.outbox.state.sqlite_commits`, which batches
the jobs queued meanwhile into one transaction (group commit): many relay requests
enqueuing at once share one fsync, which is what makes durable writes fast. A
state in memory has no fsync to share: its statements run where they are asked
(``MemoryCommitter``), without a hand-off to a thread and back.

The file, its tables and their migration are :mod:`.sqlite_schema`'s (durability:
WAL with ``synchronous=FULL``, see there).

The watermark of a poll window and the notifications it produced are written in
one transaction (:meth:`State.commit_window`): the watermark never moves unless
its notifications are durable, and notifications are never stored twice for a
window that is retried.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pytest_woosim.outbox.notifications import Notification
from pytest_woosim.outbox.state.base import (
    ALL_GROUPS,
    DEFAULT_MAX_BATCH,
    DEFAULT_SEEN_MAX_AGE,
    PARKED,
    PENDING,
    AllGroups,
    BuildUnseen,
    EnqueueListeners,
    GroupKeys,
    Lease,
    OutboxCounts,
    OutboxItem,
    ParkedHeads,
    SeenPruning,
    StateClosedError,
    StateLifecycle,
    Watermark,
    kv_value,
    outbox_item,
    watermark_from_row,
    watermark_row,
)
from pytest_woosim.outbox.state.sqlite_commits import GroupCommitter, MemoryCommitter
from pytest_woosim.outbox.state.sqlite_schema import connect
from pytest_woosim.outbox.state.statements import OutboxRows, Statements
from simulator.clock import Clock

log = logging.getLogger(__name__)


_SQL = Statements.spelled(
    parameter="?", group="group_key", same_group="group_key IS ?", release_claim=""
)


#: Rows per multi-row statement: 8 parameters a row stays under SQLite's oldest
#: limit of 999 parameters.
_ROWS_PER_INSERT = 120


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _insert_outbox_rows(count: int) -> str:
    """:attr:`Statements.insert_outbox` for ``count`` rows in one statement."""
    select, _, returning = _SQL.insert_outbox.partition(" SELECT ")
    values, _, _ = returning.partition(" RETURNING ")
    row = f"({values})"
    return f"{select} VALUES {','.join([row] * count)} RETURNING seq"


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _insert_seen_rows(count: int) -> str:
    head, _, tail = _SQL.insert_seen.partition(" VALUES (?, ?, ?) ")
    return f"{head} VALUES {','.join(['(?,?,?)'] * count)} {tail}"


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _delete_outbox_rows(count: int) -> str:
    return f"DELETE FROM outbox WHERE seq IN ({','.join('?' * count)})"


def _item(row: Sequence[Any]) -> OutboxItem:
    return outbox_item(row, row[5])


def _same(key: str | None) -> str | None:
    return key  # SQLite stores the group key as it is


class State(StateLifecycle[GroupCommitter]):
    """Durable state; ``path=None`` keeps it in memory through the very same code."""

    def __init__(
        self,
        path: str | Path | None,
        *,
        clock: Clock | None = None,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        seen_max_age: float = DEFAULT_SEEN_MAX_AGE,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', got {synchronous!r}")
        self.path = None if path is None else Path(path)
        self._clock = clock if clock is not None else Clock()
        self._outbox_rows = OutboxRows(self._clock, _same)
        self._synchronous = synchronous
        self._pruning = SeenPruning(self._clock, seen_max_age)
        self._listeners = EnqueueListeners()
        if self.path is None:
            # Nothing to wait for in memory: jobs run where they are submitted.
            self._commits = MemoryCommitter(
                self._connect,
                before_commit=self._maybe_prune,
                grown=self._listeners.tell,
                what="state database in memory",
            )
        else:
            self._commits = GroupCommitter(
                self._connect,
                max_batch=max_batch,
                before_commit=self._maybe_prune,
                grown=self._listeners.tell,
                name="woosim-state",
                what=f"state database {self.path}",
            )

    # ------------------------------------------------------------------ outbox writes
    async def enqueue(
        self,
        instance: str | int,
        callback_url: str,
        notifications: Sequence[Notification],
        *,
        group_key: GroupKeys = None,
    ) -> list[int]:
        """Store notifications for delivery, durably; returns their outbox sequence numbers.

        ``group_key`` orders delivery: items of one group go out one at a time, in
        order; different groups go out concurrently. Give one key for all the
        notifications or a sequence with one key per notification.
        """
        inst = str(instance)
        rows = self._outbox_rows(inst, callback_url, notifications, group_key)
        return await self._commits.submit(
            lambda conn: self._insert_outbox(conn, inst, rows), notify=inst
        )

    async def commit_window(
        self,
        instance: str | int,
        resource: str,
        watermark: Watermark | None,
        notifications: Sequence[Notification],
        seen_keys: Iterable[str] = (),
        *,
        callback_url: str,
        group_key: GroupKeys = None,
        lease: Lease | None = None,
        build: BuildUnseen | None = None,
    ) -> list[int]:
        """Move a watermark, store its notifications and remember dedupe keys: all or nothing.

        ``group_key`` as for :meth:`enqueue`. ``lease`` is accepted for the interface
        and ignored: one process owns a SQLite file, so nobody else can hold it.
        With ``build``, ``notifications`` is ignored: ``build`` is given the
        ``seen_keys`` already remembered, read in this transaction, and returns
        the notifications to store and their ``group_key``.
        """
        inst = str(instance)
        rows = self._outbox_rows(inst, callback_url, notifications, group_key)
        keys = list(dict.fromkeys(seen_keys))
        now = self._clock.timestamp()

        def work(conn: sqlite3.Connection) -> list[int]:
            nonlocal rows
            if build is not None:
                seen = self._seen_among(conn, inst, keys)
                rows = self._outbox_rows(inst, callback_url, *build(seen))
            seqs = self._insert_outbox(conn, inst, rows)
            if watermark is not None:
                self._write_watermark(conn, inst, resource, watermark)
            self._insert_seen(conn, inst, keys, now)
            return seqs

        grows = bool(rows) or build is not None
        return await self._commits.submit(work, notify=inst if grows else None)

    async def delete_delivered(self, seqs: Sequence[int]) -> None:
        await self.delete_delivered_nowait(seqs)

    def delete_delivered_nowait(self, seqs: Sequence[int]) -> asyncio.Future[None]:
        """Queue the delete of delivered items; await the result only if you need the commit.

        A crash before the commit means a redelivery (at-least-once); the
        ``Elements-Webhook-Id`` lets receivers drop it.
        """
        wanted = list(seqs)

        def work(conn: sqlite3.Connection) -> None:
            for start in range(0, len(wanted), _ROWS_PER_INSERT):
                chunk = wanted[start : start + _ROWS_PER_INSERT]
                conn.execute(_delete_outbox_rows(len(chunk)), chunk)

        return self._commits.submit(work)

    def record_failure(
        self,
        seq: int,
        *,
        attempts: int,
        first_failure_at: float | None,
        next_attempt_at: float | None,
        error: str,
    ) -> asyncio.Future[None]:
        """Store a failed attempt's retry state; queued at once (ordered before later calls)."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                _SQL.record_failure, (attempts, first_failure_at, next_attempt_at, error, seq)
            )

        return self._commits.submit(work)

    async def enqueue_unseen(
        self,
        instance: str | int,
        callback_url: str,
        candidates: Sequence[tuple[Sequence[str], Sequence[Notification], str | None]],
    ) -> list[list[int] | None]:
        """Store each candidate unless it was seen; one transaction for all of them.

        A candidate is ``(dedupe keys, notifications, group key)``. In order: when
        none of its keys is remembered (from before, or from an earlier candidate
        of this call), its keys are remembered and its notifications stored;
        otherwise it is a duplicate and nothing of it is written. Returns, per
        candidate, the outbox sequence numbers, or None for a duplicate. Saves the
        separate :meth:`unseen` round trip of a check-then-write.
        """
        inst = str(instance)
        now = self._clock.timestamp()
        prepared = self._outbox_rows.candidates(inst, callback_url, candidates)

        def work(conn: sqlite3.Connection) -> list[list[int] | None]:
            seen = self._seen_among(conn, inst, [k for keys, _ in prepared for k in keys])
            results: list[list[int] | None] = []
            for keys, rows in prepared:
                if any(key in seen for key in keys):
                    results.append(None)
                    continue
                seen.update(keys)
                self._insert_seen(conn, inst, keys, now)
                results.append(self._insert_outbox(conn, inst, rows))
            return results

        grows = any(rows for _, rows in prepared)
        return await self._commits.submit(work, notify=inst if grows else None)

    def park(
        self,
        instance: str | int,
        head_seq: int,
        *,
        attempts: int,
        first_failure_at: float | None,
        next_probe_at: float,
        error: str,
    ) -> asyncio.Future[int]:
        """Record the head's last failure and park every queued item of the head's group.

        Other groups are not touched. The head is probed again at ``next_probe_at``.
        Returns how many items were parked.
        """
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                _SQL.park_head, (attempts, first_failure_at, next_probe_at, error, head_seq)
            ).fetchone()
            if row is None:
                return 0
            return conn.execute(_SQL.park_group, (inst, row[0])).rowcount

        return self._commits.submit(work)

    def unpark(
        self, instance: str | int, *, group: str | AllGroups | None = ALL_GROUPS
    ) -> asyncio.Future[int]:
        """Make parked items pending again with a fresh retry schedule; returns how many.

        Every group of the instance, or only ``group``. The write is queued at
        once (before any later operation), so callers may rely on its order.
        """
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> int:
            if group is ALL_GROUPS:
                return conn.execute(_SQL.unpark, (inst,)).rowcount
            return conn.execute(_SQL.unpark_group, (inst, group)).rowcount

        return self._commits.submit(work, notify=inst)

    # ------------------------------------------------------------------ outbox reads
    async def outbox_after(
        self, instance: str | int, after_seq: int, limit: int
    ) -> list[OutboxItem]:
        """Pending items of ``instance`` with ``seq > after_seq``, oldest first (parked skipped)."""
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> list[OutboxItem]:
            cur = conn.execute(_SQL.outbox_after, (inst, after_seq, limit))
            return [_item(row) for row in cur.fetchall()]

        return await self._commits.submit(work)

    async def outbox_groups(
        self,
        instance: str | int,
        groups: Sequence[tuple[str | None, int]],
        *,
        up_to: int,
        limit: int,
    ) -> list[list[OutboxItem]]:
        """For each ``(group_key, after_seq)``: its next pending items, at most ``limit``.

        Only items with ``after_seq < seq <= up_to``; one round trip for all the groups.
        """
        inst = str(instance)
        sql = _SQL.outbox_group_page

        def work(conn: sqlite3.Connection) -> list[list[OutboxItem]]:
            return [
                [_item(row) for row in conn.execute(sql, (inst, key, after, up_to, limit))]
                for key, after in groups
            ]

        return await self._commits.submit(work)

    async def parked_heads(
        self, instance: str | int, *, due_by: float, limit: int, exclude: Sequence[int] = ()
    ) -> ParkedHeads:
        """Parked groups' heads with a probe due by ``due_by``, earliest first (at most ``limit``).

        Only a group's head has a probe time (the rest were never tried), so these
        are heads. ``exclude`` names heads already being probed.
        """
        inst = str(instance)
        skip = ",".join("?" * len(exclude))
        not_in = f" AND seq NOT IN ({skip})" if exclude else ""

        def work(conn: sqlite3.Connection) -> ParkedHeads:
            rows = conn.execute(
                f"SELECT {_SQL.columns} FROM outbox WHERE instance = ? AND status = 'parked' "
                f"AND next_attempt_at <= ?{not_in} ORDER BY next_attempt_at, seq LIMIT ?",
                (inst, due_by, *exclude, limit),
            ).fetchall()
            heads = [_item(row) for row in rows]
            taken = [*exclude, *(h.seq for h in heads)]
            marks = ",".join("?" * len(taken))
            rest = f" AND seq NOT IN ({marks})" if taken else ""
            (next_probe,) = conn.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE instance = ? "
                f"AND status = 'parked'{rest}",
                (inst, *taken),
            ).fetchone()
            return ParkedHeads(heads, next_probe)

        return await self._commits.submit(work)

    async def outbox_batch(self, instance: str | int, limit: int = 100) -> list[OutboxItem]:
        """The oldest ``limit`` items of ``instance``, in delivery order."""
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> list[OutboxItem]:
            cur = conn.execute(_SQL.outbox_batch, (inst, limit))
            return [_item(row) for row in cur.fetchall()]

        return await self._commits.submit(work)

    async def outbox_counts(self, instance: str | int) -> OutboxCounts:
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> OutboxCounts:
            counts = dict(conn.execute(_SQL.outbox_counts, (inst,)).fetchall())
            return OutboxCounts(pending=counts.get(PENDING, 0), parked=counts.get(PARKED, 0))

        return await self._commits.submit(work)

    async def outbox_instances(self) -> list[str]:
        """Instances that have undelivered notifications (to restart their senders)."""

        def work(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute(_SQL.outbox_instances).fetchall()]

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ watermarks
    async def get_watermark(self, instance: str | int, resource: str) -> Watermark | None:
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> Watermark | None:
            row = conn.execute(_SQL.get_watermark, (inst, resource)).fetchone()
            return None if row is None else watermark_from_row(row[0], row[1])

        return await self._commits.submit(work)

    async def set_watermark(self, instance: str | int, resource: str, watermark: Watermark) -> None:
        inst = str(instance)
        await self._commits.submit(
            lambda conn: self._write_watermark(conn, inst, resource, watermark)
        )

    async def watermarks(self, instance: str | int) -> dict[str, Watermark]:
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> dict[str, Watermark]:
            rows = conn.execute(_SQL.watermarks, (inst,)).fetchall()
            return {r: watermark_from_row(ts, c) for r, ts, c in rows}

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ dedupe keys
    async def unseen(self, instance: str | int, keys: Iterable[str]) -> list[str]:
        """The keys (in the given order, without repeats) not remembered for ``instance``."""
        inst = str(instance)
        wanted = list(dict.fromkeys(keys))

        def work(conn: sqlite3.Connection) -> list[str]:
            seen = self._seen_among(conn, inst, wanted)
            return [key for key in wanted if key not in seen]

        return await self._commits.submit(work)

    async def mark_seen(self, instance: str | int, keys: Iterable[str]) -> None:
        inst = str(instance)
        wanted = list(dict.fromkeys(keys))
        now = self._clock.timestamp()
        await self._commits.submit(lambda conn: self._insert_seen(conn, inst, wanted, now))

    async def prune_seen(self, older_than: datetime | None = None) -> int:
        """Forget dedupe keys created before ``older_than`` (default: now - seen_max_age)."""
        cutoff = self._pruning.cutoff(older_than)

        def work(conn: sqlite3.Connection) -> int:
            return conn.execute(_SQL.prune_seen, (cutoff,)).rowcount

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ small values
    async def kv_get(self, instance: str | int, key: str) -> Any:
        """The JSON value stored under ``key``, or None."""
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> Any:
            row = conn.execute(_SQL.kv_get, (inst, key)).fetchone()
            return None if row is None else json.loads(row[0])

        return await self._commits.submit(work)

    async def kv_set(self, instance: str | int, key: str, value: Any) -> None:
        inst = str(instance)
        encoded = kv_value(value)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(_SQL.kv_set, (inst, key, encoded))

        await self._commits.submit(work)

    async def kv_delete(self, instance: str | int, key: str) -> bool:
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> bool:
            return conn.execute(_SQL.kv_delete, (inst, key)).rowcount > 0

        return await self._commits.submit(work)

    async def kv_items(self, instance: str | int) -> dict[str, Any]:
        inst = str(instance)

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            rows = conn.execute(_SQL.kv_items, (inst,)).fetchall()
            return {key: json.loads(value) for key, value in rows}

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ instance registry
    async def instance_number(self, key: str) -> int:
        """The stable numeric id of the instance ``key``, assigned at first sight."""
        return await self._upsert_instance(_SQL.instance_number, key, None)

    async def save_instance(self, key: str, body: str | None) -> int:
        """Record (or replace) the configuration body kept for ``key``; its numeric id."""
        return await self._upsert_instance(_SQL.save_instance, key, body)

    async def _upsert_instance(self, sql: str, key: str, body: str | None) -> int:
        def work(conn: sqlite3.Connection) -> int:
            row = conn.execute(sql, (key, body, self._clock.timestamp())).fetchone()
            return int(row[0])

        return await self._commits.submit(work)

    async def saved_instances(self) -> list[tuple[int, str, str]]:
        """``(id, key, body)`` of every instance with a kept configuration, by id."""

        def work(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
            rows = conn.execute(_SQL.saved_instances).fetchall()
            return [(int(i), str(k), str(b)) for i, k, b in rows]

        return await self._commits.submit(work)

    async def forget_instance_body(self, key: str) -> bool:
        """Drop the kept configuration of ``key`` (its id stays reserved)."""

        def work(conn: sqlite3.Connection) -> bool:
            return conn.execute(_SQL.forget_instance_body, (key,)).rowcount > 0

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ statements
    @staticmethod
    def _insert_outbox(
        conn: sqlite3.Connection, instance: str, rows: list[tuple[Any, ...]]
    ) -> list[int]:
        # Behind a parked group, its new items are queued as parked too (that
        # group is held until a redelivery or a probe succeeds). Many rows per
        # statement: one step per group commit instead of one per notification.
        seqs: list[int] = []
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            cur = conn.execute(_insert_outbox_rows(len(chunk)), [v for row in chunk for v in row])
            # RETURNING lists rows in no promised order; seq grows with each row
            # inserted (AUTOINCREMENT, one writer), so sorted seqs are the rows' order.
            seqs.extend(sorted(seq for (seq,) in cur.fetchall()))
        return seqs

    @staticmethod
    def _write_watermark(
        conn: sqlite3.Connection, instance: str, resource: str, watermark: Watermark
    ) -> None:
        conn.execute(_SQL.write_watermark, watermark_row(instance, resource, watermark))

    @staticmethod
    def _seen_among(conn: sqlite3.Connection, instance: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are remembered for ``instance``."""
        seen: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key FROM seen WHERE instance = ? AND key IN ({marks})", (instance, *chunk)
            )
            seen.update(row[0] for row in rows.fetchall())
        return seen

    @staticmethod
    def _insert_seen(conn: sqlite3.Connection, instance: str, keys: list[str], now: float) -> None:
        for start in range(0, len(keys), _ROWS_PER_INSERT):
            chunk = keys[start : start + _ROWS_PER_INSERT]
            values = [v for key in chunk for v in (instance, key, now)]
            conn.execute(_insert_seen_rows(len(chunk)), values)

    # ------------------------------------------------------------------ the connection
    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, self._synchronous)

    def _maybe_prune(self, conn: sqlite3.Connection) -> None:
        cutoff = self._pruning.due()
        if cutoff is not None:
            conn.execute(_SQL.prune_seen, (cutoff,))


__all__ = [
    "ALL_GROUPS",
    "DEFAULT_SEEN_MAX_AGE",
    "PARKED",
    "PENDING",
    "AllGroups",
    "OutboxCounts",
    "OutboxItem",
    "ParkedHeads",
    "State",
    "StateClosedError",
    "Watermark",
]
