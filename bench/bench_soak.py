"""Soak: the store's resident memory while it delivers signed webhooks steadily.

Three processes on loopback: the store (a child: 1,000 orders, an
``order.updated`` webhook, and a driver changing orders at a fixed rate on the
store's loop), a receiver (a child answering 200 and counting), and this one,
which samples the store's RSS every few seconds and reports first, last and
max, and the least-squares slope over the run after a warm-up third.

    python -m bench.bench_soak [--quick | --soak]    # 30 s, or 10 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench.common import (
    Child,
    Figure,
    Target,
    basic_auth,
    rss_bytes,
    slope_per_minute,
    start_counting_receiver,
    text_table,
)

QUICK_SECONDS = 30
SOAK_SECONDS = 600
CHANGES_PER_SECOND = 400
SAMPLE_EVERY = 2.0
#: Flat: after warm-up, RSS grows by less than this per minute.
FLAT_MIB_PER_MINUTE = 1.0
#: Deliveries the store's journal keeps (simulator.webhooks.journal.DEFAULT_JOURNAL_SIZE).
JOURNAL = 10_000


async def _receiver() -> None:
    runner, port, received = await start_counting_receiver()
    print(json.dumps({"url": f"http://127.0.0.1:{port}/hook"}), flush=True)
    await asyncio.to_thread(sys.stdin.read)
    print(json.dumps({"received": received()}), flush=True)
    await runner.cleanup()


async def _store(delivery_url: str, rate: int) -> None:
    import aiohttp

    from simulator.app import Simulator
    from simulator.clock import Clock
    from simulator.generate import generate
    from simulator.server import SimulatorServer

    sim = Simulator(clock=Clock(), seed="soak")
    generate(sim.store, "soak", customers=100, orders=1_000, products=20, emit=False)
    server = SimulatorServer(sim)
    await server.start()
    key = sim.keys.default
    auth = {"Authorization": basic_auth(key.consumer_key, key.consumer_secret)}
    async with (
        aiohttp.ClientSession(headers=auth) as session,
        session.post(
            server.api_url + "/webhooks",
            json={
                "name": "soak",
                "topic": "order.updated",
                "delivery_url": delivery_url,
                "secret": "soak-secret",
            },
        ) as response,
    ):
        if response.status != 201:
            raise SystemExit(f"webhook not created: {response.status}")
    store = sim.store
    order_ids = list(store.orders)
    changes = 0

    async def drive() -> None:
        nonlocal changes
        tick = 0.02
        per_tick = max(1, round(rate * tick))
        notes = ("soak a", "soak b")
        while True:
            began = time.perf_counter()
            for _ in range(per_tick):
                order_id = order_ids[changes % len(order_ids)]
                store.update_order(order_id, {"customer_note": notes[changes % 2]})
                changes += 1
            await asyncio.sleep(max(0.0, tick - (time.perf_counter() - began)))

    driver = asyncio.create_task(drive())
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.to_thread(sys.stdin.read)
    driver.cancel()
    print(json.dumps({"changes": changes}), flush=True)
    await server.stop()


def soak(seconds: float) -> dict[str, float]:
    receiver = Child(["-m", "bench.bench_soak", "--child", "receiver"])
    store: Child | None = None
    try:
        store = Child(
            [
                "-m",
                "bench.bench_soak",
                "--child",
                "store",
                str(receiver.info["url"]),
                str(CHANGES_PER_SECOND),
            ]
        )
        samples: list[tuple[float, float]] = []
        began = time.monotonic()
        while (elapsed := time.monotonic() - began) < seconds:
            samples.append((elapsed, rss_bytes(store.pid) / 2**20))
            time.sleep(min(SAMPLE_EVERY, max(0.0, seconds - elapsed)))
        samples.append((time.monotonic() - began, rss_bytes(store.pid) / 2**20))
        changes = _finish(store, "changes")
        received = _finish(receiver, "received")
    finally:
        for child in (store, receiver):
            if child is not None:
                child.stop()
    # The store keeps its last JOURNAL deliveries: RSS grows until that is full.
    rate = received / max(1e-9, samples[-1][0])
    filled_at = JOURNAL / rate if rate > 0 else float("inf")
    warm_from = max(seconds / 3, filled_at * 1.1)
    warm = [s for s in samples if s[0] >= warm_from]
    judged = len(warm) >= 5
    return {
        "judged": float(judged),
        "filled_at": filled_at,
        "first": samples[0][1],
        "last": samples[-1][1],
        "max": max(value for _, value in samples),
        "slope": slope_per_minute(warm if judged else samples),
        "changes": changes,
        "received": received,
        "seconds": samples[-1][0],
    }


def _finish(child: Child, field: str) -> float:
    """Close the child's stdin; it answers with one JSON line holding ``field``."""
    process = child.process
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    for line in process.stdout:
        if line.startswith("{"):
            value = json.loads(line).get(field)
            if value is not None:
                return float(value)
    return float("nan")


def measure(quick: bool, seconds: float | None = None) -> list[Figure]:
    duration = seconds if seconds is not None else QUICK_SECONDS
    result = soak(duration)
    judged = bool(result["judged"])
    target = Target("max", FLAT_MIB_PER_MINUTE, f"flat (< {FLAT_MIB_PER_MINUTE:g} MiB/min)")
    return [
        Figure(
            f"RSS during a {duration / 60:g}-minute delivery soak: slope"
            + (" after warm-up" if judged else ""),
            result["slope"],
            "MiB/min",
            target if judged else Target("report", text=target.describe() + ", not judged"),
            note=(
                f"RSS first {result['first']:.1f} MiB, last {result['last']:.1f} MiB, "
                f"max {result['max']:.1f} MiB; {result['changes']:,.0f} order changes, "
                f"{result['received']:,.0f} signed deliveries received "
                f"({result['received'] / result['seconds']:,.0f}/s)"
                + (
                    ""
                    if judged
                    else f"; the delivery journal ({JOURNAL:,} kept) fills at "
                    f"~{result['filled_at']:.0f} s, too late in this run to judge the slope"
                )
                + ("" if duration >= SOAK_SECONDS else "; the 10-minute soak runs with --soak")
            ),
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--soak", action="store_true", help="run for 10 minutes")
    parser.add_argument("--child", choices=("receiver", "store"), help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "receiver":
        asyncio.run(_receiver())
        return 0
    if args.child == "store":
        asyncio.run(_store(args.child_args[0], int(args.child_args[1])))
        return 0
    seconds = SOAK_SECONDS if args.soak else None
    print(text_table(measure(args.quick, seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
