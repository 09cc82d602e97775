"""Simulator → poller → receiver, real servers on loopback sharing one frozen clock.

The store, the poller's schedule and retries, and the sender all run on the
virtual clock; the tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_woosim.harness.world import World, open_world
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.sender import CE_RETRY_SCHEDULE
from pytest_woosim.poller.plan import ResourcePlan
from pytest_woosim.poller.poller import Poller
from pytest_woosim.poller.scan import Backoff
from pytest_woosim.poller.storeclient import Page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
RECOMMENDED = FIXTURES / "recommended-polling.json"
SEED = FIXTURES / "seed-polling-corrected.json"
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
T0 = START + timedelta(hours=1)
KEY = "poller-e2e-signature-key"


async def new_poller(
    world: World,
    fixture: Path = RECOMMENDED,
    *,
    state_file: str = "state.sqlite3",
    client: httpx.AsyncClient | None = None,
    **overrides: Any,
) -> Poller:
    """A poller of ``fixture`` aimed at the world, not started; its state in ``state_file``."""
    config = load_instance(fixture).repointed(
        store_url=world.server.site_url,
        callback_url=world.receiver.url,
        api_key=world.server.consumer_key,
        api_secret=world.server.consumer_secret,
        signature_key=KEY,
        **overrides,
    )
    return world.new_poller(
        config,
        state_file=state_file,
        client=client,
        backoff=Backoff(attempts=4, first_delay=5, max_delay=60),
    )


async def create_customer(world: World, name: str) -> int:
    return int((await world.create("customers", name))["id"])


async def update_customer(world: World, customer_id: int, first_name: str) -> None:
    await world.change("customers", customer_id, first_name)


async def create_order(world: World, note: str = "") -> int:
    return int((await world.create("orders", note))["id"])


async def update_order(world: World, order_id: int, note: str) -> None:
    await world.change("orders", order_id, note)


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


def ids_of(events: list[dict[str, Any]], object_type: str | None = None) -> list[int]:
    return [
        int(e["objectId"]) for e in events if object_type is None or e["objectType"] == object_type
    ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world(start=START, key=KEY, state_dir=tmp_path) as w:
        yield w
        assert w.sim.internal_errors == []


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[World]]]:
    """Worlds in other time zones, each closed at the end of the test."""
    async with AsyncExitStack() as stack:
        worlds: list[World] = []

        async def factory(timezone: str) -> World:
            state_dir = tmp_path / f"{len(worlds)}-{timezone.replace('/', '_')}"
            state_dir.mkdir()
            w = await stack.enter_async_context(
                open_world(start=START, timezone=timezone, key=KEY, state_dir=state_dir)
            )
            worlds.append(w)
            return w

        yield factory
        assert [w.sim.internal_errors for w in worlds] == [[] for _ in worlds]


# ---------------------------------------------------------------------- exactly once


@pytest.mark.parametrize("resource", ["orders", "customers"])
async def test_a_change_at_every_offset_of_an_interval_arrives_exactly_once(
    world: World, resource: str
) -> None:
    offsets = [i / 2 for i in range(120)] + [60.0]  # 0, 0.5, ..., 59.5 and the boundary
    if resource == "orders":
        ids = [await create_order(world) for _ in offsets]
    else:
        ids = [await create_customer(world, f"c{i}") for i in range(len(offsets))]
    world.clock.set(T0)
    poller = await new_poller(world, refresh_interval=1)
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()  # watermark: T0 exactly
    for offset, record_id in zip(offsets, ids, strict=True):
        world.clock.set(T0 + timedelta(seconds=offset))
        if resource == "orders":
            await update_order(world, record_id, f"changed at +{offset}")
        else:
            await update_customer(world, record_id, f"changed at +{offset}")
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
    customer = await create_customer(world, "same-second")
    order = await create_order(world)
    world.clock.set(T0)
    poller = await new_poller(world)
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=200))
    await update_customer(world, customer, "first")
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=400))
    await poller.poll_once()  # sees "first"; watermark inside second 5
    await world.receiver.wait_for_events(1)
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=600))
    await update_customer(world, customer, "second")  # same record, same second
    world.clock.set(T0 + timedelta(seconds=5, milliseconds=800))
    await update_order(world, order, "also in second 5")
    fresh = await create_customer(world, "new-in-second-5")
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
    old_customer = await create_customer(world, "old")
    old_order = await create_order(world)
    world.clock.set(T0)
    poller = await new_poller(world)
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=30))
    new_customer = await create_customer(world, "new")
    new_order = await create_order(world, "new")
    await update_customer(world, old_customer, "changed")
    await update_order(world, old_order, "changed")
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
        customer = await create_customer(world, "ny")
        world.clock.set(T0)
        poller = await new_poller(world, fixture)
        assert poller.sender is not None
        await poller.sender.start()
        world.clock.set(T0 + timedelta(seconds=10))
        await update_customer(world, customer, "changed in New York")
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
    customer = await create_customer(world, "tokyo")
    world.clock.set(T0)
    poller = await new_poller(world, SEED)
    assert poller.sender is not None
    await poller.sender.start()
    world.clock.set(T0 + timedelta(seconds=10))
    await update_customer(world, customer, "changed in Tokyo")
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
    poller = await new_poller(world)
    assert poller.sender is not None
    world.receiver.fail_next(7, status=503)
    await poller.start_background()  # polls now, then every 15 minutes
    await eventually(lambda: len(poller.reports) == 1)
    first = await create_customer(world, "during-outage")
    await world.clock.advance_async(15 * 60)  # second run: the first notification
    await eventually(lambda: len(poller.sender.attempt_log) == 1 if poller.sender else False)
    failed_at = poller.sender.attempt_log[0].at
    # The failure is logged before the sender books its retry on the clock: wait for
    # that booking, or the advance below could step past the retry's instant first.
    retry_at = failed_at + CE_RETRY_SCHEDULE[0]
    await eventually(
        lambda: (
            (due := world.clock.next_deadline()) is not None and due.timestamp() <= retry_at + 0.001
        )
    )
    second = await create_order(world, "queued behind the failing head")
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
    poller = await new_poller(world)
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()
    customer = await create_customer(world, "faulty")
    order = await create_order(world, "faulty")
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
    later = await create_order(world, "just before the store goes down")
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
    poller = await new_poller(world)
    assert poller.sender is not None
    await poller.sender.start()
    await poller.poll_once()
    order = await create_order(world)
    await world.fault(kind="php_notice", count=1, path="/wp-json/wc/v3/orders")
    world.clock.set(T0 + timedelta(minutes=15))
    report = await world.drive(poller.poll_once())
    assert report.ok and report.resources[1].requests >= 2
    await poller.sender.drain()
    assert ids_of(world.receiver.events) == [order]


async def test_restart_from_the_sqlite_state_loses_nothing(world: World) -> None:
    world.clock.set(T0)
    first = await new_poller(world)
    await first.poll_once()
    a = await create_customer(world, "before-restart")
    world.clock.set(T0 + timedelta(minutes=15))
    await first.poll_once()  # in the outbox, never sent: this process "dies" now
    await world.stop_poller(first)
    b = await create_order(world, "while down")
    world.clock.set(T0 + timedelta(minutes=40))
    second = await new_poller(world)  # same state file
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

    poller = await new_poller(world)
    read_page = poller.source.list_page

    async def change_store_between_pages(
        endpoint: str, params: Mapping[str, str | int | float | bool]
    ) -> Page:
        # After two pages were read, orders from the first page change (they
        # move to the end of the modified order) and one unread order changes.
        nonlocal gets
        if endpoint == "orders":
            gets += 1
            if gets == 3:
                for order_id in (order_ids[0], order_ids[5], order_ids[40]):
                    world.sim.store.update_order(order_id, {"customer_note": "changed mid-scan"})
        return await read_page(endpoint, params)

    poller.source.list_page = change_store_between_pages  # type: ignore[method-assign]
    await poller.poll_once()
    for i in range(60):
        world.clock.set(T0 + timedelta(seconds=1 + i // 2))
        order_ids.append(await create_order(world, f"order {i}"))
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


async def test_customers_are_scanned_light_and_changed_ones_read_in_full(world: World) -> None:
    ids = [await create_customer(world, f"c{i}") for i in range(12)]
    world.clock.set(T0)
    poller = await new_poller(world)
    poller.resources[0] = _with_page_size(poller.resources[0], 5)
    asked: list[dict[str, str | int | float | bool]] = []
    read_page = poller.source.list_page

    async def recording(endpoint: str, params: Mapping[str, str | int | float | bool]) -> Page:
        if endpoint == "customers":
            asked.append(dict(params))
        return await read_page(endpoint, params)

    poller.source.list_page = recording  # type: ignore[method-assign]
    await poller.poll_once()
    # Three light pages of 5 overlapping by one reach X-WP-Total (12); nothing changed.
    assert [p.get("_fields") for p in asked] == ["id,date_modified_gmt,date_created_gmt"] * 3
    assert [p["offset"] for p in asked] == [0, 4, 8]
    asked.clear()
    world.clock.set(T0 + timedelta(seconds=30))
    await update_customer(world, ids[1], "changed")
    await update_customer(world, ids[9], "changed too")
    world.clock.set(T0 + timedelta(minutes=15))
    report = await poller.poll_once()
    assert report.ok
    # Each light page holding a change is followed by one request for it in full.
    assert [p.get("include") for p in asked] == [None, str(ids[1]), None, None, str(ids[9])]
    assert poller.sender is not None
    await poller.sender.start()
    await poller.sender.drain()
    raw = [
        record
        for n in world.receiver.notifications
        if n.message is not None
        for record in n.message["raw"].get("customers", [])
    ]
    # The events carry the whole records, as a full scan reads them.
    assert [r["id"] for r in raw] == [ids[1], ids[9]]
    assert [r["first_name"] for r in raw] == ["changed", "changed too"]
    assert all({"email", "billing", "shipping", "avatar_url", "_links"} <= set(r) for r in raw)
