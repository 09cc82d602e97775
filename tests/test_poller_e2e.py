"""Simulator → poller → receiver, real servers on loopback sharing one frozen clock.

The store, the poller's schedule and retries, and the sender all run on the
virtual clock; the tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.sender import CE_RETRY_SCHEDULE
from pytest_woosim.outbox.state import State
from pytest_woosim.poller.poller import Poller, ResourcePlan
from pytest_woosim.poller.scan import Backoff
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
RECOMMENDED = FIXTURES / "recommended-polling.json"
SEED = FIXTURES / "seed-polling-corrected.json"
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
T0 = START + timedelta(hours=1)
KEY = "poller-e2e-signature-key"


@dataclass
class World:
    clock: Clock
    sim: Simulator
    server: SimulatorServer
    receiver: Receiver
    api: httpx.AsyncClient
    tmp_path: Path
    pollers: list[Poller] = field(default_factory=list)
    states: list[State] = field(default_factory=list)

    async def poller(
        self,
        fixture: Path = RECOMMENDED,
        *,
        state_file: str = "state.sqlite3",
        client: httpx.AsyncClient | None = None,
        **overrides: Any,
    ) -> Poller:
        config = load_instance(fixture).repointed(
            store_url=self.server.site_url,
            callback_url=self.receiver.url,
            api_key=self.server.consumer_key,
            api_secret=self.server.consumer_secret,
            signature_key=KEY,
            **overrides,
        )
        state = State(self.tmp_path / state_file, clock=self.clock)
        self.states.append(state)
        poller = Poller.from_config(
            config,
            state=state,
            clock=self.clock,
            client=client,
            backoff=Backoff(attempts=4, first_delay=5, max_delay=60),
        )
        self.pollers.append(poller)
        return poller

    async def close(self, poller: Poller) -> None:
        await poller.stop()
        self.pollers.remove(poller)
        await poller.state.close()

    async def create_customer(self, name: str) -> int:
        response = await self.api.post(
            "customers", json={"email": f"{name}@example.com", "first_name": name}
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def update_customer(self, customer_id: int, first_name: str) -> None:
        response = await self.api.put(f"customers/{customer_id}", json={"first_name": first_name})
        assert response.status_code == 200, response.text

    async def create_order(self, note: str = "") -> int:
        response = await self.api.post("orders", json={"customer_note": note})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def update_order(self, order_id: int, note: str) -> None:
        response = await self.api.put(f"orders/{order_id}", json={"customer_note": note})
        assert response.status_code == 200, response.text

    async def fault(self, **spec: Any) -> None:
        response = await self.api.post(self.server.site_url + "/_woosim/faults", json=spec)
        assert response.status_code == 201, response.text

    async def drive(self, job: Awaitable[Any], timeout: float = 20.0) -> Any:
        """Run ``job`` while moving the clock to each sleeper's deadline (in-run backoffs)."""
        task = asyncio.ensure_future(job)
        async with asyncio.timeout(timeout):
            while not task.done():
                deadline = self.clock.next_deadline()
                if deadline is None:
                    await asyncio.sleep(0.002)
                    continue
                await self.clock.advance_async(
                    max(0.0, (deadline - self.clock.now()).total_seconds())
                )
                await asyncio.sleep(0)
        return task.result()


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


def ids_of(events: list[dict[str, Any]], object_type: str | None = None) -> list[int]:
    return [
        int(e["objectId"]) for e in events if object_type is None or e["objectType"] == object_type
    ]


async def make_world(tmp_path: Path, timezone: str = "UTC") -> World:
    clock = Clock(START, frozen=True)
    sim = Simulator(Settings(timezone=timezone), clock=clock)
    server = SimulatorServer(sim)
    await server.start()
    receiver = Receiver(KEY, clock=clock)
    await receiver.start()
    api = httpx.AsyncClient(
        base_url=server.api_url + "/",
        auth=(server.consumer_key, server.consumer_secret),
        timeout=30,
    )
    return World(clock, sim, server, receiver, api, tmp_path)


