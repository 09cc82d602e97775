"""One generation: how many records, over which window, in steps that leave the loop free."""

from __future__ import annotations

import asyncio
import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat, starmap
from math import floor
from operator import attrgetter

from simulator.generate.catalog import CatalogBuilder
from simulator.generate.history import add_history
from simulator.generate.order_records import PROFILES, OrderBuilder
from simulator.generate.records import Draw, RecordBuilder
from simulator.generate.vocabulary import DAY, GENERATED_COUPON_RULE
from simulator.models import Product
from simulator.store import Store
from simulator.store.coupons import Coupon


@dataclass(frozen=True)
class Generated:
    customers: list[int]
    products: list[int]
    orders: list[int]
    #: The coupon generated orders use, when this generation made it.
    coupons: list[int] = field(default_factory=list)

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
        """Every step at once, with the cyclic GC paused throughout.

        The records hold no reference cycles; re-enabling the collector between
        steps would only make it rescan the growing store after every step.
        """
        with _gc_paused():
            for done, total in self.steps():
                if progress is not None:
                    progress(done, total)
            _promote_to_oldest()
        return self.result

    def steps(self) -> Iterator[tuple[int, int]]:
        customers, orders, catalogue_size = self.counts
        store, emit, chunk = self.store, self.emit, self.chunk
        seed = self.seed
        rng = random.Random(
            f"woosim:{seed}:{customers}:{orders}:{self.requested_products}:{self.days}"
        )
        now = store.now()
        builder = RecordBuilder(store, seed, rng, now)
        draw = builder.draw
        start = now - self.days * DAY
        epoch = store.epoch
        done = 0

        with _gc_paused():
            product_times = sorted(
                draw.between(start - 30 * DAY, start) for _ in range(catalogue_size)
            )
            # Orders need something to buy: with no catalogue yet, the first product
            # is always on sale, whatever its 5 % draft draw says.
            need_catalogue = orders > 0 and not _catalogue(store)
            catalog = CatalogBuilder(store, seed)
            for index, moment in enumerate(product_times):
                # one by one: each slug must see the previous ones
                publish = need_catalogue and index == 0
                built = builder.product(moment, publish=publish)
                price = built.regular_price or 0
                catalog.dress(built, sellable=publish)
                product = store.insert_product(built, emit=emit)
                if product.type == "variable":
                    for variation in catalog.variations(product, price):
                        store.variations.insert(variation, emit=emit)
                self.result.products.append(product.id)
            done += catalogue_size
            customer_times = _instants(draw, start, now, customers)
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
                key=_creation,
            )
            pool_times = [c.created for c in pool_customers]
            catalogue = _catalogue(store)
            order_times = _instants(draw, start, now, orders)
            if not catalogue:
                raise ValueError(
                    "orders need published products with a price; generate products first"
                )
            pool_size = min(PROFILES, max(64, orders // 8))
            order_builder = OrderBuilder(builder)
            profiles = order_builder.order_profiles(catalogue, pool_size)
            guests = builder.guests(pool_size)
            coupon = self._coupon(builder, start)
        for first in range(0, orders, chunk):
            self._check(epoch)
            with _gc_paused():
                first_id, rows = order_builder.orders(
                    order_times[first : first + chunk],
                    pool_customers,
                    pool_times,
                    profiles,
                    guests,
                    coupon,
                )
                store.order_table.insert_rows(first_id, rows, emit=emit)
                self.result.orders.extend(range(first_id, first_id + len(rows)))
            done += len(rows)
            yield done, self.total
        # After every order: a refund takes the next post id, so refunds made chunk by
        # chunk would number the orders of the next chunk differently.
        candidates = order_builder.with_history
        for first in range(0, len(candidates), chunk):
            self._check(epoch)
            with _gc_paused():
                add_history(store, candidates[first : first + chunk])
            yield done, self.total

    def _coupon(self, builder: RecordBuilder, start: int) -> Coupon:
        """The coupon generated orders use: the store's own when it has one by that code."""
        store = self.store
        existing = store.coupon_id_by_code(GENERATED_COUPON_RULE.code)
        if existing:
            return store.get_coupon(existing)
        coupon = store.insert_coupon(builder.coupon(start - 30 * DAY), emit=self.emit)
        self.result.coupons.append(coupon.id)
        return coupon

    def _check(self, epoch: int) -> None:
        if self.store.epoch != epoch:
            raise GenerationInterrupted("the store was reset while generating")


#: A customer's place among eligible customers: created, then id (read at C level).
_creation = attrgetter("created", "id")


class GenerationInterrupted(RuntimeError):
    """The store was reset between two steps of a generation."""


def _instants(draw: Draw, start: int, end: int, count: int) -> list[int]:
    """``count`` sorted instants in [start, end] (``draw.between`` inlined: same values).

    The draws are sorted before they are scaled: scaling keeps their order, and
    floats sort faster than instants (ints past 2**30 compare the slow way).
    """
    span = end - start + 1
    draws = list(starmap(draw.random, repeat((), count)))  # count calls, no bytecode each
    draws.sort()
    return [start + floor(r * span) for r in draws]


def _catalogue(store: Store) -> list[Product]:
    return [p for p in store.products.values() if p.status == "publish" and p.price is not None]


def _promote_to_oldest() -> None:
    """Move every object the collector tracks to its oldest generation, without a pass.

    With the collector paused, every record made waits in the youngest
    generation, and the first collection after would walk them all only to
    find them alive: they live as long as the store. ``freeze()`` then
    ``unfreeze()`` moves them to the oldest generation in O(1); full
    collections still scan them as before. Skipped when the process froze
    objects itself (``unfreeze()`` would thaw those too).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


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
