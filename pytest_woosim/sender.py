"""The delivery worker: one instance's outbox, to its callback URL, strictly in order.

FIFO with a blocking head: while the oldest notification is failing, nothing
behind it is sent, so a consumer never sees a later change of an object before
an earlier one.

Retries follow Cloud Elements (spec: "delivery failures"): retry *x* (1..9) comes
``4**x`` seconds after the FIRST failure, not after the previous attempt, so the
9th lands about 72.8 hours after the original failure. When the 9th retry fails
the queue is parked (Cloud Elements deactivates the subscription and queues
later events): nothing is dropped. A parked queue moves again when
:meth:`Sender.redeliver` is called or when the periodic probe of the head
succeeds.

Redelivery (UNVERIFIED beyond "PUT ... status='queued'" re-sending the queue):
``redeliver()`` makes the parked queue pending again and gives the head a fresh
schedule (a human said "try again"); a probe that fails only books the next
probe, a probe that succeeds releases the queue.

All waiting is on the shared :class:`~simulator.clock.Clock`, and the retry
state lives in the outbox rows, so a restarted sender resumes the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import httpx

from simulator.clock import Clock

from .state import PARKED, OutboxItem, State

log = logging.getLogger(__name__)

#: Seconds after the first failure at which retry 1..9 is made: 4**x.
CE_RETRY_SCHEDULE: tuple[float, ...] = tuple(float(4**x) for x in range(1, 10))
DEFAULT_TIMEOUT = 30.0
DEFAULT_PARK_PROBE_INTERVAL = 3600.0
#: Outbox rows read per query; delivery stays one at a time.
DEFAULT_PREFETCH = 100
#: Delivered items removed from the outbox per transaction (fewer thread hand-offs).
DELETE_BATCH = 64
#: Attempts kept in :attr:`Sender.attempt_log`.
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


class _Interrupted(Exception):
    """A redelivery cut a clock sleep short."""


class Sender:
    """Delivers one instance's outbox. Start it with ``await sender.start()``."""

    def __init__(
        self,
        state: State,
        clock: Clock,
        *,
        instance: str | int,
        callback_url: str | None,
        signature_key: str | None,
        client: httpx.AsyncClient | None = None,
        schedule: Sequence[float] = CE_RETRY_SCHEDULE,
        timeout: float = DEFAULT_TIMEOUT,
        park_probe_interval: float = DEFAULT_PARK_PROBE_INTERVAL,
        prefetch: int = DEFAULT_PREFETCH,
    ) -> None:
        if any(b <= a for a, b in itertools.pairwise(schedule)) or any(
            delay < 0 for delay in schedule
        ):
            raise ValueError("schedule must be increasing non-negative delays in seconds")
        if park_probe_interval <= 0:
            raise ValueError("park_probe_interval must be positive")
        self._state = state
        self._clock = clock
        self.instance = str(instance)
        # None: deliver each item to the URL stored with it. Otherwise the current
        # configured URL wins, so a changed callback URL also gets the backlog.
        self.callback_url = callback_url
        self._signature_key = signature_key or None
        self._client = client
        self._own_client = client is None
        self.schedule = tuple(float(delay) for delay in schedule)
        self.timeout = timeout
        self.park_probe_interval = float(park_probe_interval)
        self._prefetch = max(1, prefetch)

        self.delivered = 0
        self.failed_attempts = 0
        self.attempt_log: deque[Attempt] = deque(maxlen=ATTEMPT_LOG_SIZE)

        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._idle = asyncio.Event()
        self._reload = False
        self._sleeping = False
        self._interrupting = False
        self._attempt_lock = asyncio.Lock()
        self._deletes: set[asyncio.Future[None]] = set()
        self._delivered_seqs: list[int] = []
        self._remove_listener: Callable[[], None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        if self._client is None:
            # trust_env off: a proxy from the environment must not swallow loopback callbacks.
            self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        self._remove_listener = self._state.add_enqueue_listener(self._on_enqueue)
        self._task = asyncio.create_task(self._run(), name=f"woosim-sender-{self.instance}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._state_usable():
            self._flush_deletes()
        if self._deletes:
            await asyncio.gather(*self._deletes, return_exceptions=True)
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> Sender:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------------------ control
    async def redeliver(self) -> int:
        """Un-park this instance's queue and try its head now; returns how many were parked.

        The head then gets a fresh retry schedule. Call it on the sender's event loop.
        """
        async with self._attempt_lock:
            self._flush_deletes()
            count = await self._state.unpark(self.instance)
        if count:
            self._poke(reload=True)
        return count

    async def stats(self) -> SenderStats:
        self._flush_deletes()
        counts = await self._state.outbox_counts(self.instance)
        return SenderStats(self.delivered, self.failed_attempts, counts.pending, counts.parked)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (real seconds) until this instance's outbox is empty; TimeoutError if not."""
        async with asyncio.timeout(timeout):
            while True:
                await self._empty.wait()
                counts = await self._state.outbox_counts(self.instance)
                if counts.pending == 0 and counts.parked == 0:
                    return
                # Something arrived after the worker last looked: make it look again.
                self._empty.clear()
                self._wake.set()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait (real seconds) until the worker waits: on the clock, or for new work.

        Tests call it before moving a frozen clock, so the move finds the worker
        asleep at its next deadline rather than still busy with the last attempt.
        """
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    # ------------------------------------------------------------------ waking
    def _on_enqueue(self, instance: str) -> None:
        """Runs on the state's thread after a commit that grew some outbox."""
        loop = self._loop
        if instance != self.instance or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop closed: the sender is gone
            loop.call_soon_threadsafe(self._poke)

    def _poke(self, *, reload: bool = False) -> None:
        self._empty.clear()
        if reload or not self._sleeping:
            # New work for an idle worker (a clock sleep is only cut short by a reload).
            self._idle.clear()
        self._wake.set()
        if reload:
            self._reload = True
            if self._sleeping and not self._interrupting and self._task is not None:
                self._interrupting = True
                self._task.cancel()

    async def _sleep_until(self, deadline: float) -> None:
        """Sleep on the clock; raises _Interrupted when a redelivery cuts it short."""
        self._sleeping = True
        self._idle.set()
        try:
            await self._clock.sleep_until(deadline)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._interrupting and task is not None and task.uncancel() == 0:
                raise _Interrupted from None
            raise
        finally:
            self._idle.clear()
            self._sleeping = False
            self._interrupting = False

    # ------------------------------------------------------------------ the worker
    async def _run(self) -> None:
        buffer: deque[OutboxItem] = deque()
        while True:
            if self._reload:
                self._reload = False
                buffer.clear()
            if not buffer:
                self._wake.clear()
                self._flush_deletes()  # before the read, so delivered rows are gone from it
                rows = await self._state.outbox_batch(self.instance, self._prefetch)
                if self._reload:
                    continue
                if not rows:
                    self._empty.set()
                    self._idle.set()
                    self._clock.mark_idle()
                    await self._wake.wait()
                    self._idle.clear()
                    continue
                buffer.extend(rows)
            head = buffer[0]
            due = head.next_attempt_at
            if due is not None and due > self._clock.timestamp():
                try:
                    await self._sleep_until(due)
                except _Interrupted:
                    continue
                if self._reload:
                    continue
            async with self._attempt_lock:
                await self._deliver(head, buffer)

    async def _deliver(self, head: OutboxItem, buffer: deque[OutboxItem]) -> None:
        error = await self._post(head)
        now = self._clock.timestamp()
        self.attempt_log.append(
            Attempt(head.seq, head.notification_id, now, error is None, error or "")
        )
        if error is None:
            self.delivered += 1
            buffer.popleft()
            self._delivered_seqs.append(head.seq)
            if len(self._delivered_seqs) >= DELETE_BATCH:
                self._flush_deletes()
            if head.status == PARKED:
                # The probe got through: the consumer is back, release the queue.
                log.info("instance %s: callback reachable again, resuming", self.instance)
                self._flush_deletes()
                await self._state.unpark(self.instance)
                self._reload = True
            return

        self.failed_attempts += 1
        attempts = head.attempts + 1
        first = head.first_failure_at if head.first_failure_at is not None else now
        if head.status == PARKED:
            next_at = now + self.park_probe_interval
            await self._state.record_failure(
                head.seq,
                attempts=attempts,
                first_failure_at=first,
                next_attempt_at=next_at,
                error=error,
            )
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
            await self._state.record_failure(
                head.seq,
                attempts=attempts,
                first_failure_at=first,
                next_attempt_at=next_at,
                error=error,
            )
        else:
            next_at = now + self.park_probe_interval
            self._flush_deletes()
            parked = await self._state.park(
                self.instance,
                head.seq,
                attempts=attempts,
                first_failure_at=first,
                next_probe_at=next_at,
                error=error,
            )
            log.error(
                "instance %s: %s failed after %d retries (%s); %d notification(s) parked",
                self.instance,
                head.notification_id,
                len(self.schedule),
                error,
                parked,
            )
            self._reload = True
        buffer[0] = replace(
            head,
            attempts=attempts,
            first_failure_at=first,
            next_attempt_at=next_at,
            last_error=error,
        )

    def _flush_deletes(self) -> None:
        """Remove delivered items in one transaction, without waiting for it."""
        if not self._delivered_seqs:
            return
        seqs, self._delivered_seqs = self._delivered_seqs, []
        future = self._state.delete_delivered_nowait(seqs)
        self._deletes.add(future)
        future.add_done_callback(self._delete_done)

    def _state_usable(self) -> bool:
        return not self._state.closed

    def _delete_done(self, future: asyncio.Future[None]) -> None:
        self._deletes.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("could not remove a delivered notification: %s", future.exception())

    async def _post(self, item: OutboxItem) -> str | None:
        """One attempt; None on a 2xx, else why it failed.

        What Cloud Elements counts as a failure is UNVERIFIED; we take any non-2xx
        (redirects are not followed, so 3xx fails too), a timeout, or no connection.
        """
        assert self._client is not None
        url = self.callback_url or item.callback_url
        headers = item.notification().headers(self._signature_key)
        try:
            response = await self._client.post(
                url, content=item.body, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            return f"timeout after {self.timeout:g}s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return f"{type(exc).__name__}: {exc}".rstrip(": ")
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"


__all__ = [
    "CE_RETRY_SCHEDULE",
    "DEFAULT_PARK_PROBE_INTERVAL",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "Sender",
    "SenderStats",
]
