"""Group commit for the PostgreSQL engine: one connection, one transaction per batch, LISTEN.

Like the SQLite engine's :mod:`.sqlite_commits`, one connection runs every
statement, in the order the calls were made, and the jobs queued while it was
busy share one transaction (each in its own savepoint) and one commit. A second
connection LISTENs, so a sender learns of rows enqueued by any worker.

**Delivery bookkeeping** (claims, deleting delivered rows, retry times) commits
without waiting for the WAL flush (``synchronous_commit = off`` for batches of
only those): a database crash may forget the last of it, which means a row is
sent again (at-least-once), never lost. Enqueues, windows and dedupe keys wait
for the flush: the relay answers 2xx only after it.

What the jobs do to which tables is :mod:`pytest_woosim.outbox.state.postgres`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg

from pytest_woosim.outbox.state.base import (
    ANY_INSTANCE,
    EnqueueListeners,
    StateClosedError,
    resolve,
)
from pytest_woosim.outbox.state.postgres_schema import Conn, migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Conn], Awaitable[Any]]

#: NOTIFY channel carrying the instance whose outbox grew.
CHANNEL = "woosim_outbox"


class _Job:
    __slots__ = ("durable", "fn", "future", "notify")

    def __init__(
        self, fn: Work, future: asyncio.Future[Any], notify: str | None, durable: bool
    ) -> None:
        self.fn = fn
        self.future = future
        self.notify = notify  # instance whose outbox grew (wakes its senders)
        self.durable = durable


class PostgresCommitter:
    """Runs jobs on one connection, batched into one transaction each, and LISTENs.

    ``before_commit`` runs in every batch's transaction after its jobs;
    ``listeners`` are told of each instance whose outbox grew, by this process's
    commits or by another worker's NOTIFY.
    """

    def __init__(
        self,
        url: str,
        *,
        max_batch: int,
        reconnect_delay: float,
        before_commit: Callable[[Conn], Awaitable[None]],
        listeners: EnqueueListeners,
        name: str,
    ) -> None:
        self._url = url
        self._max_batch = max(1, max_batch)
        self._reconnect_delay = reconnect_delay
        self._before_commit = before_commit
        self._listeners = listeners
        self._name = name
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._conn: Conn | None = None
        self._closed = False
        self.batches = 0  # transactions committed (for measurements)

    @property
    def closed(self) -> bool:
        return self._closed

    async def open(self) -> None:
        """Connect and migrate the schema now (raises if it cannot), and start listening."""
        await self.submit(_noop)
        if self._listen_task is None:
            self._listen_task = asyncio.create_task(self._listen(), name=f"{self._name}-listen")

    async def close(self) -> None:
        """Finish every queued job, stop listening, then close the connection."""
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

    def submit(
        self,
        fn: Callable[[Conn], Awaitable[T]],
        *,
        notify: str | None = None,
        durable: bool = True,
    ) -> asyncio.Future[T]:
        """Run ``fn(conn)`` in the next batch; ``notify``: the instance whose outbox it grows;
        ``durable=False``: delivery bookkeeping (see the module docstring)."""
        if self._closed:
            raise StateClosedError("the state database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait(_Job(fn, future, notify, durable))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)
        return future

    # ------------------------------------------------------------------ the batches
    async def _connect(self) -> Conn:
        conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        await migrate(conn)
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
            await self._before_commit(conn)
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

    # ------------------------------------------------------------------ other workers' rows
    async def _listen(self) -> None:
        """Relay other workers' NOTIFYs to the listeners; reconnects after a restart."""
        reconnected = False
        while not self._closed:
            try:
                conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
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


__all__ = ["CHANNEL", "PostgresCommitter"]
