"""The reference webhook relay for one instance: its lifecycle around the endpoint.

:class:`WebhookRelay` serves the :class:`~pytest_woosim.relay.endpoint.RelayApp`
(inbound deliveries into the durable outbox), registers the relay's webhooks on
the store, runs the notification sender and the periodic checks, and stops them
in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from aiohttp import web

from pytest_woosim.instance.config import InstanceConfig, instance_slug
from pytest_woosim.outbox.sender import (
    CE_RETRY_SCHEDULE,
    DEFAULT_PARK_PROBE_INTERVAL,
    DEFAULT_TIMEOUT,
)
from pytest_woosim.outbox.state import StateStore
from pytest_woosim.outbox.transport import sender_client
from pytest_woosim.outbox.worker_sender import DEFAULT_CLAIM_TTL, exclusive, sender_for
from pytest_woosim.poller.storeclient import StoreClient
from pytest_woosim.relay.endpoint import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY,
    ELEMENT_KEY,
    OUTBOX_RESOURCE,
    RelayApp,
    RelayStats,
    delivery_path,
)
from pytest_woosim.relay.registration import (
    DEFAULT_CHECK_INTERVAL,
    Registrar,
    RegistrationError,
    RegistrationReport,
    StoreWebhookApi,
)
from pytest_woosim.relay.token import token_for
from simulator.clock import Clock

log = logging.getLogger("woosim.relay")


@dataclass
class RelayOptions:
    """How the relay runs (everything not in the instance configuration)."""

    host: str = "127.0.0.1"
    port: int = 0
    #: Base URL at which the STORE reaches the relay, when not the bound address
    #: (a container, a tunnel); the delivery path is appended to it.
    public_url: str | None = None
    #: Delete the relay's webhooks from the store on stop.
    cleanup: bool = False
    #: Clock seconds between checks for webhooks the store disabled.
    check_interval: float = DEFAULT_CHECK_INTERVAL
    max_body: int = DEFAULT_MAX_BODY
    #: Real seconds before an idle (or half-sent) connection is closed, and a body must arrive.
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    #: Retry delays (seconds after the first failure) of the notification sender.
    retry_schedule: tuple[float, ...] = CE_RETRY_SCHEDULE
    park_probe_interval: float = DEFAULT_PARK_PROBE_INTERVAL
    sender_timeout: float = DEFAULT_TIMEOUT
    #: Workers sharing a PostgreSQL state: clock seconds a claim on a notification (and
    #: the registration lease) lives before another worker may take it over.
    lease_ttl: float = DEFAULT_CLAIM_TTL
    #: False: no server of its own; a service routes deliveries to :attr:`WebhookRelay.app`
    #: (``public_url`` is then the service's base URL).
    serve: bool = True
    #: Token the operational routes require (None: generated when bound beyond loopback).
    control_token: str | None = None
    #: Events per notification. 1 (default) is Cloud Elements' shape for WooCommerce:
    #: one webhook, one notification, ``raw`` = the WooCommerce body. Up to 20 merges
    #: webhooks that arrive together (same object type) into one notification.
    batch_events: int = 1


class WebhookRelay:
    """One instance's relay: HTTP server, webhook registration, sender, periodic checks."""

    def __init__(
        self,
        *,
        store_url: str,
        api_key: str,
        api_secret: str,
        callback_url: str,
        signature_key: str | None,
        instance: str,
        instance_id: int | str,
        state: StateStore,
        clock: Clock,
        instance_name: str | None = None,
        options: RelayOptions | None = None,
        store_client: StoreClient | None = None,
        http_client: httpx.AsyncClient | None = None,
        reconciler: Reconciler | None = None,
    ) -> None:
        self.options = options or RelayOptions()
        self.state = state
        self.clock = clock
        self.instance = instance
        self.instance_id = instance_id
        self.instance_name = instance_name
        self.callback_url = callback_url
        self.store = store_client or StoreClient(store_url, api_key, api_secret)
        self._owns_store = store_client is None
        self.kv = StateKV(state, instance)
        self._owns_http = http_client is None
        self._http = http_client or sender_client(self.options.sender_timeout)
        self.sender = sender_for(
            state,
            clock,
            instance=instance,
            callback_url=callback_url,
            signature_key=signature_key,
            client=self._http,
            schedule=self.options.retry_schedule,
            timeout=self.options.sender_timeout,
            park_probe_interval=self.options.park_probe_interval,
            claim_ttl=self.options.lease_ttl,
        )
        self.reconciler = reconciler
        self.registrar: Registrar | None = None
        self.app: RelayApp | None = None
        self.registration: RegistrationReport | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.url = ""
        self.delivery_url = ""
        self.control_token: str | None = None
        self.token_generated = False

    @classmethod
    def from_config(
        cls,
        config: InstanceConfig,
        *,
        state: StateStore,
        clock: Clock,
        options: RelayOptions | None = None,
        reconciler: Reconciler | None = None,
        instance_id: int | str | None = None,
    ) -> WebhookRelay:
        """A relay for a ``event.vendor.type=webhook`` instance configuration.

        The instance is known by its name (made URL-safe): it names the delivery
        path, the webhooks on the store and the rows in the state file.
        """
        conf = config.configuration
        if not conf.callback_url:
            raise ValueError(
                'configuration."event.notification.callback.url" is required to relay events'
            )
        instance = instance_slug(config.name)
        return cls(
            store_url=conf.store_url,
            api_key=conf.api_key,
            api_secret=conf.api_secret.get_secret_value(),
            callback_url=conf.callback_url,
            signature_key=(
                conf.signature_key.get_secret_value() if conf.signature_key is not None else None
            ),
            instance=instance,
            instance_id=instance if instance_id is None else instance_id,
            instance_name=config.name,
            state=state,
            clock=clock,
            options=options,
            reconciler=reconciler,
        )

    async def start(self) -> None:
        """Serve, then register (the store pings the delivery URL on create), then deliver.

        Workers sharing a database register one at a time (a lease), so the webhooks
        and the secret are created once and reused by the others.
        """
        async with exclusive(
            self.state, f"register:{self.instance}", ttl=max(self.options.lease_ttl, 60.0)
        ):
            await self._start()

    async def _start(self) -> None:
        # One registrar throughout: it knows whether the secret was generated just now
        # (lost state), in which case reused webhooks must be given the new one.
        self.registrar = Registrar(
            StoreWebhookApi(self.store), self.kv, instance=self.instance, delivery_url=""
        )
        secret = await self.registrar.secret()
        self.control_token, self.token_generated = token_for(
            self.options.host, self.options.control_token
        )
        self.app = RelayApp(
            state=self.state,
            clock=self.clock,
            instance=self.instance,
            instance_id=self.instance_id,
            instance_name=self.instance_name,
            callback_url=self.callback_url,
            secret=secret,
            max_body=self.options.max_body,
            body_timeout=self.options.body_timeout,
            share_content_keys=self.reconciler is not None,
            batch_events=self.options.batch_events,
            redeliver=self.sender.redeliver,
            delivered=lambda: self.sender.delivered,
            health=self._health,
            control_token=self.control_token,
            registered=lambda: self.registrar.known_ids if self.registrar is not None else {},
            topics=self.registrar.topics,
        )
        if self.options.serve:
            await self._serve()
        else:
            self.url = (self.options.public_url or "").rstrip("/")
        base = (self.options.public_url or self.url).rstrip("/")
        self.delivery_url = base + delivery_path(self.instance)
        self.registrar.delivery_url = self.delivery_url
        await self.sender.start()
        try:
            self.registration = await self.registrar.ensure()
        except RegistrationError:
            await self.stop()
            raise
        log.info(
            "webhooks ready created=%d reused=%d reactivated=%d delivery_url=%s",
            len(self.registration.created),
            len(self.registration.reused),
            len(self.registration.reactivated),
            self.delivery_url,
        )
        self._tasks.append(
            asyncio.create_task(self.registrar.watch(self.clock, self.options.check_interval))
        )
        if self.reconciler is not None:
            self._tasks.append(asyncio.create_task(self.reconciler.run()))

    async def _serve(self) -> None:
        assert self.app is not None
        self._runner = web.AppRunner(
            self.app.app(allowed_hosts=[self.options.host.lower().strip("[]")]),
            access_log=None,
            keepalive_timeout=self.options.idle_timeout,
            # After an early answer (408, 413) the rest of a body is read and dropped for
            # at most this long, then the connection closes (aiohttp's default is 10 s).
            lingering_time=self.options.body_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{_url_host(str(host))}:{port}"

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.options.cleanup and self.registrar is not None:
            try:
                await self.registrar.cleanup()
            except RegistrationError as exc:
                log.warning("could not delete the webhooks: %s", exc)
        await self.sender.stop()
        if self._owns_http:
            await self._http.aclose()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._owns_store:
            await self.store.aclose()

    async def __aenter__(self) -> WebhookRelay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _health(self) -> dict[str, Any]:
        report = self.registration
        return {
            "sender": "running" if self.sender.running else "stopped",
            "webhooks": len(report.ids) if report is not None else 0,
            "delivery_url": self.delivery_url,
            "reconcile": self.reconciler is not None,
        }


class Reconciler(Protocol):
    """A background reconciliation poll (see :mod:`pytest_woosim.relay.reconcile`)."""

    async def run(self) -> None: ...


class StateKV:
    """``registration.KeyValue`` over the State's kv table for one instance."""

    def __init__(self, state: StateStore, instance: str) -> None:
        self.state = state
        self.instance = instance

    async def get(self, key: str) -> str | None:
        value = await self.state.kv_get(self.instance, key)
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        await self.state.kv_set(self.instance, key, value)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "ELEMENT_KEY",
    "OUTBOX_RESOURCE",
    "Reconciler",
    "RelayApp",
    "RelayOptions",
    "RelayStats",
    "StateKV",
    "WebhookRelay",
    "delivery_path",
    "instance_slug",
]
