"""REST figures: ``GET /orders?per_page=100`` requests/s, and a ``modified_after`` window's p50.

Both stores run in child processes (``bench.common serve-store``); the load
comes from another process (wrk when installed, else an aiohttp client).

* throughput: 10,000 orders, 32 connections, against a bare aiohttp handler
  (another child) returning the same body and headers pre-built. The load repeats
  one URL, so after the first request the store answers from its kept answers
  (``simulator.answers``); the note gives both processes' CPU per request;
* the same with a different page each request (wrk only): every request misses
  the kept answers and is made in full (report);
* window: the newest ~100 orders by modification date (``modified_after``,
  ``dates_are_gmt``), p50 of sequential requests at 1,000,000 orders against the
  same at 1,000 orders (``--quick``: 100,000 orders), each made in full
  (``Cache-Control: no-cache``: no kept answer).

    python -m bench.bench_rest [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    WRK,
    Child,
    Figure,
    Target,
    alternate,
    bare_server,
    latencies,
    load_rps,
    load_tool,
    median,
    not_measured,
    store_server,
    text_table,
)

LIST_ORDERS = 10_000
CONNECTIONS = 32
SMALL_WINDOW_STORE = 1_000
BIG_WINDOW_STORE = 1_000_000
QUICK_WINDOW_STORE = 100_000
#: Response headers the bare handler repeats (the store's own, minus per-response ones).
_SKIP_HEADERS = {"date", "server", "content-length", "connection", "keep-alive"}
#: Asks the store for an answer made fresh rather than a kept one (``simulator.answers``).
NO_CACHE = {"Cache-Control": "no-cache"}


def _auth(child: Child) -> dict[str, str]:
    return {"Authorization": str(child.info["auth"])}


async def _fetch(url: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    import aiohttp

    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")
        kept = {k: v for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS}
        return body, kept


#: A wrk script asking pages 1..100 in turn: more distinct answers than the store keeps
#: (``MAX_ANSWERS``), so every request misses and is made in full.
_PAGES_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&page=" .. (counter % 100 + 1))
end
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk_script_rps(
    url: str, headers: dict[str, str], connections: int, seconds: float, script: Path
) -> float:
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if match is None or "Non-2xx" in result.stdout:
        raise RuntimeError(f"wrk failed: {result.stdout[-500:]}")
    return float(match.group(1))


class _CpuPerRequest:
    """Runs a load against a child and keeps the child's CPU seconds per request."""

    def __init__(self, child: Child, load: Callable[[], float], seconds: float) -> None:
        self.child, self.load, self.seconds = child, load, seconds
        self.samples: list[float] = []

    def __call__(self) -> float:
        before = cpu_seconds(self.child.pid)
        rps = self.load()
        used = cpu_seconds(self.child.pid) - before
        self.samples.append(used / max(1.0, rps * self.seconds))
        return rps


def _cpu_note(store: _CpuPerRequest, bare: _CpuPerRequest) -> str:
    mine, theirs = median(store.samples) * 1e6, median(bare.samples) * 1e6
    return f"CPU per request (child /proc, median): store {mine:.0f} us, bare {theirs:.0f} us"


def measure_throughput(quick: bool) -> list[Figure]:
    store = store_server(LIST_ORDERS)
    url = str(store.info["api_url"]) + "/orders?per_page=100"
    auth = _auth(store)
    body, headers = asyncio.run(_fetch(url, auth))
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        bare = bare_server(body, headers, Path(tmp))
        try:
            bare_url = str(bare.info["url"]) + "/wp-json/wc/v3/orders?per_page=100"
            seconds = 2.0 if quick else 5.0
            load_rps(url, auth, connections=CONNECTIONS, seconds=1)  # warm both
            load_rps(bare_url, {}, connections=CONNECTIONS, seconds=1)
            store_cpu = _CpuPerRequest(
                store,
                lambda: load_rps(url, auth, connections=CONNECTIONS, seconds=seconds),
                seconds,
            )
            bare_cpu = _CpuPerRequest(
                bare,
                lambda: load_rps(bare_url, {}, connections=CONNECTIONS, seconds=seconds),
                seconds,
            )
            mine, theirs = alternate(store_cpu, bare_cpu, rounds)
            kept = Figure(
                "GET /orders?per_page=100, 10,000 orders, 32 connections",
                median(mine),
                "req/s",
                Target("ratio_min", 0.5),
                reference=median(theirs),
                reference_name="bare aiohttp, same bytes",
                note=f"load from {load_tool()} in another process; {len(body):,}-byte body; "
                f"medians of {len(mine)} runs of {seconds:g} s each; the same URL each time, "
                f"so the store answers from its kept answers; {_cpu_note(store_cpu, bare_cpu)}",
                samples=mine,
            )
            missing = _measure_missing(store, bare, url, bare_url, auth, seconds, rounds, tmp)
        finally:
            bare.stop()
    return [kept, missing]