async def close_world(world: World) -> None:
    for poller in list(world.pollers):
        await poller.stop()
    for state in world.states:
        await state.close()
    await world.api.aclose()
    await world.receiver.stop()
    await world.server.stop()
    assert world.sim.internal_errors == []


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(tmp_path)
    yield w
    await close_world(w)


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[World]]]:
    worlds: list[World] = []

    async def factory(timezone: str) -> World:
        w = await make_world(tmp_path / timezone.replace("/", "_"), timezone)
        worlds.append(w)
        return w

    yield factory
    for w in worlds:
        await close_world(w)


# ---------------------------------------------------------------------- exactly once


@pytest.mark.parametrize("resource", ["orders", "customers"])
async def test_a_change_at_every_offset_of_an_interval_arrives_exactly_once(
    world: World, resource: str
) -> None:
    offsets = [i / 2 for i in range(120)] + [60.0]  # 0, 0.5, ..., 59.5 and the boundary
    if resource == "orders":
        ids = [await world.create_order() for _ in offsets]
    else:
        ids = [await world.create_customer(f"c{i}") for i in range(len(offsets))]
    world.clock.set(T0)
    poller = await world.poller(refresh_interval=1)
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()  # watermark: T0 exactly
    for offset, record_id in zip(offsets, ids, strict=True):
        world.clock.set(T0 + timedelta(seconds=offset))
        if resource == "orders":
            await world.update_order(record_id, f"changed at +{offset}")
        else:
            await world.update_customer(record_id, f"changed at +{offset}")
    # The clock is on the boundary (T0 + 60 s): the next run starts now.
    report = await poller.poll_once()
    assert report.ok and report.events == len(offsets)
    events = await world.receiver.wait_for_events(len(offsets))
    world.clock.set(T0 + timedelta(seconds=120))
    assert (await poller.poll_once()).events == 0
    await poller.sender.drain()
    events = world.receiver.events
    assert sorted(ids_of(events, resource)) == sorted(ids)
    assert len(events) == len(offsets)
    assert {e["eventType"] for e in events} == {"UPDATED"}
    assert all(n.verified for n in world.receiver.notifications)


async def test_several_changes_in_the_watermarks_second_all_arrive(world: World) -> None:
    customer = await world.create_customer("same-second")
    order = await world.create_order()
    world.clock.set(T0)
    poller = await world.poller()
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=200))
    await world.update_customer(customer, "first")
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=400))
    await poller.poll_once()  # sees "first"; watermark inside second 5
    await world.receiver.wait_for_events(1)
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=600))
    await world.update_customer(customer, "second")  # same record, same second
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=800))
    await world.update_order(order, "also in second 5")
    fresh = await world.create_customer("new-in-second-5")
    world.clock.set(T0 + timedelta(minutes=15))
    await poller.poll_once()
    world.clock.set(T0 + timedelta(minutes=30))
    await poller.poll_once()
    await poller.sender.drain()
    events = world.receiver.events
    assert [(e["objectType"], int(e["objectId"])) for e in events] == [
        ("customers", customer),
        ("customers", customer),
        ("customers", fresh),
        ("orders", order),
    ]
    names = [
        record["first_name"]
        for n in world.receiver.notifications
        if n.message is not None
        for record in n.message["raw"].get("customers", [])
    ]
    assert names == ["first", "second", "new-in-second-5"]
    assert {e["date"] for e in events} == {"2024-06-03T10:00:05Z"}


async def test_created_versus_updated(world: World) -> None:
    old_customer = await world.create_customer("old")
    old_order = await world.create_order()
    world.clock.set(T0)
    poller = await world.poller()
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=30))
    new_customer = await world.create_customer("new")
    new_order = await world.create_order("new")
    await world.update_customer(old_customer, "changed")
    await world.update_order(old_order, "changed")
    world.clock.set(T0 + timedelta(minutes=15))
    await poller.poll_once()
    await poller.sender.drain()
    kinds = {(e["objectType"], int(e["objectId"])): e["eventType"] for e in world.receiver.events}
    assert kinds == {
        ("customers", new_customer): "CREATED",
        ("customers", old_customer): "UPDATED",
        ("orders", new_order): "CREATED",
        ("orders", old_order): "UPDATED",
    }


