"""Two order rules a real WooCommerce 10.0.2 store showed while the flows were recorded.

- An order leaving a draft status fires ``woocommerce_new_order`` (``order.created``):
  recorded over REST, ``PUT status=pending`` on a ``checkout-draft`` order delivers
  ``order.created``. A REST create with a draft status still fires both topics.
- A cash-on-delivery order is paid when it is completed, not at ``processing``
  (its gateway filters the payment-complete status); other gateways at ``processing``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_woosim.harness.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.woosim


def _topics(receiver: WebhookReceiver, count: int) -> list[tuple[str | None, Any]]:
    return [(d.topic, d.payload["status"]) for d in receiver.wait_for_deliveries(count)]


def test_an_order_leaving_checkout_draft_is_created_then(
    woosim: Any, woosim_webhook_receiver: WebhookReceiver
) -> None:
    woosim.create_webhook("order.created", woosim_webhook_receiver.url)
    draft = woosim.create_order(status="checkout-draft")
    assert _topics(woosim_webhook_receiver, 1) == [("order.created", "checkout-draft")]
    woosim_webhook_receiver.clear()
    woosim.update_order(draft["id"], status="pending")
    assert _topics(woosim_webhook_receiver, 1) == [("order.created", "pending")]
    woosim_webhook_receiver.clear()
    woosim.update_order(draft["id"], status="processing")
    woosim.update_order(draft["id"], status="completed")
    woosim.create_order(status="pending")  # the marker: nothing else came before it
    assert _topics(woosim_webhook_receiver, 1) == [("order.created", "pending")]


@pytest.mark.parametrize(
    ("method", "paid_at_processing"), [("cod", False), ("bacs", True), ("cheque", True)]
)
def test_cash_on_delivery_is_paid_on_completion(
    woosim: Any, method: str, paid_at_processing: bool
) -> None:
    product = woosim.client.post("products", json={"name": "Box", "regular_price": "4"}).json()
    order = woosim.create_order(
        payment_method=method, line_items=[{"product_id": product["id"], "quantity": 1}]
    )
    processing = woosim.update_order(order["id"], status="processing")
    assert (processing["date_paid"] is not None) is paid_at_processing
    completed = woosim.update_order(order["id"], status="completed")
    assert completed["date_paid"] is not None and completed["date_completed"] is not None
    if paid_at_processing:
        assert completed["date_paid"] == processing["date_paid"]
