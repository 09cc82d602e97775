"""Shared helpers of the reliability tests: ``woosim`` subprocesses, deadlines, sockets.

Subprocess output goes to files, never to pipes nobody reads: a relay logging
thousands of lines would otherwise block on a full pipe and look "hung".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_woosim.harness.receiver import Receiver
    from simulator.app import Simulator

#: Long (soak) variants run only when this environment variable is "1".
LONG_ENV = "WOOSIM_LONG"
STARTUP_DEADLINE = 60.0


def long_run() -> bool:
    return os.environ.get(LONG_ENV, "") == "1"


def woosim_executable() -> str:
    beside = Path(sys.executable).with_name("woosim")
    found = str(beside) if beside.exists() else shutil.which("woosim")
    assert found, "the woosim console script is not installed"
    return found


@dataclass
class WoosimProcess:
    """One ``woosim`` subprocess with its stdout and stderr in files."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as a crash or an OOM kill."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; SIGKILL if it does not stop in time. The exit status."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"woosim pid {self.pid} ignored SIGTERM for {timeout}s") from None


def _read_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    # Only complete lines: the last one may still be being written.
    return text.split("\n")[:-1]


async def start_woosim(
    directory: Path,
    *args: str,
    lines: int = 1,
    name: str = "woosim",
    env: dict[str, str] | None = None,
) -> WoosimProcess:
    """Start ``woosim *args`` and wait until it has printed ``lines`` stdout lines."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        stdout_path = directory / f"{name}-{n}.out"
        if not stdout_path.exists():
            break
    stderr_path = stdout_path.with_suffix(".err")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            [woosim_executable(), *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    started = WoosimProcess(process, stdout_path, stderr_path)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while True:
        got = _read_lines(stdout_path)
        if len(got) >= lines:
            started.lines = got[:lines]
            return started
        if process.poll() is not None or time.monotonic() > deadline:
            started.kill()
            raise AssertionError(
                f"woosim {' '.join(args[:1])} did not start (exit {process.returncode}): "
                f"stdout={got!r} stderr={started.stderr()[-2000:]!r}"
            )
        await asyncio.sleep(0.02)


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    what: str = "condition",
) -> None:
    """Poll ``predicate`` (sync or async) until true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (Linux ``/proc/net``).

    Returned as ``"127.0.0.1"``, ``"0.0.0.0"``, ``"::1"``, ``"::"`` etc.
    """
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                columns = row.split()
                local, state = columns[1], columns[3]
                address, _, port_hex = local.partition(":")
                if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                    continue
                found.add(_proc_address(address, width))
    return found


def _proc_address(hex_address: str, width: int) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_address)
    # /proc prints each 32-bit word in host (little-endian) order.
    words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
    packed = b"".join(words)
    if width == 8:
        return str(ipaddress.IPv4Address(packed))
    return str(ipaddress.IPv6Address(packed))


def json_lines(text: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of a line-per-record text; other lines are skipped."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    yield value


# ---------------------------------------------------------------------- changes and views
#: Which field carries a change's unique marker, per object type.
MARKER = {"customers": "first_name", "orders": "customer_note"}

Version = tuple[str, str, str, str]  # objectType, objectId, marker, eventType


class Changes:
    """Seeded creates and updates of customers and orders, each with a unique marker."""

    def __init__(self, sim: Simulator, seed: int) -> None:
        self.sim = sim
        self.rng = random.Random(seed)
        self.customers: list[int] = []
        self.orders: list[int] = []
        self.made = 0

    def step(self) -> None:
        self.made += 1
        marker = f"v{self.made}"
        store, roll = self.sim.store, self.rng.random()
        if not self.customers or roll < 0.35:
            fields = {"email": f"crash{self.made}@example.com", "first_name": marker}
            self.customers.append(store.create_customer(fields).id)
        elif roll < 0.6:
            store.update_customer(self.rng.choice(self.customers), {"first_name": marker})
        elif not self.orders or roll < 0.8:
            self.orders.append(store.create_order({"customer_note": marker}).id)
        else:
            store.update_order(self.rng.choice(self.orders), {"customer_note": marker})

    def final(self) -> dict[tuple[str, str], str]:
        """(objectType, objectId) → the marker of the object's latest version."""
        render, store = self.sim.renderer, self.sim.store
        view = {
            ("customers", str(i)): render.customer(store.get_customer(i))["first_name"]
            for i in self.customers
        }
        view.update(
            {
                ("orders", str(i)): render.order(store.get_order(i))["customer_note"]
                for i in self.orders
            }
        )
        return view


def received_versions(receiver: Receiver) -> Counter[Version]:
    """Every (object, version, event type) the receiver accepted, duplicates included."""
    seen: Counter[Version] = Counter()
    for note in receiver.notifications:
        if not note.accepted or note.message is None:
            continue
        raw = note.message.get("raw")
        for event in note.events:
            object_type, object_id = event["objectType"], event["objectId"]
            record = _record(raw, object_type, object_id)
            if record is not None and object_type in MARKER:
                marker = str(record.get(MARKER[object_type]))
                seen[(object_type, object_id, marker, event["eventType"])] += 1
    return seen


def _record(raw: Any, object_type: str, object_id: str) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    listed = raw.get(object_type)
    if isinstance(listed, list):  # the polling shape: {"objectType", "<type>": [records]}
        return next((r for r in listed if str(r.get("id")) == object_id), None)
    return raw if str(raw.get("id")) == object_id else None  # a webhook body, as sent


@dataclass
class Tally:
    expected: int = 0
    lost: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: int = 0
    kills: int = 0

    def report(self, name: str, changes: int) -> str:
        return (
            f"\n{name}: {changes} changes, {self.kills} SIGKILLs, {self.expected} objects, "
            f"lost {len(self.lost)}, duplicates {self.duplicates}"
        )


def tally(changes: Changes, receiver: Receiver, kills: int) -> Tally:
    final = changes.final()
    seen = received_versions(receiver)
    delivered = {(t, i, m) for (t, i, m, _) in seen}
    lost = [(t, i, m) for (t, i), m in final.items() if (t, i, m) not in delivered]
    return Tally(len(final), lost, sum(n - 1 for n in seen.values()), kills)


__all__ = [
    "LONG_ENV",
    "MARKER",
    "Changes",
    "Tally",
    "WoosimProcess",
    "json_lines",
    "listening_addresses",
    "long_run",
    "open_stalled",
    "raw_post",
    "read_until_closed",
    "received_versions",
    "start_woosim",
    "tally",
    "wait_until",
    "woosim_executable",
]


async def open_stalled(url: str, head: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``url``'s host and port, send ``head`` (maybe b"") and then nothing more."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    if head:
        writer.write(head)
        await writer.drain()
    return reader, writer


async def read_until_closed(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after ``timeout``."""
    chunks: list[bytes] = []
    async with asyncio.timeout(timeout):
        try:
            while chunk := await reader.read(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # closed hard: closed all the same
    return b"".join(chunks)


async def raw_post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float = 30.0
) -> tuple[int, bytes]:
    """POST exactly these bytes (no client normalising headers); ``(status, response body)``.

    Header values are sent as UTF-8, as a hostile client may.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    reader, writer = await open_stalled(url, head + body)
    try:
        answer = await read_until_closed(reader, timeout)
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload
