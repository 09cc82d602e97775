"""Deterministic demo data: customers, a product catalogue and orders over a past window.

Faker is sampled once per seed into pools (names, streets, cities...) and every
record is then assembled from the pools with a seeded :class:`random.Random`,
which is what makes large runs fast. Same seed, same options and the same
clock give byte-identical records.

Orders are spread over the window ending at the store's "now"; each keeps
created <= paid <= completed <= modified <= now, some are guest orders, and the
status mix leans on completed orders like a real shop's history.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TextIO, TypeVar

from faker import Faker

from simulator.models import (
    Address,
    Category,
    CouponLine,
    Customer,
    LineItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.store import Store

T = TypeVar("T")

DAY = 86_400
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


@dataclass(frozen=True)
class Pools:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    streets: tuple[str, ...]
    secondary: tuple[str, ...]
    cities: tuple[str, ...]
    states: tuple[str, ...]
    postcodes: tuple[str, ...]
    notes: tuple[str, ...]
    phones: tuple[str, ...]
    ip_addresses: tuple[str, ...]


@lru_cache(maxsize=8)
def pools(seed: str) -> Pools:
    """Faker, called a few thousand times once per seed (pools are immutable)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(f"woosim-pools:{seed}")
    return Pools(
        first_names=tuple(fake.first_name() for _ in range(400)),
        last_names=tuple(fake.last_name() for _ in range(400)),
        companies=tuple(fake.company() for _ in range(80)),
        streets=tuple(fake.street_address() for _ in range(600)),
        secondary=tuple(fake.secondary_address() for _ in range(60)),
        cities=tuple(fake.city() for _ in range(250)),
        states=tuple(fake.state_abbr(include_territories=False) for _ in range(120)),
        postcodes=tuple(fake.postcode() for _ in range(400)),
        notes=tuple(fake.sentence(nb_words=8) for _ in range(40)),
        # 555 numbers are reserved for fiction; public-looking client addresses.
        phones=tuple(
            f"({rng.randint(201, 989)}) 555-{rng.randint(100, 9999):04d}" for _ in range(1000)
        ),
        ip_addresses=tuple(
            ".".join(
                str(rng.randint(low, high))
                for low, high in ((11, 223), (0, 255), (0, 255), (1, 254))
            )
            for _ in range(2000)
        ),
    )


@dataclass(frozen=True)
class Generated:
    customers: list[int]
    products: list[int]
    orders: list[int]

    def summary(self) -> dict[str, int]:
        return {
            "customers": len(self.customers),
            "products": len(self.products),
            "orders": len(self.orders),
        }


#: Records built between two yields of a :class:`Generation` (a few tens of ms).
CHUNK = 2_000
#: Progress callback: (records done, records in all).
Progress = Callable[[int, int], None]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Draw:
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


