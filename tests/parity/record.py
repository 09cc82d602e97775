"""Record the parity snapshots from a real store, check a store against them, or
rewrite the allowlist from today's comparison of the fake with them.

    python -m tests.parity.record                      # record (WOOSIM_PARITY_* name the store)
    python -m tests.parity.record --out DIR            # record elsewhere (to diff two recordings)
    python -m tests.parity.record --check              # run the store, compare with the snapshots
    python -m tests.parity.record --fake               # run the fake, compare with the snapshots
    python -m tests.parity.record --rewrite-allowlist  # --fake, then write the allowlist
    python -m tests.parity.record --area coupons       # record (or --check, --fake) one area

The store is configured by environment variables, see ``docs/parity.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import compare
from .areas import AREAS
from .backends import FakeStore, RealStore, real_stores_from_env
from .checks import Recorder
from .scenario import CORE, Scenario, area_names


async def run_real(store: RealStore, scripts: Sequence[str] | None = None) -> Recorder:
    await store.start()
    try:
        return await Scenario(store).run(scripts)
    finally:
        await store.close()


async def run_fake(transport: str, scripts: Sequence[str] | None = None) -> Recorder:
    fake = FakeStore(oauth=transport == "http-oauth")
    await fake.start()
    try:
        return await Scenario(fake).run(scripts)
    finally:
        await fake.close()


async def fake_comparisons(scripts: Sequence[str] | None = None) -> list[compare.Comparison]:
    areas = None if scripts is None else area_names(scripts)
    out = []
    for transport in compare.TRANSPORTS:
        snapshot = compare.load_snapshot(transport, areas)
        recorder = await run_fake(transport, scripts)
        out.append(compare.compare(transport, snapshot["checks"], recorder.checks))
    return out


def _print_mismatches(
    comparisons: list[compare.Comparison], labels: tuple[str, str] = ("real store", "fake")
) -> None:
    width = max(len(label) for label in labels) + 1
    for comparison in comparisons:
        for m in comparison.mismatches:
            print(f"[{comparison.transport}] {m.check}")
            print(f"    {labels[0] + ':':<{width}} {compare.short(m.real)}")
            print(f"    {labels[1] + ':':<{width}} {compare.short(m.fake)}")


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.parity.record",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare a store with the snapshots")
    mode.add_argument("--fake", action="store_true", help="compare the fake with the snapshots")
    mode.add_argument(
        "--rewrite-allowlist",
        action="store_true",
        help="write today's fake-vs-snapshot mismatches to the allowlist",
    )
    parser.add_argument(
        "--area",
        action="append",
        choices=[CORE, *AREAS],
        help="run only this script (repeatable): 'core' or a self-contained area",
    )
    parser.add_argument("--out", type=Path, default=None, help="record into this directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mismatch")
    args = parser.parse_args(argv)
    if args.area and args.rewrite_allowlist:
        parser.error("--rewrite-allowlist compares every area; drop --area")
    scripts: list[str] | None = args.area
    areas = None if scripts is None else area_names(scripts)

    if args.fake or args.rewrite_allowlist:
        comparisons = await fake_comparisons(scripts)
        print(compare.report(comparisons))
        if args.verbose:
            _print_mismatches(comparisons)
        if args.rewrite_allowlist:
            allowlist = compare.rewrite_allowlist(comparisons, compare.Allowlist.load())
            allowlist.save()
            count = sum(len(g["checks"]) for g in allowlist.groups)
            print(f"wrote {compare.ALLOWLIST.relative_to(compare.ROOT)}: {count} entries")
        return 0

    stores = real_stores_from_env()
    if not stores:
        print(
            "no store: set WOOSIM_PARITY_URL, WOOSIM_PARITY_CK and WOOSIM_PARITY_CS "
            "(see docs/parity.md)",
            file=sys.stderr,
        )
        return 2
    comparisons = []
    for transport, store in stores.items():
        recorder = await run_real(store, scripts)
        if args.check:
            snapshot = compare.load_snapshot(transport, areas)
            comparisons.append(compare.compare(transport, snapshot["checks"], recorder.checks))
            continue
        path = compare.write_snapshot(
            transport, recorder.checks, recorder.skipped, args.out, areas=areas
        )
        print(f"{transport}: {len(recorder.checks)} checks -> {path}")
    if args.check:
        print(
            compare.report(comparisons).replace("checks match", "checks agree with the snapshots")
        )
        _print_mismatches(comparisons, ("recorded", "this store"))
        return 0 if all(not c.mismatches for c in comparisons) else 1
    return 0


def entry() -> Any:
    return asyncio.run(main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(entry())
