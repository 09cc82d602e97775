"""The store's records: compact ``__slots__`` dataclasses.

Money is kept as integer cents (the store's ``price_decimals`` is 2); instants
as whole UTC seconds plus, where filters need them, the site-local wall
seconds WordPress keeps beside them (see :mod:`simulator.wcdates`). ``cached``
holds the record's rendered JSON bytes; the store clears it on every change.

Compact by design (a million orders must fit): child collections are tuples
(an empty one is a shared singleton, a list would be 56 bytes each) and
addresses are immutable, so an order can share its customer's address object;
the store replaces these values, it never changes them in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

ORDER_STATUSES = (
    # WooCommerce 10.0.2 lists auto-draft first in the status enum (create and filter).
    "auto-draft",
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
#: Statuses the REST ``status`` filter accepts (``any`` means every status except trash).
ORDER_STATUS_FILTERS = ("any", "trash", *ORDER_STATUSES)
#: Statuses an order is "paid" in (wc_get_is_paid_statuses).
PAID_STATUSES = frozenset({"processing", "completed"})
#: Statuses an order is a draft in: creating one fires no woocommerce_new_order, leaving
#: them does (OrdersTableDataStore::create() and update()).
DRAFT_STATUSES = frozenset({"auto-draft", "checkout-draft"})

PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
#: The status enum of a product write, in WooCommerce 10.0.2's order (its error names them so).
PRODUCT_WRITE_STATUSES = (*PRODUCT_STATUSES, "auto-draft", "trash")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
#: ``display`` of a product category (its ``display_type`` term meta; "" reads as default).
CATEGORY_DISPLAY_TYPES = ("default", "products", "subcategories", "both")
CUSTOMER_ROLES = ("customer", "subscriber", "shop_manager", "administrator", "editor", "author")


@dataclass(slots=True)
class MetaItem:
    id: int
    key: str
    value: Any


class Address(NamedTuple):
    """An immutable address (a tuple: cheap to build, shared by an order and its customer)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""  # billing only; shipping addresses render without it
    phone: str = ""

    def text(self) -> str:
        """All fields joined, as WooCommerce's ``_billing_address_index`` for search."""
        return " ".join(
            (
                self.first_name,
                self.last_name,
                self.company,
                self.address_1,
                self.address_2,
                self.city,
                self.state,
                self.postcode,
                self.country,
                self.email,
                self.phone,
            )
        )


ADDRESS_FIELDS = Address._fields


def order_key(order_id: int, created: int) -> str:
    # wc_generate_order_key: "wc_order_" + 13 chars; derived from the record so
    # that runs with a frozen clock are byte-identical.
    return "wc_order_" + hashlib.sha1(f"{order_id}:{created}".encode()).hexdigest()[:13]


@dataclass(slots=True)
class Customer:
    id: int
    email: str
    username: str
    role: str
    first_name: str
    last_name: str
    billing: Address
    shipping: Address
    created: int
    created_wall: int
    modified: int | None
    modified_wall: int | None
    is_paying_customer: bool = False
    meta_data: tuple[MetaItem, ...] = ()
    cached: bytes | None = None

    @property
    def display_name(self) -> str:
        # wp_insert_user: "first last", else either name, else the login.
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.username


@dataclass(slots=True, eq=False)
class Category:
    """A ``product_cat`` term (compared by identity: products hold the term itself)."""

    id: int
    name: str
    slug: str
    parent: int = 0
    description: str = ""
    display: str = "default"
    menu_order: int = 0


@dataclass(slots=True, eq=False)
class Tag:
    """A ``product_tag`` term."""

    id: int
    name: str
    slug: str
    description: str = ""


@dataclass(slots=True, frozen=True)
class ProductAttribute:
    """A custom (local) attribute of a product: ``Size`` with options ``S|M|L``."""

    name: str
    options: tuple[str, ...]
    position: int = 0
    visible: bool = False
    variation: bool = False


@dataclass(slots=True)
class Product:
    id: int
    name: str
    slug: str
    type: str
    status: str
    sku: str
    regular_price: int | None  # cents; None = no price
    sale_price: int | None
    description: str
    short_description: str
    created: int
    created_wall: int
    modified: int
    modified_wall: int
    featured: bool = False
    catalog_visibility: str = "visible"
    virtual: bool = False
    downloadable: bool = False
    tax_status: str = "taxable"
    tax_class: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    weight: str = ""
    total_sales: int = 0
    categories: tuple[Category, ...] = ()
    tags: tuple[Tag, ...] = ()
    meta_data: tuple[MetaItem, ...] = ()
    status_before_trash: str = ""
    #: A variable product's attributes, and the options its form preselects
    #: (attribute slug, option).
    attributes: tuple[ProductAttribute, ...] = ()
    default_attributes: tuple[tuple[str, str], ...] = ()
    #: A variation's parent product and its chosen options (attribute slug, option).
    parent_id: int = 0
    options: tuple[tuple[str, str], ...] = ()
    menu_order: int = 0
    dimensions: tuple[str, str, str] = ("", "", "")
    #: The prices as they were written over REST: WooCommerce stores and answers the
    #: string as given ("3", "10.5", "04.50"). None: render the amount with the
    #: store's decimals (generated products).
    regular_price_text: str | None = None
    sale_price_text: str | None = None
    cached: bytes | None = None

    @property
    def price(self) -> int | None:
        return self.sale_price if self.sale_price is not None else self.regular_price