def _measure_missing(
    store: Child,
    bare: Child,
    url: str,
    bare_url: str,
    auth: dict[str, str],
    seconds: float,
    rounds: int,
    tmp: str,
) -> Figure:
    name = "the same, a different page each request (kept answers miss)"
    if not Path(WRK).exists():
        return not_measured(name, Target("report"), "needs wrk (a script varies the page)")
    script = Path(tmp) / "pages.lua"
    script.write_text(_PAGES_LUA, encoding="ascii")
    store_cpu = _CpuPerRequest(
        store, lambda: _wrk_script_rps(url, auth, CONNECTIONS, seconds, script), seconds
    )
    bare_cpu = _CpuPerRequest(
        bare, lambda: _wrk_script_rps(bare_url, {}, CONNECTIONS, seconds, script), seconds
    )
    mine, theirs = alternate(store_cpu, bare_cpu, rounds)
    return Figure(
        name,
        median(mine),
        "req/s",
        Target("report"),
        reference=median(theirs),
        reference_name="bare aiohttp, same bytes",
        note=f"pages 1-100 of per_page=100 in turn (wrk script), each made in full; "
        f"{_cpu_note(store_cpu, bare_cpu)}",
        samples=mine,
    )


async def _window_query(api_url: str, auth: dict[str, str]) -> str:
    """The query of the newest ~100 orders by modification date (found from the store)."""
    import aiohttp

    params = {"per_page": "100", "orderby": "modified", "order": "desc"}
    params["_fields"] = "date_modified_gmt"
    async with (
        aiohttp.ClientSession(headers=auth) as session,
        session.get(api_url + "/orders", params=params) as response,
    ):
        rows = await response.json()
    bound = str(rows[-1]["date_modified_gmt"])
    # Strictly after the 100th newest: 99 or a few fewer when several share its second.
    window = {"per_page": "100", "modified_after": bound, "dates_are_gmt": "true"}
    return api_url + "/orders?" + urlencode(window)


def measure_window(quick: bool) -> Figure:
    big_size = QUICK_WINDOW_STORE if quick else BIG_WINDOW_STORE
    small = store_server(SMALL_WINDOW_STORE)
    big = store_server(big_size)
    targets = []
    for child in (big, small):
        auth = _auth(child)
        query = asyncio.run(_window_query(str(child.info["api_url"]), auth))
        # Every request made in full (the index's work), never a kept answer.
        targets.append((query, {**auth, **NO_CACHE}))
    count = 60 if quick else 150
    big_samples, small_samples = alternate(
        lambda: median(asyncio.run(latencies(*targets[0], count))),
        lambda: median(asyncio.run(latencies(*targets[1], count))),
        3,
    )
    p50_big, p50_small = median(big_samples), median(small_samples)
    return Figure(
        f"modified_after window of ~100, p50 at {big_size:,} orders",
        p50_big * 1000,
        "ms",
        Target("ratio_max", 2),
        reference=p50_small * 1000,
        reference_name=f"same at {SMALL_WINDOW_STORE:,} orders",
        note=f"p50 of 3 x {count} sequential requests on one connection, each made in full "
        f"(Cache-Control: no-cache); store generated in "
        f"{float(big.info['generate_seconds']):.0f} s"
        + ("; --quick uses 100,000 orders, the target is at 1,000,000" if quick else ""),
    )


def measure(quick: bool) -> list[Figure]:
    return [*measure_throughput(quick), measure_window(quick)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    from bench.common import stop_stores

    try:
        print(text_table(measure(args.quick)))
    finally:
        stop_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main())
