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
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import WoosimProcess, long_run, start_woosim, wait_until

from pytest_woosim.configload import load_instance
from pytest_woosim.receiver import Receiver
from simulator.app import Simulator
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService, service_for

INSTANCES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
KEY = "crash-signature-key"
CHANGES, KILLS = (10_000, 10) if long_run() else (1_000, 3)
BATCH = 50
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
    service = service_for(sim)
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
    kill_after = set(rng.sample(range(1, batches), KILLS))
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

        # What was delivered while the relay was down is closed by reconciliation, which
        # runs at start: a clean restart after the last change runs it once more.
        await wait_until(store_idle, timeout=60, what="the store's deliveries")
        assert relay.terminate() == 0
        relay = await start_woosim(tmp_path, *args, lines=2, name="relay")
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
