"""Seeded generation: customers/s and orders/s against naive per-field Faker calls.

The reference builds the same records (same models, same shape, same store
inserts) but asks Faker for every random field, as a straightforward generator
would: names, e-mail domains, addresses, phones, IPs, user agents, statuses,
quantities, delays, hashes. The generator samples Faker once per seed into
pools and draws from them with a seeded ``random.Random``.

Also checks the property the speed must not cost: the same seed gives the
same bytes, however the generation is stepped.

    python -m bench.bench_generate [--quick]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial

from faker import Faker

from bench.common import Figure, Target, alternate, median, text_table
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import (
    DAY,
    PAYMENT_METHODS,
    SHIPPING_METHODS,
    STATUS_WEIGHTS,
    Generation,
    address_parts,
    generate,
    pools,
)
from simulator.generate.vocabulary import LINE_COUNTS, QUANTITIES
from simulator.models import (
    Address,
    CouponLine,
    Customer,
    LineItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.store import Store

START = datetime(2024, 3, 10, 6, tzinfo=UTC)
SEED = "bench-generate"
PRODUCTS = 50
TARGET = 50.0


class NaiveBuilder:
    """The same records as the generator's, every random field from its own Faker call."""

    def __init__(self, store: Store, seed: str) -> None:
        self.store = store
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.now = store.now()
        self.statuses = OrderedDict((name, weight / 100) for name, weight in STATUS_WEIGHTS)

    def address(self, first: str, last: str, email: str) -> Address:
        fake = self.fake
        return Address(
            first_name=first,
            last_name=last,
            company=fake.company() if fake.boolean(12) else "",
            address_1=fake.street_address(),
            address_2=fake.secondary_address() if fake.boolean(15) else "",
            city=fake.city(),
            state=fake.state_abbr(include_territories=False),
            postcode=fake.postcode(),
            country="US",
            email=email,
            phone=fake.phone_number(),
        )

    def customer(self, created: int) -> Customer:
        fake, store = self.fake, self.store
        first, last = fake.first_name(), fake.last_name()
        domain = fake.free_email_domain()
        email = f"{first}.{last}@{domain}".lower().replace(" ", "").replace("'", "")
        n = 1
        while store.email_owner(email) is not None:
            n += 1
            email = f"{first}.{last}{n}@{domain}".lower()
        billing = self.address(first, last, email)
        other = billing if fake.boolean(80) else self.address(first, last, "")
        modified = min(self.now, created + fake.random_int(0, 30 * DAY))
        username = email.split("@")[0]
        if store.username_owner(username) is not None:
            username = f"{username}-{store.next_meta_id()}"
        return Customer(
            id=store.next_user_id(),
            email=email,
            username=username,
            role="customer",
            first_name=first,
            last_name=last,
            billing=billing,
            shipping=other._replace(email=""),
            created=created,
            created_wall=store.wall(created),
            modified=modified,
            modified_wall=store.wall(modified),
        )

    def order(
        self,
        created: int,
        customers: Sequence[Customer],
        customer_times: Sequence[int],
        products: Sequence[Product],
    ) -> Order:
        fake, store, now = self.fake, self.store, self.now
        order_id = store.next_post_id()
        eligible = bisect_right(customer_times, created)
        customer = (
            customers[fake.random_int(0, eligible - 1)] if eligible and fake.boolean(80) else None
        )
        if customer is not None:
            billing, shipping = customer.billing, customer.shipping
        else:
            first, last = fake.first_name(), fake.last_name()
            email = f"{first}.{last}{fake.random_int(1, 999)}@{fake.free_email_domain()}"
            billing = self.address(first, last, email.lower().replace(" ", ""))
            shipping = billing._replace(email="")
        status = fake.random_element(self.statuses)
        if now - created < 2 * DAY and status == "completed":
            status = "processing"
        method, title = fake.random_element(PAYMENT_METHODS)
        via = "checkout" if fake.boolean(95) else "admin"
        ip_address = fake.ipv4_public()
        agent = fake.user_agent()
        note = fake.sentence(nb_words=8) if fake.boolean(10) else ""
        discount = 10 if fake.boolean(10) else 0
        count = min(len(products), fake.random_element(LINE_COUNTS))
        items = []
        for product in fake.random_sample(products, length=count):
            quantity = fake.random_element(QUANTITIES)
            subtotal = (product.price or 0) * quantity
            total = subtotal - (subtotal * discount + 50) // 100
            items.append(
                LineItem(
                    store.next_item_id(),
                    product.name,
                    product.id,
                    0,
                    quantity,
                    subtotal,
                    store.line_tax(subtotal, True),
                    total,
                    store.line_tax(total, True),
                    product.sku,
                )
            )
        coupons: tuple[CouponLine, ...] = ()
        if discount:
            coupons = (
                CouponLine(
                    store.next_item_id(),
                    "save10",
                    sum(i.subtotal - i.total for i in items),
                    sum(i.subtotal_tax - i.total_tax for i in items),
                ),
            )
        method_id, method_title, instance, cost = fake.random_element(SHIPPING_METHODS)
        shipping_line = ShippingLine(
            store.next_item_id(),
            method_title,
            method_id,
            instance,
            cost,
            store.line_tax(cost, True),
        )
        paid = completed = None
        moment = created
        transaction_id = ""
        if status in ("processing", "completed", "refunded"):
            moment = min(now, moment + fake.random_int(5, 3600))
            paid = moment
            if method in ("stripe", "ppcp-gateway"):
                transaction_id = fake.sha1()[:24]
        if status in ("completed", "refunded"):
            moment = min(now, moment + fake.random_int(3600, 4 * DAY))
            completed = moment
        modified = min(now, moment + fake.random_int(0, 2 * DAY)) if fake.boolean(30) else moment
        return Order(
            order_id,
            status,
            store.settings.currency,
            store.settings.wc_version,
            customer.id if customer is not None else 0,
            billing,
            shipping,
            via,
            created,
            store.wall(created),
            modified,
            store.wall(modified),
            payment_method=method,
            payment_method_title=title,
            transaction_id=transaction_id,
            customer_ip_address=ip_address,
            customer_user_agent=agent,
            customer_note=note,
            cart_hash=fake.md5(),
            paid=paid,
            completed=completed,
            built_line_items=tuple(items),
            built_shipping_lines=(shipping_line,),
            coupon_lines=coupons,
            tax_line_id=store.next_item_id(),
        )


