"""Deterministic demo data: customers, a product catalogue and orders over a past window.

Faker is sampled once per seed into pools (names, streets, cities...) and every
record is then assembled from the pools with a seeded :class:`random.Random`,
which is what makes large runs fast. Same seed, same options and the same
clock give byte-identical records.

Orders are spread over the window ending at the store's "now"; each keeps
created <= paid <= completed <= modified <= now, some are guest orders, and the
status mix leans on completed orders like a real shop's history; a share of
orders carries the store's notes and refunds (``history``).

The package: ``pools`` (Faker sampled once per seed), ``vocabulary`` (the shop's
fixed names, methods and weights), ``records`` (customers, products, the coupon
and guests assembled from the pools), ``order_records`` (order profiles and
orders), ``history`` (notes and refunds), ``generation`` (counts, window and
steps) and ``progress`` (the terminal bar).
"""

from simulator.generate.generation import (
    CHUNK,
    Generated,
    Generation,
    GenerationInterrupted,
    Progress,
    generate,
    generate_async,
)
from simulator.generate.pools import ADDRESS_PARTS, Pools, address_parts, pools
from simulator.generate.progress import ProgressBar
from simulator.generate.vocabulary import DAY, PAYMENT_METHODS, SHIPPING_METHODS, STATUS_WEIGHTS

__all__ = [
    "ADDRESS_PARTS",
    "CHUNK",
    "DAY",
    "PAYMENT_METHODS",
    "SHIPPING_METHODS",
    "STATUS_WEIGHTS",
    "Generated",
    "Generation",
    "GenerationInterrupted",
    "Pools",
    "Progress",
    "ProgressBar",
    "address_parts",
    "generate",
    "generate_async",
    "pools",
]
