"""Durable integrator state in PostgreSQL, shared by several worker processes.

The same interface as the SQLite engine (:class:`~.base.StateStore`), plus what
workers on one database need (:class:`~.base.SharedState`):

* **Leases** (table ``leases``): a named row with a holder and an expiry on the
  clock. A poller takes ``poll:<instance>:<resource>`` before polling; another
  worker takes it over once the holder stops renewing it (dead or stalled). The
  watermark write of a window is fenced by the lease: it commits only while the
  lease is still the writer's (:class:`~.base.LeaseLostError` otherwise).
* **Claims** on the outbox: a worker claims the *heads* of groups (the oldest row
  of each group) with ``FOR UPDATE SKIP LOCKED`` and marks them ``claimed_by`` /
  ``claimed_until``. A group's next row is not a head while its head exists, so a
  group is never sent by two workers at once and never out of order. A claim that
  expires (its worker died) is taken by another worker: at-least-once.
* **Delivery bookkeeping** (claims, deleting delivered rows, retry times) commits
  without waiting for the WAL flush (``synchronous_commit = off`` for batches of
  only those): a database crash may forget the last of it, which means a row is
  sent again (at-least-once), never lost. Enqueues, windows and dedupe keys wait
  for the flush: the relay answers 2xx only after it.
* **Dedupe keys** are a primary key, so two workers cannot both store one change
  through :meth:`PostgresState.enqueue_unseen`.

Like the SQLite engine, one connection runs every statement, in the order the
calls were made, and the jobs queued while it was busy share one transaction
(each in its own savepoint) and one commit. A second connection LISTENs, so a
sender learns of rows enqueued by any worker.

Driver: psycopg 3 (async). It is typed (the project is ``mypy --strict``), speaks
LISTEN/NOTIFY, and its ``binary`` extra ships libpq, so nothing else is needed.

The schema is created and migrated by the relay itself: ``schema_version`` holds
the version; :data:`MIGRATIONS` are the ordered steps, applied under an advisory
lock so workers starting together migrate once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from pytest_woosim.outbox.notifications import Notification
from pytest_woosim.outbox.state.base import (
    ALL_GROUPS,
    ANY_INSTANCE,
    DEFAULT_MAX_BATCH,
    DEFAULT_SEEN_MAX_AGE,
    PARKED,
    PENDING,
    SEEN_PRUNE_INTERVAL,
    AllGroups,
    BuildUnseen,
    EnqueueListeners,
    GroupKeys,
    Lease,
    LeaseLostError,
    OutboxCounts,
    OutboxItem,
    ParkedHeads,
    StateClosedError,
    Watermark,
    iso,
    outbox_item,
    resolve,
    watermark_from_row,
)
from pytest_woosim.outbox.state.statements import OutboxRows, Statements
from simulator.clock import Clock, to_utc

log = logging.getLogger(__name__)

T = TypeVar("T")
Conn = psycopg.AsyncConnection[tuple[Any, ...]]
Work = Callable[[Conn], Awaitable[Any]]

#: NOTIFY channel carrying the instance whose outbox grew.
CHANNEL = "woosim_outbox"


#: Ordered schema steps: version N is reached by running MIGRATIONS[N - 1].
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE outbox (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            instance TEXT NOT NULL,
            callback_url TEXT NOT NULL,
            notification_id TEXT NOT NULL UNIQUE,
            body BYTEA NOT NULL,
            grp TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_failure_at DOUBLE PRECISION,
            next_attempt_at DOUBLE PRECISION,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
            last_error TEXT,
            claimed_by TEXT,
            claimed_until DOUBLE PRECISION
        )""",
        "CREATE INDEX outbox_by_group ON outbox (instance, grp, seq)",
        "CREATE INDEX outbox_by_status ON outbox (instance, status, seq)",
        """CREATE TABLE watermarks (
            instance TEXT NOT NULL,
            resource TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            cursor TEXT,
            PRIMARY KEY (instance, resource)
        )""",
        """CREATE TABLE seen (
            instance TEXT NOT NULL,
            key TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (instance, key)
        )""",
        "CREATE INDEX seen_by_age ON seen (created_at)",
        """CREATE TABLE kv (
            instance TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (instance, key)
        )""",
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        )""",
    ),
    (
        # The instance registry: a stable numeric id per instance key (never reused),
        # and the configuration of instances created through the instance API.
        """CREATE TABLE instances (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            body TEXT,
            created_at DOUBLE PRECISION NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# Any fixed number: the advisory lock that serialises migrations between workers.
_MIGRATION_LOCK = 0x776F6F73


def encode_group(key: str | None) -> str:
    # A NOT NULL column can be compared with "=" and indexed; None gets its own value.
    return "-" if key is None else "k:" + key


def _key(grp: str) -> str | None:
    return None if grp == "-" else grp[2:]


_SQL = Statements.spelled(
    parameter="%s",
    group="grp",
    same_group="grp = ?",
    release_claim=", claimed_by = NULL, claimed_until = NULL",
)
_RETURNING = (
    "outbox.seq, outbox.instance, outbox.callback_url, outbox.notification_id, outbox.body, "
    "outbox.grp, outbox.created_at, outbox.attempts, outbox.first_failure_at, "
    "outbox.next_attempt_at, outbox.status, outbox.last_error"
)

# Heads (oldest row of their group) that are ready and not claimed, locked without
# waiting on rows another worker is claiming, then marked as ours. Candidates are read
# in seq order and each is checked for an older row of its group (an index probe), so
# with many groups the scan stops after ``limit`` heads.
_CLAIM = f"""
WITH heads AS (
    SELECT o.seq FROM outbox o
    WHERE o.instance = %(inst)s
      AND (o.claimed_until IS NULL OR o.claimed_until < %(now)s)
      AND ((o.status = 'pending' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= %(now)s))
           OR (o.status = 'parked' AND o.next_attempt_at <= %(probe_by)s))
      AND NOT EXISTS (
          SELECT 1 FROM outbox e WHERE e.instance = o.instance AND e.grp = o.grp AND e.seq < o.seq
      )
    ORDER BY o.seq
    LIMIT %(limit)s
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox SET claimed_by = %(worker)s, claimed_until = %(until)s
FROM heads WHERE outbox.seq = heads.seq
RETURNING {_RETURNING}
"""


def _item(row: Sequence[Any]) -> OutboxItem:
    return outbox_item(row, _key(row[5]))


def is_postgres_url(spec: str | None) -> bool:
    return spec is not None and spec.startswith(("postgresql://", "postgres://"))


def default_worker_id() -> str:
    """Host, pid and a random part: unique among workers, readable in the leases table."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class _Job:
    __slots__ = ("durable", "fn", "future", "notify")

    def __init__(
        self, fn: Work, future: asyncio.Future[Any], notify: str | None, durable: bool
    ) -> None:
        self.fn = fn
        self.future = future
        self.notify = notify
        self.durable = durable


class PostgresState:
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
        self._seen_max_age = seen_max_age
        self._max_batch = max(1, max_batch)
        self._reconnect_delay = reconnect_delay
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._conn: Conn | None = None
        self._closed = False
        self._listeners = EnqueueListeners()
        self._last_prune = float("-inf")
        self.batches = 0  # transactions committed (for measurements)

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> PostgresState:
        """Connect and migrate the schema now; raises if it cannot."""
        await self._submit(_noop)
        if self._listen_task is None:
            self._listen_task = asyncio.create_task(self._listen(), name="woosim-state-listen")
        return self

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listen_task
        if self._task is not None:
            self._jobs.put_nowait(None)
            await self._task
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> PostgresState:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def add_enqueue_listener(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(instance)`` when any worker commits notifications for ``instance``.

        Called on the event loop (from this process's commits and from NOTIFYs).
        """
        return self._listeners.add(listener)

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

        return await self._submit(work, notify=inst if rows else None)

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
                await self._check_lease(conn, lease, now)
            if build is None:
                seqs = await self._insert_outbox(conn, rows)
                await self._insert_seen(conn, inst, keys, now)
            else:
                seen = set(keys) - await self._insert_new_seen(conn, inst, keys, now)
                built = self._outbox_rows(inst, callback_url, *build(seen))
                seqs = await self._insert_outbox(conn, built)
            if watermark is not None:
                await self._write_watermark(conn, inst, resource, watermark)
            return seqs

        grows = bool(rows) or build is not None
        return await self._submit(work, notify=inst if grows else None)

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
        prepared = [
            (list(dict.fromkeys(keys)), self._outbox_rows(inst, callback_url, notes, group))
            for keys, notes, group in candidates
        ]

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
        return await self._submit(work, notify=inst if grows else None)

    async def delete_delivered(self, seqs: Sequence[int]) -> None:
        await self.delete_delivered_nowait(seqs)

    def delete_delivered_nowait(self, seqs: Sequence[int]) -> asyncio.Future[None]:
        wanted = list(seqs)

        async def work(conn: Conn) -> None:
            await conn.execute("DELETE FROM outbox WHERE seq = ANY(%s)", (wanted,))

        return self._submit(work, durable=False)

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

        return self._submit(work, durable=False)

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

        return self._submit(work)

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

        return self._submit(work, notify=inst)

    # ------------------------------------------------------------------ claims (workers)
    async def claim(
        self, instance: str | int, *, limit: int, ttl: float, parked_due_by: float | None
    ) -> list[OutboxItem]:
        inst = str(instance)
        now = self._clock.timestamp()
        params = {
            "inst": inst,
            "now": now,
            # -inf: no parked head is due (probes not asked for).
            "probe_by": float("-inf") if parked_due_by is None else parked_due_by,
            "limit": limit,
            "worker": self.worker_id,
            "until": now + ttl,
        }

        async def work(conn: Conn) -> list[OutboxItem]:
            cur = await conn.execute(_CLAIM, params)
            return sorted((_item(row) for row in await cur.fetchall()), key=lambda i: i.seq)

        return await self._submit(work, durable=False)

    async def release(self, seq: int) -> None:
        async def work(conn: Conn) -> None:
            await conn.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE seq = %s AND claimed_by = %s",
                (seq, self.worker_id),
            )

        await self._submit(work, durable=False)

    def delivered_probe(
        self, instance: str | int, seq: int, group: str | None
    ) -> asyncio.Future[int]:
        """A probe of a parked head got through: delete it and release its group."""
        inst = str(instance)

        async def work(conn: Conn) -> int:
            await conn.execute("DELETE FROM outbox WHERE seq = %s", (seq,))
            cur = await conn.execute(_SQL.unpark_group, (inst, encode_group(group)))
            return cur.rowcount

        return self._submit(work, notify=inst)

    # ------------------------------------------------------------------ leases
    async def acquire_lease(self, name: str, *, ttl: float) -> Lease | None:
        now = self._clock.timestamp()
        holder = self.worker_id

        async def work(conn: Conn) -> Lease | None:
            cur = await conn.execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < %s "
                "RETURNING holder",
                (name, holder, now + ttl, now),
            )
            return Lease(name, holder) if await cur.fetchone() is not None else None

        return await self._submit(work)

    async def release_lease(self, lease: Lease) -> None:
        async def work(conn: Conn) -> None:
            await conn.execute(
                "DELETE FROM leases WHERE name = %s AND holder = %s", (lease.name, lease.holder)
            )

        await self._submit(work)

    @staticmethod
    async def _check_lease(conn: Conn, lease: Lease, now: float) -> None:
        # FOR UPDATE: a worker taking the lease over waits for this commit, or we for its.
        cur = await conn.execute(
            "SELECT holder, expires_at FROM leases WHERE name = %s FOR UPDATE", (lease.name,)
        )
        row = await cur.fetchone()
        if row is None or row[0] != lease.holder or row[1] < now:
            raise LeaseLostError(f"lease {lease.name} is no longer held by {lease.holder}")

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

        return await self._submit(work)

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

        return await self._submit(work)

    async def outbox_batch(self, instance: str | int, limit: int = 100) -> list[OutboxItem]:
        return await self._select_items(_SQL.outbox_batch, (str(instance), limit))

    async def outbox_counts(self, instance: str | int) -> OutboxCounts:
        inst = str(instance)

        async def work(conn: Conn) -> OutboxCounts:
            cur = await conn.execute(_SQL.outbox_counts, (inst,))
            counts = {row[0]: row[1] for row in await cur.fetchall()}
            return OutboxCounts(pending=counts.get(PENDING, 0), parked=counts.get(PARKED, 0))

        return await self._submit(work)

    async def outbox_instances(self) -> list[str]:
        async def work(conn: Conn) -> list[str]:
            cur = await conn.execute(_SQL.outbox_instances)
            return [row[0] for row in await cur.fetchall()]

        return await self._submit(work)

    # ------------------------------------------------------------------ watermarks
    async def get_watermark(self, instance: str | int, resource: str) -> Watermark | None:
        inst = str(instance)

        async def work(conn: Conn) -> Watermark | None:
            row = await (await conn.execute(_SQL.get_watermark, (inst, resource))).fetchone()
            return None if row is None else watermark_from_row(row[0], row[1])

        return await self._submit(work)

    async def set_watermark(self, instance: str | int, resource: str, watermark: Watermark) -> None:
        inst = str(instance)

        async def work(conn: Conn) -> None:
            await self._write_watermark(conn, inst, resource, watermark)

        await self._submit(work)

    async def watermarks(self, instance: str | int) -> dict[str, Watermark]:
        inst = str(instance)

        async def work(conn: Conn) -> dict[str, Watermark]:
            cur = await conn.execute(_SQL.watermarks, (inst,))
            return {r: watermark_from_row(ts, c) for r, ts, c in await cur.fetchall()}

        return await self._submit(work)

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

        return await self._submit(work)

    async def mark_seen(self, instance: str | int, keys: Iterable[str]) -> None:
        inst = str(instance)
        wanted = list(dict.fromkeys(keys))
        now = self._clock.timestamp()

        async def work(conn: Conn) -> None:
            await self._insert_seen(conn, inst, wanted, now)

        await self._submit(work)

    async def prune_seen(self, older_than: datetime | None = None) -> int:
        cutoff = (
            self._clock.timestamp() - self._seen_max_age
            if older_than is None
            else to_utc(older_than).timestamp()
        )

        async def work(conn: Conn) -> int:
            return (await conn.execute(_SQL.prune_seen, (cutoff,))).rowcount

        return await self._submit(work)

    # ------------------------------------------------------------------ small values
    async def kv_get(self, instance: str | int, key: str) -> Any:
        inst = str(instance)

        async def work(conn: Conn) -> Any:
            row = await (await conn.execute(_SQL.kv_get, (inst, key))).fetchone()
            return None if row is None else json.loads(row[0])

        return await self._submit(work)

    async def kv_set(self, instance: str | int, key: str, value: Any) -> None:
        inst = str(instance)
        encoded = json.dumps(value, separators=(",", ":"))

        async def work(conn: Conn) -> None:
            await conn.execute(_SQL.kv_set, (inst, key, encoded))

        await self._submit(work)

    async def kv_delete(self, instance: str | int, key: str) -> bool:
        inst = str(instance)

        async def work(conn: Conn) -> bool:
            return (await conn.execute(_SQL.kv_delete, (inst, key))).rowcount > 0

        return await self._submit(work)

    async def kv_items(self, instance: str | int) -> dict[str, Any]:
        inst = str(instance)

        async def work(conn: Conn) -> dict[str, Any]:
            cur = await conn.execute(_SQL.kv_items, (inst,))
            return {key: json.loads(value) for key, value in await cur.fetchall()}

        return await self._submit(work)

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

        return await self._submit(work)

    async def saved_instances(self) -> list[tuple[int, str, str]]:
        """``(id, key, body)`` of every instance with a kept configuration, by id."""

        async def work(conn: Conn) -> list[tuple[int, str, str]]:
            cur = await conn.execute(_SQL.saved_instances)
            return [(int(i), str(k), str(b)) for i, k, b in await cur.fetchall()]

        return await self._submit(work)

    async def forget_instance_body(self, key: str) -> bool:
        """Drop the kept configuration of ``key`` (its id stays reserved)."""

        async def work(conn: Conn) -> bool:
            return (await conn.execute(_SQL.forget_instance_body, (key,))).rowcount > 0

        return await self._submit(work)

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
    async def _write_watermark(
        conn: Conn, instance: str, resource: str, watermark: Watermark
    ) -> None:
        cursor = None if watermark.cursor is None else json.dumps(watermark.cursor)
        await conn.execute(
            _SQL.write_watermark, (instance, resource, iso(watermark.timestamp), cursor)
        )

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

        return await self._submit(work)

    # ------------------------------------------------------------------ the connection
    def _submit(
        self,
        fn: Callable[[Conn], Awaitable[T]],
        *,
        notify: str | None = None,
        durable: bool = True,
    ) -> asyncio.Future[T]:
        if self._closed:
            raise StateClosedError("the state database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait(_Job(fn, future, notify, durable))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="woosim-state")
        return future

    async def _connect(self) -> Conn:
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            cur = await conn.execute("SELECT version FROM schema_version")
            row = await cur.fetchone()
            version = 0 if row is None else int(row[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"the state database was written by a newer version (schema {version})"
                )
            for step in MIGRATIONS[version:]:
                for statement in step:
                    await conn.execute(statement)
            if row is None:
                await conn.execute(
                    "INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,)
                )
            elif version < SCHEMA_VERSION:
                await conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
        return conn

    async def _run(self) -> None:
        while True:
            first = await self._jobs.get()
            batch = [first]
            while len(batch) < self._max_batch and not self._jobs.empty():
                batch.append(self._jobs.get_nowait())
            jobs = [job for job in batch if job is not None]
            if jobs:
                await self._execute(jobs)
            if len(jobs) != len(batch):
                return

    async def _execute(self, jobs: list[_Job]) -> None:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await self._connect()
        except (psycopg.Error, OSError, RuntimeError) as exc:
            self._conn = None
            failure = StateClosedError(f"cannot open the state database: {exc}")
            for job in jobs:
                resolve(job.future, None, failure)
            await asyncio.sleep(self._reconnect_delay)  # the database is restarting, say
            return
        conn = self._conn
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        single = len(jobs) == 1  # no savepoint needed: an error undoes only that job
        try:
            await conn.execute("BEGIN")
            if not any(job.durable for job in jobs):
                # Only delivery bookkeeping: see the module docstring.
                await conn.execute("SET LOCAL synchronous_commit TO off")
            for job in jobs:
                if not single:
                    await conn.execute("SAVEPOINT job")
                try:
                    result = await job.fn(conn)
                except Exception as exc:
                    if isinstance(exc, psycopg.Error) and _connection_lost(conn, exc):
                        raise
                    if single:
                        await conn.execute("ROLLBACK")
                        await conn.execute("BEGIN")
                    else:
                        await conn.execute("ROLLBACK TO SAVEPOINT job")
                        await conn.execute("RELEASE SAVEPOINT job")
                    outcomes.append((job, None, exc))
                else:
                    if not single:
                        await conn.execute("RELEASE SAVEPOINT job")
                    outcomes.append((job, result, None))
            await self._maybe_prune(conn)
            for instance in {job.notify for job, _, error in outcomes if job.notify and not error}:
                await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, instance))
            await conn.execute("COMMIT")
        except (psycopg.Error, OSError) as exc:
            log.error("state transaction failed: %s", exc)
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
            self._conn = None
            for job in jobs:
                resolve(job.future, None, exc)
            return
        self.batches += 1
        grown = {job.notify for job, _, error in outcomes if error is None and job.notify}
        for instance in grown:
            self._listeners.tell(instance)
        for job, result, error in outcomes:
            resolve(job.future, result, error)

    async def _maybe_prune(self, conn: Conn) -> None:
        now = self._clock.timestamp()
        if now - self._last_prune < SEEN_PRUNE_INTERVAL:
            return
        self._last_prune = now
        await conn.execute(_SQL.prune_seen, (now - self._seen_max_age,))

    async def _listen(self) -> None:
        """Relay other workers' NOTIFYs to the listeners; reconnects after a restart."""
        reconnected = False
        while not self._closed:
            try:
                conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            except (psycopg.Error, OSError):
                await asyncio.sleep(self._reconnect_delay)
                continue
            try:
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if reconnected:
                        # Rows may have arrived while nobody listened: make everyone look.
                        self._listeners.tell(ANY_INSTANCE)
                    reconnected = True
                    async for note in conn.notifies():
                        own = self._conn
                        if own is not None and not own.closed and note.pid == own.info.backend_pid:
                            continue  # our own commit: its listeners were told already
                        self._listeners.tell(note.payload)
            except (psycopg.Error, OSError):
                await asyncio.sleep(self._reconnect_delay)


def _connection_lost(conn: Conn, exc: BaseException) -> bool:
    return conn.closed or conn.broken or isinstance(exc, psycopg.OperationalError)


async def _noop(conn: Conn) -> None:
    return None


__all__ = [
    "CHANNEL",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PostgresState",
    "default_worker_id",
    "is_postgres_url",
]
