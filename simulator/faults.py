"""Fault injection: what goes wrong between a WooCommerce store and its integrations.

Two families, told apart by ``kind``:

* deliveries (webhooks the store sends): ``drop`` (never sent, as when the
  store's queue runner dies), ``duplicate``, ``delay`` (virtual seconds on the
  store clock), ``reorder`` (hold ``count`` deliveries and release them in
  reverse), ``corrupt_signature``;
* REST calls (requests the store answers): ``status`` (500/502/503),
  ``rate_limit`` (429 with ``Retry-After``), ``latency`` (real seconds),
  ``php_notice`` (PHP notice HTML before the JSON), ``truncate`` (cut body).

Each fault fires for the next ``count`` matching events, or for a seeded
``rate`` fraction of them, or (neither given) for every one until cleared.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulator.errors import RestError

DELIVERY_KINDS = ("drop", "duplicate", "delay", "reorder", "corrupt_signature")
REST_KINDS = ("status", "rate_limit", "latency", "php_notice", "truncate")
FAULT_STATUSES = (500, 502, 503)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_COMMON_FIELDS = {"kind", "count", "rate", "seed"}
_DELIVERY_FIELDS = {"webhook_id", "topic"}
_REST_FIELDS = {"path", "method"}
_KIND_FIELDS: dict[str, set[str]] = {
    "drop": set(),
    "duplicate": set(),
    "delay": {"seconds"},
    "reorder": set(),
    "corrupt_signature": set(),
    "status": {"status"},
    "rate_limit": {"retry_after"},
    "latency": {"seconds"},
    "php_notice": {"message"},
    "truncate": {"bytes"},
}

DEFAULT_NOTICE = "Undefined index: billing_phone"
DEFAULT_NOTICE_FILE = "/var/www/html/wp-content/plugins/woocommerce/includes/class-wc-order.php"


class FaultSpecError(ValueError):
    """A fault description that cannot be used; names the field and the problem."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem

    def to_rest_error(self) -> RestError:
        return RestError(
            "woosim_invalid_fault",
            f"Invalid fault: {self.field}: {self.problem}",
            400,
            params={self.field: self.problem},
        )


@dataclass
class Fault:
    id: int
    kind: str
    count: int | None = None  # remaining uses; None = unlimited
    rate: float | None = None
    seed: int = 0
    webhook_id: int | None = None
    topic: str | None = None
    path: str = "/wp-json/"
    method: str | None = None
    status: int = 500
    retry_after: int = 60
    seconds: float = 0.0
    bytes: int | None = None
    message: str = DEFAULT_NOTICE
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def target(self) -> str:
        return "delivery" if self.kind in DELIVERY_KINDS else "rest"

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.count <= 0

    def take(self) -> bool:
        """Does this fault fire for the current event? Consumes one use if so."""
        if self.exhausted:
            return False
        if self.rate is not None and self._rng.random() >= self.rate:
            return False
        self.hits += 1
        if self.count is not None:
            self.count -= 1
        return True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "count": self.count,
            "rate": self.rate,
            "seed": self.seed,
            "hits": self.hits,
        }
        if self.target == "delivery":
            data.update(webhook_id=self.webhook_id, topic=self.topic)
        else:
            data.update(path=self.path, method=self.method)
        for name in sorted(_KIND_FIELDS[self.kind]):
            data[name] = getattr(self, name)
        return data


FaultListener = Callable[[Fault], None]


