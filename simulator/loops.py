"""Event-loop plumbing shared by the store and the integrator's side.

* :func:`call_on` runs a callback on a given loop from any thread: the clock wakes
  sleepers, the delivery queue and journal settle waiters this way.
* :class:`LoopThread` is an event loop on a daemon thread, for sync callers (the
  in-process store, the receiver, pollers and relays started by fixtures).

Part of the lowest layer: it imports nothing else from either package.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: Real seconds to wait for a loop thread to stop.
JOIN_TIMEOUT = 30.0


def call_on(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any) -> None:
    """Call ``fn(*args)`` on ``loop``: now when we are on it, else thread-safely soon.

    A closed loop is skipped: whoever waited on it is gone.
    """
    if loop.is_closed():
        return
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        fn(*args)
    else:
        loop.call_soon_threadsafe(fn, *args)


def _nothing() -> None:
    pass


class LoopThread:
    """An event loop running forever on a daemon thread until :meth:`close`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @classmethod
    def started(
        cls, name: str, start: Coroutine[Any, Any, object], timeout: float | None = None
    ) -> LoopThread:
        """A loop thread that has run ``start`` (a server's start); closed again if it fails."""
        thread = cls(name)
        try:
            thread.run(start, timeout)
        except BaseException:
            thread.close()
            raise
        return thread

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the thread's loop and wait for its result (from another thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(
        self, fn: Callable[..., T], *args: Any, wake: bool = True
    ) -> concurrent.futures.Future[T]:
        """Call ``fn(*args)`` on the loop soon, without waiting; its future (any thread).

        Cheaper than :meth:`run` (no coroutine, no task) and ordered: whatever reaches
        the loop afterwards (a request, a callback, a timer) runs after it.

        With ``wake=False`` the loop is not woken for it: it runs when the loop next
        wakes for anything else (the caller's next request, typically), still before
        that. This saves a thread hand-off, and the other thread running alongside
        the caller, when the caller is about to talk to the loop anyway; whoever waits
        on the future must :meth:`wake` the loop first. Only asyncio's own loops take
        a callback this way from another thread (a list append the loop reads at its
        next turn); with any other loop, or in debug mode, it wakes the loop as usual.
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def invoke() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)

        loop = self.loop
        if wake or not isinstance(loop, asyncio.BaseEventLoop) or loop.get_debug():
            loop.call_soon_threadsafe(invoke)
        else:
            loop.call_soon(invoke)
        return future

    def wake(self) -> None:
        """Make the loop take a turn now (runs what ``submit(..., wake=False)`` queued)."""
        self.loop.call_soon_threadsafe(_nothing)

    def close_after(self, stop: Coroutine[Any, Any, object], timeout: float | None = None) -> None:
        """Run ``stop`` (a server's stop) on the loop, then :meth:`close`, even if it fails."""
        try:
            self.run(stop, timeout)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the loop, join the thread and close the loop; a second call does nothing."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=JOIN_TIMEOUT)
        self.loop.close()


__all__ = ["LoopThread", "call_on"]
