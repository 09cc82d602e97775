"""The one benchmark command: every figure beside its reference from the same run, one table.

    python -m bench.run            # full run, under 10 minutes on 2 cores
    python -m bench.run --quick    # about a minute or two: smaller stores, shorter runs
    python -m bench.run --soak     # adds the 10-minute delivery soak (RSS sampled)
    python -m bench.run --only rest,generate

Each benchmark module exposes ``measure(quick: bool) -> list[Figure]``. A module
that does not (yet) is run as a script and its printed figure parsed; one that
is missing or fails gives a "not measured" row saying why. The table is
printed and written as Markdown to ``bench/results/latest.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    Figure,
    Target,
    load_tool,
    markdown_table,
    not_measured,
    python_env,
    stop_stores,
    text_table,
)

RESULTS = ROOT / "bench" / "results" / "latest.md"
REPORT = Target("report")
SCRIPT_TIMEOUT = 420


@dataclass(frozen=True)
class Script:
    """How to run a benchmark script that has no ``measure`` and read its figure."""

    args: Callable[[bool], list[str]]
    parse: Callable[[str], list[Figure]]
    fallback: list[Figure]


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"no figure matching {pattern!r} in the output")
    return float(match.group(1).replace(",", ""))


def _webhooks(out: str) -> list[Figure]:
    rate = _number(r"=\s*([\d,.]+) deliveries/s", out)
    failures = _number(r"([\d,]+) failures", out)
    return [
        Figure(
            "signed webhook deliveries/s to a local receiver",
            rate,
            "deliveries/s",
            Target("min", 5_000),
            valid=failures == 0,
            # Median of the rounds: every round's rate, then the store's CPU per delivery.
            note="; ".join(
                line
                for line in out.strip().splitlines()
                if line.startswith(("rounds:", "store CPU"))
            ),
        )
    ]


def _relay(out: str) -> list[Figure]:
    data = json.loads(out[out.index("{") :])
    return [
        Figure(
            "relay, webhook in → durable → delivered",
            float(data["events_per_second"]),
            "events/s",
            Target("min", 3_000),
            valid=int(data.get("failures", 0)) == 0,
            note=f"median of {data.get('rounds', 1)} rounds "
            f"{data.get('events_per_second_each_round', [])} events/s; "
            f"{data['events']} events, {data['notifications']} notifications, "
            f"{data['end_to_end_seconds']} s end to end",
        )
    ]


def _outbox(out: str) -> list[Figure]:
    return [
        Figure(
            "durable outbox → sender → receiver",
            _number(r"end to end:\s*([\d,.]+) events/s", out),
            "events/s",
            Target("report"),
            note=out.strip().splitlines()[0],
        )
    ]


def _poller(out: str) -> list[Figure]:
    return [
        Figure(
            "poller end to end: records/s",
            _number(r"poller e2e:\s*([\d,.]+) records/s", out),
            "records/s",
            Target("report"),
            reference=_number(r"plain paging:\s*([\d,.]+) records/s", out),
            reference_name="plain paging",
            note=out.strip().splitlines()[0],
        )
    ]


def _fixtures(out: str) -> list[Figure]:
    woosim = _number(r"woosim\s*:\s*(-?[\d.]+) ms per test", out)
    httpserver = _number(r"httpserver\s*:\s*(-?[\d.]+) ms per test", out)
    return [
        Figure(
            "fixture overhead per test (woosim + reset)",
            woosim,
            "ms/test",
            Target("ratio_max", 1.2),
            reference=httpserver,
            reference_name="pytest-httpserver httpserver",
            note=out.strip().splitlines()[0],
        ),
        Figure(
            "fixture overhead per test, process CPU (woosim + reset)",
            _number(r"woosim cpu\s*:\s*(-?[\d.]+) ms CPU per test", out),
            "ms CPU/test",
            Target("report"),
            reference=_number(r"httpserver cpu\s*:\s*(-?[\d.]+) ms CPU per test", out),
            reference_name="pytest-httpserver httpserver",
            note=out.strip().splitlines()[0],
        ),
    ]


SCRIPTS: dict[str, Script] = {
    "bench_webhooks": Script(
        lambda quick: ["--deliveries", "5000" if quick else "20000"],
        _webhooks,
        [not_measured("signed webhook deliveries/s", Target("min", 5_000), "")],
    ),
    "bench_relay": Script(
        lambda quick: ["--events", "1000" if quick else "5000"],
        _relay,
        [not_measured("relay, webhook in → durable → delivered", Target("min", 3_000), "")],
    ),
    "bench_outbox": Script(
        lambda quick: ["--events", "2000" if quick else "10000"],
        _outbox,
        [not_measured("durable outbox → sender → receiver", Target("report"), "")],
    ),
    "bench_poller": Script(
        lambda quick: ["--orders", "2000" if quick else "5000"],
        _poller,
        [not_measured("poller end to end: records/s", Target("report"), "")],
    ),
    "bench_fixtures": Script(
        lambda quick: ["20", "3"] if quick else ["200", "5"],
        _fixtures,
        [not_measured("fixture overhead per test", Target("ratio_max", 1.2), "")],
    ),
}

#: In table order: (short name for --only, module).
SECTIONS = (
    ("rest", "bench_rest"),
    ("growth", "bench_growth"),
    ("generate", "bench_generate"),
    ("webhooks", "bench_webhooks"),
    ("transport", "bench_transport"),
    ("poller-week", "bench_poller_week"),
    ("relay", "bench_relay"),
    ("outbox", "bench_outbox"),
    ("poller", "bench_poller"),
    ("workers", "bench_workers"),
    ("fixtures", "bench_fixtures"),
    ("memory", "bench_memory"),
    ("soak", "bench_soak"),
    ("realwoo", "bench_realwoo"),
)


def run_section(module_name: str, quick: bool, soak: bool) -> list[Figure]:
    path = ROOT / "bench" / f"{module_name}.py"
    script = SCRIPTS.get(module_name)
    if not path.exists():
        return _fallback(script, module_name, "not there yet")
    module = importlib.import_module(f"bench.{module_name}")
    measure = getattr(module, "measure", None)
    if callable(measure):
        if module_name == "bench_soak":
            figures: list[Figure] = measure(quick, 600.0 if soak else None if quick else 90.0)
        else:
            figures = measure(quick)
        return figures
    if script is None:
        return _fallback(None, module_name, "exposes no measure(quick) and no known output")
    return _run_script(module_name, script, quick)


def _run_script(module_name: str, script: Script, quick: bool) -> list[Figure]:
    command = [sys.executable, str(ROOT / "bench" / f"{module_name}.py"), *script.args(quick)]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            cwd=ROOT,
            env=python_env(),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return _fallback(script, module_name, f"timed out after {SCRIPT_TIMEOUT} s")
    try:
        figures = script.parse(result.stdout)
    except (ValueError, KeyError) as exc:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return _fallback(script, module_name, f"{exc} (exit {result.returncode}: {tail[0]})")
    for figure in figures:
        figure.note = f"{figure.note} [run as a script: {module_name}.py]".strip()
    return figures


def _fallback(script: Script | None, module_name: str, why: str) -> list[Figure]:
    rows = (
        script.fallback if script is not None else [not_measured(module_name, Target("report"), "")]
    )
    return [Figure(f.name, None, f.unit, f.target, note=f"{module_name}.py: {why}") for f in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="the ~1-minute version")
    parser.add_argument("--soak", action="store_true", help="run the 10-minute delivery soak")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated sections: " + ", ".join(name for name, _ in SECTIONS),
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown table file")
    args = parser.parse_args(argv)
    chosen = [name for name, _ in SECTIONS]
    if args.only:
        chosen = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = sorted(set(chosen) - {name for name, _ in SECTIONS})
        if unknown:
            parser.error(f"--only: unknown section {unknown[0]!r}")
    began = time.perf_counter()
    figures: list[Figure] = []
    try:
        for name, module_name in SECTIONS:
            if name not in chosen:
                continue
            started = time.perf_counter()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            try:
                figures += run_section(module_name, args.quick, args.soak)
            except Exception as exc:  # one broken benchmark must not lose the others
                traceback.print_exc(file=sys.stderr)
                figures += [not_measured(name, Target("report"), f"failed: {exc!r}")]
            seconds = time.perf_counter() - started
            print(f"[bench] {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
    finally:
        stop_stores()
    elapsed = time.perf_counter() - began
    mode = "quick" if args.quick else "full"
    header = (
        f"{mode} run, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed:.0f} s, "
        f"load from {load_tool()}, Python {sys.version.split()[0]}"
    )
    print()
    print(header)
    print(text_table(figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(f"Benchmarks: {header}\n\n{markdown_table(figures)}", encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
