"""Orders over real HTTP: CRUD, batch, list parameters, paging headers, money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from helpers import LiveStore


async def make_product(store: LiveStore, price: str = "10.00", **extra: Any) -> dict[str, Any]:
    response = await store.client.post(
        "products", json={"name": "Mug", "regular_price": price, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_order(store: LiveStore, product_id: int, **extra: Any) -> dict[str, Any]:
    body = {"line_items": [{"product_id": product_id, "quantity": 2}], **extra}
    response = await store.client.post("orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def money_adds_up(order: dict[str, Any]) -> None:
    lines = sum(Decimal(i["total"]) for i in order["line_items"])
    fees = sum(Decimal(f["total"]) for f in order["fee_lines"])
    shipping = Decimal(order["shipping_total"])
    taxes = Decimal(order["total_tax"])
    assert lines + fees + shipping + taxes == Decimal(order["total"])
    assert Decimal(order["cart_tax"]) + Decimal(order["shipping_tax"]) == taxes


async def test_create_get_update_trash_restore_delete(store: LiveStore) -> None:
    product = await make_product(store, "12.50")
    response = await store.client.post(
        "orders",
        json={
            "line_items": [{"product_id": product["id"], "quantity": 3}],
            "shipping_lines": [
                {"method_id": "flat_rate", "method_title": "Flat rate", "total": "5"}
            ],
            "billing": {"first_name": "Zoë", "email": "zoe@example.com"},
            "set_paid": True,
        },
    )
    assert response.status_code == 201
    assert response.headers["Location"] == f"{store.api_url}/orders/{response.json()['id']}"
    order = response.json()
    assert order["status"] == "processing"
    assert order["date_paid"] == "2024-03-10T06:00:00"
    assert order["line_items"][0]["subtotal"] == "37.50"
    assert order["line_items"][0]["price"] == 12.5
    assert order["currency_symbol"] == "$"
    assert order["number"] == str(order["id"])
    money_adds_up(order)
    # PHP-style JSON on the wire
    raw = (await store.client.get(f"orders/{order['id']}")).content
    assert b"\\u00eb" in raw and b"http:\\/\\/" in raw

    store.clock.advance(60)
    updated = await store.client.put(f"orders/{order['id']}", json={"status": "completed"})
    assert updated.status_code == 200
    assert updated.json()["date_completed_gmt"] == "2024-03-10T06:01:00"
    assert updated.json()["date_modified_gmt"] == "2024-03-10T06:01:00"
    patched = await store.client.patch(
        f"orders/{order['id']}", json={"customer_note": "ring twice"}
    )
    assert patched.json()["customer_note"] == "ring twice"

    trashed = await store.client.delete(f"orders/{order['id']}")
    # WooCommerce answers the order as it was before the trash.
    assert trashed.status_code == 200 and trashed.json()["status"] == "completed"
    assert (await store.client.get(f"orders/{order['id']}")).json()["status"] == "trash"
    again = await store.client.delete(f"orders/{order['id']}")
    assert again.status_code == 410
    assert again.json()["code"] == "woocommerce_rest_already_trashed"
    listed = await store.client.get("orders")
    assert listed.json() == []
    listed = await store.client.get("orders", params={"status": "trash"})
    assert [o["id"] for o in listed.json()] == [order["id"]]

    restored = await store.client.post(
        f"{store.server.site_url}/_woosim/orders/{order['id']}/restore"
    )
    assert restored.json()["status"] == "completed"

    gone = await store.client.delete(f"orders/{order['id']}", params={"force": "true"})
    assert gone.status_code == 200 and gone.json()["id"] == order["id"]
    missing = await store.client.get(f"orders/{order['id']}")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    put_missing = await store.client.put(f"orders/{order['id']}", json={"status": "completed"})
    assert put_missing.status_code == 400


async def test_paging_headers_and_single_link(store: LiveStore) -> None:
    product = await make_product(store)
    ids = []
    for _ in range(25):
        ids.append((await make_order(store, product["id"]))["id"])
        store.clock.advance(1)
    page2 = await store.client.get(
        "orders", params={"per_page": 10, "page": 2, "note": "a b", "consumer_key": "x"}
    )
    assert page2.headers["X-WP-Total"] == "25"
    assert page2.headers["X-WP-TotalPages"] == "3"
    assert [o["id"] for o in page2.json()] == list(reversed(ids))[10:20]
    links = page2.headers.get_list("Link")
    assert len(links) == 1
    base = f"{store.api_url}/orders?per_page=10"
    # The orders controller adds the statuses, dp and context it set on the request.
    tail = "note=a+b&consumer_key=x&status%5B0%5D=any&dp=2&context=view"
    assert links[0] == (f'<{base}&page=1&{tail}>; rel="prev", <{base}&page=3&{tail}>; rel="next"')
    past = await store.client.get("orders", params={"page": 9})
    assert past.status_code == 200 and past.json() == []
    # Custom order tables count nothing for a page past the end.
    assert past.headers["X-WP-Total"] == "0"
    first = await store.client.get("orders")
    assert 'rel="prev"' not in first.headers["Link"]
    offset = await store.client.get(
        "orders", params={"offset": 3, "per_page": 2, "order": "asc", "orderby": "id"}
    )
    assert [o["id"] for o in offset.json()] == ids[3:5]


async def test_list_filters(store: LiveStore) -> None:
    mug = await make_product(store)
    hat = await make_product(store, "3.00", name="Hat")
    customer = (await store.client.post("customers", json={"email": "c@example.com"})).json()
    one = await make_order(store, mug["id"], customer_id=customer["id"])
    two = await make_order(store, hat["id"], status="on-hold")
    three = await make_order(store, hat["id"], status="completed", parent_id=one["id"])

    async def ids(**params: Any) -> list[int]:
        response = await store.client.get("orders", params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()]

    assert await ids(customer=customer["id"]) == [one["id"]]
    assert await ids(product=hat["id"]) == [three["id"], two["id"]]
    assert await ids(status="on-hold,completed") == [three["id"], two["id"]]
    assert await ids(**{"status[]": "pending"}) == [one["id"]]
    assert await ids(include=f"{one['id']},{three['id']}", orderby="include", order="asc") == [
        one["id"],
        three["id"],
    ]
    assert await ids(exclude=str(two["id"])) == [three["id"], one["id"]]
    assert await ids(parent=str(one["id"])) == [three["id"]]
    assert await ids(search="Hat") == [three["id"], two["id"]]
    # PHP: a repeated key keeps the last value
    response = await store.client.get(f"orders?include={one['id']}&include={two['id']}")
    assert [o["id"] for o in response.json()] == [two["id"]]
    dp = await store.client.get(f"orders/{one['id']}", params={"dp": 3})
    assert dp.json()["total"].count(".") == 1 and len(dp.json()["total"].split(".")[1]) == 3
    fields = await store.client.get("orders", params={"_fields": "id,billing.email"})
    # In a list the links are data: _fields filters them out like any field.
    assert fields.json()[0] == {"id": three["id"], "billing": {"email": ""}}
    pretty = await store.client.get(f"orders/{one['id']}", params={"_pretty": "1"})
    assert pretty.text.startswith('{\n    "id"')


async def test_batch_create_update_delete_and_limit(store: LiveStore) -> None:
    product = await make_product(store)
    existing = await make_order(store, product["id"])
    response = await store.client.post(
        "orders/batch",
        json={
            "create": [{"line_items": [{"product_id": product["id"]}]}, {"status": "bogus"}],
            "update": [{"id": existing["id"], "status": "on-hold"}, {"id": 999999}],
            "delete": [existing["id"]],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["create"][0]["status"] == "pending"
    assert body["create"][1]["error"]["code"] == "rest_invalid_param"
    assert body["update"][0]["status"] == "on-hold"
    assert body["update"][1]["error"]["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert body["delete"][0]["id"] == existing["id"]
    assert (await store.client.get(f"orders/{existing['id']}")).status_code == 404
    too_many = await store.client.post("orders/batch", json={"create": [{}] * 101})
    assert too_many.status_code == 413
    assert too_many.json()["code"] == "woocommerce_rest_request_entity_too_large"


async def test_bad_input_is_400_and_changes_nothing(store: LiveStore) -> None:
    product = await make_product(store)
    before = (await store.client.get("orders")).headers["X-WP-Total"]
    # An unknown product_id is no error (a line item without a product, as WooCommerce
    # 10.0.2 answers): see test_rest_recorded_edges.
    bad = await store.client.post(
        "orders", json={"line_items": [{"product_id": product["id"], "total": "lots"}]}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"
    bad = await store.client.post("orders", json={"customer_id": 4242})
    assert bad.json()["code"] == "woocommerce_rest_invalid_customer_id"
    bad = await store.client.post(
        "orders", content=b'{"status": ', headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_json"
    assert (await store.client.get("orders")).headers["X-WP-Total"] == before
    for params, name in (
        ({"per_page": "101"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"order": "up"}, "order"),
        ({"orderby": "price"}, "orderby"),
        ({"status": "shipped"}, "status"),
        ({"after": "2024-01-01"}, "after"),
        ({"customer": "me"}, "customer"),
        ({"dates_are_gmt": "maybe"}, "dates_are_gmt"),
    ):
        response = await store.client.get("orders", params=params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["code"] == "rest_invalid_param"
        assert list(body["data"]["params"]) == [name]
        assert name in body["data"]["details"]
    enum = await store.client.get("orders", params={"order": "up"})
    assert enum.json()["data"]["params"]["order"] == "order is not one of asc and desc."
    date = await store.client.get("orders", params={"after": "2024-01-01"})
    assert date.json()["data"]["details"]["after"]["code"] == "rest_invalid_date"


async def test_not_a_route(store: LiveStore) -> None:
    for method, path in (("GET", "orders/abc"), ("GET", "nothing"), ("DELETE", "orders")):
        response = await store.client.request(method, path)
        assert response.status_code == 404
        assert response.json()["code"] == "rest_no_route"


async def test_anonymous_is_401_after_validation(store: LiveStore) -> None:
    bad = await store.anon.get("orders", params={"per_page": 0})
    assert bad.status_code == 400
    anon = await store.anon.get("orders")
    assert anon.status_code == 401
    assert anon.json()["code"] == "woocommerce_rest_cannot_view"
    assert (await store.anon.get("orders/12345")).json()[
        "message"
    ] == "Sorry, you cannot view this resource."
    assert (await store.anon.post("orders", json={})).json()[
        "code"
    ] == "woocommerce_rest_cannot_create"
    assert "Cache-Control" not in anon.headers
    assert anon.headers["Link"] == f'<{store.server.site_url}/wp-json/>; rel="https://api.w.org/"'


async def test_read_only_and_write_only_keys(store: LiveStore) -> None:
    read_key, write_key = store.sim.keys.all()[1:3]
    async with httpx.AsyncClient(
        base_url=store.api_url + "/", auth=(read_key.consumer_key, read_key.consumer_secret)
    ) as reader:
        assert (await reader.get("orders")).status_code == 200
        denied = await reader.post("orders", json={})
        assert denied.status_code == 401
        assert denied.json()["message"] == "The API key provided does not have write permissions."
    async with httpx.AsyncClient(
        base_url=store.api_url + "/", auth=(write_key.consumer_key, write_key.consumer_secret)
    ) as writer:
        assert (await writer.get("orders")).json()["message"] == (
            "The API key provided does not have read permissions."
        )
        assert (await writer.post("orders", json={})).status_code == 201
