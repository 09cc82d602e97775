"""What the poller, the relay and the sender need from durable state, whatever the engine.

:class:`StateStore` is the interface every engine implements: the outbox (enqueue,
read, delete what was delivered, record failures, park and unpark), watermarks,
dedupe keys and small per-instance values. :class:`SharedState` adds what several
worker processes on one database need: leases (one poller per resource at a time)
and claims on outbox groups (one sender per group at a time).

Engines: :mod:`.sqlite` (one process, the embedded default) and :mod:`.postgres`
(many worker processes on one PostgreSQL database).
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

from pytest_woosim.outbox.notifications import Notification
from simulator.clock import Clock, to_utc

log = logging.getLogger(__name__)

PENDING = "pending"
PARKED = "parked"

#: Dedupe keys older than this (clock seconds) are forgotten.
DEFAULT_SEEN_MAX_AGE = 7 * 24 * 3600.0
#: How often (clock seconds) old dedupe keys are pruned as part of a write batch.
SEEN_PRUNE_INTERVAL = 600.0
#: Upper bound on jobs per transaction, so one huge burst still answers early callers.
DEFAULT_MAX_BATCH = 1024
#: Told to enqueue listeners when any instance may have new rows (after a reconnect).
ANY_INSTANCE = "*"


class AllGroups(enum.Enum):
    """Marker for "every group of the instance" (see :meth:`StateStore.unpark`)."""

    ALL = "all"


ALL_GROUPS = AllGroups.ALL

#: The group key of each notification: one key for all, or one per notification.
GroupKeys = str | None | Sequence[str | None]
#: Given the dedupe keys already remembered when a write began, the notifications
#: to store and their group keys. Two writers (a relay's webhooks and its
#: reconciliation poll) share dedupe keys; only a check inside the write's own
#: transaction keeps one record version from being queued by both.
BuildUnseen = Callable[[set[str]], tuple[Sequence[Notification], GroupKeys]]


class StateClosedError(RuntimeError):
    """The state was closed; no more operations are accepted."""


class LeaseLostError(RuntimeError):
    """A write fenced by a lease found the lease held by another worker (or expired)."""


@dataclass(frozen=True)
class Watermark:
    """Where a resource's polling stands: the last poll instant and an optional cursor."""

    timestamp: datetime
    cursor: dict[str, Any] | None = None


@dataclass(frozen=True)
class Lease:
    """A named lease held by ``holder`` (a worker id): fences the writes made under it."""

    name: str
    holder: str


@dataclass(frozen=True)
class OutboxItem:
    """One stored notification waiting for delivery, with its retry state."""

    seq: int
    instance: str
    callback_url: str
    notification_id: str
    body: bytes
    group_key: str | None
    created_at: float
    attempts: int
    first_failure_at: float | None
    next_attempt_at: float | None
    status: str
    last_error: str | None

    def notification(self) -> Notification:
        return Notification(self.notification_id, self.body)


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    parked: int


@dataclass(frozen=True)
class ParkedHeads:
    """Heads of parked groups whose probe is due, and when the next probe falls due."""

    heads: list[OutboxItem]
    #: Earliest probe time among the parked heads not returned (None: no other parked group).
    next_probe_at: float | None


