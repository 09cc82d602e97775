"""Meta data entries: ``{id, key, value}``, and the display form order items add."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import ANY, INTEGER, STRING

#: A record's meta entry; a request's entry needs a key (an id alone updates by id).
META = Declaration(
    "MetaData",
    (
        Field("id", INTEGER, writable=True),
        Field("key", STRING, writable=True, required=True),
        Field("value", ANY, writable=True),
    ),
    shared=True,
)

#: An order item's meta entry, with WooCommerce's display forms of key and value.
ITEM_META = Declaration(
    "ItemMetaData",
    (
        Field("id", INTEGER, writable=True),
        Field("key", STRING, writable=True, required=True),
        Field("value", ANY, writable=True),
        Field("display_key", STRING),
        Field("display_value", ANY),
    ),
)
