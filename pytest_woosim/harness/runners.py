"""Running the reference components for fixtures: the receiver, a poller, a relay.

Pollers and relays run on the store backend's event loop thread (the store's
own loop for an in-process store), sleep on the shared clock and keep their
state in memory. Their handles give tests sync calls, plus ``*_async`` twins
for async tests (those do not block the test's loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from pytest_woosim.harness.receiver import ReceivedNotification, Receiver
from pytest_woosim.harness.store import StoreBackend
from pytest_woosim.harness.world import (
    START_TIMEOUT,
    start_polling,
    start_relaying,
    stop_polling,
    stop_relaying,
)
from pytest_woosim.instance.config import InstanceConfig
from pytest_woosim.poller.poller import Poller, PollReport
from pytest_woosim.relay.relay import WebhookRelay
from simulator.clock import Clock

T = TypeVar("T")


async def _on_backend(backend: StoreBackend, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on the backend's loop from another loop, without blocking this one."""
    return await asyncio.to_thread(backend.run, coro)


# ---------------------------------------------------------------------- receiver


class ReceiverHandle:
    """The callback receiver of one test (its server lives for the session)."""

    def __init__(self, receiver: Receiver, default_key: str) -> None:
        self.receiver = receiver
        self.default_key = default_key

    def __repr__(self) -> str:
        return f"ReceiverHandle(url={self.url!r})"

    @property
    def url(self) -> str:
        """The callback URL to configure (``event.notification.callback.url``)."""
        return self.receiver.url

    @property
    def signature_key(self) -> str | None:
        """The key signatures are checked with; None checks nothing (``verified`` is None)."""
        return self.receiver.signature_key

    @signature_key.setter
    def signature_key(self, key: str | None) -> None:
        self.receiver.signature_key = key or None

    @property
    def notifications(self) -> list[ReceivedNotification]:
        """Every notification judged: ``.body`` bytes, ``.headers``, ``.verified``, ``.message``."""
        return self.receiver.notifications

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event objects of every accepted notification, in arrival order."""
        return self.receiver.events

    @property
    def failed_attempts(self) -> list[ReceivedNotification]:
        """Requests answered with a :meth:`fail_next` status."""
        return self.receiver.failed_attempts

    def wait_for_events(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``n`` events arrived (real seconds); every event so far."""
        return self.receiver.wait_for_events_sync(n, timeout)

    async def wait_for_events_async(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return await self.receiver.wait_for_events(n, timeout)

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` notifications with ``status`` (to exercise retries)."""
        self.receiver.fail_next(n, status)

    def reset(self) -> None:
        """Before a test: nothing received, no pending failures, the session's key."""
        self.receiver.clear()
        self.receiver.signature_key = self.default_key


def start_receiver(key: str, clock: Clock) -> Receiver:
    receiver = Receiver(key, clock=clock)
    receiver.start_in_thread()
    return receiver


# ---------------------------------------------------------------------- poller


class PollerHandle:
    """A running reference poller (its schedule sleeps on the shared clock)."""

    def __init__(self, backend: StoreBackend, poller: Poller) -> None:
        self.backend = backend
        self.poller = poller

    def __repr__(self) -> str:
        return f"PollerHandle(instance={self.poller.instance!r})"

    def poll_once(self) -> PollReport:
        """One run now, besides the schedule (runs never overlap)."""
        return self.backend.run(self.poller.poll_once(), START_TIMEOUT)

    async def poll_once_async(self) -> PollReport:
        return await _on_backend(self.backend, self.poller.poll_once())

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued notification was delivered (or parked)."""
        if self.poller.sender is not None:
            self.backend.run(self.poller.sender.drain(timeout), timeout + 1)

    async def drain_async(self, timeout: float = 10.0) -> None:
        if self.poller.sender is not None:
            await _on_backend(self.backend, self.poller.sender.drain(timeout))

    @property
    def reports(self) -> list[PollReport]:
        """The latest runs (at most 100), oldest first."""
        return list(self.poller.reports)

    @property
    def poll_times(self) -> list[str]:
        """When each kept run started, ISO-8601 UTC."""
        return [r.started.isoformat().replace("+00:00", "Z") for r in self.poller.reports]

    @property
    def warnings(self) -> list[str]:
        """What the poller noticed about the configuration (e.g. a date field in the wrong zone)."""
        return list(self.poller.warnings)

    @property
    def stats(self) -> dict[str, int]:
        """Totals over the kept runs: polls, events, requests, records read, errors."""
        resources = [r for report in self.poller.reports for r in report.resources]
        return {
            "polls": len(self.poller.reports),
            "events": sum(r.events for r in resources),
            "notifications": sum(r.notifications for r in resources),
            "requests": sum(r.requests for r in resources),
            "records_read": sum(r.records_read for r in resources),
            "duplicates": sum(r.duplicates for r in resources),
            "unreadable_dates": sum(r.unreadable_dates for r in resources),
            "errors": sum(1 for r in resources if not r.ok),
        }

    def stop(self) -> None:
        self.backend.run(stop_polling(self.poller), START_TIMEOUT)


def start_poller(backend: StoreBackend, config: InstanceConfig) -> PollerHandle:
    """Start a poller for a polling instance; it has polled once when this returns."""
    if config.configuration.vendor_type != "polling":
        raise ValueError(
            'woosim_poller needs a polling instance ("event.vendor.type": "polling"); '
            "use woosim_relay for webhook instances"
        )
    poller = backend.run(start_polling(config, backend.clock), START_TIMEOUT + 5)
    return PollerHandle(backend, poller)


# ---------------------------------------------------------------------- relay


class RelayHandle:
    """A running reference webhook relay: registered on the store, forwarding to the callback."""

    def __init__(self, backend: StoreBackend, relay: WebhookRelay) -> None:
        self.backend = backend
        self.relay = relay

    def __repr__(self) -> str:
        return f"RelayHandle(url={self.url!r})"

    @property
    def url(self) -> str:
        return self.relay.url

    @property
    def delivery_url(self) -> str:
        """Where the store's webhooks deliver."""
        return self.relay.delivery_url

    @property
    def webhook_ids(self) -> dict[str, int]:
        """Topic -> id of the store webhooks the relay registered or reused."""
        report = self.relay.registration
        return {} if report is None else dict(report.ids)

    @property
    def warnings(self) -> list[str]:
        """Webhooks the store holds paused for this relay (they deliver nothing)."""
        report = self.relay.registration
        if report is None:
            return []
        return [
            f"{topic}: webhook {webhook_id} is paused on the store"
            for topic, webhook_id in report.paused.items()
        ]

    @property
    def stats(self) -> dict[str, Any]:
        """Received, verified, rejected, duplicates, accepted, queued, parked, delivered."""
        app = self.relay.app
        if app is None:
            return {}
        return self.backend.run(app.stats_json(), START_TIMEOUT)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every accepted notification was delivered (or parked)."""
        self.backend.run(self.relay.sender.drain(timeout), timeout + 1)

    async def drain_async(self, timeout: float = 10.0) -> None:
        await _on_backend(self.backend, self.relay.sender.drain(timeout))

    def stop(self) -> None:
        self.backend.run(stop_relaying(self.relay), START_TIMEOUT)


def start_relay(backend: StoreBackend, config: InstanceConfig) -> RelayHandle:
    """Start a relay for a webhook instance; its webhooks are registered when this returns."""
    if config.configuration.vendor_type != "webhook":
        raise ValueError(
            'woosim_relay needs a webhook instance ("event.vendor.type": "webhook"); '
            "use woosim_poller for polling instances"
        )
    relay = backend.run(start_relaying(config, backend.clock), START_TIMEOUT + 5)
    return RelayHandle(backend, relay)


__all__ = [
    "PollerHandle",
    "ReceiverHandle",
    "RelayHandle",
    "start_poller",
    "start_receiver",
    "start_relay",
]
