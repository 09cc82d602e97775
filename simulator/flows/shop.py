"""The steps flows are made of, each done as the real store does it, on the store.

A step changes the store through its own methods, so every write fires the hooks,
events and notes any other write fires (the store writes the status, stock and refund
notes itself); a step adds only what no other write does (the stock hold of a
checkout, a gateway's words before the status note). A real WooCommerce 10.0.2
store's Store API checkout, step by step:

1. the cart becomes a draft order (``checkout-draft``, created via ``store-api``): the
   draft's saves fire ``woocommerce_update_order`` only (no new-order hook for drafts);
   a logged-in customer's addresses are saved from the form (``customer.updated``);
2. the stock of stock-managed products is held (note ``Stock hold of 60 minutes ...``);
3. the draft becomes ``pending``: the store fires ``woocommerce_new_order`` now
   (note ``Order status changed from Draft to Pending payment.``);
4. the gateway takes the payment: cash on delivery moves the order to ``processing``
   (``on-hold`` with downloadable items), bank transfer and cheque to ``on-hold``; the
   status actions reduce the stock (note ``Stock levels reduced: ...``, the product is
   saved) before the status note is written (``<gateway's note> Order status changed
   from Pending payment to Processing.``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.errors import RestError
from simulator.flows.notes import GATEWAY_NOTES, product_name, stock_held
from simulator.flows.options import FlowInputError
from simulator.flows.report import FlowReport
from simulator.models import Order, Product

if TYPE_CHECKING:
    from simulator.store import Store

#: Who buys when no customer is given (a guest checkout).
GUEST: dict[str, str] = {
    "first_name": "Jo",
    "last_name": "Shopper",
    "address_1": "1 Main St",
    "city": "New York",
    "state": "NY",
    "postcode": "10001",
    "country": "US",
    "email": "jo.shopper@example.com",
    "phone": "555-0100",
}
#: The product a flow sells when the store has none with a price.
DEFAULT_PRODUCT: dict[str, Any] = {
    "name": "Flow widget",
    "sku": "flow-widget",
    "regular_price": "10.00",
    "manage_stock": True,
    "stock_quantity": 100,
}
#: The coupon a coupon flow applies when none is named.
DEFAULT_COUPON: dict[str, Any] = {"code": "flow10", "discount_type": "percent", "amount": "10"}
GATEWAY_TITLES = {
    "cod": "Cash on delivery",
    "bacs": "Direct bank transfer",
    "cheque": "Check payments",
}


@dataclass
class Shop:
    store: Store
    report: FlowReport

    # ------------------------------------------------------------------ lookups
    def order(self, order_id: int, field: str = "order") -> Order:
        order = self.store.orders.get(order_id)
        if order is None or order.status == "trash":
            raise FlowInputError(field, f"no order {order_id} in the store")
        return order

    def customer_address(
        self, customer_id: int | None
    ) -> tuple[int, dict[str, str], dict[str, str]]:
        if customer_id is None:
            shipping = {k: v for k, v in GUEST.items() if k != "email"}
            return 0, dict(GUEST), shipping
        customer = self.store.customers.get(customer_id)
        if customer is None:
            raise FlowInputError("customer", f"no customer {customer_id} in the store")
        # The checkout form starts from the customer's saved addresses; an empty one is
        # filled in as a shopper would (their name, the guest's street).
        billing = customer.billing._asdict()
        if not billing["address_1"]:
            billing = {**GUEST, "first_name": customer.first_name, "last_name": customer.last_name}
            billing["email"] = customer.email
        billing["email"] = billing["email"] or customer.email
        shipping = customer.shipping._asdict()
        if not shipping["address_1"]:
            shipping = {k: v for k, v in billing.items() if k != "email"}
        return customer.id, billing, shipping

    def product(self, product_id: int | None, quantity: int) -> Product:
        if product_id is not None:
            product = self.store.products.get(product_id)
            if product is None or product.status == "trash":
                raise FlowInputError("product", f"no product {product_id} in the store")
            if product.price is None:
                raise FlowInputError(
                    "product", f"product {product_id} has no price: it cannot be bought"
                )
        else:
            product = next(
                (
                    p
                    for p in sorted(self.store.products.values(), key=lambda p: p.id)
                    if p.status == "publish"
                    and p.price is not None
                    and p.type == "simple"
                    and _in_stock(p, quantity)
                ),
                None,
            )
            if product is None:
                product = self.store.create_product(DEFAULT_PRODUCT)
                self.report.step(f"created product {product.id} ({product_name(product)})")
        if not _in_stock(product, quantity):
            raise FlowInputError(
                "quantity",
                f"product {product.id} has {product.stock_quantity} in stock, not {quantity}",
            )
        return product

    def coupon(self, code: str | None) -> str:
        """The coupon a checkout applies: the one named, or a 10 % coupon made for it."""
        store = self.store
        if code is not None:
            if not store.coupon_id_by_code(code):
                raise FlowInputError("coupon", f"no coupon {code!r} in the store")
            return code
        if not store.coupon_id_by_code(DEFAULT_COUPON["code"]):
            made = store.create_coupon(DEFAULT_COUPON)
            self.report.step(f"created coupon {made.id} ({made.code}: 10 % off)")
        return str(DEFAULT_COUPON["code"])

    # ------------------------------------------------------------------ steps
    def refund(self, order: Order, amount: str, *, lines: bool) -> None:
        """``POST orders/{id}/refunds`` as the shop sends it: no gateway refund (the
        offline gateways cannot), restocking what the lines name (the REST default)."""
        line_items = [
            {"id": item.id, "quantity": item.quantity, "refund_total": cents_text(item.total)}
            for item in order.line_items
        ]
        try:
            refund = self.store.create_refund(
                order.id,
                amount=amount,
                reason="Refund requested",
                line_items=line_items if lines else None,
                refund_payment=False,
                restock=True,
            )
        except RestError as error:
            raise FlowInputError("amount", error.message) from None
        self.report.ids["refund"] = refund.id
        self.report.step(f"refund {refund.id}: {amount} of order {order.id} -> {order.status}")

    def set_status(self, order: Order, status: str, gateway_note: str = "") -> None:
        """``$order->update_status($status, $note)``: the store moves the stock, then
        writes the status note (the gateway's words first)."""
        before = order.status
        self.store.update_order(order.id, {"status": status}, status_note=gateway_note)
        self.report.step(f"order {order.id}: {before} -> {status}")

    def checkout(
        self,
        product: Product,
        quantity: int,
        payment_method: str,
        customer_id: int | None,
        coupon: str = "",
    ) -> Order:
        """A Store API checkout, step by step (see the module's docstring)."""
        buyer, billing, shipping = self.customer_address(customer_id)
        try:
            order = self.store.create_order(
                {
                    "customer_id": buyer,
                    "billing": billing,
                    "shipping": shipping,
                    "payment_method": payment_method,
                    "payment_method_title": GATEWAY_TITLES[payment_method],
                    "line_items": [{"product_id": product.id, "quantity": quantity}],
                    **({"coupon_lines": [{"code": coupon}]} if coupon else {}),
                },
                created_via="store-api",
                as_draft=True,
            )
        except RestError as error:
            raise FlowInputError("coupon" if coupon else "product", error.message) from None
        self.report.ids["order"] = order.id
        self.report.step(
            f"order {order.id}: checkout-draft (store-api, {quantity} x product {product.id})"
        )
        if buyer:
            # The Store API saves a logged-in customer's addresses from the checkout form
            # (recorded: customer.updated between the draft's order.updated and order.created).
            self.store.update_customer(buyer, {"billing": billing, "shipping": shipping})
            self.report.step(f"customer {buyer}: addresses saved from the checkout")
        if product.manage_stock and product.stock_quantity is not None:
            self.store.notes.add(order.id, stock_held([(product, quantity)]))
        self.set_status(order, "pending")
        downloadable = product.downloadable
        paid_status = "on-hold" if payment_method != "cod" or downloadable else "processing"
        self.set_status(order, paid_status, GATEWAY_NOTES[payment_method])
        return order


def cents_text(cents: int) -> str:
    """An amount in cents as WooCommerce writes money: ``"20.00"``, ``"-5.50"``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _in_stock(product: Product, quantity: int) -> bool:
    if not product.manage_stock or product.stock_quantity is None:
        return product.stock_status != "outofstock"
    return product.stock_quantity >= quantity
