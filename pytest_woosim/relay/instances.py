"""The relay's instance registry: many instances in one service, added and removed live.

Each instance has a stable numeric id (the state's ``instances`` table) and a
key (its name made URL-safe) that names its rows in the state file: watermarks,
outbox, dedupe keys, webhook secret. The key never changes once given, so a
changed instance (``PATCH``) picks up its own outbox and watermarks: nothing
already accepted is lost, and polling resumes where it stood.

Instances come from configuration files (read at start; edit the file and
restart to change them) or from the instance API (``POST /instances``; their
bodies are kept in the state file and restarted with the relay). An instance
whose ``event.notification.enabled`` is false or missing is listed but does
nothing at all, as Cloud Elements sends nothing for it.

Removing an instance stops its polling, deletes its webhooks from the store,
and lets its sender finish what is queued (parked notifications stay in the
state file).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pytest_woosim.instance.config import ConfigError, InstanceConfig
from pytest_woosim.outbox.sender import Sender
from pytest_woosim.outbox.state import OutboxItem, StateStore
from pytest_woosim.outbox.worker_sender import DEFAULT_CLAIM_TTL, AnySender
from pytest_woosim.poller.poller import Poller
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay, instance_slug
from simulator.clock import Clock
from simulator.wire.signing import sign_elements

log = logging.getLogger("woosim.relay.instances")

Origin = Literal["file", "api"]
#: Delivery attempts remembered per instance for the page.
RECENT_SHOWN = 50


class InstanceConflict(Exception):
    """The request cannot apply to this instance (409)."""


@dataclass
class RunOptions:
    """What every instance of one service shares."""

    public_url: str = ""  # base URL at which the store reaches the service
    backfill: bool = False
    since: datetime | None = None
    detect_deletions: bool = False
    #: Webhook instances also poll to emit what webhooks missed.
    reconcile: bool = False
    #: Delete webhook instances' webhooks from the store when the service stops.
    cleanup: bool = False
    #: Workers on a shared database: clock seconds a poll lease or a claim lives.
    lease_ttl: float = DEFAULT_CLAIM_TTL
    relay: RelayOptions = field(default_factory=RelayOptions)


@dataclass
class ManagedInstance:
    """One instance: its configuration and, when enabled, what runs for it."""

    id: int
    key: str
    config: InstanceConfig
    body: dict[str, Any]
    origin: Origin
    source: str = ""  # the file it came from
    poller: Poller | None = None
    relay: WebhookRelay | None = None
    error: str | None = None  # why it could not start
    #: The latest delivery attempts (newest last), for the page.
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_SHOWN))

    @property
    def enabled(self) -> bool:
        return bool(self.config.configuration.events_enabled)

    @property
    def mode(self) -> str:
        return self.config.configuration.vendor_type

    @property
    def sender(self) -> AnySender | None:
        if self.poller is not None:
            return self.poller.sender
        return self.relay.sender if self.relay is not None else None

    def health(self) -> dict[str, Any]:
        """``ok``, ``disabled``, or ``unhealthy`` with the reasons."""
        if not self.enabled:
            return {"status": "disabled", "reasons": ["event.notification.enabled is not true"]}
        reasons: list[str] = []
        if self.error is not None:
            reasons.append(self.error)
        if self.poller is not None:
            reasons.extend(self.poller.health_problems)
        return {"status": "unhealthy" if reasons else "ok", "reasons": reasons}

    def describe(self) -> dict[str, Any]:
        """The Cloud Elements instance view: configuration values as sent, secrets masked."""
        shown = self.config.to_cloud_elements_json(mask_secrets=True)
        return {
            "id": self.id,
            "name": self.config.name,
            "key": self.key,
            "element": shown["element"],
            "tags": shown["tags"],
            "eventsEnabled": self.enabled,
            "origin": self.origin,
            "source": self.source or None,
            "configuration": shown["configuration"],
            "health": self.health(),
        }


def merged_body(body: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``PATCH``: top-level keys replace, ``configuration`` keys merge (null removes one)."""
    result: dict[str, Any] = json.loads(json.dumps(body))
    for key, value in patch.items():
        if key == "configuration" and isinstance(value, dict):
            configuration = result.setdefault("configuration", {})
            for name, item in value.items():
                if item is None:
                    configuration.pop(name, None)
                else:
                    configuration[name] = item
        else:
            result[key] = value
    return result


