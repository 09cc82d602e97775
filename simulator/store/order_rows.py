"""All orders by id, generated ones kept as compact rows until something reads them.

A generated order is a row of the values drawn for it (a tuple) until its first
read; the :class:`Order` is made then, from that row, and replaces it. A
million-order generation so makes tuples instead of 36-field objects and their
hash strings, and an order nobody reads is never made. What the store needs of
every order at once (status counts, date indexes, customer and product links)
is taken from the rows when they are inserted, without making the orders.

Same row, same order: an order made on first read holds exactly what the
generator would have made at once (a seed's pinned digest checks it).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, MutableMapping, Sequence, ValuesView
from threading import Lock
from typing import Any, Protocol

from simulator.models import Order

#: A generated order's values: first what makes the order (an :class:`OrderMaker`),
#: then what the store indexes at insert (positions below), then the maker's own.
OrderRow = tuple[Any, ...]
ROW_STATUS = 1
ROW_CUSTOMER_ID = 2
ROW_CREATED = 3
ROW_CREATED_WALL = 4
ROW_MODIFIED = 5
ROW_MODIFIED_WALL = 6
#: The order's :class:`~simulator.models.Basket` (its lines' product ids).
ROW_BASKET = 7


class OrderMaker(Protocol):
    """What makes an :class:`Order` from a generated row (the row's first item)."""

    def order(self, order_id: int, row: OrderRow) -> Order: ...


class OrderRecords(MutableMapping[int, Order]):
    """A mapping of order ids to orders, in insertion order, whose generated orders are
    made on first read. Reads and writes are a dict's; every read gives an Order."""

    __slots__ = ("_data", "_making", "_row_refunds")

    def __init__(self) -> None:
        self._data: dict[int, Order | OrderRow] = {}
        #: Refunds added to orders still rows (the generator's), given them when made.
        self._row_refunds: dict[int, tuple[int, ...]] = {}
        # The store is read from its server's thread and a test's: an order is made by
        # one of them, and both get that one (a second object would lose writes).
        self._making = Lock()

    def add_orders(self, ids: Sequence[int], orders: Sequence[Order]) -> None:
        """Orders made already, by their ids (a bulk insert)."""
        self._data.update(zip(ids, orders, strict=True))

    def add_rows(self, first_id: int, rows: list[OrderRow]) -> None:
        """Generated orders ``first_id``, ``first_id + 1``, … as rows (each row's first
        item makes its order)."""
        self._data.update(zip(range(first_id, first_id + len(rows)), rows, strict=True))

    def add_refunds(self, refunds: Iterable[tuple[int, int]]) -> None:
        """Add each ``(order id, refund id)``: to the order's refunds, or for an order
        still a row, to those it is given when made."""
        with self._making:
            data, later = self._data, self._row_refunds
            for order_id, refund_id in refunds:
                value = data[order_id]
                if isinstance(value, Order):
                    value.refunds = (*value.refunds, refund_id)
                    value.cached = None
                else:
                    later[order_id] = (*later.get(order_id, ()), refund_id)

    def made(self, order_id: int) -> Order | None:
        """The order if it was made already (None when absent or still a row): for
        writers that only clear what an order holds, such as its cached rendering."""
        value = self._data.get(order_id)
        return value if isinstance(value, Order) else None

    def made_orders(self) -> Iterator[Order]:
        """Every order made so far (rows are skipped)."""
        return (value for value in self._data.values() if isinstance(value, Order))

    def _make(self, order_id: int, row: OrderRow) -> Order:
        with self._making:
            value = self._data[order_id]
            if isinstance(value, Order):  # made by another thread meanwhile
                return value
            maker: OrderMaker = row[0]
            order = maker.order(order_id, row)
            refunds = self._row_refunds.pop(order_id, None)
            if refunds is not None:
                order.refunds = refunds
            self._data[order_id] = order  # same key: the position in id order stays
            return order

    def __getitem__(self, order_id: int) -> Order:
        value = self._data[order_id]
        return value if isinstance(value, Order) else self._make(order_id, value)

    def get(self, order_id: int, default: Order | None = None) -> Order | None:  # type: ignore[override]
        value = self._data.get(order_id)
        if value is None:
            return default
        return value if isinstance(value, Order) else self._make(order_id, value)

    def __setitem__(self, order_id: int, order: Order) -> None:
        self._data[order_id] = order

    def __delitem__(self, order_id: int) -> None:
        del self._data[order_id]
        self._row_refunds.pop(order_id, None)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._data

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __reversed__(self) -> Iterator[int]:
        return reversed(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
        self._row_refunds.clear()

    def values(self) -> ValuesView[Order]:
        return _Orders(self)

    def items(self) -> ItemsView[int, Order]:
        return _OrdersById(self)

    def __repr__(self) -> str:
        return f"OrderRecords({len(self._data)} orders)"


class _Orders(ValuesView[Order]):
    """``values()``: every order, made as it is reached."""

    _mapping: OrderRecords

    def __iter__(self) -> Iterator[Order]:
        records = self._mapping
        # Making an order replaces the value of a key already there: the iteration goes on
        # (a dict's own rule still holds: no adding or removing orders meanwhile).
        for order_id, value in records._data.items():
            yield value if isinstance(value, Order) else records._make(order_id, value)


class _OrdersById(ItemsView[int, Order]):
    """``items()``: every (id, order), made as it is reached."""

    _mapping: OrderRecords

    def __iter__(self) -> Iterator[tuple[int, Order]]:
        records = self._mapping
        for order_id, value in records._data.items():
            order = value if isinstance(value, Order) else records._make(order_id, value)
            yield order_id, order


__all__ = [
    "ROW_BASKET",
    "ROW_CREATED",
    "ROW_CREATED_WALL",
    "ROW_CUSTOMER_ID",
    "ROW_MODIFIED",
    "ROW_MODIFIED_WALL",
    "ROW_STATUS",
    "OrderMaker",
    "OrderRecords",
    "OrderRow",
]
