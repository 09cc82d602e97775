"""Generated orders are rows until their first read (simulator.store.order_rows).

Reading one makes it, once, in place; nothing that only counts, finds or
invalidates orders makes them; and an order made late holds what it would have
held if made at once.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime

from helpers import LiveStore

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate
from simulator.models import Order
from simulator.store.queries import PostQuery

START = datetime(2024, 3, 10, 6, tzinfo=UTC)


def generated(orders: int = 300) -> Simulator:
    sim = Simulator(clock=Clock(START, frozen=True))
    generate(sim.store, "rows", customers=30, orders=orders, products=6)
    return sim


def made_ids(sim: Simulator) -> set[int]:
    records = sim.store.order_table.records
    return {i for i in records if records.made(i) is not None}


def test_a_generation_makes_no_order() -> None:
    sim = generated()
    store = sim.store
    assert store.refunds and store.note_table  # refunded and noted without being made
    assert made_ids(sim) == set()
    assert len(store.orders) == 300  # counted, listed and found without being made
    assert all(i in store.orders for i in list(store.orders)[:5])
    assert made_ids(sim) == set()


def test_refunds_of_orders_not_made_yet_are_theirs_once_made() -> None:
    sim = generated()
    store = sim.store
    by_order: dict[int, list[int]] = {}
    for refund in store.refunds.values():
        by_order.setdefault(refund.parent_id, []).append(refund.id)
    assert by_order
    for order_id, refund_ids in by_order.items():
        order = store.orders[order_id]
        assert list(order.refunds) == refund_ids
        if order.status == "refunded":
            assert sum(store.refunds[i].amount for i in refund_ids) == order.total
    made = next(i for i in by_order if store.orders[i].status != "refunded")
    refund = store.create_refund(made, amount="0.01", refund_payment=False, emit=False)
    assert store.orders[made].refunds == (*by_order[made], refund.id)  # a made order takes more


def test_a_read_makes_the_order_once_and_in_place() -> None:
    sim = generated()
    store = sim.store
    ids = list(store.orders)
    target = next(i for i in ids if i not in made_ids(sim))
    order = store.orders[target]
    assert isinstance(order, Order) and order.id == target
    assert store.orders[target] is order and store.orders.get(target) is order
    assert store.order_table.records.made(target) is order
    assert list(store.orders) == ids  # still in id order
    assert store.orders.get(-1) is None


def test_values_and_items_give_orders_in_id_order() -> None:
    sim = generated(120)
    store = sim.store
    orders = list(store.orders.values())
    assert all(isinstance(o, Order) for o in orders)
    assert [o.id for o in orders] == list(store.orders)
    assert [(i, o.id) for i, o in store.orders.items()] == [(o.id, o.id) for o in orders]
    assert len(store.orders.values()) == 120


def test_invalidations_do_not_make_orders() -> None:
    sim = generated()
    store = sim.store
    before = made_ids(sim)
    product = next(iter(store.products.values()))
    store.update_product(product.id, {"name": "Renamed"})
    store.invalidate_rendering()
    assert made_ids(sim) == before


def test_filters_and_deletes_reach_orders_not_made_yet() -> None:
    sim = generated()
    store = sim.store
    unmade = [i for i in store.orders if i not in made_ids(sim)]
    order_id = unmade[0]
    customer_id = store.orders[order_id].customer_id
    unmade.remove(order_id)
    page, total = store.query_orders(PostQuery(per_page=100, customer=customer_id))
    assert order_id in {o.id for o in page} and total == len(page)
    victim = unmade[-1]
    store.delete_order(victim)
    assert victim not in store.orders and len(store.orders) == 299


async def test_rest_reads_an_order_not_made_yet(store: LiveStore) -> None:
    generate(store.sim.store, "rows", customers=20, orders=100, products=5)
    records = store.sim.store.order_table.records
    order_id = next(i for i in records if records.made(i) is None)
    response = await store.client.get(f"orders/{order_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == order_id and len(body["cart_hash"]) == 32
    assert records.made(order_id) is not None


def test_readers_on_two_threads_get_the_same_orders() -> None:
    sim = generated(2000)
    store = sim.store
    barrier = threading.Barrier(4)
    seen: list[list[int]] = []

    def read() -> None:
        barrier.wait()
        seen.append([id(order) for order in store.orders.values()])

    threads = [threading.Thread(target=read) for _ in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: inside every make
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(seen) == 4 and seen[0] == seen[1] == seen[2] == seen[3]
    assert seen[0] == [id(order) for order in store.orders.values()]


def test_an_order_made_meanwhile_is_the_one_a_late_reader_gets() -> None:
    sim = generated()
    records = sim.store.order_table.records
    order_id = next(i for i in records if records.made(i) is None)
    row = records._data[order_id]
    assert isinstance(row, tuple)
    first = records[order_id]
    assert records._make(order_id, row) is first  # a reader that saw the row before


def test_generated_refunds_are_made_on_the_first_read_in_id_order() -> None:
    sim = generated()
    table = sim.store.refund_table
    assert table._later and not table._records  # ids taken, records not made yet
    refunds = list(sim.store.refunds.values())
    assert not table._later
    assert [r.id for r in refunds] == sorted(r.id for r in refunds)
    partial = [r for r in refunds if r.line_items]
    assert partial and all(
        line.quantity == -1 and line.total == -r.amount and line.meta_data[0].value
        for r in partial
        for line in r.line_items
    )
    order = sim.store.orders[refunds[0].parent_id]
    assert table.of_order(order) == [refunds[0]]
