"""Growth curves: how the REST list and one poll cost as the store grows.

At 1,000, 10,000, 100,000 and 1,000,000 generated orders (customers a tenth of
that, as in the other store figures), each store in its own child process
(``bench.common serve-store``, shared with the other sections of a run):

* **REST list**: p50 of sequential ``GET /orders?per_page=100`` on one
  keep-alive connection, each made in full (``Cache-Control: no-cache``: the
  store does not answer from its kept answers);
* **one poll**: one run of the recommended polling instance (customers and
  orders, ``date_modified_gmt``) whose window starts at the 100th newest order
  modification, timed in this process against the child store over HTTP
  (state in memory, notifications left in the outbox). Orders are read by a
  ``modified_after`` window, so their part stays ~100 records at every size;
  customers have no date filter in WooCommerce, so every poll reads all of
  them, and that part grows with the store.

The p50s are taken in three rounds alternating between the sizes (median of
the rounds), so machine load shifts them alike. Each row says how long
generating that store took. ``--quick`` stops at 100,000 orders.

    python -m bench.bench_growth [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

import aiohttp

from bench.common import (
    START_ISO,
    Child,
    Figure,
    Target,
    latencies,
    median,
    stop_stores,
    store_server,
    text_table,
)
from pytest_woosim.harness.instances import RECOMMENDED_DATES
from pytest_woosim.instance.config import InstanceConfig
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import State
from pytest_woosim.poller.poller import Poller
from simulator.clock import Clock
from simulator.wcdates import parse_iso_instant

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
#: The poll window starts at this newest order modification.
WINDOW_ORDERS = 100


def _instance(child: Child) -> InstanceConfig:
    resource = {
        "idField": "id",
        "datesConfiguration": dict(RECOMMENDED_DATES),
        "filterByUpdatedDate": True,
        "filterByCurrentDate": True,
        "pageSize": 100,
        "pollDelay": 0,
    }
    return load_instance(
        {
            "name": "growth",
            "element": {"key": "woocommercerest"},
            "configuration": {
                "store.url": child.info["site_url"],
                "oauth.api.key": child.info["consumer_key"],
                "oauth.api.secret": child.info["consumer_secret"],
                "event.notification.enabled": True,
                "event.vendor.type": "polling",
                "event.notification.callback.url": "http://127.0.0.1:9/unused",
                "event.poller.refresh_interval": 5,
                "event.poller.configuration": {
                    "customers": {"url": "/hubs/ecommerce/customers", **resource},
                    "orders": {"url": "/hubs/ecommerce/orders", **resource},
                },
            },
        }
    )


async def _window_start(child: Child) -> datetime:
    """The modification date of the store's 100th newest order."""
    params = {"per_page": str(WINDOW_ORDERS), "orderby": "modified", "order": "desc"}
    params["_fields"] = "date_modified_gmt"
    headers = {"Authorization": str(child.info["auth"])}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(str(child.info["api_url"]) + "/orders", params=params) as response,
    ):
        rows = await response.json()
    return datetime.fromisoformat(str(rows[-1]["date_modified_gmt"])).replace(tzinfo=UTC)


async def _one_poll(child: Child) -> tuple[float, int, int, int]:
    """Seconds, requests, records read and events of one poll run over the window."""
    start = await _window_start(child)
    clock = Clock(parse_iso_instant(START_ISO), frozen=True)
    state = State(None, clock=clock)
    await state.open()
    poller = Poller.from_config(
        _instance(child), state=state, clock=clock, start=start, with_sender=False
    )
    try:
        began = time.perf_counter()
        report = await poller.poll_once()
        seconds = time.perf_counter() - began
    finally:
        await poller.stop()
        await state.close()
    if not report.ok:
        raise RuntimeError(f"poll failed: {report}")
    requests = sum(r.requests for r in report.resources)
    records = sum(r.records_read for r in report.resources)
    return seconds, requests, records, report.events


def measure(quick: bool) -> list[Figure]:
    sizes = QUICK_SIZES if quick else SIZES
    stores: list[tuple[Child, str]] = []
    for size in sizes:
        began = time.perf_counter()
        child = store_server(size)
        ready = time.perf_counter() - began
        made = (
            f"store of {size:,} orders and {max(1, size // 10):,} customers generated in "
            f"{float(child.info['generate_seconds']):.1f} s"
            + (f", ready in {ready:.0f} s" if ready > 1 else ", shared with another section")
        )
        stores.append((child, made))
    count = 30 if quick else 100
    rounds: list[list[float]] = [[] for _ in sizes]
    for _ in range(3):
        for samples, (child, _made) in zip(rounds, stores, strict=True):
            # Made in full each time (no kept answer): the figure is the list's own work.
            auth = {"Authorization": str(child.info["auth"]), "Cache-Control": "no-cache"}
            url = str(child.info["api_url"]) + "/orders?per_page=100"
            samples.append(median(asyncio.run(latencies(url, auth, count))) * 1000)
    p50s = [median(samples) for samples in rounds]
    rest = [
        Figure(
            f"growth: GET /orders?per_page=100 p50 at {size:,} orders",
            p50,
            "ms",
            Target("report"),
            reference=p50s[0],
            reference_name=f"same at {sizes[0]:,} orders",
            note=f"{made}; median of 3 rounds of {count} sequential requests",
        )
        for size, p50, (_child, made) in zip(sizes, p50s, stores, strict=True)
    ]
    polls: list[Figure] = []
    first: float | None = None
    for size, (child, made) in zip(sizes, stores, strict=True):
        seconds, requests, records, events = asyncio.run(_one_poll(child))
        first = first or seconds
        polls.append(
            Figure(
                f"growth: one poll (~{WINDOW_ORDERS} changed orders) at {size:,} orders",
                seconds * 1000,
                "ms",
                Target("report"),
                reference=first * 1000,
                reference_name=f"same at {sizes[0]:,} orders",
                note=f"{requests:,} requests, {records:,} records read, {events:,} events; {made}",
            )
        )
    return rest + polls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    try:
        print(text_table(measure(args.quick)))
    finally:
        stop_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main())
