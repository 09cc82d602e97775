"""An order's cached JSON is dropped when what it shows of a product changes, and only then."""

from __future__ import annotations

import json

from simulator.app import Simulator
from simulator.generate import generate


def store_with_orders() -> Simulator:
    sim = Simulator(seed="invalidation")
    generate(sim.store, "invalidation", products=3, customers=3, orders=40, emit=False)
    return sim


def an_order_with_product(sim: Simulator, product_id: int, *, besides: int = 0) -> int:
    return next(
        order.id
        for order in sim.store.orders.values()
        if order.id != besides and any(i.product_id == product_id for i in order.line_items)
    )


def test_a_stock_move_keeps_the_orders_cached_json() -> None:
    sim = store_with_orders()
    product = next(iter(sim.store.products.values()))
    sim.store.update_product(product.id, {"manage_stock": True, "stock_quantity": 50})
    watched = an_order_with_product(sim, product.id)
    mover = an_order_with_product(sim, product.id, besides=watched)
    cached = sim.renderer.order_bytes(sim.store.get_order(watched))
    sim.store.update_order(mover, {"status": "pending"})
    stock = sim.store.get_product(product.id).stock_quantity
    sim.store.update_order(mover, {"status": "processing"})  # reduces the stock
    assert sim.store.get_product(product.id).stock_quantity < stock
    order = sim.store.get_order(watched)
    assert order.cached is cached  # kept: the order shows nothing a stock move changed
    assert json.loads(cached) == json.loads(json.dumps(sim.renderer.order(order)))


def test_a_sku_change_shows_in_the_orders_lines() -> None:
    sim = store_with_orders()
    product = next(iter(sim.store.products.values()))
    watched = an_order_with_product(sim, product.id)
    sim.renderer.order_bytes(sim.store.get_order(watched))
    sim.store.update_product(product.id, {"sku": "NEW-SKU-1"})
    rendered = json.loads(sim.renderer.order_bytes(sim.store.get_order(watched)))
    skus = {line["sku"] for line in rendered["line_items"] if line["product_id"] == product.id}
    assert skus == {"NEW-SKU-1"}


def test_renamed_attributes_show_in_a_variation_line() -> None:
    sim = Simulator(seed="invalidation")
    store = sim.store
    size = {"name": "Size", "options": ["S", "M"], "variation": True, "visible": True}
    shirt = store.create_product({"name": "Shirt", "type": "variable", "attributes": [size]})
    small = store.variations.create(
        shirt.id, {"attributes": [{"name": "Size", "option": "S"}], "regular_price": "10"}
    )
    line = {"product_id": shirt.id, "variation_id": small.id, "quantity": 1}
    order = store.create_order({"line_items": [line]})

    def label() -> str:
        rendered = json.loads(sim.renderer.order_bytes(store.get_order(order.id)))
        return str(rendered["line_items"][0]["meta_data"][0]["display_key"])

    assert label() == "Size"
    store.update_product(shirt.id, {"attributes": [{**size, "name": "SIZE"}]})
    assert label() == "SIZE"
