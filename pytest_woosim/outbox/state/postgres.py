"""Durable integrator state in PostgreSQL, shared by several worker processes.

The same interface as the SQLite engine (:class:`~.base.StateStore`), plus what
workers on one database need (:class:`~.base.SharedState`): leases and claims on
outbox heads (their statements in :mod:`.postgres_workers`). Dedupe keys are a
primary key, so two workers cannot both store one change through
:meth:`PostgresState.enqueue_unseen`.

Here are the tables' operations. The tables and their migrations are in
:mod:`.postgres_schema`; the statements shared with SQLite in :mod:`.statements`;
the connection, its batched transactions and LISTEN/NOTIFY in
:mod:`.postgres_commits`.

Driver: psycopg 3 (async). It is typed (the project is ``mypy --strict``), speaks
LISTEN/NOTIFY, and its ``binary`` extra ships libpq, so nothing else is needed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

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
    StateLifecycle,
    Watermark,
    kv_value,
    outbox_item,
    watermark_from_row,
    watermark_row,
)
from pytest_woosim.outbox.state.postgres_commits import CHANNEL, PostgresCommitter
from pytest_woosim.outbox.state.postgres_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Conn,
    decode_group,
    encode_group,
)
from pytest_woosim.outbox.state.postgres_workers import (
    check_lease,
    claim_heads,
    default_worker_id,
    drop_lease,
    release_claim,
    take_lease,
)
from pytest_woosim.outbox.state.statements import OutboxRows, Statements
from simulator.clock import Clock

_SQL = Statements.spelled(
    parameter="%s",
    group="grp",
    same_group="grp = ?",
    release_claim=", claimed_by = NULL, claimed_until = NULL",
)


def _item(row: Sequence[Any]) -> OutboxItem:
    return outbox_item(row, decode_group(row[5]))


class PostgresState(StateLifecycle[PostgresCommitter]):
    """Durable state in a PostgreSQL database (``url`` as libpq takes it)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        worker_id: str | None = None,
        seen_max_age: float = DEFAULT_SEEN_MAX_AGE,
        max_batch: int = DEFAULT_MAX_BATCH,
        reconnect_delay: float = 0.2,
    ) -> None:
        self.url = url
        self.worker_id = worker_id or default_worker_id()
        self._clock = clock if clock is not None else Clock()
        self._outbox_rows = OutboxRows(self._clock, encode_group)
        self._pruning = SeenPruning(self._clock, seen_max_age)
        self._listeners = EnqueueListeners()
        self._commits = PostgresCommitter(
            url,
            max_batch=max_batch,
            reconnect_delay=reconnect_delay,
            before_commit=self._maybe_prune,
            listeners=self._listeners,
            name="woosim-state",
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
        inst = str(instance)
        rows = self._outbox_rows(inst, callback_url, notifications, group_key)

        async def work(conn: Conn) -> list[int]:
            return await self._insert_outbox(conn, rows)

        return await self._commits.submit(work, notify=inst if rows else None)

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
        """Move a watermark, store notifications and remember dedupe keys: all or nothing.

        With ``lease``, nothing is written unless the lease is still held by its
        holder (:class:`LeaseLostError`): a worker that stalled past its lease cannot
        move a watermark another worker has moved since. With ``build``,
        ``notifications`` is ignored: the keys are inserted first, and ``build`` is
        given those another writer already held (so two workers cannot both find a
        key new) and returns the notifications to store and their ``group_key``.
        """
        inst = str(instance)
        rows = self._outbox_rows(inst, callback_url, notifications, group_key)
        keys = list(dict.fromkeys(seen_keys))
        now = self._clock.timestamp()

        async def work(conn: Conn) -> list[int]:
            if lease is not None:
                await check_lease(conn, lease, now)
            if build is None:
                seqs = await self._insert_outbox(conn, rows)
                await self._insert_seen(conn, inst, keys, now)
            else:
                seen = set(keys) - await self._insert_new_seen(conn, inst, keys, now)
                built = self._outbox_rows(inst, callback_url, *build(seen))
                seqs = await self._insert_outbox(conn, built)
            if watermark is not None:
                await conn.execute(_SQL.write_watermark, watermark_row(inst, resource, watermark))
            return seqs

        grows = bool(rows) or build is not None
        return await self._commits.submit(work, notify=inst if grows else None)

    async def enqueue_unseen(
        self,
        instance: str | int,
        callback_url: str,
        candidates: Sequence[tuple[Sequence[str], Sequence[Notification], str | None]],
    ) -> list[list[int] | None]:
        """Store each candidate unless one of its keys was seen; see the SQLite engine.

        The keys are inserted first: a key another worker holds (or is inserting)
        makes the candidate a duplicate, so one change is stored once across workers.
        """
        inst = str(instance)
        now = self._clock.timestamp()
        prepared = self._outbox_rows.candidates(inst, callback_url, candidates)

        async def work(conn: Conn) -> list[list[int] | None]:
            results: list[list[int] | None] = []
            for keys, rows in prepared:
                async with conn.cursor() as cur:
                    await cur.execute("SAVEPOINT candidate")
                    inserted = 0
                    for key in keys:
                        await cur.execute(_SQL.insert_seen, (inst, key, now))
                        inserted += cur.rowcount
                    if inserted < len(keys):
                        await cur.execute("ROLLBACK TO SAVEPOINT candidate")
                        results.append(None)
                        continue
                    await cur.execute("RELEASE SAVEPOINT candidate")
                results.append(await self._insert_outbox(conn, rows))
            return results

        grows = any(rows for _, rows in prepared)
        return await self._commits.submit(work, notify=inst if grows else None)

    async def delete_delivered(self, seqs: Sequence[int]) -> None:
        await self.delete_delivered_nowait(seqs)

    def delete_delivered_nowait(self, seqs: Sequence[int]) -> asyncio.Future[None]:
        wanted = list(seqs)

        async def work(conn: Conn) -> None:
            await conn.execute("DELETE FROM outbox WHERE seq = ANY(%s)", (wanted,))

        return self._commits.submit(work, durable=False)

    def record_failure(
        self,
        seq: int,
        *,
        attempts: int,
        first_failure_at: float | None,
        next_attempt_at: float | None,
        error: str,
    ) -> asyncio.Future[None]:
        """Store a failed attempt's retry state and give up the claim on the row."""

        async def work(conn: Conn) -> None:
            await conn.execute(
                _SQL.record_failure, (attempts, first_failure_at, next_attempt_at, error, seq)
            )

        return self._commits.submit(work, durable=False)

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
        inst = str(instance)

        async def work(conn: Conn) -> int:
            cur = await conn.execute(
                _SQL.park_head, (attempts, first_failure_at, next_probe_at, error, head_seq)
            )
            row = await cur.fetchone()
            if row is None:
                return 0
            return (await conn.execute(_SQL.park_group, (inst, row[0]))).rowcount

        return self._commits.submit(work)

    def unpark(
        self, instance: str | int, *, group: str | AllGroups | None = ALL_GROUPS
    ) -> asyncio.Future[int]:
        inst = str(instance)

        async def work(conn: Conn) -> int:
            if group is ALL_GROUPS:
                cur = await conn.execute(_SQL.unpark, (inst,))
            else:
                cur = await conn.execute(_SQL.unpark_group, (inst, encode_group(group)))
            return cur.rowcount

        return self._commits.submit(work, notify=inst)

    # ------------------------------------------------------------------ claims (workers)
    async def claim(
        self, instance: str | int, *, limit: int, ttl: float, parked_due_by: float | None
    ) -> list[OutboxItem]:
        inst = str(instance)
        now = self._clock.timestamp()

        async def work(conn: Conn) -> list[OutboxItem]:
            rows = await claim_heads(
                conn,
                inst,
                worker=self.worker_id,
                now=now,
                until=now + ttl,
                parked_due_by=parked_due_by,
                limit=limit,
            )
            return sorted((_item(row) for row in rows), key=lambda i: i.seq)

        return await self._commits.submit(work, durable=False)

    async def release(self, seq: int) -> None:
        async def work(conn: Conn) -> None:
            await release_claim(conn, seq, self.worker_id)

        await self._commits.submit(work, durable=False)

    def delivered_probe(
        self, instance: str | int, seq: int, group: str | None
    ) -> asyncio.Future[int]:
        """A probe of a parked head got through: delete it and release its group."""
        inst = str(instance)

        async def work(conn: Conn) -> int:
            await conn.execute("DELETE FROM outbox WHERE seq = %s", (seq,))
            cur = await conn.execute(_SQL.unpark_group, (inst, encode_group(group)))
            return cur.rowcount

        return self._commits.submit(work, notify=inst)

    # ------------------------------------------------------------------ leases
    async def acquire_lease(self, name: str, *, ttl: float) -> Lease | None:
        now = self._clock.timestamp()
        holder = self.worker_id

        async def work(conn: Conn) -> Lease | None:
            taken = await take_lease(conn, name, holder, now=now, ttl=ttl)
            return Lease(name, holder) if taken else None

        return await self._commits.submit(work)

    async def release_lease(self, lease: Lease) -> None:
        async def work(conn: Conn) -> None:
            await drop_lease(conn, lease)

        await self._commits.submit(work)

    # ------------------------------------------------------------------ outbox reads
    async def outbox_after(
        self, instance: str | int, after_seq: int, limit: int
    ) -> list[OutboxItem]:
        return await self._select_items(_SQL.outbox_after, (str(instance), after_seq, limit))

    async def outbox_groups(
        self,
        instance: str | int,
        groups: Sequence[tuple[str | None, int]],
        *,
        up_to: int,
        limit: int,
    ) -> list[list[OutboxItem]]:
        inst = str(instance)
        query = _SQL.outbox_group_page

        async def work(conn: Conn) -> list[list[OutboxItem]]:
            out = []
            for key, after in groups:
                cur = await conn.execute(query, (inst, encode_group(key), after, up_to, limit))
                out.append([_item(row) for row in await cur.fetchall()])
            return out

        return await self._commits.submit(work)

    async def parked_heads(
        self, instance: str | int, *, due_by: float, limit: int, exclude: Sequence[int] = ()
    ) -> ParkedHeads:
        inst = str(instance)
        skip = list(exclude)

        async def work(conn: Conn) -> ParkedHeads:
            cur = await conn.execute(
                f"SELECT {_SQL.columns} FROM outbox WHERE instance = %s AND status = 'parked' "
                "AND next_attempt_at <= %s AND NOT (seq = ANY(%s)) "
                "ORDER BY next_attempt_at, seq LIMIT %s",
                (inst, due_by, skip, limit),
            )
            heads = [_item(row) for row in await cur.fetchall()]
            taken = [*skip, *(h.seq for h in heads)]
            cur = await conn.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE instance = %s "
                "AND status = 'parked' AND NOT (seq = ANY(%s))",
                (inst, taken),
            )
            row = await cur.fetchone()
            return ParkedHeads(heads, None if row is None else row[0])

        return await self._commits.submit(work)

    async def outbox_batch(self, instance: str | int, limit: int = 100) -> list[OutboxItem]:
        return await self._select_items(_SQL.outbox_batch, (str(instance), limit))

    async def outbox_counts(self, instance: str | int) -> OutboxCounts:
        inst = str(instance)

        async def work(conn: Conn) -> OutboxCounts:
            cur = await conn.execute(_SQL.outbox_counts, (inst,))
            counts = {row[0]: row[1] for row in await cur.fetchall()}
            return OutboxCounts(pending=counts.get(PENDING, 0), parked=counts.get(PARKED, 0))

        return await self._commits.submit(work)

    async def outbox_instances(self) -> list[str]:
        async def work(conn: Conn) -> list[str]:
            cur = await conn.execute(_SQL.outbox_instances)
            return [row[0] for row in await cur.fetchall()]

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ watermarks
    async def get_watermark(self, instance: str | int, resource: str) -> Watermark | None:
        inst = str(instance)

        async def work(conn: Conn) -> Watermark | None:
            row = await (await conn.execute(_SQL.get_watermark, (inst, resource))).fetchone()
            return None if row is None else watermark_from_row(row[0], row[1])

        return await self._commits.submit(work)

    async def set_watermark(self, instance: str | int, resource: str, watermark: Watermark) -> None:
        inst = str(instance)

        async def work(conn: Conn) -> None:
            await conn.execute(_SQL.write_watermark, watermark_row(inst, resource, watermark))

        await self._commits.submit(work)

    async def watermarks(self, instance: str | int) -> dict[str, Watermark]:
        inst = str(instance)

        async def work(conn: Conn) -> dict[str, Watermark]:
            cur = await conn.execute(_SQL.watermarks, (inst,))
            return {r: watermark_from_row(ts, c) for r, ts, c in await cur.fetchall()}

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ dedupe keys
    async def unseen(self, instance: str | int, keys: Iterable[str]) -> list[str]:
        inst = str(instance)
        wanted = list(dict.fromkeys(keys))

        async def work(conn: Conn) -> list[str]:
            cur = await conn.execute(
                "SELECT key FROM seen WHERE instance = %s AND key = ANY(%s)", (inst, wanted)
            )
            seen = {row[0] for row in await cur.fetchall()}
            return [key for key in wanted if key not in seen]

        return await self._commits.submit(work)

    async def mark_seen(self, instance: str | int, keys: Iterable[str]) -> None:
        inst = str(instance)
        wanted = list(dict.fromkeys(keys))
        now = self._clock.timestamp()

        async def work(conn: Conn) -> None:
            await self._insert_seen(conn, inst, wanted, now)

        await self._commits.submit(work)

    async def prune_seen(self, older_than: datetime | None = None) -> int:
        cutoff = self._pruning.cutoff(older_than)

        async def work(conn: Conn) -> int:
            return (await conn.execute(_SQL.prune_seen, (cutoff,))).rowcount

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ small values
    async def kv_get(self, instance: str | int, key: str) -> Any:
        inst = str(instance)

        async def work(conn: Conn) -> Any:
            row = await (await conn.execute(_SQL.kv_get, (inst, key))).fetchone()
            return None if row is None else json.loads(row[0])

        return await self._commits.submit(work)

    async def kv_set(self, instance: str | int, key: str, value: Any) -> None:
        inst = str(instance)
        encoded = kv_value(value)

        async def work(conn: Conn) -> None:
            await conn.execute(_SQL.kv_set, (inst, key, encoded))

        await self._commits.submit(work)

    async def kv_delete(self, instance: str | int, key: str) -> bool:
        inst = str(instance)

        async def work(conn: Conn) -> bool:
            return (await conn.execute(_SQL.kv_delete, (inst, key))).rowcount > 0

        return await self._commits.submit(work)

    async def kv_items(self, instance: str | int) -> dict[str, Any]:
        inst = str(instance)

        async def work(conn: Conn) -> dict[str, Any]:
            cur = await conn.execute(_SQL.kv_items, (inst,))
            return {key: json.loads(value) for key, value in await cur.fetchall()}

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ instance registry
    async def instance_number(self, key: str) -> int:
        """The stable numeric id of the instance ``key``, assigned at first sight."""
        return await self._upsert_instance(_SQL.instance_number, key, None)

    async def save_instance(self, key: str, body: str | None) -> int:
        """Record (or replace) the configuration body kept for ``key``; its numeric id."""
        return await self._upsert_instance(_SQL.save_instance, key, body)

    async def _upsert_instance(self, sql: str, key: str, body: str | None) -> int:
        async def work(conn: Conn) -> int:
            row = await (await conn.execute(sql, (key, body, self._clock.timestamp()))).fetchone()
            assert row is not None
            return int(row[0])

        return await self._commits.submit(work)

    async def saved_instances(self) -> list[tuple[int, str, str]]:
        """``(id, key, body)`` of every instance with a kept configuration, by id."""

        async def work(conn: Conn) -> list[tuple[int, str, str]]:
            cur = await conn.execute(_SQL.saved_instances)
            return [(int(i), str(k), str(b)) for i, k, b in await cur.fetchall()]

        return await self._commits.submit(work)

    async def forget_instance_body(self, key: str) -> bool:
        """Drop the kept configuration of ``key`` (its id stays reserved)."""

        async def work(conn: Conn) -> bool:
            return (await conn.execute(_SQL.forget_instance_body, (key,))).rowcount > 0

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ statements
    @staticmethod
    async def _insert_outbox(conn: Conn, rows: list[tuple[Any, ...]]) -> list[int]:
        seqs: list[int] = []
        async with conn.cursor() as cur:
            for row in rows:
                await cur.execute(_SQL.insert_outbox, row)
                found = await cur.fetchone()
                assert found is not None
                seqs.append(found[0])
        return seqs

    @staticmethod
    async def _insert_seen(conn: Conn, instance: str, keys: list[str], now: float) -> None:
        if keys:
            async with conn.cursor() as cur:
                await cur.executemany(_SQL.insert_seen, [(instance, key, now) for key in keys])

    @staticmethod
    async def _insert_new_seen(conn: Conn, instance: str, keys: list[str], now: float) -> set[str]:
        """Remember ``keys``; return those that were not remembered before."""
        new: set[str] = set()
        async with conn.cursor() as cur:
            for key in keys:
                await cur.execute(_SQL.insert_seen, (instance, key, now))
                if cur.rowcount:
                    new.add(key)
        return new

    async def _select_items(self, query: str, params: Sequence[Any]) -> list[OutboxItem]:
        async def work(conn: Conn) -> list[OutboxItem]:
            cur = await conn.execute(query, params)
            return [_item(row) for row in await cur.fetchall()]

        return await self._commits.submit(work)

    # ------------------------------------------------------------------ the connection
    async def _maybe_prune(self, conn: Conn) -> None:
        cutoff = self._pruning.due()
        if cutoff is not None:
            await conn.execute(_SQL.prune_seen, (cutoff,))


__all__ = [
    "CHANNEL",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PostgresState",
    "default_worker_id",
]
