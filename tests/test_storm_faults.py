"""Fault storms: the store's REST API misbehaves on ~30 % of calls (500, 429 with
Retry-After, PHP notices before the JSON, latency), the callback fails half the time, and
the store's webhooks are dropped, duplicated and reordered. When the storm ends, the
receiver holds every changed object's latest state.

Everything runs on loopback on one frozen clock that the test moves (retries, backoffs
and Retry-After waits included), so the storms cost no real waiting.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from reliability_helpers import Changes, long_run, tally, wait_until

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.harness.world import drive
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.sender import Sender
from pytest_woosim.outbox.state import State
from pytest_woosim.poller.poller import Poller
from pytest_woosim.poller.scan import Backoff
from pytest_woosim.relay.reconcile import reconciler_for
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService

INSTANCES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
KEY = "storm-signature-key"
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
ROUNDS, PER_ROUND = (100, 50) if long_run() else (12, 25)
#: Real seconds the sender gets to work through a storm's backlog. The long webhook
#: storm with reconciliation is one strict-order group: about 34 virtual days of
#: retries, which took ~700 real seconds on a 2-core machine.
DRAIN = 1500.0 if long_run() else 60.0
T = TypeVar("T")

#: ~30 % of REST calls go wrong, each kind seeded so a failure is repeatable.
REST_STORM: list[dict[str, Any]] = [
    {"kind": "status", "status": 500, "rate": 0.1, "seed": 1},
    {"kind": "rate_limit", "retry_after": 30, "rate": 0.08, "seed": 2},
    {"kind": "php_notice", "rate": 0.08, "seed": 3},
    {"kind": "latency", "seconds": 0.005, "rate": 0.04, "seed": 4},
]


@dataclass
class World:
    clock: Clock
    sim: Simulator
    server: SimulatorServer
    service: WebhookService
    receiver: Receiver
    control: httpx.AsyncClient

    def config(self, fixture: str) -> Any:
        return load_instance(INSTANCES / fixture).repointed(
            store_url=self.server.site_url,
            callback_url=self.receiver.url,
            api_key=self.server.consumer_key,
            api_secret=self.server.consumer_secret,
            signature_key=KEY,
        )

    async def faults(self, specs: list[dict[str, Any]]) -> None:
        response = await self.control.post("/_woosim/faults", json=specs)
        assert response.status_code == 201, response.text

    async def calm(self) -> None:
        assert (await self.control.delete("/_woosim/faults")).status_code == 200
        self.receiver.fail_randomly(0)

    async def drive(self, job: Awaitable[T], timeout: float = 60.0) -> T:
        """Run ``job``, moving the clock to each sleeper's deadline (retries, backoffs)."""
        return await drive(self.clock, job, timeout)


async def drain(world: World, sender: Sender) -> None:
    """Move the clock until the sender's outbox is empty; say what is left if it stalls."""
    try:
        await world.drive(sender.drain(DRAIN), timeout=DRAIN + 30)
    except TimeoutError:
        stats = await sender.stats()
        raise AssertionError(f"the sender did not work through its backlog: {stats}") from None


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = Clock(START, frozen=True)
    sim = Simulator(clock=clock)
    service = sim.webhooks
    server = SimulatorServer(sim)
    await server.start()
    await service.start()
    receiver = Receiver(KEY, clock=clock)
    await receiver.start()
    async with httpx.AsyncClient(base_url=server.site_url, timeout=30) as control:
        yield World(clock, sim, server, service, receiver, control)
    await receiver.stop()
    await service.close()
    await server.stop()
    assert sim.internal_errors == []


