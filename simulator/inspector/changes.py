"""Change tokens: one per panel, so a live poll with nothing new costs a few reads."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simulator.events import StoreEvent
from simulator.inspector.paging import PANELS
from simulator.webhooks import WebhookService

if TYPE_CHECKING:
    from simulator.app import Simulator


class ChangeTracker:
    """A token per panel that changes whenever what the panel shows may have changed."""

    def __init__(self, sim: Simulator, service: WebhookService) -> None:
        self.sim = sim
        self.service = service
        self.events: Counter[str] = Counter()
        self.resets = 0

    def on_event(self, event: StoreEvent) -> None:
        # Called on the store's thread; a lost increment only delays one refresh,
        # and the record counts in the tokens catch inserts made without events.
        self.events[event.resource] += 1

    def on_reset(self) -> None:
        self.resets += 1

    def tokens(self) -> dict[str, str]:
        store, journal = self.sim.store, self.service.journal
        webhooks = _digest(
            [
                (
                    w.id,
                    w.name,
                    w.status,
                    w.topic,
                    w.delivery_url,
                    w.failure_count,
                    w.pending_delivery,
                    w.date_modified,
                )
                for w in self.service.all()
            ]
        )
        size = len(journal)
        # Below capacity the length grows with every attempt; at capacity it stays
        # put, so read the newest sequence number instead.
        newest = journal.entries()[-1].seq if size and size >= journal.maxlen else size
        return {
            "customers": f"{self.resets}.{self.events['customer']}.{len(store.customers)}",
            "orders": f"{self.resets}.{self.events['order']}.{len(store.orders)}",
            # An order's coupon moves its usage count (coupons are few: a sum is cheap).
            "coupons": (
                f"{self.resets}.{self.events['coupon']}.{len(store.coupons)}."
                f"{sum(c.usage_count for c in store.coupons.values())}"
            ),
            "webhooks": webhooks,
            # Signature checks depend on the webhooks' secrets (a change touches date_modified).
            "deliveries": f"{self.resets}.{newest}.{webhooks}",
            "faults": _digest([f.to_json() for f in self.service.faults.all()]),
        }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def encode_revision(tokens: Mapping[str, str]) -> str:
    return ";".join(f"{panel}={tokens[panel]}" for panel in PANELS)


def decode_revision(revision: str) -> dict[str, str]:
    """The client's revision back into tokens; anything unreadable just means "send it all"."""
    tokens: dict[str, str] = {}
    for part in revision.split(";"):
        panel, _, token = part.partition("=")
        if panel in PANELS:
            tokens[panel] = token
    return tokens
