"""The ``woosim relay`` process's loop and collector (checked in a process of its own)."""

from __future__ import annotations

import json
import subprocess
import sys

from pytest_woosim.relay.runtime import YOUNG_THRESHOLD

PROBE = """
import asyncio, gc, json
from pytest_woosim.relay.runtime import loop_name, run_relay
before = gc.get_threshold()

async def main():
    return type(asyncio.get_running_loop()).__module__

module = run_relay(main())
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "loop": module, "name": loop_name()}))
"""


def _probe() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    seen: dict[str, object] = json.loads(out)
    return seen


def test_the_relay_process_freezes_start_up_and_collects_young_objects_less_often() -> None:
    seen = _probe()
    before, after = seen["before"], seen["after"]
    assert isinstance(before, list) and isinstance(after, list)
    assert after == [YOUNG_THRESHOLD, before[1], before[2]]
    assert after[0] > before[0]
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 1000  # never walked again


def test_the_relay_process_runs_on_uvloop_where_installed() -> None:
    seen = _probe()
    try:
        import uvloop  # noqa: F401
    except ImportError:
        expected = "asyncio"
    else:
        expected = "uvloop"
    assert seen["name"] == expected
    assert str(seen["loop"]).startswith(expected)
