"""The delivery journal: every webhook delivery and ping attempt, newest last.

Bounded (a deque), so a long run keeps memory flat. Readers filter by webhook,
topic, kind, time and status, and can wait, without polling, until enough
matching entries exist. Secrets never enter it; the signature header does.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.loops import call_on

#: How much of a receiver's answer is kept per entry.
RESPONSE_BODY_LIMIT = 2048
DEFAULT_JOURNAL_SIZE = 10_000


@dataclass(slots=True)
class DeliveryRecord:
    """One attempt on the wire (a delivery or a ping)."""

    kind: str  # "delivery" | "ping"
    webhook_id: int
    topic: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    #: Store-clock instant the request was sent (Unix seconds).
    sent_at: float
    resource_id: int | None = None
    delivery_id: str = ""
    status: int = 0  # 0 = no HTTP answer (transport error, timeout, refused URL)
    response_body: str = ""
    duration: float = 0.0  # seconds of real time on the wire
    error: str | None = None
    success: bool = False
    faults: list[str] = field(default_factory=list)
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "webhook_id": self.webhook_id,
            "topic": self.topic,
            "resource_id": self.resource_id,
            "url": self.url,
            "delivery_id": self.delivery_id,
            "sent_at": _iso(self.sent_at),
            "request": {
                "method": "POST",
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": {"status": self.status, "body": self.response_body},
            "duration": round(self.duration, 6),
            "error": self.error,
            "success": self.success,
            "faults": list(self.faults),
        }


@dataclass(frozen=True)
class JournalFilter:
    """Which entries a reader wants; every field left as None matches anything."""

    webhook_id: int | None = None
    topic: str | None = None
    kind: str | None = None
    #: Entries sent at or after this store-clock instant (Unix seconds).
    since: float | None = None
    #: An HTTP status, or "success"/"failure".
    status: int | str | None = None
    resource_id: int | None = None

    def matches(self, record: DeliveryRecord) -> bool:
        if self.webhook_id is not None and record.webhook_id != self.webhook_id:
            return False
        if self.topic is not None and record.topic != self.topic:
            return False
        if self.kind is not None and record.kind != self.kind:
            return False
        if self.since is not None and record.sent_at < self.since:
            return False
        if self.resource_id is not None and record.resource_id != self.resource_id:
            return False
        if self.status is not None:
            if self.status == "success":
                return record.success
            if self.status == "failure":
                return not record.success
            return record.status == self.status
        return True


@dataclass
class _Waiter:
    """Someone waiting for ``count`` matches; ``seen`` is kept up to date on append."""

    wanted: JournalFilter
    count: int
    seen: int
    wake: Callable[[list[DeliveryRecord]], None]


class JournalTimeout(TimeoutError):
    """wait_for() saw fewer matching entries than asked for before its deadline."""


class DeliveryJournal:
    """A bounded, thread-safe log of delivery attempts."""

    def __init__(self, maxlen: int = DEFAULT_JOURNAL_SIZE) -> None:
        if maxlen < 1:
            raise ValueError("journal size must be at least 1")
        self._records: deque[DeliveryRecord] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []

    @property
    def maxlen(self) -> int:
        return self._records.maxlen or 0

    def __len__(self) -> int:
        return len(self._records)

    def append(self, record: DeliveryRecord) -> None:
        with self._lock:
            record.seq = next(self._seq)
            self._records.append(record)
            if not self._waiters:
                return
            ready = []
            for waiter in self._waiters:
                if waiter.wanted.matches(record):
                    waiter.seen += 1
                    if waiter.seen >= waiter.count:
                        ready.append(waiter)
            for waiter in ready:
                self._waiters.remove(waiter)
                waiter.wake(self._select(waiter.wanted))

    def entries(self, wanted: JournalFilter | None = None, **filters: Any) -> list[DeliveryRecord]:
        """Matching entries, oldest first."""
        chosen = wanted if wanted is not None else JournalFilter(**filters)
        with self._lock:
            return self._select(chosen)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    async def wait_for(
        self, count: int = 1, *, timeout: float = 10.0, **filters: Any
    ) -> list[DeliveryRecord]:
        """Wait until ``count`` entries match ``filters``; return all matching entries.

        Wakes when entries are appended (no polling). ``timeout`` is real seconds:
        deliveries travel over real sockets. Raises :class:`JournalTimeout`.
        """
        wanted = JournalFilter(**filters)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[DeliveryRecord]] = loop.create_future()

        def wake(result: list[DeliveryRecord]) -> None:
            def settle() -> None:
                if not future.done():
                    future.set_result(result)

            call_on(loop, settle)

        waiter = self._register(wanted, count, wake)
        if waiter is None:
            return self.entries(wanted)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise self._gave_up(waiter, timeout) from None

    def wait_for_blocking(
        self, count: int = 1, *, timeout: float = 10.0, **filters: Any
    ) -> list[DeliveryRecord]:
        """:meth:`wait_for` for code outside the store's event loop (another thread)."""
        wanted = JournalFilter(**filters)
        done = threading.Event()
        found: list[list[DeliveryRecord]] = []

        def wake(result: list[DeliveryRecord]) -> None:
            found.append(result)
            done.set()

        waiter = self._register(wanted, count, wake)
        if waiter is None:
            return self.entries(wanted)
        if not done.wait(timeout):
            raise self._gave_up(waiter, timeout)
        return found[0]

    def _register(
        self, wanted: JournalFilter, count: int, wake: Callable[[list[DeliveryRecord]], None]
    ) -> _Waiter | None:
        """A registered waiter, or None when enough entries already match."""
        with self._lock:
            seen = self._count(wanted)
            if seen >= count:
                return None
            waiter = _Waiter(wanted, count, seen, wake)
            self._waiters.append(waiter)
            return waiter

    def _gave_up(self, waiter: _Waiter, timeout: float) -> JournalTimeout:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return JournalTimeout(
            f"{waiter.seen} of {waiter.count} journal entries matching "
            f"{_describe(waiter.wanted)} after {timeout:g}s"
        )

    def _select(self, wanted: JournalFilter) -> list[DeliveryRecord]:
        return [r for r in self._records if wanted.matches(r)]

    def _count(self, wanted: JournalFilter) -> int:
        return sum(1 for r in self._records if wanted.matches(r))


def _describe(wanted: JournalFilter) -> str:
    parts = [f"{k}={v!r}" for k, v in vars(wanted).items() if v is not None]
    return "{" + ", ".join(parts) + "}"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


__all__ = [
    "DEFAULT_JOURNAL_SIZE",
    "RESPONSE_BODY_LIMIT",
    "DeliveryJournal",
    "DeliveryRecord",
    "JournalFilter",
    "JournalTimeout",
]
