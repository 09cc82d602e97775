"""Which orders each customer and each product has: what order filters and a
product's change read.

A bulk insert (the generator's) only queues its orders here; they are linked on
the first read, all at once. Every change to an order reads the links first, so
linking then gives what linking at insert would have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import count
from threading import Lock

from simulator.models import Order
from simulator.store.order_rows import ROW_BASKET, ROW_CUSTOMER_ID, OrderRow

#: (order id, customer id, product ids) of an order to link.
_Link = tuple[int, int, Sequence[int]]


class OrderLinks:
    """Order ids by customer id and by product id."""

    def __init__(self) -> None:
        self._by_customer: dict[int, set[int]] = {}
        self._by_product: dict[int, set[int]] = {}
        #: Orders inserted in bulk, not linked yet: what to link them by, read then.
        self._pending: list[Iterable[_Link]] = []
        # Read from the store's server thread and a test's: each pending order linked once.
        self._settling = Lock()

    def defer(self, orders: Sequence[Order]) -> None:
        """Link ``orders`` on the next read (a copy: the caller's list may change)."""
        self._pending.append((o.id, o.customer_id, o.product_ids) for o in list(orders))

    def defer_rows(self, first_id: int, rows: list[OrderRow]) -> None:
        """Link generated orders ``first_id``, … on the next read, by their rows (the
        orders need not be made: every change to an order reads the links first)."""
        self._pending.append(
            (order_id, row[ROW_CUSTOMER_ID], row[ROW_BASKET].product_ids)
            for order_id, row in zip(count(first_id), rows)
        )

    def by_customer(self) -> dict[int, set[int]]:
        self._settle()
        return self._by_customer

    def by_product(self) -> dict[int, set[int]]:
        self._settle()
        return self._by_product

    def add(self, order: Order) -> None:
        self._settle()
        self._by_customer.setdefault(order.customer_id, set()).add(order.id)
        for product_id in order.product_ids:
            self._by_product.setdefault(product_id, set()).add(order.id)

    def remove(self, order: Order) -> None:
        self._settle()
        self._by_customer.get(order.customer_id, set()).discard(order.id)
        for product_id in order.product_ids:
            self._by_product.get(product_id, set()).discard(order.id)

    def _settle(self) -> None:
        if not self._pending:
            return
        with self._settling:
            if self._pending:  # not linked by another thread meanwhile
                self._link_pending()

    def _link_pending(self) -> None:
        pending, self._pending = self._pending, []
        by_customer, by_product = self._by_customer, self._by_product
        for links in pending:
            for order_id, customer_id, product_ids in links:
                owned = by_customer.get(customer_id)
                if owned is None:
                    owned = by_customer[customer_id] = set()
                owned.add(order_id)
                for product_id in product_ids:
                    having = by_product.get(product_id)
                    if having is None:
                        having = by_product[product_id] = set()
                    having.add(order_id)


__all__ = ["OrderLinks"]
