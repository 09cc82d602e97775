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
    line_items: tuple[LineItem, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
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

    @property
    def order_key(self) -> str:
        # Derived, not stored: the key is a function of the id and creation instant.
        return order_key(self.id, self.created)

    # Totals are derived from the lines, so they always add up.
    @property
    def discount_total(self) -> int:
        return sum(item.subtotal - item.total for item in self.line_items)

    @property
    def discount_tax(self) -> int:
        return sum(item.subtotal_tax - item.total_tax for item in self.line_items)

    @property
    def shipping_total(self) -> int:
        return sum(line.total for line in self.shipping_lines)

    @property
    def shipping_tax(self) -> int:
        return sum(line.total_tax for line in self.shipping_lines)

    @property
    def cart_tax(self) -> int:
        return sum(item.total_tax for item in self.line_items) + sum(
            fee.total_tax for fee in self.fee_lines
        )

    @property
    def total_tax(self) -> int:
        return self.cart_tax + self.shipping_tax

    @property
    def total(self) -> int:
        return (
            sum(item.total for item in self.line_items)
            + sum(fee.total for fee in self.fee_lines)
            + self.shipping_total
            + self.total_tax
        )
