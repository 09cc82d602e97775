"""The shared event-loop helpers: calling onto a loop, and a loop on a thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from simulator.loops import LoopThread, call_on


async def test_call_on_runs_at_once_on_its_own_loop() -> None:
    seen: list[int] = []
    call_on(asyncio.get_running_loop(), seen.append, 1)
    assert seen == [1]


def test_call_on_from_another_thread_runs_on_the_loop_thread() -> None:
    thread = LoopThread("test-loop")
    try:
        ran_on: list[str] = []
        done = threading.Event()

        def record() -> None:
            ran_on.append(threading.current_thread().name)
            done.set()

        call_on(thread.loop, record)
        assert done.wait(10)
        assert ran_on == ["test-loop"]
    finally:
        thread.close()


def test_call_on_a_closed_loop_does_nothing() -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    call_on(loop, pytest.fail, "must not run")


def test_a_loop_thread_returns_results_and_errors_and_closes_once() -> None:
    thread = LoopThread("test-loop")

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def fail() -> None:
        raise ValueError("boom")

    assert thread.run(answer(), timeout=10) == 42
    with pytest.raises(ValueError, match="boom"):
        thread.run(fail(), timeout=10)
    thread.close()
    thread.close()
    assert thread.loop.is_closed()


def test_a_loop_thread_that_fails_to_start_is_closed_and_close_after_always_closes() -> None:
    async def fail() -> None:
        raise OSError("address in use")

    before = {thread.name for thread in threading.enumerate()}
    with pytest.raises(OSError, match="address in use"):
        LoopThread.started("test-failing-start", fail(), timeout=10)
    assert "test-failing-start" not in {thread.name for thread in threading.enumerate()} - before

    thread = LoopThread("test-loop")
    with pytest.raises(OSError):
        thread.close_after(fail(), timeout=10)
    assert thread.loop.is_closed()


def test_a_callback_queued_without_waking_runs_before_whatever_reaches_the_loop_next() -> None:
    thread = LoopThread("test-loop")
    try:
        order: list[str] = []
        first = thread.submit(order.append, "queued", wake=False)
        # What reaches the loop afterwards, from this thread, runs after it.
        thread.run(asyncio.sleep(0))
        order.append("after run")
        assert first.done() and order == ["queued", "after run"]

        second = thread.submit(order.append, "queued again", wake=False)
        thread.wake()  # nothing else is coming: waiting on it needs a wake
        second.result(10)
        assert order[-1] == "queued again"

        failing = thread.submit(int, "not a number", wake=False)
        thread.wake()
        with pytest.raises(ValueError):
            failing.result(10)
    finally:
        thread.close()


def test_a_loop_in_debug_mode_is_woken_for_a_quiet_submit() -> None:
    thread = LoopThread("test-loop")
    try:
        thread.loop.set_debug(True)  # asyncio refuses call_soon from other threads then
        assert thread.submit(int, "7", wake=False).result(10) == 7
    finally:
        thread.close()
