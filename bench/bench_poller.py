"""Poller throughput: changed orders per second from the store to the callback.

Runs the fake store (``woosim serve``) and a counting callback receiver as
separate processes, then measures in this process:

1. plain paging: every order once, ``orderby=modified&order=asc``, offset pages
   of ``--page-size``, with the same store client and no processing at all;
2. the reference poller: one backfill run over the same orders (keyset paging,
   content dedupe, events, notifications of 10 in the durable SQLite outbox)
   and the sender delivering every notification, signed, to the receiver.

It prints both rates and their ratio. Usage::

    python bench/bench_poller.py                 # 100,000 orders
    python bench/bench_poller.py --orders 5000   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from pytest_woosim.harness.instances import RECOMMENDED_DATES

STORE_START = "2024-06-01T00:00:00Z"
SIGNATURE_KEY = "bench-signature-key"


# ---------------------------------------------------------------------- receiver process


def receiver_main() -> None:
    """A callback that counts events; ``GET /count`` reports them."""
    count = 0
    notifications = 0

    async def notify(request: web.Request) -> web.Response:
        nonlocal count, notifications
        body = await request.read()
        message = json.loads(body)["message"]
        count += len(message["events"])
        notifications += 1
        return web.Response(status=200)

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"events": count, "notifications": notifications})

    async def serve() -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/events", notify)
        app.router.add_get("/count", report)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(f"http://127.0.0.1:{port}/events", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


# ---------------------------------------------------------------------- helpers


def woosim() -> str:
    beside = Path(sys.executable).with_name("woosim")
    found = str(beside) if beside.exists() else shutil.which("woosim")
    if not found:
        raise SystemExit("the woosim console script is not installed")
    return found


def start_store(orders: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [
            woosim(),
            "serve",
            "--port",
            "0",
            "--orders",
            str(orders),
            "--frozen",
            "--start",
            STORE_START,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info: dict[str, str] = {}
    while len(info) < 4:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("woosim serve exited before printing its URL")
        key, _, value = line.strip().partition("=")
        info[key] = value
    return proc, info


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--receiver"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def instance(store: dict[str, str], callback: str, page_size: int) -> dict[str, Any]:
    dates = dict(RECOMMENDED_DATES)
    return {
        "element": {"key": "woocommercerest"},
        "name": "bench",
        "configuration": {
            "store.url": store["site_url"],
            "oauth.api.key": store["consumer_key"],
            "oauth.api.secret": store["consumer_secret"],
            "event.notification.enabled": True,
            "event.vendor.type": "polling",
            "event.notification.callback.url": callback,
            "event.notification.signature.key": SIGNATURE_KEY,
            "event.poller.configuration": {
                "orders": {
                    "url": "/hubs/ecommerce/orders",
                    "idField": "id",
                    "datesConfiguration": dates,
                    "pageSize": page_size,
                }
            },
        },
    }


# ---------------------------------------------------------------------- measurements


async def plain_paging(store: dict[str, str], page_size: int) -> tuple[int, float]:
    from pytest_woosim.poller.storeclient import StoreClient

    async with StoreClient(
        store["site_url"], store["consumer_key"], store["consumer_secret"]
    ) as client:
        started = time.perf_counter()
        records = 0
        page = 1
        while True:
            result = await client.list_page(
                "orders",
                {"per_page": page_size, "page": page, "orderby": "modified", "order": "asc"},
            )
            records += len(result.records)
            if not result.has_next:
                break
            page += 1
        return records, time.perf_counter() - started


async def poller_run(
    store: dict[str, str], callback: str, page_size: int, expected: int, state_path: Path
) -> dict[str, float]:
    import httpx

    from pytest_woosim.instance.config import InstanceConfig
    from pytest_woosim.outbox.state import State
    from pytest_woosim.poller.poller import Poller
    from simulator.clock import Clock

    clock = Clock()
    config = InstanceConfig.from_data(instance(store, callback, page_size))
    count_url = callback.rsplit("/", 1)[0] + "/count"
    async with State(state_path, clock=clock) as state, httpx.AsyncClient() as probe:
        poller = Poller.from_config(config, state=state, clock=clock, backfill=True)
        assert poller.sender is not None
        started = time.perf_counter()
        await poller.sender.start()
        report = await poller.poll_once()
        scanned = time.perf_counter()
        await poller.sender.drain(timeout=3600)
        delivered = time.perf_counter()
        received = (await probe.get(count_url)).json()
        await poller.stop()
    if received["events"] != expected or report.events != expected:
        raise SystemExit(
            f"lost or extra events: store {expected}, poller {report.events}, "
            f"receiver {received['events']}"
        )
    return {
        "scan_seconds": scanned - started,
        "total_seconds": delivered - started,
        "requests": float(report.resources[0].requests),
        "notifications": float(received["notifications"]),
    }


async def bench(orders: int, page_size: int) -> None:
    store_proc, store = start_store(orders)
    receiver_proc, callback = start_receiver()
    try:
        records, plain_seconds = await plain_paging(store, page_size)
        if records != orders:
            raise SystemExit(f"plain paging read {records} of {orders} orders")
        with tempfile.TemporaryDirectory() as tmp:
            result = await poller_run(
                store, callback, page_size, orders, Path(tmp) / "bench.sqlite3"
            )
    finally:
        for proc in (receiver_proc, store_proc):
            proc.terminate()
        for proc in (receiver_proc, store_proc):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    plain_rate = records / plain_seconds
    poller_rate = orders / result["total_seconds"]
    print(f"orders: {orders}, page size: {page_size}")
    print(f"plain paging:   {plain_rate:9.0f} records/s ({plain_seconds:.1f} s)")
    print(
        f"poller e2e:     {poller_rate:9.0f} records/s ({result['total_seconds']:.1f} s: "
        f"scan+outbox {result['scan_seconds']:.1f} s, {result['requests']:.0f} requests, "
        f"{result['notifications']:.0f} signed notifications delivered)"
    )
    print(f"ratio:          {poller_rate / plain_rate:9.2f} of plain paging")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receiver_main()
        return
    asyncio.run(bench(args.orders, args.page_size))


if __name__ == "__main__":
    main()
