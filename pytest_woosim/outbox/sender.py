"""The delivery worker: one instance's outbox, to its callback URL, in order per group.

Every outbox item has a ``group_key`` (the relay uses ``"{objectType}:{objectId}"``,
the poller the resource name; items without one form a single group). Items of
one group go out one at a time, oldest first, and a failing head blocks only its
own group: a consumer never sees a later change of an object before an earlier
one, while other groups keep flowing, up to ``max_in_flight`` POSTs at once.

Retries follow Cloud Elements (spec: "delivery failures"), per group: retry *x*
(1..9) of a group's head comes ``4**x`` seconds after ITS first failure, not after
the previous attempt, so the 9th lands about 72.8 hours after the original
failure. When the 9th retry fails the group is parked with everything queued
behind it (Cloud Elements deactivates the subscription and queues later events):
nothing is dropped, and other groups are unaffected. A parked group moves again
when :meth:`Sender.redeliver` is called or when the periodic probe of its head
succeeds.

Redelivery (UNVERIFIED beyond "PUT ... status='queued'" re-sending the queue):
``redeliver()`` makes every parked group pending again and gives each head a fresh
schedule (a human said "try again"); a probe that fails only books the group's
next probe, a probe that succeeds releases that group.

Memory stays bounded: the worker holds at most ``max_loaded`` ready items plus the
heads of at most ``max_waiting`` groups waiting for a retry; the rest stays in the
database until there is room (it reads forward by sequence number, and re-reads a
group's backlog when the group can move again). Delivered rows are deleted in
batches, always before the next read.

What the worker holds in memory, group by group, is
:mod:`pytest_woosim.outbox.sender_memory`'s; here are the reads, the posts and
the writes around it.

All waiting is on the shared :class:`~simulator.clock.Clock`, and the retry state
lives in the outbox rows, so a restarted sender resumes the schedule. A stepping
``clock.advance`` waits until the attempts it made due are done and recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
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
from pytest_woosim.outbox.sender_memory import GROUP_PREFETCH, Group, Memory, earliest
from pytest_woosim.outbox.state import PARKED, PENDING, OutboxItem, StateStore
from simulator.clock import Clock

log = logging.getLogger(__name__)

#: Outbox rows read per query.
DEFAULT_PREFETCH = 256
#: Ready items held in memory at most (the rest waits in the database).
DEFAULT_MAX_LOADED = 2048
#: Groups waiting for a retry held in memory at most; beyond, reading forward pauses.
DEFAULT_MAX_WAITING = 10_000
#: Delivered items removed from the outbox per transaction (fewer thread hand-offs).
DELETE_BATCH = 64


class Sender(DeliveryWorker):
    """Delivers one instance's outbox. Start it with ``await sender.start()``."""

    task_name = "woosim-sender"

    def __init__(
        self,
        state: StateStore,
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
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_loaded: int = DEFAULT_MAX_LOADED,
        max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
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
        self._prefetch = max(1, prefetch)
        self._max_loaded = max(self._prefetch, max_loaded)
        self._max_waiting = max(1, max_waiting)

        self._mem = Memory()
        self._generation = 0  # bumped by a redelivery; reads of an older one are dropped
        self._grown = 0  # enqueues seen; a read that raced one is not the end of the outbox
        self._in_flight = 0
        self._empty = asyncio.Event()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at: float | None = None
        self._timers: set[asyncio.Task[None]] = set()

    def _tasks_to_cancel(self) -> list[asyncio.Task[None]]:
        return [*self._timers, *self._posts]

    async def _after_cancel(self) -> None:
        self._timer = None
        await super()._after_cancel()

    @property
    def in_flight(self) -> int:
        """POSTs being made right now."""
        return self._in_flight

    # ------------------------------------------------------------------ control
    async def redeliver(self) -> int:
        """Un-park every parked group and try their heads now; returns how many items were parked.

        Each head then gets a fresh retry schedule. Call it on the sender's event loop.
        """
        self._flush_deletes()
        # Queued before anything the worker does next, and the memory is reset in
        # the same step, so no attempt can be booked against the old schedule.
        unparked = self._state.unpark(self.instance)
        self._reset_memory()
        count = await unparked
        self._poke()
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
                self._flush_deletes()
                counts = await self._state.outbox_counts(self.instance)
                if counts.pending == 0 and counts.parked == 0:
                    return
                # Something arrived after the worker last looked: make it look again.
                self._empty.clear()
                self._mem.caught_up = False
                self._poke()

    # ------------------------------------------------------------------ waking
    def _on_enqueue(self, instance: str) -> None:
        """Runs on the state's thread after a commit that grew some outbox."""
        loop = self._loop
        if instance != self.instance or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop closed: the sender is gone
            loop.call_soon_threadsafe(self._grew)

    def _grew(self) -> None:
        self._grown += 1
        self._mem.caught_up = False
        self._poke()

    def _poke(self) -> None:
        self._empty.clear()
        self._idle.clear()
        self._wake.set()

    def _arm_timer(self, deadline: float | None) -> None:
        """One clock sleeper for the earliest retry or probe; re-armed when that changes."""
        if deadline == self._timer_at and self._timer is not None:
            return
        if self._timer is not None and (
            self._timer_at is None or self._timer_at > self._clock.timestamp()
        ):
            # Still asleep: cancelling it wakes nobody. One already due is left to
            # fire, so a stepping advance still waits for what it woke.
            self._timer.cancel()
        self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = timer = asyncio.create_task(self._timer_run(deadline))
            self._timers.add(timer)
            timer.add_done_callback(self._timers.discard)

    async def _timer_run(self, deadline: float) -> None:
        await self._clock.sleep_until(deadline)
        if self._timer is asyncio.current_task():
            self._timer = None
            self._timer_at = None
        self._poke()
        # Woken by the clock, this task keeps a stepping advance waiting until the
        # worker has made (and booked) the attempts that fell due.
        await self._idle.wait()

    # ------------------------------------------------------------------ memory
    def _reset_memory(self) -> None:
        """Forget everything but the posts in flight; read the outbox again from the start."""
        old = self._mem
        self._generation += 1
        self._mem = mem = Memory()
        for group in old.groups.values():
            if not group.in_flight:
                continue
            head = group.items[0]
            if head.status == PARKED:
                # Unparked with a fresh schedule by the same redelivery.
                head = replace(
                    head, status=PENDING, attempts=0, first_failure_at=None, next_attempt_at=None
                )
            group.items = deque([head])
            group.deferred = True
            group.loaded_upto = head.seq
            group.due = None
            group.waiting = group.queued = False
            mem.groups[group.key] = group
            mem.loaded += 1
        self._arm_timer(None)

    def _next_deadline(self) -> float | None:
        mem = self._mem
        while mem.waiting:
            due, _, group = mem.waiting[0]
            if mem.groups.get(group.key) is group and group.waiting and group.due == due:
                break
            heapq.heappop(mem.waiting)
        deadlines = [mem.waiting[0][0]] if mem.waiting else []
        # A due probe without room waits for a post to complete (which wakes the
        # worker anyway) rather than for the clock.
        if mem.next_probe is not None and (
            mem.next_probe > self._clock.timestamp() or self._room_for_probes()
        ):
            deadlines.append(mem.next_probe)
        return min(deadlines) if deadlines else None

    # ------------------------------------------------------------------ the worker
    async def _run(self) -> None:
        while True:
            self._wake.clear()
            mem, generation = self._mem, self._generation
            now = self._clock.timestamp()
            self._mem.promote_due(now)
            self._dispatch()
            if not mem.probe_known:
                await self._read_parked(mem, generation, due_by=float("-inf"), limit=0)
                continue
            if mem.reload:
                await self._reload(mem, generation)
                continue
            if mem.next_probe is not None and mem.next_probe <= now and self._room_for_probes():
                await self._load_probes(mem, generation, now)
                continue
            if self._room_to_read():
                await self._read_forward(mem, generation, now)
                if generation == self._generation and not mem.caught_up:
                    continue
                self._dispatch()
            if self._wake.is_set():
                continue
            self._settle()
            await self._wake.wait()

    def _settle(self) -> None:
        """Nothing to do until a post completes, an enqueue, or the clock: say so."""
        mem = self._mem
        self._arm_timer(self._next_deadline())
        if self._in_flight == 0 and not mem.ready:
            self._flush_deletes()
            if not mem.groups and mem.caught_up and mem.next_probe is None:
                self._empty.set()
            self._idle.set()
            self._clock.mark_idle()

    def _room_to_read(self) -> bool:
        mem = self._mem
        ready_items = mem.loaded - mem.n_waiting
        return (
            not mem.caught_up
            and ready_items <= self._max_loaded - self._prefetch
            and mem.n_waiting < self._max_waiting
            and len(mem.ready) < 2 * self.max_in_flight
        )

    def _room_for_probes(self) -> bool:
        return self._mem.loaded - self._mem.n_waiting < self._max_loaded

    async def _read_forward(self, mem: Memory, generation: int, now: float) -> None:
        mem.parked_keys.clear()
        grown = self._grown
        rows = await self._read(self._state.outbox_after, mem.cursor, self._prefetch)
        if generation != self._generation:
            return
        for item in rows:
            # A group parked while this read was under way: these rows were pending
            # when read, and are parked now. Taking them in would send them ahead of
            # their parked head; they come back when the group is released.
            if item.group_key not in mem.parked_keys:
                self._mem.add(item, now)
        if rows:
            mem.cursor = rows[-1].seq
        # An enqueue committed while this read was under way may be past what it
        # saw: caught up only when none came, or that row is never read.
        if len(rows) < self._prefetch and grown == self._grown:
            mem.caught_up = True

    async def _reload(self, mem: Memory, generation: int) -> None:
        """Read the backlog of groups that can move again, many groups per round trip."""
        groups = list(itertools.islice(mem.reload.values(), 256))
        batches = await self._read(
            self._state.outbox_groups,
            [(g.key, g.loaded_upto) for g in groups],
            up_to=mem.cursor,
            limit=GROUP_PREFETCH,
        )
        if generation != self._generation:
            return
        now = self._clock.timestamp()
        for group, items in zip(groups, batches, strict=True):
            if mem.reload.get(group.key) is not group:
                continue
            del mem.reload[group.key]
            if not items:
                self._mem.forget(group)
                continue
            group.items = deque(items)
            group.loaded_upto = items[-1].seq
            group.deferred = len(items) >= GROUP_PREFETCH
            mem.loaded += len(items)
            self._mem.schedule(group, items[0].next_attempt_at, now)

    async def _load_probes(self, mem: Memory, generation: int, now: float) -> None:
        probing = [
            g.items[0].seq for g in mem.groups.values() if g.items and g.items[0].status == PARKED
        ]
        heads = await self._read_parked(
            mem,
            generation,
            due_by=now,
            limit=max(1, self.max_in_flight - len(probing)),
            exclude=probing,
        )
        for head in heads:
            if head.group_key in mem.groups:
                # Not expected while parked; but the head must keep a probe, or
                # nothing would ever wake its group again.
                self._mem.book_probe(now + self.park_probe_interval)
                continue
            group = Group(head.group_key, deque([head]), head.seq, deferred=True)
            mem.groups[head.group_key] = group
            mem.loaded += 1
            self._mem.schedule(group, None, now)

    async def _read_parked(self, mem: Memory, generation: int, **query: Any) -> list[OutboxItem]:
        """Parked heads due for a probe; learns when the next probe falls due.

        The answer's next probe time knows nothing of groups parked (or probes
        failed) while the read was under way: their writes were queued after it.
        So it is merged with what was booked meanwhile, never taken alone.
        """
        mem.probes_booked = None
        found = await self._read(self._state.parked_heads, **query)
        if generation != self._generation:
            return []
        mem.next_probe = earliest(found.next_probe_at, mem.probes_booked)
        mem.probe_known = True
        return list(found.heads)

    async def _read(self, read: Any, *args: Any, **kwargs: Any) -> Any:
        # Delivered rows are deleted before any read, so no read sees them again.
        self._flush_deletes()
        return await read(self.instance, *args, **kwargs)

    def _dispatch(self) -> None:
        mem = self._mem
        while self._in_flight < self.max_in_flight and mem.ready:
            group = mem.ready.popleft()
            group.queued = False
            if mem.groups.get(group.key) is not group or group.in_flight or not group.items:
                continue
            group.in_flight = True
            self._in_flight += 1
            task = asyncio.create_task(self._attempt(group))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

    # ------------------------------------------------------------------ one attempt
    async def _attempt(self, group: Group) -> None:
        try:
            error = await self._post(group.items[0])
        except BaseException:
            group.in_flight = False
            self._in_flight -= 1
            raise
        # Everything below is synchronous: memory and the queued writes change in
        # one step, so a redelivery sees either all of it or none.
        now = self._clock.timestamp()
        group.in_flight = False
        self._in_flight -= 1
        head = group.items[0]  # a redelivery may have refreshed it meanwhile
        current = self._mem.groups.get(group.key) is group
        self._record_attempt(head, error, now)
        if error is None:
            self._delivered(group, head, now, current)
        else:
            self._failed(group, head, error, now, current)
        self._poke()

    def _delivered(self, group: Group, head: OutboxItem, now: float, current: bool) -> None:
        self.delivered += 1
        group.items.popleft()
        self._delivered_seqs.append(head.seq)
        if len(self._delivered_seqs) >= DELETE_BATCH:
            self._flush_deletes()
        if not current:
            return
        self._mem.loaded -= 1
        if head.status == PARKED:
            # The probe got through: the consumer is back, release the group.
            log.info("instance %s: callback reachable again, resuming", self.instance)
            self._track(self._state.unpark(self.instance, group=group.key))
            group.deferred = True
        self._mem.after_post(group, now)

    def _failed(
        self, group: Group, head: OutboxItem, error: str, now: float, current: bool
    ) -> None:
        failure = self._book_failure(head, error, now)
        if failure.next_at is not None and head.status == PARKED:
            self._parked(group, failure.next_at, current)
        elif failure.next_at is not None:
            group.items[0] = replace(
                head,
                attempts=failure.attempts,
                first_failure_at=failure.first_failure_at,
                next_attempt_at=failure.next_at,
                last_error=error,
            )
            if current:
                self._mem.schedule(group, failure.next_at, now)
        else:
            next_probe = now + self.park_probe_interval
            self._flush_deletes()
            parked = self._park(head, error, failure, next_probe)
            parked.add_done_callback(lambda f: self._log_parked(f, head, error))
            self._parked(group, next_probe, current)

    def _parked(self, group: Group, next_probe: float, current: bool) -> None:
        """The group now lives in the database only, until its probe at ``next_probe``."""
        if not current:
            return
        self._mem.forget(group)
        self._mem.parked_keys.add(group.key)
        self._mem.book_probe(next_probe)

    def _log_parked(self, future: asyncio.Future[int], head: OutboxItem, error: str) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        log.error(
            "instance %s: %s failed after %d retries (%s); %d notification(s) of its group parked",
            self.instance,
            head.notification_id,
            len(self.schedule),
            error,
            future.result(),
        )


__all__ = [
    "CE_RETRY_SCHEDULE",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_PARK_PROBE_INTERVAL",
    "DEFAULT_TIMEOUT",
    "Sender",
    "SenderStats",
]