@dataclass(slots=True)
class LineItem:
    id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    subtotal: int
    subtotal_tax: int
    total: int
    total_tax: int
    sku: str
    tax_class: str = ""
    meta_data: tuple[MetaItem, ...] = ()


@dataclass(slots=True)
class ShippingLine:
    id: int
    method_title: str
    method_id: str
    instance_id: str
    total: int
    total_tax: int
    meta_data: tuple[MetaItem, ...] = ()


@dataclass(slots=True)
class FeeLine:
    id: int
    name: str
    total: int
    total_tax: int
    tax_class: str = ""
    tax_status: str = "taxable"
    meta_data: tuple[MetaItem, ...] = ()


@dataclass(slots=True)
class CouponLine:
    id: int
    code: str
    discount: int
    discount_tax: int
    meta_data: tuple[MetaItem, ...] = ()


#: A line item as a basket holds it: name, product id, variation id, quantity, subtotal,
#: subtotal tax, total, total tax, sku (:class:`LineItem`'s fields after its id).
LineSpec = tuple[str, int, int, int, int, int, int, int, str]
#: A shipping line as a basket holds it: method title, method id, instance id, total, tax.
ShippingSpec = tuple[str, str, str, int, int]


class Basket(NamedTuple):
    """The lines generated orders of one profile share, as values (immutable).

    A generated order keeps its basket and its first item id instead of its own
    line items and shipping line; they are built, with those values and ids,
    the first time anything reads or writes them (:meth:`Order.build_lines`).
    """

    lines: tuple[LineSpec, ...]
    shipping: ShippingSpec
    #: The shipping line's item id after the first line's (lines, then a coupon line).
    shipping_offset: int
    product_ids: tuple[int, ...]
    names: tuple[str, ...]
    #: The lines' subtotal, subtotal tax, total and total tax, summed.
    sums: tuple[int, int, int, int]

    def records(self, first_item_id: int) -> tuple[tuple[LineItem, ...], tuple[ShippingLine]]:
        """The line items and shipping line of an order of this basket whose first item
        id is ``first_item_id``: new records, in WooCommerce's item-id order."""
        first = first_item_id
        return (
            tuple([LineItem(first + k, *spec) for k, spec in enumerate(self.lines)]),
            (ShippingLine(first + self.shipping_offset, *self.shipping),),
        )

    def first_line(self, first_item_id: int) -> LineItem:
        """The first line item of an order of this basket (a new record), without the
        others: what a generated partial refund takes one unit of."""
        return LineItem(first_item_id, *self.lines[0])

    def order_total(self) -> int:
        """What an order of this basket totals before fees: lines, shipping, their taxes."""
        return self.sums[2] + self.sums[3] + self.shipping[3] + self.shipping[4]

    @classmethod
    def of(cls, lines: tuple[LineSpec, ...], shipping: ShippingSpec, coupon_line: bool) -> Basket:
        if not lines:
            return cls(lines, shipping, coupon_line, (), (), (0, 0, 0, 0))
        names, product_ids, _, _, subtotals, subtotal_taxes, totals, total_taxes, _ = zip(
            *lines, strict=True
        )
        return cls(
            lines,
            shipping,
            len(lines) + coupon_line,
            product_ids,
            names,
            (sum(subtotals), sum(subtotal_taxes), sum(totals), sum(total_taxes)),
        )


