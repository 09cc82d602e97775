"""What every benchmark shares: figures and targets, medians, child-process servers, load, tables.

Load always comes from outside the process under test: servers run as child
processes (``python -m bench.common serve-store ...``), and so does the load
(``wrk`` when ``/usr/bin/wrk`` exists, else an aiohttp client in a child).
Reference and subject are measured in the same run, alternately, so a busy
machine slows both alike and their ratio stays meaningful.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
WRK = "/usr/bin/wrk"
#: The frozen instant every benchmark store starts at (same seed, same records).
START_ISO = "2024-03-10T06:00:00+00:00"

TargetKind = Literal["ratio_min", "ratio_max", "min", "max", "report"]


@dataclass(frozen=True)
class Target:
    """What a figure must reach: its ratio to the reference, or its own value."""

    kind: TargetKind
    bound: float = 0.0
    text: str = ""

    def describe(self) -> str:
        if self.text:
            return self.text
        return {
            "ratio_min": f"ratio ≥ {self.bound:g}",
            "ratio_max": f"ratio ≤ {self.bound:g}",
            "min": f"≥ {self.bound:,g}",
            "max": f"< {self.bound:,g}",
            "report": "report",
        }[self.kind]

    def check(self, value: float | None, ratio: float | None) -> bool | None:
        if self.kind == "report":
            return None
        if self.kind in ("ratio_min", "ratio_max"):
            if ratio is None:
                return None
            return ratio >= self.bound if self.kind == "ratio_min" else ratio <= self.bound
        if value is None:
            return None
        return value >= self.bound if self.kind == "min" else value < self.bound


@dataclass
class Figure:
    """One row of the table: a measured value beside its reference from the same run."""

    name: str
    value: float | None
    unit: str
    target: Target
    reference: float | None = None
    reference_name: str = ""
    #: ratio = value / reference unless given (e.g. reference / value for latencies).
    ratio: float | None = None
    #: False forces SHORT whatever the numbers (e.g. same seed gave different bytes).
    valid: bool = True
    note: str = ""
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.reference:
            self.ratio = self.value / self.reference

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        if not self.valid:
            return "SHORT"
        passed = self.target.check(self.value, self.ratio)
        if passed is None:
            return "report"
        return "PASS" if passed else "SHORT"


def not_measured(name: str, target: Target, why: str) -> Figure:
    return Figure(name, None, "", target, note=why)


# ---------------------------------------------------------------------- numbers
def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value == 0:
        text = "0"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def alternate(
    subject: Callable[[], float], reference: Callable[[], float], rounds: int
) -> tuple[list[float], list[float]]:
    """Measure subject and reference alternately ``rounds`` times each."""
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        mine.append(subject())
        theirs.append(reference())
    return mine, theirs


# ---------------------------------------------------------------------- processes
def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


class Child:
    """A child Python process that prints one JSON line when ready; stopped by its pid."""

    def __init__(self, args: Sequence[str], *, timeout: float = 900) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=python_env(),
        )
        self.info: dict[str, Any] = self._read_json(timeout)

    def _read_json(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            line = line.strip()
            if line.startswith("{"):
                value: dict[str, Any] = json.loads(line)
                return value
        self.stop()
        raise RuntimeError(f"child {self.process.args!r} did not report")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


_STORES: dict[tuple[int, int], Child] = {}


def store_server(orders: int, *, customers: int | None = None) -> Child:
    """A store with ``orders`` generated orders in a child process, shared within one run.

    Its ``info`` holds ``api_url``, ``auth`` (a Basic header), ``rss_before``,
    ``rss_after`` (around generation), ``generate_seconds`` and ``orders``.
    """
    customers = max(1, orders // 10) if customers is None else customers
    key = (orders, customers)
    child = _STORES.get(key)
    if child is None or child.process.poll() is not None:
        child = Child(
            ["-m", "bench.common", "serve-store", str(orders), "--customers", str(customers)]
        )
        _STORES[key] = child
    return child


def stop_store(orders: int, *, customers: int | None = None) -> None:
    customers = max(1, orders // 10) if customers is None else customers
    child = _STORES.pop((orders, customers), None)
    if child is not None:
        child.stop()


def stop_stores() -> None:
    for child in list(_STORES.values()):
        child.stop()
    _STORES.clear()


async def start_counting_receiver() -> tuple[Any, int, Callable[[], int]]:
    """An aiohttp receiver on 127.0.0.1:0 whose ``POST /hook`` answers 200 and counts.

    Returns its runner (to clean up), its port and a function giving the count so far.
    """
    from aiohttp import web

    received = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    return runner, int(runner.addresses[0][1]), lambda: received


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


async def _serve_store(orders: int, customers: int) -> None:
    import gc

    from simulator.app import Simulator
    from simulator.clock import Clock
    from simulator.generate import generate
    from simulator.server import SimulatorServer
    from simulator.wcdates import parse_iso_instant

    sim = Simulator(clock=Clock(parse_iso_instant(START_ISO), frozen=True), seed="bench")
    generate(sim.store, "bench", products=50, customers=customers, emit=False)
    gc.collect()
    before = rss_bytes(os.getpid())  # products and customers in: what follows is orders
    began = time.perf_counter()
    generate(sim.store, "bench", orders=orders, emit=False)
    seconds = time.perf_counter() - began
    gc.collect()
    after = rss_bytes(os.getpid())
    server = SimulatorServer(sim)
    await server.start()
    key = sim.keys.default
    info = {
        "api_url": server.api_url,
        "site_url": server.site_url,
        "consumer_key": key.consumer_key,
        "consumer_secret": key.consumer_secret,
        "auth": basic_auth(key.consumer_key, key.consumer_secret),
        "orders": orders,
        "customers": customers,
        "rss_before": before,
        "rss_after": after,
        "generate_seconds": seconds,
    }
    print(json.dumps(info), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes stdin or ends us
    await server.stop()


async def _serve_bare(body_path: str, headers_json: str) -> None:
    from aiohttp import web

    body = Path(body_path).read_bytes()
    headers = json.loads(headers_json)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await runner.cleanup()


def bare_server(body: bytes, headers: dict[str, str], workdir: Path) -> Child:
    """A bare aiohttp handler in a child process answering every GET with ``body``."""
    path = workdir / f"bare-{len(body)}.json"
    path.write_bytes(body)
    return Child(["-m", "bench.common", "serve-bare", str(path), json.dumps(headers)])


# ---------------------------------------------------------------------- load
def load_rps(url: str, headers: dict[str, str], *, connections: int, seconds: float) -> float:
    """Requests/s against ``url`` from another process: wrk if installed, else aiohttp."""
    if Path(WRK).exists():
        return _wrk_rps(url, headers, connections, seconds)
    return _aiohttp_rps(url, headers, connections, seconds)


def load_tool() -> str:
    return "wrk" if Path(WRK).exists() else "aiohttp client"


def _wrk_rps(url: str, headers: dict[str, str], connections: int, seconds: float) -> float:
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors is not None:
        raise RuntimeError(f"wrk failed: {result.stdout[-500:]}")
    return float(match.group(1))


def _aiohttp_rps(url: str, headers: dict[str, str], connections: int, seconds: float) -> float:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.common",
            "load",
            url,
            json.dumps(headers),
            str(connections),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        cwd=ROOT,
        env=python_env(),
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["rps"])


async def _load(url: str, headers: dict[str, str], connections: int, seconds: float) -> None:
    import aiohttp

    done = 0
    failures = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done, failures
            while time.perf_counter() < deadline:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                done += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    print(json.dumps({"rps": done / elapsed, "failures": failures}), flush=True)


async def latencies(
    url: str, headers: dict[str, str], count: int, *, warmup: int = 10
) -> list[float]:
    """Sequential request latencies in seconds (one keep-alive connection)."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=1)
    samples: list[float] = []
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        for n in range(warmup + count):
            began = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {url}: {response.status}")
            if n >= warmup:
                samples.append(time.perf_counter() - began)
    return samples


