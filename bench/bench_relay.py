"""Webhook relay throughput, end to end: signed webhooks in → durable outbox → delivered.

Three processes, all on loopback:

* a load generator (child process) that POSTs signed WooCommerce-style webhooks
  (distinct orders, PHP-style JSON bodies, the real ``X-WC-Webhook-*`` headers)
  with a fixed number of concurrent connections, through the client the fake
  store delivers its own webhooks with (each request written at once, head and
  body together, as a store sends a small webhook);
* the relay (this process): RelayApp + State on a file (WAL, synchronous=FULL,
  group commit) + Sender, on the event loop and with the garbage-collector
  settings of the ``woosim relay`` process (:mod:`pytest_woosim.relay.runtime`);
* a Receiver (child process) verifying the Cloud Elements signature of each
  notification.

The figure is events per second from the first webhook sent to the last
notification acknowledged by the receiver: the median of ``--rounds`` runs (3),
each with fresh processes and a fresh state file; every round is printed.

Usage: python bench/bench_relay.py [--events 5000] [--rounds 3] [--concurrency 64]
       [--max-in-flight 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from pytest_woosim.outbox.sender import DEFAULT_MAX_IN_FLIGHT, Sender
from pytest_woosim.outbox.state import State
from pytest_woosim.outbox.transport import sender_client
from pytest_woosim.relay.registration import webhook_secret
from pytest_woosim.relay.relay import RelayApp, delivery_path
from pytest_woosim.relay.runtime import loop_factory, loop_name, tune_collector
from simulator.clock import Clock

SECRET = "bench-webhook-secret"
SIGNATURE_KEY = "bench-signature-key"

RECEIVER = """
import asyncio, sys
from pytest_woosim.harness.receiver import Receiver

