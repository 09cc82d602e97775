"""Relay and poller throughput with 1, 2 and 4 worker processes on PostgreSQL, beside the
single SQLite process, in the same run.

* relay (delivery): ``--events`` one-event notifications, one group per object (as
  the webhook relay queues them), are put in the outbox first; then N worker
  processes deliver them, signed, to a counting receiver in its own process. Timed
  from "go" until the outbox is empty.
* poller: ``--instances`` polling instances on one store of ``--orders`` orders, all
  backfilled; N worker processes share them through the poll leases (one worker per
  instance's resource at a time). Timed from "go" until every instance's window is
  committed (notifications durably queued, watermark moved).

PostgreSQL is a throwaway cluster (unix socket, fsync on) started here; SQLite is a
file with ``synchronous=FULL``, as the relay runs them.

    python bench/bench_workers.py                # full size
    python bench/bench_workers.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_poller import instance, start_receiver, start_store
from bench.common import Figure, Target, not_measured, python_env

INSTANCE = "bench"
KEY = "bench-signature-key"
WORKER_COUNTS = (1, 2, 4)


# ---------------------------------------------------------------------- worker processes


def _open(spec: str) -> Any:
    from pytest_woosim.outbox.state import open_state

    return open_state(spec)


async def _send_worker(spec: str, callback: str) -> dict[str, Any]:
    from pytest_woosim.outbox.worker_sender import sender_for
    from simulator.clock import Clock

    state = _open(spec)
    await state.open()
    sender = sender_for(state, Clock(), instance=INSTANCE, callback_url=callback, signature_key=KEY)
    _ready()
    await sender.start()
    await sender.drain(timeout=3600)
    await sender.stop()
    await state.close()
    return {"delivered": sender.delivered}


async def _poll_worker(spec: str, config_path: str, instances: int) -> dict[str, Any]:
    from pytest_woosim.instance.config import InstanceConfig
    from pytest_woosim.poller.poller import Poller
    from simulator.clock import Clock

    clock = Clock()
    state = _open(spec)
    await state.open()
    config = InstanceConfig.from_data(json.loads(Path(config_path).read_text()))
    pollers = [
        Poller.from_config(
            config,
            state=state,
            clock=clock,
            instance_id=f"bench{i}",
            backfill=True,
            with_sender=False,
        )
        for i in range(instances)
    ]
    _ready()
    polled = 0
    todo = list(pollers)
    while todo:
        for poller in list(todo):
            if await state.get_watermark(poller.instance, "orders") is not None:
                todo.remove(poller)
                continue
            report = await poller.poll_once()
            if not report.resources[0].held_elsewhere:
                polled += report.events
        if todo:
            await asyncio.sleep(0.02)  # the rest are another worker's: wait for them
    for poller in pollers:
        await poller.stop()
    await state.close()
    return {"events": polled}


def _ready() -> None:
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()  # "go"


# ---------------------------------------------------------------------- the parent


def _run_workers(args: list[list[str]]) -> tuple[float, list[dict[str, Any]]]:
    """Start the workers, wait until all are ready, say go, time until all have finished."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, *a],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=python_env(),
        )
        for a in args
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("{"):
            raise RuntimeError(f"a worker did not start: {line!r}")
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(proc.stdout.readline()))
        proc.wait(timeout=600)
    return time.perf_counter() - started, results


async def _fill_outbox(spec: str, callback: str, events: int) -> None:
    from pytest_woosim.outbox.notifications import Event, build_notifications

    state = _open(spec)
    await state.open()
    now = datetime.now(UTC)
    for start in range(0, events, 500):
        notes = []
        for i in range(start, min(events, start + 500)):
            notes += build_notifications(
                [Event("customers", i, "UPDATED", now)],
                {"id": i},
                instance_id=INSTANCE,
                max_events=1,
            )
        keys = [f"customers:{i}" for i in range(start, start + len(notes))]
        await state.enqueue(INSTANCE, callback, notes, group_key=keys)
    await state.close()


def _schema(cluster: Any) -> str:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")  # type: ignore[arg-type]
    return str(cluster.url_for_schema(name))


def _engines(cluster: Any, tmp: Path) -> list[tuple[str, int, str]]:
    """(label, workers, state spec) in table order: SQLite first, then PostgreSQL 1, 2, 4."""
    rows = [("SQLite, 1 process", 1, str(tmp / f"{uuid.uuid4().hex}.sqlite3"))]
    for n in WORKER_COUNTS:
        rows.append((f"PostgreSQL, {n} worker{'s' if n > 1 else ''}", n, _schema(cluster)))
    return rows


def measure(quick: bool) -> list[Figure]:
    from pytest_woosim.harness.pgcluster import Cluster, ClusterUnavailable

    events = 2_000 if quick else 10_000
    orders = 1_000 if quick else 4_000
    instances = 4 if quick else 8
    try:
        cluster = Cluster().start()
    except ClusterUnavailable as exc:
        why = f"no PostgreSQL: {exc}"
        return [
            not_measured("relay workers on PostgreSQL", Target("report"), why),
            not_measured("poller workers on PostgreSQL", Target("report"), why),
        ]
    figures: list[Figure] = []
    receiver_proc, callback = start_receiver()
    store_proc, store = start_store(orders)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            base: float | None = None
            for label, n, spec in _engines(cluster, tmp):
                asyncio.run(_fill_outbox(spec, callback, events))
                seconds, results = _run_workers([["--send", spec, callback]] * n)
                delivered = sum(r["delivered"] for r in results)
                rate = delivered / seconds
                base = rate if base is None else base
                figures.append(
                    Figure(
                        f"relay delivery, {label}",
                        rate,
                        "events/s",
                        Target("report"),
                        reference=base,
                        reference_name="SQLite, 1 process",
                        valid=delivered >= events,
                        note=f"{events} one-event notifications, one group per object; "
                        f"per worker {[r['delivered'] for r in results]}",
                    )
                )
            config_path = tmp / "polling.json"
            config_path.write_text(json.dumps(instance(store, callback, 100)))
            base = None
            for label, n, spec in _engines(cluster, tmp):
                seconds, results = _run_workers(
                    [["--poll", spec, str(config_path), str(instances)]] * n
                )
                polled = sum(r["events"] for r in results)
                rate = polled / seconds
                base = rate if base is None else base
                figures.append(
                    Figure(
                        f"poller, {label}",
                        rate,
                        "records/s",
                        Target("report"),
                        reference=base,
                        reference_name="SQLite, 1 process",
                        valid=polled == orders * instances,
                        note=f"{instances} instances x {orders} orders, backfill; "
                        f"per worker {[r['events'] for r in results]}",
                    )
                )
    finally:
        for proc in (receiver_proc, store_proc):
            proc.terminate()
            proc.wait(timeout=60)
        cluster.remove()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--send", nargs=2, metavar=("STATE", "CALLBACK"), help=argparse.SUPPRESS)
    parser.add_argument("--poll", nargs=3, metavar=("STATE", "CONFIG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        result = asyncio.run(_send_worker(*args.send))
    elif args.poll:
        result = asyncio.run(_poll_worker(args.poll[0], args.poll[1], int(args.poll[2])))
    else:
        from bench.common import text_table

        print(text_table(measure(args.quick)))
        return 0
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
