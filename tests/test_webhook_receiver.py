"""``woosim_webhook_receiver`` and the handle's deliveries and pings, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from pytest_woosim.harness.webhook_receiver import WebhookReceiver
from pytest_woosim.signing import WC_SIGNATURE_HEADER, sign_woocommerce

pytestmark = pytest.mark.woosim


def post_delivery(url: str, webhook_id: int, secret: str, body: bytes = b'{"id": 7}') -> int:
    """A delivery as another store would send it."""
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": "abc",
        WC_SIGNATURE_HEADER: sign_woocommerce(secret, body),
    }
    return httpx.post(url, content=body, headers=headers).status_code


def test_store_webhooks_are_verified_with_their_own_secret(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    created = woosim.create_webhook("customer.created", woosim_webhook_receiver.url)
    customer = woosim.create_customer(first_name="Ada")
    (delivery,) = woosim_webhook_receiver.wait_for_deliveries(1)
    assert delivery.kind == "delivery" and delivery.signature_valid is True
    assert delivery.reason == "" and delivery.status == 200
    assert (delivery.topic, delivery.resource, delivery.event) == (
        "customer.created",
        "customer",
        "created",
    )
    assert delivery.webhook_id == created["id"]
    assert delivery.delivery_id and delivery.header("x-wc-webhook-delivery-id")
    assert delivery.payload["id"] == customer["id"]
    assert delivery.body.startswith(b"{")
    (ping,) = woosim_webhook_receiver.pings
    assert ping.body == f"webhook_id={created['id']}".encode()
    assert (ping.kind, ping.signature_valid, ping.webhook_id, ping.payload) == (
        "ping",
        None,
        created["id"],
        None,
    )
    assert woosim_webhook_receiver.requests == [ping, delivery]


def test_a_corrupted_signature_is_refused_and_recorded(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    woosim.create_webhook("customer.created", woosim_webhook_receiver.url)
    woosim.faults.add("corrupt_signature", count=1)
    woosim.create_customer()
    (delivery,) = woosim_webhook_receiver.wait_for_deliveries(1)
    assert (delivery.signature_valid, delivery.status) == (False, 401)
    assert "signature mismatch" in delivery.reason
    assert [d["response"]["status"] for d in woosim.wait_for_deliveries(1)] == [401]


def test_another_stores_webhooks_need_the_secret_given(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    url = woosim_webhook_receiver.url
    assert post_delivery(url, 999, "theirs") == 401
    assert "no secret known" in woosim_webhook_receiver.deliveries[0].reason
    woosim_webhook_receiver.secret = "theirs"
    assert post_delivery(url, 999, "theirs") == 200
    assert post_delivery(url, 999, "not theirs") == 401
    assert [d.signature_valid for d in woosim_webhook_receiver.deliveries] == [False, True, False]


def test_answers_are_configurable_for_failure_tests(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    url = woosim_webhook_receiver.url
    woosim_webhook_receiver.secret = "s"
    woosim_webhook_receiver.respond_with(410)
    woosim_webhook_receiver.fail_next(1, status=503)
    assert [post_delivery(url, 1, "s") for _ in range(3)] == [503, 410, 410]
    with pytest.raises(ValueError, match="HTTP status code"):
        woosim_webhook_receiver.respond_with(42)


def test_each_test_starts_with_a_clean_receiver(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    assert woosim_webhook_receiver.requests == []
    assert woosim_webhook_receiver.secret is None
    assert post_delivery(woosim_webhook_receiver.url, 999, "s") == 401


def test_waiting_counts_deliveries_and_says_what_arrived(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    woosim.create_webhook("order.created", woosim_webhook_receiver.url)
    woosim.create_webhook("order.deleted", woosim_webhook_receiver.url)
    with pytest.raises(TimeoutError) as waited:
        woosim_webhook_receiver.wait_for_deliveries(1, timeout=0.05)
    assert str(waited.value) == (
        "received 0 of 1 webhook deliveries within 0.05s (and 2 pings, which are not counted)"
    )


def test_the_store_journal_keeps_pings_apart_from_deliveries(
    woosim, woosim_webhook_receiver: WebhookReceiver
) -> None:
    webhook = woosim.create_webhook("order.created", woosim_webhook_receiver.url)
    assert [p["webhook_id"] for p in woosim.wait_for_pings(1)] == [webhook["id"]]
    assert woosim.deliveries == []
    order = woosim.create_order()
    deliveries = woosim.wait_for_deliveries(1)
    assert [(d["kind"], d["resource_id"]) for d in deliveries] == [("delivery", order["id"])]
    assert [e["kind"] for e in woosim.journal] == ["ping", "delivery"]
    assert woosim.pings == woosim.journal[:1] and woosim.deliveries == woosim.journal[1:]

    with pytest.raises(TimeoutError) as waited:
        woosim.wait_for_deliveries(2, timeout=0.05)
    message = str(waited.value).splitlines()
    assert message[0] == (
        "the store made 1 of 2 deliveries within 0.05s (pings are not counted); "
        "its journal holds 2 requests:"
    )
    assert message[1:] == [
        f"  ping of webhook {webhook['id']} (order.created) -> 200",
        f"  delivery of webhook {webhook['id']} (order.created #{order['id']}) -> 200",
    ]
