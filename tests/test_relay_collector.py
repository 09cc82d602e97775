"""The ``woosim relay`` process's collector settings (checked in a process of its own)."""

from __future__ import annotations

import json
import subprocess
import sys

from pytest_woosim.relay.collector import YOUNG_THRESHOLD

PROBE = """
import gc, json
from pytest_woosim.relay.collector import tune_collector
before = gc.get_threshold()
tune_collector()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_tune_collector_freezes_start_up_and_collects_young_objects_less_often() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    seen = json.loads(out)
    assert seen["after"] == [YOUNG_THRESHOLD, seen["before"][1], seen["before"][2]]
    assert seen["after"][0] > seen["before"][0]
    assert seen["frozen"] > 1000  # the modules' objects, never walked again
