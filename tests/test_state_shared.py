"""What workers sharing a PostgreSQL state rely on: claims, leases, unique dedupe keys,
the schema's versioning, and two senders delivering one outbox in order per group."""

from __future__ import annotations

import asyncio
import subprocess
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from reliability_helpers import woosim_executable

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.outbox.notifications import Event, Notification, build_notifications
from pytest_woosim.outbox.state import Lease, LeaseLostError, Watermark
from pytest_woosim.outbox.state.postgres import SCHEMA_VERSION, PostgresState
from pytest_woosim.outbox.worker_sender import ClaimingSender
from simulator.clock import Clock

START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
URL = "http://127.0.0.1:9/events"
KEY = "shared-signature-key"


def _notes(n: int, first: int = 0) -> list[Notification]:
    events = [Event("orders", i, "UPDATED", START) for i in range(first, first + n)]
    return build_notifications(events, {"objectType": "orders"}, instance_id=7, max_events=1)


async def test_a_claimed_head_holds_its_group_until_the_claim_expires(pg_url: str) -> None:
    clock = Clock(START, frozen=True)
    async with (
        PostgresState(pg_url, clock=clock, worker_id="a") as a,
        PostgresState(pg_url, clock=clock, worker_id="b") as b,
    ):
        seqs = await a.enqueue(7, URL, _notes(4), group_key=["g", "g", "h", "h"])
        mine = await a.claim(7, limit=10, ttl=30, parked_due_by=None)
        assert [i.seq for i in mine] == [seqs[0], seqs[2]]  # one head per group
        # Neither the claimed heads nor the rows behind them are anyone else's.
        assert await b.claim(7, limit=10, ttl=30, parked_due_by=None) == []
        # Delivered: the next row of "g" becomes a head, and b may take it.
        await a.delete_delivered([seqs[0]])
        assert [i.seq for i in await b.claim(7, limit=10, ttl=60, parked_due_by=None)] == [seqs[1]]
        # a dies holding "h": when its claim expires, b takes the head over.
        clock.advance(31)
        assert [i.seq for i in await b.claim(7, limit=10, ttl=30, parked_due_by=None)] == [seqs[2]]


async def test_a_failure_gives_the_claim_back_with_its_retry_time(pg_url: str) -> None:
    clock = Clock(START, frozen=True)
    async with PostgresState(pg_url, clock=clock, worker_id="a") as a:
        (seq,) = await a.enqueue(7, URL, _notes(1), group_key="g")
        (head,) = await a.claim(7, limit=5, ttl=30, parked_due_by=None)
        now = clock.timestamp()
        await a.record_failure(
            seq, attempts=1, first_failure_at=now, next_attempt_at=now + 4, error="HTTP 500"
        )
        assert await a.claim(7, limit=5, ttl=30, parked_due_by=None) == []  # not due yet
        clock.advance(4)
        (again,) = await a.claim(7, limit=5, ttl=30, parked_due_by=None)
        assert (again.seq, again.attempts, again.last_error) == (head.seq, 1, "HTTP 500")


async def test_parked_heads_are_claimed_only_as_probes(pg_url: str) -> None:
    clock = Clock(START, frozen=True)
    async with PostgresState(pg_url, clock=clock, worker_id="a") as a:
        seqs = await a.enqueue(7, URL, _notes(2), group_key="g")
        now = clock.timestamp()
        assert (
            await a.park(
                7, seqs[0], attempts=10, first_failure_at=now, next_probe_at=now + 60, error="x"
            )
            == 2
        )
        assert await a.claim(7, limit=5, ttl=30, parked_due_by=now + 59) == []
        (probe,) = await a.claim(7, limit=5, ttl=30, parked_due_by=now + 60)
        assert probe.seq == seqs[0] and probe.status == "parked"
        assert await a.delivered_probe(7, probe.seq, "g") == 1
        (nxt,) = await a.claim(7, limit=5, ttl=30, parked_due_by=None)
        assert (nxt.seq, nxt.status) == (seqs[1], "pending")


