"""Signed webhook deliveries per second from the fake store to a local receiver.

The receiver runs in its own process (so it does not share the store's CPU or
event loop) and answers 200 to everything. The store side is the real delivery
engine: payload built at send time, PHP-style JSON, HMAC-SHA256 signature,
delivery id, journal entry, failure accounting.

    python bench/bench_webhooks.py --deliveries 20000

The figure is the median of ``--rounds`` rounds (3 by default) of that many
deliveries, each round on a fresh webhook service; every round's rate and the
store's CPU per delivery are printed, none is dropped.

A second phase changes orders through the store itself (status changes: stock,
sales and the action hooks they fire) with an ``order.updated`` webhook, and
reports the store's CPU per change, with and without delivering it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from bench.common import start_counting_receiver
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.events import EventBus, StoreEvent
from simulator.generate import generate
from simulator.settings import Settings
from simulator.webhooks import DeliveryOptions, WebhookService


def run_receiver(conn: Connection) -> None:
    """Child process: an aiohttp server on 127.0.0.1:0 that answers 200 and counts."""

    async def main() -> None:
        runner, port, received = await start_counting_receiver()
        conn.send(port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # parent says stop
        conn.send((received(), time.process_time()))
        await runner.cleanup()

    asyncio.run(main())


def order_payload(order_id: int) -> dict[str, Any]:
    """A realistic order body (about 2 KB of PHP JSON), with non-ASCII and slashes."""
    return {
        "id": order_id,
        "parent_id": 0,
        "status": "processing",
        "currency": "EUR",
        "version": "9.8.1",
        "prices_include_tax": False,
        "date_created": "2024-03-10T07:00:00",
        "date_modified": "2024-03-10T07:00:05",
        "total": "29.35",
        "customer_id": 12,
        "billing": {
            "first_name": "Zoë",
            "last_name": "Müller",
            "address_1": "Große Straße 1",
            "city": "Köln",
            "postcode": "50667",
            "country": "DE",
            "email": "zoe@example.com",
            "phone": "+49 221 000000",
        },
        "line_items": [
            {
                "id": 300 + n,
                "name": f"Woo Single #{n}",
                "product_id": 90 + n,
                "quantity": 2,
                "subtotal": "6.00",
                "total": "6.00",
                "taxes": [{"id": 75, "total": "0.45", "subtotal": "0.45"}],
                "meta_data": [],
                "sku": f"SKU-{n}",
                "price": 3,
                "image": {"id": 0, "src": "https://example.com/img/a.png"},
            }
            for n in range(4)
        ],
        "payment_url": f"https://example.com/checkout/order-pay/{order_id}/?pay_for_order=true",
        "_links": {
            "self": [{"href": f"https://example.com/wp-json/wc/v3/orders/{order_id}"}],
            "collection": [{"href": "https://example.com/wp-json/wc/v3/orders"}],
        },
    }


async def bench(deliveries: int, concurrency: int, port: int) -> tuple[float, float, int]:
    bus = EventBus()
    clock = Clock(datetime(2024, 3, 10, 7, 0, tzinfo=UTC))
    service = WebhookService(
        clock=clock,
        bus=bus,
        settings=Settings(site_url="http://127.0.0.1:8000"),
        payload_for=lambda resource, rid: order_payload(rid),
        options=DeliveryOptions(concurrency=concurrency),
        journal_size=10_000,
    )
    await service.start()
    try:
        await service.create(
            topic="order.updated", delivery_url=f"http://127.0.0.1:{port}/hook", secret="s3cret"
        )
        await service.wait_for(1, kind="ping")
        started = time.perf_counter()
        cpu_started = time.process_time()
        for order_id in range(1, deliveries + 1):
            bus.emit(StoreEvent("order", "updated", order_id, "woocommerce_update_order"))
        await service.wait_for(deliveries, kind="delivery", timeout=300)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        failures = len(service.deliveries(kind="delivery", status="failure"))
        return elapsed, cpu, failures
    finally:
        await service.close()


async def bench_changes(changes: int, port: int) -> tuple[float, float]:
    """CPU seconds per order status change made through the store: the change alone
    (events and queueing), and the change with its delivery."""
    sim = Simulator()
    generate(sim.store, 1, orders=changes, emit=False)
    service = sim.webhooks
    await service.start()
    try:
        await service.create(
            topic="order.updated", delivery_url=f"http://127.0.0.1:{port}/hook", secret="s3cret"
        )
        await service.wait_for(1, kind="ping")
        moves = [
            (order.id, "cancelled" if order.status in ("processing", "on-hold") else "processing")
            for order in list(sim.store.orders.values())[:changes]
        ]
        cpu_started = time.process_time()
        for order_id, status in moves:
            sim.store.update_order(order_id, {"status": status})
        changed = time.process_time()
        await service.wait_for(len(moves), kind="delivery", timeout=300)
        delivered = time.process_time()
        return (changed - cpu_started) / len(moves), (delivered - cpu_started) / len(moves)
    finally:
        await service.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the figure is the median")
    parser.add_argument("--changes", type=int, default=2_000, help="store changes (0: skip)")
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    receiver = ctx.Process(target=run_receiver, args=(child,), daemon=True)
    receiver.start()
    try:
        port = parent.recv()
        rounds = [
            asyncio.run(bench(args.deliveries, args.concurrency, port))
            for _ in range(max(1, args.rounds))
        ]
        per_change = asyncio.run(bench_changes(args.changes, port)) if args.changes else None
        parent.send("stop")
        received, receiver_cpu = parent.recv()
    finally:
        receiver.join(timeout=10)
        if receiver.is_alive():
            receiver.terminate()
    rates = [args.deliveries / elapsed for elapsed, _, _ in rounds]
    cpus = [cpu / args.deliveries for _, cpu, _ in rounds]
    failures = sum(failed for _, _, failed in rounds)
    rate, cpu_per_delivery = statistics.median(rates), statistics.median(cpus)
    # The store phase's ping and deliveries reach the same receiver; each round pinged once.
    received -= args.changes + 1 if args.changes else 0
    pings = len(rounds)
    print(
        f"{args.deliveries} signed deliveries, median of {len(rounds)} rounds = "
        f"{rate:,.0f} deliveries/s (concurrency {args.concurrency}, receiver got "
        f"{received - pings} + {pings} pings, {failures} failures)"
    )
    print(
        "rounds: "
        + ", ".join(
            f"{r:,.0f}/s ({c * 1e6:.0f} us store CPU/delivery)"
            for r, c in zip(rates, cpus, strict=True)
        )
    )
    if per_change is not None:
        print(
            f"store changes: {args.changes} order status changes through the store: "
            f"{per_change[0] * 1e6:.0f} us CPU/change, "
            f"{per_change[1] * 1e6:.0f} us with its delivery"
        )
    # CPU per delivery tells what the machine could do when it is not shared.
    print(
        f"store CPU {cpu_per_delivery * 1e6:.0f} us/delivery, median of the rounds "
        f"(= {1 / cpu_per_delivery:,.0f}/s per core), "
        f"receiver CPU {receiver_cpu / max(received, 1) * 1e6:.0f} us/request"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
