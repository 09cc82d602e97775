"""Per-test overhead of the ``woosim`` fixture (store reset + client) against pytest-httpserver.

Generates two test files with N trivial tests each, one using ``woosim`` (one
GET per test) and one using ``httpserver`` (one GET per test), runs each with
pytest in a subprocess, and compares the time per test. Session start-up (one
server each) is measured apart: a run with N tests minus a run with 1 test,
divided by N - 1, is what each further test costs.

    python bench/bench_fixtures.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run(directory: Path, source: str, n: int, *flags: str) -> float:
    """Wall seconds of ``pytest`` on a file of ``n`` generated tests."""
    path = directory / "test_generated.py"
    path.write_text(source.format(n=n))
    (directory / "pytest.ini").write_text("[pytest]\n")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags, str(path)],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the generated tests failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def per_test(source: str, n: int, *flags: str) -> tuple[float, float]:
    """(seconds per further test, seconds of a one-test run), best of three."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        one = min(run(directory, source, 1, *flags) for _ in range(3))
        many = min(run(directory, source, n, *flags) for _ in range(3))
    return (many - one) / (n - 1), one


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    woosim, woosim_one = per_test(WOOSIM_TESTS, n, "--woosim")
    httpserver, httpserver_one = per_test(HTTPSERVER_TESTS, n)
    print(f"tests per file: {n}")
    print(f"woosim     : {woosim * 1000:7.2f} ms per test  (one-test run {woosim_one:.2f} s)")
    print(
        f"httpserver : {httpserver * 1000:7.2f} ms per test  (one-test run {httpserver_one:.2f} s)"
    )
    print(f"ratio      : {woosim / httpserver:7.2f}x")


if __name__ == "__main__":
    main()
