"""A refund, as WC_REST_Order_Refunds_Controller (and the top-level refunds list) render
and accept it."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.meta import META
from simulator.resources.schema import (
    BOOLEAN,
    DATE,
    INTEGER,
    MONEY,
    STRING,
    links,
    write_only,
)

#: The lines to refund, ``[{id, quantity, refund_total, refund_tax}]``: the real store
#: registers line_items read-only, so WordPress checks nothing of them (a list of
#: anything is taken; what it cannot read refunds no line).
REFUND_LINES_INPUT = {
    "description": "[{id, quantity, refund_total, refund_tax}]: the order items to refund.",
}
#: The lines of a refund render like an order's (negative quantities and totals).
LINES = {"type": "array", "items": {"type": "object"}}


def _refund(title: str, *, top: bool) -> Declaration:
    parent = (Field("parent_id", INTEGER),) if top else ()
    return Declaration(
        title,
        (
            Field("id", INTEGER),
            *parent,
            Field("date_created", DATE),
            Field("date_created_gmt", DATE),
            Field(
                "amount",
                MONEY,
                writable="create",
                input={
                    "type": "string",
                    "description": "Refund amount; else the sum of the lines' refund_total.",
                },
            ),
            Field("reason", STRING, writable="create"),
            Field("refunded_by", INTEGER, writable="create"),
            Field("refunded_payment", BOOLEAN),
            Field("meta_data", shape=META, many=True, writable="create"),
            Field(
                "line_items",
                LINES,
                writable="create",
                input=REFUND_LINES_INPUT,
            ),
            Field("shipping_lines", LINES),
            Field("tax_lines", LINES),
            Field("fee_lines", LINES),
            Field(
                "api_refund",
                writable="create",
                input=write_only(
                    {"type": "boolean", "default": True},
                    "Refund through the order's payment gateway (a 500 when it cannot).",
                ),
            ),
            Field(
                "api_restock",
                writable="create",
                input=write_only(
                    {"type": "boolean", "default": True}, "Put the refunded quantities back."
                ),
            ),
            Field("_links", links("self", "collection", "up")),
        ),
    )


REFUND = _refund("Refund", top=False)
#: The top-level list names the parent order after the id.
TOP_REFUND = _refund("TopRefund", top=True)
