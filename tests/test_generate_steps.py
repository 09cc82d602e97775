"""Generation in steps: same bytes however driven, a responsive loop, compact records."""

from __future__ import annotations

import asyncio
import gc
import io
import random
from datetime import UTC, datetime

import pytest
from helpers import LiveStore

import simulator.generate.generation as generation
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import (
    Generation,
    GenerationInterrupted,
    ProgressBar,
    generate,
    generate_async,
)
from simulator.models import Order, Product
from simulator.settings import Settings
from simulator.store import SortedIndex
from simulator.wcdates import wall_seconds

START = datetime(2024, 3, 10, 6, tzinfo=UTC)


def fresh() -> Simulator:
    return Simulator(clock=Clock(START, frozen=True))


def rendered(sim: Simulator) -> list[bytes]:
    render, store = sim.renderer, sim.store
    return (
        [render.order_bytes(o) for o in store.orders.values()]
        + [render.customer_bytes(c) for c in store.customers.values()]
        + [render.product_bytes(p) for p in store.products.values()]
    )


async def test_same_seed_same_bytes_however_driven() -> None:
    one = fresh()
    generate(one.store, "steps", customers=40, orders=300, products=9)
    small_steps = fresh()
    Generation(small_steps.store, "steps", chunk=7, customers=40, orders=300, products=9).run()
    on_loop = fresh()
    await generate_async(on_loop.store, "steps", customers=40, orders=300, products=9)
    expected = rendered(one)
    assert len(expected) == 300 + 41 + 9  # the administrator is a customer too
    assert rendered(small_steps) == expected
    assert rendered(on_loop) == expected
    other = fresh()
    generate(other.store, "other seed", customers=40, orders=300, products=9)
    assert rendered(other) != expected


def test_progress_reaches_every_record() -> None:
    sim = fresh()
    seen: list[tuple[int, int]] = []
    Generation(sim.store, 1, chunk=50, customers=40, orders=300, products=9).run(
        lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (349, 349)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) > 5


def test_progress_bar_draws_one_line() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "orders", width=10)
    for done in (0, 250, 500, 500, 1000):
        bar(done, 1000)
    text = stream.getvalue()
    assert text.endswith("[##########] 100% 1,000/1,000\n")
    assert text.count("\n") == 1 and text.count("\r") == 4  # the repeated 50% is not redrawn


def test_reset_between_steps_stops_the_generation() -> None:
    sim = fresh()
    steps = Generation(sim.store, 1, chunk=20, customers=40, orders=300, products=9).steps()
    next(steps)
    next(steps)
    sim.reset()
    with pytest.raises(GenerationInterrupted):
        list(steps)


async def test_generate_route_leaves_the_loop_free(
    store: LiveStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generation, "CHUNK", 100)
    site = store.server.site_url
    request = asyncio.create_task(
        store.client.post(f"{site}/_woosim/generate", json={"orders": 3000, "customers": 300})
    )
    answered_meanwhile = 0
    deadline = asyncio.get_running_loop().time() + 60
    while not request.done() and asyncio.get_running_loop().time() < deadline:
        clock = await store.client.get(f"{site}/_woosim/clock")
        assert clock.status_code == 200
        if not request.done():
            answered_meanwhile += 1
    made = await request
    assert made.json() == {"customers": 300, "products": 12, "orders": 3000}
    assert answered_meanwhile > 0
    assert (await store.client.get("orders")).headers["X-WP-Total"] == "3000"


def test_orders_share_immutable_customer_addresses() -> None:
    sim = fresh()
    generate(sim.store, 4, customers=5, orders=60, products=5)
    order = next(o for o in sim.store.orders.values() if o.customer_id)
    customer = sim.store.customers[order.customer_id]
    assert order.billing is customer.billing  # shared, not copied
    old_city = order.billing.city
    sim.store.update_customer(customer.id, {"billing": {"city": "Elsewhere"}})
    assert customer.billing.city == "Elsewhere"
    assert order.billing.city == old_city  # the order keeps its snapshot
    assert order.meta_data == () and order.fee_lines == ()  # shared empty tuples


