"""A callback receiver for Cloud Elements-style event notifications.

It listens on loopback (port 0 by default), records every POST with its exact
body bytes and headers, checks ``Elements-Webhook-Signature`` over those bytes
before parsing anything, and answers:

* 200 to a notification it accepts;
* 401 to a bad or missing signature when a key is configured (recorded as
  unverified; pass ``reject_unverified=False`` to accept it anyway);
* 400 to a body that is not a JSON object with a ``message`` object;
* 413 to a body larger than ``max_body_size``;
* 408 to a client that does not send its body within ``read_timeout`` seconds
  (and the connection is closed; idle connections close after ``idle_timeout``);
* the status given to :meth:`Receiver.fail_next` for the next *n* requests,
  recorded as failed attempts (to exercise a sender's retries).

A notification whose ``Elements-Webhook-Id`` was already accepted (a retry after
a lost answer, or a replay) is answered 200 and marked ``duplicate``; its
events are not added to :attr:`Receiver.events` again.

Use it from async code (``await start()``/``await stop()``) or from sync code
(``start_in_thread()``/``stop_in_thread()``, which run it on its own loop).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from pytest_woosim.harness.listener import PostListener
from simulator.clock import Clock
from simulator.loops import call_on
from simulator.wire import boundedjson
from simulator.wire.signing import CE_ID_HEADER, CE_SIGNATURE_HEADER, verify_elements
from simulator.wire.timeouts import BODY_TIMEOUT, IDLE_TIMEOUT

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
DEFAULT_PATH = "/events"
DEFAULT_READ_TIMEOUT = BODY_TIMEOUT
DEFAULT_IDLE_TIMEOUT = IDLE_TIMEOUT
#: How many accepted Elements-Webhook-Ids are remembered to mark duplicates.
SEEN_IDS = 100_000


@dataclass(frozen=True)
class ReceivedNotification:
    """One POST as it arrived, and what the receiver made of it."""

    body: bytes
    headers: dict[str, str]
    verified: bool | None  # None: no signature key configured
    reason: str  # why it is unverified or was refused; "" when fine
    message: dict[str, Any] | None  # the parsed ``message`` object, if there was one
    status: int = 200  # what the receiver answered
    path: str = DEFAULT_PATH
    received_at: datetime | None = None  # clock time of arrival
    injected_failure: bool = False  # answered with a fail_next() status
    duplicate: bool = False  # its Elements-Webhook-Id was accepted before

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def events(self) -> list[dict[str, Any]]:
        if self.message is None:
            return []
        events = self.message.get("events")
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []

    @property
    def event_id(self) -> str | None:
        value = None if self.message is None else self.message.get("eventId")
        return None if value is None else str(value)

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def webhook_id(self) -> str | None:
        return self.header(CE_ID_HEADER)


@dataclass
class _Waiter:
    count: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None] = field(repr=False)


def _parse(body: bytes) -> tuple[dict[str, Any] | None, str]:
    try:
        document = boundedjson.loads(body)
    except boundedjson.JsonProblem as problem:
        return None, f"body is not valid JSON: {problem}"
    if not isinstance(document, dict) or not isinstance(document.get("message"), dict):
        return None, 'body is not a notification: expected {"message": {...}}'
    message: dict[str, Any] = document["message"]
    return message, ""


class Receiver(PostListener):
    """Records event notifications; ``.url`` is the callback URL to configure."""

    kind = "receiver"

    def __init__(
        self,
        signature_key: str | None = None,
        *,
        reject_unverified: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = DEFAULT_PATH,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        clock: Clock | None = None,
        on_notification: Callable[[ReceivedNotification], None] | None = None,
        keep_records: bool = True,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        super().__init__(host=host, port=port, path=path, max_body_size=max_body_size)
        self.signature_key = signature_key or None
        self.reject_unverified = reject_unverified
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self._clock = clock if clock is not None else Clock()
        self._on_notification = on_notification
        # Off for long-running listeners that only need on_notification (memory stays flat).
        self._keep_records = keep_records
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[ReceivedNotification] = []
        self._events: list[dict[str, Any]] = []
        self._waiters: list[_Waiter] = []
        self._fail_remaining = 0
        self._fail_status = 500
        self._fail_rate = 0.0
        self._fail_rng = random.Random(0)
        self._seen_ids: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        # Never show the key.
        url = self.url if self._runner is not None else None
        return f"Receiver(url={url!r}, signed={self.signature_key is not None})"

    def _runner_options(self) -> dict[str, Any]:
        return {
            "keepalive_timeout": self.idle_timeout,
            # After an early answer (408, 413) the rest of a body is read and dropped for
            # at most this long, then the connection closes (aiohttp's default is 10 s).
            "lingering_time": self.read_timeout,
        }

    # ------------------------------------------------------------------ controls
    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` requests with ``status`` (recorded as failed attempts)."""
        if n < 0:
            raise ValueError("fail_next() needs n >= 0")
        if not 100 <= status <= 599:
            raise ValueError(f"fail_next() status must be an HTTP status code, got {status}")
        with self._lock:
            self._fail_remaining = n
            self._fail_status = status

    def fail_randomly(self, rate: float, *, seed: int = 0, status: int = 500) -> None:
        """Answer a seeded ``rate`` fraction of requests with ``status`` (0 turns it off).

        Recorded as failed attempts, like :meth:`fail_next` (which takes precedence).
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"fail_randomly() rate must be between 0 and 1, got {rate}")
        if not 100 <= status <= 599:
            raise ValueError(f"fail_randomly() status must be an HTTP status code, got {status}")
        with self._lock:
            self._fail_rate = rate
            self._fail_rng = random.Random(seed)
            self._fail_status = status

    def clear(self) -> None:
        """Forget everything received and any pending fail_next()."""
        with self._lock:
            self._requests.clear()
            self._events.clear()
            self._seen_ids.clear()
            self._fail_remaining = 0
            self._fail_rate = 0.0

    # ------------------------------------------------------------------ what arrived
    @property
    def requests(self) -> list[ReceivedNotification]:
        """Every POST, in arrival order, including injected failures and refusals."""
        with self._lock:
            return list(self._requests)

    @property
    def notifications(self) -> list[ReceivedNotification]:
        """Every POST the receiver judged (all but injected failures), in arrival order."""
        with self._lock:
            return [r for r in self._requests if not r.injected_failure]

    @property
    def failed_attempts(self) -> list[ReceivedNotification]:
        """The POSTs answered with a fail_next() status."""
        with self._lock:
            return [r for r in self._requests if r.injected_failure]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event objects of all accepted notifications, in arrival order."""
        with self._lock:
            return list(self._events)

    async def wait_for_events(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``n`` events were accepted; returns all events so far."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if len(self._events) >= n:
                return list(self._events)
            waiter = _Waiter(n, loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
        except TimeoutError:
            raise TimeoutError(self._shortfall(n, timeout)) from None
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self.events

    def wait_for_events_sync(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Blocking :meth:`wait_for_events` for sync tests (receiver in its own thread)."""
        with self._changed:
            if self._changed.wait_for(lambda: len(self._events) >= n, timeout):
                return list(self._events)
        raise TimeoutError(self._shortfall(n, timeout))

    def _shortfall(self, n: int, timeout: float) -> str:
        with self._lock:
            got = len(self._events)
        return f"received {got} of {n} events within {timeout:g}s"

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        received_at = self._clock.now()
        headers = dict(request.headers)
        try:
            async with asyncio.timeout(self.read_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            reason = f"body larger than {self.max_body_size} bytes"
            self._record(
                ReceivedNotification(
                    b"", headers, None, reason, None, 413, request.path, received_at
                )
            )
            return web.json_response({"error": reason}, status=413)
        except TimeoutError:
            reason = f"body not received within {self.read_timeout:g}s"
            self._record(
                ReceivedNotification(
                    b"", headers, None, reason, None, 408, request.path, received_at
                )
            )
            response = web.json_response({"error": reason}, status=408)
            response.force_close()  # no keep-alive: the connection ends after this answer
            return response

        verified: bool | None = None
        reason = ""
        if self.signature_key is not None:
            # Verify the raw bytes before parsing anything.
            check = verify_elements(
                self.signature_key, body, request.headers.get(CE_SIGNATURE_HEADER)
            )
            verified, reason = bool(check), check.reason
        message, parse_error = _parse(body)

        injected_status: int | None = None
        with self._lock:
            if self._fail_remaining > 0:
                self._fail_remaining -= 1
                injected_status = self._fail_status
            elif self._fail_rate and self._fail_rng.random() < self._fail_rate:
                injected_status = self._fail_status
        injected = injected_status is not None
        if injected_status is not None:
            status = injected_status
            reason = reason or f"failure injected with fail_next(): HTTP {status}"
        elif verified is False and self.reject_unverified:
            status = 401
        elif message is None:
            status, reason = 400, reason or parse_error
        else:
            status = 200
        duplicate = status == 200 and self._seen_before(request.headers.get(CE_ID_HEADER))
        record = ReceivedNotification(
            body,
            headers,
            verified,
            reason,
            message,
            status,
            request.path,
            received_at,
            injected,
            duplicate,
        )
        self._record(record)
        if 200 <= status < 300:
            return web.json_response({"status": "ok"}, status=status)
        return web.json_response({"error": reason}, status=status)

    def _seen_before(self, webhook_id: str | None) -> bool:
        """Remember an accepted id; True when it was accepted before (bounded memory)."""
        if not webhook_id:
            return False
        with self._lock:
            if webhook_id in self._seen_ids:
                self._seen_ids.move_to_end(webhook_id)
                return True
            self._seen_ids[webhook_id] = None
            if len(self._seen_ids) > SEEN_IDS:
                self._seen_ids.popitem(last=False)
        return False

    def _record(self, record: ReceivedNotification) -> None:
        with self._lock:
            if self._keep_records:
                self._requests.append(record)
                if record.accepted and not record.duplicate:
                    self._events.extend(record.events)
            count = len(self._events)
            ready = [w for w in self._waiters if w.count <= count]
            for waiter in ready:
                self._waiters.remove(waiter)
            self._changed.notify_all()
        for waiter in ready:
            _wake(waiter)
        if self._on_notification is not None:
            self._on_notification(record)


def _wake(waiter: _Waiter) -> None:
    def _set() -> None:
        if not waiter.future.done():
            waiter.future.set_result(None)

    call_on(waiter.loop, _set)


__all__ = ["DEFAULT_MAX_BODY_SIZE", "ReceivedNotification", "Receiver"]
