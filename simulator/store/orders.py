"""Orders: the records, their status counts, date indexes and links, and every change.

An order's change reaches other resources the way it does in WooCommerce: a
status move reduces or restores its products' stock and total sales, and the
first payment marks its customer as paying.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from simulator.errors import RestError, invalid_params
from simulator.events import StoreEvent
from simulator.models import (
    DRAFT_STATUSES,
    PAID_STATUSES,
    Address,
    FeeLine,
    LineItem,
    MetaItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.params import MAX_QUANTITY, as_integer
from simulator.stock import (
    REDUCED_STOCK_KEY,
    REDUCING_STATUSES,
    RESTORING_STATUSES,
    UNCOUNTING_STATUSES,
    status_hooks,
)
from simulator.store.core import (
    ADMIN_USER_ID,
    StoreCore,
    changes_orders,
    changes_records,
    without_trash_meta,
)
from simulator.store.coupon_lines import CouponRefused, OrderCoupons
from simulator.store.coupons import CouponTable
from simulator.store.customers import CustomerTable, with_address
from simulator.store.indexes import DateIndexes
from simulator.store.money import check_amounts, money
from simulator.store.notes import (
    SYSTEM_AUTHOR,
    NoteTable,
    formatted_name,
    status_change_text,
    stock_text,
)
from simulator.store.order_links import OrderLinks
from simulator.store.order_rows import (
    ROW_CREATED,
    ROW_CREATED_WALL,
    ROW_MODIFIED,
    ROW_MODIFIED_WALL,
    ROW_STATUS,
    OrderRecords,
    OrderRow,
)
from simulator.store.products import ProductTable
from simulator.store.queries import PostQuery, order_predicate, query_posts
from simulator.store.slugs import sanitize_title

if TYPE_CHECKING:
    from simulator.store.refunds import RefundTable

#: Line items one order may hold. A real store has no such cap but saves every line
#: with several queries: 150k lines run into PHP's max_execution_time (a 500 and a
#: half-saved order). Here every line costs ~50 µs of event loop, so the cap keeps one
#: order's write well under 100 ms; beyond it the answer is WordPress' own for an
#: array argument over its schema's ``maxItems``.
MAX_LINE_ITEMS = 1000


#: Columns of records and rows, read at C level (bulk inserts).
_record_id = attrgetter("id")
_row_status = itemgetter(ROW_STATUS)
_row_created = itemgetter(ROW_CREATED)
_row_created_wall = itemgetter(ROW_CREATED_WALL)
_row_modified = itemgetter(ROW_MODIFIED)
_row_modified_wall = itemgetter(ROW_MODIFIED_WALL)


def too_many_line_items() -> RestError:
    return invalid_params(
        {
            "line_items": (
                "rest_too_many_items",
                f"line_items must contain at most {MAX_LINE_ITEMS} items.",
            )
        }
    )


def check_line_item_count(items: object) -> None:
    """Refuse more than :data:`MAX_LINE_ITEMS` lines before any of them is looked at."""
    if isinstance(items, list | tuple | dict) and len(items) > MAX_LINE_ITEMS:
        raise too_many_line_items()


def _check_quantity(
    problems: dict[str, tuple[str, str]], spec: Mapping[str, Any], where: str
) -> None:
    raw = spec.get("quantity")
    if raw is None:
        return
    quantity = as_integer(raw)
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        problems.setdefault(
            "line_items",
            (
                "rest_out_of_bounds",
                f"{where}[quantity] must be between 1 (inclusive) and {MAX_QUANTITY} (inclusive)",
            ),
        )


class OrderTable:
    """All orders and their mutations; ``customers``, ``products``, ``notes`` and the
    refunds (set by the store once built) are what orders reach."""

    def __init__(
        self,
        core: StoreCore,
        customers: CustomerTable,
        products: ProductTable,
        coupons: CouponTable,
        notes: NoteTable,
    ) -> None:
        self.core = core
        self.customers = customers
        self.products = products
        self.coupons = OrderCoupons(core, coupons, products, customers)
        self.variations = products.variations
        self.notes = notes
        self.refunds: RefundTable | None = None
        self.records = OrderRecords()
        self.dates = DateIndexes()
        self._status_counts: Counter[str] = Counter()
        self.links = OrderLinks()

    def get(self, order_id: int, *, missing_status: int = 404) -> Order:
        order = self.records.get(order_id)
        if order is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", missing_status)
        return order

    def of_customer(self, customer_id: int) -> set[int]:
        return self.links.by_customer().get(customer_id, set())

    @changes_records
    def insert(self, order: Order, *, emit: bool = True) -> Order:
        """Add a fully built record (the generator's fast path). Counted as any change:
        whoever built it may have changed a customer on the way."""
        return self._add(order, emit)

    def _add(self, order: Order, emit: bool) -> Order:
        """Add a built record: :meth:`insert`'s work, and :meth:`create`'s end."""
        self.records[order.id] = order
        self.dates.add(order)
        self._status_counts[order.status] += 1
        self.links.add(order)
        self.core.emit_change("order", "created", order.id, emit)
        return order

    @changes_records
    def insert_many(self, orders: Sequence[Order], *, emit: bool = True) -> None:
        """Bulk :meth:`insert`: indexes merged once, links made on their first read,
        events in id order."""
        ids = list(map(_record_id, orders))
        self.records.add_orders(ids, orders)
        self._status_counts.update([order.status for order in orders])
        self.links.defer(orders)
        walls = None
        if not self.core.wall_is_utc:
            walls = ([o.created_wall for o in orders], [o.modified_wall for o in orders])
        created, modified = [o.created for o in orders], [o.modified for o in orders]
        self.dates.extend(ids, created, modified, walls)
        self._emit_created(ids, emit)

    @changes_records
    def insert_rows(self, first_id: int, rows: list[OrderRow], *, emit: bool = True) -> None:
        """Bulk insert of generated orders ``first_id``, ``first_id + 1``, … as rows
        (:mod:`simulator.store.order_rows`): each order is made on its first read;
        counts, indexes and links are taken from the rows."""
        ids = range(first_id, first_id + len(rows))
        self.records.add_rows(first_id, rows)
        self._status_counts.update(map(_row_status, rows))
        self.links.defer_rows(first_id, rows)
        walls = None
        if not self.core.wall_is_utc:
            walls = (map(_row_created_wall, rows), map(_row_modified_wall, rows))
        self.dates.extend(ids, map(_row_created, rows), map(_row_modified, rows), walls)
        self._emit_created(ids, emit)

    def _emit_created(self, ids: Sequence[int], emit: bool) -> None:
        if emit:
            bus = self.core.bus
            for order_id in ids:
                bus.emit(StoreEvent("order", "created", order_id))

    @changes_records
    def invalidate_with(self, product_id: int) -> None:
        """Drop the cached rendering of every order with a line of ``product_id``."""
        for order_id in self.links.by_product().get(product_id, ()):
            order = self.records.made(order_id)  # an order not made yet has no rendering
            if order is not None:
                order.cached = None

    def _check_fields(self, fields: Mapping[str, Any], order: Order | None) -> None:
        """Every reference, amount and quantity check, before anything changes."""
        check_line_item_count(fields.get("line_items"))
        new_lines = sum(1 for item in fields.get("line_items") or () if not item.get("id"))
        if order is not None and len(order.line_items) + new_lines > MAX_LINE_ITEMS:
            raise too_many_line_items()
        problems: dict[str, tuple[str, str]] = {}
        for name in ("line_items", "shipping_lines", "fee_lines"):
            for position, spec in enumerate(fields.get(name) or ()):
                where = f"{name}[{position}]"
                check_amounts(problems, spec, ("subtotal", "total"), where)
                if name == "line_items":
                    _check_quantity(problems, spec, where)
        if problems:
            raise invalid_params(problems)
        customer_id = fields.get("customer_id")
        if customer_id and int(customer_id) not in self.customers.records:
            raise RestError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
        parent_id = fields.get("parent_id")
        if parent_id and int(parent_id) not in self.records:
            raise RestError("woocommerce_rest_invalid_parent_id", "Invalid parent ID.", 400)
        existing = {item.id for item in order.line_items} if order else set()
        for item in fields.get("line_items") or ():
            item_id = item.get("id")
            if item_id and int(item_id) not in existing:
                raise RestError(
                    "woocommerce_rest_invalid_item_id",
                    "Order item ID provided is not associated with order.",
                    400,
                )
            if item_id and "product_id" in item and item["product_id"] is None:
                continue  # removal
            product_id = item.get("product_id") or item.get("variation_id")
            if not item_id and not product_id and not item.get("sku"):
                raise RestError(
                    "woocommerce_rest_required_product_reference",
                    "Product ID or SKU is required.",
                    400,
                )
            # An unknown product_id or SKU is no error: WooCommerce 10.0.2 adds a
            # line item without a product (product_id 0, no name, no price).

    @changes_orders
    def create(
        self,
        fields: Mapping[str, Any],
        *,
        created_via: str = "rest-api",
        as_draft: bool = False,
        emit: bool = True,
    ) -> Order:
        """A new order; ``as_draft``: a checkout's draft (``checkout-draft``, see below)."""
        core = self.core
        self._check_fields(fields, None)
        now = core.now()
        order_id = core.next_post_id()
        order = Order(
            id=order_id,
            status="checkout-draft" if as_draft else "pending",
            currency=core.settings.currency,
            version=core.settings.wc_version,
            customer_id=0,
            billing=Address(),
            shipping=Address(),
            created_via=created_via,
            created=now,
            created_wall=core.wall(now),
            modified=now,
            modified_wall=core.wall(now),
        )
        try:
            paid_customer = self._apply_fields(order, fields)
        except CouponRefused as refused:
            # The order was saved before its coupons were checked: the real store keeps
            # it as a draft and names it in the error (recorded from WooCommerce 10.0.2).
            self._set_status(order, "checkout-draft")
            self._add(order, emit)
            core.fire_action("woocommerce_new_order", order.id, emit)
            core.fire_action("woocommerce_update_order", order.id, emit)
            raise RestError(
                refused.code, refused.message, 400, new_draft_order_id=order.id
            ) from None
        self._add(order, emit and not as_draft)
        if as_draft:
            # Saved as a draft from the start (the Store API's checkout): no
            # woocommerce_new_order (OrdersTableDataStore::create() skips drafts), only
            # the update of the next save; leaving the draft fires it (see update).
            core.emit_change("order", "updated", order.id, emit)
        else:
            # The REST create saves twice: woocommerce_new_order, then
            # woocommerce_update_order (recorded: a REST create with status checkout-draft
            # fires order.created too).
            core.fire_action("woocommerce_new_order", order.id, emit)
        core.fire_action("woocommerce_update_order", order.id, emit)
        initial = "checkout-draft" if as_draft else "pending"
        self._status_moved(
            order, initial, bool(fields.get("set_paid")), emit, self._note_author(fields)
        )
        if paid_customer:
            self.customers.mark_paying(order.customer_id, emit)
        return order

    def _apply_fields(self, order: Order, fields: Mapping[str, Any]) -> bool:
        """Apply validated fields; True when the order just became paid for a customer."""
        for name in (
            "currency",
            "customer_note",
            "payment_method",
            "payment_method_title",
            "transaction_id",
        ):
            if name in fields and fields[name] is not None:
                setattr(order, name, str(fields[name]))
        for name in ("customer_id", "parent_id"):
            if name in fields and fields[name] is not None:
                setattr(order, name, int(fields[name]))
        for name in ("billing", "shipping"):
            if name in fields and fields[name] is not None:
                setattr(order, name, with_address(getattr(order, name), fields[name]))
        if "meta_data" in fields:
            order.meta_data = self.core.apply_meta(order.meta_data, fields["meta_data"])
        if fields.get("line_items"):
            self._apply_line_items(order, fields["line_items"])
        if fields.get("shipping_lines"):
            self._apply_shipping_lines(order, fields["shipping_lines"])
        if fields.get("fee_lines"):
            self._apply_fee_lines(order, fields["fee_lines"])
        if fields.get("coupon_lines") is not None:
            # After the lines and before the status, as calculate_coupons() runs.
            self.coupons.calculate(order, fields["coupon_lines"])
        if order.total_tax and not order.tax_line_id:
            order.tax_line_id = self.core.next_item_id()
        became_paid = False
        if fields.get("status"):
            became_paid = self._set_status(order, str(fields["status"]))
        if fields.get("set_paid"):
            # payment_complete(): paid now, processing (completed if nothing needs shipping).
            if order.paid is None:
                order.paid = self.core.now()
                became_paid = True
            if order.status in ("pending", "on-hold", "failed", "cancelled", "checkout-draft"):
                needs_processing = self._needs_processing(order)
                self._set_status(order, "processing" if needs_processing else "completed")
        order.cached = None
        return became_paid and order.customer_id != 0

    def _set_status(self, order: Order, status: str) -> bool:
        if status == order.status:
            return False
        if order.id in self.records:
            self._status_counts[order.status] -= 1
            self._status_counts[status] += 1
        order.status = status
        now = self.core.now()
        became_paid = False
        if order.paid is None and self._reaches_payment_complete(order, status):
            order.paid = now
            became_paid = True
        if status == "completed":
            order.completed = now
        return became_paid

    def _needs_processing(self, order: Order) -> bool:
        """WC_Order::needs_processing(): a line whose product is not virtual and downloadable."""
        return not order.line_items or any(
            not (p := self.products.records.get(i.product_id)) or not (p.virtual and p.downloadable)
            for i in order.line_items
        )

    def _reaches_payment_complete(self, order: Order, status: str) -> bool:
        """WC_Order::maybe_set_date_paid(): an order is paid once it reaches the payment
        complete status: processing if it needs processing, else completed, and always
        completed for cash on delivery (its gateway filters the status, recorded: a cod
        order in processing has no date_paid); completed also counts past processing."""
        if status not in PAID_STATUSES:
            return False
        if order.payment_method == "cod" or not self._needs_processing(order):
            return status == "completed"
        return True

    def _apply_line_items(self, order: Order, items: Sequence[Mapping[str, Any]]) -> None:
        self.links.remove(order)
        lines = list(order.line_items)
        by_id = {item.id: item for item in lines}
        for spec in items:
            item_id = int(spec.get("id") or 0)
            if item_id and "product_id" in spec and spec["product_id"] is None:
                lines.remove(by_id.pop(item_id))
                continue
            # get_product_id(): variation_id first, then product_id, then sku.
            product_id = int(spec.get("variation_id") or 0) or int(spec.get("product_id") or 0)
            if not product_id and spec.get("sku"):
                product_id = self.products.sku_owner(str(spec["sku"]))
            line = by_id.get(item_id)
            product = self._product_or_variation(product_id) if product_id else None
            variation = product if product is not None and product.parent_id else None
            if variation is not None:
                # set_product() of a variation: the parent is the line's product.
                product = self.products.records.get(variation.parent_id)
            if line is None:
                line = LineItem(
                    id=self.core.next_item_id(),
                    name=str(
                        spec.get("name")
                        or (self.variations.title(variation) if variation else "")
                        or (product.name if product else "")
                    ),
                    product_id=product.id if product else 0,
                    variation_id=variation.id if variation else int(spec.get("variation_id") or 0),
                    quantity=1,
                    subtotal=0,
                    subtotal_tax=0,
                    total=0,
                    total_tax=0,
                    sku=product.sku if product else "",
                )
                if variation is not None:
                    line.meta_data = self._variation_meta(variation)
                lines.append(line)
            elif product is not None:
                line.product_id, line.sku = product.id, product.sku
                line.name = str(spec.get("name") or product.name)
            if "quantity" in spec:
                line.quantity = int(spec["quantity"])
            if "meta_data" in spec:
                line.meta_data = self.core.apply_meta(line.meta_data, spec["meta_data"])
            current = self.line_product(line)
            unit = current.price if current is not None and current.price is not None else 0
            line.subtotal = (
                money(spec["subtotal"]) if spec.get("subtotal") else unit * line.quantity
            )
            line.total = money(spec["total"]) if spec.get("total") else line.subtotal
            if line.subtotal < line.total:
                # WC_Order_Item_Product::set_total(): "Subtotal cannot be less than total."
                line.subtotal = line.total
            taxable = current is None or current.tax_status == "taxable"
            line.subtotal_tax = self.core.line_tax(line.subtotal, taxable)
            line.total_tax = self.core.line_tax(line.total, taxable)
        order.line_items = tuple(lines)
        self.links.add(order)

    def _product_or_variation(self, product_id: int) -> Product | None:
        return self.products.records.get(product_id) or self.variations.records.get(product_id)

    def line_product(self, item: LineItem) -> Product | None:
        """What a line sells: its variation, else its product."""
        if item.variation_id:
            variation = self.variations.records.get(item.variation_id)
            if variation is not None:
                return variation
        return self.products.records.get(item.product_id)

    def _variation_meta(self, variation: Product) -> tuple[MetaItem, ...]:
        """The variation's options as line meta: every variation attribute of the parent
        ("" for one it takes any of), as set_product() writes them (recorded)."""
        return tuple(
            MetaItem(self.core.next_meta_id(), sanitize_title(attribute.name), option)
            for attribute, option in self.variations.variation_attributes(variation)
        )

    def _apply_shipping_lines(self, order: Order, lines: Sequence[Mapping[str, Any]]) -> None:
        kept = list(order.shipping_lines)
        by_id = {line.id: line for line in kept}
        for spec in lines:
            line_id = int(spec.get("id") or 0)
            if line_id and line_id in by_id and spec.get("method_id", "") is None:
                kept.remove(by_id.pop(line_id))
                continue
            line = by_id.get(line_id)
            if line is None:
                line = ShippingLine(self.core.next_item_id(), "", "", "", 0, 0)
                kept.append(line)
            line.method_title = str(spec.get("method_title", line.method_title) or "")
            line.method_id = str(spec.get("method_id", line.method_id) or "")
            line.instance_id = str(spec.get("instance_id", line.instance_id) or "")
            if spec.get("total") not in (None, ""):
                line.total = money(spec["total"])
            line.total_tax = self.core.line_tax(line.total, True)
        order.shipping_lines = tuple(kept)

    def _apply_fee_lines(self, order: Order, lines: Sequence[Mapping[str, Any]]) -> None:
        kept = list(order.fee_lines)
        by_id = {line.id: line for line in kept}
        for spec in lines:
            line_id = int(spec.get("id") or 0)
            if line_id and line_id in by_id and spec.get("name", "") is None:
                kept.remove(by_id.pop(line_id))
                continue
            line = by_id.get(line_id)
            if line is None:
                line = FeeLine(self.core.next_item_id(), "", 0, 0)
                kept.append(line)
            line.name = str(spec.get("name", line.name) or "")
            line.tax_status = str(spec.get("tax_status", line.tax_status) or "taxable")
            if spec.get("total") not in (None, ""):
                line.total = money(spec["total"])
            line.total_tax = self.core.line_tax(line.total, line.tax_status == "taxable")
        order.fee_lines = tuple(kept)

    @changes_orders
    def update(
        self,
        order_id: int,
        fields: Mapping[str, Any],
        *,
        status_note: str = "",
        emit: bool = True,
    ) -> Order:
        """Change an order; ``status_note``: the text ``$order->update_status($status,
        $note)`` puts before the status-change note (a payment gateway's words)."""
        order = self.get(order_id, missing_status=400)
        self._check_fields(fields, order)
        old_customer, old_status = order.customer_id, order.status
        self.dates.remove(order)
        self.links.remove(order)
        try:
            paid_customer = self._apply_fields(order, fields)
        except CouponRefused as refused:
            # What was applied before the refusal stays (apply/remove_coupon save).
            self._stamp_modified(order)
            self.dates.add(order)
            self.links.add(order)
            self.core.emit_change("order", "updated", order_id, emit)
            raise RestError(refused.code, refused.message, 400) from None
        self._stamp_modified(order)
        self.dates.add(order)
        self.links.add(order)
        if old_status in DRAFT_STATUSES and order.status not in DRAFT_STATUSES:
            # OrdersTableDataStore::update(): an order leaving a draft status fires
            # woocommerce_new_order instead of woocommerce_update_order (a checkout's
            # order.created comes when its draft becomes pending; recorded over REST too:
            # PUT status=pending on a checkout-draft order sends order.created alone, where
            # this event also queues order.updated, as a REST create does).
            self.core.emit_change("order", "created", order_id, emit)
            self.core.fire_action("woocommerce_new_order", order_id, emit)
        else:
            self.core.emit_change("order", "updated", order_id, emit)
            self.core.fire_action("woocommerce_update_order", order_id, emit)
        self._status_moved(
            order,
            old_status,
            bool(fields.get("set_paid")),
            emit,
            self._note_author(fields),
            status_note,
        )
        if paid_customer or (order.customer_id != old_customer and order.status in PAID_STATUSES):
            self.customers.mark_paying(order.customer_id, emit)
        return order

    def _stamp_modified(self, order: Order) -> None:
        now = self.core.now()
        order.modified, order.modified_wall = now, self.core.wall(now)
        order.cached = None

    @changes_orders
    def touch(self, order: Order) -> None:
        """Stamp the order modified now (a save), keeping the date index right."""
        self.dates.remove(order)
        self._stamp_modified(order)
        self.dates.add(order)

    @changes_orders
    def move_status(self, order: Order, status: str, *, emit: bool = True) -> None:
        """WC_Order::update_status() inside another change (a full refund): the status
        transition and what hangs on it; the caller saves the order."""
        before = order.status
        self._set_status(order, status)
        order.cached = None
        self._status_moved(order, before, False, emit)

    @changes_orders
    def trash(self, order_id: int, *, emit: bool = True) -> Order:
        order = self.get(order_id)
        if order.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410
            )
        order.meta_data = (*order.meta_data, *self.core.trash_meta(f"wc-{order.status}"))
        order.status_before_trash = order.status
        self._set_status(order, "trash")
        self.touch(order)
        self.core.emit_change("order", "deleted", order_id, emit)
        self.core.fire_action("woocommerce_trash_order", order_id, emit)
        if order.coupon_lines:
            self.coupons.update_usage(order)
        self._uncount_sales(order)
        return order

    @changes_orders
    def restore(self, order_id: int, *, emit: bool = True) -> Order:
        order = self.get(order_id)
        if order.status != "trash":
            raise RestError("woosim_not_trashed", "The order is not in the trash.", 400)
        # WooCommerce's wp_untrash_post_status filter puts back the status it had.
        self._set_status(order, order.status_before_trash or "pending")
        order.meta_data = without_trash_meta(order.meta_data)
        self.touch(order)
        self.core.emit_change("order", "restored", order_id, emit)
        return order

    @changes_orders
    def delete(self, order_id: int, *, emit: bool = True) -> Order:
        """Permanent delete (force=true): no hook of the topic map fires, only actions."""
        order = self.get(order_id)
        self.core.fire_action("woocommerce_before_delete_order", order_id, emit)
        self._uncount_sales(order)
        del self.records[order_id]
        self.dates.remove(order)
        self._status_counts[order.status] -= 1
        self.links.remove(order)
        self.notes.drop_order(order_id)
        if self.refunds is not None:
            self.refunds.drop_order(order)
        self.core.fire_action("woocommerce_delete_order", order_id, emit)
        return order

    # ------------------------------------------------------------------ stock and sales
    def _note_author(self, fields: Mapping[str, Any]) -> str:
        """Who writes the status note: the system, or with ``manual_update`` (and a status
        given) the key's user (the administrator, whose display name a real store shows)."""
        if fields.get("manual_update") and fields.get("status"):
            admin = self.customers.records.get(ADMIN_USER_ID)
            if admin is not None:
                return admin.display_name
        return SYSTEM_AUTHOR

    def _status_moved(
        self,
        order: Order,
        before: str,
        paid: bool,
        emit: bool,
        author: str = SYSTEM_AUTHOR,
        note: str = "",
    ) -> None:
        """What a status transition does after the save, as the real store does it: stock,
        total_sales, then the status actions (and woocommerce_payment_complete for set_paid).
        """
        after = order.status
        if after == before:
            return
        if after in REDUCING_STATUSES:
            self._reduce_stock(order, emit)
            if not order.recorded_sales:
                order.recorded_sales = True
                self.products.count_sales(order.line_items, 1)
        elif after in RESTORING_STATUSES:
            self._restore_stock(order, emit)
        if after in UNCOUNTING_STATUSES:
            self._uncount_sales(order)
        if order.coupon_lines:
            self.coupons.status_moved(order)
        if after == "refunded" and self.refunds is not None:
            # wc_order_fully_refunded() hooks woocommerce_order_status_refunded.
            self.refunds.refund_rest(order, emit)
        for hook in status_hooks(before, after):
            self.core.fire_action(hook, order.id, emit)
        transition = status_change_text(before, after)
        self.notes.add(order.id, f"{note} {transition}" if note else transition, author=author)
        if paid:
            self.core.fire_action("woocommerce_payment_complete", order.id, emit)

    def _reduce_stock(self, order: Order, emit: bool) -> None:
        """wc_reduce_stock_levels(): each stock-managed line not yet reduced takes its
        quantity and records it as ``_reduced_stock``."""
        changes = []
        for item in order.line_items:
            product = self.line_product(item)
            if product is None or not product.manage_stock or product.stock_quantity is None:
                continue
            if any(m.key == REDUCED_STOCK_KEY for m in item.meta_data):
                continue
            taken = MetaItem(self.core.next_meta_id(), REDUCED_STOCK_KEY, str(item.quantity))
            item.meta_data = (*item.meta_data, taken)
            order.cached = None
            old = product.stock_quantity
            self.products.move_stock(product, -item.quantity, emit)
            name = formatted_name(product.name, product.sku, product.id)
            changes.append((name, old, old - item.quantity))
        if changes:
            self.notes.add(order.id, stock_text(True, changes))

    def _restore_stock(self, order: Order, emit: bool) -> None:
        """wc_increase_stock_levels(): what each line took goes back; its meta goes."""
        changes = []
        for item in order.line_items:
            taken = next((m for m in item.meta_data if m.key == REDUCED_STOCK_KEY), None)
            if taken is None:
                continue
            item.meta_data = tuple(m for m in item.meta_data if m is not taken)
            order.cached = None
            product = self.line_product(item)
            if product is not None and product.manage_stock and product.stock_quantity is not None:
                old = product.stock_quantity
                self.products.move_stock(product, int(taken.value), emit)
                name = formatted_name(product.name, product.sku, product.id)
                changes.append((name, old, old + int(taken.value)))
        if changes:
            self.notes.add(order.id, stock_text(False, changes))

    def _uncount_sales(self, order: Order) -> None:
        """The order no longer counts in total_sales (cancelled, trashed, deleted)."""
        if order.recorded_sales:
            order.recorded_sales = False
            self.products.count_sales(order.line_items, -1)

    # ------------------------------------------------------------------ queries
    def query(self, query: PostQuery) -> tuple[list[Order], int]:
        # Only a customer or product filter reads the links (a plain list does not
        # make a bulk insert's links).
        linked = query.customer is not None or query.product is not None
        by_customer = self.links.by_customer() if linked else {}
        by_product = self.links.by_product() if linked else {}
        return query_posts(
            self.records,
            self.dates,
            query,
            order_predicate(query, by_product),
            status_counts=self._status_counts,
            by_customer=by_customer,
            by_product=by_product,
        )
