"""From scanned changes to Cloud Elements events and the notifications that carry them.

A change read by the scan becomes one event (its type and date read as the
resource is configured); the events of one page read from the store go out in
notifications of at most 10, each repeating that page's raw vendor body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pytest_woosim.outbox.notifications import (
    POLLING_MAX_EVENTS,
    Event,
    EventType,
    Notification,
    build_notifications,
)
from pytest_woosim.poller.id_sets import id_value
from pytest_woosim.poller.plan import ResourcePlan
from pytest_woosim.poller.scan import Change, DateUnreadable


def change_event(plan: ResourcePlan, change: Change) -> Event:
    """The event of one changed record: CREATED or UPDATED, dated when it was updated."""
    if plan.filter_by_updated_date:
        updated = change.date  # already read from the updated field (or its fallback)
    else:
        try:
            updated = plan.updated.read(change.record)
        except DateUnreadable:
            updated = change.date
    return Event(plan.resource, change.record_id, plan.event_type(change.record, updated), updated)


@dataclass
class WindowNotifications:
    """The notifications of one commit of a window, and the events they carry."""

    notifications: list[Notification]
    #: Events of changed records.
    events: int
    #: DELETED events of records found in the trash.
    trashed: int


@dataclass(frozen=True)
class InstanceNotifications:
    """How one instance's notifications look: the instance they name and the records they show.

    ``filter_response_nulls`` is Cloud Elements' ``filter.response.nulls``: null
    fields are left out of the records in ``raw``.
    """

    instance_id: int | str
    element_key: str
    instance_name: str | None
    filter_response_nulls: bool

    def window(
        self,
        plan: ResourcePlan,
        pages: Sequence[Sequence[Change]],
        *,
        trashed: Sequence[Sequence[Change]],
        deleted: Sequence[str],
        deleted_at: datetime,
        seen: set[str],
    ) -> WindowNotifications:
        """The notifications of a window's pages, trashed records and deleted ids, in that order.

        Changes whose dedupe key is in ``seen`` (sent before) are left out;
        ``deleted_at`` dates the DELETED events of force-deleted records.
        """
        notifications: list[Notification] = []
        events = trashed_events = 0
        for page in pages:
            items = [
                (change_event(plan, c), self.raw_record(c.record))
                for c in page
                if c.key not in seen
            ]
            events += len(items)
            notifications.extend(self.page(plan, items))
        for page in trashed:
            # A trashed record is gone for the integrator: Cloud Elements' DELETED,
            # dated when it was trashed, with the record as the store shows it.
            items = [
                (
                    Event(plan.resource, c.record_id, EventType.DELETED, c.date),
                    self.raw_record(c.record),
                )
                for c in page
                if c.key not in seen
            ]
            trashed_events += len(items)
            notifications.extend(self.page(plan, items))
        for start in range(0, len(deleted), plan.page_size):
            # A force-deleted record has no record left to show; its raw entry is
            # the id, the shape WooCommerce's own *.deleted webhooks carry.
            items = [
                (
                    Event(plan.resource, object_id, EventType.DELETED, deleted_at),
                    {"id": id_value(object_id)},
                )
                for object_id in deleted[start : start + plan.page_size]
            ]
            notifications.extend(self.page(plan, items))
        return WindowNotifications(notifications, events, trashed_events)

    def page(self, plan: ResourcePlan, items: Sequence[tuple[Event, Any]]) -> list[Notification]:
        """The notifications of one page read from the store, as Cloud Elements splits them.

        The page is the vendor's raw body ``{instance_id, objectType, <resource>:
        [records]}``; its events go out 10 per notification and every part repeats
        that whole raw body (spec: "each one repeats the full raw vendor body").
        A page holds at most ``pageSize`` (≤ 100) records, which bounds the repeat.
        """
        if not items:
            return []
        raw = {
            "instance_id": self.instance_id,
            "objectType": plan.resource,
            plan.resource: [record for _, record in items],
        }
        return build_notifications(
            [event for event, _ in items],
            raw,
            instance_id=self.instance_id,
            element_key=self.element_key,
            max_events=POLLING_MAX_EVENTS,
            instance_name=self.instance_name,
        )

    def raw_record(self, record: dict[str, Any]) -> Any:
        """The record as the notification's ``raw`` shows it."""
        return without_nulls(record) if self.filter_response_nulls else record


def without_nulls(value: Any) -> Any:
    """Cloud Elements' ``filter.response.nulls``: drop null fields, recursively."""
    # Records are large and mostly scalars: a value of an exact scalar type (never a
    # container) is copied with one set lookup, no call; anything else recurses,
    # which returns what is not a dict or list as it is. A loop, not a dictcomp:
    # ~25 % less per record here.
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if item is None:
                continue
            kept[key] = item if type(item) in _SCALARS else without_nulls(item)
        return kept
    if isinstance(value, list):
        return [item if type(item) in _SCALARS else without_nulls(item) for item in value]
    return value


_SCALARS = frozenset({str, int, float, bool})


__all__ = ["InstanceNotifications", "WindowNotifications", "change_event", "without_nulls"]
