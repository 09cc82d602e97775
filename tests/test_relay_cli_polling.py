"""``woosim relay`` for a polling instance, as a real subprocess against a real store."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from relay_processes import start_relay, stop_relay, woosim

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.load import load_instance
from simulator.app import Simulator
from simulator.server import SimulatorServer

FIXTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "instances" / "recommended-polling.json"
)
KEY = "cli-polling-signature-key"


@pytest.fixture
async def store() -> AsyncIterator[SimulatorServer]:
    server = SimulatorServer(Simulator())  # a running clock: the subprocess polls in real time
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(KEY) as rec:
        yield rec


def write_config(path: Path, store: SimulatorServer, receiver: Receiver) -> Path:
    config = load_instance(FIXTURE).repointed(
        store_url=store.site_url,
        callback_url=receiver.url,
        api_key=store.consumer_key,
        api_secret=store.consumer_secret,
        signature_key=KEY,
    )
    path.write_text(json.dumps(config.to_cloud_elements_json()), encoding="utf-8")
    return path


async def test_polls_delivers_restarts_and_stops_cleanly(
    store: SimulatorServer, receiver: Receiver, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "instance.json", store, receiver)
    state = tmp_path / "state.sqlite3"
    async with httpx.AsyncClient(
        base_url=store.api_url + "/", auth=(store.consumer_key, store.consumer_secret)
    ) as api:
        created = [
            (await api.post("customers", json={"email": f"cli{i}@example.com"})).json()["id"]
            for i in range(3)
        ]
        order = (await api.post("orders", json={})).json()["id"]
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        proc, url = await start_relay(
            "--config", str(config), "--state", str(state), "--since", since
        )
        try:
            events = await receiver.wait_for_events(4, timeout=30)
            assert sorted(int(e["objectId"]) for e in events if e["objectType"] == "customers") == (
                sorted(created)
            )
            assert [int(e["objectId"]) for e in events if e["objectType"] == "orders"] == [order]
            assert all(n.verified for n in receiver.notifications)
            async with httpx.AsyncClient(base_url=url) as status:
                health = (await status.get("/healthz")).json()
                assert health["status"] == "ok" and health["mode"] == "polling"
                later = (await api.post("customers", json={"email": "later@example.com"})).json()
                report = (await status.post("/poll")).json()
                assert report["events"] == 1
                events = await receiver.wait_for_events(5, timeout=30)
                assert int(events[-1]["objectId"]) == later["id"]
                stats = (await status.get("/stats")).json()
                assert stats["delivery"]["delivered"] >= 2 and stats["warnings"] == []
        finally:
            if proc.poll() is None:
                err = await stop_relay(proc)
        lines = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert any(line["msg"] == "polling started" for line in lines)
        for secret in (store.consumer_secret, KEY):
            assert secret not in err

        # Restarted from the same state: nothing is delivered twice.
        proc, url = await start_relay("--config", str(config), "--state", str(state))
        try:
            async with httpx.AsyncClient(base_url=url) as status:
                report = (await status.post("/poll")).json()
                assert report["events"] == 0
        finally:
            await stop_relay(proc)
    assert len(receiver.events) == 5


async def test_invalid_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["configuration"]["event.poller.refresh_interval"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    proc = await asyncio.to_thread(
        subprocess.run,
        [woosim(), "relay", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "event.poller.refresh_interval" in proc.stderr
    assert data["configuration"]["oauth.api.secret"] not in proc.stderr
