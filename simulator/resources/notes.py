"""An order note, as WC_REST_Order_Notes_Controller renders and accepts it."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import BOOLEAN, DATE, INTEGER, STRING, links, write_only

NOTE = Declaration(
    "OrderNote",
    (
        Field("id", INTEGER),
        Field("author", STRING),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("note", STRING, writable=True, required=True),
        Field("customer_note", BOOLEAN, writable=True),
        Field(
            "added_by_user",
            writable=True,
            input=write_only(BOOLEAN, "Attribute the note to the key's user, not the system."),
        ),
        Field("_links", links("self", "collection", "up")),
    ),
)
