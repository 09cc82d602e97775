"""The store's state: customers, products, orders, their indexes and their events.

The store knows nothing of HTTP. It validates references it owns (a product id
in a line item, a duplicate email), raises :class:`~simulator.errors.RestError`
in WooCommerce's words when it says no, and emits a
:class:`~simulator.events.StoreEvent` on the bus for every change, whichever
path made it.

Ids follow WordPress: orders and products are posts and share one id sequence
(as ``wp_posts.ID`` does; it starts after the pages a fresh WooCommerce install
creates), customers are users with their own sequence (user 1 is the shop's
administrator, who owns the API keys). Order items (line, shipping, fee,
coupon, tax) share the ``woocommerce_order_items`` sequence; meta rows their own.

Date-filtered queries use sorted indexes of packed ``(wall seconds, id)`` integers
in ``array('q')`` (8 bytes a record), answered with ``bisect``: the cost of a
``modified_after`` window is the size of the window, not of the store.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.clock import Clock
from simulator.errors import RestError, invalid_params
from simulator.events import EventBus, StoreEvent
from simulator.models import (
    ADDRESS_FIELDS,
    DRAFT_STATUSES,
    PAID_STATUSES,
    Address,
    Category,
    Customer,
    FeeLine,
    LineItem,
    MetaItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.params import MAX_AMOUNT, MAX_QUANTITY, amount_problem, as_amount, as_integer
from simulator.settings import Settings
from simulator.stock import (
    REDUCED_STOCK_KEY,
    REDUCING_STATUSES,
    RESTORING_STATUSES,
    UNCOUNTING_STATUSES,
    status_hooks,
    stock_status_for,
)
from simulator.wcdates import wall_seconds

#: Line items one order may hold. A real store has no such cap but saves every line
#: with several queries: 150k lines run into PHP's max_execution_time (a 500 and a
#: half-saved order). Here every line costs ~50 µs of event loop, so the cap keeps one
#: order's write well under 100 ms; beyond it the answer is WordPress' own for an
#: array argument over its schema's ``maxItems``.
MAX_LINE_ITEMS = 1000


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


#: First post id: a fresh WordPress + WooCommerce install already used 1..9
#: (sample post/page, privacy page, shop/cart/checkout/my-account pages...).
FIRST_POST_ID = 10
ADMIN_USER_ID = 1
#: The ``product_cat`` term every product without a category gets.
UNCATEGORIZED = Category(15, "Uncategorized", "uncategorized")

_KEY_BASE = 1_577_836_800  # 2020-01-01: keeps packed keys in int64 for 1884..2156
_ID_SPACE = 1 << 31
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})


class SortedIndex:
    """Ids sorted by an integer key, then by id, packed into one int64 each."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: array[int] = array("q")

    @staticmethod
    def _pack(key: int, record_id: int) -> int:
        return (key - _KEY_BASE) * _ID_SPACE + record_id

    def add(self, key: int, record_id: int) -> None:
        packed = self._pack(key, record_id)
        data = self._data
        if not data or data[-1] < packed:
            data.append(packed)  # the common case: the newest record
        else:
            data.insert(bisect_left(data, packed), packed)

    def remove(self, key: int, record_id: int) -> None:
        packed = self._pack(key, record_id)
        position = bisect_left(self._data, packed)
        if position < len(self._data) and self._data[position] == packed:
            del self._data[position]

    def clear(self) -> None:
        self._data = array("q")

    def extend(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Bulk add (the generator): sort the new keys, then merge them in."""
        base, space = _KEY_BASE, _ID_SPACE
        self.extend_packed([(key - base) * space + record_id for key, record_id in pairs])

    def extend_packed(self, packed: list[int]) -> None:
        """Bulk add of packed keys (``(key - _KEY_BASE) * _ID_SPACE + id``), sorted in place.

        Generated records come in time order, so the new keys mostly sort after
        the old ones: only the overlapping tail is re-sorted, and adding a
        million records in steps stays linear.
        """
        packed.sort()
        new = packed
        if not new:
            return
        data = self._data
        position = bisect_left(data, new[0])
        if position == len(data):
            data.extend(new)
            return
        merged = sorted(data[position:].tolist() + new)
        del data[position:]
        data.extend(merged)

    def __len__(self) -> int:
        return len(self._data)

    def span(self, after: int | None, before: int | None) -> tuple[int, int]:
        """Positions [start, end) of the keys strictly between ``after`` and ``before``."""
        data = self._data
        start = 0 if after is None else bisect_right(data, self._pack(after, _ID_SPACE - 1))
        end = len(data) if before is None else bisect_left(data, self._pack(before, 0))
        return start, max(start, end)

    def ids(self, start: int, end: int, *, descending: bool = False) -> Iterator[int]:
        """Ids at positions [start, end), read in growing slices (a page reads a few hundred)."""
        data, space = self._data, _ID_SPACE
        batch = 256
        low, high = start, end
        while low < high:
            if descending:
                chunk = data[max(low, high - batch) : high]
                high -= len(chunk)
                chunk.reverse()
            else:
                chunk = data[low : min(high, low + batch)]
                low += len(chunk)
            for value in chunk:
                yield value % space
            batch = min(batch * 4, 1 << 16)


@dataclass(slots=True)
class DateIndexes:
    """The four date columns WordPress filters posts on."""

    created_local: SortedIndex = field(default_factory=SortedIndex)
    created_gmt: SortedIndex = field(default_factory=SortedIndex)
    modified_local: SortedIndex = field(default_factory=SortedIndex)
    modified_gmt: SortedIndex = field(default_factory=SortedIndex)

    def add(self, record: Order | Product) -> None:
        self.created_local.add(record.created_wall, record.id)
        self.created_gmt.add(record.created, record.id)
        self.modified_local.add(record.modified_wall, record.id)
        self.modified_gmt.add(record.modified, record.id)

    def remove(self, record: Order | Product) -> None:
        self.created_local.remove(record.created_wall, record.id)
        self.created_gmt.remove(record.created, record.id)
        self.modified_local.remove(record.modified_wall, record.id)
        self.modified_gmt.remove(record.modified, record.id)

    def extend(self, records: Sequence[Order] | Sequence[Product]) -> None:
        # Packed as SortedIndex does, in one comprehension per column (the generator's bulk path).
        space, shift = _ID_SPACE, _KEY_BASE * _ID_SPACE
        self.created_gmt.extend_packed([r.created * space + r.id - shift for r in records])
        self.modified_gmt.extend_packed([r.modified * space + r.id - shift for r in records])
        self.created_local.extend_packed([r.created_wall * space + r.id - shift for r in records])
        self.modified_local.extend_packed([r.modified_wall * space + r.id - shift for r in records])

    def clear(self) -> None:
        for index in (self.created_local, self.created_gmt, self.modified_local, self.modified_gmt):
            index.clear()


@dataclass(slots=True)
class DateFilter:
    """after/before (created) and modified_after/modified_before, already in wall seconds."""

    after: int | None = None
    before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    #: dates_are_gmt: compare against the *_gmt columns (the bound stays site-local wall time).
    gmt: bool = False

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.after, self.before, self.modified_after, self.modified_before)
        )


@dataclass(slots=True)
class PostQuery:
    """A list query on orders or products (the parameters WP_Query gets)."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    statuses: frozenset[str] | None = None  # None = any status except trash
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()
    parent: list[int] = field(default_factory=list)
    parent_exclude: frozenset[int] = frozenset()
    search: str = ""
    dates: DateFilter = field(default_factory=DateFilter)
    # orders only
    customer: int | None = None
    product: int | None = None
    # products only
    sku: str = ""
    type: str = ""
    featured: bool | None = None
    on_sale: bool | None = None
    stock_status: str = ""
    min_price: int | None = None
    max_price: int | None = None
    category: frozenset[int] | None = None
    slug: str | None = None
    search_sku: str = ""
    #: "" is the standard class; None = no filter.
    tax_class: str | None = None
    exclude_statuses: frozenset[str] = frozenset()
    include_types: frozenset[str] | None = None
    exclude_types: frozenset[str] = frozenset()
    downloadable: bool | None = None
    virtual: bool | None = None
    #: A taxonomy filter (tag, shipping class, brand) naming terms the store does not
    #: have: nothing matches.
    unknown_term: bool = False


@dataclass(slots=True)
class CustomerQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "asc"
    orderby: str = "name"
    role: str = "customer"
    email: str = ""
    search: str = ""
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()


def money(value: Any) -> int:
    """A money amount (string or number) as cents, rounded half away from zero like PHP.

    Only for values validation accepted (:func:`simulator.params.amount_problem`):
    anything else is a ValueError, never a stored number.
    """
    amount = as_amount(value)
    if amount is None or amount.copy_abs() >= MAX_AMOUNT:
        raise ValueError("not a storable amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_amounts(
    problems: dict[str, tuple[str, str]], spec: Mapping[str, Any], names: Sequence[str], where: str
) -> None:
    """Record a problem for each money field of ``spec`` that cannot be stored."""
    for name in names:
        raw = spec.get(name)
        if raw is None or raw == "":
            continue
        label = f"{where}[{name}]" if where else name
        problem = amount_problem(raw, label)
        if problem is not None:
            problems.setdefault(where.split("[", 1)[0] or name, problem)


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


#: Statuses wp_insert_post() leaves without a generated slug.
UNSLUGGED_STATUSES = frozenset({"draft", "pending", "auto-draft"})


def sanitize_title(text: str) -> str:
    """A slug as WordPress ``sanitize_title`` makes it (accents removed, dashes)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug


class Store:
    """All the records of one fake store, and every way of changing them."""

    def __init__(self, settings: Settings, clock: Clock, bus: EventBus) -> None:
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.customers: dict[int, Customer] = {}
        self.orders: dict[int, Order] = {}
        self.products: dict[int, Product] = {}
        self.categories: dict[int, Category] = {UNCATEGORIZED.id: UNCATEGORIZED}
        self.order_dates = DateIndexes()
        self.product_dates = DateIndexes()
        self._order_status_counts: Counter[str] = Counter()
        self._orders_by_customer: dict[int, set[int]] = {}
        self._orders_by_product: dict[int, set[int]] = {}
        self._emails: dict[str, int] = {}
        self._usernames: dict[str, int] = {}
        self._skus: dict[str, int] = {}
        self._slugs: set[str] = set()
        self._customers_by_name: list[int] | None = None
        self._next_post_id = FIRST_POST_ID
        self._next_user_id = ADMIN_USER_ID + 1
        self._next_item_id = 1
        self._next_meta_id = 1
        self._offsets: dict[int, int] = {}
        #: Changes on every reset: a generation running in steps checks it.
        self.epoch = 0
        self._tax_millionths = int(Decimal(settings.tax_rate_percent) * 10_000)
        self._create_admin()

    # ------------------------------------------------------------------ basics
    def now(self) -> int:
        return int(self.clock.timestamp() // 1)

    def wall(self, timestamp: int) -> int:
        """Site-local wall seconds; offsets cached per quarter hour (no zone moves off those)."""
        bucket = timestamp // 900
        offset = self._offsets.get(bucket)
        if offset is None:
            offset = wall_seconds(bucket * 900, self.settings.zone) - bucket * 900
            if len(self._offsets) > 100_000:
                self._offsets.clear()
            self._offsets[bucket] = offset
        # UTC stores keep one int object for both columns (memory at a million records).
        return timestamp + offset if offset else timestamp

    @property
    def wall_is_utc(self) -> bool:
        """Whether wall seconds are the UTC instants themselves (a UTC site)."""
        return self.settings.zone.key in _UTC_ZONES

    def next_post_id(self) -> int:
        value = self._next_post_id
        self._next_post_id += 1
        return value

    def claim_post_ids(self, count: int) -> int:
        """``count`` consecutive post ids; returns the first."""
        first = self._next_post_id
        self._next_post_id += count
        return first

    def next_user_id(self) -> int:
        value = self._next_user_id
        self._next_user_id += 1
        return value

    def next_item_id(self) -> int:
        value = self._next_item_id
        self._next_item_id += 1
        return value

    def claim_item_ids(self, count: int) -> int:
        """``count`` consecutive order item ids; returns the first (0 claims nothing)."""
        first = self._next_item_id
        self._next_item_id += count
        return first

    def next_meta_id(self) -> int:
        value = self._next_meta_id
        self._next_meta_id += 1
        return value

    def _emit(self, resource: str, event: str, record_id: int, emit: bool) -> None:
        if emit:
            self.bus.emit(StoreEvent(resource, event, record_id))

    def _action(self, hook: str, record_id: int, emit: bool) -> None:
        """An action hook whose argument is a record id (for ``action.*`` webhooks); not
        built when no listener takes it (a change fires several)."""
        if emit and self.bus.wants_hook(hook):
            self.bus.emit(StoreEvent("action", "", record_id, hook))

    def _create_admin(self) -> None:
        created = self.now()
        admin = Customer(
            id=ADMIN_USER_ID,
            email="admin@example.com",
            username="admin",
            role="administrator",
            first_name="",
            last_name="",
            billing=Address(),
            shipping=Address(),
            created=created,
            created_wall=self.wall(created),
            modified=None,  # never saved through WooCommerce: no last_update
            modified_wall=None,
        )
        self._index_customer(admin)

    def reset(self) -> None:
        """Empty the store; the administrator (owner of the API keys) stays."""
        admin = self.customers[ADMIN_USER_ID]
        epoch = self.epoch + 1
        self.__init__(self.settings, self.clock, self.bus)  # type: ignore[misc]
        self.epoch = epoch
        admin.cached = None
        self.customers[ADMIN_USER_ID] = admin

    # ------------------------------------------------------------------ meta
    def apply_meta(
        self, current: tuple[MetaItem, ...], changes: Sequence[Mapping[str, Any]]
    ) -> tuple[MetaItem, ...]:
        """WC_Data::update_meta_data for each ``{key, value[, id]}`` in ``changes``.

        Returns the new meta tuple (records hold tuples, replaced rather than changed).
        """
        meta = list(current)
        for change in changes:
            key = str(change.get("key", ""))
            value = change.get("value")
            meta_id = change.get("id")
            if meta_id:
                for item in meta:
                    if item.id == int(meta_id):
                        item.key, item.value = key or item.key, value
                        break
                continue
            same = [item for item in meta if item.key == key]
            if same:
                same[0].value = value
                for extra in same[1:]:
                    meta.remove(extra)
            else:
                meta.append(MetaItem(self.next_meta_id(), key, value))
        # WC_Data::save_meta_data() deletes a row whose value became null (and never
        # stores a new one): {"id": 5, "value": null} is how a REST client deletes meta.
        return tuple(item for item in meta if item.value is not None)

    # ------------------------------------------------------------------ customers
    def _index_customer(self, customer: Customer) -> None:
        self.customers[customer.id] = customer
        self._emails[customer.email.lower()] = customer.id
        self._usernames[customer.username.lower()] = customer.id
        self._customers_by_name = None

    def get_customer(self, customer_id: int, *, missing_status: int = 404) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            if missing_status == 404:
                raise RestError("wc_user_invalid_id", "Invalid user ID.", 404)
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", missing_status)
        return customer

    def email_owner(self, email: str) -> int | None:
        return self._emails.get(email.lower())

    def username_owner(self, username: str) -> int | None:
        return self._usernames.get(username.lower())

    def _unique_username(self, email: str) -> str:
        # wc_create_new_customer_username: the e-mail's local part, made unique.
        base = re.sub(r"[^a-z0-9_.\-@]", "", email.split("@")[0].lower()) or "customer"
        candidate, suffix = base, 1
        while candidate in self._usernames:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate

    def create_customer(self, fields: Mapping[str, Any], *, emit: bool = True) -> Customer:
        email = str(fields["email"])
        if not email:
            # wc_create_new_customer(): WC_Customer::set_email() lets "" through.
            raise RestError(
                "registration-error-invalid-email", "Please provide a valid email address.", 400
            )
        if email.lower() in self._emails:
            # WooCommerce 10.0.2 names the address as given (recorded).
            raise RestError(
                "registration-error-email-exists",
                f"An account is already registered with {email}. "
                "Please log in or use a different email address.",
                400,
            )
        username = str(fields.get("username") or "") or self._unique_username(email)
        if username.lower() in self._usernames:
            raise RestError(
                "registration-error-username-exists",
                "An account is already registered with that username. Please choose another.",
                400,
            )
        now = self.now()
        customer = Customer(
            id=self.next_user_id(),
            email=email,
            username=username,
            role=str(fields.get("role") or "customer"),
            first_name=str(fields.get("first_name") or ""),
            last_name=str(fields.get("last_name") or ""),
            billing=Address(),
            shipping=Address(),
            created=now,
            created_wall=self.wall(now),
            modified=now,
            modified_wall=self.wall(now),
        )
        if fields.get("generated_password"):
            # wp_insert_user() with a generated password: the user meta WooCommerce shows.
            customer.meta_data = (MetaItem(self.next_meta_id(), "default_password_nag", "1"),)
        self._apply_customer_fields(customer, fields)
        self._index_customer(customer)
        self._emit("customer", "created", customer.id, emit)
        self._action("woocommerce_created_customer", customer.id, emit)
        self._action("woocommerce_new_customer", customer.id, emit)
        return customer

    def insert_customer(self, customer: Customer, *, emit: bool = True) -> Customer:
        """Add a fully built record (the generator's fast path)."""
        self._index_customer(customer)
        self._emit("customer", "created", customer.id, emit)
        return customer

    def _apply_customer_fields(self, customer: Customer, fields: Mapping[str, Any]) -> None:
        for name in ("first_name", "last_name"):
            if name in fields:
                setattr(customer, name, str(fields[name]))
        for name in ("billing", "shipping"):
            if name in fields and fields[name] is not None:
                setattr(customer, name, _with_address(getattr(customer, name), fields[name]))
        if "meta_data" in fields:
            customer.meta_data = self.apply_meta(customer.meta_data, fields["meta_data"])
        customer.cached = None

    def update_customer(
        self, customer_id: int, fields: Mapping[str, Any], *, emit: bool = True
    ) -> Customer:
        customer = self.get_customer(customer_id)
        if "email" in fields:
            owner = self._emails.get(str(fields["email"]).lower())
            if owner is not None and owner != customer_id:
                raise RestError(
                    "woocommerce_rest_customer_invalid_email", "Email address is invalid.", 400
                )
        if fields.get("username") and str(fields["username"]).lower() != customer.username.lower():
            raise RestError(
                "woocommerce_rest_customer_invalid_argument", "Username isn't editable.", 400
            )
        if "email" in fields:
            del self._emails[customer.email.lower()]
            customer.email = str(fields["email"])
            self._emails[customer.email.lower()] = customer.id
        if fields.get("role"):
            customer.role = str(fields["role"])
        self._apply_customer_fields(customer, fields)
        self._touch_customer(customer)
        self._emit("customer", "updated", customer.id, emit)
        self._action("woocommerce_update_customer", customer.id, emit)
        return customer

    def _touch_customer(self, customer: Customer) -> None:
        now = self.now()
        customer.modified, customer.modified_wall = now, self.wall(now)
        customer.cached = None
        self._customers_by_name = None

    def delete_customer(self, customer_id: int, *, emit: bool = True) -> Customer:
        customer = self.get_customer(customer_id)
        del self.customers[customer_id]
        self._emails.pop(customer.email.lower(), None)
        self._usernames.pop(customer.username.lower(), None)
        self._customers_by_name = None
        # delete_user is bound to customer.deleted only for users with role customer.
        self._emit("customer", "deleted", customer_id, emit and customer.role == "customer")
        self._action("woocommerce_delete_customer", customer_id, emit)
        return customer

    def _mark_paying(self, customer_id: int, emit: bool) -> None:
        # wc_paying_customer(): the customer is saved, so customer.updated fires too.
        customer = self.customers.get(customer_id)
        if customer is None or customer.is_paying_customer:
            return
        customer.is_paying_customer = True
        self._touch_customer(customer)
        self._emit("customer", "updated", customer.id, emit)

    def query_customers(self, query: CustomerQuery) -> tuple[list[Customer], int]:
        if query.include:
            pool: Iterable[Customer] = (
                self.customers[i] for i in dict.fromkeys(query.include) if i in self.customers
            )
        else:
            pool = self.customers.values()
        term = query.search.strip("*").lower()
        email = query.email.lower()
        matches = [
            c
            for c in pool
            if (query.role == "all" or c.role == query.role)
            and c.id not in query.exclude
            and (not email or c.email.lower() == email)
            and (not term or _customer_matches(c, term))
        ]
        reverse = query.order == "desc"
        if query.orderby == "include" and query.include:
            position = {cid: n for n, cid in enumerate(query.include)}
            matches.sort(key=lambda c: position[c.id], reverse=reverse)
        elif query.orderby == "id":
            matches.sort(key=lambda c: c.id, reverse=reverse)
        elif query.orderby == "registered_date":
            matches.sort(key=lambda c: (c.created, c.id), reverse=reverse)
        else:
            # display_name under a case-insensitive collation; MySQL leaves ties in
            # no particular order, we break them by id so pages are stable.
            matches.sort(key=lambda c: (c.display_name.casefold(), c.id), reverse=reverse)
        total = len(matches)
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        return matches[start : start + query.per_page], total

    # ------------------------------------------------------------------ products
    def get_product(self, product_id: int, *, missing_status: int = 404) -> Product:
        product = self.products.get(product_id)
        if product is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", missing_status)
        return product

    def unique_slug(self, name: str) -> str:
        base = sanitize_title(name) or "product"
        candidate, suffix = base, 1
        while candidate in self._slugs:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate

    def _check_sku(self, sku: str, product_id: int) -> None:
        owner = self._skus.get(sku)
        if sku and owner is not None and owner != product_id:
            # WooCommerce 10.0.2 names the owner and a free SKU to use instead
            # (wc_product_generate_unique_sku: "-1", "-2", ... appended).
            suffix = 1
            while f"{sku}-{suffix}" in self._skus:
                suffix += 1
            raise RestError(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                400,
                resource_id=owner,
                unique_sku=f"{sku}-{suffix}",
            )

    @staticmethod
    def _check_product_fields(fields: Mapping[str, Any]) -> None:
        """Amount checks, before anything changes (callers other than REST skip its validation)."""
        problems: dict[str, tuple[str, str]] = {}
        _check_amounts(problems, fields, ("regular_price", "sale_price"), "")
        if problems:
            raise invalid_params(problems)

    def create_product(self, fields: Mapping[str, Any], *, emit: bool = True) -> Product:
        self._check_product_fields(fields)
        sku = str(fields.get("sku") or "")
        self._check_sku(sku, 0)
        now = self.now()
        name = str(fields.get("name") or "Product")
        status = str(fields.get("status") or "publish")
        given_slug = str(fields.get("slug") or "")
        product = Product(
            id=self.next_post_id(),
            name=name,
            # wp_insert_post(): a draft or pending post without a slug gets none until
            # it is published (recorded: "slug": "" for a new draft).
            slug=""
            if not given_slug and status in UNSLUGGED_STATUSES
            else self.unique_slug(given_slug or name),
            type=str(fields.get("type") or "simple"),
            status=status,
            sku=sku,
            regular_price=None,
            sale_price=None,
            description="",
            short_description="",
            created=now,
            created_wall=self.wall(now),
            modified=now,
            modified_wall=self.wall(now),
        )
        self._apply_product_fields(product, fields)
        if not product.categories:
            product.categories = (UNCATEGORIZED,)
        return self.insert_product(product, emit=emit)

    def insert_product(self, product: Product, *, emit: bool = True) -> Product:
        self.products[product.id] = product
        self.product_dates.add(product)
        self._slugs.add(product.slug)
        for category in product.categories:
            self.categories.setdefault(category.id, category)
        if product.sku:
            self._skus[product.sku] = product.id
        self._emit("product", "created", product.id, emit)
        if product.manage_stock:
            self._action("woocommerce_product_set_stock_status", product.id, emit)
        self._action("woocommerce_new_product", product.id, emit)
        return product

    def _apply_product_fields(self, product: Product, fields: Mapping[str, Any]) -> None:
        simple = (
            "name",
            "type",
            "status",
            "description",
            "short_description",
            "featured",
            "catalog_visibility",
            "virtual",
            "downloadable",
            "tax_status",
            "tax_class",
            "manage_stock",
            "stock_quantity",
            "stock_status",
            "weight",
        )
        for name in simple:
            if name in fields and fields[name] is not None:
                setattr(product, name, fields[name])
        for name in ("regular_price", "sale_price"):
            if name in fields:
                raw = fields[name]
                given = raw not in (None, "")
                setattr(product, name, money(raw) if given else None)
                setattr(product, f"{name}_text", str(raw) if given else None)
        if not product.slug and product.status not in UNSLUGGED_STATUSES | {"trash"}:
            product.slug = self.unique_slug(product.name)
            self._slugs.add(product.slug)
        if "sku" in fields:
            self._skus.pop(product.sku, None)
            product.sku = str(fields["sku"] or "")
            if product.sku:
                self._skus[product.sku] = product.id
        if "categories" in fields:
            chosen = [
                self.categories[int(c["id"])]
                for c in fields["categories"]
                if int(c.get("id", 0)) in self.categories
            ]
            product.categories = tuple(chosen) or (UNCATEGORIZED,)
        if "meta_data" in fields:
            product.meta_data = self.apply_meta(product.meta_data, fields["meta_data"])
        if (
            product.manage_stock
            and product.stock_quantity is not None
            and "stock_status" not in fields
        ):
            product.stock_status = "instock" if product.stock_quantity > 0 else "outofstock"

    def update_product(
        self, product_id: int, fields: Mapping[str, Any], *, emit: bool = True
    ) -> Product:
        product = self.get_product(product_id, missing_status=400)
        self._check_product_fields(fields)
        if "sku" in fields:
            self._check_sku(str(fields["sku"] or ""), product_id)
        self._apply_product_fields(product, fields)
        self._touch_product(product)
        self._invalidate_orders_with(product_id)
        self._emit("product", "updated", product_id, emit)
        self._action("woocommerce_update_product", product_id, emit)
        return product

    def _touch_product(self, product: Product) -> None:
        self.product_dates.remove(product)
        now = self.now()
        product.modified, product.modified_wall = now, self.wall(now)
        product.cached = None
        self.product_dates.add(product)

    def trash_product(self, product_id: int, *, emit: bool = True) -> Product:
        product = self.get_product(product_id)
        if product.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The product has already been deleted.", 410
            )
        # wp_trash_post() records what untrashing needs as post meta (which the REST
        # answer then shows) and frees the slug by renaming the post.
        product.meta_data = (
            *product.meta_data,
            *self._trash_meta(product.status),
            MetaItem(self.next_meta_id(), "_wp_desired_post_slug", product.slug),
        )
        self._slugs.discard(product.slug)
        product.slug = f"{product.slug}__trashed"
        self._slugs.add(product.slug)
        product.status_before_trash, product.status = product.status, "trash"
        self._touch_product(product)
        self._emit("product", "deleted", product_id, emit)
        self._action("woocommerce_trash_product", product_id, emit)
        return product

    def restore_product(self, product_id: int, *, emit: bool = True) -> Product:
        product = self.get_product(product_id)
        if product.status != "trash":
            raise RestError("woosim_not_trashed", "The product is not in the trash.", 400)
        product.status = product.status_before_trash or "draft"
        desired = next(
            (m.value for m in product.meta_data if m.key == "_wp_desired_post_slug"), None
        )
        if desired is not None:
            self._slugs.discard(product.slug)
            product.slug = self.unique_slug(str(desired))
            self._slugs.add(product.slug)
        product.meta_data = _without_trash_meta(product.meta_data)
        self._touch_product(product)
        self._emit("product", "restored", product_id, emit)
        return product

    def delete_product(self, product_id: int, *, emit: bool = True) -> Product:
        """Permanent delete: fires no hook in the webhook topic map, only its action."""
        product = self.get_product(product_id)
        del self.products[product_id]
        self.product_dates.remove(product)
        self._slugs.discard(product.slug)
        if product.sku and self._skus.get(product.sku) == product_id:
            del self._skus[product.sku]
        self._invalidate_orders_with(product_id)  # their line items lose the sku
        self._action("woocommerce_delete_product", product_id, emit)
        return product

    def _invalidate_orders_with(self, product_id: int) -> None:
        for order_id in self._orders_by_product.get(product_id, ()):
            order = self.orders.get(order_id)
            if order is not None:
                order.cached = None

    # ------------------------------------------------------------------ orders
    def get_order(self, order_id: int, *, missing_status: int = 404) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", missing_status)
        return order

    def orders_of_customer(self, customer_id: int) -> set[int]:
        return self._orders_by_customer.get(customer_id, set())

    def insert_order(self, order: Order, *, emit: bool = True) -> Order:
        """Add a fully built record (the generator's fast path and create_order's end)."""
        self.orders[order.id] = order
        self.order_dates.add(order)
        self._order_status_counts[order.status] += 1
        self._link_order(order)
        self._emit("order", "created", order.id, emit)
        return order

    def insert_orders(self, orders: Sequence[Order], *, emit: bool = True) -> None:
        """Bulk :meth:`insert_order`: indexes merged once, events in id order."""
        self.orders.update([(order.id, order) for order in orders])
        self._order_status_counts.update([order.status for order in orders])
        by_customer, by_product = self._orders_by_customer, self._orders_by_product
        for order in orders:
            order_id = order.id
            owned = by_customer.get(order.customer_id)
            if owned is None:
                owned = by_customer[order.customer_id] = set()
            owned.add(order_id)
            for item in order.line_items:
                having = by_product.get(item.product_id)
                if having is None:
                    having = by_product[item.product_id] = set()
                having.add(order_id)
        self.order_dates.extend(orders)
        if emit:
            for order in orders:
                self.bus.emit(StoreEvent("order", "created", order.id))

    def invalidate_rendering(self) -> None:
        """Drop every cached rendering (the site URL changed)."""
        for records in (self.customers, self.orders, self.products):
            for record in records.values():
                record.cached = None

    def _link_order(self, order: Order) -> None:
        self._orders_by_customer.setdefault(order.customer_id, set()).add(order.id)
        for item in order.line_items:
            self._orders_by_product.setdefault(item.product_id, set()).add(order.id)

    def _unlink_order(self, order: Order) -> None:
        self._orders_by_customer.get(order.customer_id, set()).discard(order.id)
        for item in order.line_items:
            self._orders_by_product.get(item.product_id, set()).discard(order.id)

    def _check_order_fields(self, fields: Mapping[str, Any], order: Order | None) -> None:
        """Every reference, amount and quantity check, before anything changes."""
        check_line_item_count(fields.get("line_items"))
        new_lines = sum(1 for item in fields.get("line_items") or () if not item.get("id"))
        if order is not None and len(order.line_items) + new_lines > MAX_LINE_ITEMS:
            raise too_many_line_items()
        problems: dict[str, tuple[str, str]] = {}
        for name in ("line_items", "shipping_lines", "fee_lines"):
            for position, spec in enumerate(fields.get(name) or ()):
                where = f"{name}[{position}]"
                _check_amounts(problems, spec, ("subtotal", "total"), where)
                if name == "line_items":
                    _check_quantity(problems, spec, where)
        if problems:
            raise invalid_params(problems)
        customer_id = fields.get("customer_id")
        if customer_id and int(customer_id) not in self.customers:
            raise RestError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
        parent_id = fields.get("parent_id")
        if parent_id and int(parent_id) not in self.orders:
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
            product_id = item.get("product_id")
            if not item_id and not product_id and not item.get("sku"):
                raise RestError(
                    "woocommerce_rest_required_product_reference",
                    "Product ID or SKU is required.",
                    400,
                )
            # An unknown product_id or SKU is no error: WooCommerce 10.0.2 adds a
            # line item without a product (product_id 0, no name, no price).
        for coupon in fields.get("coupon_lines") or ():
            # The store has no coupons resource, so no code exists (WC checks the code).
            raise RestError(
                "woocommerce_rest_invalid_coupon",
                f'Coupon "{coupon.get("code", "")}" does not exist!',
                400,
            )

    def create_order(
        self, fields: Mapping[str, Any], *, created_via: str = "rest-api", emit: bool = True
    ) -> Order:
        self._check_order_fields(fields, None)
        now = self.now()
        order_id = self.next_post_id()
        order = Order(
            id=order_id,
            status="pending",
            currency=self.settings.currency,
            version=self.settings.wc_version,
            customer_id=0,
            billing=Address(),
            shipping=Address(),
            created_via=created_via,
            created=now,
            created_wall=self.wall(now),
            modified=now,
            modified_wall=self.wall(now),
        )
        paid_customer = self._apply_order_fields(order, fields)
        draft = order.status in DRAFT_STATUSES
        self.insert_order(order, emit=emit and not draft)
        # The REST create saves twice: woocommerce_new_order, then woocommerce_update_order.
        # A draft fires no woocommerce_new_order (OrdersTableDataStore::create()): only
        # the second save's update; leaving the draft statuses fires it (update_order).
        if draft:
            self._emit("order", "updated", order.id, emit)
        else:
            self._action("woocommerce_new_order", order.id, emit)
        self._action("woocommerce_update_order", order.id, emit)
        self._order_status_moved(order, "pending", bool(fields.get("set_paid")), emit)
        if paid_customer:
            self._mark_paying(order.customer_id, emit)
        return order

    def _apply_order_fields(self, order: Order, fields: Mapping[str, Any]) -> bool:
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
                setattr(order, name, _with_address(getattr(order, name), fields[name]))
        if "meta_data" in fields:
            order.meta_data = self.apply_meta(order.meta_data, fields["meta_data"])
        if fields.get("line_items"):
            self._apply_line_items(order, fields["line_items"])
        if fields.get("shipping_lines"):
            self._apply_shipping_lines(order, fields["shipping_lines"])
        if fields.get("fee_lines"):
            self._apply_fee_lines(order, fields["fee_lines"])
        if order.total_tax and not order.tax_line_id:
            order.tax_line_id = self.next_item_id()
        became_paid = False
        if fields.get("status"):
            became_paid = self._set_status(order, str(fields["status"]))
        if fields.get("set_paid"):
            # payment_complete(): paid now, processing (completed if nothing needs shipping).
            if order.paid is None:
                order.paid = self.now()
                became_paid = True
            if order.status in ("pending", "on-hold", "failed", "cancelled", "checkout-draft"):
                needs_processing = self._needs_processing(order)
                self._set_status(order, "processing" if needs_processing else "completed")
        order.cached = None
        return became_paid and order.customer_id != 0

    def _set_status(self, order: Order, status: str) -> bool:
        if status == order.status:
            return False
        if order.id in self.orders:
            self._order_status_counts[order.status] -= 1
            self._order_status_counts[status] += 1
        order.status = status
        now = self.now()
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
            not (p := self.products.get(i.product_id)) or not (p.virtual and p.downloadable)
            for i in order.line_items
        )

    def _reaches_payment_complete(self, order: Order, status: str) -> bool:
        """WC_Order::maybe_set_date_paid(): the order is paid once it reaches the payment
        complete status: processing if it needs processing, else completed, and always
        completed for cash on delivery (its gateway filters the status); completed also
        counts past processing."""
        if status not in PAID_STATUSES:
            return False
        if order.payment_method == "cod" or not self._needs_processing(order):
            return status == "completed"
        return True

    def line_tax(self, amount: int, taxable: bool) -> int:
        """Tax in cents at the store rate, rounded half away from zero (integer maths)."""
        if not taxable or not self.settings.taxes_enabled:
            return 0
        rate = self._tax_millionths  # "7.2500" % -> 72500 millionths
        product = abs(amount) * rate + 500_000
        return product // 1_000_000 if amount >= 0 else -(product // 1_000_000)

    def _apply_line_items(self, order: Order, items: Sequence[Mapping[str, Any]]) -> None:
        self._unlink_order(order)
        lines = list(order.line_items)
        by_id = {item.id: item for item in lines}
        for spec in items:
            item_id = int(spec.get("id") or 0)
            if item_id and "product_id" in spec and spec["product_id"] is None:
                lines.remove(by_id.pop(item_id))
                continue
            product_id = int(spec.get("product_id") or 0)
            if not product_id and spec.get("sku"):
                product_id = self._skus.get(str(spec["sku"]), 0)
            line = by_id.get(item_id)
            product = self.products.get(product_id) if product_id else None
            if line is None:
                line = LineItem(
                    id=self.next_item_id(),
                    name=str(spec.get("name") or (product.name if product else "")),
                    product_id=product.id if product else 0,
                    variation_id=int(spec.get("variation_id") or 0),
                    quantity=1,
                    subtotal=0,
                    subtotal_tax=0,
                    total=0,
                    total_tax=0,
                    sku=product.sku if product else "",
                )
                lines.append(line)
            elif product is not None:
                line.product_id, line.sku = product.id, product.sku
                line.name = str(spec.get("name") or product.name)
            if "quantity" in spec:
                line.quantity = int(spec["quantity"])
            if "meta_data" in spec:
                line.meta_data = self.apply_meta(line.meta_data, spec["meta_data"])
            current = self.products.get(line.product_id)
            unit = current.price if current is not None and current.price is not None else 0
            line.subtotal = (
                money(spec["subtotal"]) if spec.get("subtotal") else unit * line.quantity
            )
            line.total = money(spec["total"]) if spec.get("total") else line.subtotal
            if line.subtotal < line.total:
                # WC_Order_Item_Product::set_total(): "Subtotal cannot be less than total."
                line.subtotal = line.total
            taxable = current is None or current.tax_status == "taxable"
            line.subtotal_tax = self.line_tax(line.subtotal, taxable)
            line.total_tax = self.line_tax(line.total, taxable)
        order.line_items = tuple(lines)
        self._link_order(order)

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
                line = ShippingLine(self.next_item_id(), "", "", "", 0, 0)
                kept.append(line)
            line.method_title = str(spec.get("method_title", line.method_title) or "")
            line.method_id = str(spec.get("method_id", line.method_id) or "")
            line.instance_id = str(spec.get("instance_id", line.instance_id) or "")
            if spec.get("total") not in (None, ""):
                line.total = money(spec["total"])
            line.total_tax = self.line_tax(line.total, True)
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
                line = FeeLine(self.next_item_id(), "", 0, 0)
                kept.append(line)
            line.name = str(spec.get("name", line.name) or "")
            line.tax_status = str(spec.get("tax_status", line.tax_status) or "taxable")
            if spec.get("total") not in (None, ""):
                line.total = money(spec["total"])
            line.total_tax = self.line_tax(line.total, line.tax_status == "taxable")
        order.fee_lines = tuple(kept)

    def update_order(self, order_id: int, fields: Mapping[str, Any], *, emit: bool = True) -> Order:
        order = self.get_order(order_id, missing_status=400)
        self._check_order_fields(fields, order)
        old_customer, old_status = order.customer_id, order.status
        self.order_dates.remove(order)
        self._unlink_order(order)
        paid_customer = self._apply_order_fields(order, fields)
        self._stamp_modified(order)
        self.order_dates.add(order)
        self._link_order(order)
        if old_status in DRAFT_STATUSES and order.status not in DRAFT_STATUSES:
            # OrdersTableDataStore::update(): an order leaving a draft status fires
            # woocommerce_new_order instead of woocommerce_update_order (a checkout's
            # order.created comes when its draft becomes pending).
            self._emit("order", "created", order_id, emit)
            self._action("woocommerce_new_order", order_id, emit)
        else:
            self._emit("order", "updated", order_id, emit)
            self._action("woocommerce_update_order", order_id, emit)
        self._order_status_moved(order, old_status, bool(fields.get("set_paid")), emit)
        if paid_customer or (order.customer_id != old_customer and order.status in PAID_STATUSES):
            self._mark_paying(order.customer_id, emit)
        return order

    def _stamp_modified(self, order: Order) -> None:
        now = self.now()
        order.modified, order.modified_wall = now, self.wall(now)
        order.cached = None

    def _touch_order(self, order: Order) -> None:
        self.order_dates.remove(order)
        self._stamp_modified(order)
        self.order_dates.add(order)

    def _trash_meta(self, status: str) -> tuple[MetaItem, MetaItem]:
        """The meta wp_trash_post() writes: the status to restore and when it was trashed."""
        return (
            MetaItem(self.next_meta_id(), "_wp_trash_meta_status", status),
            MetaItem(self.next_meta_id(), "_wp_trash_meta_time", str(self.now())),
        )

    def trash_order(self, order_id: int, *, emit: bool = True) -> Order:
        order = self.get_order(order_id)
        if order.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410
            )
        order.meta_data = (*order.meta_data, *self._trash_meta(f"wc-{order.status}"))
        order.status_before_trash = order.status
        self._set_status(order, "trash")
        self._touch_order(order)
        self._emit("order", "deleted", order_id, emit)
        self._action("woocommerce_trash_order", order_id, emit)
        self._uncount_sales(order)
        return order

    def restore_order(self, order_id: int, *, emit: bool = True) -> Order:
        order = self.get_order(order_id)
        if order.status != "trash":
            raise RestError("woosim_not_trashed", "The order is not in the trash.", 400)
        # WooCommerce's wp_untrash_post_status filter puts back the status it had.
        self._set_status(order, order.status_before_trash or "pending")
        order.meta_data = _without_trash_meta(order.meta_data)
        self._touch_order(order)
        self._emit("order", "restored", order_id, emit)
        return order

    def delete_order(self, order_id: int, *, emit: bool = True) -> Order:
        """Permanent delete (force=true): no hook of the topic map fires, only actions."""
        order = self.get_order(order_id)
        self._action("woocommerce_before_delete_order", order_id, emit)
        self._uncount_sales(order)
        del self.orders[order_id]
        self.order_dates.remove(order)
        self._order_status_counts[order.status] -= 1
        self._unlink_order(order)
        self._action("woocommerce_delete_order", order_id, emit)
        return order

    # ------------------------------------------------------------------ stock and sales
    def _order_status_moved(self, order: Order, before: str, paid: bool, emit: bool) -> None:
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
                self._count_sales(order, 1)
        elif after in RESTORING_STATUSES:
            self._restore_stock(order, emit)
        if after in UNCOUNTING_STATUSES:
            self._uncount_sales(order)
        for hook in status_hooks(before, after):
            self._action(hook, order.id, emit)
        if paid:
            self._action("woocommerce_payment_complete", order.id, emit)

    def _reduce_stock(self, order: Order, emit: bool) -> None:
        """wc_reduce_stock_levels(): each stock-managed line not yet reduced takes its
        quantity and records it as ``_reduced_stock``."""
        for item in order.line_items:
            product = self.products.get(item.product_id)
            if product is None or not product.manage_stock or product.stock_quantity is None:
                continue
            if any(m.key == REDUCED_STOCK_KEY for m in item.meta_data):
                continue
            taken = MetaItem(self.next_meta_id(), REDUCED_STOCK_KEY, str(item.quantity))
            item.meta_data = (*item.meta_data, taken)
            order.cached = None
            self._move_stock(product, -item.quantity, emit)

    def _restore_stock(self, order: Order, emit: bool) -> None:
        """wc_increase_stock_levels(): what each line took goes back; its meta goes."""
        for item in order.line_items:
            taken = next((m for m in item.meta_data if m.key == REDUCED_STOCK_KEY), None)
            if taken is None:
                continue
            item.meta_data = tuple(m for m in item.meta_data if m is not taken)
            order.cached = None
            product = self.products.get(item.product_id)
            if product is not None and product.manage_stock and product.stock_quantity is not None:
                self._move_stock(product, int(taken.value), emit)

    def _move_stock(self, product: Product, delta: int, emit: bool) -> None:
        """wc_update_product_stock(): the product is saved, so product.updated fires."""
        assert product.stock_quantity is not None
        product.stock_quantity += delta
        was = product.stock_status
        product.stock_status = stock_status_for(product.stock_quantity)
        self._touch_product(product)
        self._invalidate_orders_with(product.id)
        self._action("woocommerce_updated_product_stock", product.id, emit)
        if product.stock_status != was:
            self._action("woocommerce_product_set_stock_status", product.id, emit)
        self._emit("product", "updated", product.id, emit)
        self._action("woocommerce_update_product", product.id, emit)

    def _count_sales(self, order: Order, sign: int) -> None:
        for item in order.line_items:
            product = self.products.get(item.product_id)
            if product is not None:
                product.total_sales = max(0, product.total_sales + sign * item.quantity)
                product.cached = None

    def _uncount_sales(self, order: Order) -> None:
        """The order no longer counts in total_sales (cancelled, trashed, deleted)."""
        if order.recorded_sales:
            order.recorded_sales = False
            self._count_sales(order, -1)

    # ------------------------------------------------------------------ post queries
    def query_orders(self, query: PostQuery) -> tuple[list[Order], int]:
        return self._query_posts(
            self.orders, self.order_dates, query, self._order_predicate(query), "trash"
        )

    def query_products(self, query: PostQuery) -> tuple[list[Product], int]:
        return self._query_posts(
            self.products, self.product_dates, query, self._product_predicate(query), "trash"
        )

    def _status_ok(self, query: PostQuery) -> Any:
        statuses = query.statuses
        if statuses is None or "any" in statuses:
            extra = statuses - {"any"} if statuses else frozenset()
            return lambda status: status != "trash" or status in extra
        return lambda status: status in statuses

    def _order_predicate(self, query: PostQuery) -> Any:
        status_ok = self._status_ok(query)
        checks: list[Any] = []
        if query.exclude:
            checks.append(lambda o: o.id not in query.exclude)
        if query.parent:
            parents = set(query.parent)
            checks.append(lambda o: o.parent_id in parents)
        if query.parent_exclude:
            checks.append(lambda o: o.parent_id not in query.parent_exclude)
        if query.customer is not None:
            customer = query.customer
            checks.append(lambda o: o.customer_id == customer)
        if query.product is not None:
            having = self._orders_by_product.get(query.product, set())
            checks.append(lambda o: o.id in having)
        if query.search:
            term = query.search.lower()
            checks.append(lambda o: _order_matches(o, term))
        checks.extend(_date_checks(query.dates))

        def predicate(order: Order) -> bool:
            return status_ok(order.status) and all(check(order) for check in checks)

        predicate.only_status = not checks  # type: ignore[attr-defined]
        predicate.status_ok = status_ok  # type: ignore[attr-defined]
        return predicate

    def _product_predicate(self, query: PostQuery) -> Any:
        status_ok = self._status_ok(query)
        checks: list[Any] = []
        if query.exclude:
            checks.append(lambda p: p.id not in query.exclude)
        if query.search:
            term = query.search.lower()
            checks.append(
                lambda p: (
                    term in p.name.lower()
                    or term in p.description.lower()
                    or term in p.short_description.lower()
                )
            )
        if query.sku:
            skus = {s.strip() for s in query.sku.split(",")}
            checks.append(lambda p: p.sku in skus)
        if query.slug is not None:
            checks.append(lambda p: p.slug == query.slug)
        if query.search_sku:
            part = query.search_sku.lower()
            checks.append(lambda p: part in p.sku.lower())
        if query.tax_class is not None:
            checks.append(lambda p: p.tax_class == query.tax_class)
        if query.exclude_statuses:
            checks.append(lambda p: p.status not in query.exclude_statuses)
        if query.include_types is not None:
            checks.append(lambda p: p.type in query.include_types)  # type: ignore[operator]
        if query.exclude_types:
            checks.append(lambda p: p.type not in query.exclude_types)
        if query.downloadable is not None:
            checks.append(lambda p: p.downloadable == query.downloadable)
        if query.virtual is not None:
            checks.append(lambda p: p.virtual == query.virtual)
        if query.unknown_term:
            checks.append(lambda p: False)
        if query.type:
            checks.append(lambda p: p.type == query.type)
        if query.featured is not None:
            checks.append(lambda p: p.featured == query.featured)
        if query.on_sale is not None:
            checks.append(lambda p: (p.sale_price is not None) == query.on_sale)
        if query.stock_status:
            checks.append(lambda p: p.stock_status == query.stock_status)
        if query.min_price is not None:
            low = query.min_price
            checks.append(lambda p: p.price is not None and p.price >= low)
        if query.max_price is not None:
            high = query.max_price
            checks.append(lambda p: p.price is not None and p.price <= high)
        if query.category is not None:
            wanted = query.category
            checks.append(lambda p: any(c.id in wanted for c in p.categories))
        checks.extend(_date_checks(query.dates))

        def predicate(product: Product) -> bool:
            return status_ok(product.status) and all(check(product) for check in checks)

        predicate.only_status = not checks  # type: ignore[attr-defined]
        return predicate

    def _status_total(self, query: PostQuery) -> int | None:
        """Matching count from the status counters, when only the status filters (orders)."""
        statuses = query.statuses
        counts = self._order_status_counts
        if statuses is None or "any" in statuses:
            total = sum(n for status, n in counts.items() if status != "trash")
            if statuses and "trash" in statuses:
                total += counts["trash"]
            return total
        return sum(counts[s] for s in statuses)

    def _query_posts(
        self,
        records: Mapping[int, Any],
        dates: DateIndexes,
        query: PostQuery,
        predicate: Any,
        _trash: str,
    ) -> tuple[list[Any], int]:
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        descending = query.order == "desc"
        ordered_index = {
            "date": dates.created_local,
            "modified": dates.modified_local,
        }.get(query.orderby)
        # Fast path: only a status filter and an order an index already holds.
        if (
            records is self.orders
            and not query.include
            and predicate.only_status
            and (ordered_index is not None or query.orderby == "id")
        ):
            total = self._status_total(query)
            assert total is not None
            if ordered_index is not None:
                ids: Iterable[int] = ordered_index.ids(0, len(ordered_index), descending=descending)
            else:
                ids = reversed(records) if descending else iter(records)
            page: list[Any] = []
            skipped = 0
            status_ok = predicate.status_ok  # the only check: no per-record predicate call
            for record_id in ids:
                record = records[record_id]
                if not status_ok(record.status):
                    continue
                if skipped < start:
                    skipped += 1
                    continue
                page.append(record)
                if len(page) >= query.per_page:
                    break
            return page, total

        candidates = self._candidates(records, dates, query)
        matches = [r for r in candidates if predicate(r)]
        _sort_posts(matches, query)
        return matches[start : start + query.per_page], len(matches)

    def _candidates(
        self, records: Mapping[int, Any], dates: DateIndexes, query: PostQuery
    ) -> Iterable[Any]:
        if query.include:
            return [records[i] for i in dict.fromkeys(query.include) if i in records]
        spans: list[tuple[SortedIndex, int, int]] = []
        window = query.dates
        created = dates.created_gmt if window.gmt else dates.created_local
        modified = dates.modified_gmt if window.gmt else dates.modified_local
        if window.after is not None or window.before is not None:
            spans.append((created, *created.span(window.after, window.before)))
        if window.modified_after is not None or window.modified_before is not None:
            spans.append((modified, *modified.span(window.modified_after, window.modified_before)))
        if query.customer is not None and records is self.orders:
            owned = self._orders_by_customer.get(query.customer, set())
            if not spans or len(owned) < min(end - begin for _, begin, end in spans):
                return [records[i] for i in owned]
        if query.product is not None and records is self.orders:
            having = self._orders_by_product.get(query.product, set())
            if not spans or len(having) < min(end - begin for _, begin, end in spans):
                return [records[i] for i in having]
        if not spans:
            return records.values()
        index, begin, end = min(spans, key=lambda s: s[2] - s[1])
        return [records[i] for i in index.ids(begin, end)]


