"""Simulator → relay → receiver, all real servers on loopback sharing one frozen clock."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_woosim.harness.world import World, open_world
from pytest_woosim.instance.load import load_instance
from pytest_woosim.relay.registration import TOPICS
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay

FIXTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "instances" / "recommended-webhook.json"
)
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
KEY = "e2e-signature-key"


async def new_relay(world: World, *, reconcile: bool = False, **options: Any) -> WebhookRelay:
    """The recommended webhook instance's relay, started; its state in the test's folder."""
    config = load_instance(FIXTURE).repointed(
        store_url=world.server.site_url,
        callback_url=world.receiver.url,
        api_key=world.server.consumer_key,
        api_secret=world.server.consumer_secret,
        signature_key=KEY,
    )
    return await world.start_relay(
        config,
        state=world.state("relay.sqlite3"),
        options=RelayOptions(**options),
        reconcile=reconcile,
    )


async def wait_for(
    world: World, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Wait (real time, bounded) until the received events satisfy ``predicate``."""
    receiver = world.receiver
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate(receiver.events):
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"events so far: {receiver.events}")
        try:
            await receiver.wait_for_events(len(receiver.events) + 1, remaining)
        except (TimeoutError, AssertionError):
            continue
    return receiver.events


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world(start=START, key=KEY, state_dir=tmp_path) as w:
        yield w


def without_customer_updated(world: World) -> None:
    """Unsubscribe the relay from customer.updated, so that creating a customer (which
    fires customer.created and customer.updated, as a real store does) is ONE notification."""
    service = world.sim.webhooks
    for webhook in service.all():
        if webhook.topic == "customer.updated":
            service.delete(webhook.id)


def count(
    object_type: str, object_id: object, event_type: str, n: int
) -> Callable[[list[dict[str, Any]]], bool]:
    def check(events: list[dict[str, Any]]) -> bool:
        return (
            sum(
                e["objectType"] == object_type
                and e["objectId"] == str(object_id)
                and e["eventType"] == event_type
                for e in events
            )
            >= n
        )

    return check


def has(
    object_type: str, object_id: object, event_type: str
) -> Callable[[list[dict[str, Any]]], bool]:
    def check(events: list[dict[str, Any]]) -> bool:
        return any(
            e["objectType"] == object_type
            and e["objectId"] == str(object_id)
            and e["eventType"] == event_type
            for e in events
        )

    return check


async def test_changes_arrive_as_signed_notifications(world: World) -> None:
    relay = await new_relay(world)
    assert sorted(relay.registration.created) == sorted(TOPICS)  # type: ignore[union-attr]

    customer = (
        await world.api.post(
            "customers", json={"email": "zoe@example.com", "first_name": "Zo\u00eb"}
        )
    ).json()
    await wait_for(world, has("customers", customer["id"], "CREATED"))
    world.clock.advance(60)
    await world.api.put(f"customers/{customer['id']}", json={"last_name": "Doe"})
    # The first UPDATED came with the creation (the store saves a new customer twice).
    await wait_for(world, count("customers", customer["id"], "UPDATED", 2))

    order = (
        await world.api.post("orders", json={"customer_id": customer["id"], "status": "processing"})
    ).json()
    await wait_for(world, has("orders", order["id"], "CREATED"))
    world.clock.advance(60)
    await world.api.put(f"orders/{order['id']}", json={"status": "completed"})
    await wait_for(world, count("orders", order["id"], "UPDATED", 2))
    await world.api.delete(f"orders/{order['id']}")
    await wait_for(world, has("orders", order["id"], "DELETED"))
    await world.api.delete(f"customers/{customer['id']}", params={"force": "true"})
    await wait_for(world, has("customers", customer["id"], "DELETED"))

    for notification in world.receiver.notifications:
        assert notification.verified is True
        # Checked here independently of the project's signing code.
        expected = base64.b64encode(
            hmac.new(KEY.encode(), notification.body, hashlib.sha256).digest()
        ).decode()
        assert notification.header("Elements-Webhook-Signature") == "sha256=" + expected
        message = notification.message
        assert message is not None and message["elementKey"] == "woocommercerest"
        assert len(message["events"]) == 1
    *_, updated = (
        n.message
        for n in world.receiver.notifications
        if n.message
        and n.message["events"][0]["eventType"] == "UPDATED"
        and n.message["events"][0]["objectType"] == "orders"
    )
    assert updated["raw"]["status"] == "completed"
    assert updated["events"][0]["date"] == updated["raw"]["date_modified_gmt"] + "Z"
    stats = (await world.api.get(relay.url + "/stats")).json()
    assert stats["rejected"] == 0 and stats["queued"] == 0 and stats["parked"] == 0
    assert stats["accepted"] == len(world.receiver.events)


