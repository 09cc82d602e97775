"""Inbound WooCommerce webhooks: verify, recognise pings, normalise, compute dedupe keys.

Everything here is pure (no I/O) so the HTTP layer in ``relay.py`` stays a thin
pipeline: size limit → signature → JSON → topic → event → dedupe → outbox.

Normalisation follows the Cloud Elements element: topic ``order.updated`` becomes
``objectType: orders`` / ``eventType: UPDATED``, ``coupon`` becomes ``discounts``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.wire import boundedjson
from simulator.wire.signing import WC_SIGNATURE_HEADER, Verification, verify_woocommerce

TOPIC_HEADER = "X-WC-Webhook-Topic"
RESOURCE_HEADER = "X-WC-Webhook-Resource"
EVENT_HEADER = "X-WC-Webhook-Event"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"
SOURCE_HEADER = "X-WC-Webhook-Source"

#: WooCommerce resource → Cloud Elements object type (the element calls coupons "discounts").
OBJECT_TYPES: dict[str, str] = {
    "customer": "customers",
    "order": "orders",
    "product": "products",
    "coupon": "discounts",
}

#: WooCommerce event → Cloud Elements event type. ``restored`` is an untrash: the object
#: exists again with (possibly) new content, which for a consumer is an update of an
#: object it was told was deleted; Cloud Elements has no RESTORED type, and UNKNOWN would
#: make consumers ignore a change they must apply.
EVENT_TYPES: dict[str, str] = {
    "created": "CREATED",
    "updated": "UPDATED",
    "deleted": "DELETED",
    "restored": "UPDATED",
}

#: The store's ping: ``webhook_id=N`` as a form body, no X-WC-Webhook-* headers, no signature.
_PING_BODY = re.compile(rb"\Awebhook_id=(\d+)\Z")

#: WooCommerce date strings: ``YYYY-MM-DDTHH:MM:SS`` with no zone (the ``_gmt`` ones are UTC).
_WC_DATE = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})")


class InboundRejected(Exception):
    """A delivery the relay refuses; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WebhookHeaders:
    """The ``X-WC-Webhook-*`` headers of one delivery (absent ones are None)."""

    topic: str | None
    resource: str | None
    event: str | None
    webhook_id: int | None
    delivery_id: str | None
    source: str | None
    signature: str | None

    @classmethod
    def from_mapping(cls, headers: Mapping[str, str]) -> WebhookHeaders:
        raw_id = headers.get(WEBHOOK_ID_HEADER)
        webhook_id = int(raw_id) if raw_id is not None and raw_id.strip().isdigit() else None
        return cls(
            topic=_clean(headers.get(TOPIC_HEADER)),
            resource=_clean(headers.get(RESOURCE_HEADER)),
            event=_clean(headers.get(EVENT_HEADER)),
            webhook_id=webhook_id,
            delivery_id=_clean(headers.get(DELIVERY_ID_HEADER)),
            source=_clean(headers.get(SOURCE_HEADER)),
            signature=headers.get(WC_SIGNATURE_HEADER),
        )


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def ping_webhook_id(headers: WebhookHeaders, body: bytes) -> int | None:
    """The webhook id when this request is the store's ping, else None.

    A ping is recognised narrowly (no signature, no topic, body exactly
    ``webhook_id=N``) so that an unsigned *delivery* can never pass as one.
    """
    if headers.signature or headers.topic:
        return None
    match = _PING_BODY.match(body.strip())
    return int(match.group(1)) if match else None


def verify(secret: str | bytes, body: bytes, headers: WebhookHeaders) -> Verification:
    """Check ``X-WC-Webhook-Signature`` over the exact raw body, in constant time."""
    return verify_woocommerce(secret, body, headers.signature)


def map_topic(topic: str | None) -> tuple[str, str] | None:
    """``(objectType, eventType)`` for a topic, or None when the relay does not forward it.

    Events outside created/updated/deleted/restored on a known resource map to UNKNOWN;
    unknown resources (``action.*``, anything else) are not forwarded at all.
    """
    if not topic or "." not in topic:
        return None
    resource, _, event = topic.partition(".")
    object_type = OBJECT_TYPES.get(resource)
    if object_type is None:
        return None
    return object_type, EVENT_TYPES.get(event, "UNKNOWN")