class _Builder:
    """Assembles records from the pools; every random value comes from one seeded stream."""

    def __init__(self, store: Store, seed: str, rng: random.Random, now: int) -> None:
        self.store = store
        self.pools = pools(seed)
        self.draw = _Draw(rng)
        self.now = now
        self.currency = store.settings.currency
        self.version = store.settings.wc_version
        #: (product, quantity, discount %) -> (subtotal, subtotal tax, total, total tax)
        self._amounts: dict[tuple[int, int, int], tuple[int, int, int, int]] = {}
        self._ascii_names: dict[str, str] = {}

    def address(self, first: str, last: str, email: str) -> Address:
        random_, p = self.draw.random, self.pools
        # Positional, in Address field order: first/last, company, address 1/2,
        # city, state, postcode, country, email, phone.
        return Address(
            first,
            last,
            p.companies[int(random_() * len(p.companies))] if random_() < 0.12 else "",
            p.streets[int(random_() * len(p.streets))],
            p.secondary[int(random_() * len(p.secondary))] if random_() < 0.15 else "",
            p.cities[int(random_() * len(p.cities))],
            p.states[int(random_() * len(p.states))],
            p.postcodes[int(random_() * len(p.postcodes))],
            "US",
            email,
            p.phones[int(random_() * len(p.phones))],
        )

    def person(self) -> tuple[str, str]:
        return self.draw.pick(self.pools.first_names), self.draw.pick(self.pools.last_names)

    def email(self, first: str, last: str) -> str:
        store = self.store
        base = f"{self._ascii_name(first)}.{self._ascii_name(last)}"
        domain = self.draw.pick(_EMAIL_DOMAINS)
        candidate = f"{base}@{domain}"
        n = 1
        while store.email_owner(candidate) is not None:
            n += 1
            candidate = f"{base}{n}@{domain}"
        return candidate

    def customer(self, created: int) -> Customer:
        store, draw = self.store, self.draw
        first, last = self.person()
        email = self.email(first, last)
        billing = self.address(first, last, email)
        shipping = billing if draw.chance(0.8) else self.address(first, last, "")
        shipping = shipping._replace(email="")  # shipping addresses have no e-mail
        modified = min(self.now, created + draw.between(0, 30 * DAY))
        username = email.split("@")[0]
        if store.username_owner(username) is not None:  # same local part on two domains
            username = f"{username}-{store.next_meta_id()}"
        return Customer(
            id=store.next_user_id(),
            email=email,
            username=username,
            role="customer",
            first_name=first,
            last_name=last,
            billing=billing,
            shipping=shipping,
            created=created,
            created_wall=store.wall(created),
            modified=modified,
            modified_wall=store.wall(modified),
        )

    def product(self, created: int) -> Product:
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
            status="publish" if draw.chance(0.95) else "draft",
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

    def order(
        self,
        created: int,
        customers: Sequence[Customer],
        customer_times: Sequence[int],
        products: Sequence[Product],
    ) -> Order:
        # The hot loop of large runs: draws are inlined as seq[int(random() * len)].
        store, p = self.store, self.pools
        random_ = self.draw.random
        now = self.now
        order_id = store.next_post_id()
        eligible = bisect_right(customer_times, created)
        customer = customers[int(random_() * eligible)] if eligible and random_() < 0.8 else None
        if customer is not None:
            # Addresses are immutable: the order shares its customer's current ones.
            billing, shipping = customer.billing, customer.shipping
        else:
            first, last = self.person()
            email = (
                f"{self._ascii_name(first)}.{self._ascii_name(last)}{1 + int(random_() * 999)}"
                f"@{_EMAIL_DOMAINS[int(random_() * 3)]}"
            )
            billing = self.address(first, last, email)
            shipping = Address(*billing[:9], "", billing.phone)  # no e-mail on shipping
        status = _STATUS_NAMES[bisect_right(_STATUS_CUMULATIVE, random_() * _STATUS_TOTAL)]
        if now - created < 2 * DAY and status == "completed":
            status = "processing"  # recent orders are not shipped yet
        method, title = PAYMENT_METHODS[int(random_() * 4)]
        via = "checkout" if random_() < 0.95 else "admin"
        ips = p.ip_addresses
        ip_address = ips[int(random_() * len(ips))]
        agent = _USER_AGENTS[int(random_() * 4)]
        notes = p.notes
        note = notes[int(random_() * len(notes))] if random_() < 0.1 else ""
        discount = 10 if random_() < 0.1 else 0
        catalogue_size = len(products)
        count = min(catalogue_size, _LINE_COUNTS[int(random_() * 7)])
        picked: list[int] = []
        while len(picked) < count:  # distinct products, like random.sample
            index = int(random_() * catalogue_size)
            if index not in picked:
                picked.append(index)
        amounts_of = self._amounts
        lines: list[tuple[Product, int, tuple[int, int, int, int]]] = []
        goods = 0
        taxed = False
        for index in picked:
            product = products[index]
            quantity = _QUANTITIES[int(random_() * 6)]
            amounts = amounts_of.get((index, quantity, discount))
            if amounts is None:
                amounts = self._line_amounts(product, quantity, discount)
                amounts_of[(index, quantity, discount)] = amounts
            lines.append((product, quantity, amounts))
            goods += amounts[2]
            taxed = taxed or amounts[3] != 0
        method_id, method_title, instance, cost = SHIPPING_METHODS[int(random_() * 4)]
        if method_id == "flat_rate" and goods > 10_000:
            method_id, method_title, instance, cost = SHIPPING_METHODS[2]
        shipping_tax = store.line_tax(cost, True)
        has_tax = taxed or shipping_tax != 0
        # Item ids in WooCommerce's order: lines, coupon, shipping, tax.
        item_id = store.claim_item_ids(len(lines) + (discount != 0) + 1 + has_tax)
        line_items = []
        for product, quantity, (subtotal, subtotal_tax, total, total_tax) in lines:
            line_items.append(
                LineItem(
                    item_id,
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
            item_id += 1
        coupons: tuple[CouponLine, ...] = ()
        if discount:
            coupons = (
                CouponLine(
                    item_id,
                    "save10",
                    sum(a[0] - a[2] for _, _, a in lines),
                    sum(a[1] - a[3] for _, _, a in lines),
                ),
            )
            item_id += 1
        shipping_line = ShippingLine(item_id, method_title, method_id, instance, cost, shipping_tax)
        # created <= paid <= completed <= modified <= now
        paid: int | None = None
        completed: int | None = None
        moment = created
        transaction_id = ""
        if status in _PAID_OR_AFTER or (status == "cancelled" and random_() < 0.3):
            moment = min(now, moment + 5 + int(random_() * 3596))
            paid = moment
            if method in ("stripe", "ppcp-gateway"):
                transaction_id = f"{self.draw.bits(96):024x}"
        if status in ("completed", "refunded"):
            moment = min(now, moment + 3600 + int(random_() * (4 * DAY - 3599)))
            completed = moment
        modified = min(now, moment + int(random_() * (2 * DAY + 1))) if random_() < 0.3 else moment
        created_wall = store.wall(created)
        order = Order(
            order_id,
            status,
            self.currency,
            self.version,
            customer.id if customer is not None else 0,
            billing,
            shipping,
            via,
            created,
            created_wall,
            modified,
            created_wall if modified == created else store.wall(modified),
            payment_method=method,
            payment_method_title=title,
            transaction_id=transaction_id,
            customer_ip_address=ip_address,
            customer_user_agent=agent,
            customer_note=note,
            cart_hash=f"{self.draw.bits(128):032x}",
            paid=paid,
            completed=completed,
            line_items=tuple(line_items),
            shipping_lines=(shipping_line,),
            coupon_lines=coupons,
            tax_line_id=item_id + 1 if has_tax else 0,
        )
        if paid is not None:
            for product, quantity, _ in lines:
                product.total_sales += quantity
                product.cached = None
            if customer is not None and not customer.is_paying_customer:
                customer.is_paying_customer = True
                customer.cached = None
        return order

    def _ascii_name(self, name: str) -> str:
        """A pool name as it goes into an e-mail address (cached: pools are small)."""
        text = self._ascii_names.get(name)
        if text is None:
            text = _ascii(name).replace(" ", "").replace("'", "")
            self._ascii_names[name] = text
        return text


_PAID_OR_AFTER = frozenset({"processing", "completed", "refunded"})

_STATUS_TOTAL = _STATUS_CUMULATIVE[-1]
_LINE_COUNTS = (1, 1, 1, 2, 2, 3, 4)
_QUANTITIES = (1, 1, 1, 2, 2, 3)


class Generation:
    """One deterministic generation, run in steps of about :data:`CHUNK` records.

    ``steps()`` yields ``(done, total)`` after each step; between two steps the
    store is consistent (every record inserted is complete and indexed), so a
    server can answer other requests in between. Same seed, same counts, same
    store and clock: the same records, however the steps are driven.
    """

    def __init__(
        self,
        store: Store,
        rng_seed: str | int,
        *,
        customers: int = 0,
        orders: int = 0,
        products: int = 0,
        days: int = 90,
        emit: bool = True,
        chunk: int | None = None,
    ) -> None:
        for name, value in (
            ("customers", customers),
            ("orders", orders),
            ("products", products),
            ("days", days),
        ):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, not {value}")
        catalogue_size = products or (12 if orders and not store.products else 0)
        if orders and not catalogue_size and not _catalogue(store):
            raise ValueError("orders need published products with a price; generate products first")
        self.store = store
        self.seed = str(rng_seed)
        self.counts = (customers, orders, catalogue_size)
        self.requested_products = products
        self.days = days
        self.emit = emit
        self.chunk = max(1, CHUNK if chunk is None else chunk)
        self.total = customers + orders + catalogue_size
        self.result = Generated([], [], [])

    def run(self, progress: Progress | None = None) -> Generated:
        """Every step at once (with the cyclic GC paused, see :meth:`steps`)."""
        for done, total in self.steps():
            if progress is not None:
                progress(done, total)
        return self.result

    def steps(self) -> Iterator[tuple[int, int]]:
        customers, orders, catalogue_size = self.counts
        store, emit, chunk = self.store, self.emit, self.chunk
        seed = self.seed
        rng = random.Random(
            f"woosim:{seed}:{customers}:{orders}:{self.requested_products}:{self.days}"
        )
        now = store.now()
        builder = _Builder(store, seed, rng, now)
        draw = builder.draw
        start = now - self.days * DAY
        epoch = store.epoch
        done = 0

        with _gc_paused():
            product_times = sorted(
                draw.between(start - 30 * DAY, start) for _ in range(catalogue_size)
            )
            for moment in product_times:  # one by one: each slug must see the previous ones
                product = store.insert_product(builder.product(moment), emit=emit)
                self.result.products.append(product.id)
            done += catalogue_size
            customer_times = sorted(draw.between(start, now) for _ in range(customers))
        yield done, self.total

        for first in range(0, customers, chunk):
            self._check(epoch)
            with _gc_paused():
                for moment in customer_times[first : first + chunk]:
                    # one by one: each e-mail must see the previous ones
                    customer = store.insert_customer(builder.customer(moment), emit=emit)
                    self.result.customers.append(customer.id)
            done += min(chunk, customers - first)
            yield done, self.total
        if not orders:
            return

        self._check(epoch)
        with _gc_paused():
            pool_customers = sorted(
                (c for c in store.customers.values() if c.role == "customer"),
                key=lambda c: (c.created, c.id),
            )
            pool_times = [c.created for c in pool_customers]
            catalogue = _catalogue(store)
            order_times = sorted(draw.between(start, now) for _ in range(orders))
        if not catalogue:
            raise ValueError("orders need published products with a price; generate products first")
        for first in range(0, orders, chunk):
            self._check(epoch)
            with _gc_paused():
                made = [
                    builder.order(moment, pool_customers, pool_times, catalogue)
                    for moment in order_times[first : first + chunk]
                ]
                store.insert_orders(made, emit=emit)
                self.result.orders.extend(order.id for order in made)
            done += len(made)
            yield done, self.total

    def _check(self, epoch: int) -> None:
        if self.store.epoch != epoch:
            raise GenerationInterrupted("the store was reset while generating")


class GenerationInterrupted(RuntimeError):
    """The store was reset between two steps of a generation."""


def _catalogue(store: Store) -> list[Product]:
    return [p for p in store.products.values() if p.status == "publish" and p.price is not None]


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Building many small objects makes the cyclic GC rescan the growing heap
    # over and over; these records hold no cycles. Paused for one step only, so
    # a server driving the steps collects normally in between.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def generate(
    store: Store,
    rng_seed: str | int,
    *,
    customers: int = 0,
    orders: int = 0,
    products: int = 0,
    days: int = 90,
    emit: bool = True,
    progress: Progress | None = None,
) -> Generated:
    """Fill ``store`` with deterministic records spread over the last ``days`` days.

    Orders need a catalogue: when the store has no products and none are asked
    for, twelve are made. Events are emitted for every record unless ``emit`` is
    false (webhooks fire as for any other change). ``progress`` is called after
    each step with (records done, records in all).
    """
    job = Generation(
        store, rng_seed, customers=customers, orders=orders, products=products, days=days, emit=emit
    )
    return job.run(progress)


async def generate_async(
    store: Store,
    rng_seed: str | int,
    *,
    customers: int = 0,
    orders: int = 0,
    products: int = 0,
    days: int = 90,
    emit: bool = True,
) -> Generated:
    """:func:`generate` on an event loop: yields to the loop after every step.

    Same records as :func:`generate` (the steps draw from the same stream), and
    the loop is never blocked for more than one step (:data:`CHUNK` records).
    """
    job = Generation(
        store, rng_seed, customers=customers, orders=orders, products=products, days=days, emit=emit
    )
    for _ in job.steps():
        await asyncio.sleep(0)
    return job.result


class ProgressBar:
    """A one-line text progress bar for a terminal stream (redrawn with ``\\r``)."""

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self._last and done != total:
            return  # redraw only when the figure moves
        self._last = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {done:,}/{total:,}{end}")
        self.stream.flush()
