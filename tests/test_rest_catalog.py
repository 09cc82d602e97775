"""Categories, tags and variations over real HTTP, as a real WooCommerce 10.0.2 store answers."""

from __future__ import annotations

from typing import Any

from helpers import LiveStore

from simulator.events import StoreEvent


async def _post(store: LiveStore, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await store.client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_category_tree_counts_and_the_product_filter(store: LiveStore) -> None:
    clothing = await _post(store, "products/categories", {"name": "Clothing"})
    shirts = await _post(
        store,
        "products/categories",
        {"name": "Shirts", "parent": clothing["id"], "display": "products", "menu_order": "3"},
    )
    assert list(shirts) == [
        "id", "name", "slug", "parent", "description", "display", "image", "menu_order",
        "count", "_links",
    ]  # fmt: skip
    assert (shirts["parent"], shirts["display"], shirts["menu_order"]) == (
        clothing["id"],
        "products",
        3,
    )
    assert shirts["_links"]["up"] == [
        {"href": f"{store.api_url}/products/categories/{clothing['id']}"}
    ]
    red = await _post(store, "products/tags", {"name": "Red"})
    shirt = await _post(
        store,
        "products",
        {
            "name": "Shirt",
            "regular_price": "20.00",
            "categories": [{"id": shirts["id"]}, {"id": 999999}],
            "tags": [{"id": red["id"]}, {"name": "Sale"}],
        },
    )
    assert [c["name"] for c in shirt["categories"]] == ["Shirts"]
    assert [t["name"] for t in shirt["tags"]] == ["Red", "Sale"]  # "Sale" was made by name
    plain = await _post(store, "products", {"name": "Plain", "regular_price": "5.00"})
    assert [c["slug"] for c in plain["categories"]] == ["uncategorized"]

    # A parent category lists its children's products too.
    by_parent = await store.client.get("products", params={"category": str(clothing["id"])})
    assert [p["id"] for p in by_parent.json()] == [shirt["id"]]
    by_tag = await store.client.get("products", params={"tag": str(red["id"])})
    assert [p["id"] for p in by_tag.json()] == [shirt["id"]]

    # The list counts a category's descendants' products; one term counts its own.
    listed = await store.client.get("products/categories", params={"orderby": "id"})
    assert {c["name"]: c["count"] for c in listed.json()} == {
        "Uncategorized": 1,
        "Clothing": 1,
        "Shirts": 1,
    }
    one = await store.client.get(f"products/categories/{clothing['id']}")
    assert one.json()["count"] == 0

    duplicate = await store.client.post(
        "products/categories", json={"name": "shirts", "parent": clothing["id"]}
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "term_exists"
    assert duplicate.json()["data"]["resource_id"] == shirts["id"]
    not_trashed = await store.client.delete(f"products/categories/{shirts['id']}")
    assert not_trashed.status_code == 501
    assert not_trashed.json()["code"] == "woocommerce_rest_trash_not_supported"

    # Deleting the parent moves its child up; the product keeps its category.
    gone = await store.client.delete(
        f"products/categories/{clothing['id']}", params={"force": "true"}
    )
    assert gone.status_code == 200 and "allow" not in gone.headers
    moved = (await store.client.get(f"products/categories/{shirts['id']}")).json()
    assert moved["parent"] == 0
    default = await store.client.delete("products/categories/15", params={"force": "true"})
    assert (default.status_code, default.json()["code"]) == (500, "woocommerce_rest_cannot_delete")


async def test_term_batches_run_every_item(store: LiveStore) -> None:
    result = await store.client.post(
        "products/tags/batch", json={"create": [{"name": "A"}, {"name": ""}], "update": "x"}
    )
    assert result.status_code == 200
    created, refused = result.json()["create"]
    assert created["name"] == "A"
    assert refused == {
        "id": 0,
        "error": {
            "code": "empty_term_name",
            "message": "A name is required for this term.",
            "data": {"status": 400},
        },
    }
    deleted = await store.client.post("products/tags/batch", json={"delete": [created["id"]]})
    assert deleted.json()["delete"][0]["id"] == created["id"]
    assert (await store.client.get(f"products/tags/{created['id']}")).status_code == 404


async def test_variations_of_a_variable_product(store: LiveStore) -> None:
    events: list[StoreEvent] = []
    store.sim.bus.subscribe(events.append)
    tee = await _post(
        store,
        "products",
        {
            "name": "Tee",
            "type": "variable",
            "sku": "tee",
            "attributes": [
                {"name": "Size", "options": ["S", "M"], "variation": True, "visible": True},
                {"name": "Color", "options": ["Red", "Blue"], "variation": True},
            ],
            "default_attributes": [{"name": "size", "option": "M"}],
        },
    )
    assert tee["attributes"][0] == {
        "id": 0,
        "name": "Size",
        "slug": "Size",
        "position": 0,
        "visible": True,
        "variation": True,
        "options": ["S", "M"],
    }
    assert tee["default_attributes"] == [{"id": 0, "name": "Size", "option": "M"}]
    assert (tee["price"], tee["price_html"], tee["purchasable"]) == ("", "", False)
    # Saved without variations, a variable product is out of stock whatever the
    # request says: its status is synced from its children (recorded on fresh stores).
    assert tee["stock_status"] == "outofstock"
    resaved = await store.client.put(f"products/{tee['id']}", json={"stock_status": "instock"})
    assert resaved.json()["stock_status"] == "outofstock"
    base = f"products/{tee['id']}/variations"
    created = await store.client.post(
        base,
        json={
            "regular_price": "10.00",
            "sale_price": "8.00",
            "sku": "tee-s",
            "manage_stock": True,
            "stock_quantity": 5,
            "attributes": [{"name": "size", "option": "S"}, {"name": "Color", "option": "Red"}],
        },
    )
    assert created.status_code == 201, created.text
    small = created.json()
    # WooCommerce 10.0.2 leaves the route's pattern in Location (recorded).
    assert created.headers["Location"] == (
        f"{store.api_url}/products/(?P<product_id>[\\d]+)/variations/{small['id']}"
    )
    assert small["name"] == "S, Red"
    assert small["attributes"] == [
        {"id": 0, "name": "Size", "slug": "size", "option": "S"},
        {"id": 0, "name": "Color", "slug": "color", "option": "Red"},
    ]
    assert small["permalink"].endswith("/product/tee/?attribute_size=S&attribute_color=Red")
    medium = (await store.client.post(base, json={"regular_price": "12.00"})).json()
    assert medium["sku"] == "tee"  # the parent's, when it has none of its own

    parent = (await store.client.get(f"products/{tee['id']}")).json()
    assert parent["variations"] == [small["id"], medium["id"]]
    assert parent["stock_status"] == "instock"
    assert (parent["price"], parent["on_sale"], parent["purchasable"]) == ("8.00", True, True)
    assert "Price range: &#36;8.00 through &#36;12.00" in parent["price_html"]
    as_product = (await store.client.get(f"products/{small['id']}")).json()
    assert (as_product["name"], as_product["type"]) == ("Tee - S, Red", "variation")

    listed = await store.client.get(base, params={"orderby": "id", "order": "asc"})
    assert [v["id"] for v in listed.json()] == [small["id"], medium["id"]]
    assert listed.headers["X-WP-Total"] == "2"
    wrong = await store.client.get(f"products/{medium['id']}/variations/{small['id']}")
    assert wrong.json()["code"] == "woocommerce_rest_product_variation_invalid_id"

    # A line item by variation: its price, its options as meta, its stock.
    order = await _post(
        store,
        "orders",
        {
            "status": "processing",
            "set_paid": True,
            "line_items": [{"variation_id": small["id"], "quantity": 2}],
        },
    )
    line = order["line_items"][0]
    assert (line["product_id"], line["variation_id"]) == (tee["id"], small["id"])
    assert (line["name"], line["sku"], line["price"]) == ("Tee - S, Red", "tee-s", 8)
    assert line["parent_name"] == "Tee"
    assert [(m["key"], m["value"], m["display_key"]) for m in line["meta_data"]] == [
        ("size", "S", "Size"),
        ("color", "Red", "Color"),
        ("_reduced_stock", "2", "_reduced_stock"),
    ]
    stock = (await store.client.get(f"{base}/{small['id']}")).json()["stock_quantity"]
    assert stock == 3

    events.clear()
    trashed = await store.client.delete(f"{base}/{medium['id']}")
    assert trashed.json()["status"] == "publish"  # as it was before the trash
    again = await store.client.delete(f"{base}/{medium['id']}")
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    # wp_trash_post is a hook of coupon.deleted too: it fires for any trashed post.
    assert [(e.resource, e.event, e.resource_id) for e in events if e.resource != "action"] == [
        ("product", "deleted", medium["id"]),
        ("coupon", "deleted", medium["id"]),
    ]
    assert (await store.client.get(f"products/{tee['id']}")).json()["variations"] == [small["id"]]
    await store.client.delete(f"products/{tee['id']}", params={"force": "true"})
    assert (await store.client.get(f"products/{small['id']}")).status_code == 404


async def test_a_parent_or_variation_change_shows_where_the_variation_is_read(
    store: LiveStore,
) -> None:
    mug = await _post(
        store,
        "products",
        {
            "name": "Mug",
            "type": "variable",
            "attributes": [{"name": "Size", "options": ["S"], "variation": True}],
        },
    )
    base = f"products/{mug['id']}/variations"
    small = await _post(
        store, base, {"regular_price": "4.00", "attributes": [{"name": "Size", "option": "S"}]}
    )
    order = await _post(store, "orders", {"line_items": [{"variation_id": small["id"]}]})
    # Read once, so the renderings are cached.
    assert (await store.client.get(f"products/{small['id']}")).json()["name"] == "Mug - S"
    await store.client.get(f"orders/{order['id']}")

    await store.client.put(f"products/{mug['id']}", json={"name": "Cup"})
    assert (await store.client.get(f"products/{small['id']}")).json()["name"] == "Cup - S"
    await store.client.put(f"{base}/{small['id']}", json={"sku": "cup-s"})
    line = (await store.client.get(f"orders/{order['id']}")).json()["line_items"][0]
    assert line["sku"] == "cup-s"


async def test_a_variation_create_naming_an_id(store: LiveStore) -> None:
    """As a real WooCommerce 10.0.2 store answers: an id that PHP's ``empty()`` calls
    non-empty is refused, one that is set but empty kills the controller (WordPress'
    fatal error answer, nothing made), a null one is ignored; a batch answers per item
    except for the fatal error, which ends it after the items made before it."""
    tee = await _post(
        store,
        "products",
        {
            "name": "Tee",
            "type": "variable",
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        },
    )
    base = f"products/{tee['id']}/variations"
    small = await _post(store, base, {"regular_price": "5.00"})

    async def prices() -> list[str]:
        listed = await store.client.get(base, params={"orderby": "id", "order": "asc"})
        return [v["regular_price"] for v in listed.json()]

    for named in (999999, small["id"], tee["id"], "abc", -1, True, " ", [5]):
        refused = await store.client.post(base, json={"id": named, "regular_price": "6.00"})
        assert refused.status_code == 400, named
        assert refused.json() == {
            "code": "woocommerce_rest_product_variation_exists",
            "message": "Cannot create existing product_variation.",
            "data": {"status": 400},
        }
    in_query = await store.client.post(base, params={"id": "7"}, json={"id": None})
    assert in_query.json()["code"] == "woocommerce_rest_product_variation_exists"
    # The body is checked against the schema first.
    bad_status = await store.client.post(base, json={"id": 0, "status": "sleeping"})
    assert bad_status.json()["code"] == "rest_invalid_param"

    for empty in (0, 0.0, "0", "", False, [], {}):
        crashed = await store.client.post(base, json={"id": empty, "regular_price": "6.00"})
        assert crashed.status_code == 500, empty
        body = crashed.json()
        assert list(body) == ["code", "message", "data", "additional_errors"]
        assert body["code"] == "internal_server_error"
        assert body["data"]["status"] == 500
        error = body["data"]["error"]
        assert (error["type"], error["line"]) == (1, 202)
        assert error["file"].endswith("/class-wc-rest-product-variations-controller.php")
        assert error["message"].startswith(
            "Uncaught Error: Call to a member function set_parent_id() on bool in "
        )
        assert "allow" not in crashed.headers
    # Without JSON in Content-Type or Accept, WordPress answers its HTML error page.
    page = await store.client.post(base, params={"id": "0"})
    assert page.status_code == 500
    assert page.headers["content-type"] == "text/html; charset=UTF-8"
    assert "There has been a critical error on this website." in page.text
    assert await prices() == ["5.00"]

    made = await store.client.post(base, json={"id": None, "regular_price": "6.50"})
    assert made.status_code == 201
    assert made.json()["regular_price"] == "6.50"

    batch = await store.client.post(
        f"{base}/batch",
        json={"create": [{"id": None, "regular_price": "7.00"}, {"id": 999999}, {"id": "abc"}]},
    )
    assert batch.status_code == 200
    answers = batch.json()["create"]
    assert answers[0]["regular_price"] == "7.00"
    assert [a["id"] for a in answers[1:]] == [0, 0]
    assert {a["error"]["code"] for a in answers[1:]} == {
        "woocommerce_rest_product_variation_exists"
    }
    crashed_batch = await store.client.post(
        f"{base}/batch",
        json={
            "create": [{"regular_price": "7.50"}, {"id": 0}, {"regular_price": "8.00"}],
            "update": [{"id": small["id"], "regular_price": "9.00"}],
        },
    )
    assert crashed_batch.status_code == 500
    assert crashed_batch.json()["code"] == "internal_server_error"
    # The item before the crash stays; the rest of the batch never ran.
    assert await prices() == ["5.00", "6.50", "7.00", "7.50"]