def test_sorted_index_merges_bulk_additions() -> None:
    rng = random.Random(3)
    index = SortedIndex()
    expected: list[tuple[int, int]] = []
    next_id = 1
    for batch in range(12):
        pairs = []
        for _ in range(rng.randint(0, 50)):
            # mostly newer keys, some reaching back into the indexed range
            key = 1_700_000_000 + batch * 1000 + rng.randint(-2500, 1000)
            pairs.append((key, next_id))
            next_id += 1
        index.extend(pairs)
        expected.extend(pairs)
        single = (1_700_000_000 + rng.randint(0, 12_000), next_id)
        index.add(*single)
        expected.append(single)
        next_id += 1
    order = [record_id for _, record_id in sorted(expected)]
    assert list(index.ids(0, len(index))) == order
    assert list(index.ids(0, len(index), descending=True)) == order[::-1]


def test_sorted_index_reads_see_bulk_additions_not_merged_yet() -> None:
    rng = random.Random(5)
    index = SortedIndex()
    expected: list[tuple[int, int]] = []
    for batch in range(6):  # several bulk additions before any read
        pairs = [
            (1_700_000_000 + batch * 100 + rng.randint(-300, 100), batch * 100 + n)
            for n in range(1, 60)
        ]
        index.extend(pairs)
        expected.extend(pairs)
    assert len(index) == len(expected)
    after, before = 1_700_000_100, 1_700_000_400
    start, end = index.span(after, before)
    inside = sorted(p for p in expected if after < p[0] < before)
    assert index.id_slice(start, end) == [record_id for _, record_id in inside]
    gone = expected[7]
    index.extend([(1_699_999_000, 9_999)])  # pending again, then removed and added to
    index.remove(*gone)
    index.add(1_700_000_050, 10_000)
    expected = [p for p in expected if p != gone] + [
        (1_699_999_000, 9_999),
        (1_700_000_050, 10_000),
    ]
    assert list(index.ids(0, len(index))) == [record_id for _, record_id in sorted(expected)]


def test_sales_paying_customers_and_item_ids_add_up() -> None:
    sim = fresh()
    Generation(sim.store, "tally", chunk=37, customers=30, orders=700, products=7).run()
    store = sim.store
    sold = {product_id: 0 for product_id in store.products}
    paying: set[int] = set()
    item_ids: list[int] = []
    for order in store.orders.values():
        if order.paid is not None:
            for item in order.line_items:
                sold[item.product_id] += item.quantity
            if order.customer_id:
                paying.add(order.customer_id)
        item_ids += [i.id for i in order.line_items] + [c.id for c in order.coupon_lines]
        item_ids += [s.id for s in order.shipping_lines]
        item_ids += [order.tax_line_id] if order.tax_line_id else []
        discount = sum(i.subtotal - i.total for i in order.line_items)
        assert sum(c.discount for c in order.coupon_lines) == discount
    assert {p.id: p.total_sales for p in store.products.values()} == sold
    assert {c.id for c in store.customers.values() if c.is_paying_customer} == paying
    for refund in store.refunds.values():
        item_ids += [i.id for i in refund.line_items]
    assert len(item_ids) == len(set(item_ids))  # every order item has its own id
    assert store.claim_item_ids(0) == max(item_ids) + 1
    guests = [o for o in store.orders.values() if o.customer_id == 0]
    assert guests and all(o.billing.email and not o.shipping.email for o in guests)


def test_site_time_zone_walls_match_the_store() -> None:
    sim = Simulator(Settings(timezone="America/New_York"), clock=Clock(START, frozen=True))
    assert not sim.store.wall_is_utc and fresh().store.wall_is_utc
    generate(sim.store, "zone", customers=20, orders=200, products=5)
    store = sim.store
    records: list[Order | Product] = [*store.orders.values(), *store.products.values()]
    for record in records:
        assert record.created_wall == store.wall(record.created)
        assert record.modified_wall == store.wall(record.modified)
    for customer in store.customers.values():
        assert customer.created_wall == store.wall(customer.created)
    assert any(o.created_wall != o.created for o in store.orders.values())


