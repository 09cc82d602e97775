"""The flows ``woosim trigger`` runs: what each does, what it takes, and how.

Each flow is what a real WooCommerce 10.0.2 store does when a shop goes through it,
recorded step by step (``fixtures/flows``; facts in ``docs/woocommerce-10.md``,
"Flows"). A flow that acts on an order makes the order it needs when none is given,
the way a shop makes one (a checkout), and reports that separately (``prepared``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from simulator.flows.options import FlowInputError, FlowOptions
from simulator.flows.shop import GUEST, Shop, cents_text
from simulator.models import Order

Run = Callable[[Shop, FlowOptions], None]


@dataclass(frozen=True)
class Flow:
    name: str
    description: str
    #: The options it takes (see :data:`simulator.flows.options.OPTION_HELP`).
    options: tuple[str, ...]
    run: Run
    #: The order statuses it starts from, and the checkout that makes such an order.
    from_statuses: tuple[str, ...] = ()
    prepare_with: str = ""


# ---------------------------------------------------------------------- checkout
def _checkout(shop: Shop, options: FlowOptions) -> None:
    shop.customer_address(options.customer)  # checked before the product may be made
    product = shop.product(options.product, options.quantity)
    shop.report.ids["product"] = product.id
    if options.customer is not None:
        shop.report.ids["customer"] = options.customer
    shop.checkout(product, options.quantity, options.payment_method, options.customer)


# ---------------------------------------------------------------------- order status
def _status_flow(status: str) -> Run:
    def run(shop: Shop, options: FlowOptions) -> None:
        assert options.order is not None  # the trigger made one when none was given
        shop.set_status(shop.order(options.order), status)

    return run


# ---------------------------------------------------------------------- customers
def _signup(shop: Shop, options: FlowOptions) -> None:
    store = shop.store
    email = options.email
    if email is None:
        email = next(
            candidate
            for n in itertools.count(1)
            if store.email_owner(candidate := f"new.customer{n}@example.com") is None
        )
    elif store.email_owner(email) is not None:
        raise FlowInputError("email", f"{email} is already registered")
    local = email.split("@")[0]
    customer = store.create_customer(
        {"email": email, "first_name": local.split(".")[0].capitalize(), "role": "customer"}
    )
    shop.report.ids["customer"] = customer.id
    shop.report.step(f"customer {customer.id} signed up ({email})")


# ---------------------------------------------------------------------- refunds
def _refund_partial(shop: Shop, options: FlowOptions) -> None:
    assert options.order is not None
    order = shop.order(options.order)
    left = shop.store.refund_table.remaining(order)
    amount = options.amount or cents_text(left // 2)
    cents = int(Decimal(amount) * 100)
    if not 0 < cents < left:
        raise FlowInputError(
            "amount",
            f"must be more than 0.00 and less than the {cents_text(left)} left to refund "
            "(refund-full refunds it all)",
        )
    shop.refund(order, amount, lines=False)


def _refund_full(shop: Shop, options: FlowOptions) -> None:
    assert options.order is not None
    order = shop.order(options.order)
    left = shop.store.refund_table.remaining(order)
    if left <= 0:
        raise FlowInputError("order", f"order {order.id} has nothing left to refund")
    # Line by line (restocking what was sold) unless a refund already took part of it.
    shop.refund(order, cents_text(left), lines=not order.refunds)


# ---------------------------------------------------------------------- coupons
def _coupon_checkout(shop: Shop, options: FlowOptions) -> None:
    shop.customer_address(options.customer)
    code = shop.coupon(options.coupon)
    product = shop.product(options.product, options.quantity)
    shop.report.ids["product"] = product.id
    if options.customer is not None:
        shop.report.ids["customer"] = options.customer
    shop.checkout(product, options.quantity, options.payment_method, options.customer, code)


#: How a flow's order is made when none is given, in words (the report's ``prepared``).
PREPARATIONS = {
    "checkout-paid": "a guest checkout paid on delivery (processing)",
    "checkout-on-hold": "a guest checkout by bank transfer (on-hold)",
    "pending-order": "an order the shop made over REST, awaiting payment (pending)",
}

CHECKOUT_OPTIONS = ("customer", "product", "quantity", "payment_method")

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        Flow(
            "checkout-paid",
            "a Store API checkout: draft order, stock held, pending (order.created), "
            "paid with cash on delivery -> processing, stock reduced (product.updated)",
            CHECKOUT_OPTIONS,
            _checkout,
        ),
        Flow(
            "order-completed",
            "the shop completes an order: processing -> completed (date_completed set, "
            "date_paid set for cash on delivery), status note, order.updated",
            ("order",),
            _status_flow("completed"),
            ("processing", "on-hold", "pending"),
            "checkout-paid",
        ),
        Flow(
            "order-cancelled",
            "the shop cancels an order awaiting payment: on-hold -> cancelled, stock put "
            "back (product.updated), status note, order.updated",
            ("order",),
            _status_flow("cancelled"),
            ("on-hold", "pending", "processing"),
            "checkout-on-hold",
        ),
        Flow(
            "payment-failed",
            "the payment of a pending order fails: pending -> failed, status note, order.updated",
            ("order",),
            _status_flow("failed"),
            ("pending", "on-hold"),
            "pending-order",
        ),
        Flow(
            "refund-partial",
            "the shop refunds part of a paid order (REST, no gateway refund): the refund, "
            "no note, the status stays, order.updated",
            ("order", "amount"),
            _refund_partial,
            ("processing", "completed", "on-hold"),
            "checkout-paid",
        ),
        Flow(
            "refund-full",
            "the shop refunds a paid order in full, line by line: stock put back "
            "(product.updated, a note per line), status -> refunded, order.updated",
            ("order",),
            _refund_full,
            ("processing", "completed", "on-hold"),
            "checkout-paid",
        ),
        Flow(
            "coupon-applied",
            "a Store API checkout with a coupon: as checkout-paid, the discount on the "
            "lines and a coupon line; the coupon's usage grows without coupon.updated",
            ("coupon", *CHECKOUT_OPTIONS),
            _coupon_checkout,
        ),
        Flow(
            "customer-signup",
            "a customer signs up: customer.created, then customer.updated (the new user "
            "is saved twice)",
            ("email",),
            _signup,
        ),
    )
}


def needed_order(shop: Shop, flow: Flow, options: FlowOptions) -> Order:
    """The order a flow acts on: the one given (in a status the flow starts from), or one
    made as a shop makes it."""
    if options.order is not None:
        order = shop.order(options.order)
        if order.status not in flow.from_statuses:
            raise FlowInputError(
                "order",
                f"order {order.id} is {order.status}; {flow.name} starts from "
                + " or ".join(flow.from_statuses),
            )
        return order
    product = shop.product(None, 2)
    shop.report.ids["product"] = product.id
    if flow.prepare_with == "pending-order":
        # An order waiting for its payment, made by the shop manager (REST create).
        order = shop.store.create_order(
            {
                "payment_method": "bacs",
                "payment_method_title": "Direct bank transfer",
                "billing": dict(GUEST),
                "line_items": [{"product_id": product.id, "quantity": 2}],
            }
        )
        shop.report.ids["order"] = order.id
        shop.report.step(f"order {order.id}: pending (rest-api, 2 x product {product.id})")
        return order
    method = "bacs" if flow.prepare_with == "checkout-on-hold" else "cod"
    return shop.checkout(product, 2, method, None)
