"""Sending webhooks: the queue, coalescing, the signed POST, pings and failure counting.

How the real store does it (WC_Webhook, wc-webhook-functions.php) and how we map it:

* a store change fires a hook; every ``active`` webhook listening to it queues an
  Action Scheduler action ``{webhook_id, arg}`` unless an identical one is already
  pending within 600 s. Here: a pending map keyed by (webhook id, resource id), so
  three saves while a delivery waits give ONE delivery;
* the action runs later (here: after ``delay`` seconds on the store clock) and
  builds the body then, from the resource's current state;
* one blocking POST with a 60 s timeout, no redirects; 200..302 is success;
  anything else bumps ``failure_count`` and eventually disables the webhook;
  no retries.

Each send is its own task, bounded by a semaphore, over one keep-alive client
session, so a receiver that hangs never holds up deliveries to others.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from pytest_woosim.httpclient import ConnectFailed, EmptyReply, KeepAliveClient, ProtocolError
from pytest_woosim.signing import WC_SIGNATURE_HEADER, sign_woocommerce
from simulator import phpjson
from simulator.clock import Clock
from simulator.errors import RestError
from simulator.events import StoreEvent
from simulator.faults import Fault, Faults
from simulator.settings import Settings
from simulator.webhooks.journal import RESPONSE_BODY_LIMIT, DeliveryJournal, DeliveryRecord
from simulator.webhooks.model import Webhook, is_valid_topic
from simulator.webhooks.registry import WebhookRegistry

log = logging.getLogger("simulator.webhooks")

#: ``payload_for(resource, resource_id)``: the REST GET body of a resource; raises RestError.
PayloadFor = Callable[[str, int], Any]

#: wc_webhook_execute_queue(): an identical action pending within this many seconds
#: absorbs a new one.
COALESCE_WINDOW = 600.0
#: wp_http_validate_url(): the only ports wp_safe_remote_request() will talk to.
SAFE_PORTS = (80, 443, 8080)


@dataclass
class DeliveryOptions:
    """How the store's webhook sender behaves; every field has the real store's default."""

    #: WC_Webhook::deliver(): 'timeout' => MINUTE_IN_SECONDS (real seconds on the wire).
    timeout: float = 60.0
    #: deliver_ping() uses wp_safe_remote_post()'s default timeout.
    ping_timeout: float = 5.0
    #: Store-clock seconds between a change and its delivery (0 = as soon as possible).
    delay: float = 0.0
    #: Deliveries on the wire at once (each is its own task; the rest wait their turn).
    concurrency: int = 100
    #: 'woocommerce_max_webhook_delivery_failures'.
    max_failures: int = 5
    #: Apply wp_http_validate_url() (no private hosts unless the site's, ports 80/443/8080).
    restrict_delivery_urls: bool = False
    #: Site salt for X-WC-Webhook-Delivery-ID (wp_hash); random per store when not given.
    salt: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.ping_timeout <= 0:
            raise ValueError("delivery timeouts must be greater than 0 seconds")
        if self.delay < 0:
            raise ValueError("delivery delay cannot be negative")
        if self.concurrency < 1:
            raise ValueError("delivery concurrency must be at least 1")


@dataclass
class _Request:
    """One delivery as it will go on the wire."""

    webhook_id: int
    topic: str
    resource_id: int
    url: str
    headers: dict[str, str]
    body: bytes
    delivery_id: str
    faults: list[str] = field(default_factory=list)


@dataclass
class _Held:
    """A delivery a reorder fault is holding back."""

    webhook_id: int
    resource_id: int
    faults: list[Fault]


class DeliveryRefused(Exception):
    """wp_safe_remote_request() refused the URL before any connection was made."""


class DeliveryEngine:
    """Turns store events into signed webhook deliveries and records every attempt."""

    def __init__(
        self,
        *,
        clock: Clock,
        settings: Settings,
        registry: WebhookRegistry,
        journal: DeliveryJournal,
        faults: Faults,
        payload_for: PayloadFor,
        options: DeliveryOptions | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.registry = registry
        self.journal = journal
        self.faults = faults
        self.payload_for = payload_for
        self.options = options or DeliveryOptions()
        self._lock = threading.Lock()
        #: (webhook id, resource id) -> store-clock instant of the pending delivery.
        self._pending: dict[tuple[int, int], float] = {}
        self._backlog: list[tuple[tuple[int, int], float]] = []
        #: Bumped by reset(): actions queued before it must not run after it.
        self._epoch = 0
        self._held: dict[int, list[_Held]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: Tasks asleep on the clock until their delivery is due (a reset cancels them).
        self._waiting: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._wire: KeepAliveClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._delivery_ids: tuple[int, int, str] = (0, -1, "")
        faults.on_removed(self._fault_removed)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind to the running loop and open the client session; send what queued up."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self.options.concurrency)
        # Deliveries: keep-alive HTTP/1.1 (WordPress speaks HTTP/1.0 and reconnects every
        # time) so thousands of deliveries a second reuse their connections; no cookies.
        self._wire = KeepAliveClient(
            max_idle_per_host=self.options.concurrency,
            max_body=RESPONSE_BODY_LIMIT,  # the journal keeps no more
            extra_headers={"Accept": "*/*", "Connection": "keep-alive"},
        )
        # Pings follow redirects, which the lean client does not do.
        self._session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=None)
        )
        with self._lock:
            backlog, self._backlog = self._backlog, []
        for key, due in backlog:
            self._spawn(self._deliver_later(key, due, self._epoch))

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._wire is not None:
            await self._wire.close()
            self._wire = None
        self._loop = None

    def reset(self) -> None:
        """Forget queued and held deliveries (a store reset); in-flight sends finish unrecorded."""
        with self._lock:
            self._epoch += 1
            self._pending.clear()
            self._backlog.clear()
            self._held.clear()
        if self._loop is not None:
            self._call_soon(self._cancel_waiting)

    def _cancel_waiting(self) -> None:
        for task in list(self._waiting):
            task.cancel()

    @property
    def in_flight(self) -> int:
        """Deliveries queued, waiting on the clock or on the wire."""
        return sum(1 for task in self._tasks if not task.done())

    # ------------------------------------------------------------------ events
    def on_store_event(self, event: StoreEvent) -> None:
        """EventBus listener: queue a delivery for every active webhook the event matches.

        Safe to call from any thread; it only records and schedules.
        """
        topic = f"{event.resource}.{event.event}"
        for webhook in self.registry.all():
            if not webhook.is_active() or not is_valid_topic(webhook.topic):
                continue
            if webhook.resource == "action":
                if not event.hook or webhook.event != event.hook:
                    continue
            elif webhook.topic != topic:
                continue
            self.enqueue(webhook.id, event.resource_id)

    def enqueue(self, webhook_id: int, resource_id: int) -> bool:
        """Queue one delivery; False when an identical pending one absorbs it (coalescing)."""
        key = (webhook_id, resource_id)
        now = self.clock.timestamp()
        due = now + self.options.delay
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None and pending <= now + COALESCE_WINDOW:
                return False
            self._pending[key] = due
            epoch = self._epoch
            if self._loop is None:
                self._backlog.append((key, due))
                return True
        self._call_soon(lambda: self._spawn(self._deliver_later(key, due, epoch)))
        return True

    # ------------------------------------------------------------------ the queue runner
    async def _deliver_later(self, key: tuple[int, int], due: float, epoch: int) -> None:
        """One queued action; a failure in it is logged, never takes the sender down."""
        try:
            await self._run_action(key, due, epoch)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook %s: the delivery for resource %s failed", *key)

    async def _run_action(self, key: tuple[int, int], due: float, epoch: int) -> None:
        if epoch != self._epoch:
            return  # queued before a reset
        woken = False
        if due > self.clock.timestamp():
            task = asyncio.current_task()
            assert task is not None
            self._waiting.add(task)
            try:
                await self.clock.sleep_until(due)
            finally:
                self._waiting.discard(task)
            woken = True
        if epoch != self._epoch:
            return
        with self._lock:
            # The action is running now: a new change queues a new delivery.
            if self._pending.get(key) == due:
                del self._pending[key]
        webhook_id, resource_id = key
        webhook = self.registry.get(webhook_id)
        if webhook is None:
            return  # deleted meanwhile: wc_deliver_webhook_async() finds nothing to send
        firing = self.faults.for_delivery(webhook_id, webhook.topic)
        if firing:
            if any(f.kind == "drop" for f in firing):
                return
            delay = sum(f.seconds for f in firing if f.kind == "delay")
            if delay > 0:
                # Counted from when the delivery was due, not from when this task got to run.
                await self.clock.sleep_until(due + delay)
                woken = True
        reorder = next((f for f in firing if f.kind == "reorder"), None)
        if reorder is not None:
            if woken:
                self.clock.mark_idle()
            self._hold(reorder, _Held(webhook_id, resource_id, firing))
            return
        await self._deliver(webhook_id, resource_id, firing, woken=woken)

    async def _deliver(
        self, webhook_id: int, resource_id: int, firing: list[Fault], *, woken: bool = False
    ) -> None:
        """WC_Webhook::deliver() for the webhook as it is now."""
        webhook = self.registry.get(webhook_id)
        if webhook is None:
            return
        request = self._build(webhook, resource_id)
        if woken:
            # The body is built at the instant the clock woke us; what follows is network
            # time, so a stepping advance() need not wait for the receiver.
            self.clock.mark_idle()
        attempts = 1
        if firing:
            if any(f.kind == "corrupt_signature" for f in firing):
                signature = request.headers[WC_SIGNATURE_HEADER]
                request.headers[WC_SIGNATURE_HEADER] = _corrupt(signature)
                request.faults.append("corrupt_signature")
            if any(f.kind == "duplicate" for f in firing):
                attempts = 2
                request.faults.append("duplicate")
        for _ in range(attempts):
            record = await self._post(request)
            await self._count(webhook, record.success)

    def _build(self, webhook: Webhook, resource_id: int) -> _Request:
        body = phpjson.dumps(self._payload(webhook, resource_id)).strip()
        delivery_id = self._delivery_id(webhook.id)
        settings = self.settings
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "X-WC-Webhook-Source": settings.site_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": webhook.topic,
            "X-WC-Webhook-Resource": webhook.resource,
            "X-WC-Webhook-Event": webhook.event,
            WC_SIGNATURE_HEADER: sign_woocommerce(webhook.secret, body),
            "X-WC-Webhook-ID": str(webhook.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        return _Request(
            webhook.id, webhook.topic, resource_id, webhook.delivery_url, headers, body, delivery_id
        )

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

    @property
    def user_agent(self) -> str:
        wc, wp = self.settings.wc_version, self.settings.wp_version
        return f"WooCommerce/{wc} Hookshot (WordPress/{wp})"

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

    # ------------------------------------------------------------------ failures
    async def _count(self, webhook: Webhook, success: bool) -> None:
        """WC_Webhook::log_delivery() + failed_delivery(), then the save."""
        if self.registry.get(webhook.id) is not webhook:
            return  # deleted while on the wire: the save updates no row
        if success:
            webhook.failure_count = 0
        elif webhook.failure_count > self.options.max_failures:
            # The count is compared BEFORE it is incremented, so with the default 5 the
            # failures go 1..6 and the 7th consecutive one disables: "> 5", not ">= 5".
            webhook.status = "disabled"
        else:
            webhook.failure_count += 1
        await self.saved(webhook, url_changed=False)

    async def saved(self, webhook: Webhook, *, url_changed: bool) -> None:
        """WC_Webhook_Data_Store::update(): stamp the save; ping an active webhook whose URL
        changed or whose ping never got a 200 (so such a webhook pings after every delivery).
        """
        self.registry.touch(webhook)
        if webhook.is_active() and (url_changed or webhook.pending_delivery):
            await self.ping(webhook)

    # ------------------------------------------------------------------ ping
    async def ping(self, webhook: Webhook) -> DeliveryRecord:
        """WC_Webhook::deliver_ping(): form body ``webhook_id=N``, no X-WC-Webhook-* headers,
        no signature; only exactly 200 clears pending_delivery. Never touches failure_count.
        """
        body = f"webhook_id={webhook.id}".encode()
        headers = {
            "User-Agent": self.user_agent,
            # curl's default for a string POST body (WordPress sets none).
            "Content-Type": "application/x-www-form-urlencoded",
        }
        request = _Request(webhook.id, webhook.topic, 0, webhook.delivery_url, headers, body, "")
        record = await self._post(request, kind="ping")
        if record.status == 200 and self.registry.get(webhook.id) is webhook:
            webhook.pending_delivery = False
            self.registry.touch(webhook)
        return record

    # ------------------------------------------------------------------ the wire
    async def _post(self, request: _Request, *, kind: str = "delivery") -> DeliveryRecord:
        epoch = self._epoch
        record = DeliveryRecord(
            kind=kind,
            webhook_id=request.webhook_id,
            topic=request.topic,
            url=request.url,
            request_headers=request.headers,  # built for this delivery, never changed after
            request_body=request.body.decode("utf-8", "replace"),
            sent_at=self.clock.timestamp(),
            resource_id=request.resource_id if kind == "delivery" else None,
            delivery_id=request.delivery_id,
            faults=request.faults,
        )
        ping = kind == "ping"
        timeout = self.options.ping_timeout if ping else self.options.timeout
        started = time.perf_counter()
        try:
            if self.options.restrict_delivery_urls:
                await self._check_safe_url(request.url)
            session, wire, slots = self._session, self._wire, self._slots
            if session is None or wire is None or slots is None:
                raise RuntimeError("the webhook sender is not running")
            async with slots:
                if ping:
                    status, answer = await _ping_post(session, request, timeout)
                else:
                    status, answer = await wire.post(
                        request.url, request.headers, request.body, timeout=timeout
                    )
            record.status = status
            record.response_body = answer[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every transport failure is a failed delivery, never a crash
            record.error = _describe_error(exc, request.url, timeout, time.perf_counter() - started)
        record.duration = time.perf_counter() - started
        record.success = record.status == 200 if ping else 200 <= record.status < 303
        if epoch == self._epoch:
            # A send that was on the wire when the store was reset belongs to the store
            # that was: it must not show up in the emptied journal.
            self.journal.append(record)
        return record

    async def _check_safe_url(self, url: str) -> None:
        """wp_http_validate_url(), as wp_safe_remote_request() applies it."""
        refused = DeliveryRefused("A valid URL was not provided.")
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
            raise refused
        if any(c in host for c in ":#?[]"):
            raise refused  # IPv6 literals included, as WordPress refuses them too
        home = urlsplit(self.settings.site_url)
        same_host = (home.hostname or "").lower() == host.lower()
        if not same_host:
            address = await self._ipv4_of(host)
            if address is None or _is_wp_private(address):
                raise refused
        port = parts.port
        if port is None or port in SAFE_PORTS:
            return
        if same_host and home.port == port:
            return
        raise refused

    async def _ipv4_of(self, host: str) -> ipaddress.IPv4Address | None:
        try:
            return ipaddress.IPv4Address(host)
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, family=socket.AF_INET)
        except OSError:
            return None
        return ipaddress.IPv4Address(infos[0][4][0]) if infos else None

    # ------------------------------------------------------------------ reorder
    def _hold(self, fault: Fault, held: _Held) -> None:
        with self._lock:
            self._held.setdefault(fault.id, []).append(held)
            release = fault.exhausted
        if release:
            self._release(fault.id)

    def _fault_removed(self, fault: Fault) -> None:
        if fault.kind == "reorder" and self._loop is not None:
            self._call_soon(lambda: self._release(fault.id))

    def _release(self, fault_id: int) -> None:
        with self._lock:
            held = self._held.pop(fault_id, [])
        if held:
            self._spawn(self._send_in_reverse(held))

    async def _send_in_reverse(self, held: list[_Held]) -> None:
        # One after the other, so the receiver really sees them newest first.
        for item in reversed(held):
            try:
                await self._deliver(item.webhook_id, item.resource_id, item.faults)
            except Exception:
                log.exception(
                    "webhook %s: the delivery for resource %s failed",
                    item.webhook_id,
                    item.resource_id,
                )

    # ------------------------------------------------------------------ plumbing
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _call_soon(self, action: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            action()
        else:
            loop.call_soon_threadsafe(action)


async def _ping_post(
    session: aiohttp.ClientSession, request: _Request, timeout: float
) -> tuple[int, bytes]:
    async with session.post(
        request.url,
        data=request.body,
        headers=request.headers,
        allow_redirects=True,  # wp_safe_remote_post()'s default 'redirection' => 5
        max_redirects=5,
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        return response.status, await response.read()


def _is_wp_private(address: ipaddress.IPv4Address) -> bool:
    """wp_http_validate_url()'s private ranges: 0/8, 10/8, 127/8, 172.16/12, 192.168/16."""
    first, second = address.packed[0], address.packed[1]
    return (
        first in (0, 10, 127)
        or (first == 172 and 16 <= second <= 31)
        or (first == 192 and second == 168)
    )


