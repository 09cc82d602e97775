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

import gc
import hashlib
import itertools
import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

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
from simulator.store import Store, order_key

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


@lru_cache(maxsize=8)
def pools(seed: str) -> Pools:
    """Faker, called a few thousand times once per seed (pools are immutable)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
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


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Builder:
    def __init__(self, store: Store, seed: str, rng: random.Random) -> None:
        self.store = store
        self.pools = pools(seed)
        self.rng = rng
        self.seed = seed

    def phone(self) -> str:
        rng = self.rng
        return f"({rng.randint(201, 989)}) 555-{rng.randint(100, 9999):04d}"

    def address(self, first: str, last: str, email: str) -> Address:
        rng, p = self.rng, self.pools
        return Address(
            first_name=first,
            last_name=last,
            company=rng.choice(p.companies) if rng.random() < 0.12 else "",
            address_1=rng.choice(p.streets),
            address_2=rng.choice(p.secondary) if rng.random() < 0.15 else "",
            city=rng.choice(p.cities),
            state=rng.choice(p.states),
            postcode=rng.choice(p.postcodes),
            country="US",
            email=email,
            phone=self.phone(),
        )

    def person(self) -> tuple[str, str]:
        return self.rng.choice(self.pools.first_names), self.rng.choice(self.pools.last_names)

    def email(self, first: str, last: str) -> str:
        store, rng = self.store, self.rng
        base = f"{_ascii(first)}.{_ascii(last)}".replace(" ", "").replace("'", "")
        domain = rng.choice(_EMAIL_DOMAINS)
        candidate = f"{base}@{domain}"
        n = 1
        while store.email_owner(candidate) is not None:
            n += 1
            candidate = f"{base}{n}@{domain}"
        return candidate

    def customer(self, created: int) -> Customer:
        store = self.store
        first, last = self.person()
        email = self.email(first, last)
        billing = self.address(first, last, email)
        shipping = billing if self.rng.random() < 0.8 else self.address(first, last, "")
        shipping = Address(**{**_fields(shipping), "email": ""})
        modified = min(store.now(), created + self.rng.randint(0, 30 * DAY))
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
        store, rng = self.store, self.rng
        noun, category_id = rng.choice(_NOUNS)
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_MATERIALS)} {noun}"
        regular = rng.choice((500, 900, 1200, 1500, 1800, 2000, 2500, 3000, 3500, 4500, 6000, 9000))
        regular -= rng.choice((0, 0, 1, 5))  # 19.99-style prices
        on_sale = rng.random() < 0.15
        virtual = noun in ("Album",) and rng.random() < 0.5
        product_id = store.next_post_id()
        modified = min(store.now(), created + rng.randint(0, 20 * DAY))
        managed = rng.random() < 0.4
        stock = rng.randint(0, 120) if managed else None
        return Product(
            id=product_id,
            name=name,
            slug=store.unique_slug(name),
            type="simple",
            status="publish" if rng.random() < 0.95 else "draft",
            sku=f"WS-{product_id:05d}",
            regular_price=regular,
            sale_price=(regular * 8 // 10) if on_sale else None,
            description=rng.choice(self.pools.notes),
            short_description=rng.choice(self.pools.notes),
            created=created,
            created_wall=store.wall(created),
            modified=modified,
            modified_wall=store.wall(modified),
            featured=rng.random() < 0.1,
            virtual=virtual,
            downloadable=virtual,
            manage_stock=managed,
            stock_quantity=stock,
            stock_status=("outofstock" if stock == 0 else "instock"),
            weight="" if virtual else f"{rng.randint(1, 40) / 10:g}",
            categories=[next(c for c in CATEGORIES if c.id == category_id)],
        )

    def order(
        self,
        created: int,
        customers: list[Customer],
        customer_times: list[int],
        products: list[Product],
    ) -> Order:
        store, rng = self.store, self.rng
        now = store.now()
        order_id = store.next_post_id()
        eligible = bisect_right(customer_times, created)
        customer = customers[rng.randrange(eligible)] if eligible and rng.random() < 0.8 else None
        if customer is not None:
            billing = Address(**_fields(customer.billing))
            shipping = Address(**_fields(customer.shipping))
        else:
            first, last = self.person()
            email = (
                f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 999)}@{rng.choice(_EMAIL_DOMAINS)}"
            )
            email = email.replace(" ", "").replace("'", "")
            billing = self.address(first, last, email)
            shipping = Address(**{**_fields(billing), "email": ""})
        status = rng.choices(_STATUS_NAMES, cum_weights=_STATUS_CUMULATIVE)[0]
        age = now - created
        if age < 2 * DAY and status == "completed":
            status = "processing"  # recent orders are not shipped yet
        method, title = rng.choice(PAYMENT_METHODS)
        order = Order(
            id=order_id,
            status=status,
            currency=store.settings.currency,
            version=store.settings.wc_version,
            customer_id=customer.id if customer is not None else 0,
            order_key=order_key(order_id, created),
            billing=billing,
            shipping=shipping,
            created_via="checkout" if rng.random() < 0.95 else "admin",
            created=created,
            created_wall=store.wall(created),
            modified=created,
            modified_wall=store.wall(created),
            payment_method=method,
            payment_method_title=title,
            customer_ip_address=".".join(
                str(rng.randint(low, high))
                for low, high in ((11, 223), (0, 255), (0, 255), (1, 254))
            ),
            customer_user_agent=rng.choice(_USER_AGENTS),
            customer_note=rng.choice(self.pools.notes) if rng.random() < 0.1 else "",
            cart_hash=hashlib.md5(f"{self.seed}:{order_id}".encode()).hexdigest(),
        )
        discount = 10 if rng.random() < 0.1 else 0
        for product in rng.sample(
            products, k=min(len(products), rng.choice((1, 1, 1, 2, 2, 3, 4)))
        ):
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            subtotal = (product.price or 0) * quantity
            total = subtotal - (subtotal * discount + 50) // 100
            taxable = product.tax_status == "taxable"
            order.line_items.append(
                LineItem(
                    id=store.next_item_id(),
                    name=product.name,
                    product_id=product.id,
                    variation_id=0,
                    quantity=quantity,
                    subtotal=subtotal,
                    subtotal_tax=store.line_tax(subtotal, taxable),
                    total=total,
                    total_tax=store.line_tax(total, taxable),
                    sku=product.sku,
                )
            )
        if discount:
            order.coupon_lines.append(
                CouponLine(store.next_item_id(), "save10", order.discount_total, order.discount_tax)
            )
        method_id, method_title, instance, cost = rng.choice(SHIPPING_METHODS)
        if method_id == "flat_rate" and sum(i.total for i in order.line_items) > 10_000:
            method_id, method_title, instance, cost = SHIPPING_METHODS[2]
        order.shipping_lines.append(
            ShippingLine(
                store.next_item_id(),
                method_title,
                method_id,
                instance,
                cost,
                store.line_tax(cost, True),
            )
        )
        if order.total_tax:
            order.tax_line_id = store.next_item_id()
        # created <= paid <= completed <= modified <= now
        moment = created
        if status in ("processing", "completed", "refunded") or (
            status == "cancelled" and rng.random() < 0.3
        ):
            moment = min(now, moment + rng.randint(5, 3600))
            order.paid = moment
            if method in ("stripe", "ppcp-gateway"):
                order.transaction_id = hashlib.sha1(
                    f"{self.seed}:tx:{order_id}".encode()
                ).hexdigest()[:24]
        if status in ("completed", "refunded"):
            moment = min(now, moment + rng.randint(3600, 4 * DAY))
            order.completed = moment
        modified = min(now, moment + rng.randint(0, 2 * DAY) if rng.random() < 0.3 else moment)
        order.modified, order.modified_wall = modified, store.wall(modified)
        if customer is not None and order.paid is not None:
            customer.is_paying_customer = True
            customer.cached = None
        return order


def _fields(address: Address) -> dict[str, str]:
    return {name: getattr(address, name) for name in Address.__dataclass_fields__}


def generate(
    store: Store,
    rng_seed: str | int,
    *,
    customers: int = 0,
    orders: int = 0,
    products: int = 0,
    days: int = 90,
    emit: bool = True,
) -> Generated:
    """Fill ``store`` with deterministic records spread over the last ``days`` days.

    Orders need a catalogue: when the store has no products and none are asked
    for, twelve are made. Events are emitted for every record unless ``emit`` is
    false (webhooks fire as for any other change).
    """
    for name, value in (
        ("customers", customers),
        ("orders", orders),
        ("products", products),
        ("days", days),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, not {value}")
    # Building many small objects makes the cyclic GC rescan the growing heap
    # over and over (quadratic time); these records hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(store, str(rng_seed), customers, orders, products, days, emit)
    finally:
        if collecting:
            gc.enable()


def _generate(
    store: Store, seed: str, customers: int, orders: int, products: int, days: int, emit: bool
) -> Generated:
    rng = random.Random(f"woosim:{seed}:{customers}:{orders}:{products}:{days}")
    builder = _Builder(store, seed, rng)
    now = store.now()
    start = now - days * DAY

    catalogue_size = products or (12 if orders and not store.products else 0)
    product_times = sorted(rng.randint(start - 30 * DAY, start) for _ in range(catalogue_size))
    made_products: list[Product] = []
    for moment in product_times:  # one by one: each slug must see the previous ones
        made_products.append(store.insert_product(builder.product(moment), emit=emit))

    customer_times = sorted(rng.randint(start, now) for _ in range(customers))
    made_customers: list[Customer] = []
    for moment in customer_times:  # one by one: each e-mail must see the previous ones
        made_customers.append(store.insert_customer(builder.customer(moment), emit=emit))

    pool_customers = sorted(
        (c for c in store.customers.values() if c.role == "customer"),
        key=lambda c: (c.created, c.id),
    )
    pool_times = [c.created for c in pool_customers]
    catalogue = [
        p for p in store.products.values() if p.status == "publish" and p.price is not None
    ]
    made_orders: list[Order] = []
    if orders and catalogue:
        order_times = sorted(rng.randint(start, now) for _ in range(orders))
        made_orders = [builder.order(t, pool_customers, pool_times, catalogue) for t in order_times]
        for order in made_orders:
            for item in order.line_items:
                if order.paid is not None:
                    store.products[item.product_id].total_sales += item.quantity
                    store.products[item.product_id].cached = None
        store.insert_orders(made_orders, emit=emit)
    elif orders:
        raise ValueError("orders need published products with a price; generate products first")
    return Generated(
        customers=[c.id for c in made_customers],
        products=[p.id for p in made_products],
        orders=[o.id for o in made_orders],
    )