async def test_forged_and_unsigned_deliveries_are_rejected(world: World) -> None:
    relay = await new_relay(world)
    body = b'{"id":1,"date_modified_gmt":"2024-06-03T09:00:00"}'
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-ID": "1",
    }
    unsigned = await world.api.post(relay.delivery_url, content=body, headers=headers)
    forged_sig = base64.b64encode(hmac.new(b"guess", body, hashlib.sha256).digest()).decode()
    forged = await world.api.post(
        relay.delivery_url,
        content=body,
        headers={**headers, "X-WC-Webhook-Signature": forged_sig},
    )
    assert (unsigned.status_code, forged.status_code) == (401, 401)
    stats = (await world.api.get(relay.url + "/stats")).json()
    assert stats["rejected"] == 2 and stats["accepted"] == 0 and stats["queued"] == 0
    await relay.sender.drain(5)
    assert world.receiver.requests == []


async def test_callback_down_is_retried_on_the_virtual_clock(world: World) -> None:
    relay = await new_relay(world)
    without_customer_updated(world)
    world.receiver.fail_next(3, status=503)
    customer = (await world.api.post("customers", json={"email": "retry@example.com"})).json()

    async def attempts(n: int) -> None:
        deadline = asyncio.get_running_loop().time() + 10
        while len(world.receiver.requests) < n:
            assert asyncio.get_running_loop().time() < deadline, world.receiver.requests
            await asyncio.sleep(0.01)

    await attempts(1)
    first_failure = world.clock.timestamp()
    await world.clock.advance_async(3.9)
    assert len(world.receiver.requests) == 1
    await world.clock.advance_async(0.1)  # +4 s: retry 1
    await attempts(2)
    await world.clock.advance_async(12)  # +16 s: retry 2
    await attempts(3)
    await world.clock.advance_async(48)  # +64 s: retry 3 succeeds
    await wait_for(world, has("customers", customer["id"], "CREATED"))
    deadline = asyncio.get_running_loop().time() + 10
    while len(relay.sender.attempt_log) < 4:  # the log is written after the answer arrives
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    times = [a.at - first_failure for a in relay.sender.attempt_log]
    assert times == [0, 4, 16, 64]
    assert len(world.receiver.failed_attempts) == 3


async def test_duplicates_are_removed(world: World) -> None:
    relay = await new_relay(world)
    customer = (await world.api.post("customers", json={"email": "dup@example.com"})).json()
    await wait_for(world, has("customers", customer["id"], "CREATED"))
    # Replay the store's own delivery (as its "duplicate" fault or an admin resend would).
    journal = [r for r in world.sim.webhooks.journal.entries() if r.topic == "customer.created"]
    delivery = journal[-1]
    replay = await world.api.post(
        relay.delivery_url, content=delivery.request_body, headers=dict(delivery.request_headers)
    )
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    await relay.sender.drain(5)
    created = [e for e in world.receiver.events if e["eventType"] == "CREATED"]
    assert len(created) == 1


async def test_restart_reuses_webhooks_and_reactivates_disabled(world: World) -> None:
    relay = await new_relay(world, check_interval=300)
    first_ids = relay.registration.ids  # type: ignore[union-attr]
    await world.stop_relay(relay)

    relay = await new_relay(world, check_interval=300, cleanup=True)
    report = relay.registration
    assert report is not None and report.created == {} and report.ids == first_ids
    listed = (await world.api.get("webhooks", params={"per_page": 100})).json()
    assert len(listed) == len(TOPICS)

    hook_id = first_ids["order.updated"]
    await world.api.put(f"webhooks/{hook_id}", json={"status": "disabled"})
    await world.clock.advance_async(300)
    deadline = asyncio.get_running_loop().time() + 10
    while (await world.api.get(f"webhooks/{hook_id}")).json()["status"] != "active":
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)

    await world.stop_relay(relay)  # --cleanup deletes them
    assert (await world.api.get("webhooks")).json() == []