# ---------------------------------------------------------------------- tables
COLUMNS = ("figure", "value", "reference (same run)", "ratio", "target", "result")


def rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for figure in figures:
        reference = (
            f"{fmt(figure.reference, figure.unit)} ({figure.reference_name})"
            if figure.reference is not None
            else (figure.reference_name or "—")
        )
        ratio = "—" if figure.ratio is None else f"{figure.ratio:.2f}"
        table.append(
            (
                figure.name,
                fmt(figure.value, figure.unit),
                reference,
                ratio,
                figure.target.describe(),
                figure.verdict,
            )
        )
    return table


def text_table(figures: Sequence[Figure]) -> str:
    table = [COLUMNS, *rows(figures)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(table):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def markdown_table(figures: Sequence[Figure]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows(figures)]
    notes = [f"- **{f.name}**: {cell(f.note)}" for f in figures if f.note]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) samples, per minute."""
    if len(samples) < 2:
        return 0.0
    xs = [x for x, _ in samples]
    ys = [y for _, y in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if math.isclose(spread, 0.0):
        return 0.0
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in samples) / spread


# ---------------------------------------------------------------------- child entry points
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.common")
    commands = parser.add_subparsers(dest="command", required=True)
    store = commands.add_parser("serve-store")
    store.add_argument("orders", type=int)
    store.add_argument("--customers", type=int, default=1)
    bare = commands.add_parser("serve-bare")
    bare.add_argument("body_path")
    bare.add_argument("headers")
    load = commands.add_parser("load")
    load.add_argument("url")
    load.add_argument("headers")
    load.add_argument("connections", type=int)
    load.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    if args.command == "serve-store":
        asyncio.run(_serve_store(args.orders, args.customers))
    elif args.command == "serve-bare":
        asyncio.run(_serve_bare(args.body_path, args.headers))
    else:
        asyncio.run(_load(args.url, json.loads(args.headers), args.connections, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
