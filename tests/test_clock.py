"""The controllable clock: modes, moving, and sleepers woken in order."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from simulator.clock import Clock

START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)


def test_frozen_clock_moves_only_when_told() -> None:
    clock = Clock(START, frozen=True)
    assert clock.now() == START
    assert clock.now() == START
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2025, 1, 1, tzinfo=UTC)


def test_naive_datetimes_are_utc() -> None:
    clock = Clock(datetime(2024, 1, 1, 12), frozen=True)
    assert clock.now() == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_running_clock_keeps_offset_across_freeze() -> None:
    clock = Clock(START)
    assert not clock.frozen
    first = clock.now()
    assert abs((first - START).total_seconds()) < 5
    clock.freeze()
    frozen_at = clock.now()
    assert clock.now() == frozen_at
    clock.unfreeze()
    assert clock.now() >= frozen_at
    assert (clock.now() - frozen_at).total_seconds() < 5


def test_advance_rejects_negative() -> None:
    with pytest.raises(ValueError):
        Clock(START, frozen=True).advance(-1)


async def test_sleepers_wake_in_deadline_order_on_advance() -> None:
    clock = Clock(START, frozen=True)
    woke: list[tuple[int, datetime]] = []

    async def sleeper(n: int) -> None:
        await clock.sleep(n * 60)
        woke.append((n, clock.now()))

    tasks = [asyncio.create_task(sleeper(n)) for n in (3, 1, 2)]
    await asyncio.sleep(0)
    assert clock.pending() == 3
    await clock.advance_async(600)
    await asyncio.gather(*tasks)
    # Each sleeper saw the clock at its own deadline: the advance stepped.
    assert woke == [(n, START + timedelta(minutes=n)) for n in (1, 2, 3)]
    assert clock.now() == START + timedelta(minutes=10)


async def test_periodic_task_runs_once_per_interval_when_advanced_far() -> None:
    clock = Clock(START, frozen=True)
    seen: list[datetime] = []

    async def every_five_minutes() -> None:
        while True:
            await clock.sleep(300)
            seen.append(clock.now())

    task = asyncio.create_task(every_five_minutes())
    await asyncio.sleep(0)
    await clock.advance_async(timedelta(hours=1))
    task.cancel()
    assert seen == [START + timedelta(minutes=5 * k) for k in range(1, 13)]


def test_sync_advance_steps_sleepers_on_another_loop_thread() -> None:
    clock = Clock(START, frozen=True)
    seen: list[datetime] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def periodic() -> None:
        ready.set()
        while True:
            await clock.sleep(60)
            seen.append(clock.now())

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    future = asyncio.run_coroutine_threadsafe(periodic(), loop)
    assert ready.wait(5)
    deadline = datetime.now().timestamp() + 5
    while clock.pending() == 0 and datetime.now().timestamp() < deadline:
        threading.Event().wait(0.001)
    clock.advance(timedelta(minutes=5))
    assert seen == [START + timedelta(minutes=k) for k in range(1, 6)]
    future.cancel()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def test_sleep_until_past_instant_returns_at_once() -> None:
    clock = Clock(START, frozen=True)
    await asyncio.wait_for(clock.sleep_until(START - timedelta(seconds=1)), 1)


async def test_running_clock_wakes_sleeper_by_real_time() -> None:
    clock = Clock(START)
    await asyncio.wait_for(clock.sleep(0.01), 2)


async def test_set_backwards_does_not_wake() -> None:
    clock = Clock(START, frozen=True)
    task = asyncio.create_task(clock.sleep(60))
    await asyncio.sleep(0)
    clock.set(START - timedelta(hours=1))
    await asyncio.sleep(0)
    assert not task.done()
    await clock.advance_async(timedelta(hours=1, minutes=1))
    await asyncio.wait_for(task, 1)


def test_listeners_hear_every_move() -> None:
    clock = Clock(START, frozen=True)
    heard: list[datetime] = []
    clock.on_change(lambda c: heard.append(c.now()))
    clock.advance(1)
    clock.set(START)
    assert heard == [START + timedelta(seconds=1), START]


async def test_mark_busy_makes_advance_wait_for_work_the_clock_did_not_start() -> None:
    clock = Clock(START, frozen=True)
    log: list[object] = []

    async def first_run() -> None:
        clock.mark_busy()
        for _ in range(5):  # work spread over several loop iterations
            await asyncio.sleep(0)
        log.append("first run done")
        await clock.sleep(60)
        log.append(clock.now())

    task = asyncio.create_task(first_run())
    await asyncio.sleep(0)
    await clock.advance_async(30)
    assert log == ["first run done"]
    await clock.advance_async(60)
    assert log == ["first run done", START + timedelta(seconds=90)]
    await task


async def test_due_sleep_keeps_an_overrunning_task_busy() -> None:
    clock = Clock(START, frozen=True)
    log: list[datetime] = []

    async def periodic() -> None:
        due = clock.timestamp()
        while len(log) < 3:
            due += 60
            await clock.sleep_until(due)
            log.append(clock.now())
            if len(log) == 1:
                clock.set(START + timedelta(seconds=150), step=False)  # the run overran
                for _ in range(5):
                    await asyncio.sleep(0)

    task = asyncio.create_task(periodic())
    await asyncio.sleep(0)
    await clock.advance_async(60)
    # The overrun run's next deadline (120) was already due: it ran at once, and
    # the advance waited for it instead of returning while it was still working.
    assert log[:2] == [START + timedelta(seconds=60), START + timedelta(seconds=150)]
    await clock.advance_async(60)
    await asyncio.wait_for(task, 2)
    assert log[2] == START + timedelta(seconds=180)
