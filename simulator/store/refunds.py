"""Order refunds: the record and what making or deleting one does, as wc_create_refund().

A refund is an order of its own type (``shop_order_refund``): it takes the next post
id, like orders and products, and holds negative copies of the lines it refunds. Its
parent keeps the refund ids; what is left to refund is the order total less them.
Making one (a real WooCommerce 10.0.2 store, recorded):

- a gateway refund (``api_refund``, true by default) needs a gateway that can refund;
  none of a new shop's (bacs, cheque, cod) can, so it fails *after* the refund took its
  id, and the refund is deleted again;
- refunded quantities of stock-managed lines whose stock was reduced go back to stock
  (``api_restock``, true by default), one note per line;
- the parent is partially refunded, or fully (then its status becomes ``refunded``),
  and saved: ``order.updated`` fires for the parent only;
- deleting a refund changes nothing else and fires nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from threading import Lock
from typing import TYPE_CHECKING, Any, NamedTuple

from simulator.errors import RestError
from simulator.models import FeeLine, LineItem, MetaItem, Order, ShippingLine
from simulator.stock import REDUCED_STOCK_KEY
from simulator.store.core import StoreCore, changes_records
from simulator.store.notes import (
    MANUAL_REFUND_NOTE,
    MANUAL_REFUND_REASON,
    NoteTable,
    restock_text,
)
from simulator.store.products import ProductTable

if TYPE_CHECKING:
    from simulator.store.orders import OrderTable

#: The line meta naming the order line a refund line refunds.
REFUNDED_ITEM_KEY = "_refunded_item_id"
#: The line meta counting the units restocked by refunds.
RESTOCKED_KEY = "_restock_refunded_items"
#: The gateways of a new shop: present, and none supports refunds.
NON_REFUNDING_GATEWAYS = frozenset({"bacs", "cheque", "cod"})


@dataclass(slots=True)
class Refund:
    id: int
    parent_id: int
    created: int
    created_wall: int
    #: Cents, positive; the refund's total is its negative.
    amount: int
    reason: str = ""
    refunded_by: int = 1
    refunded_payment: bool = False
    meta_data: tuple[MetaItem, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    fee_lines: tuple[FeeLine, ...] = ()


class LaterRefund(NamedTuple):
    """A refund whose ids are taken and whose records are made on the table's next read
    (the generator's): one unit of each of ``lines`` refunded, each with its new item
    id and the id of its ``_refunded_item_id`` meta."""

    id: int
    parent_id: int
    created: int
    created_wall: int
    amount: int
    reason: str
    lines: tuple[tuple[LineItem, int, int], ...]  # (the order's line, item id, meta id)

    def refund(self) -> Refund:
        amount = self.amount
        return Refund(
            self.id,
            self.parent_id,
            self.created,
            self.created_wall,
            amount,
            self.reason,
            line_items=tuple(
                LineItem(
                    id=item_id,
                    name=line.name,
                    product_id=line.product_id,
                    variation_id=line.variation_id,
                    quantity=-1,
                    subtotal=-amount,
                    subtotal_tax=0,
                    total=-amount,
                    total_tax=0,
                    sku=line.sku,
                    meta_data=(MetaItem(meta_id, REFUNDED_ITEM_KEY, str(line.id)),),
                )
                for line, item_id, meta_id in self.lines
            ),
        )


class RefundFailed(RestError):
    """A WP_Error whose data is a bare number: the REST server answers 500 whatever the
    number, and renders ``data`` as that number (the refunds controller's errors)."""

    def __init__(self, code: str, message: str, data: int) -> None:
        super().__init__(code, message, 500)
        self.number = data

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.number}


def invalid_order() -> RefundFailed:
    return RefundFailed("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)


def cannot_create(message: str) -> RefundFailed:
    return RefundFailed("woocommerce_rest_cannot_create_order_refund", message, 500)


@dataclass(slots=True)
class LineRefund:
    """One line of a refund request: which order line, how many, how much (cents)."""

    item_id: int
    quantity: int | None
    total: int
    taxes: bool


#: Beyond this a number is no amount or count a store keeps (and ``int()`` of
#: ``1e999999999`` would build a billion digits).
_LARGEST = Decimal(10) ** 15


def _cents(value: Any) -> int:
    """A refund_total as cents; PHP reads what is not a number as 0."""
    amount = _number(value)
    return 0 if amount is None else int((amount * 100).to_integral_value())


def _number(value: Any) -> Decimal | None:
    """PHP's is_numeric() for a string or number, as a Decimal (None beyond 10**15)."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount.copy_abs() < _LARGEST else None


def requested_lines(raw: Any) -> list[LineRefund]:
    """``line_items`` of a refund request: ``[{id, quantity, refund_total, refund_tax}]``."""
    if not isinstance(raw, list):
        return []
    lines = []
    for spec in raw:
        if not isinstance(spec, dict) or "id" not in spec:
            return []
        item_id = _number(spec["id"])
        quantity = _number(spec.get("quantity", spec.get("qty")))
        lines.append(
            LineRefund(
                item_id=int(item_id) if item_id is not None else 0,
                quantity=None if quantity is None else int(quantity),
                total=_cents(spec.get("refund_total")),
                taxes=bool(spec.get("refund_tax")),
            )
        )
    return lines


def amount_from_lines(raw: Any) -> str | None:
    """The amount when none is given: the sum of every line's refund_total, when each
    line has a numeric one (RestApiParameterUtil)."""
    if not isinstance(raw, list) or not raw:
        return None
    total = Decimal(0)
    for spec in raw:
        value = _number(spec.get("refund_total")) if isinstance(spec, dict) else None
        if value is None:
            return None
        total += value
    return str(total)


def check_amount(raw: Any) -> Decimal:
    """The amount as wc_create_refund() compares it: "Refund amount must be greater than
    zero." for a negative one (and for text PHP sorts below "0"), the number otherwise;
    other text becomes a number no order has left to refund."""
    if raw is None:
        return Decimal(0)
    amount = _number(raw)
    if amount is None:
        # PHP 8 compares 0 with a non-numeric string as strings: "0" > "" and "0" > "-x".
        if str(raw) < "0":
            raise RefundFailed(
                "woocommerce_rest_invalid_order_refund",
                "Refund amount must be greater than zero.",
                400,
            )
        return Decimal("Infinity")
    if amount < 0:
        raise RefundFailed(
            "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400
        )
    return amount


class RefundTable:
    """All refunds, and making and deleting them; ``orders``, ``products`` and ``notes`` are
    what a refund reaches."""

    def __init__(
        self, core: StoreCore, orders: OrderTable, products: ProductTable, notes: NoteTable
    ) -> None:
        self.core = core
        self.orders = orders
        self.products = products
        self.notes = notes
        self._records: dict[int, Refund] = {}
        #: Refunds inserted for later (:meth:`insert_later`), made on the next read.
        self._later: list[Sequence[LaterRefund]] = []
        # Read from the store's server thread and a test's: each refund made once.
        self._making = Lock()

    @property
    def records(self) -> dict[int, Refund]:
        """Every refund by id (those inserted for later made first)."""
        if self._later:
            with self._making:
                if self._later:  # not made by another thread meanwhile
                    later, self._later = self._later, []
                    records = self._records
                    for refunds in later:
                        for refund in refunds:
                            records[refund.id] = refund.refund()
        return self._records

    def of_order(self, order: Order) -> list[Refund]:
        """The order's refunds, newest first (wc_get_orders ordered by date)."""
        refunds = [self.records[i] for i in order.refunds if i in self.records]
        return sorted(refunds, key=lambda r: (-r.created, -r.id))

    def refunded(self, order: Order) -> int:
        return sum(self.records[i].amount for i in order.refunds if i in self.records)

    def remaining(self, order: Order) -> int:
        return order.total - self.refunded(order)

    @changes_records
    def create(
        self,
        order_id: int,
        *,
        amount: Any,
        reason: str | None = None,
        line_items: Any = None,
        refund_payment: bool = True,
        restock: bool = True,
        meta: list[dict[str, Any]] | None = None,
        emit: bool = True,
    ) -> Refund:
        """wc_create_refund() behind the REST controller; RestError when it says no."""
        core = self.core
        order = self.orders.records.get(order_id)
        if order is None:
            raise invalid_order()
        if amount is None:
            amount = amount_from_lines(line_items)
        value = check_amount(amount)
        remaining = self.remaining(order)
        if value * 100 > remaining:
            raise cannot_create("Invalid refund amount.")
        cents = int((value * 100).to_integral_value())
        now = core.now()
        refund = Refund(
            id=core.next_post_id(),
            parent_id=order.id,
            created=now,
            created_wall=core.wall(now),
            amount=cents,
            reason=reason or "",
        )
        lines = requested_lines(line_items)
        self._copy_lines(order, refund, lines)
        if refund_payment:
            # The refund was saved (its id and line ids are spent), then deleted again.
            raise cannot_create(self._gateway_problem(order))
        if meta:
            refund.meta_data = core.apply_meta((), meta)
        self.records[refund.id] = refund
        order.refunds = (*order.refunds, refund.id)
        order.cached = None
        if restock:
            self._restock(order, lines, emit)
        if remaining - cents > 0:
            core.fire_action("woocommerce_order_partially_refunded", order.id, emit)
        else:
            core.fire_action("woocommerce_order_fully_refunded", order.id, emit)
            if order.status != "refunded":
                self.orders.move_status(order, "refunded", emit=emit)
        self.orders.touch(order)
        core.emit_change("order", "updated", order.id, emit)
        core.fire_action("woocommerce_update_order", order.id, emit)
        core.fire_action("woocommerce_refund_created", refund.id, emit)
        core.fire_action("woocommerce_order_refunded", order.id, emit)
        return refund

    @changes_records
    def refund_rest(self, order: Order, emit: bool) -> None:
        """wc_order_fully_refunded(): a status change to refunded refunds what is left
        (no gateway, no restock) and says so in a note."""
        remaining = self.remaining(order)
        if remaining <= 0:
            return
        self.create(
            order.id,
            amount=Decimal(remaining) / 100,
            reason=MANUAL_REFUND_REASON,
            refund_payment=False,
            restock=False,
            emit=emit,
        )
        self.notes.add(order.id, MANUAL_REFUND_NOTE)

    @changes_records
    def insert_later(self, refunds: Sequence[LaterRefund]) -> None:
        """Add refunds to their orders now and make their records on the table's next
        read (the generator's path): nothing else moves and nothing fires."""
        self.orders.records.add_refunds((refund.parent_id, refund.id) for refund in refunds)
        self._later.append(list(refunds))

    @changes_records
    def delete(self, refund_id: int) -> Refund:
        refund = self.records.pop(refund_id)
        order = self.orders.records.get(refund.parent_id)
        if order is not None:
            order.refunds = tuple(i for i in order.refunds if i != refund_id)
            order.cached = None
        return refund

    @changes_records
    def drop_order(self, order: Order) -> None:
        """A deleted order's refunds go with it."""
        for refund_id in order.refunds:
            self.records.pop(refund_id, None)

    # ------------------------------------------------------------------ parts
    @staticmethod
    def _gateway_problem(order: Order) -> str:
        if order.payment_method in NON_REFUNDING_GATEWAYS:
            return "The payment gateway for this order does not support automatic refunds."
        return "The payment gateway for this order does not exist."

    def _copy_lines(self, order: Order, refund: Refund, lines: list[LineRefund]) -> None:
        """Negative copies of the order lines named, with ``_refunded_item_id``."""
        core = self.core
        wanted = {line.item_id: line for line in lines}
        items, shipping, fees = [], [], []
        for item in order.line_items:
            line = wanted.get(item.id)
            if line is None or not (line.quantity or line.total or line.taxes):
                continue
            items.append(
                LineItem(
                    id=core.next_item_id(),
                    name=item.name,
                    product_id=item.product_id,
                    variation_id=item.variation_id,
                    quantity=-(line.quantity or 0),
                    subtotal=-line.total,
                    subtotal_tax=0,
                    total=-line.total,
                    total_tax=0,
                    sku=item.sku,
                    tax_class=item.tax_class,
                    meta_data=(self._refunded_meta(item.id),),
                )
            )
        for fee in order.fee_lines:
            line = wanted.get(fee.id)
            if line is None or not (line.quantity or line.total or line.taxes):
                continue
            fees.append(
                FeeLine(
                    id=core.next_item_id(),
                    name=fee.name,
                    total=-line.total,
                    total_tax=0,
                    tax_class=fee.tax_class,
                    tax_status=fee.tax_status,
                    meta_data=(self._refunded_meta(fee.id),),
                )
            )
        for ship in order.shipping_lines:
            line = wanted.get(ship.id)
            if line is None or not (line.quantity or line.total or line.taxes):
                continue
            shipping.append(
                ShippingLine(
                    id=core.next_item_id(),
                    method_title=ship.method_title,
                    method_id=ship.method_id,
                    instance_id=ship.instance_id,
                    total=-line.total,
                    total_tax=0,
                    meta_data=(self._refunded_meta(ship.id),),
                )
            )
        refund.line_items, refund.fee_lines, refund.shipping_lines = (
            tuple(items),
            tuple(fees),
            tuple(shipping),
        )

    def _refunded_meta(self, item_id: int) -> MetaItem:
        return MetaItem(self.core.next_meta_id(), REFUNDED_ITEM_KEY, str(item_id))

    def _restock(self, order: Order, lines: list[LineRefund], emit: bool) -> None:
        """wc_restock_refunded_items(): lines with a quantity whose stock was reduced."""
        core = self.core
        wanted = {line.item_id: line for line in lines if line.quantity is not None}
        for item in order.line_items:
            line = wanted.get(item.id)
            if line is None or not line.quantity:
                continue
            product = self.products.records.get(item.product_id)
            reduced = next((m for m in item.meta_data if m.key == REDUCED_STOCK_KEY), None)
            if reduced is None or reduced.value in ("", "0", 0) or product is None:
                continue
            if not product.manage_stock or product.stock_quantity is None:
                continue
            old = product.stock_quantity
            self.products.move_stock(product, line.quantity, emit)
            restocked = next((m for m in item.meta_data if m.key == RESTOCKED_KEY), None)
            before = int(restocked.value) if restocked is not None else 0
            kept = []
            for meta in item.meta_data:
                if meta is reduced:
                    meta = MetaItem(meta.id, meta.key, str(int(meta.value) - line.quantity))
                elif meta is restocked:
                    meta = MetaItem(meta.id, meta.key, str(before + line.quantity))
                kept.append(meta)
            if restocked is None:
                kept.append(MetaItem(core.next_meta_id(), RESTOCKED_KEY, str(line.quantity)))
            item.meta_data = tuple(kept)
            self.notes.add(order.id, restock_text(product.id, old, old + line.quantity))
