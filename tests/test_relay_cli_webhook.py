"""``woosim relay`` for a webhook instance, as a real subprocess: SIGKILL between accepting
and forwarding loses nothing, and a restart reuses the store's webhooks."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from relay_processes import start_relay

from pytest_woosim.instance.load import load_instance
from pytest_woosim.relay.registration import TOPICS
from simulator.app import Simulator
from simulator.server import SimulatorServer
from simulator.wire.signing import verify_elements

FIXTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "instances" / "recommended-webhook.json"
)
KEY = "cli-signature-key"


class HoldingCallback:
    """A callback endpoint that holds every request open until released, then accepts."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.held = 0
        self.bodies: list[bytes] = []
        self.arrived = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.released.is_set():
            self.held += 1
            async with self.arrived:
                self.arrived.notify_all()
            await self.released.wait()
            return web.Response(status=503)
        if not verify_elements(KEY, body, request.headers.get("Elements-Webhook-Signature")):
            return web.Response(status=401)
        self.bodies.append(body)
        async with self.arrived:
            self.arrived.notify_all()
        return web.Response(status=200)

    async def wait(self, predicate: Any, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(predicate)

    def events(self) -> list[dict[str, Any]]:
        return [e for b in self.bodies for e in json.loads(b)["message"]["events"]]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/callback", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/callback"

    async def stop(self) -> None:
        self.released.set()
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def store() -> AsyncIterator[SimulatorServer]:
    server = SimulatorServer(Simulator())
    await server.start()
    yield server
    await server.stop()


async def test_sigkill_between_accepting_and_forwarding_loses_nothing(
    store: SimulatorServer, tmp_path: Path
) -> None:
    callback = HoldingCallback()
    await callback.start()
    config = load_instance(FIXTURE).repointed(
        store_url=store.site_url,
        callback_url=callback.url,
        api_key=store.consumer_key,
        api_secret=store.consumer_secret,
        signature_key=KEY,
    )
    config_path = tmp_path / "instance.json"
    config_path.write_text(json.dumps(config.to_cloud_elements_json()))
    state_path = tmp_path / "relay.sqlite3"
    auth = (store.consumer_key, store.consumer_secret)
    proc: subprocess.Popen[str] | None = None
    try:
        proc, relay_url = await start_relay(
            "--config", str(config_path), "--state", str(state_path)
        )
        async with httpx.AsyncClient(base_url=store.api_url + "/", auth=auth) as api:
            ids = [
                (await api.post("customers", json={"email": f"c{n}@example.com"})).json()["id"]
                for n in range(3)
            ]
            # Accepted (durably) by the relay, while the callback holds the first one:
            # each new customer is a customer.created and a customer.updated delivery.
            deadline = asyncio.get_running_loop().time() + 20
            while (await api.get(relay_url + "/stats")).json()["accepted"] < 6:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.02)
            await callback.wait(lambda: callback.held >= 1)
            assert callback.bodies == []

            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            callback.released.set()

            proc, relay_url = await start_relay(
                "--config", str(config_path), "--state", str(state_path)
            )
            await callback.wait(lambda: len(callback.events()) >= 6)
            created = [e["objectId"] for e in callback.events() if e["eventType"] == "CREATED"]
            assert created == [str(i) for i in ids]

            listed = (await api.get("webhooks", params={"per_page": 100})).json()
            assert len(listed) == len(TOPICS)  # reused, not registered again
            health = (await api.get(relay_url + "/healthz")).json()
            assert health["status"] == "ok" and health["queued"] == 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        await callback.stop()
    assert proc.returncode == 0


async def test_cleanup_deletes_the_webhooks_on_sigterm(
    store: SimulatorServer, tmp_path: Path
) -> None:
    config = load_instance(FIXTURE).repointed(
        store_url=store.site_url,
        callback_url="http://127.0.0.1:9/callback",
        api_key=store.consumer_key,
        api_secret=store.consumer_secret,
    )
    config_path = tmp_path / "instance.json"
    config_path.write_text(json.dumps(config.to_cloud_elements_json()))
    proc, _ = await start_relay(
        "--config", str(config_path), "--state", str(tmp_path / "relay.sqlite3"), "--cleanup"
    )
    auth = (store.consumer_key, store.consumer_secret)
    async with httpx.AsyncClient(base_url=store.api_url + "/", auth=auth) as api:
        assert len((await api.get("webhooks", params={"per_page": 100})).json()) == len(TOPICS)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(proc.communicate, timeout=20)
        assert proc.returncode == 0
        assert (await api.get("webhooks")).json() == []
    # Secrets never reach the logs.
    with sqlite3.connect(tmp_path / "relay.sqlite3") as db:
        (stored,) = db.execute("SELECT value FROM kv WHERE key = 'webhook.secret'").fetchone()
    webhook_secret = json.loads(stored)
    assert len(webhook_secret) >= 32
    assert webhook_secret not in err and store.consumer_secret not in err
