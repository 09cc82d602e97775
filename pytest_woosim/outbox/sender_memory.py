"""What the sender holds in memory: groups with their loaded items, and their state.

The :class:`~pytest_woosim.outbox.sender.Sender` reads rows into a :class:`Memory`
and takes ready groups from it; the memory keeps each group's head ready or
waiting for its retry, at most ``GROUP_PREFETCH`` items of a group, and when the
next probe of a parked group falls due. It does no I/O: the sender reads, posts
and writes; a redelivery replaces the memory wholesale.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from pytest_woosim.outbox.state import OutboxItem

#: Items of one group held in memory at most (its backlog is read again later).
GROUP_PREFETCH = 64


@dataclass(eq=False)
class Group:
    """The part of one group the worker holds in memory."""

    key: str | None
    items: deque[OutboxItem]
    #: Highest sequence number of this group read so far.
    loaded_upto: int
    #: Some of the group's items up to the read cursor are still only in the
    #: database (backlog beyond GROUP_PREFETCH, or dropped while waiting/probing).
    deferred: bool = False
    in_flight: bool = False
    #: Clock time before which the head must not be tried (None: now).
    due: float | None = None
    waiting: bool = False  # counted in Memory.n_waiting
    queued: bool = False  # in Memory.ready


@dataclass
class Memory:
    """What the worker holds; replaced wholesale by a redelivery."""

    groups: dict[str | None, Group] = field(default_factory=dict)
    ready: deque[Group] = field(default_factory=deque)
    waiting: list[tuple[float, int, Group]] = field(default_factory=list)
    reload: dict[str | None, Group] = field(default_factory=dict)
    #: Every pending row with seq <= cursor has been seen by the worker.
    cursor: int = 0
    #: The last forward read came back short: nothing more until an enqueue.
    caught_up: bool = False
    loaded: int = 0  # items held, waiting heads included
    n_waiting: int = 0
    #: Earliest probe of a parked group (None: nothing parked).
    next_probe: float | None = None
    probe_known: bool = False
    #: Probes booked since the last read of parked heads was queued: that read
    #: cannot see their writes, so its answer is merged with them.
    probes_booked: float | None = None
    #: Groups parked since the last forward read was queued: the rows of theirs it
    #: returns as pending are parked by a write queued after it.
    parked_keys: set[str | None] = field(default_factory=set)
    #: Tie-break of the ``waiting`` heap: equal due times keep their arrival order.
    order: Iterator[int] = field(default_factory=itertools.count)

    def add(self, item: OutboxItem, now: float) -> None:
        """Take in one row read forward."""
        group = self.groups.get(item.group_key)
        if group is not None:
            if group.deferred or item.seq <= group.loaded_upto:
                return  # read again from the database when the group can move
            if len(group.items) >= GROUP_PREFETCH:
                group.deferred = True
                return
            group.items.append(item)
            group.loaded_upto = item.seq
            self.loaded += 1
            return
        group = Group(item.group_key, deque([item]), item.seq)
        self.groups[item.group_key] = group
        self.loaded += 1
        self.schedule(group, item.next_attempt_at, now)

    def schedule(self, group: Group, due: float | None, now: float) -> None:
        """Make a group with a head ready now, or waiting until ``due``."""
        group.due = due
        if due is not None and due > now:
            if not group.waiting:
                group.waiting = True
                self.n_waiting += 1
            # While it waits, only the head stays in memory.
            self.trim(group)
            heapq.heappush(self.waiting, (due, next(self.order), group))
        else:
            self.unwait(group)
            if not group.queued:
                group.queued = True
                self.ready.append(group)

    def unwait(self, group: Group) -> None:
        if group.waiting:
            group.waiting = False
            self.n_waiting -= 1

    def trim(self, group: Group) -> None:
        if len(group.items) > 1:
            self.loaded -= len(group.items) - 1
            group.items = deque([group.items[0]])
            # The dropped items are read again from the database: after the head.
            group.loaded_upto = group.items[0].seq
        group.deferred = True

    def forget(self, group: Group) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
            self.loaded -= len(group.items)
            self.unwait(group)
            self.reload.pop(group.key, None)

    def after_post(self, group: Group, now: float) -> None:
        """A group whose head was delivered: go on, read its backlog, or let it go."""
        if group.items:
            self.schedule(group, group.items[0].next_attempt_at, now)
        elif group.deferred:
            self.reload[group.key] = group
        else:
            self.forget(group)

    def promote_due(self, now: float) -> None:
        while self.waiting and self.waiting[0][0] <= now:
            due, _, group = heapq.heappop(self.waiting)
            if self.groups.get(group.key) is group and group.waiting and group.due == due:
                self.schedule(group, None, now)

    def book_probe(self, at: float) -> None:
        """A parked group waits for a probe at ``at``: the one place that keeps its wake-up.

        Every parked group is covered by ``next_probe`` (the earliest probe, which the
        sender arms the clock for); a read of parked heads under way merges its answer
        with what is booked here.
        """
        self.next_probe = earliest(self.next_probe, at)
        self.probes_booked = earliest(self.probes_booked, at)


def earliest(a: float | None, b: float | None) -> float | None:
    """The earlier of two optional instants (None: no instant)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


__all__ = ["GROUP_PREFETCH", "Group", "Memory", "earliest"]