async def test_health_and_ping(world: World) -> None:
    relay = await new_relay(world)
    health = (await world.api.get(relay.url + "/healthz")).json()
    assert health["status"] == "ok" and health["webhooks"] == len(TOPICS)
    # Every webhook was pinged on create and got a 200.
    stats = (await world.api.get(relay.url + "/stats")).json()
    assert stats["pings"] == len(TOPICS)


async def test_store_faults_duplicate_and_corrupt_signature(world: World) -> None:
    relay = await new_relay(world)
    faults = world.sim.webhooks.faults
    faults.add(kind="duplicate", count=1, topic="customer.created")
    first = (await world.api.post("customers", json={"email": "twice@example.com"})).json()
    await wait_for(world, has("customers", first["id"], "CREATED"))
    faults.add(kind="corrupt_signature", count=1, topic="customer.created")
    (await world.api.post("customers", json={"email": "forged@example.com"})).json()
    third = (await world.api.post("customers", json={"email": "fine@example.com"})).json()
    await wait_for(world, has("customers", third["id"], "CREATED"))
    deadline = asyncio.get_running_loop().time() + 10
    while (await world.api.get(relay.url + "/stats")).json()["duplicates"] < 1:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    await relay.sender.drain(5)
    created = [e["objectId"] for e in world.receiver.events if e["eventType"] == "CREATED"]
    assert created == [str(first["id"]), str(third["id"])]
    stats = (await world.api.get(relay.url + "/stats")).json()
    assert stats["rejected"] == 1 and stats["duplicates"] == 1


async def test_reconciliation_emits_what_webhooks_dropped_without_duplicates(world: World) -> None:
    relay = await new_relay(world, reconcile=True)
    world.clock.advance(5)
    seen = (await world.api.post("customers", json={"email": "seen@example.com"})).json()
    await wait_for(world, has("customers", seen["id"], "CREATED"))
    faults = world.sim.webhooks.faults
    faults.add(kind="drop")  # the store's queue runner dies: every delivery is lost
    lost_customer = (await world.api.post("customers", json={"email": "lost@example.com"})).json()
    lost_order = (await world.api.post("orders", json={"status": "processing"})).json()
    before = len(world.receiver.events)
    assert not has("customers", lost_customer["id"], "CREATED")(world.receiver.events)

    await world.clock.advance_async(15 * 60)  # the reconciliation poll's interval
    await wait_for(world, has("customers", lost_customer["id"], "CREATED"))
    await wait_for(world, has("orders", lost_order["id"], "CREATED"))
    await relay.sender.drain(5)
    events = world.receiver.events[before:]
    # What the webhook delivered is not emitted again by the poll.
    assert [e for e in events if e["objectId"] == str(seen["id"])] == []
    assert len(events) == 2


async def test_parked_notifications_are_redelivered_on_request(world: World) -> None:
    relay = await new_relay(world, retry_schedule=(4.0, 16.0))
    without_customer_updated(world)
    world.receiver.fail_next(3, status=500)
    customer = (await world.api.post("customers", json={"email": "parked@example.com"})).json()
    deadline = asyncio.get_running_loop().time() + 10
    while len(world.receiver.requests) < 1:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    await world.clock.advance_async(16)  # retries at +4 and +16 fail too: parked
    while (await world.api.get(relay.url + "/stats")).json()["parked"] != 1:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    assert len(world.receiver.failed_attempts) == 3 and world.receiver.events == []

    answer = await world.api.post(relay.url + "/redeliver")
    assert answer.json() == {"status": "ok", "redelivering": 1}
    await wait_for(world, has("customers", customer["id"], "CREATED"))
    await relay.sender.drain(5)
    stats = (await world.api.get(relay.url + "/stats")).json()
    assert (stats["parked"], stats["queued"], stats["delivered"]) == (0, 0, 1)


async def test_restored_order_is_an_update(world: World) -> None:
    await new_relay(world)
    order = (await world.api.post("orders", json={"status": "processing"})).json()
    await wait_for(world, has("orders", order["id"], "CREATED"))
    await world.api.delete(f"orders/{order['id']}")
    await wait_for(world, has("orders", order["id"], "DELETED"))
    world.clock.advance(30)
    restored = await world.api.post(f"{world.server.site_url}/_woosim/orders/{order['id']}/restore")
    assert restored.status_code == 200
    await wait_for(
        world,
        lambda events: (
            [e["eventType"] for e in events if e["objectId"] == str(order["id"])][-1:]
            == ["UPDATED"]
        ),
    )
