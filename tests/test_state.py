"""Durable state: outbox order, atomic windows, restart from the file, dedupe keys, kv."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pytest_woosim.outbox.notifications import Event, Notification, build_notifications
from pytest_woosim.outbox.state import (
    State,
    StateClosedError,
    StateStore,
    Watermark,
    is_postgres_url,
    open_state,
)
from pytest_woosim.outbox.state.postgres import PostgresState
from pytest_woosim.outbox.state.sqlite_schema import connect
from simulator.clock import Clock

START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
URL = "http://127.0.0.1:9/events"


@dataclass
class Engine:
    """Builds the state under test: SQLite (a file or memory), or a PostgreSQL schema."""

    name: str
    pg_url: str | None = None

    def state(self, path: Path | None, **options: Any) -> StateStore:
        if self.pg_url is None:
            return State(path, **options)
        # One schema per test: a second state "at the same path" is a restart.
        options.pop("synchronous", None)
        return PostgresState(self.pg_url, **options)

    @property
    def integrity_error(self) -> type[Exception]:
        return sqlite3.IntegrityError if self.pg_url is None else psycopg.errors.UniqueViolation


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "sqlite":
        return Engine("sqlite")
    return Engine("postgresql", request.getfixturevalue("pg_url"))


def _notes(n: int, *, object_type: str = "customers") -> list[Notification]:
    events = [Event(object_type, i, "UPDATED", START) for i in range(n)]
    return build_notifications(events, {"objectType": object_type}, instance_id=7, max_events=1)


async def test_enqueue_keeps_order_and_exact_bytes(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        notes = _notes(5)
        seqs = await state.enqueue(7, URL, notes, group_key="customers")
        assert seqs == sorted(seqs)
        items = await state.outbox_batch(7)
        assert [i.notification_id for i in items] == [n.id for n in notes]
        assert [i.body for i in items] == [n.body for n in notes]
        assert all(i.status == "pending" and i.attempts == 0 for i in items)
        assert items[0].group_key == "customers" and items[0].callback_url == URL
        assert (await state.outbox_counts(7)).pending == 5
        assert (await state.outbox_counts(8)).pending == 0


async def test_concurrent_enqueues_share_transactions(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        before = state.batches
        await asyncio.gather(*(state.enqueue(7, URL, _notes(1)) for _ in range(300)))
        assert (await state.outbox_counts(7)).pending == 300
        # Group commit: far fewer commits than operations.
        assert state.batches - before < 100


async def test_wal_and_full_sync_are_on(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with State(path) as state:
        await state.enqueue(7, URL, _notes(1))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_savepoint_journals_stay_in_memory(tmp_path: Path) -> None:
    # Every job runs in a savepoint; a journal in a temporary file would cost a file
    # per transaction and a write per page the job changes.
    conn = connect(tmp_path / "s.db", "FULL")
    try:
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        conn.close()


async def test_window_commit_is_atomic(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        mark = Watermark(START, {"page": 3})
        notes = _notes(2)
        # The same notification id twice violates the outbox's unique id: nothing may stick.
        with pytest.raises(engine.integrity_error):
            await state.commit_window(
                7, "customers", mark, [notes[0], notes[0]], ["k1"], callback_url=URL
            )
        assert await state.get_watermark(7, "customers") is None
        assert (await state.outbox_counts(7)).pending == 0
        assert await state.unseen(7, ["k1"]) == ["k1"]

        await state.commit_window(7, "customers", mark, notes, ["k1", "k2"], callback_url=URL)
        assert await state.get_watermark(7, "customers") == mark
        assert (await state.outbox_counts(7)).pending == 2
        assert await state.unseen(7, ["k1", "k2", "k3"]) == ["k3"]


async def test_failed_job_does_not_undo_its_batch_mates(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        dup = _notes(1)
        await state.enqueue(7, URL, dup)
        results = await asyncio.gather(
            state.enqueue(7, URL, _notes(1)),
            state.enqueue(7, URL, dup),  # duplicate id: fails alone
            state.enqueue(7, URL, _notes(1)),
            return_exceptions=True,
        )
        assert isinstance(results[1], engine.integrity_error)
        assert (await state.outbox_counts(7)).pending == 3


async def test_restart_from_file_resumes_outbox_watermarks_and_retry_state(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "s.db"
    clock = Clock(START, frozen=True)
    notes = _notes(3)
    async with engine.state(path, clock=clock) as state:
        await state.commit_window(
            7, "orders", Watermark(START, None), notes, ["o1"], callback_url=URL
        )
        head = (await state.outbox_batch(7, 1))[0]
        await state.record_failure(
            head.seq,
            attempts=2,
            first_failure_at=START.timestamp(),
            next_attempt_at=START.timestamp() + 16,
            error="HTTP 500",
        )
        await state.kv_set(7, "webhooks", {"customer.created": 12, "secret": "x"})

    async with engine.state(path, clock=clock) as again:
        items = await again.outbox_batch(7)
        assert [i.notification_id for i in items] == [n.id for n in notes]
        assert items[0].attempts == 2
        assert items[0].first_failure_at == START.timestamp()
        assert items[0].next_attempt_at == START.timestamp() + 16
        assert items[0].last_error == "HTTP 500"
        assert await again.get_watermark(7, "orders") == Watermark(START, None)
        assert await again.watermarks(7) == {"orders": Watermark(START, None)}
        assert await again.unseen(7, ["o1", "o2"]) == ["o2"]
        assert await again.kv_get(7, "webhooks") == {"customer.created": 12, "secret": "x"}
        assert await again.outbox_instances() == ["7"]


async def test_watermark_keeps_microseconds_and_cursor(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        mark = Watermark(START + timedelta(microseconds=123457), {"ids": [1, 2], "etag": "a"})
        await state.set_watermark("i", "products", mark)
        assert await state.get_watermark("i", "products") == mark
        later = Watermark(START + timedelta(hours=1))
        await state.set_watermark("i", "products", later)
        assert await state.get_watermark("i", "products") == later


async def test_dedupe_keys_are_per_instance_and_bounded_by_age(engine: Engine) -> None:
    clock = Clock(START, frozen=True)
    async with engine.state(None, clock=clock, seen_max_age=3600) as state:
        await state.mark_seen(1, ["a", "b"])
        assert await state.unseen(2, ["a"]) == ["a"]
        assert await state.unseen(1, ["a", "c", "a"]) == ["c"]
        clock.advance(1800)
        await state.mark_seen(1, ["c"])
        clock.advance(1801)
        assert await state.prune_seen() == 2  # a and b are older than an hour, c is not
        assert await state.unseen(1, ["a", "b", "c"]) == ["a", "b"]


async def test_many_dedupe_keys_in_one_query(engine: Engine) -> None:
    async with engine.state(None) as state:
        keys = [f"k{i}" for i in range(1200)]
        await state.mark_seen(1, keys[::2])
        assert await state.unseen(1, keys) == keys[1::2]


async def test_park_and_unpark(engine: Engine) -> None:
    clock = Clock(START, frozen=True)
    async with engine.state(None, clock=clock) as state:
        await state.enqueue(7, URL, _notes(2))
        head = (await state.outbox_batch(7))[0]
        parked = await state.park(
            7, head.seq, attempts=10, first_failure_at=1.0, next_probe_at=99.0, error="HTTP 503"
        )
        assert parked == 2
        # Items queued behind a parked head are parked too.
        await state.enqueue(7, URL, _notes(1))
        counts = await state.outbox_counts(7)
        assert (counts.pending, counts.parked) == (0, 3)
        assert (await state.outbox_batch(7))[0].next_attempt_at == 99.0
        assert await state.unpark(7) == 3
        items = await state.outbox_batch(7)
        assert all(i.status == "pending" and i.attempts == 0 for i in items)
        assert items[0].next_attempt_at is None and items[0].first_failure_at is None


async def test_enqueue_listener_runs_after_commit(engine: Engine) -> None:
    async with engine.state(None) as state:
        loop = asyncio.get_running_loop()
        woke = asyncio.Event()
        seen: list[str] = []

        def listener(instance: str) -> None:
            seen.append(instance)
            loop.call_soon_threadsafe(woke.set)

        remove = state.add_enqueue_listener(listener)
        await state.enqueue(5, URL, _notes(1))
        await asyncio.wait_for(woke.wait(), 5)
        assert seen == ["5"]
        remove()
        await state.enqueue(5, URL, _notes(1))
        assert seen == ["5"]


async def test_kv_roundtrip(engine: Engine) -> None:
    async with engine.state(None) as state:
        assert await state.kv_get(1, "missing") is None
        await state.kv_set(1, "a", [1, 2])
        await state.kv_set(1, "a", {"x": True})
        await state.kv_set(1, "b", "text")
        assert await state.kv_items(1) == {"a": {"x": True}, "b": "text"}
        assert await state.kv_delete(1, "a") is True
        assert await state.kv_delete(1, "a") is False
        assert await state.kv_items(2) == {}


async def test_closed_state_refuses_work(engine: Engine) -> None:
    state = engine.state(None)
    await state.open()
    await state.close()
    with pytest.raises(StateClosedError):
        await state.kv_get(1, "a")


async def test_unopenable_path_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateClosedError, match="cannot open state database"):
        await State(blocker / "s.db").open()


def test_synchronous_is_validated() -> None:
    with pytest.raises(ValueError, match="synchronous"):
        State(None, synchronous="OFF")  # type: ignore[arg-type]


_CHILD = """
import asyncio, sys
from pytest_woosim.outbox.notifications import Event, build_notifications
from pytest_woosim.outbox.state import State

