"""What a poll writes to the state: a window committed in one transaction, and dedupe pruning.

A window's notifications, the dedupe keys of its changes and its watermark are
stored together (:meth:`State.commit_window`), so a crash either keeps all of
them or none. The dedupe keys are what makes re-reading a window harmless; they
are forgotten once no window can read their records again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pytest_woosim.outbox.notifications import Notification
from pytest_woosim.outbox.state import Lease, SharedState, StateStore, Watermark
from pytest_woosim.poller.events import InstanceNotifications
from pytest_woosim.poller.plan import ResourcePlan
from pytest_woosim.poller.scan import Change

#: Slack kept when forgetting dedupe keys, for clock differences between the
#: store and the poller: a key is dropped only once the record it stands for is
#: this much older than any window that could read it again.
SEEN_PRUNE_MARGIN = timedelta(hours=6)

#: Clock time between two prunings of dedupe keys: the keys dropped are hours old
#: (:data:`SEEN_PRUNE_MARGIN`), so pruning after every run only repeats the work.
SEEN_PRUNE_EVERY = timedelta(hours=1)


@dataclass
class Committed:
    """What one commit of a window stored: notifications, events (trashed apart) and
    the changes it skipped because their dedupe key was already remembered."""

    notifications: int = 0
    events: int = 0
    trashed: int = 0
    skipped: int = 0


async def commit_window(
    state: StateStore,
    instance: str,
    plan: ResourcePlan,
    pages: Sequence[Sequence[Change]],
    watermark: Watermark | None,
    *,
    notifications: InstanceNotifications,
    callback_url: str,
    deleted_at: datetime,
    trashed: Sequence[Sequence[Change]] = (),
    deleted: Sequence[str] = (),
    lease: Lease | None,
    shared: SharedState | None,
    lease_ttl: float,
) -> Committed:
    """Store the notifications of ``pages``, ``trashed`` and ``deleted`` with their dedupe
    keys and ``watermark`` (None: a checkpoint, the watermark stays) in one transaction.

    ``lease`` fences the write (workers on a shared database) and is renewed for
    ``lease_ttl`` seconds once it is done.
    """
    keys = [c.key for page in (*pages, *trashed) for c in page]
    done = Committed()

    def build(seen: set[str]) -> tuple[list[Notification], None]:
        # Decided inside the write: what an earlier run sent is skipped here, and a
        # webhook relay sharing these dedupe keys may have queued one of these
        # record versions since the scan read it.
        made = notifications.window(
            plan, pages, trashed=trashed, deleted=deleted, deleted_at=deleted_at, seen=seen
        )
        # Set, not added to: a state may run the build again if its transaction is retried.
        done.notifications = len(made.notifications)
        done.events = made.events
        done.trashed = made.trashed
        done.skipped = len(keys) - made.events - made.trashed
        # One delivery group for the whole instance: strict FIFO, so events
        # also keep their order across resources, as they were polled.
        return made.notifications, None

    if keys or deleted or watermark is not None:
        await state.commit_window(
            instance,
            plan.resource,
            watermark,
            (),
            keys,
            callback_url=callback_url,
            lease=lease,
            # Nothing read: only the watermark moves. Without a build the state
            # knows the outbox does not grow and wakes no sender for it.
            build=build if keys or deleted else None,
        )
        if lease is not None and shared is not None:
            # A long scan commits in checkpoints: each one renews the lease.
            await shared.acquire_lease(lease.name, ttl=lease_ttl)
    return done


class SeenPruning:
    """Forgets an instance's dedupe keys no window can read again (older than the overlap),
    at most every :data:`SEEN_PRUNE_EVERY` of clock time."""

    def __init__(self) -> None:
        self._next: datetime | None = None

    async def after_run(
        self,
        state: StateStore,
        instance: str,
        resources: Sequence[ResourcePlan],
        marks: Mapping[str, Watermark] | None,
        *,
        now: datetime,
        refresh_minutes: float,
    ) -> None:
        """Prune if due. ``marks``: the watermarks as the run left them (None: read them)."""
        if self._next is not None and now < self._next:
            return
        if marks is None:
            marks = await state.watermarks(instance)
        lows = []
        for plan in resources:
            mark = marks.get(plan.resource)
            if mark is None:
                return  # a resource that never completed may still re-read anything
            lows.append(mark.timestamp - timedelta(seconds=plan.poll_delay))
        cutoff = min(lows) - SEEN_PRUNE_MARGIN - timedelta(minutes=refresh_minutes)
        await state.prune_seen(older_than=cutoff)
        self._next = now + SEEN_PRUNE_EVERY


__all__ = ["SEEN_PRUNE_EVERY", "SEEN_PRUNE_MARGIN", "Committed", "SeenPruning", "commit_window"]
