"""Seeded generation: customers/s and orders/s against naive per-field Faker calls.

The reference builds the same records (same models, same shape, same store
inserts and calls: line items, the coupon line and its use, the shipping line,
products' sales counts, paying customers, then the notes and refunds of a
share of the orders) but asks Faker for every random field, as a
straightforward generator would: names, e-mail domains, addresses, phones,
IPs, user agents, statuses, quantities, delays, hashes, which orders get
history and the refund reasons. ``same_shape`` checks that its orders render
the same fields and come with the same kinds of record as the generator's.
The generator samples Faker once per seed into pools and draws from them with
a seeded ``random.Random``.

Also checks the property the speed must not cost: the same seed gives the
same bytes, however the generation is stepped.

    python -m bench.bench_generate [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
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
from simulator.discounts import Discounts, Item
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
from simulator.generate.history import (
    NOTES_SHARE,
    PARTIAL_REASONS,
    PARTIAL_REFUND_SHARE,
    STOPPED,
    add_refund,
)
from simulator.generate.records import generated_coupon
from simulator.generate.vocabulary import (
    GENERATED_COUPON_RULE,
    LINE_COUNTS,
    QUANTITIES,
    UNCOUNTED,
)
from simulator.models import (
    Address,
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
from simulator.store.notes import MANUAL_REFUND_NOTE, MANUAL_REFUND_REASON, status_change_text

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

    def coupon(self, created: int) -> Coupon:
        """The shop's 10 % coupon, as the generator makes it."""
        return generated_coupon(self.store, created)

    def order(
        self,
        created: int,
        customers: Sequence[Customer],
        customer_times: Sequence[int],
        products: Sequence[Product],
        coupon: Coupon,
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
        discounted = fake.boolean(10)
        count = min(len(products), fake.random_element(LINE_COUNTS))
        picked = fake.random_sample(products, length=count)
        quantities = [fake.random_element(QUANTITIES) for _ in picked]
        given: dict[int, int] = {}
        if discounted:  # the coupon's discount spread over the lines, as WooCommerce does
            discounts = Discounts.of(
                [
                    Item(key=n, price=(p.price or 0) * q, quantity=q, product_id=p.id)
                    for n, (p, q) in enumerate(zip(picked, quantities, strict=True))
                ]
            )
            discounts.apply(GENERATED_COUPON_RULE)
            given = discounts.by_item()
        items = []
        for position, product in enumerate(picked):
            quantity = quantities[position]
            taxable = product.tax_status == "taxable"
            subtotal = (product.price or 0) * quantity
            total = subtotal - given.get(position, 0)
            items.append(
                LineItem(
                    store.next_item_id(),
                    product.name,
                    product.id,
                    0,
                    quantity,
                    subtotal,
                    store.line_tax(subtotal, taxable),
                    total,
                    store.line_tax(total, taxable),
                    product.sku,
                )
            )
        coupons: tuple[CouponLine, ...] = ()
        counted = False
        if discounted:
            info = json.dumps(coupon.short_info(), separators=(",", ":"))
            coupons = (
                CouponLine(
                    store.next_item_id(),
                    coupon.code,
                    sum(i.subtotal - i.total for i in items),
                    sum(i.subtotal_tax - i.total_tax for i in items),
                    (MetaItem(store.next_meta_id(), "coupon_info", info),),
                ),
            )
            counted = status not in UNCOUNTED
            if counted:  # a use, as apply_coupon() records it: id or e-mail
                coupon.usage_count += 1
                used = str(customer.id) if customer is not None else billing.email
                coupon.used_by = (*coupon.used_by, used)
                coupon.cached = None
        method_id, method_title, instance, cost = fake.random_element(SHIPPING_METHODS)
        if method_id == "flat_rate" and sum(i.total for i in items) > 10_000:
            method_id, method_title, instance, cost = SHIPPING_METHODS[2]
        shipping_line = ShippingLine(
            store.next_item_id(),
            method_title,
            method_id,
            instance,
            cost,
            store.line_tax(cost, True),
        )
        has_tax = shipping_line.total_tax != 0 or any(i.total_tax for i in items)
        paid = completed = None
        moment = created
        transaction_id = ""
        if status in ("processing", "completed", "refunded") or (
            status == "cancelled" and fake.boolean(30)
        ):
            moment = min(now, moment + fake.random_int(5, 3600))
            paid = moment
            if method in ("stripe", "ppcp-gateway"):
                transaction_id = fake.sha1()[:24]
            for item in items:  # a paid order counts towards its products' sales
                product = store.products[item.product_id]
                product.total_sales += item.quantity
                product.cached = None
            if customer is not None and not customer.is_paying_customer:
                customer.is_paying_customer = True
                customer.cached = None
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
            tax_line_id=store.next_item_id() if has_tax else 0,
            recorded_coupon_usage=counted,
        )

    def history(self, order: Order) -> None:
        """The notes and refunds the generator gives a share of orders (see
        :mod:`simulator.generate.history`), each decision and reason from Faker."""
        fake, store = self.fake, self.store
        share = fake.random_int(0, 999) / 1000
        refunded = order.status == "refunded"
        partial = order.status == "completed" and share < PARTIAL_REFUND_SHARE
        if not (refunded or partial or share < NOTES_SHARE):
            return
        if order.paid is not None:
            store.add_note(order.id, status_change_text("pending", "processing"), at=order.paid)
        if order.completed is not None:
            text = status_change_text("processing", "completed")
            store.add_note(order.id, text, at=order.completed)
        elif order.status in STOPPED:
            text = status_change_text("pending", order.status)
            store.add_note(order.id, text, at=order.modified)
        if refunded:
            self.refund(order, order.total, MANUAL_REFUND_REASON, ())
            store.add_note(order.id, MANUAL_REFUND_NOTE, at=order.modified)
            text = status_change_text("completed", "refunded")
            store.add_note(order.id, text, at=order.modified)
        elif partial and order.line_items:
            line = order.line_items[0]
            unit = line.total // max(1, line.quantity)
            if unit < order.total:
                self.refund(order, unit, fake.random_element(PARTIAL_REASONS), (line,))

    def refund(self, order: Order, amount: int, reason: str, lines: Sequence[LineItem]) -> None:
        # The refund record is no Faker work: the generator's own builder makes it.
        add_refund(
            self.store, (order.id, order.modified, order.modified_wall), amount, reason, lines
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
    return count / _timed(naive_build(store, count))


def naive_build(store: Store, count: int) -> Callable[[], None]:
    """The reference's orders for ``store``: its customers made first, the orders'
    build (insert, notes and refunds included) returned to be timed."""
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
        coupon = store.insert_coupon(builder.coupon(now - 120 * DAY), emit=False)
        made = [builder.order(moment, customers, times, catalogue, coupon) for moment in moments]
        store.insert_orders(made, emit=False)
        for order in made:
            builder.history(order)

    return build


def _paths(value: object, prefix: str = "") -> set[str]:
    """The key paths of a JSON value (list elements merged under ``[]``)."""
    if isinstance(value, dict):
        paths = {prefix}
        for key, item in value.items():
            paths |= _paths(item, f"{prefix}.{key}")
        return paths
    if isinstance(value, list):
        return set().union({prefix}, *(_paths(item, f"{prefix}[]") for item in value))
    return {prefix}


def shape(store: Store, render: Callable[[Order], bytes]) -> set[str]:
    """What the orders of ``store`` hold: their JSON's key paths, and which kinds of
    record they come with (notes, refunds, coupon uses, sales counts, paying customers)."""
    orders = list(store.orders.values())
    paths = set().union(*(_paths(json.loads(render(order))) for order in orders))
    kinds = {
        "notes": any(store.note_table.of_order(order.id) for order in orders),
        "full refunds": any(o.refunds and o.status == "refunded" for o in orders),
        "partial refunds": any(o.refunds and o.status == "completed" for o in orders),
        "coupon uses": any(c.usage_count for c in store.coupons.values()),
        "sales counts": any(p.total_sales for p in store.products.values()),
        "paying customers": any(c.is_paying_customer for c in store.customers.values()),
    }
    return paths | {f"has {kind}" for kind, present in kinds.items() if present}


def same_shape(count: int) -> bool:
    """The reference's orders hold the same fields and come with the same kinds of
    record as the generator's."""
    ours = _store_with_products()
    generate(ours.store, SEED, customers=count // 10, orders=count, emit=False)
    naive = _store_with_products()
    naive_build(naive.store, count)()
    return shape(ours.store, ours.renderer.order_bytes) == shape(
        naive.store, naive.renderer.order_bytes
    )


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
    # A round is ~0.1 s a side: on a shared machine whose speed moves from one second
    # to the next, the median of seven alternating rounds is steadier than of three.
    rounds = 2 if quick else 7
    ours_size, naive_size = (4_000, 150) if quick else (20_000, 400)
    identical = same_bytes(1_000 if quick else 5_000)
    alike = same_shape(400)
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
                valid=identical and alike,
                note=(
                    f"{count:,} vs {naive_size:,} {label}, median of {rounds}; "
                    f"pools sampled once per seed in {pool_seconds:.2f} s (not in the rate); "
                    f"same seed ⇒ same bytes: {'yes' if identical else 'NO'}; "
                    f"the reference's records of the same shape: {'yes' if alike else 'NO'}"
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
