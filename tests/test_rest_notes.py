"""``orders/{id}/notes`` over real HTTP, and the notes the store writes itself, as a real
WooCommerce 10.0.2 store answers and writes them (the parity area ``notes`` holds the
recordings)."""

from __future__ import annotations

from typing import Any

from helpers import LiveStore, StoreFactory


async def post(store: LiveStore, route: str, body: dict[str, Any]) -> Any:
    response = await store.client.post(route, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def stocked_order(store: LiveStore, **extra: Any) -> dict[str, Any]:
    """An order of 3 x Widget (SKU w-1, stock-managed, made on first use)."""
    found = (await store.client.get("products", params={"sku": "w-1"})).json()
    product = (
        found[0]
        if found
        else await post(
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
    )
    return await post(
        store, "orders", {"line_items": [{"product_id": product["id"], "quantity": 3}], **extra}
    )


async def texts(store: LiveStore, order_id: int, **params: str) -> list[str]:
    response = await store.client.get(f"orders/{order_id}/notes", params=params)
    assert response.status_code == 200, response.text
    return [note["note"] for note in response.json()]


async def test_status_changes_and_stock_moves_write_notes(make_store: StoreFactory) -> None:
    store = await make_store()
    pending = await stocked_order(store)
    assert await texts(store, pending["id"]) == []
    paid = await stocked_order(store, set_paid=True)
    # One second: the query sorts on the date only, so the notes come in id order.
    assert await texts(store, paid["id"]) == [
        "Stock levels reduced: Widget (w-1) 20&rarr;17",
        "Order status changed from Pending payment to Processing.",
    ]
    store.clock.advance(5)
    response = await store.client.put(f"orders/{paid['id']}", json={"status": "cancelled"})
    assert response.status_code == 200, response.text
    # Newest second first.
    assert await texts(store, paid["id"]) == [
        "Stock levels increased: Widget (w-1) 17&rarr;20",
        "Order status changed from Processing to Cancelled.",
        "Stock levels reduced: Widget (w-1) 20&rarr;17",
        "Order status changed from Pending payment to Processing.",
    ]
    held = await stocked_order(store, status="on-hold")
    assert "Order status changed from Pending payment to On hold." in await texts(store, held["id"])


async def test_notes_crud(make_store: StoreFactory) -> None:
    store = await make_store()
    order = await stocked_order(store)
    route = f"orders/{order['id']}/notes"
    response = await store.client.post(
        route, json={"note": "Shipped <b>today</b>", "customer_note": True}
    )
    assert response.status_code == 201, response.text
    customer = response.json()
    assert list(customer) == [
        "id", "author", "date_created", "date_created_gmt", "note", "customer_note", "_links"
    ]  # fmt: skip
    assert (customer["author"], customer["note"], customer["customer_note"]) == (
        "WooCommerce",
        "Shipped <b>today</b>",
        True,
    )
    assert response.headers["Location"] == f"{store.api_url}/{route}/{customer['id']}"
    internal = await post(store, route, {"note": "Checked", "added_by_user": True})
    assert internal["author"] == "admin"
    assert await texts(store, order["id"], type="customer") == ["Shipped <b>today</b>"]
    assert await texts(store, order["id"], type="internal") == ["Checked"]
    bad = await store.client.get(route, params={"type": "Customer"})
    assert (bad.status_code, bad.json()["code"]) == (400, "rest_invalid_param")
    missing = await store.client.post(route, json={"customer_note": True})
    assert (missing.status_code, missing.json()["code"]) == (400, "rest_missing_callback_param")
    one = f"{route}/{internal['id']}"
    assert (await store.client.get(one)).json()["note"] == "Checked"
    no_force = await store.client.delete(one)
    assert (no_force.status_code, no_force.json()["message"]) == (
        501,
        "Webhooks do not support trashing.",
    )
    assert (await store.client.delete(one, params={"force": "true"})).status_code == 200
    gone = await store.client.get(one)
    assert (gone.status_code, gone.json()["code"]) == (404, "woocommerce_rest_invalid_id")
    unknown = await store.client.get("orders/999999/notes")
    assert (unknown.status_code, unknown.json()["code"]) == (
        404,
        "woocommerce_rest_shop_order_invalid_id",
    )
    assert (await store.anon.get(route)).status_code == 401
    # A forced delete of the order takes its notes.
    await store.client.delete(f"orders/{order['id']}", params={"force": "true"})
    assert len(store.sim.store.notes) == 0


async def test_adding_a_note_fires_no_webhook(make_store: StoreFactory) -> None:
    store = await make_store()
    order = await stocked_order(store)
    events: list[Any] = []
    store.sim.bus.subscribe(events.append)
    await post(store, f"orders/{order['id']}/notes", {"note": "Packed"})
    assert events == []


async def test_a_manual_status_update_is_the_users_note(make_store: StoreFactory) -> None:
    store = await make_store()
    order = await stocked_order(store)
    store.clock.advance(1)
    response = await store.client.put(
        f"orders/{order['id']}", json={"status": "on-hold", "manual_update": True}
    )
    assert response.status_code == 200, response.text
    notes = (await store.client.get(f"orders/{order['id']}/notes")).json()
    assert [(n["author"], n["note"]) for n in notes][-1] == (
        "admin",
        "Order status changed from Pending payment to On hold.",
    )
    store.clock.advance(1)
    await store.client.put(f"orders/{order['id']}", json={"status": "processing"})
    latest = (await store.client.get(f"orders/{order['id']}/notes")).json()[0]
    assert (latest["author"], latest["note"]) == (
        "WooCommerce",
        "Order status changed from On hold to Processing.",
    )