class InstanceRegistry:
    """The running instances of one relay service."""

    def __init__(self, state: StateStore, clock: Clock, options: RunOptions) -> None:
        self.state = state
        self.clock = clock
        self.options = options
        self.instances: dict[int, ManagedInstance] = {}
        self._lock = asyncio.Lock()
        self._draining: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lookups
    def by_key(self, key: str) -> ManagedInstance | None:
        return next((i for i in self.instances.values() if i.key == key), None)

    def listed(self) -> list[ManagedInstance]:
        return [self.instances[k] for k in sorted(self.instances)]

    # ------------------------------------------------------------------ changes
    async def add_file(self, config: InstanceConfig, source: str) -> ManagedInstance:
        key = instance_slug(config.name)
        if self.by_key(key) is not None:
            raise InstanceConflict(f"{source}: another instance is named {config.name!r}")
        number = await self.state.instance_number(key)
        body = config.to_cloud_elements_json()
        managed = ManagedInstance(number, key, config, body, "file", source)
        return await self._start(managed)

    async def add_api(self, body: dict[str, Any]) -> ManagedInstance:
        """``POST /instances``: validate, keep the body, start. ConfigError when invalid."""
        config = InstanceConfig.from_data(body)
        async with self._lock:
            key = instance_slug(config.name)
            if self.by_key(key) is not None:
                raise InstanceConflict(f"an instance named {config.name!r} exists already")
            number = await self.state.save_instance(key, json.dumps(body))
            managed = ManagedInstance(number, key, config, body, "api")
            return await self._start(managed)

    async def restore_saved(self) -> list[ManagedInstance]:
        """Start the API-created instances kept in the state file."""
        restored = []
        for number, key, text in await self.state.saved_instances():
            if number in self.instances:
                continue
            try:
                body = json.loads(text)
                config = InstanceConfig.from_data(body)
            except (ValueError, ConfigError) as exc:
                log.error("instance %s in the state file is not valid: %s", number, exc)
                continue
            managed = ManagedInstance(number, key, config, body, "api")
            restored.append(await self._start(managed))
        return restored

    async def patch(self, number: int, patch: dict[str, Any]) -> ManagedInstance:
        """``PATCH /instances/{id}``: the changed instance replaces the running one."""
        async with self._lock:
            current = self._get(number)
            if current.origin == "file":
                raise InstanceConflict(
                    f"instance {number} comes from {current.source}: edit the file and restart"
                )
            body = merged_body(current.body, patch)
            config = InstanceConfig.from_data(body)
            await self.state.save_instance(current.key, json.dumps(body))
            # The key stays: the outbox, watermarks and webhook secret carry over.
            conf = config.configuration
            still_webhooks = conf.events_enabled and conf.vendor_type == "webhook"
            # Webhooks no longer wanted are deleted from the store; kept ones are reused.
            await self._stop(current, cleanup=current.relay is not None and not still_webhooks)
            replacement = ManagedInstance(number, current.key, config, body, "api")
            replacement.recent = current.recent
            return await self._start(replacement)

    async def remove(self, number: int) -> ManagedInstance:
        """``DELETE /instances/{id}``: stop, delete its webhooks, deliver what is queued."""
        async with self._lock:
            current = self._get(number)
            if current.origin == "file":
                raise InstanceConflict(
                    f"instance {number} comes from {current.source}: remove the file and restart"
                )
            await self._stop(current, cleanup=True)
            await self.state.forget_instance_body(current.key)
            del self.instances[number]
            self._drain_later(current)
            return current

    async def close(self) -> None:
        for managed in list(self.instances.values()):
            await self._stop(managed, cleanup=self.options.cleanup)
        for task in list(self._draining):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ running
    def _get(self, number: int) -> ManagedInstance:
        managed = self.instances.get(number)
        if managed is None:
            raise KeyError(number)
        return managed

    async def _start(self, managed: ManagedInstance) -> ManagedInstance:
        self.instances[managed.id] = managed
        if not managed.enabled:
            log.warning(
                "instance %s (%s): events not enabled: not polled, no webhooks, nothing sent",
                managed.id,
                managed.config.name,
            )
            return managed
        try:
            if managed.mode == "polling":
                poller = Poller.from_config(
                    managed.config,
                    state=self.state,
                    clock=self.clock,
                    instance_id=managed.key,
                    instance_number=managed.id,
                    backfill=self.options.backfill,
                    start=self.options.since,
                    detect_deletions=self.options.detect_deletions,
                    lease_ttl=self.options.lease_ttl,
                )
                managed.poller = poller
                await poller.start_background()
            else:
                reconciler = None
                if self.options.reconcile:
                    from pytest_woosim.relay.reconcile import reconciler_for

                    reconciler = reconciler_for(managed.config, state=self.state, clock=self.clock)
                relay = WebhookRelay.from_config(
                    managed.config,
                    state=self.state,
                    clock=self.clock,
                    options=_embedded(self.options),
                    instance_id=managed.id,
                    reconciler=reconciler,
                )
                managed.relay = relay
                await relay.start()
            if managed.sender is not None:
                managed.sender.observers.append(self._observer(managed))
        except Exception as exc:
            managed.error = f"could not start: {exc}"
            managed.poller = managed.relay = None
            log.error("instance %s (%s): %s", managed.id, managed.config.name, managed.error)
        else:
            log.info(
                "polling started" if managed.mode == "polling" else "webhook relay started",
                extra={
                    "fields": {
                        "instance": managed.id,
                        "name": managed.config.name,
                        "mode": managed.mode,
                    }
                },
            )
        return managed

    def _observer(self, managed: ManagedInstance) -> Callable[[OutboxItem, str | None], None]:
        key = managed.config.configuration.signature_key
        secret = None if key is None else key.get_secret_value()

        def observe(item: OutboxItem, error: str | None) -> None:
            try:
                events = json.loads(item.body)["message"]["events"]
            except (ValueError, KeyError, TypeError):
                events = []
            signature = sign_elements(secret, item.body) if secret else None
            managed.recent.append(
                {
                    "at": self.clock.now().isoformat().replace("+00:00", "Z"),
                    "notificationId": item.notification_id,
                    "events": [
                        f"{e.get('eventType')} {e.get('objectType')} {e.get('objectId')}"
                        for e in events
                        if isinstance(e, dict)
                    ],
                    # The signature went over the wire; the key that made it never shows.
                    "signature": signature,
                    "status": "NOTIFIED" if error is None else "FAILED",
                    "response": "2xx" if error is None else error,
                    "attempt": item.attempts + 1,
                }
            )

        return observe

    async def _stop(self, managed: ManagedInstance, *, cleanup: bool) -> None:
        if managed.poller is not None:
            await managed.poller.stop()
            managed.poller = None
        if managed.relay is not None:
            managed.relay.options.cleanup = cleanup
            await managed.relay.stop()
            managed.relay = None

    def _drain_later(self, managed: ManagedInstance) -> None:
        """A removed instance's queued notifications still go out (accepted means sent)."""
        conf = managed.config.configuration
        if not managed.enabled or not conf.callback_url:
            return
        sender = Sender(
            self.state,
            self.clock,
            instance=managed.key,
            callback_url=conf.callback_url,
            signature_key=(
                None if conf.signature_key is None else conf.signature_key.get_secret_value()
            ),
        )

        async def drain() -> None:
            await sender.start()
            try:
                while True:
                    counts = await self.state.outbox_counts(managed.key)
                    if counts.pending == 0:
                        return
                    with contextlib.suppress(TimeoutError):
                        await sender.drain(60)
            finally:
                await sender.stop()

        task = asyncio.create_task(drain(), name=f"woosim-drain-{managed.key}")
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)


def _embedded(options: RunOptions) -> RelayOptions:
    """A webhook relay inside the service: deliveries come through the service's server."""
    relay = options.relay
    return RelayOptions(
        host=relay.host,
        port=relay.port,
        public_url=options.public_url,
        serve=False,
        check_interval=relay.check_interval,
        max_body=relay.max_body,
        retry_schedule=relay.retry_schedule,
        park_probe_interval=relay.park_probe_interval,
        sender_timeout=relay.sender_timeout,
        batch_events=relay.batch_events,
        lease_ttl=options.lease_ttl,
    )


__all__ = [
    "InstanceConflict",
    "InstanceRegistry",
    "ManagedInstance",
    "RunOptions",
    "merged_body",
]
