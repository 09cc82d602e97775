"""The sender end to end: real HTTP to a Receiver, a frozen clock moved by the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.outbox.notifications import Event, Notification, build_notifications
from pytest_woosim.outbox.sender import CE_RETRY_SCHEDULE, Sender
from pytest_woosim.outbox.state import OutboxItem, ParkedHeads, State
from pytest_woosim.outbox.transport import KeepAlivePoster, PostFailed
from simulator.clock import Clock

KEY = "callback-key"
START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
INSTANCE = 42


def _notes(*ids: int) -> list[Notification]:
    events = [Event("customers", i, "UPDATED", START) for i in ids]
    return build_notifications(events, {"objectType": "customers"}, instance_id=42, max_events=1)


def _object_ids(receiver: Receiver) -> list[str]:
    return [e["objectId"] for e in receiver.events]


def _arrivals(receiver: Receiver) -> list[float]:
    return [(r.received_at - START).total_seconds() for r in receiver.requests if r.received_at]


@dataclass
class Rig:
    clock: Clock
    receiver: Receiver
    state: State
    sender: Sender
    path: Path

    def new_sender(self, state: State, **kwargs: object) -> Sender:
        return Sender(
            state,
            self.clock,
            instance=INSTANCE,
            callback_url=self.receiver.url,
            signature_key=KEY,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = Clock(START, frozen=True)
    receiver = Receiver(KEY, clock=clock)
    await receiver.start()
    path = tmp_path / "state.db"
    state = State(path, clock=clock)
    await state.open()
    sender = Sender(state, clock, instance=INSTANCE, callback_url=receiver.url, signature_key=KEY)
    await sender.start()
    yield Rig(clock, receiver, state, sender, path)
    await sender.stop()
    await state.close()
    await receiver.stop()


def test_schedule_is_the_cloud_elements_one() -> None:
    assert CE_RETRY_SCHEDULE == (4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0)
    assert CE_RETRY_SCHEDULE[-1] / 3600 == pytest.approx(72.8, abs=0.05)


async def test_delivers_in_order_signed_with_stable_ids(rig: Rig) -> None:
    notes = _notes(1, 2, 3, 4, 5)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, notes)
    await rig.sender.drain(10)
    assert _object_ids(rig.receiver) == ["1", "2", "3", "4", "5"]
    got = rig.receiver.notifications
    assert [r.body for r in got] == [n.body for n in notes]
    assert [r.webhook_id for r in got] == [n.id for n in notes]
    assert all(r.verified for r in got)
    stats = await rig.sender.stats()
    assert (stats.delivered, stats.failed_attempts, stats.pending, stats.parked) == (5, 0, 0, 0)


async def test_retries_at_4_16_64_after_first_failure_then_parks(rig: Rig) -> None:
    rig.receiver.fail_next(10_000)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1, 2))
    await rig.sender.wait_idle()
    assert _arrivals(rig.receiver) == [0.0]

    # Step through the first three retries one at a time.
    for expected in (4, 16, 64):
        await rig.clock.advance_async(expected - rig.clock.timestamp() + START.timestamp())
        await rig.sender.wait_idle()
        assert _arrivals(rig.receiver)[-1] == expected

    # Hours of failure in one move: the clock stops at every retry instant.
    await rig.clock.advance_async(timedelta(days=4))
    await rig.sender.wait_idle()
    expected_instants = [0.0, *CE_RETRY_SCHEDULE]
    # Parked after the 9th retry; then an hourly probe of the head.
    horizon = 4 * 86400 + 64
    probes = [float(t) for t in range(int(CE_RETRY_SCHEDULE[-1]) + 3600, horizon + 1, 3600)]
    assert len(probes) == 23
    assert _arrivals(rig.receiver) == expected_instants + probes
    # Nothing but the head was tried: FIFO blocks the rest.
    assert {r.webhook_id for r in rig.receiver.requests} == {rig.receiver.requests[0].webhook_id}

    stats = await rig.sender.stats()
    assert (stats.pending, stats.parked, stats.delivered) == (0, 2, 0)
    head = (await rig.state.outbox_batch(INSTANCE, 1))[0]
    assert head.status == "parked" and head.last_error == "HTTP 500"

    # Queued while parked: parked too, and delivered after the others.
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(3))
    assert (await rig.sender.stats()).parked == 3

    rig.receiver.fail_next(0)
    assert await rig.sender.redeliver() == 3
    await rig.sender.drain(10)
    assert _object_ids(rig.receiver) == ["1", "2", "3"]
    stats = await rig.sender.stats()
    assert (stats.delivered, stats.pending, stats.parked) == (3, 0, 0)


async def test_probe_releases_a_parked_queue(rig: Rig) -> None:
    rig.receiver.fail_next(10_000)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(7, 8))
    await rig.sender.wait_idle()
    await rig.clock.advance_async(CE_RETRY_SCHEDULE[-1])
    await rig.sender.wait_idle()
    assert (await rig.sender.stats()).parked == 2
    failures = len(rig.receiver.requests)
    assert failures == 10

    # A failing probe keeps the queue parked and comes again an hour later.
    await rig.clock.advance_async(3600)
    await rig.sender.wait_idle()
    assert len(rig.receiver.requests) == 11
    assert (await rig.sender.stats()).parked == 2

    rig.receiver.fail_next(0)
    await rig.clock.advance_async(3599)
    await rig.sender.wait_idle()
    assert len(rig.receiver.requests) == 11  # not yet
    await rig.clock.advance_async(1)
    await rig.sender.drain(10)
    assert _object_ids(rig.receiver) == ["7", "8"]
    assert _arrivals(rig.receiver)[-2:] == [CE_RETRY_SCHEDULE[-1] + 7200] * 2


async def test_redeliver_gives_a_fresh_schedule(rig: Rig) -> None:
    rig.receiver.fail_next(10_000)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    await rig.sender.wait_idle()
    await rig.clock.advance_async(CE_RETRY_SCHEDULE[-1])
    await rig.sender.wait_idle()
    parked_at = rig.clock.timestamp() - START.timestamp()
    assert await rig.sender.redeliver() == 1
    await rig.sender.wait_idle()
    assert _arrivals(rig.receiver)[-1] == parked_at  # tried at once
    await rig.clock.advance_async(4)
    await rig.sender.wait_idle()
    assert _arrivals(rig.receiver)[-1] == parked_at + 4
    assert await rig.sender.redeliver() == 0  # nothing parked now


async def test_restart_from_the_same_file_continues_the_schedule(rig: Rig) -> None:
    rig.receiver.fail_next(10_000)
    notes = _notes(1, 2, 3)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, notes)
    await rig.sender.wait_idle()
    await rig.clock.advance_async(16)
    await rig.sender.wait_idle()
    assert _arrivals(rig.receiver) == [0, 4, 16]
    await rig.sender.stop()
    await rig.state.close()

    state = State(rig.path, clock=rig.clock)
    await state.open()
    sender = rig.new_sender(state)
    await sender.start()
    try:
        await sender.wait_idle()
        assert _arrivals(rig.receiver) == [0, 4, 16]  # no early retry after the restart
        await rig.clock.advance_async(47)
        await sender.wait_idle()
        assert _arrivals(rig.receiver) == [0, 4, 16]
        rig.receiver.fail_next(0)
        await rig.clock.advance_async(1)
        await sender.drain(10)
        assert _arrivals(rig.receiver) == [0, 4, 16, 64, 64, 64]
        assert _object_ids(rig.receiver) == ["1", "2", "3"]
        assert [r.webhook_id for r in rig.receiver.notifications] == [n.id for n in notes]
    finally:
        await sender.stop()
        await state.close()


async def test_a_restarted_sender_resumes_a_parked_queue(rig: Rig) -> None:
    rig.receiver.fail_next(10_000)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    await rig.sender.wait_idle()
    await rig.clock.advance_async(CE_RETRY_SCHEDULE[-1])
    await rig.sender.wait_idle()
    await rig.sender.stop()
    sender = rig.new_sender(rig.state)
    await sender.start()
    try:
        await sender.wait_idle()
        assert len(rig.receiver.requests) == 10
        rig.receiver.fail_next(0)
        await rig.clock.advance_async(3600)
        await sender.drain(10)
        assert _object_ids(rig.receiver) == ["1"]
    finally:
        await sender.stop()


async def test_non_2xx_fails_and_2xx_succeeds(rig: Rig) -> None:
    rig.receiver.fail_next(1, status=302)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    await rig.sender.wait_idle()
    assert rig.sender.failed_attempts == 1
    assert (await rig.state.outbox_batch(INSTANCE))[0].last_error == "HTTP 302"
    await rig.clock.advance_async(4)
    await rig.sender.drain(10)
    assert rig.sender.delivered == 1
    assert [a.ok for a in rig.sender.attempt_log] == [False, True]


async def test_unreachable_callback_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    clock = Clock(START, frozen=True)
    gone = Receiver()
    await gone.start()
    url = gone.url
    await gone.stop()
    async with State(tmp_path / "s.db", clock=clock) as state:
        sender = Sender(state, clock, instance=1, callback_url=url, signature_key=None, timeout=5)
        await sender.start()
        try:
            await state.enqueue(1, url, _notes(1))
            await sender.wait_idle()
            (item,) = await state.outbox_batch(1)
            assert item.attempts == 1
            assert item.last_error is not None and "Connect" in item.last_error
            assert item.next_attempt_at == START.timestamp() + 4
        finally:
            await sender.stop()


async def test_items_of_other_instances_are_not_sent(rig: Rig) -> None:
    await rig.state.enqueue(INSTANCE + 1, rig.receiver.url, _notes(99))
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    await rig.sender.drain(10)
    assert _object_ids(rig.receiver) == ["1"]
    assert (await rig.state.outbox_counts(INSTANCE + 1)).pending == 1


async def test_drain_times_out_while_failing(rig: Rig) -> None:
    rig.receiver.fail_next(10)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    with pytest.raises(TimeoutError):
        await rig.sender.drain(0.2)


def test_schedule_must_increase() -> None:
    with pytest.raises(ValueError, match="schedule"):
        Sender(
            State(None),
            Clock(),
            instance=1,
            callback_url=None,
            signature_key=None,
            schedule=(16, 4),
        )


async def test_without_a_configured_url_each_item_goes_to_its_stored_url(rig: Rig) -> None:
    sender = Sender(rig.state, rig.clock, instance="other", callback_url=None, signature_key=KEY)
    await sender.start()
    try:
        await rig.state.enqueue("other", rig.receiver.url, _notes(5))
        await sender.drain(10)
        assert _object_ids(rig.receiver) == ["5"]
    finally:
        await sender.stop()


# ---------------------------------------------------------------------- groups
def _object_notes(object_id: int, *versions: int) -> list[Notification]:
    """One notification per version of one object (the version rides in the date)."""
    return [
        build_notifications(
            [Event("orders", object_id, "UPDATED", START + timedelta(seconds=v))],
            {"id": object_id, "version": v},
            instance_id=INSTANCE,
            max_events=1,
        )[0]
        for v in versions
    ]


def _versions(receiver: Receiver) -> dict[str, list[str]]:
    """Per objectId, the event dates in arrival order (first arrival of each notification)."""
    seen: set[str | None] = set()
    out: dict[str, list[str]] = {}
    for record in receiver.notifications:
        if not record.accepted or record.webhook_id in seen:
            continue
        seen.add(record.webhook_id)
        for event in record.events:
            out.setdefault(event["objectId"], []).append(event["date"])
    return out


async def test_a_failing_group_follows_its_schedule_while_another_flows(tmp_path: Path) -> None:
    clock = Clock(START, frozen=True)
    async with (
        Receiver(KEY, clock=clock) as down,
        Receiver(KEY, clock=clock) as up,
        State(tmp_path / "s.db", clock=clock) as state,
    ):
        down.fail_next(10_000, status=503)
        # No configured URL: each item goes to the URL stored with it, so one
        # group's callback path fails while the other's works.
        sender = Sender(state, clock, instance=INSTANCE, callback_url=None, signature_key=KEY)
        await sender.start()
        try:
            await state.enqueue(INSTANCE, down.url, _object_notes(1, 1, 2), group_key="orders:1")
            await state.enqueue(INSTANCE, up.url, _object_notes(2, 1, 2), group_key="orders:2")
            await sender.wait_idle()
            assert _object_ids(up) == ["2", "2"]  # not held behind the failing group
            assert len(down.requests) == 1

            # The failing group keeps its own schedule; the other keeps flowing.
            for step, expected in enumerate((4, 16, 64), start=1):
                await state.enqueue(
                    INSTANCE, up.url, _object_notes(2, 2 + step), group_key="orders:2"
                )
                await sender.wait_idle()
                assert len(up.notifications) == 2 + step
                await clock.advance_async(expected - (clock.timestamp() - START.timestamp()))
                await sender.wait_idle()
                assert _arrivals(down)[-1] == expected
            await clock.advance_async(CE_RETRY_SCHEDULE[-1])
            await sender.wait_idle()
            assert _arrivals(down) == [0.0, *CE_RETRY_SCHEDULE]
            # Only the failing group's head was ever tried.
            assert {r.webhook_id for r in down.requests} == {down.requests[0].webhook_id}

            # Parked with its later item; an item queued for it now is parked too.
            await state.enqueue(INSTANCE, down.url, _object_notes(1, 3), group_key="orders:1")
            stats = await sender.stats()
            assert (stats.pending, stats.parked) == (0, 3)
            # The other group is unaffected.
            await state.enqueue(INSTANCE, up.url, _object_notes(2, 6), group_key="orders:2")
            await sender.wait_idle()
            assert len(up.notifications) == 6
            assert _versions(up)["2"] == [
                (START + timedelta(seconds=v)).isoformat().replace("+00:00", "Z")
                for v in (1, 2, 3, 4, 5, 6)
            ]

            down.fail_next(0)
            assert await sender.redeliver() == 3
            await sender.drain(10)
            assert [e["date"][-3:] for e in down.events] == ["01Z", "02Z", "03Z"]
            assert (await sender.stats()).delivered == 9
        finally:
            await sender.stop()


async def test_a_parked_group_is_released_by_its_own_probe(tmp_path: Path) -> None:
    clock = Clock(START, frozen=True)
    async with (
        Receiver(KEY, clock=clock) as down,
        Receiver(KEY, clock=clock) as up,
        State(tmp_path / "s.db", clock=clock) as state,
    ):
        down.fail_next(10_000)
        sender = Sender(
            state, clock, instance=INSTANCE, callback_url=None, signature_key=KEY, schedule=(4,)
        )
        await sender.start()
        try:
            await state.enqueue(INSTANCE, down.url, _object_notes(1, 1, 2), group_key="a")
            await sender.wait_idle()
            await clock.advance_async(4)  # the only retry fails: parked
            await sender.wait_idle()
            assert (await sender.stats()).parked == 2
            await state.enqueue(INSTANCE, up.url, _object_notes(2, 1), group_key="b")
            await sender.wait_idle()
            assert _object_ids(up) == ["2"]
            down.fail_next(0)
            await clock.advance_async(3600)  # the group's probe
            await sender.drain(10)
            assert _arrivals(down) == [0.0, 4.0, 3604.0, 3604.0]
            assert _object_ids(down) == ["1", "1"]
        finally:
            await sender.stop()


async def test_order_per_group_under_concurrency(rig: Rig) -> None:
    objects, versions = 40, 5
    peak = 0

    def sample(_: object) -> None:
        nonlocal peak
        peak = max(peak, sender.in_flight)

    # Observe how many posts are in flight as requests land. Everything is queued
    # before a sender starts, so the concurrency does not depend on how fast the
    # queueing is against the sending (a running sender could drain each group
    # as it arrives, one at a time, on a busy machine).
    await rig.sender.stop()
    async with Receiver(KEY, clock=rig.clock, on_notification=sample) as receiver:
        # Interleaved: version 1 of every object, then version 2, ...
        for v in range(1, versions + 1):
            for obj in range(objects):
                await rig.state.enqueue(
                    INSTANCE, receiver.url, _object_notes(obj, v), group_key=f"orders:{obj}"
                )
        sender = Sender(
            rig.state, rig.clock, instance=INSTANCE, callback_url=receiver.url, signature_key=KEY
        )
        await sender.start()
        try:
            await sender.drain(30)
        finally:
            await sender.stop()
    got = _versions(receiver)
    assert len(receiver.notifications) == objects * versions
    for obj in range(objects):
        dates = got[str(obj)]
        assert dates == sorted(dates) and len(dates) == versions, obj
    assert peak > 1  # really concurrent


async def test_restart_mid_way_loses_nothing(tmp_path: Path) -> None:
    clock = Clock(START, frozen=True)
    path = tmp_path / "s.db"
    async with Receiver(KEY, clock=clock) as receiver:
        state = State(path, clock=clock)
        await state.open()
        sender = Sender(
            state, clock, instance=INSTANCE, callback_url=receiver.url, signature_key=KEY
        )
        notes = {obj: _object_notes(obj, 1, 2, 3) for obj in range(30)}
        for v in range(3):
            for obj, per_object in notes.items():
                await state.enqueue(
                    INSTANCE, receiver.url, [per_object[v]], group_key=f"orders:{obj}"
                )
        receiver.fail_next(5)  # a few groups start their retry schedule
        await sender.start()
        await receiver.wait_for_events(20, 30)
        await sender.stop()  # mid-way: posts in flight are abandoned
        await state.close()

        state = State(path, clock=clock)
        await state.open()
        sender = Sender(
            state, clock, instance=INSTANCE, callback_url=receiver.url, signature_key=KEY
        )
        await sender.start()
        try:
            await sender.wait_idle()
            await clock.advance_async(4)  # the retries of the groups that failed
            await sender.drain(30)
        finally:
            await sender.stop()
            await state.close()
    wanted = {n.id for per_object in notes.values() for n in per_object}
    got = {r.webhook_id for r in receiver.notifications if r.accepted}
    assert got == wanted  # nothing lost (a post cut short may arrive twice)
    for object_id, dates in _versions(receiver).items():
        assert dates == sorted(dates) and len(dates) == 3, object_id


async def test_many_groups_beyond_the_memory_bounds(rig: Rig) -> None:
    # Tiny bounds: groups' backlogs are left in the database and read again later.
    await rig.sender.stop()
    sender = rig.new_sender(rig.state, prefetch=8, max_loaded=16, max_in_flight=4)
    await sender.start()
    queued: dict[str, list[str]] = {}
    try:
        for v in range(1, 11):
            for obj in range(30):
                group = f"g{obj % 7}"
                (note,) = _object_notes(obj, v)
                queued.setdefault(group, []).append(note.id)
                await rig.state.enqueue(INSTANCE, rig.receiver.url, [note], group_key=group)
        await sender.drain(30)
    finally:
        await sender.stop()
    arrived: dict[str, list[str]] = {}
    for record in rig.receiver.notifications:
        (event,) = record.events
        arrived.setdefault(f"g{int(event['objectId']) % 7}", []).append(record.webhook_id or "")
    assert arrived == queued


# ---------------------------------------------------------------------- the HTTP fast path
async def _scripted_server(
    answers: list[bytes], requests: list[bytes]
) -> tuple[asyncio.Server, str]:
    """A raw server answering each request with the next scripted bytes (b"" = close)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":", 1)[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    )
                )
                requests.append(head + await reader.readexactly(length))
                answer = answers.pop(0)
                if not answer:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/cb?x=1"


