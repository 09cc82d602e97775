"""Generated orders build their line items and shipping line on first read.

Every reader and every writer must see what an order built at once would hold:
the same values and item ids, records of its own, links and indexes that find
it by product and customer.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

from helpers import LiveStore

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate
from simulator.generate.order_records import OrderBuilder
from simulator.generate.records import RecordBuilder
from simulator.models import Order
from simulator.store.queries import PostQuery

START = datetime(2024, 3, 10, 6, tzinfo=UTC)


def generated(orders: int = 600, **options: int) -> Simulator:
    sim = Simulator(clock=Clock(START, frozen=True))
    generate(sim.store, "lazy", customers=40, orders=orders, products=8, **options)
    return sim


def unbuilt(sim: Simulator) -> list[Order]:
    return [o for o in sim.store.orders.values() if o.basket is not None]


def shared_basket(orders: list[Order]) -> tuple[Order, Order]:
    """Two unbuilt orders drawn from the same profile."""
    seen: dict[int, Order] = {}
    for order in orders:
        assert order.basket is not None
        other = seen.setdefault(id(order.basket), order)
        if other is not order:
            return other, order
    raise AssertionError("no two orders share a basket")


def test_lines_are_built_on_first_read_with_woocommerce_item_ids() -> None:
    sim = generated()
    lazy = unbuilt(sim)
    # Refunds and history read a few orders' lines; the rest stay unbuilt.
    assert len(lazy) > len(sim.store.orders) * 0.8
    for order in lazy:
        assert order.built_line_items == () and order.built_shipping_lines == ()
        basket = order.basket
        assert basket is not None
        lines = order.line_items
        assert order.basket is None
        assert [(i.name, i.product_id, i.quantity, i.total) for i in lines] == [
            (spec[0], spec[1], spec[3], spec[6]) for spec in basket.lines
        ]
        # Lines, then the coupon line, the shipping line and the tax line, one id each.
        ids = [i.id for i in lines] + [c.id for c in order.coupon_lines]
        ids += [s.id for s in order.shipping_lines]
        ids += [order.tax_line_id] if order.tax_line_id else []
        assert ids == list(range(order.first_item_id, order.first_item_id + len(ids)))
        assert order.shipping_lines[0].method_id == basket.shipping[1]


def test_orders_of_one_basket_get_records_of_their_own() -> None:
    sim = generated()
    first, second = shared_basket(unbuilt(sim))
    assert first.line_items is not second.line_items
    assert all(a is not b for a, b in zip(first.line_items, second.line_items, strict=True))
    assert first.shipping_lines[0] is not second.shipping_lines[0]


def test_a_write_to_one_order_leaves_its_basket_alone() -> None:
    sim = generated()
    store = sim.store
    first, second = shared_basket(unbuilt(sim))
    before = sim.renderer.order_bytes(second)
    quantity = second.line_items[0].quantity
    line = first.line_items[0]
    store.update_order(first.id, {"line_items": [{"id": line.id, "quantity": quantity + 4}]})
    assert store.orders[first.id].line_items[0].quantity == quantity + 4
    assert second.line_items[0].quantity == quantity
    assert sim.renderer.order_bytes(second) == before
    assert first.basket is None and second.basket is None


def test_writing_lines_of_an_unbuilt_order_keeps_its_shipping_line() -> None:
    sim = generated()
    order = unbuilt(sim)[0]
    basket = order.basket
    assert basket is not None
    order.line_items = ()
    assert order.basket is None and order.line_items == ()
    shipping = order.shipping_lines[0]
    assert (shipping.id, shipping.method_id) == (
        order.first_item_id + basket.shipping_offset,
        basket.shipping[1],
    )


def test_a_status_change_reduces_stock_on_the_orders_own_lines() -> None:
    sim = generated(orders=1500)
    store = sim.store
    managed = {p.id for p in store.products.values() if p.manage_stock}
    pending = [
        o
        for o in unbuilt(sim)
        if o.status == "pending"
        and o.basket is not None
        and any(i in managed for i in o.basket.product_ids)
    ]
    first, second = shared_basket(pending)
    store.update_order(first.id, {"status": "processing"})
    reduced = [i for i in first.line_items if i.product_id in managed]
    assert reduced and all(m.key == "_reduced_stock" for i in reduced for m in i.meta_data)
    assert all(i.meta_data == () for i in second.line_items)


def test_product_and_customer_filters_find_unbuilt_orders() -> None:
    sim = generated()
    store = sim.store
    product = next(iter(store.products.values()))
    expected = {o.id for o in store.orders.values() if product.id in o.product_ids}
    lazy_before = len(unbuilt(sim))
    found, total = store.query_orders(PostQuery(product=product.id, per_page=100, page=1))
    assert total == len(expected) and {o.id for o in found} <= expected
    customer = next(o.customer_id for o in store.orders.values() if o.customer_id)
    owned = {o.id for o in store.orders.values() if o.customer_id == customer}
    assert store.orders_of_customer(customer) == owned
    found, total = store.query_orders(PostQuery(customer=customer, per_page=100))
    assert {o.id for o in found} == owned and total == len(owned)
    assert len(unbuilt(sim)) == lazy_before  # filters read no line item


def test_search_by_line_name_finds_unbuilt_orders() -> None:
    sim = generated()
    store = sim.store
    order = unbuilt(sim)[0]
    assert order.basket is not None
    name = order.basket.names[0]
    found, total = store.query_orders(PostQuery(search=name.lower(), include=[order.id]))
    assert [o.id for o in found] == [order.id] and total == 1
    assert order.basket is not None  # found without building its lines
    found, total = store.query_orders(PostQuery(search="no such line", include=[order.id]))
    assert found == [] and total == 0


def test_a_deleted_order_never_linked_is_not_found_by_product() -> None:
    sim = generated()
    store = sim.store
    order = unbuilt(sim)[0]
    assert order.basket is not None
    product_id = order.basket.product_ids[0]
    store.delete_order(order.id)
    found, total = store.query_orders(PostQuery(product=product_id, per_page=100))
    assert order.id not in {o.id for o in found}
    assert order.id not in store.orders_of_customer(order.customer_id)
    assert total == sum(1 for o in store.orders.values() if product_id in o.product_ids)


def test_a_product_change_clears_the_rendering_of_orders_not_linked_yet() -> None:
    sim = generated()
    store, render = sim.store, sim.renderer
    product = next(iter(store.products.values()))
    having = [o for o in store.orders.values() if product.id in o.product_ids]
    assert having
    for order in having:
        assert b'"sku":"' + product.sku.encode() + b'"' in render.order_bytes(order)
    store.update_product(product.id, {"sku": "NEW-SKU-1"})
    for order in having:
        assert order.cached is None
        assert b'"sku":"NEW-SKU-1"' in render.order_bytes(order)


async def test_rest_reads_and_writes_of_generated_orders(store: LiveStore) -> None:
    generate(store.sim.store, "lazy-rest", customers=20, orders=300, products=6)
    first, second = shared_basket(unbuilt(store.sim))
    product_id = first.line_items[0].product_id
    answer = await store.client.get(f"orders/{second.id}")
    assert answer.status_code == 200
    lines = answer.json()["line_items"]
    assert [line["id"] for line in lines] == [i.id for i in second.line_items]
    answer = await store.client.put(
        f"orders/{first.id}", json={"line_items": [{"id": first.line_items[0].id, "quantity": 9}]}
    )
    assert answer.status_code == 200 and answer.json()["line_items"][0]["quantity"] == 9
    again = (await store.client.get(f"orders/{second.id}")).json()["line_items"]
    assert again == lines
    include = f"{first.id},{second.id}"
    listed = await store.client.get("orders", params={"product": product_id, "include": include})
    assert {order["id"] for order in listed.json()} == {first.id, second.id}


def test_totals_of_unbuilt_orders_are_those_of_their_lines() -> None:
    sim = generated()
    lazy = unbuilt(sim)
    names = ("discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax")
    names += ("total_tax", "total")
    before = [[getattr(order, name) for name in names] for order in lazy]
    assert all(order.basket is not None for order in lazy)  # read without building
    for order in lazy:
        order.build_lines()
    assert [[getattr(order, name) for name in names] for order in lazy] == before
    assert any(order.discount_total for order in lazy)


def test_rendering_reads_the_lines_without_building_them() -> None:
    sim = generated()
    render, lazy = sim.renderer, unbuilt(sim)
    first = [render.order_bytes(order) for order in lazy]
    assert all(order.basket is not None for order in lazy)  # rendered, still unbuilt
    for order in lazy:
        order.build_lines()
        order.cached = None
    assert [render.order_bytes(order) for order in lazy] == first


def test_orders_made_without_the_coupon_take_no_coupon_item_id() -> None:
    sim = Simulator(clock=Clock(START, frozen=True))
    store = sim.store
    generate(store, "lazy", customers=10, products=8)
    builder = RecordBuilder(store, "lazy", random.Random(4), store.now())
    orders = OrderBuilder(builder)
    catalogue = [p for p in store.products.values() if p.status == "publish"]
    profiles = orders.order_profiles(catalogue, 64)
    first_id, rows = orders.orders(
        range(store.now() - 5000, store.now(), 10), [], [], profiles, builder.guests(8)
    )
    store.order_table.insert_rows(first_id, rows)
    made = [store.orders[first_id + k] for k in range(len(rows))]
    assert any(p.coupon is not None for p in profiles)
    ids: list[int] = []
    for order in made:
        assert order.coupon_lines == ()
        own = [i.id for i in order.line_items] + [s.id for s in order.shipping_lines]
        own += [order.tax_line_id] if order.tax_line_id else []
        assert own == list(range(order.first_item_id, order.first_item_id + len(own)))
        ids += own
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # no gaps between orders either
    assert store.claim_item_ids(0) == ids[-1] + 1


#: The digest of a seeded store's orders, refunds and notes (see below). It changes only
#: when the records a seed gives change: that must be deliberate (same seed, same bytes).
PINNED = "f03cb5ffe306e51a3f64660f642d6bf4ffdcf4b771d6db202ed44c022cdbddb2"


def test_a_seed_gives_the_orders_it_gave_before() -> None:
    """What orders a seed makes, pinned: ids, statuses, instants, amounts, item ids, hashes,
    notes and refunds (no names or addresses: those come from Faker's data, which a new
    Faker may change)."""
    sim = Simulator(clock=Clock(START, frozen=True))
    generate(sim.store, "pinned", customers=30, orders=400, products=8)
    store = sim.store
    rows: list[object] = []
    for o in store.orders.values():
        rows.append(
            (
                *(o.id, o.status, o.customer_id, o.created, o.modified, o.paid, o.completed),
                *(o.cart_hash, o.transaction_id, o.total, o.total_tax, o.discount_total),
                o.tax_line_id,
                [
                    (i.id, i.product_id, i.quantity, i.subtotal, i.subtotal_tax, i.total, i.sku)
                    for i in o.line_items
                ],
                [i.total_tax for i in o.line_items],
                [(s.id, s.method_id, s.total, s.total_tax) for s in o.shipping_lines],
                [(c.id, c.code, c.discount, c.discount_tax) for c in o.coupon_lines],
                [(n.id, n.created, n.content) for n in store.notes.of_order(o.id)],
                o.refunds,
            )
        )
    for r in store.refunds.values():
        lines = [(i.id, i.product_id, i.quantity, i.total) for i in r.line_items]
        rows.append((r.id, r.parent_id, r.amount, r.reason, lines))
    assert hashlib.sha256(repr(rows).encode()).hexdigest() == PINNED
