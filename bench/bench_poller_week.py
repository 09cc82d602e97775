"""Seven days of store activity polled every 5 minutes (2,016 polls), on the virtual clock.

One frozen :class:`~simulator.clock.Clock` is shared by an in-process
:class:`~simulator.server.SimulatorServer`, the poller (schedule, store client
over real HTTP, durable outbox, sender) and a verifying receiver. A task on
the same clock changes the store every simulated minute (one new order, one
updated order); ``clock.advance_async`` then moves a week. The figure is the
wall time of that week; the polls and delivered events are counted. A full
table run times three rounds of two simulated days (each a fresh store and
poller) and scales the median round to the week.

The poller's state is in memory: on the virtual clock a week of polls takes
seconds, and what a durable commit costs is a property of the disk, not of the
poller (the relay and outbox figures measure it). A second row runs the same
week on a durable SQLite file (``synchronous=FULL``) for comparison.

    python -m bench.bench_poller_week [--quick] [--durable] [--days N] [--rounds N]
                                      [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, Figure, Target, text_table
from pytest_woosim.harness.world import open_world
from pytest_woosim.instance.load import load_instance
from pytest_woosim.poller.poller import PollReport
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate

START = datetime(2024, 6, 3, 0, 0, tzinfo=UTC)
WEEK = 7 * 86_400
INTERVAL_MINUTES = 5
KEY = "bench-poller-week-key"
CONFIG = ROOT / "fixtures" / "instances" / "recommended-polling.json"
TARGET_SECONDS = 10.0


@dataclass
class WeekResult:
    seconds: float
    #: Process CPU over the same span (every thread: the state's database thread too).
    #: Store, poller, sender and receiver share the process, so on a busy machine
    #: this is the figure that moves least with the load.
    cpu_seconds: float
    polls: int
    changes: int
    events: int
    failed_polls: int


async def _activity(sim: Simulator, clock: Clock, days: float, stop: asyncio.Event) -> int:
    """Every simulated minute: one new order, one update of an existing order."""
    rng = random.Random(7)
    store = sim.store
    changes = 0
    end = clock.timestamp() + days * 86_400
    while not stop.is_set():
        await clock.sleep(60)
        if clock.timestamp() > end:
            break
        created = store.create_order({"customer_note": f"minute {changes // 2}"})
        # One of the 500 newest orders (read from the end: copying every key each
        # minute would make the driver's cost grow through the week).
        recent = list(itertools.islice(reversed(store.orders), 500))
        recent.reverse()
        store.update_order(rng.choice(recent), {"customer_note": "changed"})
        changes += 2
        del created
    return changes


async def run_week(days: float = 7.0, *, durable: bool = False) -> WeekResult:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_world(
            start=START,
            seed="week",
            key=KEY,
            state_dir=Path(tmp) if durable else None,
            keep_records=False,
        ) as world:
            sim, clock = world.sim, world.clock
            generate(sim.store, "week", customers=100, orders=1_000, products=20, emit=False)
            config = world.aim(
                load_instance(CONFIG), signature_key=KEY, refresh_interval=INTERVAL_MINUTES
            )
            poller = world.new_poller(config)
            # The poller keeps its last 100 reports only: count every run here.
            runs: list[PollReport] = []
            poll_once = poller.poll_once

            async def counted() -> PollReport:
                report = await poll_once()
                runs.append(report)
                return report

            poller.poll_once = counted  # type: ignore[method-assign]
            stop = asyncio.Event()
            activity = asyncio.create_task(_activity(sim, clock, days, stop))
            try:
                began = time.perf_counter()
                cpu_began = time.process_time()
                await poller.start_background()
                # The first run starts at once, not woken by the clock, so a stepping
                # advance would not wait for it: let it finish first.
                async with asyncio.timeout(60):
                    while not runs:
                        await asyncio.sleep(0.001)
                await clock.advance_async(days * 86_400)
                assert poller.sender is not None
                await poller.sender.drain(timeout=120)
                seconds = time.perf_counter() - began
                cpu_seconds = time.process_time() - cpu_began
            finally:
                stop.set()
                activity.cancel()
    changes = 0 if not activity.done() or activity.cancelled() else activity.result()
    return WeekResult(
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        polls=len(runs),
        changes=changes or int(days * 1440 * 2),
        events=sum(report.events for report in runs),
        failed_polls=sum(1 for report in runs if not report.ok),
    )


#: Rounds of the in-memory row in a full run: its figure is their median. On a shared
#: machine one slow minute can double a round; it moves one sample, not the figure.
ROUNDS = 3


def measure(quick: bool, days: float | None = None, rounds: int | None = None) -> list[Figure]:
    # Each simulated day costs about the same (steady activity): a full table run times
    # three rounds of two days each, takes their median and scales it to the week, to
    # stay within its budget; --days 7 --rounds 1 runs the real week.
    days = days if days is not None else (1.0 if quick else 2.0)
    rounds = rounds if rounds is not None else (1 if quick else ROUNDS)
    figures = [_week_figure(days, durable=False, rounds=rounds)]
    figures.append(_week_figure(1.0 if quick else days, durable=True, rounds=1))
    return figures


def _week_figure(days: float, *, durable: bool, rounds: int) -> Figure:
    results = [asyncio.run(run_week(days, durable=durable)) for _ in range(rounds)]
    # The median round (by wall time); each round is a fresh store and poller.
    result = sorted(results, key=lambda r: r.seconds)[len(results) // 2]
    seconds = result.seconds * (7.0 / days)  # a shorter run scales its days to the week
    expected_polls = int(days * 1440 / INTERVAL_MINUTES)
    valid = all(r.failed_polls == 0 and r.polls >= expected_polls for r in results)
    name = "7 days, 5-minute poller (2,016 polls), end to end on the virtual clock"
    return Figure(
        name + (", durable state file" if durable else ""),
        seconds,
        "s wall",
        Target("report") if durable else Target("max", TARGET_SECONDS),
        reference_name="—",
        valid=valid,
        note=(
            ("state in a SQLite file, synchronous=FULL; " if durable else "state in memory; ")
            + f"{result.polls:,} polls ({result.failed_polls} failed), "
            f"{result.events:,} events delivered for ~{int(days * 1440 * 2):,} store changes; "
            f"process CPU {result.cpu_seconds:.2f} s"
            + (
                f"; ran {days:g} day(s) in {result.seconds:.1f} s, scaled x{7 / days:g}"
                if days != 7
                else ""
            )
            + (
                f"; median of {rounds} rounds ("
                + ", ".join(f"{r.seconds:.2f}" for r in results)
                + " s)"
                if rounds > 1
                else ""
            )
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--days", type=float, help="simulated days per round (default 2; 1 with --quick)"
    )
    parser.add_argument(
        "--rounds", type=int, help=f"rounds of the in-memory row, median taken (default {ROUNDS})"
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the week here")
    parser.add_argument("--durable", action="store_true", help="profile with a durable state")
    args = parser.parse_args(argv)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        result = asyncio.run(run_week(args.days or 1.0, durable=args.durable))
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(result)
        return 0
    print(text_table(measure(args.quick, args.days, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