# ---------------------------------------------------------------------- time zones


async def test_seed_configuration_on_a_new_york_store_misses_changes_and_warns(
    make: Callable[[str], Awaitable[World]],
) -> None:
    for fixture, expect_events in ((SEED, False), (RECOMMENDED, True)):
        world = await make("America/New_York")
        customer = await world.create_customer("ny")
        world.clock.set(T0)
        poller = await world.poller(fixture)
        assert poller.sender is not None
        await poller.sender.start()
        world.clock.set(T0 + timedelta(seconds=10))
        await world.update_customer(customer, "changed in New York")
        world.clock.set(T0 + timedelta(minutes=15))
        await poller.poll_once()
        if expect_events:
            events = await world.receiver.wait_for_events(1)
            assert events[0]["date"] == "2024-06-03T10:00:10Z"
            assert poller.warnings == []
        else:
            # date_modified is New York wall time (UTC-4 in June); read as GMT the
            # change looks 4 h old, before the window: it is never delivered.
            assert world.receiver.events == []
            assert any("use date_modified_gmt" in w for w in poller.warnings)
            assert any("-4 h" in w for w in poller.warnings)


async def test_seed_configuration_east_of_utc_dates_events_hours_off(
    make: Callable[[str], Awaitable[World]],
) -> None:
    world = await make("Asia/Tokyo")
    customer = await world.create_customer("tokyo")
    world.clock.set(T0)
    poller = await world.poller(SEED)
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=10))
    await world.update_customer(customer, "changed in Tokyo")
    world.clock.set(T0 + timedelta(minutes=15))
    await poller.poll_once()
    events = await world.receiver.wait_for_events(1)
    assert events[0]["date"] == "2024-06-03T19:00:10Z"  # 9 h after the real change
    assert any("use date_modified_gmt" in w for w in poller.warnings)


# ---------------------------------------------------------------------- failures


async def test_callback_down_for_hours_is_retried_on_schedule_then_delivered(
    world: World,
) -> None:
    world.clock.set(T0)
    poller = await world.poller()
    assert poller.sender is not None
    world.receiver.fail_next(7, status=503)
    await poller.start_background()  # polls now, then every 15 minutes
    await eventually(lambda: len(poller.reports) == 1)
    first = await world.create_customer("during-outage")
    await world.clock.advance_async(15 * 60)  # second run: the first notification
    await eventually(lambda: len(poller.sender.attempt_log) == 1 if poller.sender else False)
    failed_at = poller.sender.attempt_log[0].at
    second = await world.create_order("queued behind the failing head")
    await world.clock.advance_async(6 * 3600)
    await poller.sender.drain()
    attempts = [a for a in poller.sender.attempt_log if a.seq == poller.sender.attempt_log[0].seq]
    offsets = [round(a.at - failed_at) for a in attempts]
    assert offsets == [0, *[round(d) for d in CE_RETRY_SCHEDULE[:7]]]
    assert [a.ok for a in attempts] == [False] * 7 + [True]
    events = world.receiver.events
    assert ids_of(events, "customers") == [first] and ids_of(events, "orders") == [second]
    assert [e["objectType"] for e in events] == ["customers", "orders"]  # order kept
    assert len(poller.reports) == 1 + 1 + 6 * 4


