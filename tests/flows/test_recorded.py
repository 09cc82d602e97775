"""Each flow the fake runs does what a real WooCommerce 10.0.2 store did, step for step.

The recordings (``fixtures/flows/<name>.json``, made by ``python -m tests.flows.record``)
hold what the real store did when a shop went through the flow: the webhook deliveries
in the order its queue sent them and what each body said, the order's notes, the stock,
the order or customer at the end. Here the fake starts from the same store (the same
product, one webhook per topic, the same order to act on, made the same way), runs the
flow with ``woosim.trigger`` and must give the same facts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_woosim.harness.webhook_receiver import WebhookReceiver

from .sequence import (
    BUYER,
    COUPON,
    PRODUCT,
    SIGNUP,
    TOPICS,
    body_facts,
    delivery_facts,
    load_recording,
    note_facts,
    stock_facts,
)

pytestmark = pytest.mark.woosim


@dataclass(frozen=True)
class Case:
    """How the recording started a flow, and how the fake is asked to run it."""

    #: The flow ``woosim.trigger`` runs (a recording may be a variant of one).
    flow: str
    #: How the order it acts on was made: a checkout's trigger options, or "rest".
    order: dict[str, Any] | str | None = None
    #: The options of the flow itself; "product" and "customer" stand for the ids.
    options: dict[str, Any] = field(default_factory=dict)
    customer: bool = False
    coupon: bool = False


CHECKOUT_COD = {"quantity": 2, "payment_method": "cod"}
CASES = {
    "checkout-paid": Case("checkout-paid", options={"product": 0, "quantity": 2}),
    "checkout-paid-customer": Case(
        "checkout-paid", options={"product": 0, "quantity": 2, "customer": 0}, customer=True
    ),
    "checkout-bacs": Case(
        "checkout-paid", options={"product": 0, "quantity": 3, "payment_method": "bacs"}
    ),
    "checkout-cheque": Case(
        "checkout-paid", options={"product": 0, "quantity": 1, "payment_method": "cheque"}
    ),
    "order-completed": Case("order-completed", order=CHECKOUT_COD),
    "order-completed-customer": Case(
        "order-completed", order={**CHECKOUT_COD, "customer": 0}, customer=True
    ),
    "order-cancelled": Case("order-cancelled", order={"quantity": 3, "payment_method": "bacs"}),
    "payment-failed": Case("payment-failed", order="rest"),
    "customer-signup": Case("customer-signup", options={"email": SIGNUP["email"]}),
    "refund-partial": Case("refund-partial", order=CHECKOUT_COD, options={"amount": "5.00"}),
    "refund-full": Case("refund-full", order=CHECKOUT_COD),
    "coupon-applied": Case(
        "coupon-applied",
        options={"product": 0, "quantity": 2, "coupon": COUPON["code"]},
        coupon=True,
    ),
}


def _settled(woosim: Any, receiver: WebhookReceiver, count: int) -> list[Any]:
    """Wait for ``count`` deliveries in all, then for the store's queue to be empty.

    A queue still busy at the deadline fails here: going on would compare deliveries
    that are still on their way (the mark of a flow's first delivery taken too early).
    """
    received = receiver.wait_for_deliveries(count)
    deadline = time.monotonic() + 10
    while pending := woosim.control.get("webhooks/queue").json()["pending"]:
        if time.monotonic() > deadline:
            pytest.fail(f"the webhook queue still has {pending} pending after 10s")
        time.sleep(0.01)  # polling the queue, with the deadline above
    return receiver.deliveries if len(receiver.deliveries) > len(received) else received


def _order(woosim: Any, how: dict[str, Any] | str | None, product_id: int, customer_id: int) -> int:
    if how is None:
        return 0
    if how == "rest":
        order = woosim.create_order(
            payment_method="bacs",
            payment_method_title="Direct bank transfer",
            billing=BUYER,
            line_items=[{"product_id": product_id, "quantity": 2}],
        )
        return int(order["id"])
    assert isinstance(how, dict)
    options = {**how, "customer": customer_id} if "customer" in how else how
    return int(woosim.trigger("checkout-paid", product=product_id, **options)["order"])


def _notes(woosim: Any, order_id: int) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = woosim.client.get(f"orders/{order_id}/notes").json()
    return notes


@pytest.mark.parametrize("name", list(CASES))
def test_the_flow_does_what_the_real_store_did(
    woosim: Any, woosim_webhook_receiver: WebhookReceiver, name: str
) -> None:
    case, recording = CASES[name], load_recording(name)
    product = woosim.client.post("products", json=PRODUCT).json()
    for topic in TOPICS:
        woosim.create_webhook(topic, woosim_webhook_receiver.url, secret="flows")
    customer = woosim.create_customer(**SIGNUP) if case.customer else None
    coupon = woosim.client.post("coupons", json=COUPON).json() if case.coupon else None
    order_id = _order(woosim, case.order, product["id"], customer["id"] if customer else 0)
    roles = {product["id"]: "product"}
    if customer is not None:
        roles[customer["id"]] = "customer"
    if coupon is not None:
        roles[coupon["id"]] = "coupon"
    mark = len(_settled(woosim, woosim_webhook_receiver, len(woosim_webhook_receiver.deliveries)))
    before = woosim.client.get(f"products/{product['id']}").json()
    notes_before = {note["id"] for note in _notes(woosim, order_id)} if order_id else set()

    options = dict(case.options)
    if "product" in options:
        options["product"] = product["id"]
    if "customer" in options and customer is not None:
        options["customer"] = customer["id"]
    if order_id:
        options["order"] = order_id
    report = woosim.trigger(case.flow, **options)

    for role in ("order", "customer", "refund"):
        if role in report:
            roles[report[role]] = role
    deliveries = _settled(woosim, woosim_webhook_receiver, mark + len(report["webhooks"]))
    got = [delivery_facts(d.topic or "", d.body, roles) for d in deliveries[mark:]]
    assert got == recording["webhooks"]
    after = woosim.client.get(f"products/{product['id']}").json()
    assert stock_facts(before, after) == recording["stock"]
    if "order" in recording:
        order = woosim.client.get(f"orders/{report['order']}").json()
        assert body_facts("order", order) == recording["order"]
        written = [n for n in _notes(woosim, order["id"]) if n["id"] not in notes_before]
        assert note_facts(written, roles) == recording["notes"]
        answered = [{"id": n, **note} for n, note in enumerate(report["notes"])]
        assert note_facts(answered, roles) == recording["notes"]  # what the trigger said
    if "customer" in recording:
        customer_id = report.get("customer") or (customer or {}).get("id")
        customer = woosim.client.get(f"customers/{customer_id}").json()
        assert body_facts("customer", customer) == recording["customer"]
