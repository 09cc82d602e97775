"""The delivery queue and which topics fire, as a real WooCommerce 10.0.2 store does it.

Each test restates one observation of the real store (REST changes, then its
Action Scheduler queue run) against the fake, over real HTTP with a real receiver.
With ``queue_interval = 60`` the queue runs on whole minutes of the store clock, as
WP-Cron runs the real one, and the frozen clock decides when: nothing goes out until
the test moves it.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import START, LiveStore
from webhook_helpers import Receiver, expected_signature

from simulator.generate import generate
from simulator.webhooks import DeliveryRecord, WebhookService

EVENTS = ("created", "updated", "deleted", "restored")
ALL_TOPICS = [f"{r}.{e}" for r in ("order", "customer", "product") for e in EVENTS]


def webhooks(store: LiveStore) -> WebhookService:
    return store.sim.webhooks


async def subscribe(
    store: LiveStore, receiver: Receiver, topics: list[str], *, interval: float = 60
) -> None:
    """One webhook per topic, all to ONE receiver URL (one URL is sent in order)."""
    webhooks(store).options.queue_interval = interval
    for topic in topics:
        response = await store.client.post(
            "webhooks", json={"topic": topic, "delivery_url": receiver.url()}
        )
        assert response.status_code == 201, response.text
    await webhooks(store).wait_for(len(topics), kind="ping")


async def run_queue(store: LiveStore, expect: int) -> list[tuple[str, Any]]:
    """Move the clock to the next queue run; (topic, body) of the deliveries it sent."""
    before = len(webhooks(store).deliveries(kind="delivery"))
    await store.clock.advance_async(60)
    records = await webhooks(store).wait_for(before + expect, kind="delivery")
    return [_sent(r) for r in records[before:]]


def _sent(record: DeliveryRecord) -> tuple[str, Any]:
    return record.topic, json.loads(record.request_body)


def status_of(body: Any) -> Any:
    return body.get("status")


async def new_order(store: LiveStore, **fields: Any) -> int:
    response = await store.client.post("orders", json={"status": "pending", **fields})
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


async def test_nothing_goes_out_before_the_queue_runs(store: LiveStore, receiver: Receiver) -> None:
    await subscribe(store, receiver, ["order.updated"])
    order_id = await new_order(store)
    await store.clock.advance_async(59)  # START is on a whole minute: the run is at +60
    assert webhooks(store).deliveries(kind="delivery") == []
    assert webhooks(store).engine.in_flight == 1
    [(topic, body)] = await run_queue(store, 1)
    assert (topic, body["id"]) == ("order.updated", order_id)


async def test_post_orders_fires_order_created_then_order_updated_with_equal_bodies(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ALL_TOPICS)
    order_id = await new_order(store)
    sent = await run_queue(store, 2)
    assert [(topic, body["id"]) for topic, body in sent] == [
        ("order.created", order_id),
        ("order.updated", order_id),
    ]
    created, updated = webhooks(store).deliveries(kind="delivery")
    assert created.request_body == updated.request_body  # built from the same state
    assert [r.headers["X-WC-Webhook-Topic"] for r in receiver.requests[-2:]] == [
        "order.created",
        "order.updated",
    ]


async def test_quick_updates_coalesce_into_one_delivery_of_the_final_state(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ["order.updated"])
    order_id = await new_order(store)
    await run_queue(store, 1)
    for status in ("processing", "on-hold"):
        await store.client.put(f"orders/{order_id}", json={"status": status})
    [(_, body)] = await run_queue(store, 1)
    assert status_of(body) == "on-hold"
    for status in ("processing", "on-hold", "completed"):
        await store.client.put(f"orders/{order_id}", json={"status": status})
    [(_, body)] = await run_queue(store, 1)
    assert status_of(body) == "completed"
    assert len(webhooks(store).deliveries(kind="delivery")) == 3


async def test_order_created_carries_the_status_of_a_later_update(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ["order.created", "order.updated"])
    order_id = await new_order(store)
    await store.client.put(f"orders/{order_id}", json={"status": "processing"})
    sent = await run_queue(store, 2)
    assert [(topic, status_of(body)) for topic, body in sent] == [
        ("order.created", "processing"),
        ("order.updated", "processing"),
    ]


async def test_update_then_trash_sends_the_trashed_order_then_its_id(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ["order.updated", "order.deleted"])
    order_id = await new_order(store)
    await run_queue(store, 1)
    await store.client.put(f"orders/{order_id}", json={"status": "processing"})
    assert (await store.client.delete(f"orders/{order_id}")).status_code == 200
    sent = await run_queue(store, 2)
    assert sent == [("order.updated", sent[0][1]), ("order.deleted", {"id": order_id})]
    assert status_of(sent[0][1]) == "trash"


async def test_trash_and_restore_before_the_queue_runs_send_both(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ["order.deleted", "order.restored"])
    order_id = await new_order(store, status="processing")
    await store.client.delete(f"orders/{order_id}")
    restored = await store.client.post(
        store.server.site_url + f"/_woosim/orders/{order_id}/restore"
    )
    assert restored.status_code == 200, restored.text
    sent = await run_queue(store, 2)
    assert sent[0] == ("order.deleted", {"id": order_id})
    assert (sent[1][0], status_of(sent[1][1])) == ("order.restored", "processing")


async def test_a_resource_deleted_before_the_queue_runs_sends_the_not_found_error(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ALL_TOPICS)
    order_id = await new_order(store)
    await store.client.delete(f"orders/{order_id}", params={"force": "true"})
    customer = (await store.client.post("customers", json={"email": "gone@example.com"})).json()
    await store.client.put(f"customers/{customer['id']}", json={"first_name": "Flo"})
    await store.client.delete(f"customers/{customer['id']}", params={"force": "true"})
    order_gone = {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    user_gone = {
        "code": "wc_user_invalid_id",
        "message": "Invalid user ID.",
        "data": {"status": 404},
    }
    # A forced order delete fires no order.deleted; a customer delete fires customer.deleted.
    assert await run_queue(store, 5) == [
        ("order.created", order_gone),
        ("order.updated", order_gone),
        ("customer.created", user_gone),
        ("customer.updated", user_gone),
        ("customer.deleted", {"id": customer["id"]}),
    ]


async def test_customers_fire_created_and_updated_products_only_created(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ALL_TOPICS)
    customer = (await store.client.post("customers", json={"email": "ann@example.com"})).json()
    product = (await store.client.post("products", json={"name": "Widget"})).json()
    sent = await run_queue(store, 3)
    assert [(topic, body["id"]) for topic, body in sent] == [
        ("customer.created", customer["id"]),
        ("customer.updated", customer["id"]),
        ("product.created", product["id"]),
    ]
    for name in ("W2", "W3"):
        await store.client.put(f"products/{product['id']}", json={"name": name})
    [(topic, body)] = await run_queue(store, 1)
    assert (topic, body["name"]) == ("product.updated", "W3")
    await store.client.delete(f"products/{product['id']}")
    assert await run_queue(store, 1) == [("product.deleted", {"id": product["id"]})]
    await store.client.post(store.server.site_url + f"/_woosim/products/{product['id']}/restore")
    [(topic, body)] = await run_queue(store, 1)
    assert (topic, body["id"]) == ("product.restored", product["id"])
    await store.client.delete(f"products/{product['id']}", params={"force": "true"})
    await store.clock.advance_async(120)  # a forced delete fires no hook of the topic map
    assert len(webhooks(store).deliveries(kind="delivery")) == 6


async def test_batches_fire_per_item_in_order_and_batch_deletes_are_forced(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ALL_TOPICS)
    created = await store.client.post(
        "orders/batch", json={"create": [{"status": "pending"}, {"status": "processing"}]}
    )
    first, second = (item["id"] for item in created.json()["create"])
    sent = await run_queue(store, 4)
    assert [(topic, body["id"]) for topic, body in sent] == [
        ("order.created", first),
        ("order.updated", first),
        ("order.created", second),
        ("order.updated", second),
    ]
    await store.client.post(
        "orders/batch",
        json={
            "update": [{"id": first, "status": "completed"}, {"id": second, "status": "on-hold"}],
            "delete": [first],
        },
    )
    sent = await run_queue(store, 2)
    assert [topic for topic, _ in sent] == ["order.updated", "order.updated"]
    assert sent[0][1]["code"] == "woocommerce_rest_shop_order_invalid_id"  # deleted for good
    assert (sent[1][1]["id"], status_of(sent[1][1])) == (second, "on-hold")

    customers = await store.client.post(
        "customers/batch",
        json={"create": [{"email": "b1@example.com"}, {"email": "b2@example.com"}]},
    )
    one, two = (item["id"] for item in customers.json()["create"])
    sent = await run_queue(store, 4)
    assert [(topic, body["id"]) for topic, body in sent] == [
        ("customer.created", one),
        ("customer.updated", one),
        ("customer.created", two),
        ("customer.updated", two),
    ]
    await store.client.post(
        "customers/batch",
        json={"update": [{"id": one, "first_name": "Z"}], "delete": [two], "force": True},
    )
    sent = await run_queue(store, 2)
    assert (sent[0][0], sent[0][1]["first_name"]) == ("customer.updated", "Z")
    assert sent[1] == ("customer.deleted", {"id": two})

    products = await store.client.post(
        "products/batch", json={"create": [{"name": "P1"}, {"name": "P2"}]}
    )
    p1, p2 = (item["id"] for item in products.json()["create"])
    sent = await run_queue(store, 2)
    assert [(topic, body["id"]) for topic, body in sent] == [
        ("product.created", p1),
        ("product.created", p2),
    ]
    await store.client.post(
        "products/batch", json={"update": [{"id": p1, "name": "P1b"}], "delete": [p2]}
    )
    [(topic, body)] = await run_queue(store, 1)  # the forced delete fires no product.deleted
    assert (topic, body["name"]) == ("product.updated", "P1b")


async def test_run_queue_sends_now_whatever_the_interval(
    store: LiveStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver, ["order.updated"], interval=3600)
    order_id = await new_order(store)
    webhooks(store).run_queue()
    [entry] = await webhooks(store).wait_for(1, kind="delivery")
    assert entry.resource_id == order_id
    assert store.clock.now() == START


async def test_one_url_gets_its_deliveries_in_order_even_when_the_first_is_slow(
    store: LiveStore, receiver: Receiver
) -> None:
    """The default: the queue runs as soon as a change settles, and a second change while
    the first delivery is still on the wire goes out after it, never beside it."""
    webhooks(store).options.queue_interval = 0
    response = await store.client.post(
        "webhooks", json={"topic": "order.updated", "delivery_url": receiver.url("/slow")}
    )
    assert response.status_code == 201
    receiver.hanging.add("/slow")  # after the ping
    order_id = await new_order(store)
    await receiver.wait(2, "/slow")  # the ping, then the order.updated on the wire, held
    await store.client.put(f"orders/{order_id}", json={"status": "processing"})
    await store.client.put(f"orders/{order_id}", json={"status": "completed"})
    await store.client.get("orders")
    # The queue ran after each change; its deliveries wait for the one on the wire.
    assert webhooks(store).pending == 3
    assert len(receiver.on("/slow")) == 2
    receiver.release()
    await receiver.wait(4, "/slow")
    bodies = [json.loads(r.body) for r in receiver.on("/slow")[1:]]
    assert [status_of(b) for b in bodies] == ["pending", "processing", "completed"]
    journal = webhooks(store).deliveries(kind="delivery")
    assert [status_of(json.loads(r.request_body)) for r in journal] == [
        "pending",
        "processing",
        "completed",
    ]


async def test_topic_hooks_as_the_real_store_lists_them(
    store: LiveStore, receiver: Receiver
) -> None:
    expected = {
        "order.created": ["woocommerce_new_order"],
        "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
        "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
        "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
        "customer.created": [
            "user_register",
            "woocommerce_created_customer",
            "woocommerce_new_customer",
        ],
        "customer.updated": ["profile_update", "woocommerce_update_customer"],
        "customer.deleted": ["delete_user"],
        "customer.restored": [],
        "product.created": [
            "woocommerce_process_product_meta",
            "woocommerce_new_product",
            "woocommerce_new_product_variation",
        ],
        "product.updated": [
            "woocommerce_process_product_meta",
            "woocommerce_update_product",
            "woocommerce_update_product_variation",
        ],
        "product.deleted": ["wp_trash_post"],
        "product.restored": ["untrashed_post"],
        "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
        "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
        "coupon.deleted": ["wp_trash_post"],
        "coupon.restored": ["untrashed_post"],
        "action.woocommerce_payment_complete": ["woocommerce_payment_complete"],
        "action.wc_custom_thing": ["wc_custom_thing"],
    }
    for topic, hooks in expected.items():
        response = await store.client.post(
            "webhooks", json={"topic": topic, "delivery_url": receiver.url()}
        )
        assert response.status_code == 201, topic
        assert response.json()["hooks"] == hooks, topic
    for topic in ("action.foo_bar", "action.woocommerce_login_credentials"):
        refused = await store.client.post(
            "webhooks", json={"topic": topic, "delivery_url": receiver.url()}
        )
        assert refused.status_code == 400
        assert refused.json() == {
            "code": "woocommerce_rest_shop_webhook_invalid_topic",
            "message": "Webhook topic is required and must be valid.",
            "data": {"status": 400},
        }


async def test_action_topics_deliver_the_action_and_the_record_id(
    store: LiveStore, receiver: Receiver
) -> None:
    # A real store: pending -> on-hold -> processing before the queue runs delivers
    # action.woocommerce_order_status_processing once, body {"action": ..., "arg": id};
    # woocommerce_order_status_changed fired twice and coalesces into one delivery.
    topics = [
        "action.woocommerce_order_status_processing",
        "action.woocommerce_order_status_changed",
        "action.woocommerce_order_status_on-hold_to_processing",
        "action.woocommerce_payment_complete",
    ]
    await subscribe(store, receiver, topics)
    order_id = await new_order(store)
    for status in ("on-hold", "processing"):
        await store.client.put(f"orders/{order_id}", json={"status": status})
    sent = await run_queue(store, 3)
    assert sorted(sent, key=lambda s: s[0]) == [
        (f"action.{name}", {"action": name, "arg": order_id})
        for name in (
            "woocommerce_order_status_changed",
            "woocommerce_order_status_on-hold_to_processing",
            "woocommerce_order_status_processing",
        )
    ]
    assert receiver.requests[-1].headers["X-WC-Webhook-Resource"] == "action"
    # set_paid fires woocommerce_payment_complete after the status actions.
    paid = (await store.client.post("orders", json={"set_paid": True})).json()["id"]
    sent = await run_queue(store, 3)
    payment = {"action": "woocommerce_payment_complete", "arg": paid}
    assert ("action.woocommerce_payment_complete", payment) in sent


async def test_action_topics_for_customers_and_products(
    store: LiveStore, receiver: Receiver
) -> None:
    names = (
        "woocommerce_created_customer",
        "woocommerce_new_customer",
        "woocommerce_update_customer",
        "woocommerce_delete_customer",
        "woocommerce_new_product",
        "woocommerce_update_product",
        "woocommerce_trash_product",
        "woocommerce_delete_product",
    )
    await subscribe(store, receiver, [f"action.{n}" for n in names], interval=0)
    customer = (await store.client.post("customers", json={"email": "act@example.com"})).json()
    await store.client.put(f"customers/{customer['id']}", json={"first_name": "A"})
    await store.client.delete(f"customers/{customer['id']}", params={"force": "true"})
    product = (await store.client.post("products", json={"name": "Act"})).json()
    await store.client.put(f"products/{product['id']}", json={"regular_price": "2.00"})
    await store.client.delete(f"products/{product['id']}")
    await store.client.delete(f"products/{product['id']}", params={"force": "true"})
    records = await webhooks(store).wait_for(len(names), kind="delivery")
    bodies = [json.loads(r.request_body) for r in records]
    assert {b["action"]: b["arg"] for b in bodies} == {
        **{n: customer["id"] for n in names[:4]},
        **{n: product["id"] for n in names[4:]},
    }


async def test_paying_for_an_order_takes_stock_and_counts_sales(
    store: LiveStore, receiver: Receiver
) -> None:
    """A real WooCommerce 10.0.2 store, one order of 2 of a product with 10 in stock."""
    await subscribe(store, receiver, ["product.updated"])
    product = await store.client.post(
        "products", json={"name": "Stocked", "manage_stock": True, "stock_quantity": 10}
    )
    product_id = product.json()["id"]
    order_id = await new_order(store, line_items=[{"product_id": product_id, "quantity": 2}])
    steps = [
        # status, stock after, total_sales after, the line's meta after, product.updated?
        ("on-hold", 8, 2, [("_reduced_stock", "2")], True),
        ("processing", 8, 2, [("_reduced_stock", "2")], False),
        ("cancelled", 10, 0, [], True),
        ("processing", 8, 2, [("_reduced_stock", "2")], True),
        ("pending", 10, 2, [], True),
        ("completed", 8, 2, [("_reduced_stock", "2")], True),
        ("refunded", 8, 2, [("_reduced_stock", "2")], False),
    ]
    for status, stock, sales, meta, fires in steps:
        answer = (await store.client.put(f"orders/{order_id}", json={"status": status})).json()
        line = answer["line_items"][0]
        assert [(m["key"], m["value"]) for m in line["meta_data"]] == meta, status
        for m in line["meta_data"]:
            assert (m["display_key"], m["display_value"]) == (m["key"], m["value"])
        got = (await store.client.get(f"products/{product_id}")).json()
        assert (got["stock_quantity"], got["total_sales"]) == (stock, sales), status
        if fires:
            [(topic, body)] = await run_queue(store, 1)
            assert (topic, body["stock_quantity"]) == ("product.updated", stock), status
        else:
            assert webhooks(store).engine.in_flight == 0, status
    assert (await store.client.delete(f"orders/{order_id}")).status_code == 200
    got = (await store.client.get(f"products/{product_id}")).json()
    assert (got["stock_quantity"], got["total_sales"]) == (8, 0)  # trash: sales only
    await store.client.put(f"products/{product_id}", json={"stock_quantity": 1})
    short = await new_order(store, line_items=[{"product_id": product_id, "quantity": 2}])
    await store.client.put(f"orders/{short}", json={"status": "processing"})
    got = (await store.client.get(f"products/{product_id}")).json()
    assert (got["stock_quantity"], got["stock_status"]) == (-1, "outofstock")


async def test_webhook_status_outside_the_enum_is_refused_and_self_links_have_hints(
    store: LiveStore, receiver: Receiver
) -> None:
    body = {"topic": "order.created", "delivery_url": receiver.url(), "status": "sleeping"}
    refused = await store.client.post("webhooks", json=body)
    assert refused.status_code == 400
    message = "status is not one of active, paused, and disabled."
    assert refused.json()["code"] == "rest_invalid_param"
    assert refused.json()["data"]["params"] == {"status": message}
    assert (await store.client.get("webhooks")).json() == []
    made = await store.client.post("webhooks", json={**body, "status": "paused"})
    # create_item never applies the status: the webhook is active (a real store lists it
    # under status=active).
    assert made.json()["status"] == "active"
    assert made.json()["_links"]["self"][0]["targetHints"] == {
        "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]
    }
    listed = await store.client.get("webhooks", params={"status": "active"})
    assert [w["id"] for w in listed.json()] == [made.json()["id"]]


async def test_unknown_webhook_ids(store: LiveStore) -> None:
    missing = {"code": "woocommerce_rest_shop_webhook_invalid_id", "message": "ID is invalid."}
    got = await store.client.get("webhooks/99999")
    assert (got.status_code, got.json()) == (404, {**missing, "data": {"status": 404}})
    put = await store.client.put("webhooks/99999", json={"name": "x"})
    assert (put.status_code, put.json()) == (400, {**missing, "data": {"status": 400}})
    deleted = await store.client.delete("webhooks/99999", params={"force": "true"})
    assert deleted.status_code == 404 and deleted.json()["message"] == "Invalid ID."
    not_forced = await store.client.delete("webhooks/99999")
    assert (not_forced.status_code, not_forced.json()["code"]) == (
        501,
        "woocommerce_rest_trash_not_supported",
    )
    batch = await store.client.post(
        "webhooks/batch", json={"update": [{"id": 99999, "name": "x"}], "delete": [99998]}
    )
    assert batch.json() == {
        "update": [{"id": 99999, "error": {**missing, "data": {"status": 400}}}],
        "delete": [
            {
                "id": 99998,
                "error": {
                    "code": "woocommerce_rest_shop_webhook_invalid_id",
                    "message": "Invalid ID.",
                    "data": {"status": 404},
                },
            }
        ],
    }


async def test_the_queue_over_the_control_plane(store: LiveStore, receiver: Receiver) -> None:
    queue = store.server.site_url + "/_woosim/webhooks/queue"
    assert (await store.client.get(queue)).json() == {"interval": 0.0, "delay": 0.0, "pending": 0}
    await subscribe(store, receiver, ["order.updated"], interval=0)
    set_to = await store.client.post(queue, json={"interval": 60})
    assert set_to.json() == {"interval": 60.0, "delay": 0.0, "pending": 0}
    order_id = await new_order(store)
    assert (await store.client.get(queue)).json()["pending"] == 1
    ran = await store.client.post(queue, json={"run": True})
    assert ran.status_code == 200
    [entry] = await webhooks(store).wait_for(1, kind="delivery")
    assert entry.resource_id == order_id and store.clock.now() == START

    # Back to prompt runs while a run is being waited for: it goes out at once.
    await store.client.put(f"orders/{order_id}", json={"status": "processing"})
    await store.client.post(queue, json={"interval": 0})
    await webhooks(store).wait_for(2, kind="delivery")

    for body, field in (
        ({"interval": -1}, "interval"),
        ({"delay": "soon"}, "delay"),
        ({"run": "yes"}, "run"),
        ({"every": 5}, "every"),
    ):
        bad = await store.client.post(queue, json=body)
        assert bad.status_code == 400, body
        assert field in bad.json()["data"]["params"], body
    assert webhooks(store).options.queue_interval == 0
    await store.client.post(queue, json={"interval": 60, "delay": 5})
    await store.client.post(store.server.site_url + "/_woosim/reset")
    assert (await store.client.get(queue)).json() == {"interval": 0.0, "delay": 0.0, "pending": 0}


async def test_a_send_hanging_on_the_wire_at_a_reset_is_no_longer_pending(
    store: LiveStore, receiver: Receiver
) -> None:
    """After a reset the queue's ``pending`` counts only the emptied store's deliveries: a
    send of the store that was, still waiting out its timeout, must not make it look busy
    (a caller waiting for ``pending`` 0 would wait out that timeout, then go on unsettled)."""
    webhooks(store).options.queue_interval = 0
    response = await store.client.post(
        "webhooks", json={"topic": "order.updated", "delivery_url": receiver.url("/slow")}
    )
    assert response.status_code == 201
    receiver.hanging.add("/slow")  # after the ping
    await new_order(store)
    await receiver.wait(2, "/slow")  # the ping, then the order.updated on the wire, held
    queue = store.server.site_url + "/_woosim/webhooks/queue"
    assert (await store.client.get(queue)).json()["pending"] == 1
    await store.client.post(store.server.site_url + "/_woosim/reset")
    assert (await store.client.get(queue)).json()["pending"] == 0
    receiver.release()


async def test_a_delivery_body_is_the_rest_body_byte_for_byte_and_signed_over_it(
    store: LiveStore, receiver: Receiver
) -> None:
    # Generated orders (non-ASCII names, URLs with slashes, line items): what the
    # receiver gets is exactly the bytes GET /orders/<id> answers, signed over them.
    generate(store.sim.store, 7, customers=5, products=5, orders=12, emit=False)
    webhook = await webhooks(store).create(
        topic="order.updated", delivery_url=receiver.url(), secret="byte-for-byte"
    )
    order_ids = [order.id for order in list(store.sim.store.orders.values())[:3]]
    for order_id in order_ids:
        response = await store.client.put(f"orders/{order_id}", json={"customer_note": "é/ü"})
        assert response.status_code == 200, response.text
    await webhooks(store).wait_for(3, kind="delivery", webhook_id=webhook.id)
    delivered = [r for r in receiver.on("/hook") if r.headers.get("X-WC-Webhook-Topic")]
    assert [json.loads(r.body)["id"] for r in delivered] == order_ids
    for sent in delivered:
        answer = await store.client.get(f"orders/{json.loads(sent.body)['id']}")
        assert sent.body == answer.content
        assert sent.headers["X-WC-Webhook-Signature"] == expected_signature(
            "byte-for-byte", sent.body
        )
    assert b"\\u00e9\\/\\u00fc" in delivered[0].body