async def main() -> None:
    state = State(sys.argv[1])
    await state.open()
    n = 0
    while True:
        n += 1
        notes = build_notifications(
            [Event("orders", n, "CREATED", "2024-03-10T06:00:00Z")], {}, instance_id=1, max_events=1
        )
        await state.enqueue(1, "http://127.0.0.1:9/", notes)
        print(notes[0].id, flush=True)  # acknowledged only after the commit

asyncio.run(main())
"""


async def test_acknowledged_enqueues_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(path), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    acknowledged: list[str] = []
    try:
        while len(acknowledged) < 50:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the writer process stopped"
            acknowledged.append(line.decode().strip())
    finally:
        proc.kill()  # SIGKILL, mid-stream
        await proc.wait()
    async with State(path) as state:
        stored = {item.notification_id for item in await state.outbox_batch(1, 100_000)}
    assert set(acknowledged) <= stored


async def test_seq_is_never_reused_after_deletes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with State(path) as state:
        (first,) = await state.enqueue(7, URL, _notes(1))
        await state.delete_delivered([first])
        (second,) = await state.enqueue(7, URL, _notes(1))
        assert second > first
    async with State(path) as again:
        (third,) = await again.enqueue(7, URL, _notes(1))
        assert third > second


async def test_a_version_1_outbox_is_migrated_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE outbox (
                seq INTEGER PRIMARY KEY, instance TEXT NOT NULL, callback_url TEXT NOT NULL,
                notification_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, group_key TEXT,
                created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                first_failure_at REAL, next_attempt_at REAL,
                status TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'parked')),
                last_error TEXT);
            CREATE INDEX outbox_by_instance ON outbox (instance, status, seq);
            INSERT INTO outbox (seq, instance, callback_url, notification_id, body, created_at,
                attempts) VALUES (5, '7', 'http://x/', 'n5', X'7B7D', 1.0, 2),
                (9, '7', 'http://x/', 'n9', X'7B7D', 1.0, 0);
            PRAGMA user_version=1;
            """
        )
    async with State(path) as state:
        items = await state.outbox_batch(7)
        assert [(i.seq, i.notification_id, i.attempts) for i in items] == [
            (5, "n5", 2),
            (9, "n9", 0),
        ]
        await state.delete_delivered([9])
        (seq,) = await state.enqueue(7, URL, _notes(1))
        assert seq == 10  # AUTOINCREMENT carried over the old high mark
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


