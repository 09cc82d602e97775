"""The poller's logic against the in-test page source, on a frozen clock, with real State."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_scan import FakeStore

from pytest_woosim.outbox.state import State
from pytest_woosim.poller.plan import DateField, ResourcePlan, strategy_for
from pytest_woosim.poller.poller import Poller
from pytest_woosim.poller.scan import Strategy, content_key, format_wc_gmt
from pytest_woosim.poller.storeclient import StoreUnavailable
from simulator.clock import Clock

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
NEW_YORK_OFFSET = timedelta(hours=-4)  # EDT in May


def utc_field(path: str) -> DateField:
    def parse(value: Any) -> datetime:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)

    return DateField(path, parse, "GMT")


def plan(
    resource: str = "orders",
    *,
    field: str = "date_modified_gmt",
    created: str = "date_created_gmt",
    strategy: Strategy | None = None,
    **options: Any,
) -> ResourcePlan:
    endpoint = "customers" if resource == "customers" else "orders"
    return ResourcePlan(
        resource=resource,
        endpoint=endpoint,
        id_field="id",
        updated=utc_field(field),
        created=utc_field(created),
        strategy=strategy or strategy_for(endpoint, field),
        **options,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(T0, frozen=True)


@pytest.fixture
async def state(clock: Clock) -> AsyncIterator[State]:
    async with State(None, clock=clock) as st:
        yield st


def make_poller(
    store: FakeStore, state: State, clock: Clock, *plans: ResourcePlan, **options: Any
) -> Poller:
    return Poller(
        instance_id=42,
        resources=list(plans) or [plan()],
        source=store,
        state=state,
        clock=clock,
        callback_url="http://127.0.0.1:1/callback",
        refresh_interval=5,
        **options,
    )


async def outbox_messages(state: State, instance: str = "42") -> list[dict[str, Any]]:
    items = await state.outbox_batch(instance, limit=10_000)
    return [json.loads(item.body)["message"] for item in items]


async def outbox_events(state: State) -> list[dict[str, Any]]:
    return [event for message in await outbox_messages(state) for event in message["events"]]


def add_local(store: FakeStore, instant: datetime, offset: timedelta = timedelta(0)) -> int:
    """A record with WooCommerce's date pairs for a store at ``offset`` from UTC."""
    rid = store.add(instant)
    record = store.records[rid]
    record["date_modified"] = format_wc_gmt(instant + offset)
    record["date_created"] = format_wc_gmt(instant + offset)
    return rid


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until true, failing after ``timeout`` real seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


# ---------------------------------------------------------------------- windows


async def test_first_run_starts_at_creation_without_backfill(state: State, clock: Clock) -> None:
    store = FakeStore()
    store.add(T0 - timedelta(hours=1))
    poller = make_poller(store, state, clock)
    await poller.poll_once()
    assert await outbox_events(state) == []
    clock.advance(10)
    fresh = store.add(clock.now())
    clock.advance(300)
    report = await poller.poll_once()
    events = await outbox_events(state)
    assert [e["objectId"] for e in events] == [str(fresh)]
    assert report.ok and report.events == 1


async def test_backfill_and_explicit_start(state: State, clock: Clock) -> None:
    store = FakeStore()
    old = store.add(T0 - timedelta(days=3))
    older = store.add(T0 - timedelta(days=30))
    await make_poller(store, state, clock, backfill=True).poll_once()
    assert {e["objectId"] for e in await outbox_events(state)} == {str(old), str(older)}

    async with State(None, clock=clock) as other:
        poller = make_poller(store, other, clock, start=T0 - timedelta(days=7))
        await poller.poll_once()
        assert [e["objectId"] for e in await outbox_events(other)] == [str(old)]


