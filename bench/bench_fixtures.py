"""Per-test overhead of the ``woosim`` fixture (store reset + client) against pytest-httpserver.

Generates two test files with N trivial tests each, one using ``woosim`` (one
GET per test) and one using ``httpserver`` (one GET per test), runs each with
pytest in a subprocess, and compares the time per test. Each test's time is
measured inside pytest (setup + call + teardown, from its own reports), so the
interpreter's and pytest's start-up, which are large and noisy, stay out of it;
the first test, which starts the session's server, is left out too.

The two sides run alternately, ROUNDS times each (woosim, httpserver, woosim,
httpserver...), so that a change in the machine's load falls on both; each
side's figure is the median per test over all its rounds' tests.

    python bench/bench_fixtures.py [N] [ROUNDS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: Written next to the generated tests: sums each test's phase durations.
TIMING_CONFTEST = """
import json, os, time
import pytest

durations = {}
cpu = {}

def pytest_runtest_logreport(report):
    durations[report.nodeid] = durations.get(report.nodeid, 0.0) + report.duration

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.process_time()
    yield
    cpu[item.nodeid] = time.process_time() - start

def pytest_sessionfinish(session):
    with open(os.environ["WOOSIM_BENCH_TIMINGS"], "w") as out:
        json.dump([list(durations.values()), [cpu.get(k, 0.0) for k in durations]], out)
"""

WOOSIM_TESTS = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_trivial(n, woosim):
    assert woosim.client.get("orders").status_code == 200
"""

# urllib, not a new httpx client per test: building an httpx client's TLS context
# costs ~0.1 s and would swamp what is measured.
HTTPSERVER_TESTS = """
import urllib.request
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_trivial(n, httpserver):
    httpserver.expect_request("/orders").respond_with_json([])
    with urllib.request.urlopen(httpserver.url_for("/orders")) as response:
        assert response.status == 200
"""


def run(directory: Path, source: str, n: int, *flags: str) -> tuple[list[float], list[float]]:
    """Seconds of each of ``n`` generated tests (setup + call + teardown), in order, and
    the CPU seconds the whole process (the servers' threads too) spent on each."""
    path = directory / "test_generated.py"
    path.write_text(source.format(n=n))
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / "conftest.py").write_text(TIMING_CONFTEST)
    timings = directory / "timings.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags, str(path)],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "WOOSIM_BENCH_TIMINGS": str(timings)},
    )
    if result.returncode != 0:
        raise SystemExit(f"the generated tests failed:\n{result.stdout}\n{result.stderr}")
    wall, cpu = json.loads(timings.read_text())
    return wall, cpu


@dataclass
class Side:
    """One side's samples over all its rounds: seconds and CPU seconds per test."""

    source: str
    flags: tuple[str, ...]
    further: list[float] = field(default_factory=list)
    further_cpu: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)

    def add(self, wall: list[float], cpu: list[float]) -> None:
        self.firsts.append(wall[0])
        self.further += wall[1:]
        self.further_cpu += cpu[1:]

    def figures(self) -> tuple[float, float, float]:
        """(median seconds per test after the first, median seconds of the first, median
        CPU seconds per test after the first)."""
        return (
            statistics.median(self.further),
            statistics.median(self.firsts),
            statistics.median(self.further_cpu),
        )


def alternate(n: int, rounds: int, *sides: Side) -> None:
    """Run each side's ``n`` tests once per round, the sides in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for side in sides:
                directory = Path(tmp) / str(sides.index(side))
                directory.mkdir(exist_ok=True)
                side.add(*run(directory, side.source, n, *side.flags))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    woosim_side = Side(WOOSIM_TESTS, ("--woosim",))
    httpserver_side = Side(HTTPSERVER_TESTS, ())
    alternate(n, rounds, woosim_side, httpserver_side)
    woosim, woosim_one, woosim_cpu = woosim_side.figures()
    httpserver, httpserver_one, httpserver_cpu = httpserver_side.figures()
    print(f"tests per file: {n}, {rounds} alternating rounds (median per test over all rounds)")
    print(f"woosim     : {woosim * 1000:7.2f} ms per test  (first test {woosim_one:.2f} s)")
    print(f"httpserver : {httpserver * 1000:7.2f} ms per test  (first test {httpserver_one:.2f} s)")
    print(f"ratio      : {woosim / httpserver:7.2f}x")
    # CPU of the test process (its server threads included) moves less with load.
    print(f"woosim cpu     : {woosim_cpu * 1000:7.3f} ms CPU per test")
    print(f"httpserver cpu : {httpserver_cpu * 1000:7.3f} ms CPU per test")
    print(f"cpu ratio      : {woosim_cpu / httpserver_cpu:7.2f}x")


if __name__ == "__main__":
    main()
