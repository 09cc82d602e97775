"""The pending-delivery queue: what Action Scheduler holds for webhooks, and when it runs.

The real store queues one ``woocommerce_deliver_webhook_async`` action per
(webhook, resource) unless an identical one is already pending; the queue
runner takes the due actions in order (scheduled date, then action id) and
builds each body only then. No I/O here: the engine runs the queue.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from simulator.faults import Fault

#: (webhook id, resource id): at most one pending delivery each.
Key = tuple[int, int]

#: wc_webhook_execute_queue(): an identical action pending within this many seconds
#: absorbs a new one.
COALESCE_WINDOW = 600.0


@dataclass
class Action:
    """One pending delivery."""

    webhook_id: int
    resource_id: int
    #: Store-clock instant from which the queue runner may take it.
    due: float
    seq: int = 0
    #: Delivery faults, consulted once when the runner first takes the action (a delay
    #: fault puts it back with these, so it does not consume the fault twice).
    firing: list[Fault] | None = field(default=None)

    @property
    def key(self) -> Key:
        return (self.webhook_id, self.resource_id)


class ActionQueue:
    """Pending deliveries, one per (webhook, resource), taken in scheduled order."""

    def __init__(self) -> None:
        self._actions: dict[Key, Action] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._actions)

    def add(self, webhook_id: int, resource_id: int, due: float, now: float) -> bool:
        """Queue a delivery; False when an identical pending one absorbs it."""
        key = (webhook_id, resource_id)
        pending = self._actions.get(key)
        if pending is not None and pending.due <= now + COALESCE_WINDOW:
            return False
        self._actions[key] = Action(webhook_id, resource_id, due, next(self._seq))
        return True

    def put_back(self, action: Action) -> None:
        """Re-queue a taken action (a delay fault); it keeps its place among equals."""
        self._actions[action.key] = action

    def next_due(self) -> float | None:
        """The earliest instant an action becomes due, or None when the queue is empty."""
        return min((a.due for a in self._actions.values()), default=None)

    def take_due(self, now: float) -> list[Action]:
        """Remove and return the actions due at ``now``, oldest scheduled first."""
        due = [a for a in self._actions.values() if a.due <= now]
        for action in due:
            del self._actions[action.key]
        due.sort(key=lambda a: (a.due, a.seq))
        return due

    def clear(self) -> None:
        self._actions.clear()


def next_run(due: float, interval: float) -> float:
    """The queue run that takes an action due at ``due``.

    ``interval`` 0 runs the queue as soon as the action is due; otherwise the runs
    fall on multiples of ``interval`` on the store clock (like WP-Cron's schedule),
    and an action waits for the first run after the instant it became due.
    """
    if interval <= 0:
        return due
    return (math.floor(due / interval) + 1) * interval


__all__ = ["COALESCE_WINDOW", "Action", "ActionQueue", "Key", "next_run"]
