"""Group commit for the SQLite engine: one thread, one connection, one transaction per batch.

The thread owns the connection and runs every statement, so the event loop never
blocks on SQLite; callers get an awaitable per job. It takes every job queued
while it was busy and runs them in ONE transaction (each in its own savepoint, so
one failing job does not undo the others), commits once, then answers them all.
Many relay requests enqueuing at once therefore share one fsync.

A state in memory (no file) has no disk to wait for: :class:`MemoryCommitter`
runs each job where it is submitted, in its own transaction, and answers it on
the caller's loop without a hand-off to a thread and back.

What the jobs do to which tables is :mod:`pytest_woosim.outbox.state.sqlite`'s.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pytest_woosim.outbox.state.base import StateClosedError, resolve

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Job:
    __slots__ = ("fn", "future", "loop", "notify")

    def __init__(
        self,
        fn: Callable[[sqlite3.Connection], Any],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        notify: str | None,
    ) -> None:
        self.fn = fn
        self.loop = loop
        self.future = future
        self.notify = notify  # instance whose outbox grew (wakes its sender)


class GroupCommitter:
    """Runs jobs on a database thread, batched into one transaction each.

    ``connect`` opens the connection (on the thread ``name``, at the first job);
    ``before_commit`` runs in every batch's transaction after its jobs; ``grown`` is
    called on the thread with each instance whose outbox a committed batch grew.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        max_batch: int,
        before_commit: Callable[[sqlite3.Connection], None],
        grown: Callable[[str], None],
        name: str,
        what: str,
    ) -> None:
        self._connect = connect
        self._max_batch = max(1, max_batch)
        self._before_commit = before_commit
        self._grown = grown
        self._name = name
        self._what = what  # the database, as errors name it
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # transactions committed (for measurements)

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(
        self, fn: Callable[[sqlite3.Connection], T], *, notify: str | None = None
    ) -> asyncio.Future[T]:
        """Run ``fn(conn)`` in the next batch; ``notify``: the instance whose outbox it grows."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._closed:
                raise StateClosedError("the state database is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._jobs.put(_Job(fn, loop, future, notify))
        return future

    async def open(self) -> None:
        """Open the database now (otherwise done by the first job); raises if it cannot."""
        await self.submit(_noop)

    async def close(self) -> None:
        """Finish every queued job, then close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._jobs.put(None)
        await asyncio.to_thread(thread.join)

    # ------------------------------------------------------------------ the database thread
    def _run(self) -> None:
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            self._fail_all(exc)
            return
        try:
            while True:
                first = self._jobs.get()
                batch = [first]
                while len(batch) < self._max_batch:
                    try:
                        batch.append(self._jobs.get_nowait())
                    except queue.Empty:
                        break
                jobs = [job for job in batch if job is not None]
                if jobs:
                    self._execute(conn, jobs)
                if len(jobs) != len(batch):
                    break
        finally:
            conn.close()

    def _fail_all(self, exc: BaseException) -> None:
        """Opening failed: answer every job (now and later) with the error."""
        error = StateClosedError(f"cannot open {self._what}: {exc}")
        with self._lock:
            self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                _answer(job, None, error)

    def _execute(
        self, conn: sqlite3.Connection, jobs: list[_Job], answer: Callable[..., None] | None = None
    ) -> None:
        answer = answer or _answer
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for job in jobs:
                answer(job, None, exc)
            return
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                result = job.fn(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((job, None, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((job, result, None))
        self._before_commit(conn)
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("state commit failed: %s", exc)
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            outcomes = [(job, None, exc) for job, _, _ in outcomes]
        self.batches += 1
        grown = {job.notify for job, _, error in outcomes if error is None and job.notify}
        for instance in grown:
            self._grown(instance)
        for job, result, error in outcomes:
            answer(job, result, error)


class MemoryCommitter(GroupCommitter):
    """The committer of a state in memory: each job runs at once, on the caller's thread.

    An in-memory database has nothing to wait for (no file, no fsync), so handing
    each job to a thread and its answer back cost more than the job: two thread
    switches and a wake-up of the loop per statement. Here a job runs in its own
    transaction (``before_commit`` and ``grown`` as in a batch) and its future is
    answered on the caller's loop in the next iteration, as before. A lock keeps
    callers on several threads one at a time on the one connection.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        before_commit: Callable[[sqlite3.Connection], None],
        grown: Callable[[str], None],
        what: str,
    ) -> None:
        super().__init__(
            connect,
            max_batch=1,
            before_commit=before_commit,
            grown=grown,
            name="woosim-state",
            what=what,
        )
        self._conn: sqlite3.Connection | None = None

    def submit(
        self, fn: Callable[[sqlite3.Connection], T], *, notify: str | None = None
    ) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        job = _Job(fn, loop, future, notify)
        with self._lock:
            if self._closed:
                raise StateClosedError("the state database is closed")
            if self._conn is None:
                try:
                    self._conn = self._connect()
                except (sqlite3.Error, OSError, RuntimeError) as exc:
                    self._closed = True
                    raise StateClosedError(f"cannot open {self._what}: {exc}") from exc
            self._execute(self._conn, [job], _answer_here)
        return future

    async def close(self) -> None:
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _answer_here(job: _Job, result: Any, error: BaseException | None) -> None:
    """Answer on the caller's own loop: :meth:`MemoryCommitter.submit` runs on it."""
    try:
        job.loop.call_soon(resolve, job.future, result, error)
    except RuntimeError:
        pass  # the caller's loop is closed: nobody is waiting any more


def _noop(conn: sqlite3.Connection) -> None:
    return None


def _answer(job: _Job, result: Any, error: BaseException | None) -> None:
    try:
        job.loop.call_soon_threadsafe(resolve, job.future, result, error)
    except RuntimeError:
        pass  # the caller's loop is closed: nobody is waiting any more


__all__ = ["GroupCommitter", "MemoryCommitter"]
