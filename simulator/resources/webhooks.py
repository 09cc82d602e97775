"""A webhook, as WC_REST_Webhooks_Controller renders and accepts it."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import (
    DATE,
    INTEGER,
    NULLABLE_DATE,
    STRING,
    STRING_LIST,
    enum,
    links,
    write_only,
)
from simulator.webhooks.model import EVENTS, RESOURCES, STATUSES

#: Every topic wc_is_webhook_valid_topic() accepts.
TOPICS = [f"{resource}.{event}" for resource in RESOURCES for event in EVENTS]

TOPIC_INPUT = {
    "type": "string",
    "anyOf": [{"enum": TOPICS}, {"pattern": r"^action\.(woocommerce|wc)_[a-z0-9_]+$"}],
    "description": "resource.event, or action.woocommerce_* / action.wc_* for a hook.",
}
DELIVERY_URL_INPUT = {"type": "string", "format": "uri", "pattern": "^https?://"}

WEBHOOK = Declaration(
    "Webhook",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True),
        # The create route always makes an active webhook; the status applies on update.
        Field("status", enum(STATUSES), writable="update"),
        Field("topic", STRING, writable=True, input=TOPIC_INPUT, required=True),
        Field("resource", STRING),
        Field("event", STRING),
        Field("hooks", STRING_LIST),
        Field("delivery_url", STRING, writable=True, input=DELIVERY_URL_INPUT, required=True),
        Field(
            "secret",
            writable=True,
            input=write_only(
                STRING,
                "Signs deliveries (X-WC-Webhook-Signature); generated when missing. "
                "Never returned.",
            ),
        ),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        # Created webhooks have no modification date until their first update.
        Field("date_modified", NULLABLE_DATE),
        Field("date_modified_gmt", NULLABLE_DATE),
        Field("_links", links("self", "collection")),
    ),
)
