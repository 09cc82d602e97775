"""Faker sampled once per seed into immutable pools, and whole address parts drawn from them.

Everything a record is built from; sampling Faker per record would be far slower.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import floor

from faker import Faker


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


#: Size of each pool of address parts (see :func:`address_parts`).
ADDRESS_PARTS = 4096


@lru_cache(maxsize=8)
def address_parts(
    seed: str,
) -> tuple[tuple[tuple[str, str, str], ...], tuple[tuple[str, str, str, str], ...]]:
    """Whole address parts drawn once per seed: streets and localities.

    A street is (company, address 1, address 2), a locality (city, state,
    postcode, country); an address is one of each (4096 x 4096 pairs), so
    building one costs two draws instead of eight.
    """
    p = pools(seed)
    random_ = random.Random(f"woosim-addresses:{seed}").random

    def pick(values: Sequence[str]) -> str:
        return values[floor(random_() * len(values))]

    streets = tuple(
        (
            pick(p.companies) if random_() < 0.12 else "",
            pick(p.streets),
            pick(p.secondary) if random_() < 0.15 else "",
        )
        for _ in range(ADDRESS_PARTS)
    )
    places = tuple(
        (pick(p.cities), pick(p.states), pick(p.postcodes), "US") for _ in range(ADDRESS_PARTS)
    )
    return streets, places