class StateStore(Protocol):
    """Durable state of one or more instances (see the module docstring)."""

    @property
    def batches(self) -> int:
        """Transactions committed (for measurements)."""
        ...

    @property
    def closed(self) -> bool: ...

    async def open(self) -> Any: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def add_enqueue_listener(self, listener: Callable[[str], None]) -> Callable[[], None]: ...

    # outbox writes
    async def enqueue(
        self,
        instance: str | int,
        callback_url: str,
        notifications: Sequence[Notification],
        *,
        group_key: GroupKeys = None,
    ) -> list[int]: ...

    async def commit_window(
        self,
        instance: str | int,
        resource: str,
        watermark: Watermark | None,
        notifications: Sequence[Notification],
        seen_keys: Iterable[str] = (),
        *,
        callback_url: str,
        group_key: GroupKeys = None,
        lease: Lease | None = None,
        build: BuildUnseen | None = None,
    ) -> list[int]: ...

    async def enqueue_unseen(
        self,
        instance: str | int,
        callback_url: str,
        candidates: Sequence[tuple[Sequence[str], Sequence[Notification], str | None]],
    ) -> list[list[int] | None]: ...

    async def delete_delivered(self, seqs: Sequence[int]) -> None: ...

    def delete_delivered_nowait(self, seqs: Sequence[int]) -> asyncio.Future[None]: ...

    def record_failure(
        self,
        seq: int,
        *,
        attempts: int,
        first_failure_at: float | None,
        next_attempt_at: float | None,
        error: str,
    ) -> asyncio.Future[None]: ...

    def park(
        self,
        instance: str | int,
        head_seq: int,
        *,
        attempts: int,
        first_failure_at: float | None,
        next_probe_at: float,
        error: str,
    ) -> asyncio.Future[int]: ...

    def unpark(
        self, instance: str | int, *, group: str | AllGroups | None = ALL_GROUPS
    ) -> asyncio.Future[int]: ...

    # outbox reads
    async def outbox_after(
        self, instance: str | int, after_seq: int, limit: int
    ) -> list[OutboxItem]: ...

    async def outbox_groups(
        self,
        instance: str | int,
        groups: Sequence[tuple[str | None, int]],
        *,
        up_to: int,
        limit: int,
    ) -> list[list[OutboxItem]]: ...

    async def parked_heads(
        self, instance: str | int, *, due_by: float, limit: int, exclude: Sequence[int] = ()
    ) -> ParkedHeads: ...

    async def outbox_batch(self, instance: str | int, limit: int = 100) -> list[OutboxItem]: ...

    async def outbox_counts(self, instance: str | int) -> OutboxCounts: ...

    async def outbox_instances(self) -> list[str]: ...

    # watermarks
    async def get_watermark(self, instance: str | int, resource: str) -> Watermark | None: ...

    async def set_watermark(
        self, instance: str | int, resource: str, watermark: Watermark
    ) -> None: ...

    async def watermarks(self, instance: str | int) -> dict[str, Watermark]: ...

    # dedupe keys
    async def unseen(self, instance: str | int, keys: Iterable[str]) -> list[str]: ...

    async def mark_seen(self, instance: str | int, keys: Iterable[str]) -> None: ...

    async def prune_seen(self, older_than: datetime | None = None) -> int: ...

    # small values
    async def kv_get(self, instance: str | int, key: str) -> Any: ...

    async def kv_set(self, instance: str | int, key: str, value: Any) -> None: ...

    async def kv_delete(self, instance: str | int, key: str) -> bool: ...

    async def kv_items(self, instance: str | int) -> dict[str, Any]: ...

    # The instance registry: stable numeric ids, and configurations kept for the
    # relay's instance API.
    async def instance_number(self, key: str) -> int: ...

    async def save_instance(self, key: str, body: str | None) -> int: ...

    async def saved_instances(self) -> list[tuple[int, str, str]]: ...

    async def forget_instance_body(self, key: str) -> bool: ...


