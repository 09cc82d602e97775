"""``/wp-json/wc/v3/webhooks`` and deliveries through the real app, over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from helpers import START, LiveStore
from webhook_helpers import Receiver, expected_signature

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService


def service(store: LiveStore) -> WebhookService:
    return store.sim.webhooks


async def make_hook(store: LiveStore, receiver: Receiver, **body: Any) -> dict[str, Any]:
    body = {"topic": "customer.created", "delivery_url": receiver.url(), **body}
    response = await store.client.post("webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_returns_201_without_the_secret_and_pings(
    store: LiveStore, receiver: Receiver
) -> None:
    response = await store.client.post(
        "webhooks",
        json={
            "topic": "order.updated",
            "delivery_url": receiver.url(),
            "secret": "top-secret",
            "status": "paused",  # not applied on create
        },
    )
    assert response.status_code == 201
    hook = response.json()
    assert response.headers["Location"] == f"{store.api_url}/webhooks/{hook['id']}"
    assert list(hook) == [
        "id", "name", "status", "topic", "resource", "event", "hooks", "delivery_url",
        "date_created", "date_created_gmt", "date_modified", "date_modified_gmt", "_links",
    ]  # fmt: skip
    assert hook["status"] == "active"
    assert hook["name"] == "Webhook created on Mar 10, 2024 @ 06:00 AM"
    assert hook["hooks"] == [
        "woocommerce_update_order",
        "woocommerce_order_refunded",
    ]
    assert (hook["resource"], hook["event"]) == ("order", "updated")
    assert hook["date_created"] == hook["date_created_gmt"] == "2024-03-10T06:00:00"
    assert hook["date_modified"] is None
    assert hook["_links"]["self"] == [
        {
            "href": f"{store.api_url}/webhooks/{hook['id']}",
            "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
        }
    ]
    assert "secret" not in response.text and "top-secret" not in response.text
    # The ping went out before the answer.
    [ping] = receiver.requests
    assert ping.body == f"webhook_id={hook['id']}".encode()
    fetched = (await store.client.get(f"webhooks/{hook['id']}")).json()
    assert fetched["date_modified"] == "2024-03-10T06:00:00"  # the ping's save
    assert "secret" not in fetched


async def test_generated_secret_is_50_characters(store: LiveStore, receiver: Receiver) -> None:
    hook = await make_hook(store, receiver)
    webhook = service(store).get(hook["id"])
    assert webhook is not None and len(webhook.secret) == 50


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"delivery_url": "http://x.test/"},
            "rest_missing_callback_param",
            "Missing parameter(s): topic",
        ),
        (
            {"topic": "order.shipped", "delivery_url": "http://x.test/"},
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
        ),
        (
            {"topic": "action.woocommerce_login_credentials", "delivery_url": "http://x.test/"},
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
        ),
        (
            {"topic": "order.created", "delivery_url": "ftp://x.test/"},
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        ),
        (
            {"topic": "order.created", "delivery_url": "http://"},
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        ),
    ],
)
async def test_create_rejects_bad_input(
    store: LiveStore, body: dict[str, Any], code: str, message: str
) -> None:
    response = await store.client.post("webhooks", json=body)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["message"]) == (code, message)
    assert service(store).all() == []


async def test_anonymous_callers_get_401(store: LiveStore) -> None:
    response = await store.anon.get("webhooks")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"
    created = await store.anon.post(
        "webhooks", json={"topic": "order.created", "delivery_url": "http://x.test/"}
    )
    assert created.status_code == 401
    assert created.json()["code"] == "woocommerce_rest_cannot_create"


async def test_get_update_delete_and_their_errors(store: LiveStore, receiver: Receiver) -> None:
    hook = await make_hook(store, receiver)
    # As a real WooCommerce 10.0.2 store answers: GET 404 "ID is invalid.", an update 400
    # with the same words, DELETE 404 "Invalid ID.".
    unknown = await store.client.get("webhooks/999")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "code": "woocommerce_rest_shop_webhook_invalid_id",
        "message": "ID is invalid.",
        "data": {"status": 404},
    }
    gone = await store.client.delete("webhooks/999", params={"force": "true"})
    assert gone.status_code == 404
    assert gone.json() == {
        "code": "woocommerce_rest_shop_webhook_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    zero = await store.client.get("webhooks/0")
    assert (zero.status_code, zero.json()["message"]) == (404, "Invalid ID.")

    bad_status = await store.client.put(f"webhooks/{hook['id']}", json={"status": "sleeping"})
    assert bad_status.status_code == 400
    # The schema's enum refuses it before the controller (a real WooCommerce 10.0.2 store).
    assert bad_status.json()["code"] == "rest_invalid_param"
    bad_topic = await store.client.put(f"webhooks/{hook['id']}", json={"topic": "nope"})
    assert bad_topic.json()["code"] == "woocommerce_rest_shop_webhook_invalid_topic"
    assert bad_topic.json()["message"] == "Webhook topic must be valid."
    missing = await store.client.put("webhooks/999", json={"name": "x"})
    assert (missing.status_code, missing.json()["message"]) == (400, "ID is invalid.")

    store.clock.advance(3600)
    updated = await store.client.patch(
        f"webhooks/{hook['id']}",
        json={"status": "paused", "name": "Orders to ERP", "topic": "order.created"},
    )
    assert updated.status_code == 200
    body = updated.json()
    assert (body["status"], body["name"], body["topic"]) == (
        "paused",
        "Orders to ERP",
        "order.created",
    )
    assert body["date_modified_gmt"] == "2024-03-10T07:00:00"
    via_post = await store.client.post(f"webhooks/{hook['id']}", json={"status": "active"})
    assert via_post.json()["status"] == "active"

    no_force = await store.client.delete(f"webhooks/{hook['id']}")
    assert no_force.status_code == 501
    assert no_force.json()["code"] == "woocommerce_rest_trash_not_supported"
    assert no_force.json()["message"] == "Webhooks do not support trashing."
    deleted = await store.client.delete(f"webhooks/{hook['id']}", params={"force": "true"})
    assert deleted.status_code == 200 and deleted.json()["id"] == hook["id"]
    gone = await store.client.delete(f"webhooks/{hook['id']}", params={"force": "true"})
    assert (gone.status_code, gone.json()["message"]) == (404, "Invalid ID.")


async def test_changing_the_url_pings_the_new_one(store: LiveStore, receiver: Receiver) -> None:
    hook = await make_hook(store, receiver)
    await store.client.put(f"webhooks/{hook['id']}", json={"delivery_url": receiver.url("/new")})
    [ping] = receiver.on("/new")
    assert ping.body == f"webhook_id={hook['id']}".encode()


async def test_list_filters_sorting_and_paging_headers(
    store: LiveStore, receiver: Receiver
) -> None:
    ids = []
    for name in ("Alpha", "beta", "Gamma"):
        ids.append((await make_hook(store, receiver, name=name))["id"])
        store.clock.advance(60)
    await store.client.put(f"webhooks/{ids[1]}", json={"status": "paused"})

    listed = await store.client.get("webhooks")
    assert [h["id"] for h in listed.json()] == ids[::-1]  # newest first
    assert listed.headers["X-WP-Total"] == "3"
    assert listed.headers["X-WP-TotalPages"] == "1"

    page = await store.client.get("webhooks", params={"per_page": 2, "page": 1})
    assert [h["id"] for h in page.json()] == [ids[2], ids[1]]
    assert page.headers["X-WP-TotalPages"] == "2"
    assert page.headers["Link"] == f'<{store.api_url}/webhooks?per_page=2&page=2>; rel="next"'

    # search_webhooks() reports one page whenever per_page is 1.
    single = await store.client.get("webhooks", params={"per_page": 1})
    assert single.headers["X-WP-TotalPages"] == "1"
    assert single.headers["Link"] == f'<{store.sim.settings.api_root}/>; rel="https://api.w.org/"'

    def names(response: Any) -> list[str]:
        return [h["name"] for h in response.json()]

    assert names(await store.client.get("webhooks", params={"status": "paused"})) == ["beta"]
    assert names(await store.client.get("webhooks", params={"search": "AMM"})) == ["Gamma"]
    by_title = await store.client.get("webhooks", params={"orderby": "title", "order": "asc"})
    assert names(by_title) == ["Alpha", "beta", "Gamma"]
    by_id = await store.client.get(
        "webhooks", params={"orderby": "id", "include": f"{ids[0]},{ids[2]}"}
    )
    assert [h["id"] for h in by_id.json()] == [ids[2], ids[0]]
    after = await store.client.get("webhooks", params={"after": "2024-03-10T06:01:00"})
    assert names(after) == ["Gamma", "beta"]  # BETWEEN is inclusive

    bad = await store.client.get("webhooks", params={"status": "sleeping", "per_page": 101})
    assert bad.status_code == 400
    assert set(bad.json()["data"]["params"]) == {"status", "per_page"}


async def test_batch(store: LiveStore, receiver: Receiver) -> None:
    first = await make_hook(store, receiver)
    response = await store.client.post(
        "webhooks/batch",
        json={
            "create": [
                {"topic": "product.created", "delivery_url": receiver.url()},
                {"topic": "bogus", "delivery_url": receiver.url()},
            ],
            "update": [{"id": first["id"], "name": "Renamed"}, {"id": 999, "name": "x"}],
            "delete": [first["id"]],
        },
    )
    assert response.status_code == 200
    result = response.json()
    assert result["create"][0]["topic"] == "product.created"
    assert result["create"][1]["error"]["code"] == "woocommerce_rest_shop_webhook_invalid_topic"
    assert result["update"][0]["name"] == "Renamed"
    assert result["update"][1] == {
        "id": 999,
        "error": {
            "code": "woocommerce_rest_shop_webhook_invalid_id",
            "message": "ID is invalid.",
            "data": {"status": 400},
        },
    }
    assert result["delete"][0]["id"] == first["id"]
    assert [w.topic for w in service(store).all()] == ["product.created"]


async def test_store_changes_deliver_the_rest_body_signed(
    store: LiveStore, receiver: Receiver
) -> None:
    await make_hook(store, receiver, topic="customer.created", secret="secret")
    await make_hook(store, receiver, topic="customer.updated", secret="secret")
    created = await store.client.post(
        "customers", json={"email": "zoe@example.com", "first_name": "Zoë"}
    )
    customer_id = created.json()["id"]
    [entry] = await service(store).wait_for(1, kind="delivery", topic="customer.created")
    rest_body = (await store.client.get(f"customers/{customer_id}")).content
    assert entry.request_body.encode() == rest_body
    assert "Zo\\u00eb" in entry.request_body
    delivered = receiver.on("/hook")[-1]
    assert delivered.body == rest_body
    assert delivered.headers["X-WC-Webhook-Signature"] == expected_signature("secret", rest_body)
    assert delivered.headers["X-WC-Webhook-Source"] == store.sim.settings.site_url + "/"
    assert json.loads(delivered.body)["_links"]["self"][0]["href"].endswith(
        f"/customers/{customer_id}"
    )


async def test_trash_fires_deleted_with_only_the_id_and_forced_delete_fires_nothing(
    store: LiveStore, receiver: Receiver
) -> None:
    await make_hook(store, receiver, topic="order.deleted")
    order = (await store.client.post("orders", json={"status": "processing"})).json()
    other = (await store.client.post("orders", json={"status": "processing"})).json()
    trashed = await store.client.delete(f"orders/{order['id']}")
    assert trashed.status_code == 200
    [entry] = await service(store).wait_for(1, kind="delivery")
    assert entry.request_body == json.dumps({"id": order["id"]}, separators=(",", ":"))
    forced = await store.client.delete(f"orders/{other['id']}", params={"force": "true"})
    assert forced.status_code == 200
    await store.client.get("orders")  # give a wrongly queued delivery the chance to go out
    assert len(service(store).deliveries(kind="delivery")) == 1


async def test_reset_clears_webhooks_journal_and_faults(
    store: LiveStore, receiver: Receiver
) -> None:
    await make_hook(store, receiver)
    service(store).faults.add(kind="drop")
    response = await store.client.post(store.server.site_url + "/_woosim/reset")
    assert response.status_code in (200, 204)
    svc = service(store)
    assert svc.all() == [] and svc.deliveries() == [] and svc.faults.all() == []


def test_threaded_store_holds_deliveries_until_a_stepping_advance(httpserver: Any) -> None:
    """The plugin's shape: the store on its own thread, the test moving the clock."""
    sim = Simulator(clock=Clock(START, frozen=True))
    server = SimulatorServer(sim)
    server.start_in_thread()
    try:
        sim.webhooks.options.delay = 60
        httpserver.expect_request("/hook").respond_with_data("ok")
        key = sim.keys.default
        with httpx.Client(
            base_url=server.api_url + "/", auth=(key.consumer_key, key.consumer_secret)
        ) as client:
            hook = client.post(
                "webhooks",
                json={"topic": "customer.updated", "delivery_url": httpserver.url_for("/hook")},
            )
            assert hook.status_code == 201
            customer = client.post("customers", json={"email": "c@example.com"}).json()
            for name in ("Ann", "Bob", "Cat"):
                client.put(f"customers/{customer['id']}", json={"first_name": name})
            journal = sim.webhooks.journal
            assert journal.entries(kind="delivery") == []
            sim.clock.advance(60)
            [entry] = journal.wait_for_blocking(1, kind="delivery", timeout=10)
        assert json.loads(entry.request_body)["first_name"] == "Cat"
        bodies = [request.get_data() for request, _ in httpserver.log]
        assert bodies[-1] == entry.request_body.encode()
    finally:
        server.stop_in_thread()
