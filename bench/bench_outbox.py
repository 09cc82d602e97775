"""Events per second through the durable outbox and the sender to a receiver in another process.

What is timed, end to end: producers build notifications and enqueue them
(each enqueue awaits its durable commit, as a relay must before it answers 2xx),
the sender delivers them one at a time in order over HTTP to a receiver running
in a separate process, which verifies each signature. The clock stops when the
last notification is acknowledged and removed from the outbox.

    python bench/bench_outbox.py                      # 20,000 events, 1 per notification
    python bench/bench_outbox.py --per-notification 10
    python bench/bench_outbox.py --synchronous NORMAL

One event per notification is the webhook relay's worst case (each WooCommerce
delivery carries one object); polling packs up to 10.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.outbox.notifications import Event, build_notifications
from pytest_woosim.outbox.sender import DEFAULT_MAX_IN_FLIGHT, Sender
from pytest_woosim.outbox.state import State
from simulator.clock import Clock

KEY_ENV = "BENCH_SIGNATURE_KEY"
INSTANCE = "bench"


async def _serve_receiver() -> None:
    """Child process: a verifying receiver that keeps nothing; prints its URL."""
    receiver = Receiver(os.environ[KEY_ENV], keep_records=False)
    await receiver.start()
    print(receiver.url, flush=True)
    # Runs until the parent closes our stdin.
    await asyncio.to_thread(sys.stdin.read)
    await receiver.stop()


def _start_receiver(key: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--receiver"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, KEY_ENV: key},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit("the receiver process did not start")
    return proc, url


async def _bench(args: argparse.Namespace, url: str, key: str, db: Path) -> dict[str, float]:
    state = State(db, synchronous=args.synchronous)
    await state.open()
    sender = Sender(
        state,
        Clock(),
        instance=INSTANCE,
        callback_url=url,
        signature_key=key,
        max_in_flight=args.max_in_flight,
    )
    await sender.start()
    now = datetime.now(UTC)
    per = args.per_notification
    total_notifications = args.events // per
    share = total_notifications // args.producers

    async def produce(worker: int) -> None:
        for n in range(share):
            base = (worker * share + n) * per
            events = [Event("customers", base + i, "UPDATED", now) for i in range(per)]
            raw = {"objectType": "customers", "customers": [{"id": base + i} for i in range(per)]}
            notes = build_notifications(events, raw, instance_id=INSTANCE, max_events=per)
            # One object (or object batch) per group, as the relay queues them.
            await state.enqueue(INSTANCE, url, notes, group_key=f"customers:{base}")

    batches_before = state.batches
    started = time.perf_counter()
    await asyncio.gather(*(produce(w) for w in range(args.producers)))
    enqueued = time.perf_counter()
    await sender.drain(timeout=600)
    finished = time.perf_counter()
    delivered = sender.delivered
    await sender.stop()
    await state.close()
    events = delivered * per
    return {
        "events": events,
        "notifications": delivered,
        "seconds": finished - started,
        "events_per_s": events / (finished - started),
        "enqueue_events_per_s": share * args.producers * per / (enqueued - started),
        "transactions": state.batches - batches_before,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--per-notification", type=int, default=1)
    parser.add_argument("--producers", type=int, default=50)
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=DEFAULT_MAX_IN_FLIGHT,
        help="the sender's concurrent POSTs (1: one at a time)",
    )
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        asyncio.run(_serve_receiver())
        return 0
    key = os.urandom(16).hex()
    proc, url = _start_receiver(key)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(_bench(args, url, key, Path(tmp) / "outbox.db"))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    print(
        f"{result['events']:.0f} events in {result['notifications']:.0f} notifications "
        f"({args.per_notification}/notification, synchronous={args.synchronous}, "
        f"{args.producers} producers): {result['seconds']:.2f} s"
    )
    print(f"  end to end: {result['events_per_s']:,.0f} events/s")
    print(
        f"  durable enqueue alone: {result['enqueue_events_per_s']:,.0f} events/s "
        f"in {result['transactions']:.0f} transactions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
