"""The windowed scan against a tiny in-test page source with WooCommerce's list semantics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytest_woosim.poller.scan import (
    Backoff,
    Change,
    DateUnreadable,
    ResourceScan,
    ScanSpec,
    Strategy,
    Window,
    content_key,
    format_wc_gmt,
    parse_wc_gmt,
    read_path,
)
from pytest_woosim.poller.storeclient import Page, StoreUnavailable
from simulator.clock import Clock

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class FakeStore:
    """Orders/customers with strict GMT date filters, id or modified order, offset paging.

    ``before_request`` runs before each request answers, so a test can change
    the store between page requests.
    """

    def __init__(self) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.requests: list[dict[str, Any]] = []
        self.before_request: Callable[[int], None] | None = None
        self.failures: list[StoreUnavailable] = []

    def add(self, modified: datetime, **fields: Any) -> int:
        rid = self.next_id
        self.next_id += 1
        self.records[rid] = {
            "id": rid,
            "date_created_gmt": format_wc_gmt(modified),
            "date_modified_gmt": format_wc_gmt(modified),
            "version": 0,
            **fields,
        }
        return rid

    def touch(self, rid: int, modified: datetime) -> None:
        record = self.records[rid]
        record["date_modified_gmt"] = format_wc_gmt(modified)
        record["version"] += 1

    async def list_page(
        self, endpoint: str, params: Mapping[str, str | int | float | bool]
    ) -> Page:
        self.requests.append(dict(params))
        if self.before_request is not None:
            self.before_request(len(self.requests))
        if self.failures:
            raise self.failures.pop(0)
        rows = list(self.records.values())
        # Strict comparisons, as the store's date filters are.
        for name, column, later in (
            ("modified_after", "date_modified_gmt", True),
            ("modified_before", "date_modified_gmt", False),
            ("after", "date_created_gmt", True),
            ("before", "date_created_gmt", False),
        ):
            if name in params:
                bound = str(params[name])
                rows = [r for r in rows if (r[column] > bound if later else r[column] < bound)]
        if params.get("orderby") == "modified":
            rows.sort(key=lambda r: (r["date_modified_gmt"], r["id"]))
        elif params.get("orderby") == "date":
            rows.sort(key=lambda r: (r["date_created_gmt"], r["id"]))
        else:
            rows.sort(key=lambda r: r["id"])
        if "include" in params:
            wanted = {int(i) for i in str(params["include"]).split(",")}
            rows = [r for r in rows if r["id"] in wanted]
        per_page = int(params.get("per_page", 10))
        offset = int(params.get("offset", (int(params.get("page", 1)) - 1) * per_page))
        chunk = rows[offset : offset + per_page]
        links = {"next": "x"} if offset + per_page < len(rows) else {}
        pages = -(-len(rows) // per_page)
        if "_fields" in params:
            # rest_filter_response_fields on a list: each item keeps the named fields.
            names = str(params["_fields"]).split(",")
            shown = [{k: v for k, v in r.items() if k in names} for r in chunk]
        else:
            shown = [dict(r) for r in chunk]
        return Page(shown, total=len(rows), total_pages=pages, links=links)


def modified_of(record: Mapping[str, Any]) -> datetime:
    value = parse_wc_gmt(record.get("date_modified_gmt"))
    if value is None:
        raise DateUnreadable("date_modified_gmt", record.get("date_modified_gmt"), "no date")
    return value


class SeenSet:
    def __init__(self) -> None:
        self.keys: set[str] = set()

    async def __call__(self, keys: Sequence[str]) -> set[str]:
        return {k for k in keys if k in self.keys}


async def collect(scan: ResourceScan) -> list[Change]:
    out: list[Change] = []
    async for batch in scan.batches():
        out.extend(batch)
    return out


def make_scan(
    store: FakeStore,
    window: Window,
    strategy: Strategy = Strategy.MODIFIED_KEYSET,
    page_size: int = 10,
    seen: SeenSet | None = None,
    clock: Clock | None = None,
    date_of: Callable[[Mapping[str, Any]], datetime] = modified_of,
    light_fields: tuple[str, ...] = (),
) -> ResourceScan:
    return ResourceScan(
        store,
        ScanSpec("orders", "orders", "id", strategy, page_size, light_fields=light_fields),
        window,
        date_of=date_of,
        already_seen=seen or SeenSet(),
        clock=clock or Clock(T0, frozen=True),
    )


# ---------------------------------------------------------------------- helpers


def test_content_key_depends_on_content_not_links() -> None:
    a = {"id": 7, "total": "1.00", "_links": {"self": [{"href": "http://a"}]}}
    b = {"id": 7, "total": "1.00", "_links": {"self": [{"href": "http://b"}]}}
    c = {"id": 7, "total": "2.00"}
    assert content_key("orders", a) == content_key("orders", b)
    assert content_key("orders", a) != content_key("orders", c)
    assert content_key("orders", a).startswith("orders:7:")
    assert content_key("customers", a) != content_key("orders", a)


def test_read_path_dotted_and_bracket() -> None:
    record = {"user": {"id": 5}, "Modified Time": "x", "items": [{"id": 9}]}
    assert read_path(record, "user.id") == 5
    assert read_path(record, "['Modified Time']") == "x"
    assert read_path(record, "items.0.id") == 9
    assert read_path(record, "missing.id") is None


def test_window_admits_the_watermark_second_and_caps() -> None:
    lower = T0 + timedelta(seconds=0.4)
    window = Window(lower, T0 + timedelta(seconds=60), cap_upper=True)
    assert window.admits(T0)  # same second as the watermark: read again
    assert not window.admits(T0 - timedelta(seconds=1))
    assert window.admits(T0 + timedelta(seconds=60))
    assert not window.admits(T0 + timedelta(seconds=61))
    assert Window(None, T0).admits(datetime(1990, 1, 1, tzinfo=UTC))
    assert Window(lower, T0).admits(T0 + timedelta(days=1))  # uncapped


# ---------------------------------------------------------------------- keyset paging


async def test_keyset_returns_every_record_in_the_window_once() -> None:
    store = FakeStore()
    before = store.add(T0 - timedelta(seconds=5))
    ids = [store.add(T0 + timedelta(seconds=i // 3)) for i in range(95)]
    changes = await collect(make_scan(store, Window(T0, T0 + timedelta(minutes=5))))
    assert [c.record_id for c in changes] == [str(i) for i in ids]
    assert before not in {int(c.record_id) for c in changes}
    # The server-side window starts one second before the watermark's second.
    first = store.requests[0]
    assert first["modified_after"] == format_wc_gmt(T0 - timedelta(seconds=1))
    assert first["dates_are_gmt"] == "true"
    assert (first["orderby"], first["order"], first["page"]) == ("modified", "asc", 1)
    assert all(r["page"] == 1 for r in store.requests)


async def test_more_than_a_page_in_one_second_falls_back_to_id_order() -> None:
    store = FakeStore()
    ids = [store.add(T0 + timedelta(seconds=3)) for _ in range(37)]
    ids += [store.add(T0 + timedelta(seconds=4)) for _ in range(5)]
    changes = await collect(make_scan(store, Window(T0, T0 + timedelta(minutes=1)), page_size=10))
    assert sorted(int(c.record_id) for c in changes) == ids
    assert len(changes) == len(ids)
    assert any(r.get("orderby") == "id" for r in store.requests)


async def test_records_modified_between_page_requests_are_not_skipped() -> None:
    store = FakeStore()
    ids = [store.add(T0 + timedelta(seconds=i)) for i in range(30)]
    moved: list[int] = []

    def modify(request_number: int) -> None:
        # After the first page was read, records 3 and 12 change: both move to
        # the end of the modified order, which shifts every later row.
        if request_number == 2:
            for rid in (ids[3], ids[12]):
                store.touch(rid, T0 + timedelta(seconds=40))
                moved.append(rid)

    store.before_request = modify
    changes = await collect(make_scan(store, Window(T0, T0 + timedelta(minutes=5)), page_size=10))
    emitted = [int(c.record_id) for c in changes]
    assert set(emitted) == set(ids)
    # Record 3 was read before it changed, so both versions arrive (two changes);
    # record 12 changed before it was read: only its current version arrives.
    versions = [(int(c.record_id), c.record["version"]) for c in changes]
    assert versions.count((ids[3], 0)) == 1 and versions.count((ids[3], 1)) == 1
    assert [v for v in versions if v[0] == ids[12]] == [(ids[12], 1)]
    assert len(emitted) == len(ids) + 1


async def test_naive_offset_paging_would_skip_under_the_same_changes() -> None:
    """The reason for keyset paging: offset paging over a changing set loses rows."""
    store = FakeStore()
    ids = [store.add(T0 + timedelta(seconds=i)) for i in range(30)]

    def modify(request_number: int) -> None:
        if request_number == 2:
            store.touch(ids[3], T0 + timedelta(seconds=40))

    store.before_request = modify
    seen: list[int] = []
    for page in (1, 2, 3, 4):
        result = await store.list_page(
            "orders",
            {"orderby": "modified", "order": "asc", "per_page": 10, "page": page},
        )
        seen.extend(r["id"] for r in result.records)
    assert ids[10] not in seen  # shifted from page 2 into page 1 after page 1 was read


async def test_capped_window_pushes_the_upper_bound_and_drops_later_records() -> None:
    store = FakeStore()
    inside = store.add(T0 + timedelta(seconds=10))
    store.add(T0 + timedelta(seconds=61))
    window = Window(T0, T0 + timedelta(seconds=60, milliseconds=300), cap_upper=True)
    changes = await collect(make_scan(store, window))
    assert [int(c.record_id) for c in changes] == [inside]
    assert store.requests[0]["modified_before"] == format_wc_gmt(T0 + timedelta(seconds=61))


async def test_already_seen_versions_are_not_emitted_but_new_versions_are() -> None:
    store = FakeStore()
    rid = store.add(T0)
    seen = SeenSet()
    first = await collect(make_scan(store, Window(T0 - timedelta(minutes=1), T0), seen=seen))
    assert [c.record_id for c in first] == [str(rid)]
    seen.keys.update(c.key for c in first)
    # Next run: window starts at the watermark T0; the record's second is read again.
    again = await collect(make_scan(store, Window(T0, T0 + timedelta(minutes=1)), seen=seen))
    assert again == []
    # A second change in the same second is new content: it arrives.
    store.touch(rid, T0)
    third = await collect(make_scan(store, Window(T0, T0 + timedelta(minutes=1)), seen=seen))
    assert [(c.record_id, c.record["version"]) for c in third] == [(str(rid), 1)]


async def test_backfill_sends_no_lower_bound() -> None:
    store = FakeStore()
    old = store.add(datetime(2001, 1, 1, tzinfo=UTC))
    changes = await collect(make_scan(store, Window(None, T0)))
    assert [int(c.record_id) for c in changes] == [old]
    assert "modified_after" not in store.requests[0]


async def test_created_keyset_uses_created_filters() -> None:
    store = FakeStore()
    rid = store.add(T0 + timedelta(seconds=5))
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), strategy=Strategy.CREATED_KEYSET)
    changes = await collect(scan)
    assert [int(c.record_id) for c in changes] == [rid]
    assert store.requests[0]["orderby"] == "date"
    assert "after" in store.requests[0]


async def test_unreadable_dates_are_skipped_and_the_scan_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    good = store.add(T0 + timedelta(seconds=1), local="2024-05-01T12:00:01")
    bad = store.add(T0 + timedelta(seconds=2), local="not a date")

    def local_of(record: Mapping[str, Any]) -> datetime:
        try:
            return datetime.strptime(record["local"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError as exc:
            raise DateUnreadable("local", record["local"], str(exc)) from exc

    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), date_of=local_of)
    with caplog.at_level("WARNING", logger="woosim.scan"):
        changes = await collect(scan)
    assert [int(c.record_id) for c in changes] == [good]
    assert scan.stats.unreadable_dates == 1
    assert f"orders {bad} skipped" in caplog.text and "not a date" in caplog.text


async def test_transient_errors_back_off_on_the_clock_honouring_retry_after() -> None:
    store = FakeStore()
    rid = store.add(T0 + timedelta(seconds=1))
    store.failures = [StoreUnavailable("HTTP 429", retry_after=30, status=429)]
    clock = Clock(T0, frozen=True)
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), clock=clock)
    task = asyncio.create_task(collect(scan))
    for _ in range(50):
        await asyncio.sleep(0)
        if clock.pending():
            break
    assert clock.next_deadline() == T0 + timedelta(seconds=30)
    assert not task.done()
    await clock.advance_async(30)
    changes = await asyncio.wait_for(task, 5)
    assert [int(c.record_id) for c in changes] == [rid]
    assert scan.stats.retries == 1


async def test_persistent_errors_are_raised_after_the_last_attempt() -> None:
    store = FakeStore()
    store.failures = [StoreUnavailable("HTTP 500", status=500) for _ in range(3)]
    scan = ResourceScan(
        store,
        ScanSpec("orders", "orders", "id", Strategy.MODIFIED_KEYSET, 10),
        Window(T0, T0 + timedelta(minutes=1)),
        date_of=modified_of,
        already_seen=SeenSet(),
        clock=Clock(T0, frozen=True),
        backoff=Backoff(attempts=3, first_delay=0, max_delay=0),
    )
    with pytest.raises(StoreUnavailable):
        await collect(scan)
    assert not scan.stats.complete


# ---------------------------------------------------------------------- id-ordered scans


async def test_full_scan_survives_deletions_between_pages() -> None:
    store = FakeStore()
    ids = [store.add(T0 + timedelta(seconds=1)) for _ in range(35)]

    def delete(request_number: int) -> None:
        if request_number == 2:
            for rid in ids[0:4]:  # four rows before our position disappear
                del store.records[rid]

    store.before_request = delete
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), strategy=Strategy.FULL_BY_ID)
    changes = await collect(scan)
    emitted = [int(c.record_id) for c in changes]
    assert emitted == ids  # the first four were read before they were deleted
    assert scan.stats.complete
    assert scan.stats.all_ids == {str(i) for i in ids}
    assert all(r["orderby"] == "id" for r in store.requests)


async def test_full_scan_filters_locally_by_date() -> None:
    store = FakeStore()
    store.add(T0 - timedelta(hours=1))
    recent = store.add(T0 + timedelta(seconds=5))
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), strategy=Strategy.FULL_BY_ID)
    changes = await collect(scan)
    assert [int(c.record_id) for c in changes] == [recent]
    assert scan.stats.outside_window == 1
    assert len(scan.stats.all_ids) == 2
    assert "modified_after" not in store.requests[0]


async def test_full_scan_ends_at_the_stores_total_without_an_empty_page() -> None:
    store = FakeStore()
    for _ in range(19):
        store.add(T0 + timedelta(seconds=1))
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), strategy=Strategy.FULL_BY_ID)
    assert len(await collect(scan)) == 19
    # Pages of 10 overlapping by one: records 1-10, then 10-19, which reaches X-WP-Total.
    assert [r["offset"] for r in store.requests] == [0, 9]
    assert scan.stats.complete


async def test_full_scan_of_exactly_one_page_is_one_request() -> None:
    store = FakeStore()
    for _ in range(10):
        store.add(T0 + timedelta(seconds=1))
    scan = make_scan(store, Window(T0, T0 + timedelta(minutes=1)), strategy=Strategy.FULL_BY_ID)
    assert len(await collect(scan)) == 10
    assert len(store.requests) == 1


LIGHT = ("id", "date_modified_gmt", "date_created_gmt")


async def test_light_full_scan_reads_only_the_changed_records_in_full() -> None:
    store = FakeStore()
    old = [store.add(T0 - timedelta(hours=1), name=f"old {i}") for i in range(25)]
    changed = [old[3], old[17], old[24]]
    for rid in changed:
        store.touch(rid, T0 + timedelta(seconds=5))
    fresh = store.add(T0 + timedelta(seconds=7), name="new")
    scan = make_scan(
        store,
        Window(T0, T0 + timedelta(minutes=1)),
        strategy=Strategy.FULL_BY_ID,
        light_fields=LIGHT,
    )
    changes = await collect(scan)
    assert [int(c.record_id) for c in changes] == [*changed, fresh]
    # The changes carry whole records, keyed on their whole content.
    assert all(c.record == store.records[int(c.record_id)] for c in changes)
    assert [c.key for c in changes] == [content_key("orders", c.record) for c in changes]
    lights = [r for r in store.requests if "_fields" in r]
    fulls = [r for r in store.requests if "_fields" not in r]
    assert [r["_fields"] for r in lights] == ["id,date_modified_gmt,date_created_gmt"] * 3
    # One include request per light page holding a change: ids 4 (page 1), 18 (page 2),
    # 25 and 26 (page 3).
    assert [r["include"] for r in fulls] == ["4", "18", "25,26"]
    assert scan.stats.all_ids == {str(i) for i in store.records}
    assert scan.stats.complete


async def test_light_full_scan_without_changes_reads_no_record_in_full() -> None:
    store = FakeStore()
    for _ in range(10):
        store.add(T0 - timedelta(hours=1))
    scan = make_scan(
        store, Window(T0, T0 + timedelta(minutes=1)), Strategy.FULL_BY_ID, light_fields=LIGHT
    )
    assert await collect(scan) == []
    assert len(store.requests) == 1 and "_fields" in store.requests[0]


async def test_light_full_scan_misses_no_change_made_between_its_two_reads() -> None:
    store = FakeStore()
    rid = store.add(T0 + timedelta(seconds=5))
    other = store.add(T0 + timedelta(seconds=6))
    window = Window(T0, T0 + timedelta(minutes=1), cap_upper=True)

    def change_in_between(request_number: int) -> None:
        if request_number == 2:  # after the light page, before the records in full
            store.touch(rid, T0 + timedelta(minutes=2))  # now after the window
            del store.records[other]

    store.before_request = change_in_between
    seen = SeenSet()
    scan = make_scan(store, window, strategy=Strategy.FULL_BY_ID, light_fields=LIGHT, seen=seen)
    assert await collect(scan) == []  # dated after this window now, and gone
    # The next window (from this one's upper bound) has the change.
    store.before_request = None
    later = Window(window.upper, T0 + timedelta(minutes=5))
    changes = await collect(
        make_scan(store, later, strategy=Strategy.FULL_BY_ID, light_fields=LIGHT, seen=seen)
    )
    assert [int(c.record_id) for c in changes] == [rid]
    assert changes[0].record["version"] == 1


async def test_light_full_scan_reads_a_record_whose_light_dates_do_not_read_in_full() -> None:
    store = FakeStore()
    odd = store.add(T0 + timedelta(seconds=5))
    store.records[odd]["date_modified_gmt"] = None  # a store that leaves it out
    store.add(T0 - timedelta(hours=1))
    scan = make_scan(
        store, Window(T0, T0 + timedelta(minutes=1)), Strategy.FULL_BY_ID, light_fields=LIGHT
    )
    assert await collect(scan) == []
    assert [r.get("include") for r in store.requests] == [None, str(odd)]
    assert scan.stats.unreadable_dates == 1  # counted once, on the full record


async def test_page_size_is_validated() -> None:
    with pytest.raises(ValueError, match="pageSize"):
        make_scan(FakeStore(), Window(T0, T0), page_size=101)


def test_content_key_is_the_hash_of_the_sorted_compact_json() -> None:
    """Keys are kept in state files and shared with the relay: the formula is fixed."""
    import hashlib
    import json

    record = {
        "total": "1.00",
        "id": 7,
        "note": "caf\u00e9 \u2603",
        "lines": [{"b": None, "a": 1.5}],
        "ok": True,
        "_links": {"self": []},
    }
    canonical = (
        '{"id":7,"lines":[{"a":1.5,"b":null}],"note":"caf\u00e9 \u2603","ok":true,"total":"1.00"}'
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
    assert content_key("orders", record) == f"orders:7:{digest}"
    assert digest == "c247ec3b8ab41e86a04f08ab640ebef6"
    assert json.loads(canonical) == {k: v for k, v in record.items() if k != "_links"}
