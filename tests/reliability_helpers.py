"""Shared helpers of the reliability tests: ``woosim`` subprocesses, deadlines, sockets.

Subprocess output goes to files, never to pipes nobody reads: a relay logging
thousands of lines would otherwise block on a full pipe and look "hung".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


__all__ = [
    "LONG_ENV",
    "WoosimProcess",
    "json_lines",
    "listening_addresses",
    "long_run",
    "open_stalled",
    "raw_post",
    "read_until_closed",
    "start_woosim",
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
