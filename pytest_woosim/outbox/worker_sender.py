"""The delivery worker of a relay that shares its database with other workers.

:class:`~pytest_woosim.outbox.sender.Sender` reads one process's outbox forward and keeps
the groups in memory; that only works when it is the only sender. Here several
processes deliver one instance's outbox, so the database decides who sends what:
each round the worker *claims* up to ``max_in_flight`` group heads
(:meth:`~pytest_woosim.outbox.state.SharedState.claim`, ``FOR UPDATE SKIP LOCKED``), posts
them, and then deletes a delivered head (which makes the group's next row its head)
or records the failure with its retry time, which gives the claim back.

Guarantees, across workers:

* a group's rows go out one at a time and in order: only a head can be claimed, a
  claimed head is nobody else's, and the next row is a head only once the one
  before it is deleted, i.e. delivered;
* at-least-once: a claim lives ``claim_ttl`` clock seconds. A worker killed
  mid-POST leaves its claims to expire; another worker then sends those heads
  again (at most ``max_in_flight`` duplicates per killed worker and instance). The
  POST timeout is kept below half the claim's life, so a live worker's claim never
  expires under a POST in progress;
* retries and parking as :class:`~pytest_woosim.outbox.sender.Sender`: the retry state is
  in the row, so any worker makes the next attempt.

New rows wake the worker through the state's enqueue listener (NOTIFY from any
worker); due retries are found by claiming again every ``idle_poll`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from pytest_woosim.outbox.delivery import (
    CE_RETRY_SCHEDULE,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_PARK_PROBE_INTERVAL,
    DEFAULT_TIMEOUT,
    DeliveryWorker,
    SenderStats,
)
from pytest_woosim.outbox.sender import Sender
from pytest_woosim.outbox.state import (
    ANY_INSTANCE,
    PARKED,
    OutboxItem,
    SharedState,
    StateClosedError,
    StateStore,
)
from simulator.clock import Clock

log = logging.getLogger(__name__)

#: Clock seconds a claim lives before another worker may take the head over.
DEFAULT_CLAIM_TTL = 60.0
#: Real seconds between claims while nothing wakes the worker (due retries, lost wake-ups).
DEFAULT_IDLE_POLL = 0.5


class ClaimingSender(DeliveryWorker):
    """Delivers one instance's outbox together with other workers. ``await start()``."""

    task_name = "woosim-worker"

    def __init__(
        self,
        state: SharedState,
        clock: Clock,
        *,
        instance: str | int,
        callback_url: str | None,
        signature_key: str | None,
        client: httpx.AsyncClient | None = None,
        schedule: Sequence[float] = CE_RETRY_SCHEDULE,
        timeout: float = DEFAULT_TIMEOUT,
        park_probe_interval: float = DEFAULT_PARK_PROBE_INTERVAL,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        claim_ttl: float = DEFAULT_CLAIM_TTL,
        idle_poll: float = DEFAULT_IDLE_POLL,
    ) -> None:
        if claim_ttl <= 0:
            raise ValueError("claim_ttl must be positive")
        # A claim must outlive the POST it covers, or a slow POST could be overtaken.
        timeout = min(timeout, claim_ttl / 2)
        super().__init__(
            state,
            clock,
            instance=instance,
            callback_url=callback_url,
            signature_key=signature_key,
            client=client,
            schedule=schedule,
            timeout=timeout,
            park_probe_interval=park_probe_interval,
            max_in_flight=max_in_flight,
        )
        self._state: SharedState = state
        self.claim_ttl = float(claim_ttl)
        self.idle_poll = idle_poll
        self._in_flight: dict[int, OutboxItem] = {}

    async def _after_cancel(self) -> None:
        """Posts in flight are abandoned and their claims given back."""
        abandoned, self._in_flight = list(self._in_flight), {}
        await super()._after_cancel()
        if not self._state.closed:
            for seq in abandoned:
                with contextlib.suppress(Exception):
                    await self._state.release(seq)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # ------------------------------------------------------------------ control
    async def redeliver(self) -> int:
        """Un-park every parked group of the instance (for every worker); returns how many."""
        count = await self._state.unpark(self.instance)
        self._poke()
        return count

    async def stats(self) -> SenderStats:
        counts = await self._state.outbox_counts(self.instance)
        return SenderStats(self.delivered, self.failed_attempts, counts.pending, counts.parked)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (real seconds) until the instance's outbox is empty, whoever delivers it."""
        async with asyncio.timeout(timeout):
            while True:
                self._flush_deletes()
                counts = await self._state.outbox_counts(self.instance)
                if counts.pending == 0 and counts.parked == 0:
                    return
                self._poke()
                await asyncio.sleep(self.idle_poll / 5)

    # ------------------------------------------------------------------ the worker
    def _on_enqueue(self, instance: str) -> None:
        loop = self._loop
        if loop is None or instance not in (self.instance, ANY_INSTANCE):
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._poke)

    def _poke(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def _run(self) -> None:
        backoff = self.idle_poll
        while True:
            self._wake.clear()
            free = self.max_in_flight - len(self._in_flight)
            claimed: list[OutboxItem] = []
            # While posts are under way, claim only once a quarter of the slots is free:
            # one claim per completed post would make claiming the bottleneck.
            if free > 0 and (not self._in_flight or free >= max(1, self.max_in_flight // 4)):
                self._flush_deletes()  # queued ahead of the claim: their groups move on
                try:
                    claimed = await self._state.claim(
                        self.instance,
                        limit=free,
                        ttl=self.claim_ttl,
                        parked_due_by=self._clock.timestamp(),
                    )
                except StateClosedError:
                    if self._state.closed:
                        return
                    await asyncio.sleep(backoff)  # the database is away: try again
                    backoff = min(backoff * 2, 5.0)
                    continue
                except Exception as exc:
                    log.warning("instance %s: claiming failed: %s", self.instance, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                backoff = self.idle_poll
            for item in claimed:
                self._in_flight[item.seq] = item
                task = asyncio.create_task(self._attempt(item))
                self._posts.add(task)
                task.add_done_callback(self._posts.discard)
            if claimed and len(claimed) == free:
                continue  # there may be more ready heads
            if not self._in_flight:
                self._flush_deletes()
                self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle_poll)

    async def _attempt(self, item: OutboxItem) -> None:
        try:
            error = await self._post(item)
        finally:
            self._in_flight.pop(item.seq, None)
        now = self._clock.timestamp()
        self._record_attempt(item, error, now)
        if error is None:
            self.delivered += 1
            if item.status == PARKED:
                log.info("instance %s: callback reachable again, resuming", self.instance)
                self._track(self._state.delivered_probe(self.instance, item.seq, item.group_key))
            else:
                # Deleted in one statement with the others delivered meanwhile, before
                # the next claim; until then the claim keeps the group's next row back.
                self._delivered_seqs.append(item.seq)
        else:
            self._failed(item, error, now)
        self._poke()

    def _failed(self, head: OutboxItem, error: str, now: float) -> None:
        failure = self._book_failure(head, error, now)
        if failure.next_at is not None:
            return
        log.error(
            "instance %s: %s failed after %d retries (%s); its group is parked",
            self.instance,
            head.notification_id,
            len(self.schedule),
            error,
        )
        self._park(head, error, failure, now + self.park_probe_interval)


AnySender = Sender | ClaimingSender


@contextlib.asynccontextmanager
async def exclusive(
    state: StateStore, name: str, *, ttl: float, wait: float = 120.0
) -> AsyncIterator[None]:
    """Run the block as the only worker on the database doing ``name`` (no-op on SQLite).

    Waits (real seconds, at most ``wait``) for the lease; the block must end within ``ttl``.
    """
    if not isinstance(state, SharedState):
        yield
        return
    async with asyncio.timeout(wait):
        while (lease := await state.acquire_lease(name, ttl=ttl)) is None:
            await asyncio.sleep(0.1)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await state.release_lease(lease)


def sender_for(state: StateStore, clock: Clock, **options: Any) -> AnySender:
    """The sender that fits the state: a claiming worker on shared state, else :class:`Sender`."""
    if isinstance(state, SharedState):
        options.pop("prefetch", None)
        options.pop("max_loaded", None)
        options.pop("max_waiting", None)
        return ClaimingSender(state, clock, **options)
    options.pop("claim_ttl", None)
    return Sender(state, clock, **options)


__all__ = ["DEFAULT_CLAIM_TTL", "AnySender", "ClaimingSender", "exclusive", "sender_for"]
