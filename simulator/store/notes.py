"""Order notes: the records, their book, and the texts the store writes itself.

WooCommerce keeps order notes as WordPress comments (their own id sequence, one
row per note, ``is_customer_note`` meta for customer notes). The store writes some
itself: status transitions, stock moves, restocking on a refund. Each text here
is as a real WooCommerce 10.0.2 store writes it (``&rarr;`` included: the note is
stored with the entity, not the arrow).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from threading import Lock

from simulator.store.core import StoreCore, changes_records

#: The comment author of the notes the store writes; the v3 controller answers it as
#: is (it compares with the lower-case "woocommerce" to say "system", which never matches).
SYSTEM_AUTHOR = "WooCommerce"
NOTE_TYPES = ("any", "customer", "internal")

#: wc_get_order_status_name(): the labels of the status enum (with checkout-draft's
#: label from the blocks integration); others are shown as their slug.
STATUS_NAMES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}

#: wc_order_fully_refunded(): what a status change to refunded adds after its refund.
MANUAL_REFUND_NOTE = (
    "Order status set to refunded. To return funds to the customer you will need to "
    "issue a refund through your payment gateway."
)
#: The reason of the refund a status change to refunded makes.
MANUAL_REFUND_REASON = "Order fully refunded."


@dataclass(slots=True)
class Note:
    id: int
    order_id: int
    #: UTC seconds and site-local wall seconds (comment_date_gmt / comment_date).
    created: int
    created_wall: int
    content: str
    customer_note: bool = False
    author: str = SYSTEM_AUTHOR


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def status_change_text(before: str, after: str) -> str:
    return f"Order status changed from {status_name(before)} to {status_name(after)}."


def stock_text(reduced: bool, changes: Iterable[tuple[str, int, int]]) -> str:
    """``Stock levels reduced: Name (sku) 20&rarr;17, ...`` for (formatted name, from, to)."""
    moves = ", ".join(f"{name} {old}&rarr;{new}" for name, old, new in changes)
    return f"Stock levels {'reduced' if reduced else 'increased'}: {moves}"


def restock_text(product_id: int, old: int, new: int) -> str:
    """wc_restock_refunded_items(): one note per restocked line."""
    return f"Item #{product_id} stock increased from {old} to {new}."


def formatted_name(name: str, sku: str, product_id: int) -> str:
    """WC_Product::get_formatted_name(): the SKU, else ``#id``, in brackets after the name."""
    return f"{name} ({sku or f'#{product_id}'})"


class NoteTable:
    """Every order's notes, by order and by id (comments: their own id sequence).

    Notes added in bulk (the generator's) are numbered at once and made on the
    table's first read, all together: a store whose notes nobody reads never
    makes them, and every read or change sees what one :meth:`add` after another
    would have made.
    """

    def __init__(self, core: StoreCore) -> None:
        self.core = core
        self._by_id: dict[int, Note] = {}
        self._by_order: dict[int, list[Note]] = {}
        self._next_id = 1
        #: Bulk-added notes not made yet: (first id, [(order id, content, UTC seconds)]).
        self._pending: list[tuple[int, Sequence[tuple[int, str, int]]]] = []
        # Read from the store's server thread and a test's: the notes are made once.
        self._settling = Lock()

    @property
    def by_id(self) -> dict[int, Note]:
        self._settle()
        return self._by_id

    def __len__(self) -> int:
        return len(self._by_id) + sum(len(notes) for _, notes in self._pending)

    @changes_records
    def add(
        self,
        order_id: int,
        content: str,
        *,
        customer_note: bool = False,
        author: str = SYSTEM_AUTHOR,
        at: int | None = None,
    ) -> Note:
        """WC_Order::add_order_note(): a comment on the order, now (or ``at``, UTC seconds);
        the order is not saved, so no webhook fires."""
        self._settle()
        now = self.core.now() if at is None else at
        note = Note(
            self._next_id, order_id, now, self.core.wall(now), content, customer_note, author
        )
        self._next_id += 1
        self._by_id[note.id] = note
        self._by_order.setdefault(order_id, []).append(note)
        return note

    @changes_records
    def add_many(self, notes: Sequence[tuple[int, str, int]]) -> None:
        """Bulk :meth:`add` of system notes (the generator's path): each ``(order id,
        content, UTC seconds)`` numbered in turn, exactly as one :meth:`add` after another;
        made on the table's next read."""
        if notes:
            self._pending.append((self._next_id, list(notes)))
            self._next_id += len(notes)

    def _settle(self) -> None:
        if not self._pending:
            return
        with self._settling:
            if self._pending:  # not made by another thread meanwhile
                self._make_pending()

    def _make_pending(self) -> None:
        pending, self._pending = self._pending, []
        core, by_id, by_order = self.core, self._by_id, self._by_order
        wall = None if core.wall_is_utc else core.wall
        for next_id, notes in pending:
            for order_id, content, at in notes:
                note = Note(next_id, order_id, at, at if wall is None else wall(at), content)
                by_id[next_id] = note
                # setdefault + append as add() does: the list grows the same way (a list
                # made with its first note would over-allocate on the second).
                by_order.setdefault(order_id, []).append(note)
                next_id += 1

    def of_order(self, order_id: int, kind: str = "any") -> list[Note]:
        """get_comments() as the notes controller asks: newest second first; notes of one
        second in id order (the query sorts on comment_date_gmt alone)."""
        self._settle()
        notes = self._by_order.get(order_id, [])
        if kind == "customer":
            notes = [n for n in notes if n.customer_note]
        elif kind == "internal":
            notes = [n for n in notes if not n.customer_note]
        return sorted(notes, key=lambda n: (-n.created, n.id))

    def count(self, order_id: int) -> int:
        self._settle()
        return len(self._by_order.get(order_id, ()))

    def get(self, note_id: int) -> Note | None:
        return self.by_id.get(note_id)

    @changes_records
    def delete(self, note_id: int) -> Note | None:
        note = self.by_id.pop(note_id, None)
        if note is not None:
            self._by_order[note.order_id].remove(note)
        return note

    @changes_records
    def drop_order(self, order_id: int) -> None:
        """A deleted order's notes go with it."""
        self._settle()
        for note in self._by_order.pop(order_id, []):
            del self._by_id[note.id]
