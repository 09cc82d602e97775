"""What happened to generated orders after checkout: the store's notes and refunds.

A share of orders carries the notes a real store writes as an order moves
(status changes, refunds), and refunded ones carry their refund: every order whose
status is refunded a full one, a few completed orders a partial one (one unit of
their first line). Each order decides from its own cart hash, so the result does
not depend on how the generation is split into steps, and the shared random
stream of the other records is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import floor

from simulator.models import Basket, LineItem
from simulator.store import Store
from simulator.store.notes import MANUAL_REFUND_NOTE, MANUAL_REFUND_REASON, status_change_text
from simulator.store.refunds import LaterRefund

#: Orders (besides refunded ones) whose status notes are kept.
NOTES_SHARE = 0.1
#: Completed orders with a partial refund (a part of those with notes).
PARTIAL_REFUND_SHARE = 0.05
#: Orders whose cart hash starts with a 32-bit number below this may have notes
#: (a bound the generator checks on the number; :func:`add_history` decides).
SHARE_BOUND = int(max(NOTES_SHARE, PARTIAL_REFUND_SHARE) * 4_294_967_296) + 1
#: Statuses an order stops at before payment; each gets its status note.
STOPPED = ("on-hold", "failed", "cancelled")
PARTIAL_REASONS = ("Damaged in transit", "Wrong size", "Customer changed their mind", "")


#: A generated order that may get notes or a refund, as the generator made it: its
#: id, the first 32 bits of its cart hash (a number of its own), status, paid,
#: completed, modified and modified wall instants, basket and first item id. A plain
#: tuple: the generator makes one for about one order in seven.
HistoryCandidate = tuple[int, int, str, int | None, int | None, int, int, Basket, int]


def add_history(store: Store, candidates: Sequence[HistoryCandidate]) -> None:
    """Notes and refunds for the share of generated orders that has them (inserted).

    Orders may be left out when they have none: refunded orders and those whose
    hash starts below :data:`SHARE_BOUND` are all that can. The notes are added
    in one go, numbered as one :meth:`~simulator.store.notes.NoteTable.add` after
    another would number them. Nothing reads the orders: what the notes and
    refunds need is in the candidates, so orders still rows stay rows. An order
    deleted meanwhile (by a request between two steps) gets nothing.
    """
    notes: list[tuple[int, str, int]] = []
    note = notes.append
    refunds: list[LaterRefund] = []
    refund = refunds.append
    orders = store.orders
    for candidate in candidates:
        order_id, hash_start, status, paid, completed, modified, wall, basket, first = candidate
        share = hash_start / 4_294_967_296  # in [0, 1)
        refunded = status == "refunded"
        partial = status == "completed" and share < PARTIAL_REFUND_SHARE
        if not (refunded or partial or share < NOTES_SHARE) or order_id not in orders:
            continue
        # The status notes of the way the order came: paid, then completed.
        if paid is not None:
            note((order_id, _PAID_NOTE, paid))
        if completed is not None:
            note((order_id, _COMPLETED_NOTE, completed))
        elif status in _STOPPED_NOTES:
            note((order_id, _STOPPED_NOTES[status], modified))
        if refunded:
            dated = (order_id, modified, wall)
            refund(later_refund(store, dated, basket.order_total(), MANUAL_REFUND_REASON, ()))
            note((order_id, MANUAL_REFUND_NOTE, modified))
            note((order_id, _REFUNDED_NOTE, modified))
        elif partial and basket.lines:
            line = basket.first_line(first)
            unit = line.total // max(1, line.quantity)
            if unit >= basket.order_total():
                continue  # one unit is the whole order: that refund would not be partial
            reason = PARTIAL_REASONS[floor(share * 1000) % len(PARTIAL_REASONS)]
            dated = (order_id, modified, wall)
            refund(later_refund(store, dated, unit, reason, (line,)))
    store.refund_table.insert_later(refunds)
    store.note_table.add_many(notes)


_PAID_NOTE = status_change_text("pending", "processing")
_COMPLETED_NOTE = status_change_text("processing", "completed")
_REFUNDED_NOTE = status_change_text("completed", "refunded")
_STOPPED_NOTES = {status: status_change_text("pending", status) for status in STOPPED}


def later_refund(
    store: Store,
    order: tuple[int, int, int],
    amount: int,
    reason: str,
    lines: Sequence[LineItem],
) -> LaterRefund:
    """A refund of ``amount`` cents to the order ``(id, modified, modified wall)``, made
    when it was last modified, one unit of each of ``lines`` refunded: its ids taken now
    (each line's item and meta ids, then the refund's), its records made on first read."""
    order_id, modified, modified_wall = order
    taken = tuple([(line, store.next_item_id(), store.next_meta_id()) for line in lines])
    return LaterRefund(
        store.next_post_id(), order_id, modified, modified_wall, amount, reason, taken
    )


def add_refund(
    store: Store,
    order: tuple[int, int, int],
    amount: int,
    reason: str,
    lines: Sequence[LineItem],
) -> None:
    """:func:`later_refund`, inserted."""
    store.refund_table.insert_later([later_refund(store, order, amount, reason, lines)])
