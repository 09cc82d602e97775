"""The :class:`Store` facade: one object with every record and every way of changing them.

Each resource keeps its records, indexes and mutations in its own table
(``customers.py``, ``products.py``, ``orders.py``); the facade builds them on
one :class:`~simulator.store.core.StoreCore` and names their operations the way
callers know them (``store.create_order``, ``store.orders``).
"""

from __future__ import annotations

from simulator.clock import Clock
from simulator.events import EventBus
from simulator.settings import Settings
from simulator.store.core import ADMIN_USER_ID, StoreCore
from simulator.store.coupons import CouponTable
from simulator.store.customers import CustomerTable
from simulator.store.notes import NoteTable
from simulator.store.orders import OrderTable
from simulator.store.products import ProductTable
from simulator.store.refunds import Refund, RefundTable
from simulator.store.variations import VariationTable


class Store(StoreCore):
    """All the records of one fake store, and every way of changing them."""

    def __init__(self, settings: Settings, clock: Clock, bus: EventBus) -> None:
        super().__init__(settings, clock, bus)
        #: Changes on every reset: a generation running in steps checks it.
        self.epoch = 0
        self.customer_table = CustomerTable(self)
        self.product_table = ProductTable(self, self._invalidate_orders_with)
        self.coupon_table = CouponTable(self)
        self.variations = self.product_table.variations = VariationTable(self, self.product_table)
        self.terms = self.product_table.terms
        self.note_table = NoteTable(self)
        self.order_table = OrderTable(
            self, self.customer_table, self.product_table, self.coupon_table, self.note_table
        )
        self.refund_table = RefundTable(self, self.order_table, self.product_table, self.note_table)
        self.order_table.refunds = self.refund_table

        # The records, by id (read freely; change them through the operations below).
        self.customers = self.customer_table.records
        self.products = self.product_table.records
        self.categories = self.product_table.categories
        self.product_dates = self.product_table.dates
        self.orders = self.order_table.records
        self.order_dates = self.order_table.dates
        self.coupons = self.coupon_table.records
        self.notes = self.note_table

        # The operations, bound once here (no per-call forwarding on the hot paths).
        customers, products, orders = self.customer_table, self.product_table, self.order_table
        self.get_customer = customers.get
        self.email_owner = customers.email_owner
        self.username_owner = customers.username_owner
        self.create_customer = customers.create
        self.insert_customer = customers.insert
        self.update_customer = customers.update
        self.delete_customer = customers.delete
        self.query_customers = customers.query

        self.get_product = products.get
        self.unique_slug = products.unique_slug
        self.create_product = products.create
        self.insert_product = products.insert
        self.update_product = products.update
        self.trash_product = products.trash
        self.restore_product = products.restore
        self.delete_product = products.delete
        self.query_products = products.query

        self.get_order = orders.get
        self.orders_of_customer = orders.of_customer
        self.create_order = orders.create
        self.insert_order = orders.insert
        self.insert_orders = orders.insert_many
        self.update_order = orders.update
        self.trash_order = orders.trash
        self.restore_order = orders.restore
        self.delete_order = orders.delete
        self.query_orders = orders.query

        coupons = self.coupon_table
        self.get_coupon = coupons.get
        self.coupon_id_by_code = coupons.id_by_code
        self.create_coupon = coupons.create
        self.insert_coupon = coupons.insert
        self.update_coupon = coupons.update
        self.trash_coupon = coupons.trash
        self.delete_coupon = coupons.delete
        self.query_coupons = coupons.query
        self.add_note = self.note_table.add
        self.create_refund = self.refund_table.create
        self.delete_refund = self.refund_table.delete

        customers.create_admin()

    @property
    def refunds(self) -> dict[int, Refund]:
        """Every refund by id (read freely; change them through ``refund_table``)."""
        return self.refund_table.records

    def _invalidate_orders_with(self, product_id: int) -> None:
        self.order_table.invalidate_with(product_id)

    def reset(self) -> None:
        """Empty the store; the administrator (owner of the API keys) stays."""
        admin = self.customers[ADMIN_USER_ID]
        epoch = self.epoch + 1
        changes = self.changes + 1
        neutral = self.customer_neutral_changes
        self.__init__(self.settings, self.clock, self.bus)  # type: ignore[misc]
        self.epoch = epoch
        self.customer_neutral_changes = neutral
        self.changes = changes
        admin.cached = None
        self.customers[ADMIN_USER_ID] = admin

    def invalidate_rendering(self) -> None:
        """Drop every cached rendering (the site URL changed)."""
        self.changes += 1
        for records in (
            self.customers.values(),
            self.order_table.records.made_orders(),  # an order not made has no rendering
            self.products.values(),
            self.coupons.values(),
            self.variations.records.values(),
        ):
            for record in records:
                record.cached = None
