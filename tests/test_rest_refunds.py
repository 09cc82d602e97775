"""``orders/{id}/refunds`` and ``refunds`` over real HTTP, as a real WooCommerce 10.0.2
store answers them (the parity area ``refunds`` holds the recordings)."""

from __future__ import annotations

from typing import Any

from helpers import LiveStore, StoreFactory

from simulator.events import StoreEvent


async def post(store: LiveStore, route: str, body: dict[str, Any], status: int = 201) -> Any:
    response = await store.client.post(route, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def paid_order(store: LiveStore) -> dict[str, Any]:
    """3 x 10.00 of a stock-managed product (stock 20) + 5.00 shipping, paid: 35.00."""
    product = await post(
        store,
        "products",
        {
            "name": "Widget",
            "sku": "w-1",
            "regular_price": "10.00",
            "manage_stock": True,
            "stock_quantity": 20,
        },
    )
    return await post(
        store,
        "orders",
        {
            "payment_method": "bacs",
            "set_paid": True,
            "line_items": [{"product_id": product["id"], "quantity": 3}],
            "shipping_lines": [{"method_id": "flat_rate", "total": "5.00"}],
        },
    )


def record_events(store: LiveStore) -> list[StoreEvent]:
    events: list[StoreEvent] = []
    store.sim.bus.subscribe(events.append)
    return events


async def notes(store: LiveStore, order_id: int) -> list[str]:
    response = await store.client.get(f"orders/{order_id}/notes")
    assert response.status_code == 200, response.text
    return [note["note"] for note in response.json()]


async def test_a_partial_refund_restocks_notes_and_keeps_the_status(
    make_store: StoreFactory,
) -> None:
    store = await make_store()
    order = await paid_order(store)
    line = order["line_items"][0]
    events = record_events(store)
    refund = await post(
        store,
        f"orders/{order['id']}/refunds",
        {
            "amount": "10.00",
            "reason": "Broken",
            "api_refund": False,
            "line_items": [{"id": line["id"], "quantity": 1, "refund_total": 10}],
        },
    )
    assert list(refund) == [
        "id", "date_created", "date_created_gmt", "amount", "reason", "refunded_by",
        "refunded_payment", "meta_data", "line_items", "shipping_lines", "tax_lines",
        "fee_lines", "_links",
    ]  # fmt: skip
    assert (refund["amount"], refund["reason"], refund["refunded_payment"]) == (
        "10.00",
        "Broken",
        False,
    )
    refunded_line = refund["line_items"][0]
    assert (refunded_line["quantity"], refunded_line["total"], refunded_line["price"]) == (
        -1,
        "-10.00",
        10,
    )
    assert [(m["key"], m["value"]) for m in refunded_line["meta_data"]] == [
        ("_refunded_item_id", str(line["id"]))
    ]
    got = (await store.client.get(f"orders/{order['id']}")).json()
    assert got["status"] == "processing"
    assert got["refunds"] == [{"id": refund["id"], "reason": "Broken", "total": "-10.00"}]
    meta = {m["key"]: m["value"] for m in got["line_items"][0]["meta_data"]}
    assert meta == {"_reduced_stock": "2", "_restock_refunded_items": "1"}
    product = (await store.client.get(f"products/{line['product_id']}")).json()
    assert product["stock_quantity"] == 18
    assert f"Item #{line['product_id']} stock increased from 17 to 18." in await notes(
        store, order["id"]
    )
    fired = {(e.resource, e.event, e.resource_id) for e in events if e.resource != "action"}
    assert fired == {("order", "updated", order["id"]), ("product", "updated", line["product_id"])}
    hooks = {e.hook for e in events if e.resource == "action"}
    assert {"woocommerce_order_partially_refunded", "woocommerce_refund_created"} <= hooks
    assert "woocommerce_order_fully_refunded" not in hooks


async def test_refunding_the_rest_sets_refunded_and_writes_the_status_note(
    make_store: StoreFactory,
) -> None:
    store = await make_store()
    order = await paid_order(store)
    await post(store, f"orders/{order['id']}/refunds", {"amount": "5.00", "api_refund": False})
    await post(store, f"orders/{order['id']}/refunds", {"amount": "30.00", "api_refund": False})
    got = (await store.client.get(f"orders/{order['id']}")).json()
    assert got["status"] == "refunded"
    assert [r["total"] for r in got["refunds"]] == ["-30.00", "-5.00"]
    assert "Order status changed from Processing to Refunded." in await notes(store, order["id"])
    too_much = await store.client.post(
        f"orders/{order['id']}/refunds", json={"amount": "0.01", "api_refund": False}
    )
    assert too_much.status_code == 500
    assert too_much.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "Invalid refund amount.",
        "data": 500,
    }


