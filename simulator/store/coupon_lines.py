"""Coupons on orders: checking a code, applying and removing coupon lines, usage counts.

This is WC_REST_Orders_Controller::calculate_coupons() and what it calls
(``WC_Abstract_Order::apply_coupon``/``remove_coupon``/``recalculate_coupons``,
``WC_Discounts::is_coupon_valid``, ``wc_update_coupon_usage_counts``) in
WooCommerce 10.0.2. The arithmetic is :mod:`simulator.discounts`.

A refusal raises :class:`CouponRefused`; the order table turns it into the 400 the
real store answers (on a create, after saving the order as a ``checkout-draft``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from simulator.discounts import PRODUCT_TYPES, Discounts, Item, Rule
from simulator.models import CouponLine, MetaItem, Order
from simulator.store.core import ADMIN_USER_ID
from simulator.store.coupons import Coupon, CouponTable, decimal_value, format_code

if TYPE_CHECKING:
    from simulator.store.core import StoreCore
    from simulator.store.customers import CustomerTable
    from simulator.store.products import ProductTable

#: Statuses whose transition hook runs wc_update_coupon_usage_counts().
USAGE_STATUSES = frozenset({"pending", "completed", "processing", "on-hold", "cancelled", "failed"})
#: Statuses in which an order's coupon uses do not count.
INVALID_STATUSES = frozenset({"cancelled", "failed", "trash"})


class CouponRefused(Exception):
    """A coupon the store refuses: ``woocommerce_rest_{code}`` and WooCommerce's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _esc(text: str) -> str:
    """esc_html(): quotes and ampersands as entities (as WordPress writes them)."""
    return html.escape(text, quote=True).replace("&#x27;", "&#039;")


def _refused(message: str, code: str = "woocommerce_rest_invalid_coupon") -> CouponRefused:
    return CouponRefused(code, message)