def _store_with_products() -> Simulator:
    sim = Simulator(clock=Clock(START, frozen=True))
    generate(sim.store, SEED, products=PRODUCTS, emit=False)
    return sim


def _timed(action: Callable[[], object]) -> float:
    gc.collect()
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def ours_customers(count: int) -> float:
    store = _store_with_products().store
    return count / _timed(lambda: generate(store, SEED, customers=count, emit=False))


def ours_orders(count: int) -> float:
    store = _store_with_products().store
    generate(store, SEED, customers=count // 10, emit=False)
    return count / _timed(lambda: generate(store, SEED, orders=count, emit=False))


def naive_customers(count: int) -> float:
    store = _store_with_products().store
    builder = NaiveBuilder(store, SEED)
    now = store.now()
    times = sorted(builder.fake.random_int(now - 90 * DAY, now) for _ in range(count))

    def build() -> None:
        for moment in times:
            store.insert_customer(builder.customer(moment), emit=False)

    return count / _timed(build)


def naive_orders(count: int) -> float:
    store = _store_with_products().store
    generate(store, SEED, customers=max(10, count // 10), emit=False)
    builder = NaiveBuilder(store, SEED)
    customers = sorted(
        (c for c in store.customers.values() if c.role == "customer"),
        key=lambda c: (c.created, c.id),
    )
    times = [c.created for c in customers]
    catalogue = [p for p in store.products.values() if p.status == "publish"]
    now = store.now()
    moments = sorted(builder.fake.random_int(now - 90 * DAY, now) for _ in range(count))

    def build() -> None:
        made = [builder.order(moment, customers, times, catalogue) for moment in moments]
        store.insert_orders(made, emit=False)

    return count / _timed(build)


def same_bytes(orders: int) -> bool:
    """Same seed, same bytes: one run in one go, one in small steps, one in default steps."""
    outputs = []
    for chunk in (orders + 1_000, 97, None):
        sim = Simulator(clock=Clock(START, frozen=True))
        Generation(
            sim.store, SEED, customers=orders // 10, orders=orders, products=20, chunk=chunk
        ).run()
        render = sim.renderer
        outputs.append(
            [render.order_bytes(o) for o in sim.store.orders.values()]
            + [render.customer_bytes(c) for c in sim.store.customers.values()]
            + [render.product_bytes(p) for p in sim.store.products.values()]
        )
    return outputs[0] == outputs[1] == outputs[2]


def measure(quick: bool) -> list[Figure]:
    began = time.perf_counter()
    pools(SEED)  # sampled once per seed; reported, not timed in the rates
    address_parts(SEED)
    pool_seconds = time.perf_counter() - began
    rounds = 2 if quick else 3
    ours_size, naive_size = (4_000, 150) if quick else (20_000, 400)
    identical = same_bytes(1_000 if quick else 5_000)
    figures = []
    for label, ours, naive in (
        ("customers", ours_customers, naive_customers),
        ("orders", ours_orders, naive_orders),
    ):
        count = ours_size // (4 if label == "customers" else 1)
        fast, slow = alternate(partial(ours, count), partial(naive, naive_size), rounds)
        figures.append(
            Figure(
                f"seeded generation: {label}/s",
                median(fast),
                f"{label}/s",
                Target("ratio_min", TARGET, f"≥ {TARGET:g}x faster, same seed ⇒ same bytes"),
                reference=median(slow),
                reference_name="naive per-field Faker",
                valid=identical,
                note=(
                    f"{count:,} vs {naive_size:,} {label}, median of {rounds}; "
                    f"pools sampled once per seed in {pool_seconds:.2f} s (not in the rate); "
                    f"same seed ⇒ same bytes: {'yes' if identical else 'NO'}"
                ),
                samples=fast,
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(text_table(measure(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
