"""What a real WooCommerce 10.0.2 store (WordPress 6.8.8, custom order tables, New York)
answered, held against the fake: each assertion is a recorded observation."""

from __future__ import annotations

from typing import Any

import httpx
from helpers import LiveStore, StoreFactory

ORDER_BODY: dict[str, Any] = {
    "status": "pending",
    "billing": {"first_name": "A", "email": "a@example.com", "state": "NY", "country": "US"},
    "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}],
    "fee_lines": [
        {"name": "Gift wrap", "total": "2.50"},
        {"name": "No tax fee", "total": "1.33", "tax_status": "none"},
    ],
}
ITEM_ALLOW = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def new_store(make_store: StoreFactory) -> LiveStore:
    return await make_store(timezone="America/New_York")


async def post(store: LiveStore, route: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await store.client.post(route, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def three_products(store: LiveStore) -> list[int]:
    widget = await post(store, "products", {"name": "Widget", "regular_price": "25.00"})
    no_price = await post(store, "products", {"name": "No price"})
    cheap = await post(store, "products", {"name": "Cheap", "regular_price": "3.00"})
    return [widget["id"], no_price["id"], cheap["id"]]


def order_body(ids: list[int]) -> dict[str, Any]:
    return {
        **ORDER_BODY,
        "line_items": [
            {"product_id": ids[0], "quantity": 3},
            {"product_id": ids[1], "quantity": 1, "total": "7.00"},
            {"product_id": ids[2], "quantity": 7, "subtotal": "20.99", "total": "20.99"},
        ],
    }


async def test_version_is_10_0_2_on_wordpress_6_8_8(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    status = (await store.client.get("system_status")).json()
    assert status["environment"]["version"] == "10.0.2"
    assert status["environment"]["wp_version"] == "6.8.8"
    ids = await three_products(store)
    order = await post(store, "orders", order_body(ids))
    assert order["version"] == "10.0.2"


async def test_a_new_shop_charges_no_tax(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", order_body(await three_products(store)))
    assert order["tax_lines"] == []
    for name in ("cart_tax", "shipping_tax", "total_tax", "discount_tax"):
        assert order[name] == "0.00"
    assert all(i["taxes"] == [] and i["total_tax"] == "0.00" for i in order["line_items"])
    assert order["shipping_lines"][0]["taxes"] == []
    assert order["total"] == "111.82"


async def test_taxes_on_match_the_real_arithmetic_to_the_cent(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    # The control plane turns taxes on, as woocommerce_calc_taxes=yes plus one US rate does.
    control = httpx.AsyncClient(base_url=store.server.site_url, timeout=30)
    async with control:
        answer = await control.post("/_woosim/settings", json={"taxes": True})
        assert answer.status_code == 200 and answer.json()["taxes"] is True
        bad = await control.post("/_woosim/settings", json={"taxes": "yes"})
        assert bad.status_code == 400 and "taxes" in bad.text
    order = await post(store, "orders", order_body(await three_products(store)))
    items = order["line_items"]
    assert [(i["subtotal"], i["subtotal_tax"], i["total"], i["total_tax"]) for i in items] == [
        ("75.00", "5.44", "75.00", "5.44"),
        ("7.00", "0.51", "7.00", "0.51"),  # no price: the subtotal follows the total
        ("20.99", "1.52", "20.99", "1.52"),
    ]
    assert items[0]["taxes"] == [{"id": 1, "total": "5.44", "subtotal": "5.44"}]
    assert [i["price"] for i in items] == [25, 7, 2.998571428571428]
    assert order["shipping_lines"][0]["taxes"] == [{"id": 1, "total": "0.36", "subtotal": ""}]
    assert [f["total_tax"] for f in order["fee_lines"]] == ["0.18", "0.00"]
    assert order["discount_total"] == "0.00"
    assert (order["cart_tax"], order["shipping_tax"], order["total_tax"]) == (
        "7.65",
        "0.36",
        "8.01",
    )
    assert order["total"] == "119.83"
    line = order["tax_lines"][0]
    assert {k: v for k, v in line.items() if k != "id"} == {
        "rate_code": "US-STATE TAX-1",
        "rate_id": 1,
        "label": "State Tax",
        "compound": False,
        "tax_total": "7.65",
        "shipping_tax_total": "0.36",
        "rate_percent": 7.25,
        "meta_data": [],
    }
    # The tax line is the last item written: after the line items, shipping and fees.
    assert line["id"] > order["fee_lines"][-1]["id"] > order["shipping_lines"][0]["id"]


async def test_order_types_and_values(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", order_body(await three_products(store)))
    item = order["line_items"][0]
    assert item["image"] == {"id": "", "src": ""}
    assert item["price"] == 25 and isinstance(item["price"], int)
    assert isinstance(order["line_items"][2]["price"], float)
    assert [f["amount"] for f in order["fee_lines"]] == ["", ""]
    shipping = order["shipping_lines"][0]
    assert list(shipping) == [
        "id",
        "method_title",
        "method_id",
        "instance_id",
        "total",
        "total_tax",
        "taxes",
        "tax_status",
        "meta_data",
    ]
    assert shipping["tax_status"] == "taxable"
    raw = (await store.client.get(f"orders/{order['id']}")).content
    assert b'"price":25,' in raw and b'"image":{"id":"","src":""}' in raw


async def test_product_fields_by_context(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    created = await post(store, "products", {"name": "Parity Widget", "regular_price": "25.00"})
    keys = list(created)
    assert keys[keys.index("categories") + 1] == "brands" and created["brands"] == []
    # Creates and updates answer in the edit context.
    assert keys[-4:] == ["global_unique_id", "permalink_template", "generated_slug", "_links"]
    assert created["permalink_template"] == f"{store.server.site_url}/product/%pagename%/"
    assert created["generated_slug"] == "parity-widget"
    assert created["average_rating"] == "0"
    view = (await store.client.get(f"products/{created['id']}")).json()
    assert view["average_rating"] == "0.00"
    assert "permalink_template" not in view and "generated_slug" not in view
    edit = (await store.client.get(f"products/{created['id']}", params={"context": "edit"})).json()
    assert edit["average_rating"] == "0" and edit["generated_slug"] == "parity-widget"
    listed = (await store.client.get("products", params={"context": "edit"})).json()
    assert "permalink_template" in listed[0]


async def test_related_ids_share_a_category(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    first = await post(store, "products", {"name": "One", "regular_price": "1"})
    assert first["related_ids"] == []  # alone in Uncategorized
    second = await post(store, "products", {"name": "Two", "regular_price": "1"})
    assert second["related_ids"] == [first["id"]]


async def test_links_carry_target_hints_and_email_templates(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    customer = await post(store, "customers", {"email": "c1@example.com"})
    parent = await post(store, "orders", {"status": "pending"})
    order = await post(store, "orders", {"customer_id": customer["id"], "parent_id": parent["id"]})
    api = store.api_url
    assert order["_links"] == {
        "self": [{"href": f"{api}/orders/{order['id']}", "targetHints": {"allow": ITEM_ALLOW}}],
        "collection": [{"href": f"{api}/orders"}],
        "email_templates": [
            {"embeddable": True, "href": f"{api}/orders/{order['id']}/actions/email_templates"}
        ],
        "customer": [{"href": f"{api}/customers/{customer['id']}"}],
        "up": [{"href": f"{api}/orders/{parent['id']}"}],
    }
    assert customer["_links"]["self"][0]["targetHints"] == {"allow": ITEM_ALLOW}
    # _fields filters the data; the links stay, whole.
    for fields in ("id,status", "id,_links.self"):
        only = (await store.client.get(f"orders/{order['id']}", params={"_fields": fields})).json()
        assert list(only)[-1] == "_links" and only["_links"] == order["_links"]
    assert list(only) == ["id", "_links"]


async def test_allow_header_on_every_answer_of_a_known_route(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    client = store.client
    cases = [
        (await client.get("orders"), 200, "GET, POST"),
        (await client.get("orders/9999"), 404, "GET, POST, PUT, PATCH, DELETE"),
        (await client.get("orders", params={"status": "bogus"}), 400, "GET, POST"),
        (await client.post("orders", json={"status": "nope"}), 400, "GET, POST"),
        (
            await client.post(
                "orders", content=b"{bad", headers={"Content-Type": "application/json"}
            ),
            400,
            "GET, POST",
        ),
        (await client.post("orders/batch", json={}), 200, "POST, PUT, PATCH"),
        (await client.get("system_status"), 200, "GET"),
        (await store.anon.get(f"{store.server.site_url}/wp-json/"), 200, "GET"),
        (await store.anon.get(store.api_url), 200, "GET"),
    ]
    for response, status, allow in cases:
        assert (response.status_code, response.headers.get("Allow")) == (status, allow)
    # No Allow: no route matched, an anonymous caller, a failed authentication.
    assert "Allow" not in (await client.delete("orders")).headers
    assert "Allow" not in (await client.get("orders/batch")).headers
    assert "Allow" not in (await store.anon.get("orders")).headers
    wrong = httpx.BasicAuth(store.sim.keys.default.consumer_key, "cs_wrong")
    assert "Allow" not in (await client.get("orders", auth=wrong)).headers


async def link(store: LiveStore, route: str, query: str) -> str:
    response = await store.client.get(f"{route}?{query}")
    assert response.status_code == 200, response.text
    return response.headers["Link"].replace(store.api_url, "API")


async def test_paging_link_carries_the_sanitised_query(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    ids = []
    for _ in range(3):
        ids.append((await post(store, "orders", {"status": "processing"}))["id"])
        await post(store, "products", {"name": "P", "regular_price": "2"})
    first, second = ids[:2]
    # The orders controller puts the statuses back on the request, and rendering an
    # order sets dp and context on it: all three join the links (re-checked against
    # the real store: status=any and status[]=... both come back as status[N]=...).
    tail = "status%5B0%5D=any&dp=2&context=view"
    orders = [
        ("per_page=1&status=any", f"per_page=1&{tail}&page=2"),
        (
            "per_page=1&status[]=pending&status[]=processing",
            "per_page=1&status%5B0%5D=pending&status%5B1%5D=processing&dp=2&context=view&page=2",
        ),
        ("per_page=1&dp=-1", "per_page=1&dp=1&status%5B0%5D=any&context=view&page=2"),
        (
            "per_page=1&offset=0&exclude=99",
            f"per_page=1&offset=0&exclude%5B0%5D=99&{tail}&page=2",
        ),
        (
            f"per_page=1&include={first},{second}",
            f"per_page=1&include%5B0%5D={first}&include%5B1%5D={second}&{tail}&page=2",
        ),
        ("per_page=1&dates_are_gmt=0", f"per_page=1&{tail}&page=2"),
        ("per_page=1&parent_exclude=3", f"per_page=1&parent_exclude%5B0%5D=3&{tail}&page=2"),
        (
            "per_page=2&customer=0&search=&after=2020-01-01T00:00:00",
            f"per_page=2&customer=0&search&after=2020-01-01T00%3A00%3A00&{tail}&page=2",
        ),
    ]
    for query, expected in orders:
        assert await link(store, "orders", query) == f'<API/orders?{expected}>; rel="next"'
    middle = await link(store, "orders", "per_page=1&page=2&context=edit")
    assert middle == (
        '<API/orders?per_page=1&page=1&context=edit&status%5B0%5D=any&dp=2>; rel="prev", '
        '<API/orders?per_page=1&page=3&context=edit&status%5B0%5D=any&dp=2>; rel="next"'
    )
    products = [
        ("per_page=1&category=15,16", "per_page=1&category%5B0%5D=15&category%5B1%5D=16&page=2"),
        ("per_page=1&on_sale=0", "per_page=1&page=2"),
        ("per_page=1&offset=01", "per_page=1&offset=1&page=2"),
        ("per_page=1&parent=0", "per_page=1&parent%5B0%5D=0&page=2"),
        ("per_page=1&dp=-1", "per_page=1&dp=-1&page=2"),  # not a products argument
    ]
    for query, expected in products:
        assert await link(store, "products", query) == f'<API/products?{expected}>; rel="next"'


async def test_orders_past_the_last_page_count_nothing(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    for _ in range(5):
        await post(store, "orders", {"status": "processing"})
    response = await store.client.get("orders", params={"per_page": 3, "page": 3})
    assert response.json() == []
    assert response.headers["X-WP-Total"] == "0" and response.headers["X-WP-TotalPages"] == "0"
    # No order rendered, so only the statuses join the link (not dp and context).
    assert response.headers["Link"] == (
        f'<{store.api_url}/orders?per_page=3&page=0&status%5B0%5D=any>; rel="prev"'
    )
    # Products keep their total.
    await post(store, "products", {"name": "P"})
    response = await store.client.get("products", params={"page": 9})
    assert response.headers["X-WP-Total"] == "1"


async def test_delete_answers_the_record_as_it_was(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", {"status": "processing"})
    trashed = await store.client.delete(f"orders/{order['id']}")
    assert trashed.status_code == 200
    assert trashed.json()["status"] == "processing" and trashed.json()["meta_data"] == []
    again = await store.client.delete(f"orders/{order['id']}")
    assert again.status_code == 410
    assert again.json() == {
        "code": "woocommerce_rest_already_trashed",
        "message": "The shop_order has already been deleted.",
        "data": {"status": 410},
    }
    assert again.headers["Allow"] == "GET, POST, PUT, PATCH, DELETE"
    now = (await store.client.get(f"orders/{order['id']}")).json()
    assert now["status"] == "trash"
    meta = [(m["key"], m["value"]) for m in now["meta_data"]]
    assert meta == [
        ("_wp_trash_meta_status", "wc-processing"),
        ("_wp_trash_meta_time", str(int(store.clock.timestamp()))),
    ]
    forced = await store.client.delete(f"orders/{order['id']}", params={"force": "true"})
    assert forced.json()["status"] == "trash" and len(forced.json()["meta_data"]) == 2

    product = await post(store, "products", {"name": "Parity Gadget"})
    gone = await store.client.delete(f"products/{product['id']}")
    assert gone.json()["status"] == "publish" and "generated_slug" in gone.json()
    again = await store.client.delete(f"products/{product['id']}")
    assert again.status_code == 410
    assert again.json()["message"] == "The product has already been deleted."
    now = (await store.client.get(f"products/{product['id']}")).json()
    assert now["slug"] == "parity-gadget__trashed"
    assert [m["key"] for m in now["meta_data"]] == [
        "_wp_trash_meta_status",
        "_wp_trash_meta_time",
        "_wp_desired_post_slug",
    ]
    assert now["meta_data"][0]["value"] == "publish"
    assert now["meta_data"][2]["value"] == "parity-gadget"


async def test_restore_takes_the_trash_meta_away(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    product = await post(store, "products", {"name": "Back"})
    await store.client.delete(f"products/{product['id']}")
    async with httpx.AsyncClient(base_url=store.server.site_url) as control:
        answer = await control.post(f"/_woosim/products/{product['id']}/restore")
    assert answer.status_code == 200
    assert answer.json()["slug"] == "back" and answer.json()["meta_data"] == []


async def test_underscore_meta_is_shown(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(
        store,
        "orders",
        {"meta_data": [{"key": "_my_key", "value": "x"}, {"key": "visible", "value": "y"}]},
    )
    assert [(m["key"], m["value"]) for m in order["meta_data"]] == [
        ("_my_key", "x"),
        ("visible", "y"),
    ]
    # A customer created without a password gets the nag WordPress sets on generated ones.
    nagged = await post(store, "customers", {"email": "c1@example.com"})
    assert [(m["key"], m["value"]) for m in nagged["meta_data"]] == [("default_password_nag", "1")]
    chosen = await post(store, "customers", {"email": "c3@example.com", "password": "pw-12345"})
    assert chosen["meta_data"] == []


async def test_options_answers_the_route_and_its_schema(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    response = await store.client.options("orders")
    assert response.status_code == 200 and response.headers["Allow"] == "GET, POST"
    body = response.json()
    assert list(body) == ["namespace", "methods", "endpoints", "schema", "_links"]
    assert body["methods"] == ["GET", "POST"]
    assert [e["methods"] for e in body["endpoints"]] == [["GET"], ["POST"]]
    listing = body["endpoints"][0]["args"]
    for name in ("context", "page", "per_page", "status", "dp", "include_meta", "exclude_meta"):
        assert listing[name]["required"] is False
    assert listing["status"]["items"]["enum"][:3] == ["any", "trash", "auto-draft"]
    assert listing["page"]["minimum"] == 1
    assert body["schema"]["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert body["schema"]["title"] == "shop_order"
    assert body["_links"] == {"self": [{"href": f"{store.api_url}/orders"}]}
    item = (await store.client.options("orders/12")).json()
    assert [e["methods"] for e in item["endpoints"]] == [
        ["GET"],
        ["POST", "PUT", "PATCH"],
        ["DELETE"],
    ]
    assert list(item) == ["namespace", "methods", "endpoints", "schema"]
    # Anyone may ask; an anonymous caller gets no Allow.
    anonymous = await store.anon.options("products")
    assert anonymous.status_code == 200 and "Allow" not in anonymous.headers
    assert (await store.client.options("nothing")).status_code == 404


async def test_namespace_index_lists_the_routes_with_args(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    index = (await store.client.get(store.api_url)).json()
    assert list(index) == ["namespace", "routes", "_links"]
    assert index["_links"] == {"up": [{"href": f"{store.server.site_url}/wp-json/"}]}
    routes = index["routes"]
    assert routes["/wc/v3"]["endpoints"][0]["args"] == {
        "namespace": {"default": "wc/v3", "required": False},
        "context": {"default": "view", "required": False},
    }
    orders = routes["/wc/v3/orders"]
    assert orders["_links"] == {"self": [{"href": f"{store.api_url}/orders"}]}
    assert "per_page" in orders["endpoints"][0]["args"]
    assert "_links" not in routes["/wc/v3/orders/(?P<id>[\\d]+)"]
    for resource in ("orders", "products", "customers", "webhooks"):
        for suffix in ("", "/(?P<id>[\\d]+)", "/batch"):
            assert f"/wc/v3/{resource}{suffix}" in routes


async def test_fields_and_meta_filters(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(
        store,
        "orders",
        {"meta_data": [{"key": "_my_key", "value": "x"}, {"key": "visible", "value": "y"}]},
    )
    url = f"orders/{order['id']}"

    async def keys(path: str, **params: Any) -> list[str]:
        data = (await store.client.get(path, params={**params, "_fields": "id,meta_data"})).json()
        item = data[0] if isinstance(data, list) else data
        return [m["key"] for m in item["meta_data"]]

    assert await keys(url, include_meta="visible", exclude_meta="visible") == ["visible"]
    assert await keys(url, exclude_meta="visible") == ["_my_key"]
    assert await keys(url, include_meta="_my_key,visible") == []  # one key named so
    assert await keys(url, exclude_meta="_my_key,visible") == []  # split on commas
    both = {"include_meta[]": ["_my_key", "visible"], "include[]": order["id"]}
    assert await keys("orders", **both) == ["_my_key", "visible"]
    # In a list the links are data: _fields filters them like any other field.
    listed = (await store.client.get("orders", params={"_fields": "id,_links.self"})).json()
    assert list(listed[0]["_links"]) == ["self"]
    plain = (await store.client.get("orders", params={"_fields": "id"})).json()
    assert plain == [{"id": order["id"]}]


async def test_product_list_parameters(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    widget = await post(
        store, "products", {"name": "Parity Widget", "regular_price": "25", "sku": "PW-1"}
    )
    f2 = await post(store, "products", {"name": "F2", "virtual": True})
    stocked = await post(store, "products", {"name": "Stocked", "regular_price": "3"})
    gone = await post(store, "products", {"name": "Gone"})
    await store.client.delete(f"products/{gone['id']}")
    live = [stocked["id"], f2["id"], widget["id"]]

    async def ids(query: str, status: int = 200) -> list[int]:
        response = await store.client.get(f"products?{query}&_fields=id")
        assert response.status_code == status, (query, response.text)
        return [p["id"] for p in response.json()] if status == 200 else []

    assert await ids("slug=parity-widget") == [widget["id"]]
    assert await ids("slug=parity-widget,stocked") == []
    assert await ids("search_sku=w-1") == [widget["id"]]
    assert await ids("tax_class=standard") == live
    assert await ids("tax_class=reduced-rate") == []
    assert await ids("include_status=trash,publish") == [gone["id"], *live]
    assert await ids("status=trash&include_status=publish") == live
    assert await ids("exclude_status=trash") == live
    assert await ids("include_types=simple") == live
    assert await ids("exclude_types=simple") == []
    await ids("include_types=bogus", 400)
    assert await ids("virtual=true") == [f2["id"]]
    assert await ids("downloadable=false") == live
    for query in ("tag=5", "tag=abc", "shipping_class=3", "brand=3"):
        assert await ids(query) == []
    assert await ids("attribute=pa_color&attribute_term=4") == live
    by_title = [stocked["id"], widget["id"], f2["id"]]
    assert await ids("orderby=menu_order") == by_title  # then by title, descending
    assert await ids("orderby=menu_order&order=asc") == list(reversed(by_title))
    assert await ids("category=15") == live
    assert await ids("category=abc") == []
    assert await ids("category=uncategorized") == []


async def test_a_customer_account_key_gets_403(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", {"status": "pending"})
    customer = await post(store, "customers", {"email": "c1@example.com"})
    key = next(k for k in store.sim.keys.all() if not k.manager)
    auth = httpx.BasicAuth(key.consumer_key, key.consumer_secret)
    cases = [
        ("GET", "orders", "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
        ("GET", f"orders/{order['id']}", "woocommerce_rest_cannot_view", None),
        ("GET", "orders/9999", "woocommerce_rest_cannot_view", None),
        ("POST", "orders", "woocommerce_rest_cannot_create", None),
        ("PUT", f"orders/{order['id']}", "woocommerce_rest_cannot_edit", None),
        ("DELETE", f"orders/{order['id']}", "woocommerce_rest_cannot_delete", None),
        ("POST", "orders/batch", "woocommerce_rest_cannot_batch", None),
        ("GET", "products", "woocommerce_rest_cannot_view", None),
        ("GET", f"customers/{customer['id']}", "woocommerce_rest_cannot_view", None),
        ("GET", "webhooks", "woocommerce_rest_cannot_view", None),
        ("GET", "system_status", "woocommerce_rest_cannot_view", None),
    ]
    for method, path, code, message in cases:
        response = await store.client.request(method, path, json={}, auth=auth)
        assert (response.status_code, response.json()["code"]) == (403, code), (method, path)
        assert "Allow" not in response.headers
        if message is not None:
            assert response.json()["message"] == message
    # Argument checks come first; a customer id that does not exist is a 404.
    bad = await store.client.get("orders", params={"status": "bogus"}, auth=auth)
    assert bad.status_code == 400
    missing = await store.client.get("customers/9999", auth=auth)
    assert missing.status_code == 404
    options = await store.client.options("orders", auth=auth)
    assert options.status_code == 200 and "Allow" not in options.headers