def _corrupt(signature: str) -> str:
    """A well-formed signature that does not match: one base64 character changed."""
    swapped = "B" if signature[0] != "B" else "C"
    return swapped + signature[1:]


def _describe_error(exc: BaseException, url: str, timeout: float, elapsed: float) -> str:
    """The WP_Error message WordPress would log, in cURL's words where they are well known."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if isinstance(exc, ConnectFailed):
        exc = exc.cause  # described by what stopped the connection
    if isinstance(exc, DeliveryRefused):
        return str(exc)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return (
            f"cURL error 28: Operation timed out after {int(elapsed * 1000)} milliseconds "
            "with 0 bytes received"
        )
    if isinstance(exc, ssl.SSLCertVerificationError | aiohttp.ClientConnectorCertificateError):
        # WordPress verifies certificates ('sslverify' => true): self-signed ones fail.
        cause = getattr(exc, "certificate_error", exc)
        reason = getattr(cause, "verify_message", None) or str(cause)
        return f"cURL error 60: SSL certificate problem: {reason}"
    if isinstance(exc, ssl.SSLError):
        return f"cURL error 35: {exc}"
    if isinstance(exc, ConnectionRefusedError | aiohttp.ClientConnectorError):
        return f"cURL error 7: Failed to connect to {host} port {port}: Connection refused"
    if isinstance(exc, EmptyReply | aiohttp.ServerDisconnectedError):
        return "cURL error 52: Empty reply from server"
    if isinstance(exc, ProtocolError | aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return f"cURL error 8: Weird server reply ({exc})"
    if isinstance(exc, socket.gaierror):
        return f"cURL error 6: Could not resolve host: {host}"
    if isinstance(exc, ConnectionError | aiohttp.ClientOSError):
        return "cURL error 56: Recv failure: Connection reset by peer"
    return f"{exc.__class__.__name__}: {exc}"


__all__ = ["COALESCE_WINDOW", "DeliveryEngine", "DeliveryOptions", "PayloadFor"]
