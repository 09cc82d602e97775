"""What one webhook delivery or ping looks like on the wire: the body built at send
time, WooCommerce's headers and signature, and the delivery id."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator import phpjson
from simulator.clock import Clock
from simulator.errors import RestError
from simulator.settings import Settings
from simulator.webhooks.model import Webhook, topic_event, topic_resource
from simulator.webhooks.options import DeliveryOptions
from simulator.wire.signing import WC_SIGNATURE_HEADER, sign_woocommerce

#: ``payload_for(resource, resource_id)``: the REST GET body of a resource, as a value to
#: encode or as the PHP-style JSON bytes already rendered; raises RestError.
PayloadFor = Callable[[str, int], Any]


@dataclass
class DeliveryRequest:
    """One delivery (or ping) as it will go on the wire."""

    webhook_id: int
    topic: str
    resource_id: int
    url: str
    headers: dict[str, str]
    body: bytes
    delivery_id: str
    faults: list[str] = field(default_factory=list)
    attempts: int = 1

    def corrupt_signature(self) -> None:
        """A well-formed signature that does not match: one base64 character changed."""
        signature = self.headers[WC_SIGNATURE_HEADER]
        swapped = "B" if signature[0] != "B" else "C"
        self.headers[WC_SIGNATURE_HEADER] = swapped + signature[1:]


_DELIVERY_ID = "X-WC-Webhook-Delivery-ID"
#: Webhooks whose fixed headers are kept (a store has a handful; the bound is for churn).
_FIXED_KEPT = 256


@functools.lru_cache(maxsize=16)
def _user_agent(wc_version: str, wp_version: str) -> str:
    return f"WooCommerce/{wc_version} Hookshot (WordPress/{wp_version})"


@dataclass(frozen=True, slots=True)
class _FixedHeaders:
    """A webhook's headers but the signature and delivery id, and what made them."""

    source: tuple[str, str, str, str]
    headers: dict[str, str]
    secret: str


def _encoded(payload: Any) -> bytes:
    """The body: the payload's bytes when it came rendered, else its PHP-style JSON."""
    if isinstance(payload, bytes):
        return payload
    return phpjson.dumps(payload).strip()


class RequestBuilder:
    """WC_Webhook::deliver() and deliver_ping() up to the moment the request is sent."""

    def __init__(
        self, *, clock: Clock, settings: Settings, payload_for: PayloadFor, options: DeliveryOptions
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.payload_for = payload_for
        self.options = options
        self._delivery_ids: tuple[int, int, str] = (0, -1, "")
        #: Per webhook id: what its headers were made from, and those headers.
        self._fixed: dict[int, _FixedHeaders] = {}

    @property
    def user_agent(self) -> str:
        return _user_agent(self.settings.wc_version, self.settings.wp_version)

    def delivery(
        self,
        webhook: Webhook,
        resource_id: int,
        bodies: dict[tuple[str, int], bytes] | None = None,
    ) -> DeliveryRequest:
        """The signed delivery of ``resource_id`` to ``webhook``; ``bodies`` shares the
        renderings of one run's slice between webhooks that take the same resource."""
        fixed = self._fixed_headers(webhook)
        body = self._body(webhook, resource_id, bodies)
        delivery_id = self._delivery_id(webhook.id)
        # A copy of the webhook's fixed headers; setting the two per-delivery values keeps
        # every header in WooCommerce's order.
        headers = fixed.headers.copy()
        headers[WC_SIGNATURE_HEADER] = sign_woocommerce(fixed.secret, body)
        headers[_DELIVERY_ID] = delivery_id
        return DeliveryRequest(
            webhook.id, webhook.topic, resource_id, webhook.delivery_url, headers, body, delivery_id
        )

    def _fixed_headers(self, webhook: Webhook) -> _FixedHeaders:
        """The headers every delivery of ``webhook`` shares, made again whenever anything
        they are made from (topic, secret, site URL, versions) has changed."""
        settings = self.settings
        source = (webhook.topic, webhook.secret, settings.site_url, self.user_agent)
        fixed = self._fixed.get(webhook.id)
        if fixed is not None and fixed.source == source:
            return fixed
        topic = webhook.topic
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "X-WC-Webhook-Source": settings.site_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic_resource(topic),
            "X-WC-Webhook-Event": topic_event(topic),
            WC_SIGNATURE_HEADER: "",  # set per delivery
            "X-WC-Webhook-ID": str(webhook.id),
            _DELIVERY_ID: "",  # set per delivery
        }
        if len(self._fixed) >= _FIXED_KEPT:
            self._fixed.clear()  # webhooks come and go; the live ones are made again
        fixed = self._fixed[webhook.id] = _FixedHeaders(source, headers, webhook.secret)
        return fixed

    def ping(self, webhook: Webhook) -> DeliveryRequest:
        """WC_Webhook::deliver_ping(): form body ``webhook_id=N``, no X-WC-Webhook-* headers,
        no signature."""
        body = f"webhook_id={webhook.id}".encode()
        headers = {
            "User-Agent": self.user_agent,
            # curl's default for a string POST body (WordPress sets none).
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return DeliveryRequest(
            webhook.id, webhook.topic, 0, webhook.delivery_url, headers, body, ""
        )

    def _body(
        self, webhook: Webhook, resource_id: int, bodies: dict[tuple[str, int], bytes] | None
    ) -> bytes:
        resource, event = webhook.resource, webhook.event
        # A resource's REST body is the same whichever webhook takes it; the small
        # deleted and action bodies depend on the webhook and are not worth keeping.
        if bodies is None or event == "deleted" or resource == "action":
            return _encoded(self._payload(webhook, resource_id))
        key = (resource, resource_id)
        body = bodies.get(key)
        if body is None:
            body = bodies[key] = _encoded(self._payload(webhook, resource_id))
        return body

    def _payload(self, webhook: Webhook, resource_id: int) -> Any:
        """WC_Webhook::build_payload(), at send time."""
        resource, event = webhook.resource, webhook.event
        if event == "deleted":
            return {"id": resource_id}
        if resource == "action":
            return {"action": event, "arg": resource_id}
        try:
            return self.payload_for(resource, resource_id)
        except RestError as error:
            # The internal GET failed (e.g. the resource was deleted for good since).
            return error.to_json()

    def _delivery_id(self, webhook_id: int) -> str:
        """wp_hash( id . time() ): HMAC-MD5 with the site salt; equal within one second."""
        second = int(self.clock.timestamp())
        cached_id, cached_second, value = self._delivery_ids
        if cached_id == webhook_id and cached_second == second:
            return value
        value = hmac.new(
            self.options.salt.encode(), f"{webhook_id}{second}".encode(), hashlib.md5
        ).hexdigest()
        self._delivery_ids = (webhook_id, second, value)
        return value
