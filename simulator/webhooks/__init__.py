"""The store's webhooks: records and rules (model), storage and queries (registry),
sending (delivery, with its request, wphttp and options) and the log of every
attempt (journal).

:class:`WebhookService` ties them to a store: it listens to the store's
:class:`~simulator.events.EventBus` and offers the Python API
(``await sim.webhooks.create(topic=..., delivery_url=...)``). Every
:class:`~simulator.app.Simulator` has one, made with it.
"""

from __future__ import annotations

from typing import Any

from simulator.clock import Clock
from simulator.events import EventBus
from simulator.faults import Faults
from simulator.settings import Settings
from simulator.webhooks.delivery import DeliveryEngine
from simulator.webhooks.journal import (
    DEFAULT_JOURNAL_SIZE,
    DeliveryJournal,
    DeliveryRecord,
    JournalFilter,
    JournalTimeout,
)
from simulator.webhooks.model import Webhook
from simulator.webhooks.options import DeliveryOptions
from simulator.webhooks.registry import SearchResult, WebhookQuery, WebhookRegistry
from simulator.webhooks.request import PayloadFor


class WebhookService:
    """Webhooks of one store: CRUD as the REST controller does it, delivery, journal."""

    def __init__(
        self,
        *,
        clock: Clock,
        bus: EventBus,
        settings: Settings,
        payload_for: PayloadFor,
        faults: Faults | None = None,
        options: DeliveryOptions | None = None,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.faults = faults if faults is not None else Faults()
        self.registry = WebhookRegistry(clock)
        self.journal = DeliveryJournal(journal_size)
        self.engine = DeliveryEngine(
            clock=clock,
            settings=settings,
            registry=self.registry,
            journal=self.journal,
            faults=self.faults,
            payload_for=payload_for,
            options=options,
        )
        #: What a reset puts the queue back to (a test's cadence must not leak into the next).
        self._queue_defaults = (self.engine.options.queue_interval, self.engine.options.delay)
        self._bus = bus
        bus.subscribe(self.engine.on_store_event, hooks=self.engine.wants_hook)

    @property
    def options(self) -> DeliveryOptions:
        """Delivery behaviour, read as it is used: ``options.queue_interval = 60`` runs the
        queue on whole minutes of the store clock as WP-Cron runs a real store's (0, the
        default, runs it as soon as a change settles); ``options.delay = 30`` makes each
        change wait 30 store-clock seconds before its delivery is due;
        ``options.restrict_delivery_urls = True`` applies WordPress's safe-URL rule."""
        return self.engine.options

    def run_queue(self) -> None:
        """Send the pending deliveries now, whatever ``queue_interval`` says."""
        self.engine.run_queue()

    @property
    def pending(self) -> int:
        """Deliveries not yet done: queued, built and waiting for the wire, or on it."""
        return self.engine.in_flight

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start sending (call on the loop that serves the store); a second call is a no-op."""
        await self.engine.start()

    async def close(self) -> None:
        await self.engine.close()

    def reset(self) -> None:
        """A store reset: no webhooks, no queued deliveries, an empty journal, no faults,
        the queue's interval and delay back to what the store started with."""
        self.engine.options.queue_interval, self.engine.options.delay = self._queue_defaults
        self.engine.reset()
        self.registry.clear()
        self.journal.clear()
        self.faults.clear()

    # ------------------------------------------------------------------ Python API
    async def create(
        self,
        *,
        topic: str,
        delivery_url: str,
        secret: str | None = None,
        name: str | None = None,
    ) -> Webhook:
        """Create an active webhook and ping it, as ``POST /wc/v3/webhooks`` does.

        Raises :class:`~simulator.errors.RestError` for a bad topic or URL.
        """
        webhook = self.registry.create(
            topic=topic, delivery_url=delivery_url, secret=secret, name=name
        )
        await self.engine.ping(webhook)
        return webhook

    async def update(self, webhook_id: int, **fields: Any) -> Webhook:
        """Change ``topic``, ``delivery_url``, ``secret``, ``status`` or ``name``; the save
        pings an active webhook whose URL changed or whose ping never got a 200.
        """
        webhook, url_changed = self.registry.update(webhook_id, **fields)
        await self.engine.saved(webhook, url_changed=url_changed)
        return webhook

    def delete(self, webhook_id: int) -> Webhook:
        return self.registry.delete(webhook_id)

    def get(self, webhook_id: int) -> Webhook | None:
        return self.registry.get(webhook_id)

    def all(self) -> list[Webhook]:
        return sorted(self.registry.all(), key=lambda w: w.id)

    def deliveries(self, **filters: Any) -> list[DeliveryRecord]:
        """Journal entries matching ``filters`` (see :class:`JournalFilter`), oldest first."""
        return self.journal.entries(**filters)

    async def wait_for(
        self, count: int = 1, *, timeout: float = 10.0, **filters: Any
    ) -> list[DeliveryRecord]:
        """Wait until ``count`` journal entries match ``filters``."""
        return await self.journal.wait_for(count, timeout=timeout, **filters)


__all__ = [
    "DeliveryEngine",
    "DeliveryJournal",
    "DeliveryOptions",
    "DeliveryRecord",
    "JournalFilter",
    "JournalTimeout",
    "SearchResult",
    "Webhook",
    "WebhookQuery",
    "WebhookRegistry",
    "WebhookService",
]