async def test_store_500s_and_429s_lose_nothing(world: World) -> None:
    world.clock.set(T0)
    poller = await world.poller()
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()
    customer = await world.create_customer("faulty")
    order = await world.create_order("faulty")
    await world.fault(kind="status", status=500, count=2, path="/wp-json/wc/v3/orders")
    await world.fault(kind="rate_limit", retry_after=30, count=1, path="/wp-json/wc/v3/customers")
    world.clock.set(T0 + timedelta(minutes=15))
    started = world.clock.now()
    report = await world.drive(poller.poll_once())
    assert report.ok
    assert world.clock.now() >= started + timedelta(seconds=30)  # Retry-After honoured
    await poller.sender.drain()
    assert ids_of(world.receiver.events) == [customer, order]
    # A store that stays down: the run gives the resource up, the watermark stays.
    later = await world.create_order("just before the store goes down")
    await world.fault(
        kind="status", status=503, count=20, path="/wp-json/wc/v3/orders", method="GET"
    )
    world.clock.set(T0 + timedelta(minutes=30))
    report = await world.drive(poller.poll_once())
    assert not report.ok
    mark = await poller.state.get_watermark(poller.instance, "orders")
    assert mark is not None and mark.timestamp == T0 + timedelta(minutes=15)
    await world.api.delete(world.server.site_url + "/_woosim/faults")
    world.clock.set(T0 + timedelta(minutes=45))
    assert (await world.drive(poller.poll_once())).ok
    await poller.sender.drain()
    assert ids_of(world.receiver.events) == [customer, order, later]


async def test_a_php_notice_before_the_json_is_retried(world: World) -> None:
    world.clock.set(T0)
    poller = await world.poller()
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()
    order = await world.create_order()
    await world.fault(kind="php_notice", count=1, path="/wp-json/wc/v3/orders")
    world.clock.set(T0 + timedelta(minutes=15))
    report = await world.drive(poller.poll_once())
    assert report.ok and report.resources[1].requests >= 2
    await poller.sender.drain()
    assert ids_of(world.receiver.events) == [order]


async def test_restart_from_the_sqlite_state_loses_nothing(world: World) -> None:
    world.clock.set(T0)
    first = await world.poller()
    await first.poll_once()
    a = await world.create_customer("before-restart")
    world.clock.set(T0 + timedelta(minutes=15))
    await first.poll_once()  # in the outbox, never sent: this process "dies" now
    await world.close(first)
    b = await world.create_order("while down")
    world.clock.set(T0 + timedelta(minutes=40))
    second = await world.poller()  # same state file
    await second.poll_once()
    assert second.sender is not None
    await second.sender.start()
    await second.sender.drain()
    events = world.receiver.events
    assert [(e["objectType"], int(e["objectId"])) for e in events] == [
        ("customers", a),
        ("orders", b),
    ]
    world.clock.set(T0 + timedelta(minutes=55))
    assert (await second.poll_once()).events == 0


async def test_records_modified_during_a_paged_scan_are_not_skipped(world: World) -> None:
    world.clock.set(T0)
    order_ids: list[int] = []
    gets = 0

    async def change_store_between_pages(request: httpx.Request) -> None:
        # After two pages were read, orders from the first page change (they
        # move to the end of the modified order) and one unread order changes.
        nonlocal gets
        if request.method != "GET" or not request.url.path.endswith("/orders"):
            return
        gets += 1
        if gets == 3:
            for order_id in (order_ids[0], order_ids[5], order_ids[40]):
                world.sim.store.update_order(order_id, {"customer_note": "changed mid-scan"})

    async with httpx.AsyncClient(
        event_hooks={"request": [change_store_between_pages]}, timeout=30
    ) as client:
        poller = await world.poller(client=client)
        await poller.poll_once()
        for i in range(60):
            world.clock.set(T0 + timedelta(seconds=1 + i // 2))
            order_ids.append(await world.create_order(f"order {i}"))
        world.clock.set(T0 + timedelta(minutes=2))
        # Small pages, so the scan takes several requests.
        poller.resources[1] = _with_page_size(poller.resources[1], 10)
        report = await poller.poll_once()
        assert report.ok and gets >= 6  # the change landed in the middle of the scan
        assert poller.sender is not None
        await poller.sender.start()
        await poller.sender.drain()
    events = [e for e in world.receiver.events if e["objectType"] == "orders"]
    assert set(ids_of(events)) == set(order_ids)
    notes = {
        int(record["id"]): record["customer_note"]
        for n in world.receiver.notifications
        if n.message is not None
        for record in n.message["raw"].get("orders", [])
    }
    assert notes[order_ids[0]] == notes[order_ids[40]] == "changed mid-scan"


def _with_page_size(plan: ResourcePlan, size: int) -> ResourcePlan:
    return replace(plan, page_size=size)
