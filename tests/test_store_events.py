"""The store emits a StoreEvent for every change, whatever the path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.events import StoreEvent
from simulator.generate import generate


@pytest.fixture
def sim() -> Simulator:
    return Simulator(clock=Clock(datetime(2024, 3, 10, 6, tzinfo=UTC), frozen=True))


def record(sim: Simulator) -> list[tuple[str, str, int]]:
    seen: list[tuple[str, str, int]] = []

    def listener(event: StoreEvent) -> None:
        if event.resource != "action":  # action hooks: tests/test_webhook_queue.py
            seen.append((event.resource, event.event, event.resource_id))

    sim.bus.subscribe(listener)
    return seen


def test_store_changes_emit_events(sim: Simulator) -> None:
    seen = record(sim)
    store = sim.store
    customer = store.create_customer({"email": "a@example.com"})
    product = store.create_product({"name": "Mug", "regular_price": "4.00"})
    order = store.create_order(
        {"customer_id": customer.id, "line_items": [{"product_id": product.id}]}
    )
    store.update_order(order.id, {"status": "completed"})  # paid -> the customer is saved too
    store.trash_order(order.id)
    store.restore_order(order.id)
    store.delete_order(order.id)  # forced: nothing fires
    store.update_product(product.id, {"name": "Big mug"})
    store.trash_product(product.id)
    store.restore_product(product.id)
    store.delete_product(product.id)
    store.update_customer(customer.id, {"first_name": "Ann"})
    store.delete_customer(customer.id)
    assert seen == [
        ("customer", "created", customer.id),
        ("product", "created", product.id),
        ("order", "created", order.id),
        ("order", "updated", order.id),
        ("customer", "updated", customer.id),
        ("order", "deleted", order.id),
        ("order", "restored", order.id),
        ("product", "updated", product.id),
        ("product", "deleted", product.id),
        # The coupon.deleted topic listens to wp_trash_post, which fires for any post.
        ("coupon", "deleted", product.id),
        ("product", "restored", product.id),
        ("customer", "updated", customer.id),
        ("customer", "deleted", customer.id),
    ]


def test_deleting_a_non_customer_user_fires_nothing(sim: Simulator) -> None:
    store = sim.store
    manager = store.create_customer({"email": "m@example.com"})
    store.update_customer(manager.id, {"role": "shop_manager"})
    seen = record(sim)
    store.delete_customer(manager.id)
    assert seen == []


def test_generation_emits_unless_told_not_to(sim: Simulator) -> None:
    seen = record(sim)
    made = generate(sim.store, 1, customers=3, orders=4, products=2)
    assert [e for e in seen if e[0] == "order"] == [("order", "created", i) for i in made.orders]
    assert len([e for e in seen if e[0] == "customer"]) == 3
    seen.clear()
    generate(sim.store, 2, customers=2, orders=2, emit=False)
    assert seen == []


def test_reset_empties_and_calls_hooks(sim: Simulator) -> None:
    calls: list[str] = []
    sim.reset_hooks.append(lambda: calls.append("reset"))
    key = sim.keys.default
    generate(sim.store, 1, customers=3, orders=4)
    sim.reset()
    assert calls == ["reset"]
    assert not sim.store.orders and not sim.store.products
    assert list(sim.store.customers) == [1]  # the administrator who owns the keys
    assert sim.keys.default == key


def test_payload_for_matches_rest_body(sim: Simulator) -> None:
    product = sim.store.create_product({"name": "Mug", "regular_price": "4.00"})
    order = sim.store.create_order({"line_items": [{"product_id": product.id}]})
    payload = sim.payload_for("order", order.id)
    assert payload["currency_symbol"] == "$"
    assert payload["_links"]["self"][0]["href"].endswith(f"/wp-json/wc/v3/orders/{order.id}")
    sim.store.delete_order(order.id)
    with pytest.raises(Exception) as raised:
        sim.payload_for("order", order.id)
    assert getattr(raised.value, "status", None) == 404
