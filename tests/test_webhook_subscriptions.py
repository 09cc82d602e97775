"""Which events reach which webhooks: the subscription index and the action events
the store builds only when someone takes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from webhook_helpers import FakeStore, Receiver

from pytest_woosim.harness.webhook_receiver import store_secrets
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.events import StoreEvent
from simulator.settings import Settings
from simulator.webhooks import WebhookService

URL = "http://127.0.0.1:9/hook"  # never sent to: these deliveries stay queued


@pytest.fixture
def sim() -> Simulator:
    return Simulator(clock=Clock(datetime(2024, 3, 10, 6, tzinfo=UTC), frozen=True))


def test_topic_and_status_set_on_the_record_decide_what_is_queued(sim: Simulator) -> None:
    service = sim.webhooks
    webhook = service.registry.create(topic="order.updated", delivery_url=URL)
    order = sim.store.create_order({})

    def queued_by_an_update() -> int:
        service.engine.reset()
        sim.store.update_order(order.id, {"customer_note": "changed"})
        return service.pending

    assert queued_by_an_update() == 1
    webhook.status = "paused"
    assert queued_by_an_update() == 0
    webhook.status = "active"
    assert queued_by_an_update() == 1
    webhook.topic = "order.deleted"
    assert queued_by_an_update() == 0
    webhook.topic = "action.woocommerce_update_order"
    assert queued_by_an_update() == 1
    service.delete(webhook.id)
    assert queued_by_an_update() == 0
    service.registry.create(topic="order.updated", delivery_url=URL)
    assert queued_by_an_update() == 1


def test_the_store_builds_only_the_action_events_someone_takes(sim: Simulator) -> None:
    service = sim.webhooks
    service.registry.create(topic="order.updated", delivery_url=URL)
    seen: list[str] = []

    def listener(event: StoreEvent) -> None:
        if event.resource == "action":
            seen.append(event.hook)

    sim.bus.subscribe(listener, hooks=lambda hook: hook == "woocommerce_payment_complete")
    order = sim.store.create_order({})
    sim.store.update_order(order.id, {"status": "processing", "set_paid": True})
    assert seen == ["woocommerce_payment_complete"]

    service.registry.create(topic="action.woocommerce_order_status_completed", delivery_url=URL)
    seen.clear()
    sim.store.update_order(order.id, {"status": "completed"})
    assert seen == ["woocommerce_order_status_completed"]

    sim.bus.subscribe(lambda event: None)  # no filter: it takes every action event
    seen.clear()
    sim.store.update_order(order.id, {"customer_note": "x"})
    assert seen == ["woocommerce_update_order"]


def test_a_simulator_that_never_served_has_its_webhooks_and_resets_them(sim: Simulator) -> None:
    # The service is made with the simulator: no app() needed to queue, look up or reset.
    service = sim.webhooks
    assert service.faults is sim.faults
    service.options.queue_interval = 60
    webhook = service.registry.create(topic="order.created", delivery_url=URL, secret="s3")
    assert store_secrets(sim)(webhook.id) == "s3"
    sim.store.create_order({})
    assert service.pending == 1

    sim.reset()
    assert service.all() == []
    assert service.pending == 0
    assert service.options.queue_interval == 0
    assert store_secrets(sim)(webhook.id) is None


@pytest.fixture
async def counting_service(
    clock: Clock, receiver: Receiver
) -> AsyncIterator[tuple[WebhookService, FakeStore, list[tuple[str, int]]]]:
    store = FakeStore()
    built: list[tuple[str, int]] = []

    def payload_for(resource: str, resource_id: int) -> Any:
        built.append((resource, resource_id))
        return store.payload_for(resource, resource_id)

    service = WebhookService(
        clock=clock, bus=store.bus, settings=Settings(), payload_for=payload_for
    )
    await service.start()
    try:
        yield service, store, built
    finally:
        await service.close()


async def test_webhooks_on_one_resource_share_one_rendering_per_run(
    counting_service: tuple[WebhookService, FakeStore, list[tuple[str, int]]],
    receiver: Receiver,
) -> None:
    service, store, built = counting_service
    await service.create(topic="order.created", delivery_url=receiver.url("/a"))
    await service.create(topic="order.updated", delivery_url=receiver.url("/b"))
    await service.wait_for(2, kind="ping")
    store.put("order", 7, status="pending")
    store.emit("order", "created", 7)  # fires order.created, then order.updated
    first, second = await service.wait_for(2, kind="delivery")
    assert built == [("order", 7)]
    assert first.request_body == second.request_body == '{"id":7,"status":"pending"}'
    assert (first.topic, second.topic) == ("order.created", "order.updated")