class Faults:
    """The active faults of one store. Thread-safe; cleared by a store reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._removed_listeners: list[FaultListener] = []

    # ------------------------------------------------------------------ managing
    def add(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> Fault:
        """Add a fault from a JSON-style mapping and/or keyword fields.

        ``sim.faults.add(kind="status", status=503, count=2, path="/wp-json/wc/v3/orders")``.
        Raises :class:`FaultSpecError` naming the bad field.
        """
        merged = {**(dict(spec) if spec else {}), **fields}
        with self._lock:
            fault = _build(next(self._ids), merged)
            self._faults.append(fault)
        return fault

    @property
    def active(self) -> bool:
        """Whether any fault may still fire (kept REST answers are not served meanwhile)."""
        return any(not fault.exhausted for fault in self._faults)

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def get(self, fault_id: int) -> Fault | None:
        with self._lock:
            return next((f for f in self._faults if f.id == fault_id), None)

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            fault = next((f for f in self._faults if f.id == fault_id), None)
            if fault is None:
                return False
            self._faults.remove(fault)
        self._notify_removed([fault])
        return True

    def clear(self) -> None:
        with self._lock:
            removed, self._faults = self._faults, []
            # Fresh ids after a reset keep tests repeatable.
            self._ids = itertools.count(1)
        self._notify_removed(removed)

    def on_removed(self, listener: FaultListener) -> None:
        """Call ``listener(fault)`` when a fault is removed or cleared (held deliveries go out)."""
        self._removed_listeners.append(listener)

    def _notify_removed(self, removed: list[Fault]) -> None:
        for fault in removed:
            for listener in list(self._removed_listeners):
                listener(fault)

    # ------------------------------------------------------------------ matching
    def for_delivery(self, webhook_id: int, topic: str) -> list[Fault]:
        """The delivery faults that fire for this delivery (each consumes a use)."""
        if not self._faults:
            return []
        with self._lock:
            return [
                f
                for f in self._faults
                if f.target == "delivery"
                and (f.webhook_id is None or f.webhook_id == webhook_id)
                and (f.topic is None or f.topic == topic)
                and f.take()
            ]

    def for_rest(self, method: str, path: str) -> list[Fault]:
        """The REST faults that fire for this request (each consumes a use)."""
        if not self._faults:
            return []
        with self._lock:
            return [
                f
                for f in self._faults
                if f.target == "rest"
                and path.startswith(f.path)
                and (f.method is None or f.method == method.upper())
                and f.take()
            ]


# ---------------------------------------------------------------------- validation
def _build(fault_id: int, spec: dict[str, Any]) -> Fault:
    kind = spec.get("kind")
    if kind is None:
        raise FaultSpecError("kind", "is required")
    if not isinstance(kind, str) or kind not in _KIND_FIELDS:
        raise FaultSpecError("kind", f"must be one of {', '.join(DELIVERY_KINDS + REST_KINDS)}")
    allowed = _COMMON_FIELDS | _KIND_FIELDS[kind]
    allowed |= _DELIVERY_FIELDS if kind in DELIVERY_KINDS else _REST_FIELDS
    for name in spec:
        if name not in allowed:
            raise FaultSpecError(name, f"is not a field of a {kind!r} fault")
    fault = Fault(id=fault_id, kind=kind)

    count = _optional_int(spec, "count", minimum=1)
    rate = _optional_number(spec, "rate")
    if rate is not None and not 0 < rate <= 1:
        raise FaultSpecError("rate", "must be a fraction greater than 0 and at most 1")
    if count is not None and rate is not None:
        raise FaultSpecError("rate", "give count or rate, not both")
    fault.count, fault.rate = count, rate
    fault.seed = _optional_int(spec, "seed") or 0
    fault._rng = random.Random(fault.seed)

    if kind == "reorder" and (count is None or count < 2):
        raise FaultSpecError("count", "a reorder fault needs count >= 2 (how many to hold)")
    if kind in DELIVERY_KINDS:
        fault.webhook_id = _optional_int(spec, "webhook_id", minimum=1)
        topic = spec.get("topic")
        if topic is not None and (not isinstance(topic, str) or not topic):
            raise FaultSpecError("topic", "must be a non-empty string such as 'order.updated'")
        fault.topic = topic
    else:
        path = spec.get("path", "/wp-json/")
        if not isinstance(path, str) or not path.startswith("/"):
            raise FaultSpecError("path", "must be a path prefix starting with '/'")
        fault.path = path
        method = spec.get("method")
        if method is not None:
            if not isinstance(method, str) or method.upper() not in METHODS:
                raise FaultSpecError("method", f"must be one of {', '.join(METHODS)}")
            method = method.upper()
        fault.method = method

    if kind == "status":
        status = _optional_int(spec, "status")
        if status is None:
            status = 500
        if status not in FAULT_STATUSES:
            raise FaultSpecError("status", "must be 500, 502 or 503")
        fault.status = status
    elif kind == "rate_limit":
        retry = _optional_int(spec, "retry_after", minimum=0)
        fault.retry_after = 60 if retry is None else retry
    elif kind in ("delay", "latency"):
        seconds = _optional_number(spec, "seconds")
        if seconds is None:
            raise FaultSpecError("seconds", f"is required for a {kind!r} fault")
        if not seconds > 0:
            raise FaultSpecError("seconds", "must be greater than 0")
        fault.seconds = seconds
    elif kind == "truncate":
        fault.bytes = _optional_int(spec, "bytes", minimum=0)
    elif kind == "php_notice":
        message = spec.get("message", DEFAULT_NOTICE)
        if not isinstance(message, str) or not message:
            raise FaultSpecError("message", "must be a non-empty string")
        fault.message = message
    return fault


def _optional_int(spec: Mapping[str, Any], name: str, *, minimum: int | None = None) -> int | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise FaultSpecError(name, "must be an integer")
    if minimum is not None and value < minimum:
        raise FaultSpecError(name, f"must be at least {minimum}")
    return value


def _optional_number(spec: Mapping[str, Any], name: str) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise FaultSpecError(name, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultSpecError(name, "must be a number") from None
    if not math.isfinite(number):
        raise FaultSpecError(name, "must be a finite number")
    return number


# ---------------------------------------------------------------------- REST faults
# A fatal PHP error inside a REST request: WordPress's fatal error handler answers JSON.
_CRITICAL_ERROR = (
    b'{"code":"internal_server_error","message":"<p>There has been a critical error on this '
    b'website.<\\/p><p><a href=\\"https:\\/\\/wordpress.org\\/documentation\\/article\\/'
    b'faq-troubleshooting\\/\\">Learn more about troubleshooting WordPress.<\\/a><\\/p>",'
    b'"data":{"status":500},"additional_errors":[]}'
)
# 502/503/429 come from the web server or proxy in front of PHP, as HTML.
_REASONS = {
    429: "429 Too Many Requests",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


def _proxy_page(status: int) -> bytes:
    title = _REASONS[status]
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode("ascii")


def php_notice(message: str) -> bytes:
    """The HTML PHP prints for a notice with display_errors on, before WordPress's JSON."""
    return (
        f"<br />\n<b>Notice</b>:  {message} in <b>{DEFAULT_NOTICE_FILE}</b> "
        "on line <b>42</b><br />\n"
    ).encode()


