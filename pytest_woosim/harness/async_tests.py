"""Running ``async def`` woosim tests without an async plugin.

pytest runs only plain functions; without pytest-asyncio (or with it in strict
mode and no ``@pytest.mark.asyncio``) an ``async def`` test fails with "async def
functions are not natively supported". The woosim fixtures are synchronous and
their ``*_async`` methods work on any event loop, so a woosim test needs no more
than a fresh loop of its own: :func:`run_async_test` gives it one.

A test that pytest-asyncio (or another plugin) already runs reaches the hook as
a plain function and is left to that plugin.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest


def is_woosim_test(item: pytest.Function) -> bool:
    """Marked ``@pytest.mark.woosim``, or asking for a woosim fixture."""
    if item.get_closest_marker("woosim") is not None:
        return True
    return any(name == "woosim" or name.startswith("woosim_") for name in item.fixturenames)


def run_async_test(item: pytest.Function) -> bool:
    """Run ``item`` on a new event loop when it is an ``async def`` woosim test; True if run."""
    function = item.obj
    if not inspect.iscoroutinefunction(function) or not is_woosim_test(item):
        return False
    arguments = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    # A loop per test, closed after it: nothing of one test's loop leaks into the next.
    with asyncio.Runner() as runner:
        runner.run(function(**arguments))
    return True


__all__ = ["is_woosim_test", "run_async_test"]
