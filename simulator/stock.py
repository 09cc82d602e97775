"""Which order statuses move stock and sales, and the action hooks a status change fires.

As a real WooCommerce 10.0.2 store does it (wc-stock-functions.php and
WC_Order::status_transition()): stock is reduced once an order reaches on-hold,
processing or completed (each line item records what it took as ``_reduced_stock``
meta), and put back when it goes to cancelled or pending; ``total_sales`` counts an
order once when it reaches one of those statuses and forgets it when the order is
cancelled, trashed or deleted. No I/O, no store state: the store applies these.
"""

from __future__ import annotations

from collections.abc import Iterable

#: wc_maybe_reduce_stock_levels() and wc_update_total_sales_counts() hook these statuses.
REDUCING_STATUSES = frozenset({"on-hold", "processing", "completed"})
#: wc_maybe_increase_stock_levels() hooks these.
RESTORING_STATUSES = frozenset({"cancelled", "pending"})
#: The total_sales count of an order is taken back on these (and on trash and delete).
UNCOUNTING_STATUSES = frozenset({"cancelled"})
#: The line-item meta that says how many units the order took from stock.
REDUCED_STOCK_KEY = "_reduced_stock"


def status_hooks(before: str, after: str) -> tuple[str, ...]:
    """The id-argument actions WC_Order::status_transition() fires, in order."""
    # A change to refunded also refunds what is left: that refund fires its own
    # actions (woocommerce_order_fully_refunded, ...), see simulator.store.refunds.
    return (
        f"woocommerce_order_status_{after}",
        f"woocommerce_order_status_{before}_to_{after}",
        "woocommerce_order_status_changed",
    )


def stock_status_for(quantity: int) -> str:
    """wc_update_product_stock_status() for a stock-managed product without backorders."""
    return "instock" if quantity > 0 else "outofstock"


def variable_stock_status(child_statuses: Iterable[str]) -> str:
    """WC_Product_Variable's sync_stock_status(): in stock if any child is, else on
    backorder if any child is, else out of stock — also with no children at all."""
    statuses = set(child_statuses)
    return next((s for s in ("instock", "onbackorder") if s in statuses), "outofstock")


__all__ = [
    "REDUCED_STOCK_KEY",
    "REDUCING_STATUSES",
    "RESTORING_STATUSES",
    "UNCOUNTING_STATUSES",
    "status_hooks",
    "stock_status_for",
    "variable_stock_status",
]