async def test_poller_weathers_rest_and_callback_storms(world: World, tmp_path: Path) -> None:
    state = State(tmp_path / "poller.sqlite3", clock=world.clock)
    poller = Poller.from_config(
        world.config("recommended-polling.json"),
        state=state,
        clock=world.clock,
        backoff=Backoff(attempts=6, first_delay=5, max_delay=60),
    )
    assert poller.sender is not None
    await poller.sender.start()
    changes = Changes(world.sim, seed=11)
    rng = random.Random(11)
    await world.faults(REST_STORM)
    world.receiver.fail_randomly(0.5, seed=12)
    try:
        for _ in range(ROUNDS):
            for _ in range(PER_ROUND):
                changes.step()
                if rng.random() < 0.1:
                    world.clock.advance(1)  # some changes share a second, some do not
            await world.drive(poller.poll_once())
            await world.clock.advance_async(60)
        rest_faults = (await world.control.get("/_woosim/faults")).json()["faults"]
        failed_callbacks = len(world.receiver.failed_attempts)

        await world.calm()
        for _ in range(3):  # polls after the storm pick up windows that kept failing
            await world.drive(poller.poll_once())
            await world.clock.advance_async(60)
        await drain(world, poller.sender)
    finally:
        await poller.stop()
        await state.close()
    result = tally(changes, world.receiver, 0)
    fired = {f["kind"]: f["hits"] for f in rest_faults}
    print(
        f"\npoller storm: {changes.made} changes, REST faults fired {fired}, "
        f"{failed_callbacks} callbacks failed; {result.expected} objects, "
        f"lost {len(result.lost)}, duplicates {result.duplicates}"
    )
    # Latency is rare on so few calls; the kinds that change answers must all have fired.
    assert fired["status"] and fired["rate_limit"] and fired["php_notice"], fired
    assert failed_callbacks > 0
    assert result.lost == [], result.lost[:10]


async def test_webhook_relay_weathers_delivery_and_callback_storms(
    world: World, tmp_path: Path
) -> None:
    config = world.config("recommended-webhook.json")
    state = State(tmp_path / "relay.sqlite3", clock=world.clock)
    relay = WebhookRelay.from_config(
        config,
        state=state,
        clock=world.clock,
        options=RelayOptions(),
        reconciler=reconciler_for(config, state=state, clock=world.clock),
    )
    await relay.start()
    changes = Changes(world.sim, seed=21)
    await world.faults(
        [
            {"kind": "drop", "rate": 0.15, "seed": 21},
            {"kind": "duplicate", "rate": 0.15, "seed": 22},
            {"kind": "reorder", "count": 4},
            *REST_STORM,
        ]
    )
    world.receiver.fail_randomly(0.5, seed=23)

    def store_idle() -> bool:
        return world.service.engine.in_flight == 0

    try:
        for round_number in range(ROUNDS):
            for _ in range(PER_ROUND):
                changes.step()
            if round_number % 4 == 0:
                await world.faults([{"kind": "reorder", "count": 3}])
            # Held (reordered) deliveries wait for their batch; the rest go out now.
            await world.clock.advance_async(1)
            await wait_until(
                lambda: world.service.engine.in_flight <= 4, what="the store's deliveries"
            )
        # The callback keeps failing half the time while the sender works through it.
        await drain(world, relay.sender)
        faults = (await world.control.get("/_woosim/faults")).json()["faults"]
        failed_callbacks = len(world.receiver.failed_attempts)
        await world.calm()  # releases held deliveries too
        await wait_until(store_idle, what="the store's deliveries")
        # Reconciliation runs every refresh interval on the clock: let it run after the storm.
        for _ in range(2):
            await world.clock.advance_async(config.configuration.refresh_interval * 60)
        await world.drive(relay.sender.drain(30))
        await wait_until(
            lambda: not tally(changes, world.receiver, 0).lost, timeout=30, what="every change"
        )
    finally:
        await relay.stop()
        await state.close()
    result = tally(changes, world.receiver, 0)
    stats = relay.app.stats if relay.app is not None else None
    fired: dict[str, int] = {}
    for fault in faults:
        fired[fault["kind"]] = fired.get(fault["kind"], 0) + fault["hits"]
    print(
        f"\nwebhook storm: {changes.made} changes, faults fired {fired}, "
        f"{failed_callbacks} callbacks failed, relay {stats}; {result.expected} objects, "
        f"lost {len(result.lost)}, duplicates {result.duplicates}"
    )
    assert fired["drop"] > 0 and fired["duplicate"] > 0 and fired["reorder"] > 0
    assert failed_callbacks > 0
    assert result.lost == [], result.lost[:10]