def _with_address(address: Address, values: Mapping[str, Any]) -> Address:
    """A new address with ``values`` applied (addresses are shared, never changed in place)."""
    changes = {
        name: str(values[name])
        for name in ADDRESS_FIELDS
        if name in values and values[name] is not None
    }
    return address._replace(**changes) if changes else address


def _customer_matches(customer: Customer, term: str) -> bool:
    # WP_User_Query search columns: e-mail when the term has "@", login and ID
    # when numeric, otherwise login, URL, e-mail, nicename and display name.
    if "@" in term:
        return term in customer.email.lower()
    if term.isdigit():
        return term in customer.username.lower() or str(customer.id) == term
    return (
        term in customer.username.lower()
        or term in customer.email.lower()
        or term in customer.display_name.lower()
    )


def _order_matches(order: Order, term: str) -> bool:
    # wc_order_search: the order id, billing/shipping address indexes, item names.
    if term.isdigit() and int(term) == order.id:
        return True
    if term in order.billing.text().lower() or term in order.shipping.text().lower():
        return True
    return any(term in item.name.lower() for item in order.line_items)


def _date_checks(window: DateFilter) -> list[Any]:
    """Per-record checks for every date bound (strict, on the column WP would use)."""
    checks: list[Any] = []
    gmt = window.gmt
    if window.after is not None:
        after = window.after
        checks.append((lambda r: r.created > after) if gmt else (lambda r: r.created_wall > after))
    if window.before is not None:
        before = window.before
        checks.append(
            (lambda r: r.created < before) if gmt else (lambda r: r.created_wall < before)
        )
    if window.modified_after is not None:
        m_after = window.modified_after
        checks.append(
            (lambda r: r.modified > m_after) if gmt else (lambda r: r.modified_wall > m_after)
        )
    if window.modified_before is not None:
        m_before = window.modified_before
        checks.append(
            (lambda r: r.modified < m_before) if gmt else (lambda r: r.modified_wall < m_before)
        )
    return checks


