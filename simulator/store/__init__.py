"""The store's state: customers, products, orders, their indexes and their events.

The store knows nothing of HTTP. It validates references it owns (a product id
in a line item, a duplicate email), raises :class:`~simulator.errors.RestError`
in WooCommerce's words when it says no, and emits a
:class:`~simulator.events.StoreEvent` on the bus for every change, whichever
path made it.

One module, one job:

- ``core.py`` — what every resource shares: settings, clock and wall time, the id
  sequences, events and action hooks, meta rows, tax.
- ``customers.py``, ``products.py``, ``orders.py``, ``coupons.py`` — one table per
  resource: its records, its own indexes and every change to it. A new resource
  (refunds, notes...) is a new table module here, built and exposed in ``store.py``.
- ``coupon_lines.py`` — coupons on orders: checking a code, applying and removing
  coupon lines, usage counts (the arithmetic is ``simulator/discounts.py``).
- ``terms.py`` — product categories and tags (the product table owns it);
  ``variations.py`` — variations, posts kept apart from the product list;
  ``attributes.py`` — a product's custom attributes as written.
- ``indexes.py`` — the sorted date indexes; ``queries.py`` — list filtering,
  sorting and paging; ``money.py`` — amounts in cents and tax; ``slugs.py`` —
  WordPress slugs.
- ``store.py`` — the :class:`Store` facade that builds the tables and names their
  operations.
"""

from simulator.store.core import ADMIN_USER_ID, FIRST_POST_ID, StoreCore
from simulator.store.indexes import DateIndexes, SortedIndex
from simulator.store.money import money
from simulator.store.orders import MAX_LINE_ITEMS, check_line_item_count, too_many_line_items
from simulator.store.products import UNCATEGORIZED
from simulator.store.queries import CustomerQuery, DateFilter, PostQuery
from simulator.store.slugs import UNSLUGGED_STATUSES, sanitize_title
from simulator.store.store import Store

__all__ = [
    "ADMIN_USER_ID",
    "FIRST_POST_ID",
    "MAX_LINE_ITEMS",
    "UNCATEGORIZED",
    "UNSLUGGED_STATUSES",
    "CustomerQuery",
    "DateFilter",
    "DateIndexes",
    "PostQuery",
    "SortedIndex",
    "Store",
    "StoreCore",
    "check_line_item_count",
    "money",
    "sanitize_title",
    "too_many_line_items",
]