class OrderCoupons:
    """The coupon lines of orders, on the store's coupons and products."""

    def __init__(
        self,
        core: StoreCore,
        coupons: CouponTable,
        products: ProductTable,
        customers: CustomerTable,
    ) -> None:
        self.core = core
        self.coupons = coupons
        self.products = products
        self.customers = customers

    # ------------------------------------------------------------------ the REST entry
    def calculate(self, order: Order, requested: Sequence[Mapping[str, Any]]) -> None:
        """calculate_coupons(): check every code, remove the order's coupons, apply these."""
        current = {line.code.lower() for line in order.coupon_lines}
        codes: list[str] = []
        for spec in requested:
            if spec.get("id"):
                raise _refused(
                    "Coupon item ID is readonly.", "woocommerce_rest_coupon_item_id_readonly"
                )
            raw = spec.get("code")
            if raw is None or not str(raw).strip():
                raise _refused("Coupon code is required.")
            code = format_code(str(raw))
            if code.lower() not in current:
                self.check(order, code)
            codes.append(code)
        for line in list(order.coupon_lines):
            self.remove(order, line.code)
        for code in codes:
            self.apply(order, code)

    # ------------------------------------------------------------------ one coupon
    def find(self, code: str) -> Coupon | None:
        coupon_id = self.coupons.id_by_code(code)
        return self.coupons.records.get(coupon_id) if coupon_id else None

    def apply(self, order: Order, code: str) -> None:
        """WC_Abstract_Order::apply_coupon()."""
        coupon = self.find(code)
        if coupon is None:
            raise _refused("Invalid coupon code")
        for line in order.coupon_lines:
            if line.code.lower() == coupon.code.lower():
                raise _refused(f"Coupon code &quot;{_esc(coupon.code)}&quot; already applied!")
        self.check(order, coupon.code)
        used_by = self._used_by(order)
        if order.customer_id == 0 and coupon.usage_limit_per_user > 0:
            email = order.billing.email
            if email and coupon.used_by.count(email) >= coupon.usage_limit_per_user:
                raise _refused(_usage_reached(coupon))
        info = json.dumps(coupon.short_info(), separators=(",", ":")).replace("/", "\\/")
        line = CouponLine(
            id=self.core.next_item_id(),
            code=coupon.code,
            discount=0,
            discount_tax=0,
            meta_data=(MetaItem(self.core.next_meta_id(), "coupon_info", info),),
        )
        order.coupon_lines = (*order.coupon_lines, line)
        self.recalculate(order)
        if order.recorded_coupon_usage:
            self.coupons.increase_usage(coupon, used_by)
        self.update_usage(order)

    def remove(self, order: Order, code: str) -> None:
        """WC_Abstract_Order::remove_coupon(): the line goes, one use less (no user named
        for a guest, so ``used_by`` keeps the guest's entry)."""
        kept = [line for line in order.coupon_lines if line.code.lower() != code.lower()]
        if len(kept) == len(order.coupon_lines):
            return
        order.coupon_lines = tuple(kept)
        coupon = self.find(code)
        if coupon is not None:
            self.coupons.decrease_usage(coupon, str(order.customer_id) if order.customer_id else "")
        self.recalculate(order)

    # ------------------------------------------------------------------ arithmetic
    def recalculate(self, order: Order) -> None:
        """recalculate_coupons(): every line back to its subtotal, each coupon applied in
        turn, the lines' totals and the coupon lines' discounts from the result."""
        items = self._items(order)
        discounts = Discounts.of(items)
        for coupon_line in order.coupon_lines:
            discounts.apply(self._rule(coupon_line))
        given = discounts.by_item()
        core = self.core
        for line in order.line_items:
            product = self.products.records.get(line.product_id)
            taxable = product is None or product.tax_status == "taxable"
            line.total = max(0, line.subtotal - given.get(line.id, 0))
            line.total_tax = core.line_tax(line.total, taxable)
        for coupon_line in order.coupon_lines:
            amount = discounts.total(coupon_line.code)
            coupon_line.discount = amount
            coupon_line.discount_tax = core.line_tax(amount, True)
        order.cached = None

    def _rule(self, line: CouponLine) -> Rule:
        coupon = self.find(line.code)
        if coupon is not None:
            return self._rule_of(coupon)
        # A coupon deleted since: the temporary coupon of its coupon_info.
        info = coupon_info(line)
        kind = str(info[2]) if len(info) > 2 and info[2] else "fixed_cart"
        amount = float(info[3]) if len(info) > 3 and info[3] else 0.0
        if not amount:
            kind, amount = "fixed_cart", line.discount / 100
        return Rule(code=line.code, discount_type=kind, amount=amount)

    # ------------------------------------------------------------------ checks
    def check(self, order: Order, code: str) -> None:
        """WC_Discounts::is_coupon_valid() for an order, in its order of checks."""
        coupon = self.find(code)
        if coupon is None or coupon.status == "trash":
            raise _refused(
                f"Coupon &quot;{_esc(format_code(code))}&quot; cannot be applied because it "
                "does not exist."
            )
        if coupon.usage_limit and coupon.usage_count >= coupon.usage_limit:
            raise _refused(_usage_reached(coupon))
        if order.customer_id and coupon.usage_limit_per_user > 0:
            uses = coupon.used_by.count(str(order.customer_id))
            if uses >= coupon.usage_limit_per_user:
                raise _refused(_usage_reached(coupon))
        if coupon.expires is not None and self.core.now() > coupon.expires:
            raise _refused(f"Coupon &quot;{_esc(coupon.code)}&quot; has expired.")
        subtotal = sum(line.subtotal for line in order.line_items) / 100
        minimum, maximum = (
            decimal_value(coupon.minimum_amount),
            decimal_value(coupon.maximum_amount),
        )
        if minimum > 0 and minimum > subtotal:
            raise _refused(
                f"The minimum spend for coupon &quot;{_esc(coupon.code)}&quot; is "
                f"{self._price(minimum)}."
            )
        if maximum > 0 and maximum < subtotal:
            raise _refused(
                f"The maximum spend for coupon &quot;{_esc(coupon.code)}&quot; is "
                f"{self._price(maximum)}."
            )
        products = [self.products.records.get(line.product_id) for line in order.line_items]
        not_applicable = _refused(
            f"Sorry, coupon &quot;{_esc(coupon.code)}&quot; is not applicable to selected products."
        )
        if coupon.product_ids and not any(
            p is not None and p.id in coupon.product_ids for p in products
        ):
            raise not_applicable
        if coupon.product_categories and not any(
            p is not None
            and not (coupon.exclude_sale_items and _on_sale(p))
            and {c.id for c in p.categories} & set(coupon.product_categories)
            for p in products
        ):
            raise not_applicable
        rule = self._rule_of(coupon)
        if order.line_items and coupon.discount_type in PRODUCT_TYPES:
            items = self._items(order)
            if not any(item.product_id and rule.valid_for_item(item) for item in items):
                raise not_applicable
        if coupon.discount_type not in PRODUCT_TYPES:
            self._check_cart_coupon(coupon, products)
        if coupon.email_restrictions and not _emails_allowed(
            [self._user_email(), order.billing.email], coupon.email_restrictions
        ):
            raise _refused(
                f"Please enter a valid email at checkout to use coupon code "
                f"&quot;{_esc(coupon.code)}&quot;."
            )

    def _check_cart_coupon(self, coupon: Coupon, products: Sequence[Any]) -> None:
        if coupon.exclude_sale_items and any(p is not None and _on_sale(p) for p in products):
            raise _refused(
                f"Sorry, coupon &quot;{_esc(coupon.code)}&quot; is not valid for sale items."
            )
        excluded = [
            p.name for p in products if p is not None and p.id in coupon.excluded_product_ids
        ]
        if excluded:
            raise _refused(
                f"Sorry, coupon &quot;{_esc(coupon.code)}&quot; is not applicable to the "
                f"products: {_esc(', '.join(excluded))}."
            )
        names: list[str] = []
        for p in products:
            if p is None:
                continue
            for category in p.categories:
                if category.id in coupon.excluded_product_categories and category.name not in names:
                    names.append(category.name)
        if names:
            raise _refused(
                f"Sorry, coupon &quot;{_esc(coupon.code)}&quot; is not applicable to the "
                f"categories: {_esc(', '.join(names))}."
            )

    def _rule_of(self, coupon: Coupon) -> Rule:
        return Rule(
            code=coupon.code,
            discount_type=coupon.discount_type,
            amount=coupon.amount_value,
            product_ids=frozenset(coupon.product_ids),
            excluded_product_ids=frozenset(coupon.excluded_product_ids),
            product_categories=frozenset(coupon.product_categories),
            excluded_product_categories=frozenset(coupon.excluded_product_categories),
            exclude_sale_items=coupon.exclude_sale_items,
            limit_usage_to_x_items=coupon.limit_usage_to_x_items,
        )

    def _items(self, order: Order) -> list[Item]:
        items = []
        for line in order.line_items:
            product = self.products.records.get(line.product_id)
            items.append(
                Item(
                    key=line.id,
                    price=line.subtotal,
                    quantity=line.quantity,
                    product_id=product.id if product is not None else 0,
                    on_sale=product is not None and _on_sale(product),
                    categories=frozenset(c.id for c in product.categories)
                    if product
                    else frozenset(),
                )
            )
        return items

    def _price(self, amount: float) -> str:
        """wc_price() as the message shows it (kses keeps the spans)."""
        symbol = (
            "&#036;"
            if self.core.settings.currency == "USD"
            else _esc(self.core.settings.currency_symbol)
        )
        return (
            '<span class="woocommerce-Price-amount amount"><bdi>'
            f'<span class="woocommerce-Price-currencySymbol">{symbol}</span>{amount:.2f}'
            "</bdi></span>"
        )

    def _user_email(self) -> str:
        """The API user's e-mail: the shop's administrator owns the keys."""
        admin = self.customers.records.get(ADMIN_USER_ID)
        return admin.email if admin is not None else ""

    # ------------------------------------------------------------------ usage counts
    @staticmethod
    def _used_by(order: Order) -> str:
        return str(order.customer_id) if order.customer_id else order.billing.email

    def update_usage(self, order: Order) -> None:
        """wc_update_coupon_usage_counts(): count the order's coupons once while it is
        valid, uncount them when it is cancelled, failed or trashed."""
        invalid = order.status in INVALID_STATUSES
        if invalid and order.recorded_coupon_usage:
            order.recorded_coupon_usage = False
            change = self.coupons.decrease_usage
        elif not invalid and not order.recorded_coupon_usage:
            order.recorded_coupon_usage = True
            change = self.coupons.increase_usage
        else:
            return
        used_by = self._used_by(order)
        for line in order.coupon_lines:
            coupon = self.find(line.code)
            if coupon is not None:
                change(coupon, used_by)

    def status_moved(self, order: Order) -> None:
        """The status hooks wc_update_coupon_usage_counts() listens to."""
        if order.status in USAGE_STATUSES or order.status == "trash":
            self.update_usage(order)


def coupon_info(line: CouponLine) -> list[Any]:
    """The ``coupon_info`` meta of a coupon line, decoded (``[]`` when there is none)."""
    for meta in line.meta_data:
        if meta.key == "coupon_info" and isinstance(meta.value, str):
            try:
                info = json.loads(meta.value)
            except ValueError:
                return []
            return info if isinstance(info, list) else []
    return []


def _on_sale(product: Any) -> bool:
    sale, regular = product.sale_price, product.regular_price
    return sale is not None and (regular is None or sale < regular)


def _usage_reached(coupon: Coupon) -> str:
    return f"Usage limit for coupon &quot;{_esc(coupon.code)}&quot; has been reached."


def _emails_allowed(emails: Sequence[str], restrictions: Sequence[str]) -> bool:
    """DiscountsUtil::is_coupon_emails_allowed(): a direct match or a ``*`` wildcard."""
    checked = [e.strip().lower() for e in emails if e and e.strip()]
    for email in checked:
        if email in restrictions:
            return True
        for restriction in restrictions:
            pattern = "^" + ".*".join(re.escape(part) for part in restriction.split("*")) + "$"
            if re.match(pattern, email):
                return True
    return False