async def test_change_in_the_watermarks_second_arrives_exactly_once(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    clock.set(T0 + timedelta(seconds=100, milliseconds=400))
    await poller.poll_once()  # watermark at .400 of second 100
    clock.set(T0 + timedelta(seconds=100, milliseconds=700))
    rid = store.add(clock.now())  # same second as the watermark, after it
    clock.advance(300)
    await poller.poll_once()
    clock.advance(300)
    await poller.poll_once()
    assert [e["objectId"] for e in await outbox_events(state)] == [str(rid)]


async def test_two_changes_of_one_record_in_one_second_both_arrive(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    clock.advance(1)
    rid = store.add(clock.now())
    clock.advance(0.3)
    await poller.poll_once()  # reads version 0
    clock.advance(0.3)
    store.touch(rid, clock.now())  # version 1, same second
    clock.advance(300)
    await poller.poll_once()
    clock.advance(300)
    await poller.poll_once()
    messages = await outbox_messages(state)
    versions = [m["raw"]["orders"][0]["version"] for m in messages]
    assert versions == [0, 1]


async def test_poll_delay_widens_the_window(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock, plan(poll_delay=60))
    await poller.poll_once()
    # A record that shows up late, dated 30 s before the watermark.
    late = store.add(T0 - timedelta(seconds=30))
    clock.advance(300)
    await poller.poll_once()
    assert [e["objectId"] for e in await outbox_events(state)] == [str(late)]


# ---------------------------------------------------------------------- events


async def test_created_versus_updated_with_tolerance(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock, plan(created_check_tolerance=10))
    clock.advance(60)
    new = store.add(clock.now())
    store.records[new]["date_created_gmt"] = format_wc_gmt(clock.now() - timedelta(seconds=2))
    edited = store.add(clock.now())
    store.records[edited]["date_created_gmt"] = format_wc_gmt(T0 - timedelta(days=1))
    clock.advance(240)
    await poller.poll_once()
    kinds = {e["objectId"]: e["eventType"] for e in await outbox_events(state)}
    assert kinds == {str(new): "CREATED", str(edited): "UPDATED"}


async def test_notifications_hold_at_most_ten_events_and_each_repeats_the_page(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    clock.advance(1)
    ids = [store.add(clock.now() + timedelta(seconds=i % 7)) for i in range(25)]
    clock.advance(300)
    await poller.poll_once()
    messages = await outbox_messages(state)
    assert [len(m["events"]) for m in messages] == [10, 10, 5]
    assert len({m["eventId"] for m in messages}) == 3
    for message in messages:
        raw = message["raw"]
        assert raw["instance_id"] == 42 and raw["objectType"] == "orders"
        # Cloud Elements: a split set repeats the full raw body (here: the page read).
        assert sorted(r["id"] for r in raw["orders"]) == ids
        assert raw == messages[0]["raw"]
        assert message["instanceId"] == 42 and message["elementKey"] == "woocommercerest"
        for event in message["events"]:
            assert event["objectType"] == "orders"
            assert event["date"].endswith("Z")
    assert sorted(int(e["objectId"]) for m in messages for e in m["events"]) == ids


async def test_unparsable_dates_are_skipped_and_logged(
    state: State, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock, plan("customers", field="date_modified"))
    clock.advance(5)
    good = add_local(store, clock.now())
    bad = add_local(store, clock.now())
    store.records[bad]["date_modified"] = "yesterday-ish"
    clock.advance(300)
    with caplog.at_level("WARNING"):
        report = await poller.poll_once()
    assert [e["objectId"] for e in await outbox_events(state)] == [str(good)]
    assert report.resources[0].unreadable_dates == 1
    assert "yesterday-ish" in caplog.text and f"customers {bad} skipped" in caplog.text


async def test_filter_response_nulls_drops_nulls_from_raw(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock, filter_response_nulls=True)
    clock.advance(5)
    store.add(clock.now(), date_paid=None, billing={"company": None, "city": "Lyon"})
    clock.advance(300)
    await poller.poll_once()
    record = (await outbox_messages(state))[0]["raw"]["orders"][0]
    assert "date_paid" not in record and record["billing"] == {"city": "Lyon"}


# ---------------------------------------------------------------------- failures and restarts


async def test_store_errors_leave_the_watermark_and_lose_nothing(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    await poller.poll_once()
    clock.advance(10)
    rid = store.add(clock.now())
    clock.advance(300)
    store.failures = [StoreUnavailable("HTTP 500", status=500) for _ in range(10)]
    task = asyncio.create_task(poller.poll_once())
    while not task.done():  # the in-run backoff sleeps on the clock: move it along
        await asyncio.sleep(0)
        await clock.advance_async(60)
    report = task.result()
    assert not report.ok and "HTTP 500" in (report.resources[0].error or "")
    mark = await state.get_watermark("42", "orders")
    assert mark is not None and mark.timestamp == T0
    store.failures = []
    clock.advance(300)
    await poller.poll_once()
    assert [e["objectId"] for e in await outbox_events(state)] == [str(rid)]


async def test_restart_from_the_state_file_loses_and_repeats_nothing(
    tmp_path: Path, clock: Clock
) -> None:
    store = FakeStore()
    path = tmp_path / "state.sqlite"
    async with State(path, clock=clock) as first:
        poller = make_poller(store, first, clock)
        await poller.poll_once()
        clock.advance(5)
        a = store.add(clock.now())
        clock.advance(300)
        await poller.poll_once()
    clock.advance(5)
    b = store.add(clock.now())
    clock.advance(300)
    async with State(path, clock=clock) as second:
        # A new process: its own creation time is now, but the watermark wins.
        restarted = make_poller(store, second, clock)
        await restarted.poll_once()
        events = await outbox_events(second)
    assert [e["objectId"] for e in events] == [str(a), str(b)]


async def test_deletion_detection_for_full_scans(state: State, clock: Clock) -> None:
    store = FakeStore()
    ids = [add_local(store, T0 - timedelta(days=1)) for _ in range(5)]
    poller = make_poller(
        store, state, clock, plan("customers", field="date_modified_gmt", detect_deletions=True)
    )
    await poller.poll_once()
    del store.records[ids[1]], store.records[ids[3]]
    clock.advance(300)
    report = await poller.poll_once()
    events = await outbox_events(state)
    assert [(e["objectId"], e["eventType"]) for e in events] == [
        (str(ids[1]), "DELETED"),
        (str(ids[3]), "DELETED"),
    ]
    assert report.resources[0].deleted == 2
    message = (await outbox_messages(state))[0]
    assert message["raw"]["customers"] == [{"id": ids[1]}, {"id": ids[3]}]


async def test_deletions_are_not_detected_by_default(state: State, clock: Clock) -> None:
    store = FakeStore()
    rid = add_local(store, T0 - timedelta(days=1))
    poller = make_poller(store, state, clock, plan("customers"))
    await poller.poll_once()
    del store.records[rid]
    clock.advance(300)
    await poller.poll_once()
    assert await outbox_events(state) == []


# ---------------------------------------------------------------------- the zone warning


async def test_local_field_read_as_gmt_is_warned_once_naming_the_fix(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(
        store, state, clock, plan("customers", field="date_modified", created="date_created")
    )
    clock.advance(5)
    for _ in range(3):
        add_local(store, clock.now(), NEW_YORK_OFFSET)
    clock.advance(300)
    await poller.poll_once()
    assert len(poller.warnings) == 2  # updated and created field, once each
    assert "use date_modified_gmt" in poller.warnings[0]
    assert "use date_created_gmt" in poller.warnings[1]
    # And the error it names: read as GMT, New York wall time is 4 h early, so
    # the changes fall before the window and are missed.
    assert await outbox_events(state) == []


async def test_gmt_fields_give_no_warning(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock, plan("customers"))
    clock.advance(5)
    add_local(store, clock.now(), NEW_YORK_OFFSET)
    clock.advance(300)
    await poller.poll_once()
    assert poller.warnings == []
    assert len(await outbox_events(state)) == 1


# ---------------------------------------------------------------------- schedule


async def test_run_polls_every_interval_on_the_clock(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    await poller.start_background()
    try:
        await eventually(lambda: len(poller.reports) == 1 and clock.pending() == 1)
        await clock.advance_async(3 * 300)
        assert [r.started - T0 for r in poller.reports] == [
            timedelta(seconds=s) for s in (0, 300, 600, 900)
        ]
        poller.set_refresh_interval(1)  # applies from the next run
        await clock.advance_async(300 + 120)
        starts = [(r.started - T0).total_seconds() for r in poller.reports]
        assert starts[-3:] == [1200, 1260, 1320]
    finally:
        await poller.stop()


async def test_runs_never_overlap(state: State, clock: Clock) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    active = 0
    overlaps = 0
    original = store.list_page

    async def slow_list_page(endpoint: str, params: Mapping[str, Any]) -> Any:
        nonlocal active, overlaps
        active += 1
        overlaps += active > 1
        await asyncio.sleep(0.01)
        active -= 1
        return await original(endpoint, params)

    store.list_page = slow_list_page  # type: ignore[method-assign]
    await asyncio.gather(*(poller.poll_once() for _ in range(4)))
    assert overlaps == 0 and len(poller.reports) == 4


def test_refresh_interval_must_be_positive(clock: Clock) -> None:
    with pytest.raises(ValueError, match="refresh_interval"):
        Poller(
            instance_id=1,
            resources=[plan()],
            source=FakeStore(),
            state=State(None),
            clock=clock,
            callback_url="http://x",
            refresh_interval=0,
        )


async def test_the_largest_refresh_interval_polls_without_overflow(
    state: State, clock: Clock
) -> None:
    from pytest_woosim.config import MAX_REFRESH_MINUTES

    store = FakeStore()
    poller = make_poller(store, state, clock)
    poller.set_refresh_interval(MAX_REFRESH_MINUTES)
    clock.advance(1)
    store.add(clock.now())
    clock.advance(60)
    for _ in range(2):
        report = await poller.poll_once()  # prunes dedupe keys with the interval as margin
        assert report.ok
    for bad in (MAX_REFRESH_MINUTES + 1, 1e17, 1e308):
        with pytest.raises(ValueError, match="at most 999999999"):
            poller.set_refresh_interval(bad)


def test_a_configured_date_field_reads_each_string_as_its_pattern_says_every_time() -> None:
    from pytest_woosim.poller.plan import date_field
    from pytest_woosim.poller.scan import DateUnreadable

    field = date_field("date_modified", "yyyy-MM-dd'T'HH:mm:ss", "America/New_York")
    summer = {"date_modified": "2024-05-01T08:00:00"}
    winter = {"date_modified": "2024-01-01T08:00:00"}
    for _ in range(2):  # the second read answers from what the first one kept
        assert field.read(summer) == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        assert field.read(winter) == datetime(2024, 1, 1, 13, 0, tzinfo=UTC)
        with pytest.raises(DateUnreadable):
            field.read({"date_modified": "01/05/2024"})


async def test_dedupe_keys_are_pruned_hourly_once_no_window_can_read_them(
    state: State, clock: Clock
) -> None:
    from pytest_woosim.poller.poller import SEEN_PRUNE_EVERY, SEEN_PRUNE_MARGIN

    store = FakeStore()
    poller = make_poller(store, state, clock)
    cutoffs: list[datetime | None] = []
    prune = state.prune_seen

    async def counting(older_than: datetime | None = None) -> int:
        cutoffs.append(older_than)
        return await prune(older_than)

    state.prune_seen = counting  # type: ignore[method-assign]
    await poller.poll_once()
    clock.advance(10)
    rid = store.add(clock.now())
    key = content_key("orders", store.records[rid])
    polls = int((SEEN_PRUNE_MARGIN + 3 * SEEN_PRUNE_EVERY) / timedelta(minutes=5))
    remembered_at: list[bool] = []
    for _ in range(polls):
        clock.advance(300)
        assert (await poller.poll_once()).ok
        remembered_at.append(not await state.unseen("42", [key]))
    # Once an hour of clock time, not after every run; each cutoff behind the last
    # window by the margin and one interval.
    assert len(cutoffs) == 1 + polls * 5 // 60
    marks = await state.watermarks("42")
    assert cutoffs[-1] is not None
    assert cutoffs[-1] <= marks["orders"].timestamp - SEEN_PRUNE_MARGIN - timedelta(minutes=5)
    # The record's key is kept while a window could read it again, then dropped.
    assert remembered_at[0] and not remembered_at[-1]
    assert remembered_at.index(False) * 5 >= SEEN_PRUNE_MARGIN / timedelta(minutes=1)


async def test_a_run_that_reads_nothing_new_wakes_no_sender(state: State, clock: Clock) -> None:
    store = FakeStore()
    store.add(T0 - timedelta(hours=1))
    poller = make_poller(store, state, clock, plan("customers"), plan())
    told: list[str] = []
    state.add_enqueue_listener(told.append)
    await poller.poll_once()
    clock.advance(300)
    await poller.poll_once()
    assert told == []  # the watermarks moved; the outbox did not grow
    store.add(clock.now())
    clock.advance(300)
    await poller.poll_once()
    await state.outbox_counts("42")  # a later job: the listener ran on the thread before it
    assert told == ["42", "42"]  # the new record, read by both resources' scans


async def test_a_version_sent_by_an_earlier_run_is_counted_as_a_duplicate_not_an_event(
    state: State, clock: Clock
) -> None:
    store = FakeStore()
    poller = make_poller(store, state, clock)
    lookups: list[list[str]] = []
    unseen = state.unseen

    async def counting(instance: str | int, keys: Any) -> list[str]:
        lookups.append(list(keys))
        return await unseen(instance, keys)

    state.unseen = counting  # type: ignore[method-assign]
    clock.advance(1)
    rid = store.add(clock.now())
    clock.advance(0.3)
    first = await poller.poll_once()  # the watermark lands in the record's second
    clock.advance(300)
    second = await poller.poll_once()  # reads that second again: the same version
    assert (first.resources[0].events, first.resources[0].duplicates) == (1, 0)
    assert (second.resources[0].events, second.resources[0].duplicates) == (0, 1)
    assert [e["objectId"] for e in await outbox_events(state)] == [str(rid)]
    # Decided in the commit's transaction: the scan asks the state nothing itself.
    assert lookups == []


def test_without_nulls_drops_null_fields_at_every_depth_and_keeps_the_rest() -> None:
    from collections import OrderedDict

    from pytest_woosim.poller.events import without_nulls

    record = {
        "id": 7,
        "date_completed": None,
        "total": "1.50",
        "paid": True,
        "rate": 0.5,
        "billing": {"company": None, "city": "Lyon", "nested": {"gone": None, "kept": 0}},
        "line_items": [{"sku": None, "meta_data": [], "taxes": [{"id": 1, "x": None}]}],
        "values": [None, 1, "a", [None, {"z": None}]],
        "ordered": OrderedDict([("b", None), ("a", 1)]),
        "empty": {"only": None},
    }
    copy = json.loads(json.dumps(record))
    assert without_nulls(record) == {
        "id": 7,
        "total": "1.50",
        "paid": True,
        "rate": 0.5,
        "billing": {"city": "Lyon", "nested": {"kept": 0}},
        "line_items": [{"meta_data": [], "taxes": [{"id": 1}]}],
        "values": [None, 1, "a", [None, {}]],  # a list keeps its places, nulls too
        "ordered": {"a": 1},
        "empty": {},
    }
    assert list(without_nulls(record)) == [k for k in record if record[k] is not None]
    assert json.loads(json.dumps(record)) == copy  # the record itself is left as it was
    assert without_nulls("text") == "text" and without_nulls(None) is None


def test_a_date_field_reads_top_level_and_nested_paths_alike() -> None:
    from types import MappingProxyType

    from pytest_woosim.poller.plan import date_field
    from pytest_woosim.poller.scan import DateUnreadable

    top = date_field("date_modified_gmt", "yyyy-MM-dd'T'HH:mm:ss", "GMT")
    nested = date_field("dates.modified", "yyyy-MM-dd'T'HH:mm:ss", "GMT")
    quoted = date_field("['Modified Time']", "yyyy-MM-dd'T'HH:mm:ss", "GMT")
    expected = datetime(2024, 6, 3, 1, 2, 3, tzinfo=UTC)
    value = "2024-06-03T01:02:03"
    assert top.read({"date_modified_gmt": value}) == expected
    assert top.read(MappingProxyType({"date_modified_gmt": value})) == expected
    assert nested.read({"dates": {"modified": value}}) == expected
    assert quoted.read({"Modified Time": value}) == expected
    for field, record in (
        (top, {"date_modified_gmt": None}),
        (top, {}),
        (nested, {"dates.modified": value}),  # a dotted path is not a field name
        (top, {"date_modified_gmt": "yesterday"}),
    ):
        with pytest.raises(DateUnreadable):
            field.read(record)
