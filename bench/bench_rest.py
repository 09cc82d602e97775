"""Median latency of ``GET /orders?per_page=100`` with 10,000 orders, against a bare baseline.

Run: ``python bench/bench_rest.py``. The store runs in a child process; requests
come from this process with an aiohttp client (one connection, sequential).
The baseline is a bare aiohttp handler, in another child process, returning
the same response bytes prebuilt. Also measures a ``modified_after`` window of
~100 orders at 1,000 and at a larger store size (``--big``, default 100,000).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

START = datetime(2024, 3, 10, 6, tzinfo=UTC)


def _serve_store(orders: int, queue: Any) -> None:
    from simulator.app import Simulator
    from simulator.clock import Clock
    from simulator.generate import generate
    from simulator.server import SimulatorServer

    async def main() -> None:
        sim = Simulator(clock=Clock(START, frozen=True), seed="bench")
        generate(
            sim.store,
            "bench",
            customers=max(1, orders // 10),
            orders=orders,
            products=50,
            emit=False,
        )
        server = SimulatorServer(sim)
        await server.start()
        key = sim.keys.default
        queue.put((server.api_url, key.consumer_key, key.consumer_secret))
        await asyncio.Event().wait()

    asyncio.run(main())


def _serve_bare(body: bytes, queue: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/orders", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        queue.put(f"http://127.0.0.1:{port}")
        await asyncio.Event().wait()

    asyncio.run(main())


async def _median(
    url: str, params: dict[str, str], auth: dict[str, str], runs: int
) -> tuple[float, bytes]:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, headers=auth) as session:
        body = b""
        for _ in range(20):  # warm up (fills the rendering cache)
            async with session.get(url, params=params) as response:
                body = await response.read()
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            async with session.get(url, params=params) as response:
                await response.read()
            samples.append(time.perf_counter() - began)
    return statistics.median(samples), body


def _basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _start(target: Any, *args: Any) -> tuple[multiprocessing.Process, Any]:
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, queue), daemon=True)
    process.start()
    return process, queue.get(timeout=600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--big", type=int, default=100_000, help="store size for the window test")
    args = parser.parse_args()

    store, (api_url, ck, cs) = _start(_serve_store, 10_000)
    auth = _basic(ck, cs)
    store_median, body = asyncio.run(
        _median(api_url + "/orders", {"per_page": "100"}, auth, args.runs)
    )
    bare, bare_url = _start(_serve_bare, body)
    bare_median, _ = asyncio.run(_median(bare_url + "/orders", {"per_page": "100"}, {}, args.runs))
    print(f"GET /orders?per_page=100, 10,000 orders: median {store_median * 1000:.2f} ms")
    print(f"bare aiohttp handler, same {len(body):,} bytes: median {bare_median * 1000:.2f} ms")
    print(f"throughput ratio (bare / store latency): {bare_median / store_median:.2f}x")
    store.terminate()
    bare.terminate()

    windows = {}
    for size in (1_000, args.big):
        process, (url, ck, cs) = _start(_serve_store, size)
        # ~100 orders: the newest ones by modification date.
        window_start = _window_start(url, _basic(ck, cs))
        params = {"per_page": "100", "modified_after": window_start, "dates_are_gmt": "true"}
        windows[size], _ = asyncio.run(
            _median(url + "/orders", params, _basic(ck, cs), args.runs // 3)
        )
        process.terminate()
    for size, median in windows.items():
        print(f"modified_after window of ~100 at {size:,} orders: median {median * 1000:.2f} ms")


def _window_start(url: str, auth: dict[str, str]) -> str:
    async def find() -> str:
        async with aiohttp.ClientSession(headers=auth) as session:
            params = {
                "per_page": "100",
                "orderby": "modified",
                "order": "desc",
                "_fields": "date_modified_gmt",
            }
            async with session.get(url + "/orders", params=params) as response:
                rows = await response.json()
        return str(rows[-1]["date_modified_gmt"])

    return asyncio.run(find())


if __name__ == "__main__":
    main()