async def main():
    receiver = Receiver(sys.argv[1])
    await receiver.start()
    print(receiver.url, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

LOAD = """
import asyncio, base64, hashlib, hmac, json, sys, time
from simulator.wire.httpclient import KeepAliveClient

url, secret, total, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def body_for(n):
    order = {"id": n, "status": "processing", "currency": "USD", "total": "29.35",
             "date_modified": "2024-06-01T08:00:00", "date_modified_gmt": "2024-06-01T08:00:00",
             "billing": {"first_name": "Zo\\u00eb", "email": "zoe@example.com"},
             "line_items": [{"id": n * 10, "name": "Woo Single #1", "quantity": 2, "price": 3}],
             "_links": {"self": [{"href": "https://example.com/wp-json/wc/v3/orders/%d" % n}]}}
    return json.dumps(order, separators=(",", ":")).replace("/", "\\\\/").encode()

def headers_for(n, body):
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated",
            "X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": "%032x" % n,
            "X-WC-Webhook-Source": "https://example.com/", "X-WC-Webhook-Signature": sig}

async def main():
    bodies = [body_for(n) for n in range(1, total + 1)]
    requests = [(b, headers_for(n, b)) for n, b in enumerate(bodies, start=1)]
    queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    failures = 0
    # The store's own webhook client: one write per request, as a store sends it.
    client = KeepAliveClient(max_idle_per_host=concurrency, max_body=0)
    print("ready", flush=True)
    sys.stdin.readline()
    async def worker():
        nonlocal failures
        while not queue.empty():
            body, headers = queue.get_nowait()
            status, _ = await client.post(url, headers, body, timeout=60)
            if status != 200:
                failures += 1
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(json.dumps({"sent_seconds": time.perf_counter() - start, "failures": failures}),
          flush=True)
    await client.close()

asyncio.run(main())
"""


async def run(
    events: int, concurrency: int, batch: int, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
) -> dict[str, float | None]:
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, SIGNATURE_KEY], stdout=subprocess.PIPE, text=True
    )
    load: subprocess.Popen[str] | None = None
    try:
        assert receiver.stdout is not None
        callback_url = (await asyncio.to_thread(receiver.stdout.readline)).strip()
        with tempfile.TemporaryDirectory() as tmp:
            clock = Clock()
            state = State(Path(tmp) / "relay.sqlite3", clock=clock)
            await state.open()
            sender_http = sender_client(30.0)
            sender = Sender(
                state,
                clock,
                instance="bench",
                callback_url=callback_url,
                signature_key=SIGNATURE_KEY,
                client=sender_http,
                max_in_flight=max_in_flight,
            )
            relay = RelayApp(
                state=state,
                clock=clock,
                instance="bench",
                instance_id=1,
                callback_url=callback_url,
                secret=SECRET,
                delivered=lambda: sender.delivered,
                batch_events=batch,
            )
            runner = web.AppRunner(relay.app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            await sender.start()
            url = f"http://127.0.0.1:{port}{delivery_path('bench')}"
            # Each of the relay's webhooks signs with its own secret, derived per topic.
            topic_secret = webhook_secret(SECRET, "order.updated")
            load = subprocess.Popen(
                [sys.executable, "-c", LOAD, url, topic_secret, str(events), str(concurrency)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert load.stdin is not None and load.stdout is not None
            assert (await asyncio.to_thread(load.stdout.readline)).strip() == "ready"
            start = time.perf_counter()
            cpu_start = time.process_time()
            load.stdin.write("go\n")
            load.stdin.flush()
            report = json.loads(await asyncio.to_thread(load.stdout.readline))
            accepted_at = time.perf_counter() - start
            # Done when every webhook was accepted and the outbox is empty: an outbox
            # row is deleted only after the receiver answered 2xx.
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                counts = await state.outbox_counts("bench")
                if relay.stats.accepted >= events and counts.pending == 0 and counts.parked == 0:
                    break
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - start
            relay_cpu = time.process_time() - cpu_start
            delivered = relay.stats.accepted if counts.pending == 0 else 0
            notifications = sender.delivered
            await sender.stop()
            await sender_http.aclose()
            await runner.cleanup()
            await state.close()
    finally:
        for proc in (receiver, load):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    return {
        "events": events,
        "batch_events": batch,
        "notifications": notifications,
        "delivered": delivered,
        "failures": report["failures"],
        "accept_seconds": round(accepted_at, 3),
        "accepted_per_second": round(events / accepted_at),
        "end_to_end_seconds": round(elapsed, 3),
        "events_per_second": round(delivered / elapsed),
        "transactions": state.batches,
        # CPU seconds of the relay process (event loop + SQLite thread) per 1,000
        # events: independent of what else the machine is doing.
        "relay_cpu_ms_per_1000_events": round(relay_cpu / max(delivered, 1) * 1e6),
        "relay_events_per_cpu_second": round(delivered / relay_cpu) if relay_cpu else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--batch", type=int, default=1, help="events per notification (1 = one per webhook)"
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=DEFAULT_MAX_IN_FLIGHT,
        help="the sender's concurrent POSTs (1: one at a time)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs; the figure is their median (every one shown)"
    )
    args = parser.parse_args()
    # The relay runs as the `woosim relay` process does: its collector, its event loop.
    tune_collector()
    rounds = []
    for _ in range(max(1, args.rounds)):
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            rounds.append(
                runner.run(run(args.events, args.concurrency, args.batch, args.max_in_flight))
            )
    print(json.dumps({**median_round(rounds), "event_loop": loop_name()}, indent=2))


def median_round(rounds: list[dict[str, float | None]]) -> dict[str, object]:
    """The round with the median events/s, every round's figures, and all their failures."""
    ranked = sorted(rounds, key=lambda r: r["events_per_second"] or 0)
    middle = dict(ranked[(len(ranked) - 1) // 2])
    cpu = [r["relay_cpu_ms_per_1000_events"] or 0 for r in rounds]
    return {
        **middle,
        "failures": sum(int(r["failures"] or 0) for r in rounds),
        "rounds": len(rounds),
        "events_per_second_each_round": [r["events_per_second"] for r in rounds],
        "relay_cpu_ms_per_1000_events_each_round": cpu,
        "relay_cpu_ms_per_1000_events_median": statistics.median(cpu),
    }


if __name__ == "__main__":
    main()
