"""How to: test your WooCommerce webhook handler (``woosim_webhook_receiver``)."""

import base64
import hashlib
import hmac
import json

import pytest


def my_handler(body: bytes, headers: dict[str, str], secret: str) -> int:
    """A stand-in for the code under test: verify the raw bytes, then read them."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(
        base64.b64encode(digest).decode(), headers.get("X-WC-Webhook-Signature", "")
    ):
        return 401
    order = json.loads(body)
    return 200 if order["id"] else 400


@pytest.mark.woosim
def test_a_changed_order_arrives_signed(woosim, woosim_webhook_receiver):
    order = woosim.create_order(status="pending")
    webhook = woosim.create_webhook("order.updated", woosim_webhook_receiver.url)
    assert [p.webhook_id for p in woosim_webhook_receiver.pings] == [webhook["id"]]

    woosim.update_order(order["id"], status="processing")

    (delivery,) = woosim_webhook_receiver.wait_for_deliveries(1)
    assert (delivery.topic, delivery.resource, delivery.event) == (
        "order.updated",
        "order",
        "updated",
    )
    assert delivery.webhook_id == webhook["id"] and delivery.signature_valid
    assert delivery.payload["status"] == "processing"


@pytest.mark.woosim
def test_my_handler_accepts_the_stores_bytes_and_rejects_tampered_ones(
    woosim, woosim_webhook_receiver
):
    woosim.create_webhook("order.created", woosim_webhook_receiver.url, secret="my-secret")
    woosim.create_order()
    (delivery,) = woosim_webhook_receiver.wait_for_deliveries(1)

    assert my_handler(delivery.body, delivery.headers, "my-secret") == 200
    assert my_handler(delivery.body + b" ", delivery.headers, "my-secret") == 401
    assert my_handler(delivery.body, delivery.headers, "another secret") == 401


@pytest.mark.woosim
def test_woocommerce_does_not_retry_a_failed_delivery(woosim, woosim_webhook_receiver):
    woosim.create_webhook("customer.created", woosim_webhook_receiver.url)
    woosim_webhook_receiver.fail_next(1, status=503)
    woosim.create_customer(first_name="Lost")
    woosim_webhook_receiver.wait_for_deliveries(1)
    woosim.create_customer(first_name="Kept")

    deliveries = woosim.wait_for_deliveries(2)  # the store's journal: pings not counted
    assert [d["response"]["status"] for d in deliveries] == [503, 200]
    assert [d.status for d in woosim_webhook_receiver.deliveries] == [503, 200]
