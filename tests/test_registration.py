"""Registration logic of the relay's webhooks against an in-memory webhook table.

(The same flows run against the real simulator over HTTP in tests/test_relay_e2e.py.)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pytest_woosim.relay.registration import (
    KV_SECRET,
    KV_SECRET_SCHEME,
    SECRET_SCHEME,
    TOPICS,
    Registrar,
    name_prefix,
    webhook_name,
    webhook_secret,
)
from simulator.clock import Clock

URL = "http://127.0.0.1:9/events/woocommercerest/shop"


class MemoryKV:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value


class MemoryWebhooks:
    """A webhook table with WooCommerce's visible behaviour (secret write-only)."""

    def __init__(self) -> None:
        self.hooks: dict[int, dict[str, Any]] = {}
        self.secrets: dict[int, str] = {}
        self.ids = itertools.count(1)
        self.calls: list[str] = []

    async def list_webhooks(self, search: str) -> list[dict[str, Any]]:
        self.calls.append("list")
        return [dict(h) for h in self.hooks.values() if search in h["name"]]

    async def get_webhook(self, webhook_id: int) -> dict[str, Any] | None:
        self.calls.append("get")
        hook = self.hooks.get(webhook_id)
        return dict(hook) if hook else None

    async def create_webhook(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append("create")
        hook_id = next(self.ids)
        self.secrets[hook_id] = body["secret"]
        self.hooks[hook_id] = {
            "id": hook_id,
            "name": body["name"],
            "topic": body["topic"],
            "delivery_url": body["delivery_url"],
            "status": "active",
        }
        return dict(self.hooks[hook_id])

    async def update_webhook(self, webhook_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append("update")
        if "secret" in body:
            self.secrets[webhook_id] = body["secret"]
        self.hooks[webhook_id].update({k: v for k, v in body.items() if k != "secret"})
        return dict(self.hooks[webhook_id])

    async def delete_webhook(self, webhook_id: int) -> bool:
        self.calls.append("delete")
        self.secrets.pop(webhook_id, None)
        return self.hooks.pop(webhook_id, None) is not None


async def test_first_start_registers_every_topic_with_its_own_derived_secret() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    report = await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    assert sorted(report.created) == sorted(TOPICS)
    assert len(TOPICS) == 12
    assert {h["topic"] for h in api.hooks.values()} == set(TOPICS)
    assert {h["delivery_url"] for h in api.hooks.values()} == {URL}
    secret = kv.data[KV_SECRET]
    assert len(secret) >= 32
    # One secret per webhook, derived from the instance's: a signature names its topic.
    assert {api.hooks[i]["topic"]: v for i, v in api.secrets.items()} == {
        topic: webhook_secret(secret, topic) for topic in TOPICS
    }
    assert len(set(api.secrets.values())) == len(TOPICS)
    assert all(h["name"] == webhook_name("shop", h["topic"]) for h in api.hooks.values())


async def test_restart_reuses_webhooks_without_duplicates() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    before = dict(api.hooks)
    api.calls.clear()
    report = await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    assert report.created == {}
    assert sorted(report.reused) == sorted(TOPICS)
    assert api.hooks == before
    assert "create" not in api.calls and "update" not in api.calls


async def test_lost_state_reuses_by_name_and_resets_secret() -> None:
    api = MemoryWebhooks()
    await Registrar(api, MemoryKV(), instance="shop", delivery_url=URL).ensure()
    fresh_kv = MemoryKV()
    report = await Registrar(api, fresh_kv, instance="shop", delivery_url=URL).ensure()
    assert report.created == {}
    assert len(api.hooks) == 12
    # The old secret is unknown (write-only on the store): the new one is pushed.
    fresh = fresh_kv.data[KV_SECRET]
    assert {api.hooks[i]["topic"]: v for i, v in api.secrets.items()} == {
        topic: webhook_secret(fresh, topic) for topic in TOPICS
    }


async def test_webhooks_of_a_single_secret_state_get_their_derived_secrets() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    # A state file written before per-webhook secrets: one secret everywhere, no scheme.
    for hook_id in api.secrets:
        api.secrets[hook_id] = kv.data[KV_SECRET]
    del kv.data[KV_SECRET_SCHEME]
    await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    assert len(set(api.secrets.values())) == len(TOPICS)
    assert kv.data[KV_SECRET_SCHEME] == SECRET_SCHEME


async def test_disabled_webhook_is_reactivated_and_moved_url_repointed() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    ids = (await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()).ids
    api.hooks[ids["order.updated"]]["status"] = "disabled"
    api.hooks[ids["customer.created"]]["status"] = "paused"
    moved = "http://relay.example:8080/events/woocommercerest/shop"
    report = await Registrar(api, kv, instance="shop", delivery_url=moved).ensure()
    assert report.reactivated == {"order.updated": ids["order.updated"]}
    assert report.paused == {"customer.created": ids["customer.created"]}
    assert api.hooks[ids["order.updated"]]["status"] == "active"
    assert api.hooks[ids["customer.created"]]["status"] == "paused"
    assert {h["delivery_url"] for h in api.hooks.values()} == {moved}


async def test_deleted_webhook_is_recreated_and_duplicates_removed() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    ids = (await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()).ids
    await api.delete_webhook(ids["order.created"])
    duplicate = await api.create_webhook(
        {
            "name": webhook_name("shop", "order.deleted"),
            "topic": "order.deleted",
            "delivery_url": URL,
            "secret": "x",
        }
    )
    report = await Registrar(api, kv, instance="shop", delivery_url=URL).ensure()
    assert list(report.created) == ["order.created"]
    assert report.removed_duplicates == [duplicate["id"]]
    assert sorted(h["topic"] for h in api.hooks.values()) == sorted(TOPICS)


async def test_other_instances_and_foreign_webhooks_are_left_alone() -> None:
    api, kv = MemoryWebhooks(), MemoryKV()
    foreign = await api.create_webhook(
        {"name": "my own", "topic": "order.updated", "delivery_url": "http://x/", "secret": "s"}
    )
    await Registrar(api, MemoryKV(), instance="other", delivery_url=URL).ensure()
    registrar = Registrar(api, kv, instance="shop", delivery_url=URL)
    await registrar.ensure()
    assert len(api.hooks) == 25
    deleted = await registrar.cleanup()
    assert len(deleted) == 12
    assert foreign["id"] in api.hooks
    assert all(not h["name"].startswith(name_prefix("shop")) for h in api.hooks.values())
    assert len(api.hooks) == 13


async def test_watch_reactivates_on_the_clock() -> None:
    import asyncio

    clock = Clock(datetime(2024, 1, 1, tzinfo=UTC), frozen=True)
    api, kv = MemoryWebhooks(), MemoryKV()
    registrar = Registrar(api, kv, instance="shop", delivery_url=URL)
    ids = (await registrar.ensure()).ids
    api.hooks[ids["product.updated"]]["status"] = "disabled"
    task = asyncio.create_task(registrar.watch(clock, interval=60))
    await asyncio.sleep(0)
    await clock.advance_async(59)
    assert api.hooks[ids["product.updated"]]["status"] == "disabled"
    await clock.advance_async(1)
    assert api.hooks[ids["product.updated"]]["status"] == "active"
    task.cancel()
