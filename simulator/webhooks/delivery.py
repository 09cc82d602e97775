"""Sending webhooks: the queue and its runner, the signed POST, pings and failure counting.

How the real store does it (WC_Webhook, wc-webhook-functions.php, Action Scheduler) and
how we map it:

* a store change fires a hook; every ``active`` webhook listening to it queues an
  Action Scheduler action ``{webhook_id, arg}`` unless an identical one is already
  pending. Here: :class:`~simulator.webhooks.queue.ActionQueue`, one pending delivery
  per (webhook, resource), so three saves before the queue runs give ONE delivery;
* a queue runner takes the due actions in the order they were scheduled and builds
  each body then, from the resource's current state (an ``order.created`` delivery
  can carry the status of a later update). The real runner runs once a minute from
  WP-Cron; here it runs on the store clock every ``queue_interval`` seconds, or as
  soon as a change settles when that is 0 (the default);
* one POST with a 60 s timeout, no redirects; 200..302 is success; anything else
  bumps ``failure_count`` and eventually disables the webhook; no retries.

Deliveries to one URL go on the wire one after the other, in queue order, so a
receiver never sees a stale body after a fresh one; different URLs are served side by
side, so a receiver that hangs never holds up deliveries to others.

This module is the engine (queue runner, lanes, faults, failure counting). What a
request looks like is :mod:`~simulator.webhooks.request`; WordPress's HTTP rules (URL
validation, the ping's POST, errors in cURL's words) are :mod:`~simulator.webhooks.wphttp`;
the settings are :mod:`~simulator.webhooks.options`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from simulator.clock import Clock
from simulator.events import StoreEvent
from simulator.faults import Fault, Faults
from simulator.loops import call_on
from simulator.settings import Settings
from simulator.webhooks.journal import RESPONSE_BODY_LIMIT, DeliveryJournal, DeliveryRecord
from simulator.webhooks.model import Webhook, topics_fired_by
from simulator.webhooks.options import DeliveryOptions
from simulator.webhooks.queue import COALESCE_WINDOW, Action, ActionQueue, next_run
from simulator.webhooks.registry import WebhookRegistry
from simulator.webhooks.request import DeliveryRequest, PayloadFor, RequestBuilder
from simulator.webhooks.wphttp import check_safe_url, describe_error, ping_post
from simulator.wire.httpclient import KeepAliveClient, Reply

log = logging.getLogger("simulator.webhooks")

#: The runner hands the wire what it has built every so many bodies, so sending
#: overlaps building when a run takes thousands of actions.
_BUILD_SLICE = 64


@dataclass
class _Held:
    """A delivery a reorder fault is holding back."""

    webhook_id: int
    resource_id: int
    faults: list[Fault]


class _Slots:
    """How many deliveries and pings may be on the wire at once. As asyncio.Semaphore, a
    freed slot goes to the longest waiter; unlike it, a free slot can be taken without
    awaiting (a delivery sent from a callback)."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self) -> None:
        if self.try_take():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif not waiter.cancelled():
                self.give()  # handed over just as we were cancelled: pass it on
            raise

    def give(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


@dataclass
class _Lane:
    """Built deliveries to one URL, sent one after the other."""

    items: deque[tuple[Webhook, DeliveryRequest]] = field(default_factory=deque)
    busy: bool = False


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
        self.options = options or DeliveryOptions()
        self.requests = RequestBuilder(
            clock=clock, settings=settings, payload_for=payload_for, options=self.options
        )
        self._lock = threading.Lock()
        self._queue = ActionQueue()
        #: Bumped by reset(): a run under way when the store is reset stops.
        self._epoch = 0
        self._held: dict[int, list[_Held]] = {}
        self._lanes: dict[str, _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        #: The run instant the runner sleeps until (None when it is not asleep on the clock).
        self._sleeping_until: float | None = None
        self._rewake = False
        self._run_now = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._wire: KeepAliveClient | None = None
        self._slots: _Slots | None = None
        #: Set by close(): sends that end meanwhile record nothing and start nothing.
        self._closing = False
        faults.on_removed(self._fault_removed)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind to the running loop, open the client session and start the queue runner."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._slots = _Slots(self.options.concurrency)
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
        self._wake = asyncio.Event()
        self._runner = self._spawn(self._run_queue())

    async def close(self) -> None:
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = None
        self._lanes.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._wire is not None:
            await self._wire.close()
            self._wire = None
        self._loop = None

    def reset(self) -> None:
        """Forget queued, built and held deliveries (a store reset); in-flight sends finish
        unrecorded."""
        with self._lock:
            self._epoch += 1
            self._queue.clear()
            self._held.clear()
        if self._loop is not None:
            self._call_soon(self._clear_lanes)

    def _clear_lanes(self) -> None:
        # A send already on the wire finishes, but it belongs to the store that was: its
        # lane leaves the table so that ``in_flight`` (the queue's ``pending``) no longer
        # counts it; a send that hangs for its whole timeout must not make the emptied
        # store look busy.
        for lane in self._lanes.values():
            lane.items.clear()
        self._lanes.clear()

    @property
    def in_flight(self) -> int:
        """Deliveries queued, built and waiting for the wire, or on the wire."""
        with self._lock:
            queued = len(self._queue)
        return queued + sum(len(lane.items) + lane.busy for lane in list(self._lanes.values()))

    # ------------------------------------------------------------------ events
    def on_store_event(self, event: StoreEvent) -> None:
        """EventBus listener: queue a delivery for every active webhook the event matches.

        Safe to call from any thread; it only records and wakes the queue runner.
        """
        subscriptions = self.registry.subscriptions()
        if event.hook:
            # An action hook: action.<hook> webhooks deliver {"action": hook, "arg": id}.
            for webhook_id in subscriptions.by_hook.get(event.hook, ()):
                self.enqueue(webhook_id, event.resource_id)
        if event.resource == "action" or not subscriptions.by_topic:
            return
        # The hooks one change fires, in the order it fires them (creating an order also
        # saves it again, which fires order.updated after order.created).
        for topic in topics_fired_by(event.resource, event.event):
            for webhook_id in subscriptions.by_topic.get(topic, ()):
                self.enqueue(webhook_id, event.resource_id)

    def wants_hook(self, hook: str) -> bool:
        """Whether an active ``action.<hook>`` webhook exists (the bus asks before the store
        builds an action event nobody takes)."""
        return hook in self.registry.subscriptions().by_hook

    def enqueue(self, webhook_id: int, resource_id: int) -> bool:
        """Queue one delivery; False when an identical pending one absorbs it (coalescing)."""
        now = self.clock.timestamp()
        due = now + self.options.delay
        with self._lock:
            if not self._queue.add(webhook_id, resource_id, due, now):
                return False
        self._call_soon(self._poke, due)
        return True

    def run_queue(self) -> None:
        """Run the queue now, whatever ``queue_interval`` says (what ``runqueue`` does in
        the real store: WP-Cron's every-minute event, on demand). Safe from any thread."""
        self.reschedule(run_now=True)

    def reschedule(self, *, run_now: bool = False) -> None:
        """Recompute the next run (after ``queue_interval`` changed), or run now."""
        with self._lock:
            self._run_now = self._run_now or run_now
            first_due = self._queue.next_due()
        if first_due is not None or run_now:
            due = first_due if first_due is not None else self.clock.timestamp()
            self._call_soon(lambda: self._poke(due, recompute=True))

    # ------------------------------------------------------------------ the queue runner
    def _poke(self, due: float, *, recompute: bool = False) -> None:
        """On the loop: wake the runner, or bring its run forward when this one is earlier
        (``recompute``: whenever it differs, as after a change of ``queue_interval``)."""
        if self._wake is not None:
            self._wake.set()
        sleeping_until = self._sleeping_until
        runner = self._runner
        if sleeping_until is None or runner is None:
            return
        run_at = next_run(due, self.options.queue_interval)
        if self._run_now or run_at < sleeping_until or (recompute and run_at != sleeping_until):
            self._rewake = True
            runner.cancel()

    async def _run_queue(self) -> None:
        """The one queue runner: sleeps on the store clock until the next run, then takes
        the due actions in order and builds their bodies."""
        wake = self._wake
        assert wake is not None
        while True:
            with self._lock:
                first_due = self._queue.next_due()
                run_now, self._run_now = self._run_now, False
            now = self.clock.timestamp()
            if first_due is None:
                self.clock.mark_idle()
                # A change wakes us only once it yields to the loop, i.e. once it is
                # done: a request that changes many records queues them all first.
                await wake.wait()
                wake.clear()
                continue
            run_at = now if run_now else next_run(first_due, self.options.queue_interval)
            if run_at > now and not await self._sleep_until(run_at):
                continue  # an earlier run was asked for
            try:
                await self._run_once(forced=run_now)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the webhook queue run failed")

    async def _sleep_until(self, run_at: float) -> bool:
        """Sleep on the clock until ``run_at``; False when an earlier run was asked for."""
        self._sleeping_until = run_at
        try:
            await self.clock.sleep_until(run_at)
            return True
        except asyncio.CancelledError:
            if not self._rewake:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return False
        finally:
            self._sleeping_until = None
            self._rewake = False

    async def _run_once(self, *, forced: bool) -> None:
        """One queue run: every due action, oldest first; each body built as it is taken."""
        now = self.clock.timestamp()
        with self._lock:
            epoch = self._epoch
            # A forced run takes what is pending now, as the real runner does.
            actions = self._queue.take_due(now)
        # Bodies built in this slice, by resource: webhooks that take the same resource
        # (order.created and order.updated, two URLs) share one rendering. Only within a
        # slice: nothing changes the store until the runner yields.
        bodies: dict[tuple[str, int], bytes] = {}
        for index, action in enumerate(actions):
            if index and index % _BUILD_SLICE == 0:
                await asyncio.sleep(0)  # let the wire start on what is built
                if epoch != self._epoch:
                    return
                bodies.clear()
            try:
                self._take(action, bodies)
            except Exception:  # one broken action never takes the run down
                log.exception(
                    "webhook %s: the delivery for resource %s failed",
                    action.webhook_id,
                    action.resource_id,
                )

    def _take(self, action: Action, bodies: dict[tuple[str, int], bytes]) -> None:
        """wc_deliver_webhook_async() for one action, up to the moment it goes on the wire."""
        webhook = self.registry.get(action.webhook_id)
        if webhook is None:
            return  # deleted meanwhile: wc_deliver_webhook_async() finds nothing to send
        first_take = action.firing is None
        firing = (
            self.faults.for_delivery(action.webhook_id, webhook.topic)
            if first_take
            else action.firing or []
        )
        if firing:
            if any(f.kind == "drop" for f in firing):
                return
            delay = sum(f.seconds for f in firing if f.kind == "delay")
            if first_take and delay > 0:
                # Counted from when the delivery was due; it stays pending meanwhile.
                action.firing = firing
                action.due += delay
                with self._lock:
                    self._queue.put_back(action)
                self._call_soon(lambda: self._poke(action.due))
                return
            reorder = next((f for f in firing if f.kind == "reorder"), None)
            if reorder is not None:
                self._hold(reorder, _Held(action.webhook_id, action.resource_id, firing))
                return
        request = self._prepare(webhook, action.resource_id, firing, bodies)
        self._dispatch(webhook, request)

    def _prepare(
        self,
        webhook: Webhook,
        resource_id: int,
        firing: list[Fault],
        bodies: dict[tuple[str, int], bytes] | None = None,
    ) -> DeliveryRequest:
        request = self.requests.delivery(webhook, resource_id, bodies)
        if not firing:
            return request
        if any(f.kind == "corrupt_signature" for f in firing):
            request.corrupt_signature()
            request.faults.append("corrupt_signature")
        if any(f.kind == "duplicate" for f in firing):
            request.attempts = 2
            request.faults.append("duplicate")
        return request

    def _dispatch(self, webhook: Webhook, request: DeliveryRequest) -> None:
        lane = self._lanes.get(request.url)
        if lane is None:
            lane = self._lanes[request.url] = _Lane()
        lane.items.append((webhook, request))
        if not lane.busy:
            lane.busy = True
            self._lane_next(request.url, lane)

    # One URL's deliveries go out in order, one at a time: each one's end starts the next.
    # The common delivery (one attempt, no URL check, a free slot, an idle connection) is
    # sent, recorded and counted without a task, from the connection's read; anything
    # else runs as a task that goes on with the lane when it is done.
    def _lane_next(self, url: str, lane: _Lane) -> None:
        """Start the lane's next delivery, or end the lane when it has none left."""
        if self._closing or not lane.items:
            lane.busy = False
            if self._lanes.get(url) is lane and not lane.items:
                del self._lanes[url]
            return
        webhook, request = lane.items.popleft()
        if not self._post_soon(webhook, request, url, lane):
            self._spawn(self._then_next(lambda: self._send(webhook, request), request, url, lane))

    async def _then_next(
        self,
        step: Callable[[], Awaitable[object]],
        request: DeliveryRequest,
        url: str,
        lane: _Lane,
    ) -> None:
        # ``step`` makes its coroutine here: a task cancelled before it ran leaves none
        # un-awaited.
        try:
            await step()
        except asyncio.CancelledError:
            lane.busy = False  # the sender is closing
            raise
        except Exception:
            self._log_failed(request)
        self._lane_next(url, lane)

    def _post_soon(self, webhook: Webhook, request: DeliveryRequest, url: str, lane: _Lane) -> bool:
        """Send ``request`` with a callback that records, counts and goes on with the lane;
        False (nothing sent) when it needs the task path."""
        wire, slots = self._wire, self._slots
        if (
            request.attempts != 1
            or self.options.restrict_delivery_urls
            or wire is None
            or slots is None
            or not slots.try_take()
        ):
            return False
        epoch = self._epoch
        record = self._record(request, "delivery")
        timeout = self.options.timeout
        started = time.perf_counter()

        def answered(reply: Reply | None, error: BaseException | None) -> None:
            slots.give()
            if self._closing:
                return  # as a send cancelled by close(): nothing recorded
            try:
                self._finish(record, epoch, reply, error, timeout, started)
                if self._count_now(webhook, record.success):
                    self._spawn(self._then_next(lambda: self.ping(webhook), request, url, lane))
                    return
            except Exception:
                self._log_failed(request)
            self._lane_next(url, lane)

        if wire.post_soon(
            request.url, request.headers, request.body, timeout=timeout, then=answered
        ):
            return True
        slots.give()
        return False

    @staticmethod
    def _log_failed(request: DeliveryRequest) -> None:
        log.exception(
            "webhook %s: the delivery for resource %s failed",
            request.webhook_id,
            request.resource_id,
        )

    async def _send(self, webhook: Webhook, request: DeliveryRequest) -> None:
        for _ in range(request.attempts):
            record = await self._post(request)
            await self._count(webhook, record.success)

    async def _deliver(self, webhook_id: int, resource_id: int, firing: list[Fault]) -> None:
        """WC_Webhook::deliver() for the webhook as it is now (a released reorder hold)."""
        webhook = self.registry.get(webhook_id)
        if webhook is None:
            return
        await self._send(webhook, self._prepare(webhook, resource_id, firing))

    # ------------------------------------------------------------------ failures
    async def _count(self, webhook: Webhook, success: bool) -> None:
        """WC_Webhook::log_delivery() + failed_delivery(), then the save."""
        if self._count_now(webhook, success):
            await self.ping(webhook)

    def _count_now(self, webhook: Webhook, success: bool) -> bool:
        """:meth:`_count` up to the save's ping: True when the save must ping (what
        saved() does when the URL did not change: an active webhook whose ping never got a
        200 pings after every delivery)."""
        if self.registry.get(webhook.id) is not webhook:
            return False  # deleted while on the wire: the save updates no row
        if success:
            if webhook.failure_count:
                webhook.failure_count = 0
        elif webhook.failure_count > self.options.max_failures:
            # The count is compared BEFORE it is incremented, so with the default 5 the
            # failures go 1..6 and the 7th consecutive one disables: "> 5", not ">= 5".
            webhook.status = "disabled"
        else:
            webhook.failure_count += 1
        return self._stamp_save(webhook, url_changed=False)

    async def saved(self, webhook: Webhook, *, url_changed: bool) -> None:
        """WC_Webhook_Data_Store::update(): stamp the save; ping an active webhook whose URL
        changed or whose ping never got a 200 (so such a webhook pings after every delivery).
        """
        if self._stamp_save(webhook, url_changed=url_changed):
            await self.ping(webhook)

    def _stamp_save(self, webhook: Webhook, *, url_changed: bool) -> bool:
        """:meth:`saved` up to its ping: the save stamped; True when it must ping."""
        self.registry.touch(webhook)
        return webhook.is_active() and (url_changed or webhook.pending_delivery)

    # ------------------------------------------------------------------ ping
    async def ping(self, webhook: Webhook) -> DeliveryRecord:
        """WC_Webhook::deliver_ping(): form body ``webhook_id=N``, no X-WC-Webhook-* headers,
        no signature; only exactly 200 clears pending_delivery. Never touches failure_count.
        """
        record = await self._post(self.requests.ping(webhook), kind="ping")
        if record.status == 200 and self.registry.get(webhook.id) is webhook:
            webhook.pending_delivery = False
            self.registry.touch(webhook)
        return record

    # ------------------------------------------------------------------ the wire
    async def _post(self, request: DeliveryRequest, *, kind: str = "delivery") -> DeliveryRecord:
        epoch = self._epoch
        ping = kind == "ping"
        record = self._record(request, kind)
        timeout = self.options.ping_timeout if ping else self.options.timeout
        started = time.perf_counter()
        reply: Reply | None = None
        error: Exception | None = None
        try:
            if self.options.restrict_delivery_urls:
                await check_safe_url(request.url, self.settings.site_url)
            session, wire, slots = self._session, self._wire, self._slots
            if session is None or wire is None or slots is None:
                raise RuntimeError("the webhook sender is not running")
            await slots.take()
            try:
                if ping:
                    reply = await ping_post(
                        session, request.url, request.headers, request.body, timeout
                    )
                else:
                    reply = await wire.post(
                        request.url, request.headers, request.body, timeout=timeout
                    )
            finally:
                slots.give()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every transport failure is a failed delivery, never a crash
            error = exc
        self._finish(record, epoch, reply, error, timeout, started)
        return record

    def _record(self, request: DeliveryRequest, kind: str) -> DeliveryRecord:
        return DeliveryRecord(
            kind,
            request.webhook_id,
            request.topic,
            request.url,
            request.headers,  # built for this delivery, never changed after
            request.body.decode("utf-8", "replace"),
            self.clock.timestamp(),
            None if kind == "ping" else request.resource_id,
            request.delivery_id,
            faults=request.faults,
        )

    def _finish(
        self,
        record: DeliveryRecord,
        epoch: int,
        reply: Reply | None,
        error: BaseException | None,
        timeout: float,
        started: float,
    ) -> None:
        """Write an attempt's outcome into its record, and the record into the journal."""
        if error is not None:
            elapsed = time.perf_counter() - started
            record.error = describe_error(error, record.url, timeout, elapsed)
        elif reply is not None:
            status, answer = reply
            record.status = status
            if answer:
                record.response_body = answer[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
        record.duration = time.perf_counter() - started
        status = record.status
        record.success = status == 200 if record.kind == "ping" else 200 <= status < 303
        if epoch == self._epoch:
            # A send that was on the wire when the store was reset belongs to the store
            # that was: it must not show up in the emptied journal.
            self.journal.append(record)

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
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _call_soon(self, action: Callable[..., None], *args: Any) -> None:
        if self._loop is not None:
            call_on(self._loop, action, *args)


__all__ = ["COALESCE_WINDOW", "DeliveryEngine", "DeliveryOptions", "PayloadFor"]