async def test_parking_is_per_group(engine: Engine) -> None:
    clock = Clock(START, frozen=True)
    async with engine.state(None, clock=clock) as state:
        a = await state.enqueue(7, URL, _notes(2), group_key="a")
        await state.enqueue(7, URL, _notes(1), group_key="b")
        await state.enqueue(7, URL, _notes(1))  # no group key: its own group
        assert (
            await state.park(
                7, a[0], attempts=10, first_failure_at=1.0, next_probe_at=50.0, error="HTTP 500"
            )
            == 2
        )
        await state.enqueue(7, URL, _notes(1), group_key="a")  # parked behind its group
        await state.enqueue(7, URL, _notes(1), group_key="b")  # not parked
        counts = await state.outbox_counts(7)
        assert (counts.pending, counts.parked) == (3, 3)
        assert await state.unpark(7, group="b") == 0
        assert await state.unpark(7, group="a") == 3
        assert (await state.outbox_counts(7)).parked == 0


async def test_a_large_batch_keeps_order_parks_per_group_and_deletes_all(
    engine: Engine, tmp_path: Path
) -> None:
    # More rows, keys and deletes than one multi-row statement holds.
    async with engine.state(tmp_path / "s.db") as state:
        (held,) = await state.enqueue(7, URL, _notes(1), group_key="g1")
        await state.park(7, held, attempts=10, first_failure_at=1.0, next_probe_at=50.0, error="x")
        notes = _notes(301)
        groups = [f"g{i % 3}" for i in range(301)]
        keys = [f"k{i}" for i in range(301)]
        seqs = await state.commit_window(
            7, "customers", None, notes, keys, callback_url=URL, group_key=groups
        )
        assert len(seqs) == 301 and seqs == sorted(seqs) and seqs[0] > held
        items = [i for i in await state.outbox_batch(7, limit=400) if i.seq != held]
        assert [i.seq for i in items] == seqs
        assert [i.notification_id for i in items] == [n.id for n in notes]
        assert [i.group_key for i in items] == groups
        # Behind the parked head of g1, and only there, new rows are parked.
        assert [i.status for i in items] == ["parked" if g == "g1" else "pending" for g in groups]
        assert await state.unseen(7, [*keys, "new"]) == ["new"]
        await state.delete_delivered(seqs)
        assert [i.seq for i in await state.outbox_batch(7)] == [held]


