"""Real ``woosim serve`` and ``woosim relay`` processes for end-to-end tests (port 0, loopback)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
START_TIMEOUT = 60.0


def woosim() -> str:
    beside = Path(sys.executable).with_name("woosim")
    found = str(beside) if beside.exists() else shutil.which("woosim")
    assert found, "the woosim console script is not installed"
    return found


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [woosim(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _readline(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), START_TIMEOUT)


async def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.to_thread(proc.communicate, timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = await asyncio.to_thread(proc.communicate, timeout=10)
    return proc.returncode, err


@dataclass
class StoreProcess:
    proc: subprocess.Popen[str]
    values: dict[str, str] = field(default_factory=dict)

    @property
    def site_url(self) -> str:
        return self.values["site_url"]

    @property
    def api_url(self) -> str:
        return self.values["api_url"]

    @property
    def auth(self) -> tuple[str, str]:
        return self.values["consumer_key"], self.values["consumer_secret"]


@asynccontextmanager
async def store_process(*args: str) -> AsyncIterator[StoreProcess]:
    """``woosim serve --port 0 ARGS``; its printed URLs and credentials."""
    proc = _spawn("serve", "--port", "0", *args)
    store = StoreProcess(proc)
    try:
        while "consumer_secret" not in store.values:
            line = await _readline(proc)
            if not line:
                raise AssertionError(f"woosim serve did not start: {proc.communicate()[1]}")
            key, _, value = line.strip().partition("=")
            store.values[key] = value
        yield store
    finally:
        await _stop(proc)


@dataclass
class RelayProcess:
    proc: subprocess.Popen[str]
    url: str
    lines: list[str]

    async def stop(self) -> str:
        return await stop_relay(self.proc)


async def start_relay(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``woosim relay --port 0 ARGS`` once it printed its URL; the caller stops it."""
    proc = _spawn("relay", "--port", "0", *args)
    line = await _readline(proc)
    if not line.startswith("http://127.0.0.1:"):
        proc.kill()
        _, err = await asyncio.to_thread(proc.communicate, timeout=10)
        raise AssertionError(f"relay did not start: {line!r} {err}")
    return proc, line.strip()


async def stop_relay(proc: subprocess.Popen[str]) -> str:
    """SIGTERM a relay and expect a clean exit; its stderr."""
    code, err = await _stop(proc)
    assert code == 0, err
    return err


@asynccontextmanager
async def relay_process(*args: str) -> AsyncIterator[RelayProcess]:
    """``woosim relay --port 0 ARGS`` once it printed its URL (and the lines after it)."""
    proc, url = await start_relay(*args)
    try:
        yield RelayProcess(proc, url, [])
    finally:
        if proc.poll() is None:
            await _stop(proc)


async def run_relay(*args: str) -> subprocess.CompletedProcess[str]:
    """``woosim relay ARGS`` expected to exit on its own."""
    return await asyncio.to_thread(
        subprocess.run,
        [woosim(), "relay", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def instance_body(
    store: StoreProcess,
    callback_url: str,
    *,
    fixture: str = "recommended-polling.json",
    name: str | None = None,
    **configuration: Any,
) -> dict[str, Any]:
    """A fixture's body aimed at ``store`` and ``callback_url``; ``configuration`` keys override."""
    data: dict[str, Any] = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    conf = data["configuration"]
    conf["store.url"] = store.site_url
    conf["oauth.api.key"], conf["oauth.api.secret"] = store.auth
    conf["event.notification.callback.url"] = callback_url
    for key, value in configuration.items():
        if value is None:
            conf.pop(key, None)
        else:
            conf[key] = value
    if name is not None:
        data["name"] = name
    return data


def instance_file(
    path: Path,
    store: StoreProcess,
    callback_url: str,
    *,
    fixture: str = "recommended-polling.json",
    name: str | None = None,
    **configuration: Any,
) -> Path:
    """A fixture aimed at ``store`` and ``callback_url``, written to ``path``."""
    data = instance_body(store, callback_url, fixture=fixture, name=name, **configuration)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
