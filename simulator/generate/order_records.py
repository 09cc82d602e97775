"""Generated orders: seeded order profiles (basket, payment, shipping, status), and
orders made from them, one per creation instant, in WooCommerce's shape.

Same stream and the same records give the same orders, byte for byte.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from math import floor
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from simulator.discounts import Discounts, Item
from simulator.generate.history import SHARE_BOUND, HistoryCandidate
from simulator.generate.vocabulary import (
    DAY,
    GENERATED_COUPON_RULE,
    LINE_COUNTS,
    PAYMENT_METHODS,
    QUANTITIES,
    SHIPPING_METHODS,
    STATUS_CUMULATIVE,
    STATUS_NAMES,
    STATUS_TOTAL,
    UNCOUNTED,
    USER_AGENTS,
)
from simulator.models import (
    Address,
    Basket,
    CouponLine,
    Customer,
    LineSpec,
    MetaItem,
    Order,
    Product,
    ShippingSpec,
)
from simulator.store.coupons import Coupon
from simulator.store.order_rows import OrderRow

if TYPE_CHECKING:
    from simulator.generate.records import RecordBuilder


class OrderProfile(NamedTuple):
    """What orders drawn from one profile share (immutable; see ``order_profiles``)."""

    status: str
    method: str
    title: str
    card: bool  # paid through a gateway that gives a transaction id
    via: str
    agent: str
    note: str
    coupon: tuple[int, int] | None  # discount, discount tax
    #: The product id of each unit its orders buy (an id as often as its quantity).
    units: tuple[int, ...]
    #: The lines and shipping line of its orders, built on first read (a coupon line
    #: between them when ``coupon`` is set and the generation has its coupon).
    basket: Basket
    pays: bool  # the status is paid or after it
    settles: bool  # the status is completed or after it
    #: Item ids an order takes (lines, coupon line, shipping line, tax line) and the
    #: tax line's after the first line's (0: no tax line).
    items: int
    tax_offset: int


#: A line spec's product id and name (:data:`~simulator.models.LineSpec`).
_product_id_of = itemgetter(1)
_name_of = itemgetter(0)
_PAID_OR_AFTER = frozenset({"processing", "completed", "refunded"})
_SETTLED = frozenset({"completed", "refunded"})
#: A draw r < 0.3 scaled to a delay of 0..2 days (r / 0.3 * (2 days + 1 s)).
_MODIFIED_SCALE = (2 * DAY + 1) / 0.3
#: Order profiles drawn per generation at most (see :meth:`RecordBuilder.order_profiles`):
#: one for every eight orders, at least 64 (small runs), at most this many.
PROFILES = 2048


class OrderBuilder:
    """Assembles orders with a :class:`~simulator.generate.records.RecordBuilder`'s store,
    pools and seeded stream (the draws continue that stream, in the same order)."""

    def __init__(self, records: RecordBuilder) -> None:
        self.store = records.store
        self.pools = records.pools
        self.draw = records.draw
        self.now = records.now
        self.currency = records.currency
        self.version = records.version
        #: (product, quantity, discount %) -> (subtotal, subtotal tax, total, total tax)
        self._amounts: dict[tuple[int, int, int], tuple[int, int, int, int]] = {}
        #: The orders made that may have notes or refunds, in id order (the others
        #: certainly have none: see :func:`~simulator.generate.history.add_history`).
        self.with_history: list[HistoryCandidate] = []

    def _line_amounts(
        self, product: Product, quantity: int, discount: int
    ) -> tuple[int, int, int, int]:
        key = (product.id, quantity, discount)
        amounts = self._amounts.get(key)
        if amounts is None:
            store = self.store
            taxable = product.tax_status == "taxable"
            subtotal = (product.price or 0) * quantity
            total = subtotal - (subtotal * discount + 50) // 100
            amounts = (
                subtotal,
                store.line_tax(subtotal, taxable),
                total,
                store.line_tax(total, taxable),
            )
            self._amounts[key] = amounts
        return amounts

    @staticmethod
    def _discounts(products: Sequence[Product], quantities: Sequence[int]) -> dict[int, int]:
        """The generated coupon's discount per line (by position), as WooCommerce spreads
        it (:mod:`simulator.discounts`)."""
        items = [
            Item(key=n, price=(p.price or 0) * q, quantity=q, product_id=p.id)
            for n, (p, q) in enumerate(zip(products, quantities, strict=True))
        ]
        discounts = Discounts.of(items)
        discounts.apply(GENERATED_COUPON_RULE)
        return {key: cents for key, cents in discounts.by_item().items() if cents}

    def order_profiles(self, catalogue: Sequence[Product], count: int) -> list[OrderProfile]:
        """``count`` seeded order profiles: everything of an order but its customer and times.

        An order is one profile drawn from this pool plus its own customer, IP
        address, delays and hashes: a few draws instead of a few dozen. The pool
        is as large as the run (up to :data:`PROFILES`), so baskets repeat only
        as often as they would among that many real orders.
        """
        store, p = self.store, self.pools
        random_ = self.draw.random
        notes = p.notes
        catalogue_size = len(catalogue)
        profiles: list[OrderProfile] = []
        # (catalogue index, quantity) -> the undiscounted line and its sale; shipping cost
        # -> its tax; the picked (index, quantity) pairs -> the coupon's cents per line
        line_specs: dict[tuple[int, int], tuple[LineSpec, Product]] = {}
        shipping_taxes: dict[int, int] = {}
        discounts: dict[tuple[tuple[int, int], ...], dict[int, int]] = {}
        for _ in range(count):
            line_tax = False
            status = STATUS_NAMES[bisect_right(STATUS_CUMULATIVE, random_() * STATUS_TOTAL)]
            method, title = PAYMENT_METHODS[floor(random_() * 4)]
            via = "checkout" if random_() < 0.95 else "admin"
            agent = USER_AGENTS[floor(random_() * 4)]
            note = notes[floor(random_() * len(notes))] if random_() < 0.1 else ""
            discount = 10 if random_() < 0.1 else 0
            picked: list[int] = []
            wanted = min(catalogue_size, LINE_COUNTS[floor(random_() * 7)])
            while len(picked) < wanted:  # distinct products, like random.sample
                index = floor(random_() * catalogue_size)
                if index not in picked:
                    picked.append(index)
            lines: list[LineSpec] = []
            units: list[int] = []
            pairs = tuple([(index, QUANTITIES[floor(random_() * 6)]) for index in picked])
            given: dict[int, int] = {}
            if discount:
                given = discounts.get(pairs, given)
                if not given:
                    given = discounts[pairs] = self._discounts(
                        [catalogue[i] for i, _ in pairs], [q for _, q in pairs]
                    )
            # The basket's sums gathered here, as Basket.of would from the lines.
            sum_subtotal = sum_subtotal_tax = sum_total = sum_total_tax = 0
            for position, pair in enumerate(pairs):
                known = line_specs.get(pair)
                if known is None:
                    index, quantity = pair
                    product = catalogue[index]
                    known = line_specs[pair] = (
                        (
                            product.name,
                            product.id,
                            0,
                            quantity,
                            *self._line_amounts(product, quantity, 0),
                            product.sku,
                        ),
                        product,
                    )
                line, product = known
                if position in given:
                    total = line[4] - given[position]
                    total_tax = store.line_tax(total, product.tax_status == "taxable")
                    line = (*line[:6], total, total_tax, line[8])
                lines.append(line)
                units += (line[1],) * line[3]
                sum_subtotal += line[4]
                sum_subtotal_tax += line[5]
                sum_total += line[6]
                sum_total_tax += line[7]
                line_tax = line_tax or line[7] != 0
            method_id, method_title, instance, cost = SHIPPING_METHODS[floor(random_() * 4)]
            if method_id == "flat_rate" and sum_total > 10_000:
                method_id, method_title, instance, cost = SHIPPING_METHODS[2]
            shipping_tax = shipping_taxes.get(cost)
            if shipping_tax is None:
                shipping_tax = shipping_taxes[cost] = store.line_tax(cost, True)
            has_tax = shipping_tax != 0 or line_tax
            shipping: ShippingSpec = (method_title, method_id, instance, cost, shipping_tax)
            items = len(lines) + bool(discount)  # the shipping line's offset
            basket = Basket(
                tuple(lines),
                shipping,
                items,
                tuple(map(_product_id_of, lines)),
                tuple(map(_name_of, lines)),
                (sum_subtotal, sum_subtotal_tax, sum_total, sum_total_tax),
            )
            coupon = (
                (sum_subtotal - sum_total, sum_subtotal_tax - sum_total_tax) if discount else None
            )
            items += 1
            profiles.append(
                OrderProfile(
                    status,
                    method,
                    title,
                    method in ("stripe", "ppcp-gateway"),
                    via,
                    agent,
                    note,
                    coupon,
                    tuple(units),
                    basket,
                    status in _PAID_OR_AFTER,
                    status in _SETTLED,
                    items + has_tax,
                    items if has_tax else 0,
                )
            )
        return profiles

    def orders(
        self,
        moments: Sequence[int],
        customers: Sequence[Customer],
        customer_times: Sequence[int],
        profiles: Sequence[OrderProfile],
        guests: Sequence[tuple[Address, Address]],
        coupon: Coupon | None = None,
    ) -> tuple[int, list[OrderRow]]:
        """One order per creation instant, ``moments`` in ascending order (the hot loop of
        large runs: every name local): the first order's id and every order's row.

        A row holds the values drawn for its order (:mod:`simulator.store.order_rows`);
        :class:`GeneratedOrders` makes the order from it on its first read.
        """
        store = self.store
        guest_count = len(guests)
        random_, bits = self.draw.random, self.draw.bits
        wall = store.wall
        utc = store.wall_is_utc  # wall time is the UTC instant: no look-up per order
        now = self.now
        ips = self.pools.ip_addresses
        ip_count, profile_count = len(ips), len(profiles)
        recent = now - 2 * DAY
        first_id = order_id = store.claim_post_ids(len(moments))
        first_claimed = item_id = store.claim_item_ids(0)  # claimed in one go at the end
        paid_units: list[tuple[int, ...]] = []  # the units of every paid order
        with_history = self.with_history
        hash_bound = SHARE_BOUND << 96  # cart >> 96 < SHARE_BOUND, without the shift
        rows: list[OrderRow] = []
        append = rows.append
        maker = GeneratedOrders(self.currency, self.version, coupon)
        used_by: list[str] = []
        # Customers created by the instant (customer_times is sorted, and so are the
        # moments: a pointer moving forward, not a bisection per order).
        eligible = bisect_right(customer_times, moments[0]) if moments else 0
        customer_count = len(customer_times)
        for created in moments:
            while eligible < customer_count and customer_times[eligible] <= created:
                eligible += 1
            # One draw both decides "guest or customer" and picks the customer.
            r = random_()
            customer: Customer | None = None
            if eligible and r < 0.8:
                customer = customers[floor(r * 1.25 * eligible)]
                customer_id = customer.id
                billing, shipping = customer.billing, customer.shipping
            else:
                customer_id = 0
                billing, shipping = guests[floor(random_() * guest_count)]
            profile = profiles[floor(random_() * profile_count)]
            status, _, _, card, _, _, _, discounted, units, basket, pays, settles, items, tax = (
                profile
            )
            if settles and created > recent and status == "completed":
                status, settles = "processing", False  # recent orders are not shipped yet
            ip_address = ips[floor(random_() * ip_count)]
            # Item ids in WooCommerce's order: lines, coupon, shipping, tax. The lines and
            # the shipping line are built from the basket when first read.
            first_item = item_id
            item_id += items
            tax_line_id = first_item + tax if tax else 0
            meta_id = 0  # no coupon line
            counted = False
            if discounted is not None:
                if coupon is not None:
                    meta_id = store.next_meta_id()
                    counted = status not in UNCOUNTED
                    if counted:  # a use, as apply_coupon() records it: id or e-mail
                        used_by.append(str(customer.id) if customer is not None else billing.email)
                else:  # no coupon line between the lines and the shipping line
                    basket = Basket.of(basket.lines, basket.shipping, False)
                    item_id -= 1
                    tax_line_id -= 1 if tax_line_id else 0
            # created <= paid <= completed <= modified <= now
            paid: int | None = None
            completed: int | None = None
            moment = created
            transaction: int | None = None
            if pays or (status == "cancelled" and random_() < 0.3):
                moment += 5 + floor(random_() * 3596)
                if moment > now:
                    moment = now
                paid = moment
                if card:
                    transaction = bits(96)
                paid_units.append(units)
                if customer is not None and not customer.is_paying_customer:
                    customer.is_paying_customer = True
                    customer.cached = None
            if settles:
                moment += 3600 + floor(random_() * (4 * DAY - 3599))
                if moment > now:
                    moment = now
                completed = moment
            r = random_()
            cart = bits(128)
            created_wall = created if utc else wall(created)
            if r < 0.3:  # touched again later; the same draw gives the delay
                modified = moment + floor(r * _MODIFIED_SCALE)
                if modified > now:
                    modified = now
            else:
                modified = moment
            modified_wall = (
                modified if utc else created_wall if modified == created else wall(modified)
            )
            if status == "refunded" or cart < hash_bound:
                with_history.append(
                    (
                        order_id,
                        cart >> 96,
                        status,
                        paid,
                        completed,
                        modified,
                        modified_wall,
                        basket,
                        first_item,
                    )
                )
            append(
                (  # the store's columns first (ROW_* in simulator.store.order_rows)
                    maker,
                    status,
                    customer_id,
                    created,
                    created_wall,
                    modified,
                    modified_wall,
                    basket,
                    first_item,
                    profile,
                    billing,
                    shipping,
                    ip_address,
                    cart,
                    transaction,
                    paid,
                    completed,
                    meta_id,
                    counted,
                    tax_line_id,
                )
            )
            order_id += 1
        store.claim_item_ids(item_id - first_claimed)
        if coupon is not None and used_by:
            # Each counted use, as apply_coupon() records it (a customer's id or an e-mail).
            coupon.usage_count += len(used_by)
            coupon.used_by = (*coupon.used_by, *used_by)
            coupon.cached = None
        # Paid orders count towards their products' sales (applied once per chunk).
        products = store.products
        for product_id, sold in Counter(chain.from_iterable(paid_units)).items():
            product = products[product_id]
            product.total_sales += sold
            product.cached = None
        return first_id, rows


class GeneratedOrders:
    """Makes a generated order from its row on first read: what one chunk of orders
    shares (currency, version, the coupon's code and info) is kept here once."""

    __slots__ = ("coupon_code", "coupon_info", "currency", "version")

    def __init__(self, currency: str, version: str, coupon: Coupon | None) -> None:
        self.currency = currency
        self.version = version
        self.coupon_code = coupon.code if coupon is not None else ""
        self.coupon_info = (
            json.dumps(coupon.short_info(), separators=(",", ":")) if coupon is not None else ""
        )

    def order(self, order_id: int, row: OrderRow) -> Order:
        (
            _,
            status,
            customer_id,
            created,
            created_wall,
            modified,
            modified_wall,
            basket,
            first_item,
            profile,
            billing,
            shipping,
            ip_address,
            cart,
            transaction,
            paid,
            completed,
            meta_id,
            counted,
            tax_line_id,
        ) = row
        coupon_lines: tuple[CouponLine, ...] = ()
        if meta_id and profile.coupon is not None:  # between the lines and the shipping line
            info = MetaItem(meta_id, "coupon_info", self.coupon_info)
            coupon_id = first_item + len(basket.lines)
            discount, discount_tax = profile.coupon
            coupon_lines = (
                CouponLine(coupon_id, self.coupon_code, discount, discount_tax, (info,)),
            )
        return Order(
            order_id,
            status,
            self.currency,
            self.version,
            customer_id,
            billing,
            shipping,
            profile.via,
            created,
            created_wall,
            modified,
            modified_wall,
            0,
            False,
            profile.method,
            profile.title,
            "" if transaction is None else transaction.to_bytes(12, "big").hex(),
            ip_address,
            profile.agent,
            profile.note,
            cart.to_bytes(16, "big").hex(),
            paid,
            completed,
            (),
            (),
            (),
            coupon_lines,
            (),
            tax_line_id,
            "",
            False,
            counted,
            (),
            None,
            basket,
            first_item,
        )


__all__ = ["PROFILES", "GeneratedOrders", "OrderBuilder", "OrderProfile"]
