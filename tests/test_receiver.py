"""The callback receiver over real HTTP: verification, status codes, waiting, failures."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from pytest_woosim.harness.receiver import ReceivedNotification, Receiver
from pytest_woosim.outbox.notifications import Event, Notification, build_notifications
from simulator.clock import Clock
from simulator.wire.signing import CE_ID_HEADER, CE_SIGNATURE_HEADER

KEY = "MySecretEventSignatureKey"
START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)


def _note(*ids: int) -> Notification:
    events = [Event("orders", i, "CREATED", START) for i in ids]
    (note,) = build_notifications(events, {"ids": list(ids)}, instance_id=3, max_events=20)
    return note


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        yield http


async def test_signed_notification_is_accepted_and_recorded(client: httpx.AsyncClient) -> None:
    clock = Clock(START, frozen=True)
    async with Receiver(KEY, clock=clock) as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        note = _note(1, 2)
        response = await client.post(receiver.url, content=note.body, headers=note.headers(KEY))
        assert response.status_code == 200
        (got,) = receiver.notifications
        assert got.body == note.body
        assert got.verified is True and got.reason == ""
        assert got.webhook_id == note.id == got.event_id
        assert got.header(CE_SIGNATURE_HEADER.lower()) == note.headers(KEY)[CE_SIGNATURE_HEADER]
        assert got.received_at == START
        assert [e["objectId"] for e in receiver.events] == ["1", "2"]


async def test_forged_and_unsigned_are_refused_with_401(client: httpx.AsyncClient) -> None:
    async with Receiver(KEY) as receiver:
        note = _note(1)
        forged = note.headers("wrong key")
        assert (
            await client.post(receiver.url, content=note.body, headers=forged)
        ).status_code == 401
        unsigned = note.headers(None)
        response = await client.post(receiver.url, content=note.body, headers=unsigned)
        assert response.status_code == 401
        assert "missing" in response.json()["error"]
        first, second = receiver.notifications
        assert first.verified is False and "mismatch" in first.reason
        assert second.verified is False and CE_SIGNATURE_HEADER in second.reason
        assert receiver.events == []  # refused notifications deliver no events


async def test_unverified_can_be_accepted_but_stays_marked(client: httpx.AsyncClient) -> None:
    async with Receiver(KEY, reject_unverified=False) as receiver:
        note = _note(5)
        response = await client.post(receiver.url, content=note.body, headers=note.headers("x"))
        assert response.status_code == 200
        assert receiver.notifications[0].verified is False
        assert receiver.events[0]["objectId"] == "5"


async def test_without_key_verified_is_none(client: httpx.AsyncClient) -> None:
    async with Receiver() as receiver:
        note = _note(5)
        await client.post(receiver.url, content=note.body, headers=note.headers(KEY))
        assert receiver.notifications[0].verified is None


async def test_bad_bodies_get_400_and_oversized_413(client: httpx.AsyncClient) -> None:
    async with Receiver(max_body_size=1024) as receiver:
        assert (await client.post(receiver.url, content=b"{nope")).status_code == 400
        assert (await client.post(receiver.url, content=b"[1]")).status_code == 400
        big = json.dumps({"message": {"pad": "x" * 4096}}).encode()
        assert (await client.post(receiver.url, content=big)).status_code == 413
        statuses = [(r.status, r.message is None) for r in receiver.notifications]
        assert statuses == [(400, True), (400, True), (413, True)]
        assert "not valid JSON" in receiver.notifications[0].reason


async def test_fail_next_answers_status_and_records_failed_attempts(
    client: httpx.AsyncClient,
) -> None:
    async with Receiver(KEY) as receiver:
        receiver.fail_next(2, status=503)
        note = _note(9)
        codes = [
            (
                await client.post(receiver.url, content=note.body, headers=note.headers(KEY))
            ).status_code
            for _ in range(3)
        ]
        assert codes == [503, 503, 200]
        assert len(receiver.failed_attempts) == 2
        assert all(r.injected_failure and r.verified for r in receiver.failed_attempts)
        assert len(receiver.requests) == 3 and len(receiver.notifications) == 1
        assert [e["objectId"] for e in receiver.events] == ["9"]
        receiver.clear()
        assert receiver.requests == [] and receiver.events == []


async def test_any_path_is_accepted(client: httpx.AsyncClient) -> None:
    async with Receiver() as receiver:
        base = receiver.url.rsplit("/", 1)[0]
        note = _note(1)
        assert (await client.post(base + "/hooks/ce", content=note.body)).status_code == 200
        assert receiver.notifications[0].path == "/hooks/ce"


async def test_wait_for_events_wakes_on_arrival(client: httpx.AsyncClient) -> None:
    async with Receiver() as receiver:
        waiting = asyncio.create_task(receiver.wait_for_events(3, timeout=10))
        await asyncio.sleep(0)
        assert not waiting.done()
        for i in range(3):
            note = _note(i)
            await client.post(receiver.url, content=note.body, headers=note.headers(None))
        events = await waiting
        assert [e["objectId"] for e in events] == ["0", "1", "2"]
        with pytest.raises(TimeoutError, match="received 3 of 4 events"):
            await receiver.wait_for_events(4, timeout=0.05)


def test_thread_mode_and_sync_wait() -> None:
    with Receiver(KEY) as receiver:
        note = _note(1, 2, 3)
        result: dict[str, int] = {}

        def post() -> None:
            with httpx.Client(trust_env=False) as http:
                response = http.post(receiver.url, content=note.body, headers=note.headers(KEY))
                result["status"] = response.status_code

        sender = threading.Thread(target=post)
        sender.start()
        events = receiver.wait_for_events_sync(3, timeout=10)
        sender.join()
        assert result["status"] == 200
        assert [e["objectId"] for e in events] == ["1", "2", "3"]
        with pytest.raises(TimeoutError):
            receiver.wait_for_events_sync(4, timeout=0.05)
    with pytest.raises(RuntimeError, match="not started"):
        _ = receiver.url


def test_repr_never_shows_the_key() -> None:
    receiver = Receiver(KEY)
    assert KEY not in repr(receiver)
    assert CE_ID_HEADER  # the id header name is shared with the sender


def test_fail_next_validates() -> None:
    with pytest.raises(ValueError):
        Receiver().fail_next(1, status=42)
    with pytest.raises(ValueError):
        Receiver().fail_next(-1)


async def test_keep_records_off_only_calls_back(client: httpx.AsyncClient) -> None:
    seen: list[ReceivedNotification] = []
    async with Receiver(keep_records=False, on_notification=seen.append) as receiver:
        note = _note(4)
        assert (await client.post(receiver.url, content=note.body)).status_code == 200
        assert receiver.requests == [] and receiver.events == []
        assert [r.event_id for r in seen] == [note.id]
