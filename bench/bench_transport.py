"""The HTTP transport: the store's and the sender's keep-alive client against aiohttp's.

Both clients send the same signed POSTs (a ~2 KB order body, its
``X-WC-Webhook-Signature`` computed per request, the delivery headers) over
keep-alive connections to one local receiver in another process, with the same
number of requests in flight. Rounds alternate between the two clients; the
figure is the median rate, and the note gives each client's CPU time per POST
(this process only: the receiver's work is not counted).

    python -m bench.bench_transport [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp

from bench.bench_webhooks import order_payload, run_receiver
from bench.common import Figure, Target, text_table
from simulator import phpjson
from simulator.wire.httpclient import KeepAliveClient
from simulator.wire.signing import WC_SIGNATURE_HEADER, sign_woocommerce

#: Requests in flight at once (the delivery engine's default concurrency order).
IN_FLIGHT = 8
SECRET = "s3cret"

Post = Callable[[str, dict[str, str], bytes], Awaitable[int]]


def _headers(body: bytes, n: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.8.1 Hookshot (WordPress/6.8.1)",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Delivery-ID": str(n),
        WC_SIGNATURE_HEADER: sign_woocommerce(SECRET, body),
    }


async def _drive(post: Post, url: str, requests: int) -> tuple[float, float]:
    """(POSTs per second, CPU seconds per POST) for ``requests`` POSTs, IN_FLIGHT at once."""
    bodies = [phpjson.dumps(order_payload(n)) for n in range(64)]
    remaining = iter(range(requests))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for n in remaining:
            body = bodies[n % len(bodies)]
            if await post(url, _headers(body, n), body) != 200:
                failures += 1

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if failures:
        raise RuntimeError(f"{failures} POSTs were not answered 200")
    return requests / wall, cpu / requests


async def _ours(url: str, requests: int) -> tuple[float, float]:
    client = KeepAliveClient(max_idle_per_host=IN_FLIGHT)

    async def post(url: str, headers: dict[str, str], body: bytes) -> int:
        status, _ = await client.post(url, headers, body, timeout=30)
        return status

    try:
        await _drive(post, url, IN_FLIGHT)  # open the connections outside the clock
        return await _drive(post, url, requests)
    finally:
        await client.close()


async def _aiohttp(url: str, requests: int) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(url: str, headers: dict[str, str], body: bytes) -> int:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        await _drive(post, url, IN_FLIGHT)
        return await _drive(post, url, requests)


def measure(quick: bool) -> list[Figure]:
    requests, rounds = (2_000, 3) if quick else (10_000, 5)
    parent, child = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=run_receiver, args=(child,), daemon=True)
    receiver.start()
    try:
        url = f"http://127.0.0.1:{parent.recv()}/hook"
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for _ in range(rounds):
            ours.append(asyncio.run(_ours(url, requests)))
            theirs.append(asyncio.run(_aiohttp(url, requests)))
        parent.send("stop")
        parent.recv()
    finally:
        receiver.join(timeout=10)
        if receiver.is_alive():
            receiver.terminate()
    rate = statistics.median(r for r, _ in ours)
    reference = statistics.median(r for r, _ in theirs)
    cpu = statistics.median(c for _, c in ours) * 1e6
    cpu_reference = statistics.median(c for _, c in theirs) * 1e6
    notes = f"{requests:,} POSTs, {rounds} rounds each, {IN_FLIGHT} in flight"
    return [
        Figure(
            "HTTP client: signed keep-alive POSTs/s to a local receiver",
            rate,
            "POSTs/s",
            # The receiver bounds this figure; the client must at least not be slower.
            Target("ratio_min", 1.0),
            reference=reference,
            reference_name="aiohttp ClientSession, same POSTs",
            note=notes,
        ),
        Figure(
            "HTTP client: CPU per signed POST (client process)",
            cpu,
            "µs/POST",
            # What the hand-written client is kept for: a clear saving per POST.
            Target("ratio_min", 1.5, "aiohttp / ours ≥ 1.5"),
            reference=cpu_reference,
            reference_name="aiohttp ClientSession",
            ratio=cpu_reference / cpu,
            note=notes,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    figures = measure(args.quick)
    print(text_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
