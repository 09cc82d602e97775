"""Crash tests: ``woosim relay`` (polling, and webhook with ``--reconcile``) runs as a real
process and is killed with SIGKILL at seeded random moments while changes flow; after each
restart from the same state file the receiver ends with every change at least once.

Lost changes must be 0; duplicates are counted and printed. The CI size is 1,000
changes and 3 kills; ``WOOSIM_LONG=1`` runs 10,000 changes and 10 kills (see
docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from reliability_helpers import (
    MARKER,
    Changes,
    WoosimProcess,
    long_run,
    received_versions,
    start_woosim,
    tally,
    wait_until,
)

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.load import load_instance
from simulator.app import Simulator
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService

INSTANCES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
KEY = "crash-signature-key"
CHANGES, KILLS = (10_000, 10) if long_run() else (1_000, 3)
BATCH = 50


def write_config(path: Path, fixture: str, server: SimulatorServer, receiver: Receiver) -> Path:
    config = load_instance(INSTANCES / fixture).repointed(
        store_url=server.site_url,
        callback_url=receiver.url,
        api_key=server.consumer_key,
        api_secret=server.consumer_secret,
        signature_key=KEY,
    )
    path.write_text(json.dumps(config.to_cloud_elements_json()), encoding="utf-8")
    return path


@pytest.fixture
async def live_store() -> AsyncIterator[tuple[Simulator, SimulatorServer, WebhookService]]:
    # A running clock: the relay process keeps real time, and so does the store.
    sim = Simulator()
    service = sim.webhooks
    server = SimulatorServer(sim)
    await server.start()
    await service.start()
    yield sim, server, service
    await service.close()
    await server.stop()
    assert sim.internal_errors == []


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(KEY) as rec:
        yield rec


async def _post_quietly(client: httpx.AsyncClient, url: str) -> None:
    """A request to a process that may be killed under it."""
    try:
        await client.post(url)
    except httpx.HTTPError:
        pass


async def test_polling_relay_survives_sigkills_without_losing_changes(
    live_store: tuple[Simulator, SimulatorServer, WebhookService],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    sim, server, _ = live_store
    config = write_config(tmp_path / "polling.json", "recommended-polling.json", server, receiver)
    state = tmp_path / "relay.sqlite3"
    since = (sim.clock.now() - timedelta(seconds=5)).isoformat()
    rng = random.Random(20240603)
    batches = CHANGES // BATCH
    kill_after = set(rng.sample(range(1, batches), KILLS))
    changes = Changes(sim, seed=7)
    args = ("relay", "--config", str(config), "--state", str(state), "--port", "0")
    relay = await start_woosim(tmp_path, *args, "--since", since, name="relay")
    killed: list[WoosimProcess] = []
    async with httpx.AsyncClient(timeout=60) as client:
        try:
            for batch in range(batches):
                for _ in range(BATCH):
                    changes.step()
                poll = relay.lines[0] + "/poll"
                if batch in kill_after:
                    # Kill mid-poll or mid-delivery, at a seeded moment.
                    task = asyncio.create_task(_post_quietly(client, poll))
                    await asyncio.sleep(rng.uniform(0.0, 0.25))
                    relay.kill()
                    killed.append(relay)
                    await task
                    relay = await start_woosim(tmp_path, *args, name="relay")
                else:
                    await client.post(poll)

            async def converged() -> bool:
                await client.post(relay.lines[0] + "/poll")
                stats = (await client.get(relay.lines[0] + "/stats")).json()["delivery"]
                idle = stats["pending"] == 0 and stats["parked"] == 0
                return idle and not tally(changes, receiver, len(killed)).lost

            try:
                await wait_until(converged, timeout=90, interval=0.2, what="every change")
            except AssertionError:
                pass  # reported below with the lost changes
        finally:
            code = relay.terminate()
    result = tally(changes, receiver, len(killed))
    print(result.report("polling relay", changes.made))
    assert code == 0
    assert len(killed) == KILLS
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    for process in [*killed, relay]:
        assert server.consumer_secret not in process.stderr() and KEY not in process.stderr()


async def test_webhook_relay_survives_sigkills_without_losing_changes(
    live_store: tuple[Simulator, SimulatorServer, WebhookService],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    sim, server, service = live_store
    config = write_config(tmp_path / "webhook.json", "recommended-webhook.json", server, receiver)
    state = tmp_path / "relay.sqlite3"
    rng = random.Random(20240604)
    batches = CHANGES // BATCH
    # The last kill comes after the last change: the restart's reconciliation (it runs at
    # start) must then close every gap the kills left.
    kill_after = {*rng.sample(range(1, batches - 1), KILLS - 1), batches - 1}
    changes = Changes(sim, seed=8)
    args = ("relay", "--config", str(config), "--state", str(state), "--port", "0", "--reconcile")
    relay = await start_woosim(tmp_path, *args, lines=2, name="relay")
    killed: list[WoosimProcess] = []

    def store_idle() -> bool:
        return service.engine.in_flight == 0

    try:
        for batch in range(batches):
            for _ in range(BATCH):
                changes.step()
            if batch in kill_after:
                # Kill while the store's deliveries are on the wire or being committed.
                await asyncio.sleep(rng.uniform(0.0, 0.1))
                relay.kill()
                killed.append(relay)
                await wait_until(store_idle, timeout=60, what="the store's deliveries")
                relay = await start_woosim(tmp_path, *args, lines=2, name="relay")
            else:
                await wait_until(store_idle, timeout=60, what="the store's deliveries")

        try:
            await wait_until(
                lambda: not tally(changes, receiver, len(killed)).lost,
                timeout=90,
                interval=0.2,
                what="every change",
            )
        except AssertionError:
            pass  # reported below with the lost changes
    finally:
        code = relay.terminate()
    result = tally(changes, receiver, len(killed))
    print(result.report("webhook relay", changes.made))

    # The relay's promise: a delivery it answered 2xx "accepted" reaches the callback.
    accepted = [
        r
        for r in service.deliveries(kind="delivery")
        if r.success and '"accepted"' in r.response_body
    ]
    delivered = {(t, i, m) for (t, i, m, _) in received_versions(receiver)}
    broken = []
    for record in accepted:
        body = json.loads(record.request_body)
        object_type = {"customer": "customers", "order": "orders"}.get(record.topic.split(".")[0])
        if object_type is None or "id" not in body:
            continue
        version = (object_type, str(body["id"]), str(body.get(MARKER[object_type])))
        if version not in delivered:
            broken.append(version)
    print(f"webhook relay: {len(accepted)} deliveries accepted, {len(broken)} not forwarded")
    assert code == 0
    assert len(killed) == KILLS
    assert broken == []
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    for process in [*killed, relay]:
        assert server.consumer_secret not in process.stderr() and KEY not in process.stderr()
