"""How long one absurd request blocks the store's event loop.

A store runs in its own thread; a probe on its loop wakes every millisecond and
records how late it woke. From outside that loop, one request is sent (an order
with N line items, a deeply nested body, a large generate call), and the figure
is the longest the probe waited: the time every other client waited too.

    python -m bench.bench_loop_stall            # the default cases
    python -m bench.bench_loop_stall --items 150000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx

from simulator.app import Simulator
from simulator.server import SimulatorServer

TICK = 0.001


class StallProbe:
    """Wakes every TICK on the store's loop; ``worst`` is the longest late wake-up."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._running = True

    async def run(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - before - TICK)

    def stop(self) -> None:
        self._running = False


def measure(server: SimulatorServer, send: Any) -> tuple[float, int, float]:
    """(worst loop stall in s, HTTP status, request wall time in s) for one request."""
    probe = StallProbe()
    loop = server._loop
    assert loop is not None
    running = asyncio.run_coroutine_threadsafe(probe.run(), loop)
    time.sleep(0.05)
    probe.worst = 0.0
    started = time.perf_counter()
    status = send()
    elapsed = time.perf_counter() - started
    time.sleep(0.05)
    probe.stop()
    running.result(timeout=30)
    return probe.worst, status, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, nargs="*", default=[1_000, 10_000, 150_000])
    args = parser.parse_args(argv)
    sim = Simulator()
    server = SimulatorServer(sim)
    server.start_in_thread("127.0.0.1", 0)
    key = sim.keys.default
    client = httpx.Client(auth=(key.consumer_key, key.consumer_secret), timeout=600)
    rows: list[tuple[str, float, int, float]] = []
    try:
        product = client.post(
            server.api_url + "/products", json={"name": "bench", "regular_price": "1.00"}
        ).json()["id"]
        for count in args.items:
            body = json.dumps(
                {"line_items": [{"product_id": product, "quantity": 1} for _ in range(count)]}
            ).encode()

            def create(body: bytes = body) -> int:
                response = client.post(
                    server.api_url + "/orders",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                return response.status_code

            worst, status, elapsed = measure(server, create)
            rows.append((f"order with {count} line items", worst, status, elapsed))
        lines = [{"product_id": product, "quantity": 1} for _ in range(1000)]
        batch = json.dumps({"create": [{"line_items": lines}] * 100}).encode()
        worst, status, elapsed = measure(
            server,
            lambda: (
                client.post(
                    server.api_url + "/orders/batch",
                    content=batch,
                    headers={"Content-Type": "application/json"},
                ).status_code
            ),
        )
        rows.append(("batch of 100 orders x 1000 lines", worst, status, elapsed))
        deep = b'{"meta_data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        worst, status, elapsed = measure(
            server,
            lambda: (
                client.post(
                    server.api_url + "/orders",
                    content=deep,
                    headers={"Content-Type": "application/json"},
                ).status_code
            ),
        )
        rows.append(("body nested 100k deep", worst, status, elapsed))
    finally:
        client.close()
        server.stop_in_thread()
    print(f"{'request':34} {'loop stall ms':>14} {'status':>6} {'wall ms':>9}")
    for name, worst, status, elapsed in rows:
        print(f"{name:34} {worst * 1000:14.1f} {status:6d} {elapsed * 1000:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
