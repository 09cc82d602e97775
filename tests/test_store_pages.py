"""List pages of orders: the slice read when every order matches equals a full scan."""

from __future__ import annotations

import itertools

import pytest

from simulator.app import Simulator
from simulator.generate import generate
from simulator.store.queries import PostQuery


def scanned(sim: Simulator, query: PostQuery) -> list[int]:
    """The page worked out by hand: every order, filtered, sorted, sliced."""
    orders = [o for o in sim.store.orders.values() if o.status != "trash"]
    if query.orderby == "id":
        orders.sort(key=lambda o: o.id)
    else:
        column = "created" if query.orderby == "date" else "modified"
        orders.sort(key=lambda o: (getattr(o, column), o.id))
    if query.order == "desc":
        orders.reverse()
    start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    return [o.id for o in orders[start : start + query.per_page]]


@pytest.mark.parametrize("with_trash", [False, True])
def test_every_page_equals_a_full_scan(with_trash: bool) -> None:
    sim = Simulator(seed="pages")
    generate(sim.store, "pages", products=5, customers=5, orders=57, emit=False)
    if with_trash:
        sim.store.update_order(next(iter(sim.store.orders)), {"status": "trash"})
    cases = itertools.product(("date", "modified", "id"), ("asc", "desc"), (1, 10, 100))
    for orderby, order, per_page in cases:
        for page in range(1, 57 // per_page + 3):
            query = PostQuery(page=page, per_page=per_page, order=order, orderby=orderby)
            got, total = sim.store.query_orders(query)
            assert [o.id for o in got] == scanned(sim, query), (orderby, order, per_page, page)
            assert total == (56 if with_trash else 57)
        query = PostQuery(offset=13, per_page=10, order=order, orderby=orderby)
        assert [o.id for o in sim.store.query_orders(query)[0]] == scanned(sim, query)
