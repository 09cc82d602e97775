"""Records assembled from the pools with one seeded stream: customers, products, orders.

Same pools and the same stream give the same records, byte for byte.
"""

from __future__ import annotations

import itertools
import json
import random
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from simulator.discounts import Discounts, Item, Rule
from simulator.generate.pools import address_parts, pools
from simulator.models import (
    Address,
    Category,
    CouponLine,
    Customer,
    LineItem,
    MetaItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.store import Store
from simulator.store.coupons import Coupon

T = TypeVar("T")

DAY = 86_400
#: The coupon a tenth of generated orders carry: 10 % off the basket.
GENERATED_COUPON_RULE = Rule(code="save10", discount_type="percent", amount=10.0)
#: Statuses in which an order's coupon use does not count (wc_update_coupon_usage_counts).
_UNCOUNTED = frozenset({"cancelled", "failed"})
#: Status weights for generated orders (older orders are mostly settled).
STATUS_WEIGHTS = (
    ("completed", 55),
    ("processing", 14),
    ("on-hold", 5),
    ("pending", 8),
    ("cancelled", 7),
    ("refunded", 4),
    ("failed", 7),
)
_STATUS_NAMES = [name for name, _ in STATUS_WEIGHTS]
_STATUS_CUMULATIVE = list(itertools.accumulate(weight for _, weight in STATUS_WEIGHTS))
PAYMENT_METHODS = (
    ("bacs", "Direct bank transfer"),
    ("cod", "Cash on delivery"),
    ("stripe", "Credit Card (Stripe)"),
    ("ppcp-gateway", "PayPal"),
)
SHIPPING_METHODS = (
    ("flat_rate", "Flat rate", "1", 500),
    ("flat_rate", "Express", "2", 1500),
    ("free_shipping", "Free shipping", "3", 0),
    ("local_pickup", "Local pickup", "4", 0),
)
CATEGORIES = (
    Category(16, "Clothing", "clothing"),
    Category(17, "Accessories", "accessories"),
    Category(18, "Home & Kitchen", "home-kitchen"),
    Category(19, "Music", "music"),
    Category(20, "Outdoors", "outdoors"),
)
_ADJECTIVES = (
    "Classic",
    "Rustic",
    "Vintage",
    "Modern",
    "Ergonomic",
    "Organic",
    "Handmade",
    "Premium",
    "Sleek",
    "Cozy",
    "Lightweight",
    "Durable",
    "Elegant",
    "Compact",
    "Deluxe",
    "Essential",
)
_MATERIALS = (
    "Cotton",
    "Wool",
    "Leather",
    "Linen",
    "Bamboo",
    "Ceramic",
    "Steel",
    "Oak",
    "Canvas",
    "Denim",
    "Copper",
    "Glass",
    "Silk",
    "Granite",
)
_NOUNS = (
    ("Hoodie", 16),
    ("T-Shirt", 16),
    ("Beanie", 16),
    ("Scarf", 17),
    ("Belt", 17),
    ("Wallet", 17),
    ("Sunglasses", 17),
    ("Mug", 18),
    ("Bowl", 18),
    ("Cutting Board", 18),
    ("Lamp", 18),
    ("Album", 19),
    ("Vinyl Record", 19),
    ("Poster", 19),
    ("Backpack", 20),
    ("Water Bottle", 20),
    ("Tent", 20),
    ("Hammock", 20),
)
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


#: name, product id, variation id, quantity, subtotal, subtotal tax, total, total tax, sku
_LineSpec = tuple[str, int, int, int, int, int, int, int, str]


class _Profile(NamedTuple):
    """What orders drawn from one profile share (immutable; see ``order_profiles``)."""

    status: str
    method: str
    title: str
    card: bool  # paid through a gateway that gives a transaction id
    via: str
    agent: str
    note: str
    lines: tuple[_LineSpec, ...]
    coupon: tuple[int, int] | None  # discount, discount tax
    shipping: tuple[str, str, str, int, int]  # title, method id, instance, cost, tax
    has_tax: bool
    sales: tuple[tuple[Product, int], ...]


_PAID_OR_AFTER = frozenset({"processing", "completed", "refunded"})
_SETTLED = frozenset({"completed", "refunded"})
#: A draw r < 0.3 scaled to a delay of 0..2 days (r / 0.3 * (2 days + 1 s)).
_MODIFIED_SCALE = (2 * DAY + 1) / 0.3
#: Order profiles drawn per generation at most (see :meth:`RecordBuilder.order_profiles`):
#: one for every eight orders, at least 64 (small runs), at most this many.
PROFILES = 2048

_STATUS_TOTAL = _STATUS_CUMULATIVE[-1]
_LINE_COUNTS = (1, 1, 1, 2, 2, 3, 4)
_QUANTITIES = (1, 1, 1, 2, 2, 3)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class Draw:
    """Fast seeded draws: ``random()`` is one C call, ``Random.choice`` a dozen Python ones."""

    __slots__ = ("bits", "random")

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random
        self.bits = rng.getrandbits

    def pick(self, values: Sequence[T]) -> T:
        return values[int(self.random() * len(values))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        return self.random() < probability


class RecordBuilder:
    """Assembles records from the pools; every random value comes from one seeded stream."""

    def __init__(self, store: Store, seed: str, rng: random.Random, now: int) -> None:
        self.store = store
        self.pools = pools(seed)
        self.draw = Draw(rng)
        self.now = now
        self.currency = store.settings.currency
        self.version = store.settings.wc_version
        #: (product, quantity, discount %) -> (subtotal, subtotal tax, total, total tax)
        self._amounts: dict[tuple[int, int, int], tuple[int, int, int, int]] = {}
        self._ascii_names: dict[str, str] = {}
        self._streets, self._places = address_parts(seed)

    def address(self, first: str, last: str, email: str) -> Address:
        # Three draws: a street (with company and second line), a locality, a phone.
        random_ = self.draw.random
        streets, places, phones = self._streets, self._places, self.pools.phones
        return Address(
            first,
            last,
            *streets[int(random_() * len(streets))],
            *places[int(random_() * len(places))],
            email,
            phones[int(random_() * len(phones))],
        )

    def person(self) -> tuple[str, str]:
        return self.draw.pick(self.pools.first_names), self.draw.pick(self.pools.last_names)

    def customer(self, created: int) -> Customer:
        store, random_ = self.store, self.draw.random
        p = self.pools
        first = p.first_names[int(random_() * len(p.first_names))]
        last = p.last_names[int(random_() * len(p.last_names))]
        base = f"{self._ascii_name(first)}.{self._ascii_name(last)}"
        domain = _EMAIL_DOMAINS[int(random_() * 3)]
        local, n = base, 1
        while store.email_owner(f"{local}@{domain}") is not None:
            n += 1
            local = f"{base}{n}"
        email = f"{local}@{domain}"
        billing = self.address(first, last, email)
        if random_() < 0.8:  # ships to the billing address (shipping addresses have no e-mail)
            shipping = Address(*billing[:9], "", billing.phone)
        else:
            shipping = self.address(first, last, "")
        modified = created + int(random_() * (30 * DAY + 1))
        if modified > self.now:
            modified = self.now
        username = local
        if store.username_owner(username) is not None:  # same local part on two domains
            username = f"{username}-{store.next_meta_id()}"
        utc = store.wall_is_utc
        return Customer(
            store.next_user_id(),
            email,
            username,
            "customer",
            first,
            last,
            billing,
            shipping,
            created,
            created if utc else store.wall(created),
            modified,
            modified if utc else store.wall(modified),
        )

    def product(self, created: int, *, publish: bool = False) -> Product:
        """A product; ``publish`` forces it on sale (the draws stay the same)."""
        store, draw = self.store, self.draw
        noun, category_id = draw.pick(_NOUNS)
        name = f"{draw.pick(_ADJECTIVES)} {draw.pick(_MATERIALS)} {noun}"
        regular = draw.pick((500, 900, 1200, 1500, 1800, 2000, 2500, 3000, 3500, 4500, 6000, 9000))
        regular -= draw.pick((0, 0, 1, 5))  # 19.99-style prices
        on_sale = draw.chance(0.15)
        virtual = noun in ("Album",) and draw.chance(0.5)
        product_id = store.next_post_id()
        modified = min(self.now, created + draw.between(0, 20 * DAY))
        managed = draw.chance(0.4)
        stock = draw.between(0, 120) if managed else None
        return Product(
            id=product_id,
            name=name,
            slug=store.unique_slug(name),
            type="simple",
            status="publish" if draw.chance(0.95) or publish else "draft",
            sku=f"WS-{product_id:05d}",
            regular_price=regular,
            sale_price=(regular * 8 // 10) if on_sale else None,
            description=draw.pick(self.pools.notes),
            short_description=draw.pick(self.pools.notes),
            created=created,
            created_wall=store.wall(created),
            modified=modified,
            modified_wall=store.wall(modified),
            featured=draw.chance(0.1),
            virtual=virtual,
            downloadable=virtual,
            manage_stock=managed,
            stock_quantity=stock,
            stock_status=("outofstock" if stock == 0 else "instock"),
            weight="" if virtual else f"{draw.between(1, 40) / 10:g}",
            categories=(next(c for c in CATEGORIES if c.id == category_id),),
        )

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

    def coupon(self, created: int) -> Coupon:
        """The shop's coupon generated orders use: 10 % off, published a while ago."""
        store = self.store
        return Coupon(
            id=store.next_post_id(),
            code=GENERATED_COUPON_RULE.code,
            created=created,
            created_wall=store.wall(created),
            modified=created,
            modified_wall=store.wall(created),
            amount="10",
            discount_type="percent",
            description="Ten percent off the basket.",
        )

    def order_profiles(self, catalogue: Sequence[Product], count: int) -> list[_Profile]:
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
        profiles: list[_Profile] = []
        for _ in range(count):
            status = _STATUS_NAMES[bisect_right(_STATUS_CUMULATIVE, random_() * _STATUS_TOTAL)]
            method, title = PAYMENT_METHODS[int(random_() * 4)]
            via = "checkout" if random_() < 0.95 else "admin"
            agent = _USER_AGENTS[int(random_() * 4)]
            note = notes[int(random_() * len(notes))] if random_() < 0.1 else ""
            discount = 10 if random_() < 0.1 else 0
            picked: list[int] = []
            wanted = min(catalogue_size, _LINE_COUNTS[int(random_() * 7)])
            while len(picked) < wanted:  # distinct products, like random.sample
                index = int(random_() * catalogue_size)
                if index not in picked:
                    picked.append(index)
            lines: list[_LineSpec] = []
            sales: list[tuple[Product, int]] = []
            quantities = [_QUANTITIES[int(random_() * 6)] for _ in picked]
            given = self._discounts([catalogue[i] for i in picked], quantities) if discount else {}
            goods = 0
            for position, index in enumerate(picked):
                product = catalogue[index]
                quantity = quantities[position]
                subtotal, subtotal_tax, total, total_tax = self._line_amounts(product, quantity, 0)
                if position in given:
                    total = subtotal - given[position]
                    total_tax = store.line_tax(total, product.tax_status == "taxable")
                lines.append(
                    (
                        product.name,
                        product.id,
                        0,
                        quantity,
                        subtotal,
                        subtotal_tax,
                        total,
                        total_tax,
                        product.sku,
                    )
                )
                sales.append((product, quantity))
                goods += total
            method_id, method_title, instance, cost = SHIPPING_METHODS[int(random_() * 4)]
            if method_id == "flat_rate" and goods > 10_000:
                method_id, method_title, instance, cost = SHIPPING_METHODS[2]
            shipping_tax = store.line_tax(cost, True)
            has_tax = shipping_tax != 0 or any(line[7] != 0 for line in lines)
            coupon = (
                (
                    sum(line[4] - line[6] for line in lines),
                    sum(line[5] - line[7] for line in lines),
                )
                if discount
                else None
            )
            profiles.append(
                _Profile(
                    status,
                    method,
                    title,
                    method in ("stripe", "ppcp-gateway"),
                    via,
                    agent,
                    note,
                    tuple(lines),
                    coupon,
                    (method_title, method_id, instance, cost, shipping_tax),
                    has_tax,
                    tuple(sales),
                )
            )
        return profiles

    def orders(
        self,
        moments: Sequence[int],
        customers: Sequence[Customer],
        customer_times: Sequence[int],
        profiles: Sequence[_Profile],
        guests: Sequence[tuple[Address, Address]],
        coupon: Coupon | None = None,
    ) -> list[Order]:
        """One order per creation instant (the hot loop of large runs: every name local)."""
        store = self.store
        guest_count = len(guests)
        random_, bits = self.draw.random, self.draw.bits
        wall = store.wall
        utc = store.wall_is_utc  # wall time is the UTC instant: no look-up per order
        now, currency, version = self.now, self.currency, self.version
        ips = self.pools.ip_addresses
        ip_count, profile_count = len(ips), len(profiles)
        recent = now - 2 * DAY
        paid_or_after, settled = _PAID_OR_AFTER, _SETTLED
        order_id = store.claim_post_ids(len(moments))
        first_item = item_id = store.claim_item_ids(0)  # claimed in one go at the end
        paid_profiles: list[int] = []
        made: list[Order] = []
        append = made.append
        coupon_info = ""
        used_by: list[str] = []
        if coupon is not None:
            coupon_info = json.dumps(coupon.short_info(), separators=(",", ":"))
        for created in moments:
            # One draw both decides "guest or customer" and picks the customer.
            r = random_()
            eligible = bisect_right(customer_times, created)
            customer: Customer | None = None
            if eligible and r < 0.8:
                customer = customers[int(r * 1.25 * eligible)]
                billing, shipping = customer.billing, customer.shipping
            else:
                billing, shipping = guests[int(random_() * guest_count)]
            which = int(random_() * profile_count)
            (
                status,
                method,
                title,
                card,
                via,
                agent,
                note,
                lines,
                discounted,
                (method_title, method_id, instance, cost, shipping_tax),
                has_tax,
                _,
            ) = profiles[which]
            if status == "completed" and created > recent:
                status = "processing"  # recent orders are not shipped yet
            ip_address = ips[int(random_() * ip_count)]
            # Item ids in WooCommerce's order: lines, coupon, shipping, tax.
            if len(lines) == 1:
                line_items: tuple[LineItem, ...] = (LineItem(item_id, *lines[0]),)
                item_id += 1
            else:
                line_items = tuple([LineItem(item_id + k, *spec) for k, spec in enumerate(lines)])
                item_id += len(lines)
            coupon_lines: tuple[CouponLine, ...] = ()
            if discounted is not None and coupon is not None:
                info = MetaItem(store.next_meta_id(), "coupon_info", coupon_info)
                coupon_lines = (CouponLine(item_id, coupon.code, *discounted, (info,)),)
                item_id += 1
            shipping_lines = (
                ShippingLine(item_id, method_title, method_id, instance, cost, shipping_tax),
            )
            item_id += 1
            tax_line_id = 0
            if has_tax:
                tax_line_id = item_id
                item_id += 1
            # created <= paid <= completed <= modified <= now
            paid: int | None = None
            completed: int | None = None
            moment = created
            transaction_id = ""
            if status in paid_or_after or (status == "cancelled" and random_() < 0.3):
                moment += 5 + int(random_() * 3596)
                if moment > now:
                    moment = now
                paid = moment
                if card:
                    transaction_id = f"{bits(96):024x}"
                paid_profiles.append(which)
                if customer is not None and not customer.is_paying_customer:
                    customer.is_paying_customer = True
                    customer.cached = None
            if status in settled:
                moment += 3600 + int(random_() * (4 * DAY - 3599))
                if moment > now:
                    moment = now
                completed = moment
            r = random_()
            created_wall = created if utc else wall(created)
            if r < 0.3:  # touched again later; the same draw gives the delay
                modified = moment + int(r * _MODIFIED_SCALE)
                if modified > now:
                    modified = now
            else:
                modified = moment
            append(
                Order(
                    order_id,
                    status,
                    currency,
                    version,
                    customer.id if customer is not None else 0,
                    billing,
                    shipping,
                    via,
                    created,
                    created_wall,
                    modified,
                    modified if utc else created_wall if modified == created else wall(modified),
                    0,
                    False,
                    method,
                    title,
                    transaction_id,
                    ip_address,
                    agent,
                    note,
                    f"{bits(128):032x}",
                    paid,
                    completed,
                    line_items,
                    shipping_lines,
                    (),
                    coupon_lines,
                    (),
                    tax_line_id,
                )
            )
            if coupon_lines and status not in _UNCOUNTED:
                made[-1].recorded_coupon_usage = True
                used_by.append(str(customer.id) if customer is not None else billing.email)
            order_id += 1
        store.claim_item_ids(item_id - first_item)
        if coupon is not None and used_by:
            # Each counted use, as apply_coupon() records it (a customer's id or an e-mail).
            coupon.usage_count += len(used_by)
            coupon.used_by = (*coupon.used_by, *used_by)
            coupon.cached = None
        # Paid orders count towards their products' sales (applied once per chunk).
        for which, uses in Counter(paid_profiles).items():
            for product, quantity in profiles[which].sales:
                product.total_sales += quantity * uses
                product.cached = None
        return made

    def guests(self, count: int) -> list[tuple[Address, Address]]:
        """Billing and shipping addresses of ``count`` guests (shoppers without an account).

        Guest orders draw from these, so a guest may come back, as they do.
        """
        return [self.guest_addresses() for _ in range(count)]

    def guest_addresses(self) -> tuple[Address, Address]:
        """Billing and shipping addresses of a guest order (no account, a one-off e-mail)."""
        random_ = self.draw.random
        first, last = self.person()
        email = (
            f"{self._ascii_name(first)}.{self._ascii_name(last)}{1 + int(random_() * 999)}"
            f"@{_EMAIL_DOMAINS[int(random_() * 3)]}"
        )
        billing = self.address(first, last, email)
        return billing, Address(*billing[:9], "", billing.phone)  # no e-mail on shipping

    def _ascii_name(self, name: str) -> str:
        """A pool name as it goes into an e-mail address (cached: pools are small)."""
        text = self._ascii_names.get(name)
        if text is None:
            text = _ascii(name).replace(" ", "").replace("'", "")
            self._ascii_names[name] = text
        return text