def _order_title(record: Any) -> str:
    # Orders' post_title is "Order &ndash; Mon dd, YYYY @ hh:mm AM" (local time).
    from simulator.wcdates import naive_wall

    if isinstance(record, Order):
        return "Order &ndash; " + naive_wall(record.created_wall).strftime("%b %d, %Y @ %I:%M %p")
    return str(record.name)


def _sort_posts(matches: list[Any], query: PostQuery) -> None:
    reverse = query.order == "desc"
    orderby = query.orderby
    if orderby == "include" and query.include:
        position = {rid: n for n, rid in enumerate(query.include)}
        matches.sort(key=lambda r: position.get(r.id, 0), reverse=reverse)
    elif orderby == "id":
        matches.sort(key=lambda r: r.id, reverse=reverse)
    elif orderby == "modified":
        matches.sort(key=lambda r: (r.modified_wall, r.id), reverse=reverse)
    elif orderby in ("title", "slug"):
        # WP sorts by the single column; ties are broken by id for stable pages.
        if orderby == "title":
            matches.sort(key=lambda r: (_order_title(r).casefold(), r.id), reverse=reverse)
        else:
            matches.sort(
                key=lambda r: (
                    sanitize_title(_order_title(r)) if isinstance(r, Order) else r.slug,
                    r.id,
                ),
                reverse=reverse,
            )
    elif orderby == "price":
        matches.sort(key=lambda r: (r.price or 0, r.id), reverse=reverse)
    elif orderby == "popularity":
        matches.sort(key=lambda r: (r.total_sales, r.id), reverse=reverse)
    elif orderby == "menu_order":
        # WooCommerce asks for "menu_order title", both in the requested direction
        # (every product here has menu_order 0, so the title decides).
        matches.sort(key=lambda r: (_order_title(r).casefold(), r.id), reverse=reverse)
    else:
        # "date" (and "rating", which this store has no reviews for): post_date, then ID.
        matches.sort(key=lambda r: (r.created_wall, r.id), reverse=reverse)


#: What wp_untrash_post() deletes again.
_TRASH_META_KEYS = frozenset(
    {"_wp_trash_meta_status", "_wp_trash_meta_time", "_wp_desired_post_slug"}
)


def _without_trash_meta(items: tuple[MetaItem, ...]) -> tuple[MetaItem, ...]:
    return tuple(m for m in items if m.key not in _TRASH_META_KEYS)
