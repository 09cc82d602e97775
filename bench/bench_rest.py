"""REST figures: ``GET /orders?per_page=100`` requests/s, and a ``modified_after`` window's p50.

Both stores run in child processes (``bench.common serve-store``); the load
comes from another process (wrk when installed, else an aiohttp client).

* throughput: 10,000 orders, 32 connections, against a bare aiohttp handler
  (another child) returning the same body and headers pre-built;
* window: the newest ~100 orders by modification date (``modified_after``,
  ``dates_are_gmt``), p50 of sequential requests at 1,000,000 orders against the
  same at 1,000 orders (``--quick``: 100,000 orders).

    python -m bench.bench_rest [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    Child,
    Figure,
    Target,
    alternate,
    bare_server,
    latencies,
    load_rps,
    load_tool,
    median,
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


def measure_throughput(quick: bool) -> Figure:
    store = store_server(LIST_ORDERS)
    url = str(store.info["api_url"]) + "/orders?per_page=100"
    auth = _auth(store)
    body, headers = asyncio.run(_fetch(url, auth))
    with tempfile.TemporaryDirectory() as tmp:
        bare = bare_server(body, headers, Path(tmp))
        try:
            bare_url = str(bare.info["url"]) + "/wp-json/wc/v3/orders?per_page=100"
            seconds = 2.0 if quick else 5.0
            load_rps(url, auth, connections=CONNECTIONS, seconds=1)  # warm both
            load_rps(bare_url, {}, connections=CONNECTIONS, seconds=1)
            mine, theirs = alternate(
                lambda: load_rps(url, auth, connections=CONNECTIONS, seconds=seconds),
                lambda: load_rps(bare_url, {}, connections=CONNECTIONS, seconds=seconds),
                2 if quick else 3,
            )
        finally:
            bare.stop()
    return Figure(
        "GET /orders?per_page=100, 10,000 orders, 32 connections",
        median(mine),
        "req/s",
        Target("ratio_min", 0.5),
        reference=median(theirs),
        reference_name="bare aiohttp, same bytes",
        note=f"load from {load_tool()} in another process; {len(body):,}-byte body; "
        f"medians of {len(mine)} runs of {seconds:g} s each",
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
        targets.append((asyncio.run(_window_query(str(child.info["api_url"]), auth)), auth))
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
        note=f"p50 of 3 x {count} sequential requests on one connection; store generated in "
        f"{float(big.info['generate_seconds']):.0f} s"
        + ("; --quick uses 100,000 orders, the target is at 1,000,000" if quick else ""),
    )


def measure(quick: bool) -> list[Figure]:
    return [measure_throughput(quick), measure_window(quick)]


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
