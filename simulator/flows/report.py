"""What a flow did: its steps, the notes it wrote, the records it touched and the
webhook deliveries it queued.

The records and deliveries are read off the store's event bus while the flow runs,
so they are what the store really did, not what the flow meant to do. Deliveries
follow the queue's rule (one pending per webhook and record): a second change to a
record already queued for a webhook adds no delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from simulator.events import EventBus, StoreEvent

#: (resource, event) -> the topics it fires, in order (the webhook model's rule).
TopicsFor = Callable[[str, str], tuple[str, ...]]
#: topic -> ids of the active webhooks subscribed to it.
WebhooksFor = Callable[[str], tuple[int, ...]]


@dataclass
class FlowReport:
    flow: str
    description: str
    #: The flow's main records by role: ``order``, ``customer``, ``product``, ``refund``.
    ids: dict[str, int] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    #: (order id, note text, customer note) in the order the flow wrote them.
    notes: list[tuple[int, str, bool]] = field(default_factory=list)
    events: list[StoreEvent] = field(default_factory=list)
    webhooks: list[tuple[int, str, int]] = field(default_factory=list)
    #: The report of the flow that made what this one needed (its order), if one ran.
    prepared: FlowReport | None = None

    def step(self, text: str) -> None:
        self.steps.append(text)

    def records(self) -> list[dict[str, Any]]:
        """Each record the flow changed, once, with its changes in order."""
        seen: dict[tuple[str, int], list[str]] = {}
        for event in self.events:
            if event.resource == "action":
                continue
            changes = seen.setdefault((event.resource, event.resource_id), [])
            if event.event not in changes:
                changes.append(event.event)
        return [
            {"resource": resource, "id": record_id, "changes": changes}
            for (resource, record_id), changes in seen.items()
        ]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "flow": self.flow,
            "description": self.description,
            **self.ids,
            "steps": self.steps,
            "notes": [
                {"order_id": order_id, "note": text, "customer_note": customer}
                for order_id, text, customer in self.notes
            ],
            "records": self.records(),
            "webhooks": [
                {"webhook_id": webhook_id, "topic": topic, "resource_id": resource_id}
                for webhook_id, topic, resource_id in self.webhooks
            ],
        }
        if self.prepared is not None:
            out["prepared"] = self.prepared.as_json()
        return out


@contextmanager
def capture(
    report: FlowReport, bus: EventBus, topics_for: TopicsFor, webhooks_for: WebhooksFor
) -> Iterator[FlowReport]:
    """Record the store's events into ``report`` while the block runs."""
    queued: set[tuple[int, int]] = set()

    def listen(event: StoreEvent) -> None:
        report.events.append(event)
        if event.resource == "action":
            topics: tuple[str, ...] = (f"action.{event.hook}",)
        else:
            topics = topics_for(event.resource, event.event)
        for topic in topics:
            for webhook_id in webhooks_for(topic):
                if (webhook_id, event.resource_id) not in queued:
                    queued.add((webhook_id, event.resource_id))
                    report.webhooks.append((webhook_id, topic, event.resource_id))

    bus.subscribe(listen, hooks=lambda hook: bool(webhooks_for(f"action.{hook}")))
    try:
        yield report
    finally:
        bus.unsubscribe(listen)