@runtime_checkable
class SharedState(StateStore, Protocol):
    """State shared by several worker processes: leases and claims on outbox groups."""

    #: This process's worker id (unique among the workers on the database).
    worker_id: str

    async def acquire_lease(self, name: str, *, ttl: float) -> Lease | None:
        """Take or renew the lease ``name`` for ``ttl`` clock seconds; None if another holds it."""
        ...

    async def release_lease(self, lease: Lease) -> None: ...

    async def claim(
        self, instance: str | int, *, limit: int, ttl: float, parked_due_by: float | None
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` group heads ready to go, for ``ttl`` clock seconds.

        A head is the oldest item of its group; it is ready when pending and due, or
        (with ``parked_due_by``) parked with a probe due by then. A group whose head
        another worker claims is skipped, so a group is never sent by two workers.
        """
        ...

    async def release(self, seq: int) -> None:
        """Give a claimed item back without changing its retry state."""
        ...

    def delivered_probe(
        self, instance: str | int, seq: int, group: str | None
    ) -> asyncio.Future[int]:
        """A probe of a parked head got through: delete it and release its group."""
        ...


__all__ = [
    "ALL_GROUPS",
    "ANY_INSTANCE",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_SEEN_MAX_AGE",
    "PARKED",
    "PENDING",
    "SEEN_PRUNE_INTERVAL",
    "AllGroups",
    "BuildUnseen",
    "GroupKeys",
    "Lease",
    "LeaseLostError",
    "OutboxCounts",
    "OutboxItem",
    "ParkedHeads",
    "SharedState",
    "StateClosedError",
    "StateStore",
    "Watermark",
]


# ------------------------------------------------------------------ rows, both engines
def group_keys(notifications: Sequence[Notification], group_key: GroupKeys) -> Sequence[str | None]:
    """One group key per notification: ``group_key`` for all, or one each (as many)."""
    if group_key is None or isinstance(group_key, str):
        return [group_key] * len(notifications)
    if len(group_key) != len(notifications):
        raise ValueError(f"group_key: {len(group_key)} keys for {len(notifications)} notifications")
    return group_key


class EnqueueListeners:
    """Who is told (``listener(instance)``) when an instance's outbox grew."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []

    def add(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Add ``listener``; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def tell(self, instance: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(instance)
            except Exception:
                log.exception("enqueue listener failed")


def resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Answer a job's future once (it may have been cancelled meanwhile)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def outbox_item(row: Sequence[Any], group_key: str | None) -> OutboxItem:
    """An outbox row (columns in :class:`OutboxItem` order) as an item; each engine
    stores "no group" its own way, so it decodes ``group_key`` itself."""
    return OutboxItem(
        seq=row[0],
        instance=row[1],
        callback_url=row[2],
        notification_id=row[3],
        body=bytes(row[4]),
        group_key=group_key,
        created_at=row[6],
        attempts=row[7],
        first_failure_at=row[8],
        next_attempt_at=row[9],
        status=row[10],
        last_error=row[11],
    )


def iso(value: datetime) -> str:
    """A watermark instant as stored: UTC, ISO 8601 with ``Z``."""
    return to_utc(value).isoformat().replace("+00:00", "Z")


def watermark_from_row(timestamp: str, cursor: str | None) -> Watermark:
    return Watermark(
        datetime.fromisoformat(timestamp).astimezone(UTC),
        None if cursor is None else json.loads(cursor),
    )


def watermark_row(instance: str, resource: str, watermark: Watermark) -> tuple[Any, ...]:
    """The parameters of ``write_watermark``: the instant as :func:`iso`, the cursor as JSON."""
    cursor = None if watermark.cursor is None else json.dumps(watermark.cursor)
    return (instance, resource, iso(watermark.timestamp), cursor)


def kv_value(value: Any) -> str:
    """A small value as stored: compact JSON."""
    return json.dumps(value, separators=(",", ":"))


class SeenPruning:
    """Which dedupe keys are old: on demand (:meth:`cutoff`), and at most once every
    :data:`SEEN_PRUNE_INTERVAL` clock seconds as part of a write batch (:meth:`due`)."""

    def __init__(self, clock: Clock, max_age: float) -> None:
        self._clock = clock
        self._max_age = max_age
        self._last = float("-inf")

    def cutoff(self, older_than: datetime | None = None) -> float:
        """Keys created before this (default: now - max_age) are old."""
        if older_than is not None:
            return to_utc(older_than).timestamp()
        return self._clock.timestamp() - self._max_age

    def due(self) -> float | None:
        """The cutoff when a batch should prune now, else None."""
        now = self._clock.timestamp()
        if now - self._last < SEEN_PRUNE_INTERVAL:
            return None
        self._last = now
        return now - self._max_age


class Committer(Protocol):
    """An engine's group commit (:mod:`.sqlite_commits`, :mod:`.postgres_commits`)."""

    batches: int

    @property
    def closed(self) -> bool: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


C = TypeVar("C", bound=Committer)


class StateLifecycle(Generic[C]):
    """Opening, closing and enqueue listeners: the same for every engine, whose work
    runs through its :class:`Committer` (``_commits``) and tells ``_listeners``."""

    _commits: C
    _listeners: EnqueueListeners

    async def open(self) -> Self:
        """Open the database now (otherwise on first use); raises if it cannot."""
        await self._commits.open()
        return self

    async def close(self) -> None:
        """Finish every queued operation, then close the database."""
        await self._commits.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._commits.closed

    @property
    def batches(self) -> int:
        """Transactions committed (for measurements)."""
        return self._commits.batches

    def add_enqueue_listener(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(instance)`` after notifications for ``instance`` are committed
        (by this process, or by another worker on a shared database).

        SQLite calls it on its database thread (a state in memory: on the thread that
        made the change), so it must be thread-safe and quick (e.g.
        ``loop.call_soon_threadsafe``); PostgreSQL on the event loop. Returns a
        function that removes it.
        """
        return self._listeners.add(listener)