@dataclass(slots=True)
class Order:
    id: int
    status: str
    currency: str
    version: str
    customer_id: int
    billing: Address
    shipping: Address
    created_via: str
    created: int
    created_wall: int
    modified: int
    modified_wall: int
    parent_id: int = 0
    prices_include_tax: bool = False
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    customer_note: str = ""
    cart_hash: str = ""
    paid: int | None = None
    completed: int | None = None
    #: The line items and shipping lines once built: read them as ``line_items`` and
    #: ``shipping_lines``, which build them from ``basket`` first when it is set.
    built_line_items: tuple[LineItem, ...] = ()
    built_shipping_lines: tuple[ShippingLine, ...] = ()
    fee_lines: tuple[FeeLine, ...] = ()
    coupon_lines: tuple[CouponLine, ...] = ()
    meta_data: tuple[MetaItem, ...] = ()
    tax_line_id: int = 0  # the order item holding the tax rate's totals (0 = none yet)
    status_before_trash: str = ""
    #: The order is counted in its products' total_sales (the `_recorded_sales` flag).
    recorded_sales: bool = False
    #: The order's coupon uses are counted (the `_recorded_coupon_usage_counts` flag).
    recorded_coupon_usage: bool = False
    #: Ids of the order's refunds (records in the store's ``refunds``).
    refunds: tuple[int, ...] = ()
    cached: bytes | None = None
    #: A generated order's lines not built yet: what they are (shared by the orders of
    #: one profile) and the first line's item id; None once built.
    basket: Basket | None = None
    first_item_id: int = 0

    @property
    def line_items(self) -> tuple[LineItem, ...]:
        if self.basket is not None:
            self.build_lines()
        return self.built_line_items

    @line_items.setter
    def line_items(self, items: tuple[LineItem, ...]) -> None:
        if self.basket is not None:
            self.build_lines()  # the shipping lines are built with them
        self.built_line_items = items

    @property
    def shipping_lines(self) -> tuple[ShippingLine, ...]:
        if self.basket is not None:
            self.build_lines()
        return self.built_shipping_lines

    @shipping_lines.setter
    def shipping_lines(self, lines: tuple[ShippingLine, ...]) -> None:
        if self.basket is not None:
            self.build_lines()
        self.built_shipping_lines = lines

    def peek_lines(self) -> tuple[tuple[LineItem, ...], tuple[ShippingLine, ...]]:
        """The line items and shipping lines to read: the order's own, or while they are
        not built, records built from the basket and not kept (the order stays unbuilt;
        writing to them changes nothing, so only readers may use this)."""
        basket = self.basket
        if basket is None:
            return self.built_line_items, self.built_shipping_lines
        return basket.records(self.first_item_id)

    def build_lines(self) -> None:
        """Build the line items and the shipping line from ``basket`` (first read or write).

        Exactly the records the generator used to build at once: item ids from
        ``first_item_id`` in WooCommerce's order (lines, coupon, shipping), each
        line a new record of its own (a write changes this order's only).
        """
        if self.basket is not None:
            self.built_line_items, self.built_shipping_lines = self.peek_lines()
            self.basket = None

    @property
    def product_ids(self) -> tuple[int, ...] | list[int]:
        """The product id of every line, in line order, without building the lines."""
        basket = self.basket
        if basket is not None:
            return basket.product_ids
        return [item.product_id for item in self.built_line_items]

    @property
    def line_names(self) -> tuple[str, ...] | list[str]:
        """The name of every line, in line order, without building the lines."""
        basket = self.basket
        if basket is not None:
            return basket.names
        return [item.name for item in self.built_line_items]

    @property
    def order_key(self) -> str:
        # Derived, not stored: the key is a function of the id and creation instant.
        return order_key(self.id, self.created)

    # Totals are derived from the lines, so they always add up (an unbuilt order's
    # from its basket's sums: the same integers, no line built to read them).
    @property
    def discount_total(self) -> int:
        basket = self.basket
        if basket is not None:
            return basket.sums[0] - basket.sums[2]
        return sum(item.subtotal - item.total for item in self.built_line_items)

    @property
    def discount_tax(self) -> int:
        basket = self.basket
        if basket is not None:
            return basket.sums[1] - basket.sums[3]
        return sum(item.subtotal_tax - item.total_tax for item in self.built_line_items)

    @property
    def shipping_total(self) -> int:
        basket = self.basket
        if basket is not None:
            return basket.shipping[3]
        return sum(line.total for line in self.built_shipping_lines)

    @property
    def shipping_tax(self) -> int:
        basket = self.basket
        if basket is not None:
            return basket.shipping[4]
        return sum(line.total_tax for line in self.built_shipping_lines)

    @property
    def cart_tax(self) -> int:
        basket = self.basket
        if basket is not None:
            lines = basket.sums[3]
        else:
            lines = sum(item.total_tax for item in self.built_line_items)
        fees = self.fee_lines  # most orders have none: no generator to sum them
        return lines + sum(fee.total_tax for fee in fees) if fees else lines

    @property
    def total_tax(self) -> int:
        return self.cart_tax + self.shipping_tax

    @property
    def total(self) -> int:
        """Lines, fees and shipping, with their taxes."""
        fees = self.fee_lines  # most orders have none: no generator to sum them
        fee_total = sum(fee.total + fee.total_tax for fee in fees) if fees else 0
        basket = self.basket
        if basket is not None:
            return basket.order_total() + fee_total
        lines = sum(item.total + item.total_tax for item in self.built_line_items)
        shipping = sum(line.total + line.total_tax for line in self.built_shipping_lines)
        return lines + shipping + fee_total