def fault_response(fault: Fault) -> web.Response:
    """The whole answer for a ``status`` or ``rate_limit`` fault."""
    if fault.kind == "rate_limit":
        return web.Response(
            status=429,
            body=_proxy_page(429),
            content_type="text/html",
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.status == 500:
        return web.Response(
            status=500, body=_CRITICAL_ERROR, content_type="application/json", charset="UTF-8"
        )
    return web.Response(
        status=fault.status, body=_proxy_page(fault.status), content_type="text/html"
    )


def alter_body(response: web.StreamResponse, faults: list[Fault]) -> web.StreamResponse:
    """Apply ``php_notice`` and ``truncate`` faults to a finished response body."""
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes | bytearray):
        return response
    body = bytes(response.body)
    for fault in faults:
        if fault.kind == "php_notice":
            body = php_notice(fault.message) + body
        elif fault.kind == "truncate":
            keep = len(body) // 2 if fault.bytes is None else min(fault.bytes, len(body))
            body = body[:keep]
    response.body = body
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RenderError = Callable[[web.Request, RestError], web.StreamResponse]


def rest_fault_middleware(faults: Faults, render_error: RenderError | None = None) -> Any:
    """An aiohttp middleware applying REST faults, for the REST API's own application.

    ``render_error`` turns a :class:`RestError` raised by a handler into a
    response, so notices and truncation also reach error answers.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        firing = faults.for_rest(request.method, request.path)
        if not firing:
            return await handler(request)
        for fault in firing:
            if fault.kind == "latency":
                # Real seconds: latency is what the client's own timeout measures.
                await asyncio.sleep(fault.seconds)
        for fault in firing:
            if fault.kind in ("status", "rate_limit"):
                return fault_response(fault)
        try:
            response = await handler(request)
        except RestError as error:
            if render_error is None:
                raise
            response = render_error(request, error)
        return alter_body(response, firing)

    return middleware


__all__ = [
    "DELIVERY_KINDS",
    "FAULT_STATUSES",
    "REST_KINDS",
    "Fault",
    "FaultSpecError",
    "Faults",
    "alter_body",
    "fault_response",
    "php_notice",
    "rest_fault_middleware",
]
