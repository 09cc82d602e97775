"""Generated catalogues: a category tree, tags and variable products, the same for one seed."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate
from simulator.phpjson import dumps
from simulator.settings import Settings


def _generated(seed: str) -> Simulator:
    sim = Simulator(Settings(), clock=Clock(datetime(2024, 3, 10, 6, tzinfo=UTC), frozen=True))
    generate(sim.store, seed, products=40, customers=5, orders=20)
    return sim


def _catalogue_bytes(sim: Simulator) -> bytes:
    store, render = sim.store, sim.renderer
    parts = [render.product(p) for p in store.products.values()]
    parts += [render.variations.variation(v) for v in store.variations.records.values()]
    parts += [render.product(p) for p in store.variations.records.values()]
    return dumps(parts)


def test_a_generated_catalogue_has_a_tree_tags_and_variable_products() -> None:
    sim = _generated("catalogue")
    store = sim.store
    children = [c for c in store.terms.categories.values() if c.parent]
    assert children and all(c.parent in store.terms.categories for c in children)
    assert store.terms.tags and any(p.tags for p in store.products.values())
    variable = [p for p in store.products.values() if p.type == "variable"]
    assert variable
    for parent in variable:
        shown = sim.renderer.product(parent)
        assert shown["variations"] and shown["price"] != ""
        assert all(store.variations.records[v].parent_id == parent.id for v in shown["variations"])
    # Orders buy what has a price of its own: simple products.
    sold = {item.product_id for order in store.orders.values() for item in order.line_items}
    assert sold and all(store.products[i].type == "simple" for i in sold)


def test_the_same_seed_gives_the_same_catalogue_bytes() -> None:
    assert _catalogue_bytes(_generated("same")) == _catalogue_bytes(_generated("same"))
    assert _catalogue_bytes(_generated("same")) != _catalogue_bytes(_generated("other"))
