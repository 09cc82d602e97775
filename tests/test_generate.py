"""Seeded data: deterministic, consistent, fast."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from faker import Faker

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate, pools
from simulator.models import PAID_STATUSES

START = datetime(2024, 3, 10, 6, tzinfo=UTC)


def build(seed: int, *, customers: int, orders: int, products: int) -> Simulator:
    sim = Simulator(clock=Clock(START, frozen=True))
    generate(sim.store, seed, customers=customers, orders=orders, products=products)
    return sim


def test_same_seed_same_bytes() -> None:
    one, two = (
        build(5, customers=20, orders=60, products=8),
        build(5, customers=20, orders=60, products=8),
    )
    for resource in ("orders", "customers", "products"):
        a = getattr(one.store, resource)
        b = getattr(two.store, resource)
        assert list(a) == list(b)
    render_a = [one.renderer.order_bytes(o) for o in one.store.orders.values()]
    render_b = [two.renderer.order_bytes(o) for o in two.store.orders.values()]
    assert render_a == render_b
    other = build(6, customers=20, orders=60, products=8)
    assert [other.renderer.order_bytes(o) for o in other.store.orders.values()] != render_a


def test_records_are_consistent() -> None:
    sim = build(3, customers=30, orders=300, products=10)
    now = int(START.timestamp())
    statuses = set()
    guests = 0
    for order in sim.store.orders.values():
        statuses.add(order.status)
        assert order.created <= order.modified <= now
        if order.paid is not None:
            assert order.created <= order.paid <= order.modified
        if order.completed is not None:
            assert order.paid is not None and order.paid <= order.completed <= order.modified
        if order.status in PAID_STATUSES:
            assert order.paid is not None
        if order.customer_id == 0:
            guests += 1
        else:
            assert sim.store.customers[order.customer_id].created <= order.created
        total = sum(i.total for i in order.line_items) + order.shipping_total + order.total_tax
        assert order.total == total
    assert {"completed", "processing", "pending"} <= statuses
    assert 0 < guests < 300
    ids = list(sim.store.orders)
    created = [sim.store.orders[i].created for i in ids]
    assert created == sorted(created)  # ids increase with time, as in WordPress


def test_pools_are_much_faster_than_faker_per_field() -> None:
    pools("speed")  # sampled once per seed
    sim = Simulator(clock=Clock(START, frozen=True))
    began = time.perf_counter()
    generate(sim.store, "speed", customers=200, orders=1000, products=20, emit=False)
    per_order = (time.perf_counter() - began) / 1000
    fake = Faker("en_US")
    fake.seed_instance(1)
    began = time.perf_counter()
    for _ in range(50):  # what one order would cost with Faker called per field
        for _ in range(3):
            fake.first_name(), fake.last_name(), fake.street_address(), fake.city()
            fake.state_abbr(), fake.postcode(), fake.phone_number(), fake.email(), fake.company()
    faker_per_order = (time.perf_counter() - began) / 50
    assert faker_per_order / per_order > 3  # generous bound for noisy CI machines


def test_rejects_impossible_requests() -> None:
    sim = Simulator(clock=Clock(START, frozen=True))
    with pytest.raises(ValueError, match="orders must be >= 0"):
        generate(sim.store, 1, orders=-1)


@pytest.mark.parametrize("seed", range(40))
def test_a_one_product_catalogue_can_always_take_orders(seed: int) -> None:
    # A 5 % draft draw used to leave a one-product catalogue with nothing to buy.
    sim = build(seed, customers=1, orders=2, products=1)
    assert len(sim.store.orders) == 2
    assert [p.status for p in sim.store.products.values()] == ["publish"]
