"""What both delivery workers share: retry defaults, one POST attempt, and the lifecycle.

:class:`~pytest_woosim.outbox.sender.Sender` (one process owns the outbox) and
:class:`~pytest_woosim.outbox.worker_sender.ClaimingSender` (workers share it through
the database) differ in how they pick the next item; starting, stopping, owning the
HTTP client, posting and batching the deletes of delivered rows are the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

import httpx

from pytest_woosim.outbox.state import PARKED, OutboxItem, StateStore
from pytest_woosim.outbox.transport import KeepAlivePoster, PostFailed, SenderClient, sender_client
from simulator.clock import Clock

log = logging.getLogger(__name__)

#: Seconds after the first failure at which retry 1..9 is made: 4**x.
CE_RETRY_SCHEDULE: tuple[float, ...] = tuple(float(4**x) for x in range(1, 10))
DEFAULT_TIMEOUT = 30.0
DEFAULT_PARK_PROBE_INTERVAL = 3600.0
#: POSTs at once (each to a different group).
DEFAULT_MAX_IN_FLIGHT = 32
#: Attempts kept in :attr:`DeliveryWorker.attempt_log`.
ATTEMPT_LOG_SIZE = 1000


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, at clock time ``at`` (Unix seconds)."""

    seq: int
    notification_id: str
    at: float
    ok: bool
    error: str


@dataclass(frozen=True)
class SenderStats:
    delivered: int
    failed_attempts: int
    pending: int
    parked: int


class Failure(NamedTuple):
    """A failed attempt as booked: the head's attempts so far and when it is tried next."""

    attempts: int
    first_failure_at: float
    #: Clock time of the next attempt (a parked head's next probe); None: retries are
    #: exhausted and the group is to be parked.
    next_at: float | None


