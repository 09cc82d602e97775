"""A stand-in for a user's WooCommerce webhook handler: the endpoint a store webhook posts to.

It records every request with its exact body bytes and headers, checks
``X-WC-Webhook-Signature`` (base64 HMAC-SHA256 of the raw body with the
webhook's secret) before parsing anything, and answers as a handler would:

* a ping (the form body ``webhook_id=N`` a webhook sends when it is created,
  unsigned) is recorded as a ping and answered 200;
* a delivery with a valid signature is answered 200 (or the status given to
  :meth:`WebhookReceiver.respond_with` / :meth:`WebhookReceiver.fail_next`);
* a delivery with a bad or missing signature, or for a webhook whose secret
  is unknown, is answered 401 and recorded with ``signature_valid=False``.

The secret: :attr:`WebhookReceiver.secret` when set (webhooks of another store),
else the one ``secret_for(webhook_id)`` gives (the fixture looks it up in the
woosim store, which knows the secret of every webhook it holds).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web

from pytest_woosim.harness.listener import PostListener
from simulator.clock import Clock
from simulator.wire.signing import WC_SIGNATURE_HEADER, verify_woocommerce

if TYPE_CHECKING:
    from simulator.app import Simulator

DEFAULT_PATH = "/woocommerce"
MAX_BODY_SIZE = 10 * 1024 * 1024

#: Looks up the secret of a webhook by id; None when unknown.
SecretLookup = Callable[[int], str | None]


@dataclass(frozen=True)
class WebhookRequest:
    """One request from a store webhook, as it arrived, and what the receiver made of it."""

    body: bytes
    headers: dict[str, str]
    #: ``ping`` (sent when a webhook is created) or ``delivery`` (a topic fired).
    kind: str
    #: None for a ping (it is never signed).
    signature_valid: bool | None
    reason: str  # why the signature is not valid; "" when it is
    status: int  # what the receiver answered
    received_at: datetime

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def topic(self) -> str | None:
        """``X-WC-Webhook-Topic``, e.g. ``order.updated``."""
        return self.header("X-WC-Webhook-Topic")

    @property
    def resource(self) -> str | None:
        """``X-WC-Webhook-Resource``, e.g. ``order``."""
        return self.header("X-WC-Webhook-Resource")

    @property
    def event(self) -> str | None:
        """``X-WC-Webhook-Event``, e.g. ``updated``."""
        return self.header("X-WC-Webhook-Event")

    @property
    def webhook_id(self) -> int | None:
        """``X-WC-Webhook-ID``, or the ping's ``webhook_id`` form field."""
        return _webhook_id(self.body, self.headers, self.kind)

    @property
    def delivery_id(self) -> str | None:
        """``X-WC-Webhook-Delivery-ID`` (None for a ping)."""
        return self.header("X-WC-Webhook-Delivery-ID")

    @property
    def payload(self) -> Any:
        """The JSON body of a delivery, parsed (None for a ping or a body that is not JSON)."""
        if self.kind != "delivery":
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _webhook_id(body: bytes, headers: dict[str, str], kind: str) -> int | None:
    if kind == "ping":
        values = parse_qs(body.decode("utf-8", "replace")).get("webhook_id", [""])
        value: str | None = values[0]
    else:
        value = next((v for k, v in headers.items() if k.lower() == "x-wc-webhook-id"), None)
    return int(value) if value and value.isdigit() else None


def is_ping(body: bytes, headers: dict[str, str]) -> bool:
    """WooCommerce's ping: no ``X-WC-Webhook-*`` headers and a form body ``webhook_id=N``."""
    if any(k.lower().startswith("x-wc-webhook-") for k in headers):
        return False
    return _webhook_id(body, headers, "ping") is not None


