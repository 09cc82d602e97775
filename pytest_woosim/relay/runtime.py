"""How the ``woosim relay`` process runs: its event loop and its garbage collector.

Event loop: uvloop where it is installed (a dependency everywhere but Windows).
A relay event is a few small HTTP exchanges (the webhook in, its answer, the
notification out and its answer); uvloop does the socket and scheduling work of
each in C, about a tenth less CPU per event for the whole relay. Elsewhere the
standard loop runs the same code.

Collector: a relay event makes and drops a few hundred objects (the request,
its parsed body, the notification, the callback's answer), nearly all freed at
once by reference counting. Python's cyclic collector nonetheless runs every
700 net allocations, and with 64 requests in flight that is several times a
second, each pass walking every object those requests hold: about 7 % of the
relay's CPU went there, for almost no garbage (with the threshold below it
finds a handful of cycles per thousand events). So the relay process collects
every :data:`YOUNG_THRESHOLD` net allocations instead, and freezes what
start-up made (modules, classes, the configuration), which lives as long as
the process and need never be walked again.

Only the ``woosim relay`` process (and the relay benchmark, which measures it)
does this; code running the relay inside another process (the pytest plugin)
leaves that process's loop and collector alone.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_new_loop: Callable[[], asyncio.AbstractEventLoop] | None
try:
    from uvloop import new_event_loop as _new_loop
except ImportError:  # pragma: no cover - Windows, or installed without it
    _new_loop = None

#: Net allocations of tracked objects between two young-generation collections
#: (Python's default is 700); the older generations keep their default ratios.
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Freeze the objects made so far and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The relay's event loop: uvloop's when installed, else None (the standard one)."""
    return _new_loop


def loop_name() -> str:
    return "asyncio" if _new_loop is None else "uvloop"


def run_relay(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` as the relay process runs: its collector, its loop."""
    tune_collector()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


__all__ = ["YOUNG_THRESHOLD", "loop_factory", "loop_name", "run_relay", "tune_collector"]