async def test_a_gateway_refund_fails_without_a_refunding_gateway(
    make_store: StoreFactory,
) -> None:
    store = await make_store()
    order = await paid_order(store)
    failed = await store.client.post(f"orders/{order['id']}/refunds", json={"amount": "1.00"})
    assert failed.status_code == 500
    assert failed.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "The payment gateway for this order does not support automatic refunds.",
        "data": 500,
    }
    assert (await store.client.get(f"orders/{order['id']}/refunds")).json() == []
    negative = await store.client.post(
        f"orders/{order['id']}/refunds", json={"amount": "-5", "api_refund": False}
    )
    assert (negative.status_code, negative.json()["data"]) == (500, 400)
    unknown = await store.client.post("orders/999999/refunds", json={"amount": "1"})
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["data"]) == (
        500,
        "woocommerce_rest_invalid_order_id",
        404,
    )


async def test_amount_from_lines_and_the_location_keeps_the_route_pattern(
    make_store: StoreFactory,
) -> None:
    store = await make_store()
    order = await paid_order(store)
    shipping = order["shipping_lines"][0]
    response = await store.client.post(
        f"orders/{order['id']}/refunds",
        json={"api_refund": False, "line_items": [{"id": shipping["id"], "refund_total": "5"}]},
    )
    assert response.status_code == 201, response.text
    refund = response.json()
    assert refund["amount"] == "5.00"
    assert refund["shipping_lines"][0]["total"] == "-5.00"
    assert response.headers["Location"] == (
        f"{store.api_url}/orders/(?P<order_id>[\\d]+)/refunds/{refund['id']}"
    )


async def test_delete_needs_no_force_and_lists_follow(make_store: StoreFactory) -> None:
    store = await make_store()
    order = await paid_order(store)
    first = await post(store, f"orders/{order['id']}/refunds", {"amount": "1", "api_refund": False})
    store.clock.advance(1)
    second = await post(
        store, f"orders/{order['id']}/refunds", {"amount": "2", "api_refund": False}
    )
    listed = await store.client.get(f"orders/{order['id']}/refunds")
    assert [r["id"] for r in listed.json()] == [second["id"], first["id"]]
    assert listed.headers["X-WP-Total"] == "2"
    top = (await store.client.get("refunds", params={"order": "asc"})).json()
    assert [(r["id"], r["parent_id"]) for r in top] == [
        (first["id"], order["id"]),
        (second["id"], order["id"]),
    ]
    assert list(top[0])[:2] == ["id", "parent_id"]
    trash = await store.client.delete(
        f"orders/{order['id']}/refunds/{first['id']}", params={"force": "false"}
    )
    assert (trash.status_code, trash.json()["code"]) == (
        501,
        "woocommerce_rest_trash_not_supported",
    )
    deleted = await store.client.delete(f"orders/{order['id']}/refunds/{first['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == first["id"]
    again = await store.client.delete(f"orders/{order['id']}/refunds/{first['id']}")
    assert (again.status_code, again.json()["code"]) == (
        404,
        "woocommerce_rest_shop_order_refund_invalid_id",
    )
    got = (await store.client.get(f"orders/{order['id']}")).json()
    assert [r["id"] for r in got["refunds"]] == [second["id"]]
    assert (
        await store.client.delete(f"orders/{order['id']}", params={"force": "true"})
    ).status_code == 200
    assert (await store.client.get("refunds")).json() == []


async def test_a_status_change_to_refunded_refunds_what_is_left(make_store: StoreFactory) -> None:
    store = await make_store()
    order = await paid_order(store)
    await post(store, f"orders/{order['id']}/refunds", {"amount": "5.00", "api_refund": False})
    store.clock.advance(1)  # its notes come first: newest second first
    updated = await store.client.put(f"orders/{order['id']}", json={"status": "refunded"})
    assert updated.status_code == 200, updated.text
    refunds = updated.json()["refunds"]
    assert [(r["reason"], r["total"]) for r in refunds] == [
        ("Order fully refunded.", "-30.00"),
        ("", "-5.00"),
    ]
    written = await notes(store, order["id"])
    assert written[:2] == [
        "Order status set to refunded. To return funds to the customer you will need to issue "
        "a refund through your payment gateway.",
        "Order status changed from Processing to Refunded.",
    ]