def test_wall_seconds_of_utc_and_zoned_sites() -> None:
    utc, zoned = fresh().store, Simulator(Settings(timezone="Europe/Paris")).store
    for instant in range(1_700_000_000, 1_700_000_000 + 40 * 86_400, 7_777):
        assert utc.wall(instant) == instant
        assert zoned.wall(instant) == wall_seconds(instant, zoned.settings.zone) != instant


def test_order_profiles_are_shared_but_orders_are_not() -> None:
    sim = fresh()
    generate(sim.store, "profiles", customers=50, orders=2000, products=12)
    orders = list(sim.store.orders.values())
    baskets = {tuple((i.product_id, i.quantity) for i in o.line_items) for o in orders}
    assert 20 < len(baskets) < len(orders)  # drawn from a pool of profiles
    assert len({o.cart_hash for o in orders}) == len(orders)  # each order its own hash
    assert len({(o.customer_id, o.customer_ip_address, o.created) for o in orders}) == len(orders)


def test_a_share_of_orders_has_notes_and_refunds() -> None:
    sim = fresh()
    generate(sim.store, "history", customers=30, orders=600, products=7)
    store = sim.store
    refunded = [o for o in store.orders.values() if o.status == "refunded"]
    assert refunded and all(
        sum(store.refunds[r].amount for r in o.refunds) == o.total for o in refunded
    )
    partial = [o for o in store.orders.values() if o.status == "completed" and o.refunds]
    assert partial and all(store.refunds[o.refunds[0]].amount < o.total for o in partial)
    for refund in store.refunds.values():
        order = store.orders[refund.parent_id]
        assert order.id < refund.id and refund.created == order.modified
    with_notes = {note.order_id for note in store.notes.by_id.values()}
    assert 0.1 < len(with_notes) / len(store.orders) < 0.3
    texts = {note.content for note in store.notes.by_id.values()}
    assert "Order status changed from Pending payment to Processing." in texts
    for order in refunded:
        assert store.notes.of_order(order.id)[0].content.startswith("Order status")


def test_a_generation_run_at_once_leaves_its_records_in_the_oldest_generation() -> None:
    sim = fresh()
    generate(sim.store, "promoted", customers=30, orders=3000, products=5)
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert gc.get_freeze_count() == 0
    store = sim.store
    # What the generation made: customers and the orders' rows (orders, notes and
    # refunds are made on first read, after the generation).
    made = [*store.customers.values(), *store.order_table.records._data.values()]
    assert len(made) > 3000
    assert all(id(record) in oldest for record in made)  # no young pass walked them


def test_objects_the_process_froze_stay_frozen_through_a_generation() -> None:
    marker: list[object] = [object()]  # tracked by the collector
    gc.freeze()
    try:
        generate(fresh().store, "frozen", customers=10, orders=500, products=5)
        assert gc.get_freeze_count() > 0
        in_generations = {id(o) for g in (0, 1, 2) for o in gc.get_objects(generation=g)}
        assert id(marker) not in in_generations  # still frozen, not thawed into one
    finally:
        gc.unfreeze()
    assert id(marker) in {id(o) for o in gc.get_objects(generation=2)}


def test_an_order_deleted_before_its_history_gets_none() -> None:
    sim = fresh()
    store = sim.store
    job = generation.Generation(store, "deleted", customers=20, orders=400, products=5, chunk=50)
    victim = 0
    for done, total in job.steps():
        if done == total and not victim:  # every order is in; the history steps follow
            victim = next(o.id for o in store.orders.values() if o.status == "refunded")
            store.delete_order(victim)
    assert victim and victim not in store.orders
    assert store.refunds and all(r.parent_id != victim for r in store.refunds.values())
    assert not store.notes.of_order(victim)
