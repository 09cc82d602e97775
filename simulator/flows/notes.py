"""The order notes only a checkout writes, worded as WooCommerce 10.0.2 words them.

The store writes the rest itself (status changes, stock moves, refunds:
:mod:`simulator.store.notes`). Recorded from a real WooCommerce 10.0.2 store
(``fixtures/flows``); the sources are ``ReserveStock::reserve_stock_for_order()`` (the
stock hold) and the offline gateways' ``process_payment()`` (the text
``update_status()`` puts before the status note).
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.models import Product
from simulator.store.notes import formatted_name

#: What each offline gateway's process_payment() writes before the status note.
GATEWAY_NOTES = {
    "cod": "Payment to be made upon delivery.",
    "bacs": "Awaiting BACS payment",
    "cheque": "Awaiting check payment",
}

#: The Store API holds stock of a checkout for this long (woocommerce_hold_stock_minutes).
HOLD_STOCK_MINUTES = 60
#: The stock-hold note names at most this many products.
HOLD_NOTE_ITEMS = 5


def product_name(product: Product) -> str:
    """WC_Product::get_formatted_name(): ``Name (SKU)``, or ``Name (#id)`` without a SKU."""
    return formatted_name(product.name, product.sku, product.id)


def stock_held(held: Iterable[tuple[Product, int]]) -> str:
    rows = list(held)
    lines = [f"- {product_name(p)} &times; {quantity}" for p, quantity in rows[:HOLD_NOTE_ITEMS]]
    remaining = len(rows) - len(lines)
    if remaining == 1:
        lines.append("- ...and 1 more item.")
    elif remaining > 1:
        lines.append(f"- ... and {remaining} more items.")
    return f"Stock hold of {HOLD_STOCK_MINUTES} minutes applied to: <br>" + "<br>".join(lines)
