"""The order notes a flow's steps write, worded as WooCommerce 10.0.2 words them.

Recorded from a real WooCommerce 10.0.2 store (``fixtures/flows``); the sources are
``WC_Order::status_transition()`` (the status note, after the status actions, so after
the stock notes), ``ReserveStock::reserve_stock_for_order()`` (the stock hold),
``wc_reduce_stock_levels()`` / ``wc_increase_stock_levels()`` and the offline gateways'
``process_payment()`` (the text put before the status note).
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.models import Product

#: wc_get_order_statuses(): the names a status note uses.
STATUS_NAMES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}

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


def formatted_name(product: Product) -> str:
    """WC_Product::get_formatted_name(): ``Name (SKU)``, or ``Name (#id)`` without a SKU."""
    identifier = product.sku or f"#{product.id}"
    return f"{product.name} ({identifier})"


def status_changed(before: str, after: str, prefix: str = "") -> str:
    """The note WC_Order::status_transition() writes; ``prefix`` is update_status()'s note."""
    note = (
        f"Order status changed from {STATUS_NAMES.get(before, before)} "
        f"to {STATUS_NAMES.get(after, after)}."
    )
    return f"{prefix} {note}" if prefix else note


def stock_held(held: Iterable[tuple[Product, int]]) -> str:
    rows = list(held)
    lines = [f"- {formatted_name(p)} &times; {quantity}" for p, quantity in rows[:HOLD_NOTE_ITEMS]]
    remaining = len(rows) - len(lines)
    if remaining > 0:
        lines.append(
            f"- ...and {remaining} more item."
            if remaining == 1
            else f"- ... and {remaining} more items."
        )
    return f"Stock hold of {HOLD_STOCK_MINUTES} minutes applied to: <br>" + "<br>".join(lines)


def stock_moved(changes: Iterable[tuple[Product, int, int]], *, reduced: bool) -> str:
    """``Stock levels reduced: Name (SKU) 20&rarr;18, ...`` (or ``increased``)."""
    listed = ", ".join(f"{formatted_name(p)} {old}&rarr;{new}" for p, old, new in changes)
    return f"Stock levels {'reduced' if reduced else 'increased'}: {listed}"


def item_restocked(product_id: int, old: int, new: int) -> str:
    """What a refund that restocks its items writes per product (by the product's id)."""
    return f"Item #{product_id} stock increased from {old} to {new}."
