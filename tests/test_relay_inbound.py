"""Inbound webhook handling of the relay: verification, pings, normalisation, dedupe keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict

from pytest_woosim.relay.inbound import (
    InboundRejected,
    WebhookHeaders,
    dedupe_key,
    event_date,
    map_topic,
    normalise,
    object_id_of,
    parse_body,
    ping_webhook_id,
    verify,
    wc_gmt_to_iso,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests"


def _sign(secret: str, body: bytes) -> str:
    # Independent of the project's signing module on purpose.
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _headers(
    topic: str | None, body: bytes, *, secret: str = SECRET, **extra: str
) -> WebhookHeaders:
    raw = CIMultiDict[str]()
    if topic is not None:
        resource, _, event = topic.partition(".")
        raw["x-wc-webhook-topic"] = topic
        raw["X-WC-Webhook-Resource"] = resource
        raw["X-WC-Webhook-Event"] = event
        raw["X-WC-Webhook-ID"] = "7"
        raw["X-WC-Webhook-Delivery-ID"] = "a" * 32
        raw["X-WC-Webhook-Signature"] = _sign(secret, body)
    raw.update(extra)
    return WebhookHeaders.from_mapping(raw)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("customer.created", ("customers", "CREATED")),
        ("customer.updated", ("customers", "UPDATED")),
        ("customer.deleted", ("customers", "DELETED")),
        ("order.created", ("orders", "CREATED")),
        ("order.restored", ("orders", "UPDATED")),
        ("product.deleted", ("products", "DELETED")),
        ("coupon.updated", ("discounts", "UPDATED")),
        ("order.published", ("orders", "UNKNOWN")),
        ("product.published", ("products", "UNKNOWN")),
        ("action.woocommerce_new_order", None),
        ("widget.created", None),
        ("", None),
        (None, None),
        ("order", None),
    ],
)
def test_topic_mapping(topic: str | None, expected: tuple[str, str] | None) -> None:
    assert map_topic(topic) == expected


def test_signature_verified_over_raw_bytes() -> None:
    body = b'{"id":123}'
    assert _sign("secret", body) == "OeBtbEIAz+EnjWhU3WkE+GpE4e/Cu0Fl+JGceISoR9I="
    headers = _headers("order.updated", body)
    assert verify(SECRET, body, headers)
    # One byte different (same JSON meaning) → mismatch.
    assert not verify(SECRET, b'{"id": 123}', headers)
    wrong = verify("other", body, headers)
    assert not wrong and "mismatch" in wrong.reason
    unsigned = WebhookHeaders.from_mapping({"X-WC-Webhook-Topic": "order.updated"})
    missing = verify(SECRET, body, unsigned)
    assert not missing and "missing" in missing.reason


def test_ping_recognised_only_without_signature_and_topic() -> None:
    empty = WebhookHeaders.from_mapping({})
    assert ping_webhook_id(empty, b"webhook_id=42") == 42
    assert ping_webhook_id(empty, b"webhook_id=42\n") == 42
    assert ping_webhook_id(empty, b"webhook_id=x") is None
    assert ping_webhook_id(empty, b'{"id":1}') is None
    signed = _headers("order.updated", b"webhook_id=42")
    assert ping_webhook_id(signed, b"webhook_id=42") is None


def test_parse_body_rejects_malformed_json() -> None:
    assert parse_body(b'{"id":1}') == {"id": 1}
    with pytest.raises(InboundRejected) as info:
        parse_body(b'{"id":')
    assert info.value.status == 400
    with pytest.raises(InboundRejected):
        parse_body(b"\xff\xfe")


def test_object_id_and_dates() -> None:
    assert object_id_of({"id": 25}) == "25"
    assert object_id_of({"id": "25"}) == "25"
    assert object_id_of({"id": True}) is None
    assert object_id_of({"code": "woocommerce_rest_shop_order_invalid_id"}) is None
    assert object_id_of([1]) is None
    assert wc_gmt_to_iso("2017-03-21T19:09:30") == "2017-03-21T19:09:30Z"
    assert wc_gmt_to_iso("2017-02-30T19:09:30") is None
    assert wc_gmt_to_iso(None) is None
    assert event_date({"date_modified_gmt": "2017-03-21T19:09:30"}, NOW) == "2017-03-21T19:09:30Z"
    assert event_date({"date_modified_gmt": None}, NOW) == "2024-05-01T12:00:00Z"
    assert event_date({"id": 5}, NOW) == "2024-05-01T12:00:00Z"
    # Given the clock's now itself, it is read only when the record has no date.
    assert event_date({"id": 5}, lambda: NOW) == "2024-05-01T12:00:00Z"

    def unused() -> datetime:
        raise AssertionError("the clock was read although the record has a date")

    assert event_date({"date_modified_gmt": "2017-03-21T19:09:30"}, unused) == (
        "2017-03-21T19:09:30Z"
    )


def test_normalise_customer_update() -> None:
    body = (
        b'{"id":25,"date_modified":"2017-03-21T16:09:30","date_modified_gmt":"2017-03-21T19:09:30"}'
    )
    headers = _headers("customer.updated", body)
    event = normalise(headers, body, parse_body(body), NOW)
    assert (event.object_type, event.object_id, event.event_type) == ("customers", "25", "UPDATED")
    assert event.date == "2017-03-21T19:09:30Z"
    assert event.raw["id"] == 25
    assert event.webhook_id == 7


def test_normalise_rejects_body_without_id() -> None:
    body = (
        b'{"code":"woocommerce_rest_shop_order_invalid_id",'
        b'"message":"Invalid ID.","data":{"status":404}}'
    )
    with pytest.raises(InboundRejected) as info:
        normalise(_headers("order.updated", body), body, parse_body(body), NOW)
    assert info.value.status == 422


def test_dedupe_key_same_content_same_key() -> None:
    body = b'{"id":1,"date_modified_gmt":"2024-01-01T00:00:00"}'
    first = dedupe_key(_headers("order.updated", body), body)
    assert first == dedupe_key(_headers("order.updated", body), body)
    other_body = b'{"id":1,"date_modified_gmt":"2024-01-01T00:00:01"}'
    assert first != dedupe_key(_headers("order.updated", other_body), other_body)
    assert first != dedupe_key(_headers("order.created", body), body)


def test_dedupe_key_of_deletes_includes_delivery_id() -> None:
    body = b'{"id":1}'
    once = dedupe_key(_headers("order.deleted", body), body)
    again = dedupe_key(_headers("order.deleted", body), body)
    later = dedupe_key(
        _headers("order.deleted", body, **{"X-WC-Webhook-Delivery-ID": "b" * 32}), body
    )
    assert once == again
    assert once != later
