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
from typing import Any

import pytest

from pytest_woosim.harness.webhook_receiver import WebhookReceiver
from simulator.webhooks import service_for

from .sequence import (
    BUYER,
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

#: Flow -> how the recording made the order it acts on (None: the flow needs none).
PREPARED: dict[str, dict[str, Any] | None] = {
    "checkout-paid": None,
    "checkout-paid-customer": {"customer": True},
    "customer-signup": None,
    "order-completed": {"flow": "checkout-paid", "quantity": 2, "payment_method": "cod"},
    "order-cancelled": {"flow": "checkout-paid", "quantity": 3, "payment_method": "bacs"},
    "payment-failed": {"rest": True},
}


def _settled(woosim: Any, receiver: WebhookReceiver, count: int) -> list[Any]:
    """Wait for ``count`` deliveries in all, then for the store's queue to be empty."""
    received = receiver.wait_for_deliveries(count)
    engine = service_for(woosim.sim)
    deadline = time.monotonic() + 10
    while engine.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    return receiver.deliveries if len(receiver.deliveries) > len(received) else received


def _prepare(woosim: Any, how: dict[str, Any] | None, product_id: int) -> int:
    if how is None:
        return 0
    if how.get("customer"):
        return 0
    if how.get("rest"):
        order = woosim.create_order(
            payment_method="bacs",
            payment_method_title="Direct bank transfer",
            billing=BUYER,
            line_items=[{"product_id": product_id, "quantity": 2}],
        )
        return int(order["id"])
    options = {k: v for k, v in how.items() if k != "flow"}
    report = woosim.trigger(how["flow"], product=product_id, **options)
    return int(report["order"])


@pytest.mark.parametrize("flow", list(PREPARED))
def test_the_flow_does_what_the_real_store_did(
    woosim: Any, woosim_webhook_receiver: WebhookReceiver, flow: str
) -> None:
    recording = load_recording(flow)
    product = woosim.client.post("products", json=PRODUCT).json()
    for topic in TOPICS:
        woosim.create_webhook(topic, woosim_webhook_receiver.url, secret="flows")
    customer = woosim.create_customer(**SIGNUP) if flow == "checkout-paid-customer" else None
    order_id = _prepare(woosim, PREPARED[flow], product["id"])
    mark = len(_settled(woosim, woosim_webhook_receiver, len(woosim_webhook_receiver.deliveries)))
    before = woosim.client.get(f"products/{product['id']}").json()

    options: dict[str, Any] = {}
    if order_id:
        options["order"] = order_id
    elif flow == "checkout-paid":
        options = {"product": product["id"], "quantity": 2}
    elif customer is not None:
        options = {"product": product["id"], "quantity": 2, "customer": customer["id"]}
    elif flow == "customer-signup":
        options = {"email": SIGNUP["email"]}
    report = woosim.trigger("checkout-paid" if customer else flow, **options)

    roles = {product["id"]: "product"}
    for role in ("order", "customer"):
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
        written = [
            {"id": n, "note": note["note"], "customer_note": note["customer_note"]}
            for n, note in enumerate(report["notes"])
        ]
        assert note_facts(written, roles) == recording["notes"]
    if "customer" in recording:
        customer = woosim.client.get(f"customers/{report['customer']}").json()
        assert body_facts("customer", customer) == recording["customer"]
