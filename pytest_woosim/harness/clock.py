"""The ``woosim_clock`` engine: one clock for the store, pollers, relays, deliveries and the test.

Moving it moves the store's :class:`~simulator.clock.Clock` (which pollers, relays
and webhook deliveries sleep on), and, while it is frozen, the test process's own
``datetime.now()``/``time.time()`` through freezegun. Our packages, the HTTP
stacks, threading and sqlite3 are on freezegun's ignore list, so the
servers keep real time for their sockets and timeouts; asyncio's loop time stays
real (``real_asyncio=True``), so ``await asyncio.sleep`` still works.

freezegun is started when the clock freezes and stopped when it unfreezes or the
test ends; every clock change in between only moves the frozen instant
(``Clock.on_change``), which is cheap: a week of 5-minute polls is 2,016 moves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from freezegun import freeze_time

from pytest_woosim.harness.store import StoreBackend, real_now
from simulator.clock import Clock, to_utc

#: Modules that keep real time while the test process is frozen (prefix match).
FREEZEGUN_IGNORE = (
    "simulator",
    "pytest_woosim",
    "aiohttp",
    "yarl",
    "multidict",
    "httpx",
    "httpcore",
    "h11",
    "h2",
    "anyio",
    "sniffio",
    "concurrent",
    "selectors",
    "socket",
    "ssl",
    "threading",
    "queue",
    "sqlite3",
    "execnet",
    "_pytest.timing",  # pytest's durations and session time stay real
)
# Not pytest, pluggy or asyncio: freezegun looks a few frames up the caller's stack
# for ignored modules, and a test function is called from those; ignoring them would
# hand the test real time. asyncio's loop time is kept real by ``real_asyncio``.


def _seconds(delta: float | timedelta) -> float:
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if seconds < 0:
        raise ValueError("advance() takes a non-negative duration")
    return seconds


class ClockControl:
    """The shared clock as tests see it. One per session; freezegun is per test."""

    def __init__(self, backend: StoreBackend) -> None:
        self.backend = backend
        self.clock: Clock = backend.clock
        self._lock = threading.Lock()
        self._freezer: Any = None  # the started freeze_time(...)
        self._factory: Any = None  # what it returned: move_to() moves the frozen instant
        self._in_test = False
        self._test: object | None = None  # the test for_test() set the clock for
        self.clock.on_change(self._follow)

    def __repr__(self) -> str:
        return f"ClockControl(now={self.now().isoformat()}, frozen={self.frozen})"

    # ------------------------------------------------------------------ reading
    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        return self.clock.now()

    def timestamp(self) -> float:
        return self.clock.timestamp()

    @property
    def frozen(self) -> bool:
        return self.clock.frozen

    # ------------------------------------------------------------------ moving
    def set(self, instant: datetime) -> None:
        """Go to ``instant`` (naive = UTC). Forward moves step through every due sleeper."""
        self.backend.move_clock(set_to=to_utc(instant))

    def advance(self, delta: float | timedelta) -> None:
        """Move forward by seconds or a timedelta; a 5-minute poller polls at each of its instants.

        Blocks until the woken pollers, relays and deliveries are idle again. From
        async code prefer :meth:`advance_async`, which lets the test's own loop run.
        """
        self.backend.move_clock(advance=_seconds(delta))

    async def advance_async(self, delta: float | timedelta) -> None:
        await self.backend.move_clock_async(advance=_seconds(delta))

    async def set_async(self, instant: datetime) -> None:
        await self.backend.move_clock_async(set_to=to_utc(instant))

    def freeze(self) -> None:
        """Stop time (store, components and this process) at the current instant."""
        self.backend.move_clock(frozen=True)
        self._start_freezegun()

    def unfreeze(self) -> None:
        """Let time run again from the current instant; this process is back on real time."""
        self._stop_freezegun()
        self.backend.move_clock(frozen=False)

    # ------------------------------------------------------------------ per test
    @contextmanager
    def for_test(self, test: object, start: datetime | None) -> Iterator[None]:
        """The clock set for ``test`` (real time, or frozen at ``start``) until the block ends.

        ``woosim`` and ``woosim_clock`` both enter it, in either order: for the same
        test the second entry does nothing, and the first one sets the clock up and
        lets go of freezegun at its end.
        """
        if self._test is test:
            yield
            return
        self.reset(start)
        self._test = test
        self.begin_test()
        try:
            yield
        finally:
            self._test = None
            self.end_test()

    def reset(self, start: datetime | None) -> None:
        """Before a test: running real time, or frozen at ``start``."""
        self._stop_freezegun()
        if start is None:
            self.backend.move_clock(frozen=False)
            self.backend.move_clock(set_to=real_now())
        else:
            self.backend.move_clock(frozen=True)
            self.backend.move_clock(set_to=start)

    def begin_test(self) -> None:
        """The test starts: from now on a frozen clock freezes this process too."""
        self._in_test = True
        if self.frozen:
            self._start_freezegun()

    def end_test(self) -> None:
        """Undo freezegun; the clock itself is reset before the next test."""
        self._in_test = False
        self._stop_freezegun()

    # ------------------------------------------------------------------ freezegun
    def _start_freezegun(self) -> None:
        with self._lock:
            if self._freezer is not None or not self._in_test:
                return
            freezer = freeze_time(
                self.clock.now(), ignore=list(FREEZEGUN_IGNORE), real_asyncio=True
            )
            self._factory = freezer.start()
            self._freezer = freezer

    def _stop_freezegun(self) -> None:
        with self._lock:
            freezer, self._freezer, self._factory = self._freezer, None, None
        if freezer is not None:
            freezer.stop()

    def _follow(self, clock: Clock) -> None:
        """Clock listener: keep the frozen process time on the clock (any thread)."""
        with self._lock:
            factory = self._factory
        if factory is not None and clock.frozen:
            factory.move_to(clock.now())


__all__ = ["FREEZEGUN_IGNORE", "ClockControl"]
