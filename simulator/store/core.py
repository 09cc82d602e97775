"""What every resource of the store shares: settings, time, id sequences, events, meta.

Ids follow WordPress: orders and products are posts and share one id sequence
(as ``wp_posts.ID`` does; it starts after the pages a fresh WooCommerce install
creates), customers are users with their own sequence (user 1 is the shop's
administrator, who owns the API keys). Order items (line, shipping, fee,
coupon, tax) share the ``woocommerce_order_items`` sequence; meta rows their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from simulator.clock import Clock
from simulator.events import EventBus, StoreEvent
from simulator.models import MetaItem
from simulator.settings import Settings
from simulator.store.money import tax_cents, tax_millionths
from simulator.wcdates import wall_seconds

#: First post id: a fresh WordPress + WooCommerce install already used 1..9
#: (sample post/page, privacy page, shop/cart/checkout/my-account pages...).
FIRST_POST_ID = 10
ADMIN_USER_ID = 1

_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})

#: What wp_untrash_post() deletes again.
_TRASH_META_KEYS = frozenset(
    {"_wp_trash_meta_status", "_wp_trash_meta_time", "_wp_desired_post_slug"}
)


class _Table(Protocol):
    core: StoreCore


_T = TypeVar("_T", bound=_Table)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def changes_records(
    operation: Callable[Concatenate[_T, _P], _R],
) -> Callable[Concatenate[_T, _P], _R]:
    """Mark a table operation that changes records (adds, edits, removes any).

    It counts the change on the store before it runs: :attr:`StoreCore.changes` is the
    one thing that says whether anything a GET could show has changed since (whole REST
    answers are kept only while it stays the same). Every public operation of a table
    that writes carries this mark; reads do not.
    """

    @functools.wraps(operation)
    def counted(table: _T, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        table.core.changes += 1
        return operation(table, *args, **kwargs)

    return counted


def changes_orders(
    operation: Callable[Concatenate[_T, _P], _R],
) -> Callable[Concatenate[_T, _P], _R]:
    """Mark an order operation that changes no customer: counted as
    :func:`changes_records` counts it, and also in
    :attr:`StoreCore.customer_neutral_changes`, so a kept customers answer outlives it.

    Only for operations whose own body writes no customer record and nothing a
    customer's rendering reads: what they do to a customer they do through a
    customers table operation (the first payment's ``mark_paying``), which counts as
    any other change. Generation and bulk inserts are not marked (the generator
    marks customers paying directly).
    """

    @functools.wraps(operation)
    def counted(table: _T, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        core = table.core
        # This order: a reader of ``changes - customer_neutral_changes`` reads
        # ``changes`` first, so between the two steps it can only see a past value.
        core.customer_neutral_changes += 1
        core.changes += 1
        return operation(table, *args, **kwargs)

    return counted


def without_trash_meta(items: tuple[MetaItem, ...]) -> tuple[MetaItem, ...]:
    return tuple(m for m in items if m.key not in _TRASH_META_KEYS)


class StoreCore:
    """The store's shared services; each resource table gets it to stamp, number and announce."""

    def __init__(self, settings: Settings, clock: Clock, bus: EventBus) -> None:
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self._next_post_id = FIRST_POST_ID
        self._next_user_id = ADMIN_USER_ID + 1
        self._next_item_id = 1
        self._next_meta_id = 1
        self._offsets: dict[int, int] = {}
        self._tax_millionths = tax_millionths(settings.tax_rate_percent)
        #: Operations that changed records so far (see :func:`changes_records`); a reset
        #: carries it on, so it never repeats a value within one store's life.
        self.changes = 0
        #: Of those, the ones that changed no customer (see :func:`changes_orders`).
        self.customer_neutral_changes = 0

    @property
    def customer_changes(self) -> int:
        """Changes that may have changed a customer: the version of kept customers answers.
        It only grows (``changes`` is read first: see :func:`changes_orders`)."""
        changes = self.changes
        return changes - self.customer_neutral_changes

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        return int(self.clock.timestamp() // 1)

    def wall(self, timestamp: int) -> int:
        """Site-local wall seconds; offsets cached per quarter hour (no zone moves off those)."""
        bucket = timestamp // 900
        offset = self._offsets.get(bucket)
        if offset is None:
            zone = self.settings.zone
            # A UTC site has no offset: no zone arithmetic per new quarter hour.
            offset = (
                0 if zone.key in _UTC_ZONES else wall_seconds(bucket * 900, zone) - bucket * 900
            )
            if len(self._offsets) > 100_000:
                self._offsets.clear()
            self._offsets[bucket] = offset
        # UTC stores keep one int object for both columns (memory at a million records).
        return timestamp + offset if offset else timestamp

    @property
    def wall_is_utc(self) -> bool:
        """Whether wall seconds are the UTC instants themselves (a UTC site)."""
        return self.settings.zone.key in _UTC_ZONES

    # ------------------------------------------------------------------ ids
    def next_post_id(self) -> int:
        value = self._next_post_id
        self._next_post_id += 1
        return value

    def claim_post_ids(self, count: int) -> int:
        """``count`` consecutive post ids; returns the first."""
        first = self._next_post_id
        self._next_post_id += count
        return first

    def next_user_id(self) -> int:
        value = self._next_user_id
        self._next_user_id += 1
        return value

    def next_item_id(self) -> int:
        value = self._next_item_id
        self._next_item_id += 1
        return value

    def claim_item_ids(self, count: int) -> int:
        """``count`` consecutive order item ids; returns the first (0 claims nothing)."""
        first = self._next_item_id
        self._next_item_id += count
        return first

    def next_meta_id(self) -> int:
        value = self._next_meta_id
        self._next_meta_id += 1
        return value

    # ------------------------------------------------------------------ events
    def emit_change(self, resource: str, event: str, record_id: int, emit: bool) -> None:
        if emit:
            self.bus.emit(StoreEvent(resource, event, record_id))

    def fire_action(self, hook: str, record_id: int, emit: bool) -> None:
        """An action hook whose argument is a record id (for ``action.*`` webhooks); not
        built when no listener takes it (a change fires several)."""
        if emit and self.bus.wants_hook(hook):
            self.bus.emit(StoreEvent("action", "", record_id, hook))

    # ------------------------------------------------------------------ meta and tax
    def apply_meta(
        self, current: tuple[MetaItem, ...], changes: Sequence[Mapping[str, Any]]
    ) -> tuple[MetaItem, ...]:
        """WC_Data::update_meta_data for each ``{key, value[, id]}`` in ``changes``.

        Returns the new meta tuple (records hold tuples, replaced rather than changed).
        """
        meta = list(current)
        for change in changes:
            key = str(change.get("key", ""))
            value = change.get("value")
            meta_id = change.get("id")
            if meta_id:
                for item in meta:
                    if item.id == int(meta_id):
                        item.key, item.value = key or item.key, value
                        break
                continue
            same = [item for item in meta if item.key == key]
            if same:
                same[0].value = value
                for extra in same[1:]:
                    meta.remove(extra)
            else:
                meta.append(MetaItem(self.next_meta_id(), key, value))
        # WC_Data::save_meta_data() deletes a row whose value became null (and never
        # stores a new one): {"id": 5, "value": null} is how a REST client deletes meta.
        return tuple(item for item in meta if item.value is not None)

    def trash_meta(self, status: str) -> tuple[MetaItem, MetaItem]:
        """The meta wp_trash_post() writes: the status to restore and when it was trashed."""
        return (
            MetaItem(self.next_meta_id(), "_wp_trash_meta_status", status),
            MetaItem(self.next_meta_id(), "_wp_trash_meta_time", str(self.now())),
        )

    def line_tax(self, amount: int, taxable: bool) -> int:
        """Tax in cents at the store rate, rounded half away from zero (integer maths)."""
        if not taxable or not self.settings.taxes_enabled:
            return 0
        return tax_cents(amount, self._tax_millionths)
