"""The relay's webhooks on the store: register, reuse, re-activate, clean up.

The relay owns one webhook per topic (customer, order, product x created, updated,
deleted, restored), all pointing at its delivery URL, each signed with its own
secret derived from the per-instance one (:func:`webhook_secret`): a delivery's
signature names the webhook, and so the topic, it was registered for; the
unsigned ``X-WC-Webhook-Topic``/``-ID`` headers cannot re-label it. Which webhooks
are ours is remembered twice: their ids in the durable key-value store, and a
recognisable name on the store itself — so a restart (even with a lost state file)
reuses them instead of adding duplicates.

WooCommerce never retries and disables a webhook on the 7th consecutive failed
delivery; ``ensure()`` (run at start and periodically on the clock) notices a
disabled webhook and sets it back to ``active`` with a warning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pytest_woosim.poller.storeclient import StoreClient, StoreError, StoreRequestError
from simulator.clock import Clock

_T = TypeVar("_T")

log = logging.getLogger("woosim.relay.registration")

RESOURCES = ("customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
#: The topics the relay registers (customer.restored validates on WooCommerce but never
#: fires; it is registered anyway so a store that starts firing it is covered).
TOPICS: tuple[str, ...] = tuple(f"{r}.{e}" for r in RESOURCES for e in EVENTS)

KV_SECRET = "webhook.secret"
KV_IDS = "webhook.ids"
#: Set once every webhook carries its own derived secret (older state files used one
#: secret for all; their webhooks are given the derived ones at the next ensure()).
KV_SECRET_SCHEME = "webhook.secret_scheme"
SECRET_SCHEME = "per-topic-1"


def webhook_secret(instance_secret: str, topic: str) -> str:
    """The secret of the instance's webhook for ``topic``: HMAC(instance secret, topic)."""
    digest = hmac.new(instance_secret.encode(), topic.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


#: How often (clock seconds) the relay checks its webhooks for auto-disable by the store.
DEFAULT_CHECK_INTERVAL = 300.0


class RegistrationError(Exception):
    """The store refused or failed a webhook call; the message never holds a secret."""


class KeyValue(Protocol):
    """Durable per-instance key-value storage (the relay adapts ``State`` to it)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class WebhookApi(Protocol):
    """The few ``/wc/v3/webhooks`` calls registration needs."""

    async def list_webhooks(self, search: str) -> list[dict[str, Any]]: ...

    async def get_webhook(self, webhook_id: int) -> dict[str, Any] | None: ...

    async def create_webhook(self, body: Mapping[str, Any]) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: int, body: Mapping[str, Any]) -> dict[str, Any]: ...

    async def delete_webhook(self, webhook_id: int) -> bool: ...


@dataclass
class RegistrationReport:
    """What one ``ensure()`` did, topic → webhook id per bucket."""

    created: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)
    reactivated: dict[str, int] = field(default_factory=dict)
    repointed: dict[str, int] = field(default_factory=dict)
    removed_duplicates: list[int] = field(default_factory=list)
    paused: dict[str, int] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, int]:
        return {**self.reused, **self.created}


def webhook_name(instance: str, topic: str) -> str:
    return f"{name_prefix(instance)}{topic}"


def name_prefix(instance: str) -> str:
    return f"woosim relay {instance}: "


class Registrar:
    """Keeps the instance's webhooks present, active and pointing at the relay."""

    def __init__(
        self,
        api: WebhookApi,
        kv: KeyValue,
        *,
        instance: str,
        delivery_url: str,
        topics: Iterable[str] = TOPICS,
    ) -> None:
        self.api = api
        self.kv = kv
        self.instance = instance
        self.delivery_url = delivery_url
        self.topics = tuple(topics)
        self._secret: str | None = None
        self._secret_is_new = False
        #: topic → webhook id, updated as each webhook is created or found (before the
        #: whole ensure() ends), so a delivery racing registration is bound too.
        self.known_ids: dict[str, int] = {}

    async def secret(self) -> str:
        """The per-instance webhook secret, generated once and kept in the key-value store."""
        if self._secret is None:
            stored = await self.kv.get(KV_SECRET)
            if stored:
                self._secret = stored
            else:
                self._secret = secrets.token_urlsafe(32)
                self._secret_is_new = True
                await self.kv.set(KV_SECRET, self._secret)
        return self._secret

    async def stored_ids(self) -> dict[str, int]:
        raw = await self.kv.get(KV_IDS)
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return {}
        return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}

    async def ensure(self) -> RegistrationReport:
        """Create what is missing, reuse what exists, re-activate what the store disabled."""
        secret = await self.secret()
        if await self.kv.get(KV_SECRET_SCHEME) != SECRET_SCHEME:
            self._secret_is_new = True  # reused webhooks get their derived secrets
        report = RegistrationReport()
        stored = await self.stored_ids()
        self.known_ids.update(stored)
        prefix = name_prefix(self.instance)
        ours = [
            h
            for h in await self.api.list_webhooks(prefix)
            if str(h.get("name", "")).startswith(prefix)
        ]
        by_id = {int(h["id"]): h for h in ours}
        by_name: dict[str, list[dict[str, Any]]] = {}
        for listed in sorted(ours, key=lambda h: int(h["id"])):
            by_name.setdefault(str(listed.get("name", "")), []).append(listed)

        ids: dict[str, int] = {}
        for topic in self.topics:
            name = webhook_name(self.instance, topic)
            hook: dict[str, Any] | None = self._pick(
                topic, stored.get(topic), by_id, by_name.get(name, [])
            )
            if hook is None and topic in stored and stored[topic] not in by_id:
                # Renamed by an admin? Look it up by id before creating another.
                found = await self.api.get_webhook(stored[topic])
                if found is not None and found.get("topic") == topic:
                    hook = found
            if hook is None:
                created = await self.api.create_webhook(
                    {
                        "name": name,
                        "topic": topic,
                        "delivery_url": self.delivery_url,
                        "secret": webhook_secret(secret, topic),
                        "status": "active",
                    }
                )
                ids[topic] = int(created["id"])
                self.known_ids[topic] = ids[topic]
                report.created[topic] = ids[topic]
                log.info("registered webhook topic=%s id=%s", topic, ids[topic])
                continue
            hook_id = int(hook["id"])
            ids[topic] = hook_id
            self.known_ids[topic] = hook_id
            for extra in by_name.get(name, []):
                if (
                    int(extra["id"]) != hook_id
                    and int(extra["id"]) not in report.removed_duplicates
                ):
                    await self.api.delete_webhook(int(extra["id"]))
                    report.removed_duplicates.append(int(extra["id"]))
                    log.warning("deleted duplicate webhook topic=%s id=%s", topic, extra["id"])
            await self._refresh(topic, hook, report)
        if ids != stored:
            await self.kv.set(KV_IDS, json.dumps(ids, sort_keys=True))
        if self._secret_is_new:
            await self.kv.set(KV_SECRET_SCHEME, SECRET_SCHEME)
        self._secret_is_new = False
        return report

    @staticmethod
    def _pick(
        topic: str,
        stored_id: int | None,
        by_id: Mapping[int, dict[str, Any]],
        named: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        if stored_id is not None:
            hook = by_id.get(stored_id)
            if hook is not None and hook.get("topic") == topic:
                return hook
        for hook in named:
            if hook.get("topic") == topic:
                return hook
        return None

    async def _refresh(
        self, topic: str, hook: Mapping[str, Any], report: RegistrationReport
    ) -> None:
        """Bring a reused webhook in line: URL, secret (if it had to be regenerated), status."""
        hook_id = int(hook["id"])
        changes: dict[str, Any] = {}
        if hook.get("delivery_url") != self.delivery_url:
            changes["delivery_url"] = self.delivery_url
            report.repointed[topic] = hook_id
        if self._secret_is_new:
            # The state that held the old secret is gone; the store keeps it write-only.
            changes["secret"] = webhook_secret(await self.secret(), topic)
        status = hook.get("status")
        if status == "disabled":
            changes["status"] = "active"
            report.reactivated[topic] = hook_id
            log.warning(
                "webhook topic=%s id=%s was disabled by the store after failed deliveries; "
                "re-activating it (deliveries made while it was disabled are lost: "
                "enable reconciliation to recover them)",
                topic,
                hook_id,
            )
        elif status == "paused":
            # Paused is an administrator's decision, unlike disabled; respect it.
            report.paused[topic] = hook_id
            log.warning("webhook topic=%s id=%s is paused on the store; leaving it", topic, hook_id)
        if changes:
            await self.api.update_webhook(hook_id, changes)
        report.reused[topic] = hook_id

    async def cleanup(self) -> list[int]:
        """Delete the instance's webhooks from the store (``force=true``); returns the ids."""
        ids = set((await self.stored_ids()).values())
        for hook in await self.api.list_webhooks(name_prefix(self.instance)):
            if str(hook.get("name", "")).startswith(name_prefix(self.instance)):
                ids.add(int(hook["id"]))
        deleted = []
        for hook_id in sorted(ids):
            if await self.api.delete_webhook(hook_id):
                deleted.append(hook_id)
        await self.kv.set(KV_IDS, "{}")
        log.info("deleted %d webhook(s) from the store", len(deleted))
        return deleted

    async def watch(self, clock: Clock, interval: float = DEFAULT_CHECK_INTERVAL) -> None:
        """Re-run ``ensure()`` every ``interval`` clock seconds until cancelled."""
        while True:
            await clock.sleep(interval)
            try:
                await self.ensure()
            except RegistrationError as exc:
                log.warning("webhook check failed: %s", exc)


class StoreWebhookApi:
    """``WebhookApi`` over the store's REST API, through :class:`StoreClient`."""

    def __init__(self, client: StoreClient) -> None:
        self.client = client

    async def list_webhooks(self, search: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, str | int] = {
                "search": search,
                "per_page": 100,
                "page": page,
                "status": "all",
            }
            batch = await self._guard(self.client.list_page("webhooks", params))
            found.extend(batch.records)
            if not batch.records or page >= (batch.total_pages or 1):
                return found
            page += 1

    async def get_webhook(self, webhook_id: int) -> dict[str, Any] | None:
        try:
            data = await self.client.get(f"webhooks/{webhook_id}")
        except StoreRequestError as exc:
            # WooCommerce answers 400 woocommerce_rest_shop_webhook_invalid_id for an unknown id.
            if exc.status in (400, 404):
                return None
            raise RegistrationError(str(exc)) from None
        except StoreError as exc:
            raise RegistrationError(str(exc)) from None
        return data if isinstance(data, dict) else None

    async def create_webhook(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = await self._guard(self.client.post("webhooks", dict(body)))
        if not isinstance(data, dict) or "id" not in data:
            raise RegistrationError("POST webhooks: no webhook id in the answer")
        return data

    async def update_webhook(self, webhook_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        data = await self._guard(self.client.put(f"webhooks/{webhook_id}", dict(body)))
        return data if isinstance(data, dict) else {}

    async def delete_webhook(self, webhook_id: int) -> bool:
        try:
            await self.client.delete(f"webhooks/{webhook_id}", {"force": "true"})
        except StoreRequestError as exc:
            if exc.status in (400, 404):
                return False
            raise RegistrationError(str(exc)) from None
        except StoreError as exc:
            raise RegistrationError(str(exc)) from None
        return True

    @staticmethod
    async def _guard(call: Awaitable[_T]) -> _T:
        try:
            return await call
        except StoreError as exc:
            # StoreClient's messages name the route and status, never the credentials.
            raise RegistrationError(str(exc)) from None


__all__ = [
    "DEFAULT_CHECK_INTERVAL",
    "KV_IDS",
    "KV_SECRET",
    "KV_SECRET_SCHEME",
    "SECRET_SCHEME",
    "TOPICS",
    "KeyValue",
    "Registrar",
    "RegistrationError",
    "RegistrationReport",
    "StoreWebhookApi",
    "WebhookApi",
    "name_prefix",
    "webhook_name",
    "webhook_secret",
]
