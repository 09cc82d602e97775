"""The one clock: every "now" of the store, its deliveries, the poller and the relay.

Two modes:

* running: real time plus an offset (``set``/``advance`` change the offset);
* frozen: time moves only when ``set`` or ``advance`` is called.

Coroutines sleep on the clock with :meth:`Clock.sleep_until` / :meth:`Clock.sleep`.
They wake when the clock reaches their instant, however it got there: real time
passing (running mode) or a ``set``/``advance``.

Why stepping: a test that advances a week wants a 5-minute poller to poll
2,016 times, each poll seeing the clock at its own instant, not once at the end.
``advance`` (and ``set`` forward) therefore walks from deadline to deadline in
order, waking the sleepers due at each one and waiting until the woken
coroutines are idle again (asleep on the clock or finished) before moving on.
That makes virtual-time runs deterministic without any real sleeping.

The clock is thread-safe: the store usually runs on its own event-loop thread
while a test thread moves the clock. Sleepers may live on any event loop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from simulator.loops import call_on

# Captured at import so that freezegun (which the pytest plugin uses to move the
# test process's own datetime.now()) cannot redirect the clock onto itself.
_real_time: Callable[[], float] = _time.time
_real_monotonic: Callable[[], float] = _time.monotonic

#: How long a stepping ``advance`` waits for woken coroutines to go idle before it
#: moves on anyway (a coroutine blocked on real I/O must not hang the test).
SETTLE_TIMEOUT = 30.0


def to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive value is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _resolve_future(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _seconds(delta: float | timedelta) -> float:
    return delta.total_seconds() if isinstance(delta, timedelta) else float(delta)


@dataclass(order=True)
class _Sleeper:
    deadline: float
    seq: int
    loop: asyncio.AbstractEventLoop = field(compare=False)
    future: asyncio.Future[None] = field(compare=False)
    task: asyncio.Task[object] | None = field(compare=False, default=None)
    timer: asyncio.TimerHandle | None = field(compare=False, default=None)
    done: bool = field(compare=False, default=False)


class Clock:
    """A controllable clock. Times are aware UTC datetimes; timestamps are Unix seconds."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        now = _real_time()
        self._offset = 0.0 if start is None else to_utc(start).timestamp() - now
        self._frozen_at: float | None = (now + self._offset) if frozen else None
        self._heap: list[_Sleeper] = []
        self._seq = itertools.count()
        # Tasks woken by the clock that have not yet gone back to sleep or finished.
        self._busy: set[asyncio.Task[object]] = set()
        self._listeners: list[Callable[[Clock], None]] = []
        # (loop, future, excluded task) of coroutines in advance_async waiting for idle.
        self._idle_waiters: list[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[None], asyncio.Task[object] | None]
        ] = []

    # ------------------------------------------------------------------ reading
    def timestamp(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return _real_time() + self._offset

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def state(self) -> dict[str, object]:
        """JSON-friendly view, as the control plane shows it."""
        now = self.now()
        return {
            "now": now.isoformat().replace("+00:00", "Z"),
            "timestamp": now.timestamp(),
            "frozen": self.frozen,
            "sleepers": self.pending(),
        }

    def pending(self) -> int:
        with self._lock:
            return sum(1 for s in self._heap if not s.done)

    def next_deadline(self) -> datetime | None:
        with self._lock:
            self._drop_done()
            if not self._heap:
                return None
            return datetime.fromtimestamp(self._heap[0].deadline, UTC)

    # ------------------------------------------------------------------ moving
    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = _real_time() + self._offset
        self._changed()

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - _real_time()
                self._frozen_at = None
            self._rearm_timers()
        self._changed()

    def set(self, instant: datetime, *, step: bool = True) -> None:
        """Move to ``instant``. Forward moves step through due sleepers in order."""
        self._move_to(to_utc(instant).timestamp(), step=step)

    def advance(self, delta: float | timedelta, *, step: bool = True) -> None:
        """Move forward by ``delta`` seconds (or a timedelta); never backwards."""
        seconds = _seconds(delta)
        if seconds < 0:
            raise ValueError("advance() takes a non-negative duration")
        self._move_to(self.timestamp() + seconds, step=step)

    async def advance_async(self, delta: float | timedelta) -> None:
        """``advance`` for code running on an event loop: steps without blocking it."""
        seconds = _seconds(delta)
        if seconds < 0:
            raise ValueError("advance() takes a non-negative duration")
        target = self.timestamp() + seconds
        while True:
            with self._lock:
                self._drop_done()
                nxt = self._heap[0].deadline if self._heap else None
            if nxt is None or nxt > target:
                self._jump(max(target, self.timestamp()))
                await self._settle_async()
                return
            self._jump(max(nxt, self.timestamp()))
            await self._settle_async()

    def on_change(self, listener: Callable[[Clock], None]) -> None:
        """Call ``listener(clock)`` after every set/advance/freeze/unfreeze."""
        self._listeners.append(listener)

    # ------------------------------------------------------------------ sleeping
    async def sleep_until(self, instant: datetime | float) -> None:
        """Sleep until the clock reaches ``instant`` (a datetime or a Unix timestamp)."""
        deadline = instant if isinstance(instant, float | int) else to_utc(instant).timestamp()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        future: asyncio.Future[None] = loop.create_future()
        sleeper = _Sleeper(float(deadline), next(self._seq), loop, future, task)  # type: ignore[arg-type]
        with self._lock:
            if deadline <= self.timestamp():
                # Already due: the caller keeps running, so it stays busy if it was
                # (an overrunning periodic task must still hold a stepping advance).
                sleeper.done = True
                future.set_result(None)
            else:
                if task is not None:
                    self._mark_idle(task)  # type: ignore[arg-type]
                heapq.heappush(self._heap, sleeper)
                self._arm_timer(sleeper)
        try:
            await future
        finally:
            with self._lock:
                sleeper.done = True
                if sleeper.timer is not None:
                    sleeper.timer.cancel()

    async def sleep(self, seconds: float | timedelta) -> None:
        await self.sleep_until(self.timestamp() + _seconds(seconds))

    # ------------------------------------------------------------------ internals
    def _move_to(self, target: float, *, step: bool) -> None:
        if not step or target < self.timestamp() or self._on_loop_with_sleepers():
            # Backwards wakes nobody; and stepping would block the loop the sleepers
            # need, so on that loop we wake them in order instead.
            self._jump(target)
            return
        # Forward: never end before an instant a woken task moved the clock to.
        while True:
            with self._lock:
                self._drop_done()
                nxt = self._heap[0].deadline if self._heap else None
            if nxt is None or nxt > target:
                self._jump(max(target, self.timestamp()))
                self._settle()
                return
            self._jump(max(nxt, self.timestamp()))
            self._settle()

    def _jump(self, target: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - _real_time()
            self._wake_due()
            self._rearm_timers()
        self._changed()

    def _wake_due(self) -> None:
        now = self.timestamp()
        while self._heap and (self._heap[0].done or self._heap[0].deadline <= now):
            sleeper = heapq.heappop(self._heap)
            if sleeper.done:
                continue
            sleeper.done = True
            if sleeper.timer is not None:
                sleeper.timer.cancel()
            if sleeper.task is not None and not sleeper.task.done():
                self._busy.add(sleeper.task)
                sleeper.task.add_done_callback(self._task_finished)
            self._resolve(sleeper)

    @staticmethod
    def _resolve(sleeper: _Sleeper) -> None:
        call_on(sleeper.loop, _resolve_future, sleeper.future)

    def _arm_timer(self, sleeper: _Sleeper) -> None:
        """In running mode, make real time wake the sleeper when its deadline passes."""
        if self._frozen_at is not None or sleeper.done:
            return
        delay = max(0.0, sleeper.deadline - self.timestamp())

        def _arm() -> None:
            with self._lock:
                if sleeper.done or self._frozen_at is not None:
                    return
                sleeper.timer = sleeper.loop.call_later(delay, self._timer_fired)

        call_on(sleeper.loop, _arm)

    def _timer_fired(self) -> None:
        with self._lock:
            self._wake_due()

    def _rearm_timers(self) -> None:
        for sleeper in self._heap:
            if sleeper.timer is not None:
                sleeper.timer.cancel()
                sleeper.timer = None
            self._arm_timer(sleeper)

    def _drop_done(self) -> None:
        while self._heap and self._heap[0].done:
            heapq.heappop(self._heap)

    def _mark_idle(self, task: asyncio.Task[object]) -> None:
        if task in self._busy:
            self._busy.discard(task)
            self._idle.notify_all()
            self._wake_idle_waiters()

    def _task_finished(self, task: asyncio.Task[object]) -> None:
        with self._lock:
            self._mark_idle(task)

    def _on_loop_with_sleepers(self) -> bool:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        with self._lock:
            return any(s.loop is loop for s in self._heap if not s.done) or any(
                t.get_loop() is loop for t in self._busy
            )

    def _settle(self) -> None:
        """Block (off-loop) until every task the clock woke is idle again."""
        limit = _real_monotonic() + SETTLE_TIMEOUT
        with self._lock:
            while self._busy:
                self._busy = {t for t in self._busy if not t.done()}
                remaining = limit - _real_monotonic()
                if not self._busy or remaining <= 0:
                    break
                self._idle.wait(min(remaining, 0.05))

    async def _settle_async(self) -> None:
        """Wait (on the loop) until every task the clock woke, other than ours, is idle."""
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        with self._lock:
            self._busy = {t for t in self._busy if not t.done()}
            if not (self._busy - {current}):
                return
            waiter: asyncio.Future[None] = loop.create_future()
            self._idle_waiters.append((loop, waiter, current))
        try:
            await asyncio.wait_for(waiter, SETTLE_TIMEOUT)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._idle_waiters = [w for w in self._idle_waiters if w[1] is not waiter]

    def _wake_idle_waiters(self) -> None:
        """Resolve async settle waiters whose busy set has drained (lock held)."""
        if not self._idle_waiters:
            return
        live = {t for t in self._busy if not t.done()}
        for loop, waiter, excluded in self._idle_waiters:
            if live - {excluded} or waiter.done() or loop.is_closed():
                continue
            call_on(loop, _resolve_future, waiter)

    def busy(self) -> bool:
        """True while coroutines woken by the clock are still working."""
        with self._lock:
            return any(not t.done() for t in self._busy)

    def mark_busy(self) -> None:
        """Tell the clock the current task is working, as if the clock had woken it.

        A stepping ``advance`` then waits for it to sleep on the clock again (or
        finish, or call :meth:`mark_idle`). For work that starts without being
        woken by the clock, e.g. a poller's first run.
        """
        task = asyncio.current_task()
        if task is not None:
            with self._lock:
                if task not in self._busy:
                    self._busy.add(task)  # type: ignore[arg-type]
                    task.add_done_callback(self._task_finished)

    def mark_idle(self) -> None:
        """Tell the clock the current task is done with what it was woken for.

        Long-lived tasks that wait on something other than the clock (a queue,
        an event) call this before waiting, so a stepping ``advance`` does not
        wait for them.
        """
        task = asyncio.current_task()
        if task is not None:
            with self._lock:
                self._mark_idle(task)  # type: ignore[arg-type]

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)


__all__ = ["SETTLE_TIMEOUT", "Clock", "to_utc"]