async def test_keep_alive_poster_reads_every_answer_shape() -> None:
    answers = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    ]
    requests: list[bytes] = []
    server, url = await _scripted_server(answers, requests)
    poster = KeepAlivePoster()
    try:
        headers = {"Content-Type": "application/json", "Elements-Webhook-Id": "n1"}
        statuses = [await poster.post(url, b'{"a":1}', headers, 5) for _ in range(4)]
        assert statuses == [200, 202, 204, 500]
        assert requests[0].startswith(b"POST /cb?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"Elements-Webhook-Id: n1\r\n" in requests[0]
        assert requests[0].endswith(b'\r\n\r\n{"a":1}')
        # After "Connection: close" a new connection answers the next request.
        answers.append(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        assert await poster.post(url, b"{}", {}, 5) == 200
    finally:
        await poster.aclose()
        server.close()
        await server.wait_closed()


async def test_keep_alive_poster_retries_a_stale_connection_once() -> None:
    # The server closes the kept-alive connection without answering the second request.
    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", b"", b""]
    requests: list[bytes] = []
    server, url = await _scripted_server(answers, requests)
    poster = KeepAlivePoster()
    try:
        assert await poster.post(url, b"{}", {}, 5) == 200
        answers.insert(1, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        assert await poster.post(url, b"{}", {}, 5) == 201  # sent again on a fresh connection
    finally:
        await poster.aclose()
        server.close()
        await server.wait_closed()


async def test_keep_alive_poster_failures_say_why() -> None:
    poster = KeepAlivePoster()
    gone = Receiver()
    await gone.start()
    url = gone.url
    await gone.stop()
    try:
        with pytest.raises(PostFailed, match="ConnectError"):
            await poster.post(url, b"{}", {}, 5)
        with pytest.raises(PostFailed, match="InvalidURL"):
            await poster.post("ftp://example.com/x", b"{}", {}, 5)
        with pytest.raises(PostFailed, match="InvalidURL"):
            await poster.post("http://127.0.0.1/a b", b"{}", {}, 5)
        with pytest.raises(PostFailed, match="invalid header"):
            await poster.post(url, b"{}", {"X": "a\r\nInjected: 1"}, 5)

        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        with pytest.raises(PostFailed, match=r"timeout after 0\.2s"):
            await poster.post(f"http://127.0.0.1:{port}/", b"{}", {}, 0.2)
        silent.close()

        garbage, garbage_url = await _scripted_server([b"SMTP ready\r\n\r\n"], [])
        with pytest.raises(PostFailed, match="not an HTTP"):
            await poster.post(garbage_url, b"{}", {}, 5)
        garbage.close()
    finally:
        await poster.aclose()


async def test_items_behind_a_failed_head_are_delivered_after_its_retry(rig: Rig) -> None:
    # The group's later items were in memory when its head failed; they must be
    # read again after the retry succeeds, with no restart or redelivery between.
    notes = _object_notes(1, 1, 2, 3)
    rig.receiver.fail_next(1)
    await rig.state.enqueue(INSTANCE, rig.receiver.url, notes, group_key="orders:1")
    await rig.sender.wait_idle()
    await rig.clock.advance_async(4)
    await rig.sender.drain(10)
    assert [r.webhook_id for r in rig.receiver.notifications] == [n.id for n in notes]


# ---------------------------------------------------------------------- reads racing posts
class _Gate:
    """Holds the next coroutine that passes it, once armed, until released."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def passing(self) -> None:
        if not self.armed:
            return
        self.armed = False
        self.entered.set()
        await self.release.wait()


class _GatedState(State):
    """A state whose next outbox read can be held after it ran in the database.

    The read sees the database as it was when it was queued; the sender gets
    the answer only when the test says so, as a slow event loop would deliver it.
    """

    def __init__(self, path: Path, clock: Clock) -> None:
        super().__init__(path, clock=clock)
        self.forward = _Gate()
        self.parked = _Gate()

    async def outbox_after(
        self, instance: str | int, after_seq: int, limit: int
    ) -> list[OutboxItem]:
        rows = await super().outbox_after(instance, after_seq, limit)
        await self.forward.passing()
        return rows

    async def parked_heads(
        self, instance: str | int, *, due_by: float, limit: int, exclude: Sequence[int] = ()
    ) -> ParkedHeads:
        found = await super().parked_heads(instance, due_by=due_by, limit=limit, exclude=exclude)
        await self.parked.passing()
        return found


@dataclass
class _RaceRig:
    clock: Clock
    receiver: Receiver
    state: _GatedState
    sender: Sender
    #: Holds the next callback answer (after the receiver has answered it).
    answer: _Gate


@pytest.fixture
async def race(tmp_path: Path) -> AsyncIterator[_RaceRig]:
    clock = Clock(START, frozen=True)
    answer = _Gate()

    async def hold_answer(response: httpx.Response) -> None:
        await answer.passing()

    state = _GatedState(tmp_path / "s.db", clock)
    async with (
        Receiver(KEY, clock=clock) as receiver,
        state,
        httpx.AsyncClient(event_hooks={"response": [hold_answer]}) as client,
    ):
        # One retry, then parked: a park is two failures away.
        sender = Sender(
            state,
            clock,
            instance=INSTANCE,
            callback_url=receiver.url,
            signature_key=KEY,
            client=client,
            schedule=(4,),
            park_probe_interval=3600,
        )
        await sender.start()
        try:
            yield _RaceRig(clock, receiver, state, sender, answer)
        finally:
            await sender.stop()


async def _until_parked(rig: _RaceRig, count: int) -> None:
    """Poll (real time, with a deadline) until ``count`` items are parked in the outbox."""
    async with asyncio.timeout(10):
        while (await rig.sender.stats()).parked != count:
            await asyncio.sleep(0.005)


async def test_rows_read_while_their_group_parks_wait_for_its_head(race: _RaceRig) -> None:
    # The group's head fails its last retry while a forward read is under way;
    # that read returns the group's next row as pending (the park is queued
    # after it). The row must not go out ahead of its parked head.
    race.receiver.fail_next(2)
    await race.state.enqueue(INSTANCE, race.receiver.url, _object_notes(1, 1), group_key="g")
    await race.sender.wait_idle()

    race.answer.armed = True
    moving = asyncio.create_task(race.clock.advance_async(4))  # the last retry
    async with asyncio.timeout(10):
        await race.answer.entered.wait()  # answered 500, not yet seen by the sender
    race.state.forward.armed = True
    await race.state.enqueue(INSTANCE, race.receiver.url, _object_notes(1, 2), group_key="g")
    async with asyncio.timeout(10):
        await race.state.forward.entered.wait()  # read in the database, not yet taken in
    race.answer.release.set()
    await _until_parked(race, 2)
    race.state.forward.release.set()
    async with asyncio.timeout(10):
        await moving
    await race.sender.wait_idle()
    assert race.receiver.notifications == []  # nothing overtook the parked head
    assert (await race.sender.stats()).parked == 2

    await race.clock.advance_async(3600)  # the probe succeeds and releases the group
    await race.sender.drain(10)
    assert [e["date"][-3:] for e in race.receiver.events] == ["01Z", "02Z"]
    assert _arrivals(race.receiver) == [0.0, 4.0, 3604.0, 3604.0]


async def test_a_group_parked_during_a_probe_read_keeps_its_probe(race: _RaceRig) -> None:
    # Group a is parked with its probe due at 3604, when group b's last retry
    # falls due too. The worker sends b's retry and reads the parked heads; b
    # parks while that read is under way, so the read knows nothing of b's probe.
    race.receiver.fail_next(4)
    await race.state.enqueue(INSTANCE, race.receiver.url, _object_notes(1, 1), group_key="a")
    await race.sender.wait_idle()
    await race.clock.advance_async(4)  # a's last retry fails: parked, probe at 3604
    await race.sender.wait_idle()
    await race.clock.advance_async(3596)
    await race.state.enqueue(INSTANCE, race.receiver.url, _object_notes(2, 1), group_key="b")
    await race.sender.wait_idle()
    assert _arrivals(race.receiver) == [0.0, 4.0, 3600.0]

    race.answer.armed = True
    race.state.parked.armed = True
    moving = asyncio.create_task(race.clock.advance_async(4))
    async with asyncio.timeout(10):
        await race.answer.entered.wait()  # b's last retry answered 500
        await race.state.parked.entered.wait()  # a's probe read, taken before b parks
    race.answer.release.set()
    await _until_parked(race, 2)
    race.state.parked.release.set()
    async with asyncio.timeout(10):
        await moving
    await race.sender.wait_idle()
    assert _object_ids(race.receiver) == ["1"]  # a's probe got through

    # b's probe, an hour after its park, must still happen.
    await race.clock.advance_async(2 * 3600)
    await race.sender.drain(10)
    assert _object_ids(race.receiver) == ["1", "2"]
    assert _arrivals(race.receiver) == [0.0, 4.0, 3600.0, 3604.0, 3604.0, 7204.0]


async def test_a_row_enqueued_while_a_read_is_under_way_is_sent(rig: Rig) -> None:
    """An enqueue that commits after a read's snapshot, before it returns, is not lost."""
    real_read = rig.state.outbox_after
    raced = False

    async def racing_read(instance: str | int, after_seq: int, limit: int) -> list[OutboxItem]:
        nonlocal raced
        rows = await real_read(instance, after_seq, limit)
        if not raced:
            raced = True
            await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(2))
        return rows

    rig.state.outbox_after = racing_read  # type: ignore[method-assign]
    await rig.state.enqueue(INSTANCE, rig.receiver.url, _notes(1))
    deadline = asyncio.get_running_loop().time() + 5
    while len(rig.receiver.events) < 2:
        assert asyncio.get_running_loop().time() < deadline, _object_ids(rig.receiver)
        await asyncio.sleep(0.01)
    assert raced and _object_ids(rig.receiver) == ["1", "2"]