async def test_a_lease_has_one_holder_and_fences_window_commits(pg_url: str) -> None:
    clock = Clock(START, frozen=True)
    async with (
        PostgresState(pg_url, clock=clock, worker_id="a") as a,
        PostgresState(pg_url, clock=clock, worker_id="b") as b,
    ):
        lease = await a.acquire_lease("poll:7:orders", ttl=10)
        assert lease == Lease("poll:7:orders", "a")
        assert await b.acquire_lease("poll:7:orders", ttl=10) is None
        assert await a.acquire_lease("poll:7:orders", ttl=10) == lease  # renewed
        await a.commit_window(
            7, "orders", Watermark(START), _notes(1), ["k1"], callback_url=URL, lease=lease
        )
        clock.advance(11)  # a stalled: b takes over
        taken = await b.acquire_lease("poll:7:orders", ttl=10)
        assert taken == Lease("poll:7:orders", "b")
        with pytest.raises(LeaseLostError):
            await a.commit_window(
                7, "orders", Watermark(clock.now()), _notes(1, 1), ["k2"], callback_url=URL,
                lease=lease,
            )  # fmt: skip
        assert await b.get_watermark(7, "orders") == Watermark(START)
        assert await b.unseen(7, ["k1", "k2"]) == ["k2"]
        await b.release_lease(taken)
        assert await a.acquire_lease("poll:7:orders", ttl=10) is not None


async def test_two_workers_never_both_store_one_change(pg_url: str) -> None:
    async with (
        PostgresState(pg_url, worker_id="a") as a,
        PostgresState(pg_url, worker_id="b") as b,
    ):
        rounds = 50
        results = await asyncio.gather(
            *(
                state.enqueue_unseen(7, URL, [([f"key{i}"], _notes(1, 100 * n + i), None)])
                for i in range(rounds)
                for n, state in enumerate((a, b))
            )
        )
        stored = [r[0] for r in results if r[0] is not None]
        assert len(stored) == rounds
        assert (await a.outbox_counts(7)).pending == rounds


async def test_the_schema_is_versioned_and_a_newer_one_is_refused(pg_url: str) -> None:
    async with PostgresState(pg_url) as state:
        await state.kv_set(1, "a", 1)
    async with PostgresState(pg_url) as again:  # no migration runs twice
        assert await again.kv_get(1, "a") == 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        assert row == (SCHEMA_VERSION,)
        conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(Exception, match="newer version"):
        await PostgresState(pg_url).open()


async def test_two_senders_deliver_one_outbox_once_and_in_order_per_group(pg_url: str) -> None:
    groups, per_group = 12, 8
    async with (
        Receiver(KEY) as receiver,
        PostgresState(pg_url, worker_id="a") as a,
        PostgresState(pg_url, worker_id="b") as b,
    ):
        expected: dict[str, list[str]] = defaultdict(list)
        for round_ in range(per_group):
            notes = _notes(groups, round_ * groups)
            keys = [f"g{i}" for i in range(groups)]
            await a.enqueue(7, receiver.url, notes, group_key=keys)
            for key, note in zip(keys, notes, strict=True):
                expected[key].append(note.id)
        senders = [
            ClaimingSender(
                state,
                Clock(),
                instance=7,
                callback_url=None,
                signature_key=KEY,
                idle_poll=0.05,
                max_in_flight=4,
            )
            for state in (a, b)
        ]
        for sender in senders:
            await sender.start()
        try:
            await senders[0].drain(timeout=30)
        finally:
            for sender in senders:
                await sender.stop()
        got: dict[str, list[str]] = defaultdict(list)
        group_of = {nid: key for key, ids in expected.items() for nid in ids}
        for note in receiver.notifications:
            assert note.accepted
            assert note.event_id is not None
            got[group_of[note.event_id]].append(note.event_id)
        assert got == expected  # every notification once, each group in order
        assert sum(s.delivered for s in senders) == groups * per_group


@pytest.mark.parametrize("fixture", ["recommended-polling.json", "recommended-webhook.json"])
def test_an_unreachable_database_is_a_clear_cli_error(fixture: str, tmp_path: Path) -> None:
    config = Path(__file__).resolve().parent.parent / "fixtures" / "instances" / fixture
    url = f"postgresql://relay:s3cret@/relay?host={tmp_path}/no-such-socket-dir"
    done = subprocess.run(
        [woosim_executable(), "relay", "--config", str(config), "--state", url, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "woosim relay: cannot open the state:" in done.stderr
    assert "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr  # the URL's password is never echoed
    assert done.stdout == ""


def test_lease_seconds_must_be_positive(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parent.parent / "fixtures/instances/recommended-polling.json"
    done = subprocess.run(
        [woosim_executable(), "relay", "--config", str(config), "--lease-seconds", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "--lease-seconds: must be positive, got '0'" in done.stderr