async def test_group_reads_and_forward_reads(engine: Engine) -> None:
    async with engine.state(None) as state:
        seqs = await state.enqueue(7, URL, _notes(6), group_key=["a", "b", "a", None, "a", "b"])
        forward = await state.outbox_after(7, seqs[1], 3)
        assert [i.seq for i in forward] == seqs[2:5]
        a, b, none = await state.outbox_groups(
            7, [("a", seqs[0]), ("b", 0), (None, 0)], up_to=seqs[4], limit=10
        )
        assert [i.seq for i in a] == [seqs[2], seqs[4]]
        assert [i.seq for i in b] == [seqs[1]]  # seqs[5] is beyond up_to
        assert [i.seq for i in none] == [seqs[3]]
        with pytest.raises(ValueError, match="group_key"):
            await state.enqueue(7, URL, _notes(2), group_key=["a"])


async def test_parked_heads_due_and_the_next_probe(engine: Engine) -> None:
    async with engine.state(None) as state:
        a = await state.enqueue(7, URL, _notes(2), group_key="a")
        b = await state.enqueue(7, URL, _notes(1), group_key="b")
        await state.park(7, a[0], attempts=10, first_failure_at=0.0, next_probe_at=100.0, error="x")
        await state.park(7, b[0], attempts=10, first_failure_at=0.0, next_probe_at=200.0, error="x")
        none_due = await state.parked_heads(7, due_by=50.0, limit=10)
        assert none_due.heads == [] and none_due.next_probe_at == 100.0
        due = await state.parked_heads(7, due_by=150.0, limit=10)
        assert [h.seq for h in due.heads] == [a[0]] and due.next_probe_at == 200.0
        probing = await state.parked_heads(7, due_by=250.0, limit=10, exclude=[a[0]])
        assert [h.seq for h in probing.heads] == [b[0]] and probing.next_probe_at is None


async def test_enqueue_unseen_writes_only_what_was_not_seen(engine: Engine, tmp_path: Path) -> None:
    async with engine.state(tmp_path / "s.db") as state:
        await state.mark_seen(7, ["old"])
        before = state.batches
        results = await state.enqueue_unseen(
            7,
            URL,
            [
                (["old"], _notes(1), "g1"),  # seen before
                (["new", "x"], _notes(1), "g2"),
                (["x"], _notes(1), "g3"),  # seen earlier in this call
                (["other"], _notes(2), None),
            ],
        )
        assert state.batches - before == 1
        assert results[0] is None and results[2] is None
        assert results[1] is not None and len(results[1]) == 1
        assert results[3] is not None and len(results[3]) == 2
        items = await state.outbox_batch(7)
        assert [i.group_key for i in items] == ["g2", None, None]
        assert await state.unseen(7, ["old", "new", "x", "other", "y"]) == ["y"]


