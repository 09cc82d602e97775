"""Cloud Elements event notifications: events in, exact body bytes out.

A notification is serialised once; those bytes are stored in the outbox, signed,
and sent on every attempt. Nothing re-serialises a body after it is built, so
the signature a receiver checks is always over what was sent.

Body shape (Cloud Elements "woocommercerest" events)::

    {"message": {"eventId", "instanceId", "instance_id", "elementKey",
                 "events": [{"objectType", "objectId", "eventType", "elementKey", "date"}],
                 "raw": {...}}}

Batching: at most 10 events per notification from polling, 20 from webhooks; a
larger set is split and every part repeats the full raw body.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from simulator.clock import to_utc
from simulator.wire.signing import CE_ID_HEADER, CE_SIGNATURE_HEADER, sign_elements

ELEMENT_KEY = "woocommercerest"
POLLING_MAX_EVENTS = 10
WEBHOOK_MAX_EVENTS = 20


class EventType(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


def format_event_date(value: datetime) -> str:
    """ISO-8601 in UTC with ``Z``, to the second, as Cloud Elements writes event dates."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Event:
    """One normalised change: the four fields Cloud Elements promises."""

    object_type: str
    object_id: str
    event_type: EventType
    date: str

    def __init__(
        self,
        object_type: str,
        object_id: str | int,
        event_type: EventType | str,
        date: datetime | str,
    ) -> None:
        if not object_type:
            raise ValueError("Event.object_type must be a non-empty resource name")
        try:
            kind = EventType(str(event_type).upper())
        except ValueError:
            allowed = ", ".join(t.value for t in EventType)
            raise ValueError(f"Event.event_type {event_type!r} is not one of {allowed}") from None
        if isinstance(date, datetime):
            text = format_event_date(date)
        elif isinstance(date, str) and date.endswith("Z") and _is_iso(date):
            text = date
        else:
            raise ValueError(
                f"Event.date must be a datetime or an ISO-8601 UTC string ending in Z, got {date!r}"
            )
        # Cloud Elements sends objectId as a string even for numeric ids.
        object.__setattr__(self, "object_type", object_type)
        object.__setattr__(self, "object_id", str(object_id))
        object.__setattr__(self, "event_type", kind)
        object.__setattr__(self, "date", text)

    def to_json(self, element_key: str = ELEMENT_KEY) -> dict[str, str]:
        return {
            "objectType": self.object_type,
            "objectId": self.object_id,
            "eventType": self.event_type.value,
            "elementKey": element_key,
            "date": self.date,
        }


def encode_body(value: Any) -> bytes:
    """Compact JSON as a Java (Jackson) platform writes it: UTF-8, ``/`` unescaped.

    Strings that cannot be UTF-8 (lone surrogates from a raw vendor body) fall
    back to ASCII ``\\uXXXX`` escapes, which is still valid JSON.
    """
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode(
            "ascii"
        )


@dataclass(frozen=True)
class Notification:
    """One POST to the callback URL: its id and the exact body bytes.

    ``id`` is both ``message.eventId`` and the ``Elements-Webhook-Id`` header, so
    a receiver can drop a retried duplicate by either; it never changes across
    retries because it is stored with the body.
    """

    id: str
    body: bytes

    def headers(self, signature_key: str | None) -> dict[str, str]:
        # Content-Type is UNVERIFIED for Cloud Elements; JSON bodies make it the plausible one.
        headers = {"Content-Type": "application/json", CE_ID_HEADER: self.id}
        if signature_key:
            headers[CE_SIGNATURE_HEADER] = sign_elements(signature_key, self.body)
        return headers

    def message(self) -> dict[str, Any]:
        """The parsed ``message`` object (for inspection; never re-encoded)."""
        parsed: dict[str, Any] = json.loads(self.body)["message"]
        return parsed


def new_notification_id() -> str:
    return str(uuid.uuid4())


def build_notifications(
    events: Iterable[Event],
    raw: Mapping[str, Any],
    *,
    instance_id: int | str,
    element_key: str = ELEMENT_KEY,
    max_events: int,
    instance_name: str | None = None,
    instance_tags: Sequence[str] | None = None,
) -> list[Notification]:
    """Split ``events`` into notifications of at most ``max_events``, each with the full ``raw``.

    ``max_events`` is 10 for polling and 20 for webhooks (``POLLING_MAX_EVENTS``,
    ``WEBHOOK_MAX_EVENTS``). No events gives no notifications.
    """
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, got {max_events}")
    event_list = list(events)
    raw_copy = dict(raw)
    notifications: list[Notification] = []
    for start in range(0, len(event_list), max_events):
        chunk = event_list[start : start + max_events]
        notification_id = new_notification_id()
        message: dict[str, Any] = {
            "eventId": notification_id,
            "instanceId": instance_id,
            "instance_id": instance_id,
            "elementKey": element_key,
        }
        # Optional fields of the fuller Cloud Elements shape, only when known.
        if instance_name is not None:
            message["instanceName"] = instance_name
        if instance_tags is not None:
            message["instanceTags"] = list(instance_tags)
        message["events"] = [event.to_json(element_key) for event in chunk]
        message["raw"] = raw_copy
        notifications.append(Notification(notification_id, encode_body({"message": message})))
    return notifications


__all__ = [
    "ELEMENT_KEY",
    "POLLING_MAX_EVENTS",
    "WEBHOOK_MAX_EVENTS",
    "Event",
    "EventType",
    "Notification",
    "build_notifications",
    "encode_body",
    "format_event_date",
    "new_notification_id",
]