class WebhookReceiver(PostListener):
    """Receives WooCommerce webhook requests; ``.url`` is the delivery URL to configure."""

    kind = "webhook receiver"

    def __init__(
        self,
        *,
        secret: str | None = None,
        secret_for: SecretLookup | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = DEFAULT_PATH,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(host=host, port=port, path=path, max_body_size=MAX_BODY_SIZE)
        self.secret = secret
        self.secret_for = secret_for
        self._clock = clock if clock is not None else Clock()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[WebhookRequest] = []
        self._status = 200
        self._fail_remaining = 0
        self._fail_status = 500

    def __repr__(self) -> str:
        url = self.url if self._runner is not None else None
        return f"WebhookReceiver(url={url!r})"  # never the secret

    # ------------------------------------------------------------------ controls
    def respond_with(self, status: int) -> None:
        """Answer every signed delivery with ``status`` from now on (200 by default)."""
        _check_status(status)
        with self._lock:
            self._status = status

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` deliveries with ``status``, then as before."""
        _check_status(status)
        if n < 0:
            raise ValueError("fail_next() needs n >= 0")
        with self._lock:
            self._fail_remaining, self._fail_status = n, status

    def clear(self) -> None:
        """Forget what arrived; answer 200 again; no explicit secret."""
        with self._lock:
            self._requests.clear()
            self._status, self._fail_remaining = 200, 0
            self.secret = None

    # ------------------------------------------------------------------ what arrived
    @property
    def requests(self) -> list[WebhookRequest]:
        """Every request, pings and deliveries, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def deliveries(self) -> list[WebhookRequest]:
        """The deliveries (a topic fired), in arrival order; pings are not deliveries."""
        return [r for r in self.requests if r.kind == "delivery"]

    @property
    def pings(self) -> list[WebhookRequest]:
        """The pings webhooks sent when they were created."""
        return [r for r in self.requests if r.kind == "ping"]

    def wait_for_deliveries(self, n: int, timeout: float = 10.0) -> list[WebhookRequest]:
        """Block until ``n`` deliveries arrived (pings do not count); every delivery so far."""
        with self._changed:
            if self._changed.wait_for(lambda: self._count("delivery") >= n, timeout):
                return [r for r in self._requests if r.kind == "delivery"]
        raise TimeoutError(self._shortfall(n, timeout))

    async def wait_for_deliveries_async(
        self, n: int, timeout: float = 10.0
    ) -> list[WebhookRequest]:
        """:meth:`wait_for_deliveries` without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for_deliveries, n, timeout)

    def _count(self, kind: str) -> int:
        return sum(1 for r in self._requests if r.kind == kind)

    def _shortfall(self, n: int, timeout: float) -> str:
        with self._lock:
            deliveries, pings = self._count("delivery"), self._count("ping")
        return (
            f"received {deliveries} of {n} webhook deliveries within {timeout:g}s "
            f"(and {pings} ping{'' if pings == 1 else 's'}, which are not counted)"
        )

    # ------------------------------------------------------------------ HTTP
    def _secret(self, webhook_id: int | None) -> str | None:
        if self.secret is not None:
            return self.secret
        if webhook_id is None or self.secret_for is None:
            return None
        return self.secret_for(webhook_id)

    async def _handle(self, request: web.Request) -> web.Response:
        received_at = self._clock.now()
        headers = dict(request.headers)
        body = await request.read()
        if is_ping(body, headers):
            record = WebhookRequest(body, headers, "ping", None, "", 200, received_at)
            self._record(record)
            return web.Response(status=200)
        secret = self._secret(_webhook_id(body, headers, "delivery"))
        if secret is None:
            check_ok, reason = False, "no secret known for this webhook: set the receiver's secret"
        else:
            # The raw bytes, before anything parses them.
            check = verify_woocommerce(secret, body, request.headers.get(WC_SIGNATURE_HEADER))
            check_ok, reason = check.ok, check.reason
        with self._lock:
            if not check_ok:
                status = 401
            elif self._fail_remaining > 0:
                self._fail_remaining -= 1
                status = self._fail_status
            else:
                status = self._status
        self._record(
            WebhookRequest(body, headers, "delivery", check_ok, reason, status, received_at)
        )
        return web.Response(status=status)

    def _record(self, record: WebhookRequest) -> None:
        with self._lock:
            self._requests.append(record)
            self._changed.notify_all()


def store_secrets(sim: Simulator) -> SecretLookup:
    """The secret of a webhook of the in-process store ``sim`` (None once it is deleted).

    Called on the receiver's thread: it only reads the store's registry.
    """

    def secret_for(webhook_id: int) -> str | None:
        webhook = sim.webhooks.get(webhook_id)
        return None if webhook is None else webhook.secret

    return secret_for


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code, got {status}")


__all__ = ["SecretLookup", "WebhookReceiver", "WebhookRequest", "is_ping", "store_secrets"]