async def test_commit_window_decides_duplicates_inside_the_write(
    engine: Engine, tmp_path: Path
) -> None:
    """A key another writer remembered after a check but before the write is a duplicate.

    The reconciliation poll checks its keys, then a webhook for the same record
    version is queued, then the poll writes: only the write's own check sees it.
    """
    async with engine.state(tmp_path / "s.db") as state:
        assert await state.unseen(7, ["a", "b"]) == ["a", "b"]  # the scan's check
        await state.commit_window(7, "relay", None, _notes(1), ["a"], callback_url=URL)
        given: list[set[str]] = []

        def build(seen: set[str]) -> tuple[list[Notification], str]:
            given.append(set(seen))
            return _notes(2 - len(seen)), "g"

        seqs = await state.commit_window(
            7, "customers", None, (), ["a", "b"], callback_url=URL, build=build
        )
        assert given == [{"a"}] and len(seqs) == 1
        items = await state.outbox_batch(7)
        assert [i.group_key for i in items] == [None, "g"]
        assert await state.unseen(7, ["a", "b", "c"]) == ["c"]


async def test_instance_registry_keeps_ids_and_bodies_across_a_restart(
    engine: Engine, tmp_path: Path
) -> None:
    """Stable numeric ids (never reused) and the kept configurations, on both engines."""
    path = tmp_path / "s.db"
    async with engine.state(path) as state:
        shop_a = await state.instance_number("shop-a")
        assert await state.instance_number("shop-a") == shop_a  # assigned once
        shop_b = await state.save_instance("shop-b", '{"name": "Shop B"}')
        assert shop_b != shop_a
        assert await state.save_instance("shop-b", '{"name": "Shop B2"}') == shop_b
        assert await state.saved_instances() == [(shop_b, "shop-b", '{"name": "Shop B2"}')]

    async with engine.state(path) as again:
        assert await again.instance_number("shop-b") == shop_b
        assert await again.saved_instances() == [(shop_b, "shop-b", '{"name": "Shop B2"}')]
        assert await again.forget_instance_body("shop-b") is True
        assert await again.saved_instances() == []
        # A forgotten instance keeps its id; a new one never takes it.
        assert await again.instance_number("shop-b") == shop_b
        assert await again.instance_number("shop-c") not in (shop_a, shop_b)
        assert await again.forget_instance_body("nobody") is False


def test_open_state_picks_the_engine_from_the_state_value(tmp_path: Path) -> None:
    assert is_postgres_url("postgresql://user@/db?host=/run/pg")
    assert is_postgres_url("postgres://localhost/db")
    assert not is_postgres_url(str(tmp_path / "state.db"))
    assert not is_postgres_url(None)
    assert isinstance(open_state(str(tmp_path / "state.db")), State)
    # Built, not opened: nothing connects until open().
    assert isinstance(open_state("postgresql://user@/db?host=/nowhere"), PostgresState)


async def test_a_state_in_memory_runs_its_jobs_without_a_thread() -> None:
    import threading

    before = {t.ident for t in threading.enumerate()}
    async with State(None) as state:
        dup = _notes(1)
        await state.enqueue(7, URL, dup)
        first = state.batches
        results = await asyncio.gather(
            state.enqueue(7, URL, _notes(1)),
            state.enqueue(7, URL, dup),  # duplicate id: fails alone, nothing of it kept
            state.enqueue(7, URL, _notes(1)),
            return_exceptions=True,
        )
        assert isinstance(results[1], sqlite3.IntegrityError)
        assert state.batches - first == 3  # one transaction per job
        assert (await state.outbox_counts(7)).pending == 3
        # No database thread: every job ran on this loop's thread.
        assert {t.ident for t in threading.enumerate()} <= before
        # The answer still comes in a later iteration of the loop, as from a thread.
        answer = state._commits.submit(lambda conn: conn.execute("SELECT 1").fetchone()[0])
        assert not answer.done()
        assert await answer == 1


async def test_a_state_in_memory_serves_loops_on_several_threads() -> None:
    async with State(None) as state:
        await state.kv_set(1, "n", 0)

        def other_thread() -> None:
            async def work() -> None:
                for _ in range(200):
                    await state.enqueue(2, URL, _notes(1))

            asyncio.run(work())

        thread = asyncio.to_thread(other_thread)
        mine = [state.enqueue(1, URL, _notes(1)) for _ in range(200)]
        await asyncio.gather(thread, *mine)
        assert (await state.outbox_counts(1)).pending == 200
        assert (await state.outbox_counts(2)).pending == 200
