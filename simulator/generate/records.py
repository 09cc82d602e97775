"""Records assembled from the pools with one seeded stream: customers, products,
the coupon, guests' addresses (orders: :mod:`simulator.generate.order_records`).

Same pools and the same stream give the same records, byte for byte.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from math import floor
from typing import TypeVar

from simulator.generate.pools import address_parts, pools
from simulator.generate.vocabulary import (
    ADJECTIVES,
    CATEGORIES,
    DAY,
    EMAIL_DOMAINS,
    GENERATED_COUPON_RULE,
    MATERIALS,
    NOUNS,
)
from simulator.models import Address, Customer, Product
from simulator.store import Store
from simulator.store.coupons import Coupon

T = TypeVar("T")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class Draw:
    """Fast seeded draws: ``random()`` is one C call, ``Random.choice`` a dozen Python ones.

    A draw scaled to an index or a count is cut with ``math.floor``, here and in every
    generator: the same integer as ``int()`` for these non-negative values, and a plain
    function call where ``int()`` goes through its type's constructor (about three times dearer,
    and the generators cut several draws per record).
    """

    __slots__ = ("bits", "random")

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random
        self.bits = rng.getrandbits

    def pick(self, values: Sequence[T]) -> T:
        return values[floor(self.random() * len(values))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + floor(self.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        return self.random() < probability


def generated_coupon(store: Store, created: int) -> Coupon:
    """The shop's coupon generated orders use: 10 % off, created at ``created``."""
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


class RecordBuilder:
    """Assembles records from the pools; every random value comes from one seeded stream."""

    def __init__(self, store: Store, seed: str, rng: random.Random, now: int) -> None:
        self.store = store
        self.pools = pools(seed)
        self.draw = Draw(rng)
        self.now = now
        self.currency = store.settings.currency
        self.version = store.settings.wc_version
        self._ascii_names: dict[str, str] = {}
        self._streets, self._places = address_parts(seed)

    def address(self, first: str, last: str, email: str) -> Address:
        # Three draws: a street (with company and second line), a locality, a phone.
        random_ = self.draw.random
        streets, places, phones = self._streets, self._places, self.pools.phones
        return Address(
            first,
            last,
            *streets[floor(random_() * len(streets))],
            *places[floor(random_() * len(places))],
            email,
            phones[floor(random_() * len(phones))],
        )

    def person(self) -> tuple[str, str]:
        return self.draw.pick(self.pools.first_names), self.draw.pick(self.pools.last_names)

    def customer(self, created: int) -> Customer:
        store, random_ = self.store, self.draw.random
        p = self.pools
        first = p.first_names[floor(random_() * len(p.first_names))]
        last = p.last_names[floor(random_() * len(p.last_names))]
        base = f"{self._ascii_name(first)}.{self._ascii_name(last)}"
        domain = EMAIL_DOMAINS[floor(random_() * 3)]
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
        modified = created + floor(random_() * (30 * DAY + 1))
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
        noun, category_id = draw.pick(NOUNS)
        name = f"{draw.pick(ADJECTIVES)} {draw.pick(MATERIALS)} {noun}"
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

    def coupon(self, created: int) -> Coupon:
        """The shop's coupon generated orders use: 10 % off, published a while ago."""
        return generated_coupon(self.store, created)

    def guests(self, count: int) -> list[tuple[Address, Address]]:
        """Billing and shipping addresses of ``count`` guests (shoppers without an account).

        Guest orders draw from these, so a guest may come back, as they do.
        """
        # guest_addresses() inlined (the same draws in the same order): a pool is
        # drawn per generation, so its cost counts in every order of a small run.
        random_ = self.draw.random
        p = self.pools
        first_names, last_names, phones = p.first_names, p.last_names, p.phones
        streets, places = self._streets, self._places
        ascii_name = self._ascii_name
        guests: list[tuple[Address, Address]] = []
        for _ in range(count):
            first = first_names[floor(random_() * len(first_names))]
            last = last_names[floor(random_() * len(last_names))]
            email = (
                f"{ascii_name(first)}.{ascii_name(last)}{1 + floor(random_() * 999)}"
                f"@{EMAIL_DOMAINS[floor(random_() * 3)]}"
            )
            street = streets[floor(random_() * len(streets))]
            place = places[floor(random_() * len(places))]
            phone = phones[floor(random_() * len(phones))]
            guests.append(
                (
                    Address(first, last, *street, *place, email, phone),
                    Address(first, last, *street, *place, "", phone),  # no e-mail on shipping
                )
            )
        return guests

    def guest_addresses(self) -> tuple[Address, Address]:
        """Billing and shipping addresses of a guest order (no account, a one-off e-mail)."""
        random_ = self.draw.random
        first, last = self.person()
        email = (
            f"{self._ascii_name(first)}.{self._ascii_name(last)}{1 + floor(random_() * 999)}"
            f"@{EMAIL_DOMAINS[floor(random_() * 3)]}"
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