class DeliveryWorker:
    """The shared part of a sender: settings, counters, start/stop and the writes it queues.

    A subclass provides :meth:`_run` (the worker task) and may extend
    :meth:`_tasks_to_cancel` and :meth:`_after_cancel`.
    """

    #: Prefix of the worker task's name (the instance is appended).
    task_name = "woosim-delivery"

    def __init__(
        self,
        state: StateStore,
        clock: Clock,
        *,
        instance: str | int,
        callback_url: str | None,
        signature_key: str | None,
        client: httpx.AsyncClient | None,
        schedule: Sequence[float],
        timeout: float,
        park_probe_interval: float,
        max_in_flight: int,
    ) -> None:
        if any(b <= a for a, b in itertools.pairwise(schedule)) or any(
            delay < 0 for delay in schedule
        ):
            raise ValueError("schedule must be increasing non-negative delays in seconds")
        if park_probe_interval <= 0:
            raise ValueError("park_probe_interval must be positive")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._state = state
        self._clock = clock
        self.instance = str(instance)
        # None: deliver each item to the URL stored with it. Otherwise the current
        # configured URL wins, so a changed callback URL also gets the backlog.
        self.callback_url = callback_url
        self._signature_key = signature_key or None
        self._client = client
        self._own_client = client is None
        self._fast: KeepAlivePoster | None = None
        self.schedule = tuple(float(delay) for delay in schedule)
        self.timeout = timeout
        self.park_probe_interval = float(park_probe_interval)
        self.max_in_flight = max_in_flight

        self.delivered = 0
        self.failed_attempts = 0
        self.attempt_log: deque[Attempt] = deque(maxlen=ATTEMPT_LOG_SIZE)
        #: Called after every attempt with the item and its error (None: delivered),
        #: e.g. to show recent deliveries; must not block.
        self.observers: list[Callable[[OutboxItem, str | None], None]] = []

        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._posts: set[asyncio.Task[None]] = set()
        self._writes: set[asyncio.Future[Any]] = set()
        self._delivered_seqs: list[int] = []
        self._remove_listener: Any = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        if self._client is None:
            self._client = sender_client(self.timeout, limit=self.max_in_flight)
        if isinstance(self._client, SenderClient):
            self._fast = self._client.poster
        self._remove_listener = self._state.add_enqueue_listener(self._on_enqueue)
        self._task = asyncio.create_task(self._run(), name=f"{self.task_name}-{self.instance}")

    async def stop(self) -> None:
        """Stop delivering. Posts in flight are abandoned: their items stay queued."""
        task, self._task = self._task, None
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        tasks = [t for t in (task, *self._tasks_to_cancel()) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await self._after_cancel()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
            self._fast = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _tasks_to_cancel(self) -> list[asyncio.Task[None]]:
        """Tasks besides the worker that :meth:`stop` cancels."""
        return list(self._posts)

    async def _after_cancel(self) -> None:
        """Once the tasks are cancelled: queue what is still owed to the database."""
        if not self._state.closed:
            self._flush_deletes()

    async def _run(self) -> None:
        raise NotImplementedError

    def _on_enqueue(self, instance: str) -> None:
        raise NotImplementedError

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait (real seconds) until the worker waits: on the clock, or for new work.

        Nothing is in flight then. Tests call it before moving a frozen clock, so the
        move finds the worker asleep at its next deadline rather than still busy.
        """
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    def _record_attempt(self, item: OutboxItem, error: str | None, now: float) -> None:
        """Log one attempt and tell the observers (``error`` None: delivered)."""
        self.attempt_log.append(
            Attempt(item.seq, item.notification_id, now, error is None, error or "")
        )
        for observe in self.observers:
            observe(item, error)

    # ------------------------------------------------------------------ failures
    def _book_failure(self, head: OutboxItem, error: str, now: float) -> Failure:
        """Count a failed attempt and record when the head is tried again.

        Retry *x* comes ``schedule[x-1]`` after the head's FIRST failure; a parked
        head is probed again ``park_probe_interval`` later. When the retries are
        exhausted nothing is recorded and ``next_at`` is None: the caller parks.
        """
        self.failed_attempts += 1
        attempts = head.attempts + 1
        first = head.first_failure_at if head.first_failure_at is not None else now
        if head.status == PARKED:
            next_at = now + self.park_probe_interval
        elif attempts <= len(self.schedule):
            next_at = first + self.schedule[attempts - 1]
            log.warning(
                "instance %s: delivery of %s failed (%s); retry %d at +%gs",
                self.instance,
                head.notification_id,
                error,
                attempts,
                self.schedule[attempts - 1],
            )
        else:
            return Failure(attempts, first, None)
        self._track(
            self._state.record_failure(
                head.seq,
                attempts=attempts,
                first_failure_at=first,
                next_attempt_at=next_at,
                error=error,
            )
        )
        return Failure(attempts, first, next_at)

    def _park(
        self, head: OutboxItem, error: str, failure: Failure, next_probe: float
    ) -> asyncio.Future[int]:
        """Park the head's group (retries exhausted) until a probe at ``next_probe``."""
        parked = self._state.park(
            self.instance,
            head.seq,
            attempts=failure.attempts,
            first_failure_at=failure.first_failure_at,
            next_probe_at=next_probe,
            error=error,
        )
        self._track(parked)
        return parked

    # ------------------------------------------------------------------ writes
    def _track(self, future: asyncio.Future[Any]) -> None:
        self._writes.add(future)
        future.add_done_callback(self._write_done)

    def _write_done(self, future: asyncio.Future[Any]) -> None:
        self._writes.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("instance %s: outbox update failed: %s", self.instance, future.exception())

    def _flush_deletes(self) -> None:
        """Remove delivered items in one transaction, without waiting for it."""
        if not self._delivered_seqs:
            return
        seqs, self._delivered_seqs = self._delivered_seqs, []
        self._track(self._state.delete_delivered_nowait(seqs))

    # ------------------------------------------------------------------ HTTP
    async def _post(self, item: OutboxItem) -> str | None:
        return await post_item(
            item, self.callback_url, self._signature_key, self._client, self._fast, self.timeout
        )


async def post_item(
    item: OutboxItem,
    callback_url: str | None,
    signature_key: str | None,
    client: httpx.AsyncClient | None,
    fast: KeepAlivePoster | None,
    timeout: float,
) -> str | None:
    """One attempt; None on a 2xx, else why it failed.

    What Cloud Elements counts as a failure is UNVERIFIED; we take any non-2xx
    (redirects are not followed, so 3xx fails too), a timeout, or no connection.
    """
    url = callback_url or item.callback_url
    headers = item.notification().headers(signature_key)
    if fast is not None:
        try:
            status = await fast.post(url, item.body, headers, timeout)
        except PostFailed as exc:
            return str(exc)
    else:
        assert client is not None
        try:
            response = await client.post(url, content=item.body, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            return f"timeout after {timeout:g}s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return f"{type(exc).__name__}: {exc}".rstrip(": ")
        status = response.status_code
    if 200 <= status < 300:
        return None
    return f"HTTP {status}"


__all__ = [
    "ATTEMPT_LOG_SIZE",
    "CE_RETRY_SCHEDULE",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_PARK_PROBE_INTERVAL",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "DeliveryWorker",
    "SenderStats",
    "post_item",
]