def parse_body(body: bytes) -> Any:
    """The JSON body; 400 when it is not JSON (nothing is forwarded)."""
    try:
        return boundedjson.loads(body)
    except boundedjson.JsonProblem as problem:
        raise InboundRejected(400, f"body is not valid JSON: {problem}") from None


def object_id_of(payload: Any) -> str | None:
    """The body's ``id`` as a string (Cloud Elements sends ids as strings), or None."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("id")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def wc_gmt_to_iso(value: Any) -> str | None:
    """``2017-03-21T19:09:30`` (UTC, no zone) → ``2017-03-21T19:09:30Z``; None if unusable."""
    if not isinstance(value, str):
        return None
    match = _WC_DATE.match(value)
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    # A valid instant: its whole-second ISO form in UTC is the matched text itself.
    return match.group(0) + "Z"


def iso_z(instant: datetime) -> str:
    """Aware datetime → ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (whole seconds, like the store)."""
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event_date(payload: Any, now: datetime | Callable[[], datetime]) -> str:
    """``date_modified_gmt`` of the record when present, else the relay clock's now.

    ``now`` may be the clock's ``now`` itself: read only when the record has no date.
    """
    if isinstance(payload, dict):
        modified = wc_gmt_to_iso(payload.get("date_modified_gmt"))
        if modified is not None:
            return modified
    return iso_z(now if isinstance(now, datetime) else now())


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def dedupe_key(headers: WebhookHeaders, body: bytes) -> str:
    """Key that makes a redelivery of identical content a duplicate.

    webhook id + topic + hash of the body bytes. A ``*.deleted`` body is only
    ``{"id": N}``, so a genuine second delete of one object (trash, restore, trash)
    would look identical; for those the delivery id (WooCommerce derives it from the
    webhook id and the Unix second of sending) is part of the key, which keeps a
    duplicate of one delivery a duplicate without swallowing a later delete.
    """
    parts = [str(headers.webhook_id or 0), headers.topic or "", body_digest(body)]
    if headers.topic is not None and headers.topic.endswith(".deleted"):
        parts.append(headers.delivery_id or "")
    return "wh:" + ":".join(parts)


@dataclass(frozen=True)
class InboundEvent:
    """One verified delivery, normalised to a Cloud Elements event."""

    topic: str
    object_type: str
    object_id: str
    event_type: str
    date: str
    raw: Any
    dedupe_key: str
    webhook_id: int | None


def normalise(
    headers: WebhookHeaders,
    body: bytes,
    payload: Any,
    now: datetime | Callable[[], datetime],
) -> InboundEvent:
    """Build the event of a verified, parsed delivery whose topic maps (see map_topic).

    ``now`` as for :func:`event_date`.

    Raises InboundRejected(422) when the body carries no usable ``id`` (e.g. the
    store's REST error object for a resource removed before the delivery ran).
    """
    mapped = map_topic(headers.topic)
    if mapped is None or headers.topic is None:
        raise InboundRejected(422, f"topic {headers.topic!r} is not forwarded")
    object_id = object_id_of(payload)
    if object_id is None:
        raise InboundRejected(422, "body has no usable 'id'")
    object_type, event_type = mapped
    return InboundEvent(
        topic=headers.topic,
        object_type=object_type,
        object_id=object_id,
        event_type=event_type,
        date=event_date(payload, now),
        raw=payload,
        dedupe_key=dedupe_key(headers, body),
        webhook_id=headers.webhook_id,
    )


__all__ = [
    "EVENT_TYPES",
    "OBJECT_TYPES",
    "InboundEvent",
    "InboundRejected",
    "WebhookHeaders",
    "body_digest",
    "dedupe_key",
    "event_date",
    "iso_z",
    "map_topic",
    "normalise",
    "object_id_of",
    "parse_body",
    "ping_webhook_id",
    "verify",
    "wc_gmt_to_iso",
]
