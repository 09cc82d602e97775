"""The relay's endpoint: signed WooCommerce webhooks in, durable outbox rows out.

Pipeline of one inbound delivery (``POST /events/woocommercerest/<instance>``):

1. size limit (413) — checked on ``Content-Length`` and while reading;
2. the store's ping (form body ``webhook_id=N``, unsigned) → 200, nothing forwarded;
3. ``X-WC-Webhook-Signature`` over the raw bytes, constant time, against each of the
   relay's webhook secrets (one per topic) → 401 when missing/wrong. The secret that
   matches names the webhook, hence the topic; an ``X-WC-Webhook-Topic`` or ``-ID``
   header that says otherwise is a replayed delivery re-labelled → 401;
4. JSON → 400 when malformed;
5. topic → objectType/eventType; an unknown topic is answered 200 and logged;
6. dedupe (webhook id + topic + body hash, kept in State) → 200, counted as duplicate;
7. the notification is written to the durable outbox (group commit) and only then
   the relay answers 200: a 2xx means "will be delivered", even after a SIGKILL.

Delivery is the :class:`~pytest_woosim.outbox.sender.Sender`'s job: in order, signed, retried
on the Cloud Elements schedule on the shared clock, parked (never dropped) after the
last retry, redelivered on ``POST /redeliver`` or by the periodic probe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from pytest_woosim.outbox.notifications import (
    WEBHOOK_MAX_EVENTS,
    Event,
    Notification,
    build_notifications,
)
from pytest_woosim.outbox.state import StateStore
from pytest_woosim.poller.scan import content_key
from pytest_woosim.relay.inbound import (
    InboundEvent,
    InboundRejected,
    WebhookHeaders,
    normalise,
    parse_body,
    ping_webhook_id,
    verify,
)
from pytest_woosim.relay.registration import (
    TOPICS,
    webhook_secret,
)
from pytest_woosim.relay.token import route_guards
from simulator.clock import Clock
from simulator.wire.timeouts import BODY_TIMEOUT, IDLE_TIMEOUT

log = logging.getLogger("woosim.relay")

ELEMENT_KEY = "woocommercerest"
#: Largest accepted webhook body. A WooCommerce order with hundreds of line items is
#: well under 1 MiB; 10 MiB leaves room without letting one request eat the memory.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = IDLE_TIMEOUT
DEFAULT_BODY_TIMEOUT = BODY_TIMEOUT
#: Outbox "resource" under which the relay's notifications are committed.
OUTBOX_RESOURCE = "webhooks"


def delivery_path(instance: str) -> str:
    return f"/events/{ELEMENT_KEY}/{instance}"


@dataclass
class RelayStats:
    """Counters of inbound deliveries (``GET /stats``)."""

    received: int = 0
    pings: int = 0
    verified: int = 0
    rejected: int = 0  # 401 bad/missing signature, 413, 400 malformed JSON
    ignored: int = 0  # signed and valid, but nothing to forward (unknown topic, no id)
    duplicates: int = 0
    accepted: int = 0  # durably queued for delivery
    store_errors: int = 0  # the outbox write failed → 503, nothing promised


@dataclass
class _Pending:
    """One verified event waiting for the next outbox write."""

    event: InboundEvent
    keys: list[str]
    future: asyncio.Future[str | None]  # eventId when queued, None when a duplicate


class _Batcher:
    """Writes accepted events to the outbox, many per transaction, one batch at a time.

    Requests arriving while a batch is being written wait for the next one, so a
    burst costs one dedupe lookup and one durable commit per batch instead of per
    request. Batches run strictly one after another, which also makes dedupe exact:
    a duplicate arriving while its twin is being written is checked after the twin
    is committed (or within the same batch).
    """

    def __init__(self, write: Callable[[list[_Pending]], Awaitable[None]]) -> None:
        self._write = write
        self._queue: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None

    def submit(self, event: InboundEvent, keys: list[str]) -> asyncio.Future[str | None]:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(event, keys, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._write(batch)
            except Exception as exc:
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)


class RelayApp:
    """The relay's HTTP side for one instance: inbound webhooks, health, stats, redelivery."""

    def __init__(
        self,
        *,
        state: StateStore,
        clock: Clock,
        instance: str,
        instance_id: int | str,
        callback_url: str,
        secret: str,
        instance_name: str | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        share_content_keys: bool = False,
        batch_events: int = 1,
        redeliver: Callable[[], Awaitable[int]] | None = None,
        delivered: Callable[[], int] | None = None,
        health: Callable[[], dict[str, Any]] | None = None,
        control_token: str | None = None,
        registered: Callable[[], Mapping[str, int]] | None = None,
        topics: Sequence[str] = TOPICS,
    ) -> None:
        self.control_token = control_token
        self._registered = registered
        self._topic_secrets = {topic: webhook_secret(secret, topic) for topic in topics}
        self.state = state
        self.clock = clock
        self.instance = instance
        self.instance_id = instance_id
        self.instance_name = instance_name
        self.callback_url = callback_url
        self._secret = secret
        self.max_body = max_body
        self.body_timeout = body_timeout
        # With reconciliation on, a webhook also records the poller's content key (and
        # checks it), so the same record content seen by webhook and by poll is one event.
        self.share_content_keys = share_content_keys
        self._redeliver = redeliver
        self._delivered = delivered
        self._health = health
        self.stats = RelayStats()
        self.batch_events = max(1, min(batch_events, WEBHOOK_MAX_EVENTS))
        self._batcher = _Batcher(self._write_batch)

    # ------------------------------------------------------------------ app
    def app(self, allowed_hosts: Collection[str] = ()) -> web.Application:
        """The single-instance relay's own server; ``allowed_hosts``: its bound host."""
        # client_max_size makes request.read() raise 413 past the limit even
        # without (or with a lying) Content-Length.
        app = web.Application(
            client_max_size=self.max_body,
            middlewares=route_guards(self.control_token, allowed_hosts),
        )
        app.router.add_post(delivery_path("{instance}"), self.handle_webhook)
        app.router.add_get("/healthz", self.handle_health)
        app.router.add_get("/stats", self.handle_stats)
        app.router.add_post("/redeliver", self.handle_redeliver)
        return app

    # ------------------------------------------------------------------ inbound
    async def handle_webhook(self, request: web.Request) -> web.Response:
        if request.match_info["instance"] != self.instance:
            return _json({"status": "error", "reason": "unknown instance"}, 404)
        self.stats.received += 1
        if request.content_length is not None and request.content_length > self.max_body:
            return self._reject(413, f"body larger than {self.max_body} bytes", request)
        try:
            if request.content.is_eof():
                # The whole body arrived with the headers (as a store sends a webhook):
                # it is taken as it is, without a timer or aiohttp's read loop.
                body = request.content.read_nowait()
                if len(body) > self.max_body:
                    raise web.HTTPRequestEntityTooLarge(self.max_body, len(body))
            else:
                async with asyncio.timeout(self.body_timeout):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._reject(413, f"body larger than {self.max_body} bytes", request)
        except TimeoutError:
            response = self._reject(
                408, f"body not received within {self.body_timeout:g}s", request
            )
            response.force_close()  # no keep-alive: the connection ends after this answer
            return response
        headers = WebhookHeaders.from_mapping(request.headers)

        ping_id = ping_webhook_id(headers, body)
        if ping_id is not None:
            self.stats.pings += 1
            log.info("ping webhook_id=%s", ping_id)
            return _json({"status": "pong", "webhook_id": ping_id}, 200)

        bound = self._bind(body, headers)
        if isinstance(bound, str):
            return self._reject(401, bound, request, headers)
        headers = bound
        self.stats.verified += 1

        try:
            payload = parse_body(body)
            event = normalise(headers, body, payload, self.clock.now)
        except InboundRejected as exc:
            if exc.status == 400:
                return self._reject(400, exc.reason, request, headers)
            # Signed by the store but nothing to forward: answer 200 so the store
            # does not count a failure (and eventually disable the webhook).
            self.stats.ignored += 1
            log.info(
                "ignored delivery topic=%s webhook_id=%s reason=%s",
                headers.topic,
                headers.webhook_id,
                exc.reason,
            )
            return _json({"status": "ignored", "reason": exc.reason}, 200)
        return await self._accept(event)

    def _bind(self, body: bytes, headers: WebhookHeaders) -> WebhookHeaders | str:
        """The delivery bound to the webhook whose secret signed it, or why not.

        Topic and webhook id come from the registration, never from the unsigned
        headers: a genuine delivery replayed with another id or topic is refused.
        """
        if not headers.signature:
            return verify(self._secret, body, headers).reason
        topic = self._signing_topic(body, headers)
        if topic is None:
            return "signature mismatch (wrong secret, body changed, or not the relay's webhook)"
        if headers.topic is not None and headers.topic != topic:
            return f"X-WC-Webhook-Topic {headers.topic!r} is not the signing webhook's topic"
        registered = self._registered().get(topic) if self._registered is not None else None
        if registered is not None and headers.webhook_id not in (None, registered):
            return "X-WC-Webhook-ID is not the webhook registered for this topic"
        return WebhookHeaders(
            topic=topic,
            resource=headers.resource,
            event=headers.event,
            webhook_id=registered if registered is not None else headers.webhook_id,
            delivery_id=headers.delivery_id,
            source=headers.source,
            signature=headers.signature,
        )

    def _signing_topic(self, body: bytes, headers: WebhookHeaders) -> str | None:
        """The topic whose webhook secret signed ``body``, or None.

        The topic the headers claim is tried first: a genuine delivery then costs one
        HMAC instead of one per topic. The outcome is the same as trying every secret
        in turn (each topic has its own secret), so a re-labelled delivery still
        resolves to its real topic and is refused by the caller.
        """
        claimed = headers.topic
        secret = self._topic_secrets.get(claimed) if claimed is not None else None
        if secret is not None and verify(secret, body, headers):
            return claimed
        return next(
            (
                topic
                for topic, secret in self._topic_secrets.items()
                if topic != claimed and verify(secret, body, headers)
            ),
            None,
        )

    def _reject(
        self,
        status: int,
        reason: str,
        request: web.Request,
        headers: WebhookHeaders | None = None,
    ) -> web.Response:
        self.stats.rejected += 1
        log.warning(
            "rejected delivery status=%s reason=%s topic=%s webhook_id=%s remote=%s",
            status,
            reason,
            headers.topic if headers else None,
            headers.webhook_id if headers else None,
            request.remote,
        )
        return _json({"status": "rejected", "reason": reason}, status)

    def _keys(self, event: InboundEvent) -> list[str]:
        keys = [event.dedupe_key]
        if (
            self.share_content_keys
            and event.event_type != "DELETED"
            and isinstance(event.raw, dict)
        ):
            keys.append(content_key(event.object_type, event.raw))
        return keys

    async def _accept(self, event: InboundEvent) -> web.Response:
        try:
            event_id = await self._batcher.submit(event, self._keys(event))
        except Exception as exc:
            self.stats.store_errors += 1
            log.error("outbox write failed topic=%s error=%s", event.topic, exc)
            return _json({"status": "error", "reason": "could not store the event"}, 503)
        if event_id is None:
            return self._duplicate(event)
        self.stats.accepted += 1
        log.info(
            "accepted topic=%s objectType=%s objectId=%s eventType=%s eventId=%s",
            event.topic,
            event.object_type,
            event.object_id,
            event.event_type,
            event_id,
        )
        return _accepted(event_id)

    async def _write_batch(self, batch: list[_Pending]) -> None:
        """Dedupe a batch and queue its notifications durably, in one transaction.

        The dedupe check runs inside the write (``build``): the reconciliation poll
        writes the same keys concurrently, and a check made before the write would
        let both queue one record version.
        """
        queued: list[tuple[list[_Pending], Notification]] = []

        def build(seen: set[str]) -> tuple[list[Notification], list[str | None]]:
            queued.clear()
            fresh: list[_Pending] = []
            for item in batch:
                # A duplicate when the delivery itself was seen (before, or earlier in
                # this batch) or, when reconciling, when the poll already emitted it.
                if seen.isdisjoint(item.keys):
                    seen.update(item.keys)
                    fresh.append(item)
            for group in self._group(fresh):
                queued.extend((group, n) for n in self._notify(group))
            return [n for _, n in queued], [self._group_key(group) for group, _ in queued]

        await self.state.commit_window(
            self.instance,
            OUTBOX_RESOURCE,
            None,
            (),
            [k for item in batch for k in item.keys],
            callback_url=self.callback_url,
            build=build,
        )
        ids: dict[int, str] = {}
        for group, notification in queued:
            for item in group:
                ids.setdefault(id(item), notification.id)
        for item in batch:
            item.future.set_result(ids.get(id(item)))

    def _group_key(self, group: list[_Pending]) -> str | None:
        """The sender's order group: one object, unless objects share a notification.

        Per object (``orders:12``) the sender delivers objects concurrently while
        each object's events stay in order. Notifications that merge several
        objects order by object type. With reconciliation, the poll queues into
        the instance's single group (strict FIFO), and so do the webhooks: the same
        object never sits in two groups.
        """
        event = group[0].event
        if self.share_content_keys:
            return None
        if self.batch_events == 1:
            return f"{event.object_type}:{event.object_id}"
        return event.object_type

    def _group(self, items: list[_Pending]) -> list[list[_Pending]]:
        """Consecutive events of one object type, at most ``batch_events`` per notification."""
        groups: list[list[_Pending]] = []
        for item in items:
            last = groups[-1] if groups else None
            if (
                last is not None
                and len(last) < self.batch_events
                and last[0].event.object_type == item.event.object_type
            ):
                last.append(item)
            else:
                groups.append([item])
        return groups

    def _notify(self, group: list[_Pending]) -> list[Notification]:
        events = [
            Event(p.event.object_type, p.event.object_id, p.event.event_type, p.event.date)
            for p in group
        ]
        first = group[0].event
        if len(group) == 1 and isinstance(first.raw, dict):
            # The Cloud Elements shape: raw is the vendor's body, exactly.
            raw: dict[str, Any] = first.raw
        else:
            # Several webhooks in one notification (opt-in batching): raw mirrors the
            # polling shape, {"instance_id", "objectType", "<objectType>": [bodies]}.
            raw = {
                "instance_id": self.instance_id,
                "objectType": first.object_type,
                first.object_type: [p.event.raw for p in group],
            }
        return build_notifications(
            events,
            raw,
            instance_id=self.instance_id,
            element_key=ELEMENT_KEY,
            max_events=WEBHOOK_MAX_EVENTS,
            instance_name=self.instance_name,
        )

    def _duplicate(self, event: InboundEvent) -> web.Response:
        self.stats.duplicates += 1
        log.info(
            "duplicate topic=%s objectType=%s objectId=%s",
            event.topic,
            event.object_type,
            event.object_id,
        )
        return _json({"status": "duplicate"}, 200)

    # ------------------------------------------------------------------ operations
    async def stats_json(self) -> dict[str, Any]:
        counts = await self.state.outbox_counts(self.instance)
        data: dict[str, Any] = asdict(self.stats)
        data["delivered"] = self._delivered() if self._delivered is not None else 0
        data["queued"] = counts.pending
        data["parked"] = counts.parked
        return data

    async def handle_stats(self, request: web.Request) -> web.Response:
        return _json(await self.stats_json(), 200)

    async def handle_health(self, request: web.Request) -> web.Response:
        try:
            counts = await self.state.outbox_counts(self.instance)
        except Exception as exc:
            return _json({"status": "error", "reason": f"state unavailable: {exc}"}, 503)
        data: dict[str, Any] = {
            "status": "ok",
            "instance": self.instance,
            "queued": counts.pending,
            "parked": counts.parked,
        }
        if self._health is not None:
            data.update(self._health())
        return _json(data, 200)

    async def handle_redeliver(self, request: web.Request) -> web.Response:
        if self._redeliver is None:
            return _json({"status": "error", "reason": "no sender"}, 503)
        count = await self._redeliver()
        log.info("redelivery requested parked=%s", count)
        return _json({"status": "ok", "redelivering": count}, 200)


def _json(data: dict[str, Any], status: int) -> web.Response:
    return web.json_response(data, status=status)


def _accepted(event_id: str) -> web.Response:
    """``_json({"status": "accepted", "eventId": event_id}, 200)``, byte for byte.

    The answer of every accepted event: built directly, without a JSON encoder (the
    id is our own UUID, nothing in it to escape).
    """
    return web.Response(
        body=b'{"status": "accepted", "eventId": "%s"}' % event_id.encode("ascii"),
        content_type="application/json",
        charset="utf-8",
    )
