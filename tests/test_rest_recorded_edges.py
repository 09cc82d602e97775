"""Edge answers recorded from a real WooCommerce 10.0.2 store (WordPress 6.8.8, custom
order tables, New York), held against the fake: parameters WordPress sanitises
instead of validating, bodies that ask for nothing, line items without a product,
and the shapes of errors and addresses."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import LiveStore, StoreFactory


async def new_store(make_store: StoreFactory) -> LiveStore:
    return await make_store(timezone="America/New_York")


async def post(store: LiveStore, route: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await store.client.post(route, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def an_order(store: LiveStore) -> dict[str, Any]:
    product = await post(store, "products", {"name": "Widget", "regular_price": "26.50"})
    return await post(
        store,
        "orders",
        {
            "line_items": [{"product_id": product["id"], "quantity": 2}],
            "shipping_lines": [{"method_id": "flat_rate", "total": "5.00"}],
            "fee_lines": [{"name": "Fee", "total": "1.50"}],
        },
    )


async def test_dp_goes_through_absint_and_is_never_an_error(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await an_order(store)
    expected = {"abc": "60", "2.7": "59.50", "-1": "59.5", "3": "59.500", "0": "60"}
    for dp, total in expected.items():
        response = await store.client.get(f"orders/{order['id']}", params={"dp": dp})
        assert response.status_code == 200, (dp, response.text)
        assert response.json()["total"] == total, dp
    listed = await store.client.get("orders", params={"dp": "abc"})
    assert listed.status_code == 200 and listed.json()[0]["total"] == "60"


async def test_include_that_is_not_an_id_matches_nothing(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    await an_order(store)
    response = await store.client.get("orders", params={"include": "abc"})
    assert response.status_code == 200, response.text
    assert response.json() == []
    assert response.headers["X-WP-Total"] == "0"
    # exclude=abc excludes id 0: nothing.
    response = await store.client.get("orders", params={"exclude": "abc"})
    assert response.status_code == 200 and len(response.json()) == 1


async def test_negative_offset_skips_like_its_absolute_value(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    first, second = await an_order(store), await an_order(store)
    response = await store.client.get("orders", params={"offset": "-1", "orderby": "id"})
    assert response.status_code == 200, response.text
    assert [o["id"] for o in response.json()] == [first["id"]]
    assert second["id"] > first["id"]


async def test_a_batch_asking_for_nothing_answers_an_empty_list(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    for body in ({}, [1, 2], {"create": [], "update": []}):
        response = await store.client.post("orders/batch", json=body)
        assert response.status_code == 200, response.text
        assert response.content == b"[]"
    response = await store.client.post("orders/batch", json={"create": [], "delete": [999999]})
    assert list(response.json()) == ["delete"]


async def test_customer_context_other_than_view_or_edit_is_refused(
    make_store: StoreFactory,
) -> None:
    store = await new_store(make_store)
    customer = await post(store, "customers", {"email": "jane@example.com"})
    for context in ("embed", "bogus"):
        response = await store.client.get(
            f"customers/{customer['id']}", params={"context": context}
        )
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["code"] == "rest_invalid_param"
        assert body["data"]["params"] == {"context": "context is not one of view and edit."}
        assert body["data"]["details"]["context"]["code"] == "rest_not_in_enum"
        assert body["data"]["details"]["context"]["data"] is None


async def test_a_type_error_names_its_parameter(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    response = await store.client.post("products", json={"name": "P", "regular_price": 12})
    assert response.status_code == 400, response.text
    detail = response.json()["data"]["details"]["regular_price"]
    assert detail == {
        "code": "rest_invalid_type",
        "message": "regular_price is not of type string.",
        "data": {"param": "regular_price"},
    }
    response = await store.client.post(
        "orders", json={"line_items": [{"name": "x", "quantity": 1, "total": 12}]}
    )
    assert response.status_code == 400, response.text
    detail = response.json()["data"]["details"]["line_items"]
    assert detail["message"] == "line_items[0][total] is not of type string."
    assert detail["data"] == {"param": "line_items[0][total]"}
    response = await store.client.get("customers", params={"per_page": "abc"})
    assert response.json()["data"]["details"]["per_page"]["data"] == {"param": "per_page"}


async def test_an_unknown_product_gives_a_line_item_without_one(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    for line in ({"product_id": 999999, "quantity": 1}, {"sku": "no-such-sku", "quantity": 1}):
        order = await post(store, "orders", {"line_items": [line]})
        (item,) = order["line_items"]
        assert item["product_id"] == 0 and item["name"] == "" and item["sku"] is None
        assert item["price"] == 0 and item["total"] == "0.00"
        assert item["image"] == {"id": 0, "src": ""}
    named = await post(
        store,
        "orders",
        {"line_items": [{"product_id": 999999, "quantity": 2, "name": "Named", "total": "7.00"}]},
    )
    (item,) = named["line_items"]
    assert (item["name"], item["subtotal"], item["total"], item["price"]) == (
        "Named",
        "7.00",
        "7.00",
        3.5,
    )
    assert named["total"] == "7.00"


async def test_customer_addresses_list_postcode_and_country_before_state(
    make_store: StoreFactory,
) -> None:
    store = await new_store(make_store)
    customer = await post(store, "customers", {"email": "jane@example.com"})
    order = ["first_name", "last_name", "company", "address_1", "address_2", "city"]
    assert list(customer["billing"]) == [*order, "postcode", "country", "state", "email", "phone"]
    assert list(customer["shipping"]) == [*order, "postcode", "country", "state", "phone"]


async def test_prices_are_answered_as_written(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    product = await post(
        store, "products", {"name": "Sale", "regular_price": "10.5", "sale_price": "7"}
    )
    assert (product["regular_price"], product["sale_price"], product["price"]) == ("10.5", "7", "7")
    assert product["price_html"] == (
        '<del aria-hidden="true"><span class="woocommerce-Price-amount amount"><bdi>'
        '<span class="woocommerce-Price-currencySymbol">&#36;</span>10.50</bdi></span></del> '
        '<span class="screen-reader-text">Original price was: &#036;10.50.</span>'
        '<ins aria-hidden="true"><span class="woocommerce-Price-amount amount"><bdi>'
        '<span class="woocommerce-Price-currencySymbol">&#36;</span>7.00</bdi></span></ins>'
        '<span class="screen-reader-text">Current price is: &#036;7.00.</span>'
    )
    private = await post(
        store, "products", {"name": "Private", "status": "private", "regular_price": "04.50"}
    )
    assert private["price"] == "04.50" and private["purchasable"] is True


async def test_a_draft_has_no_slug_and_a_plain_permalink(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    site = store.server.site_url
    draft = await post(
        store, "products", {"name": "Parity Draft", "status": "draft", "regular_price": "3"}
    )
    assert draft["slug"] == "" and draft["generated_slug"] == "parity-draft"
    assert draft["permalink"] == f"{site}/?post_type=product&p={draft['id']}"
    assert draft["purchasable"] is True and draft["price"] == "3"
    pending = await post(store, "products", {"name": "Pend", "status": "pending", "slug": "mine"})
    assert pending["slug"] == "mine" and pending["generated_slug"] == "pend"
    assert pending["permalink"].endswith(f"/?post_type=product&p={pending['id']}")
    assert pending["purchasable"] is False
    trashed = (await store.client.delete(f"products/{draft['id']}")).json()
    assert trashed["slug"] == ""  # the answer shows the product as it was
    got = (await store.client.get(f"products/{draft['id']}", params={"context": "edit"})).json()
    assert got["slug"] == "__trashed" and got["generated_slug"] == "parity-draft"
    assert got["permalink"] == f"{site}/?post_type=product&p={draft['id']}"
    desired = [m["value"] for m in got["meta_data"] if m["key"] == "_wp_desired_post_slug"]
    assert desired == [""]
    published = await store.client.put(f"products/{pending['id']}", json={"status": "publish"})
    assert published.json()["permalink"] == f"{site}/product/mine/"
    late = await post(store, "products", {"name": "Late Bloomer", "status": "draft"})
    late = (await store.client.put(f"products/{late['id']}", json={"status": "publish"})).json()
    assert late["slug"] == "late-bloomer"
    assert late["permalink"] == f"{site}/product/late-bloomer/"


async def test_view_context_wraps_descriptions_in_paragraphs(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    product = await post(
        store,
        "products",
        {"name": "W", "description": "A widget.", "short_description": "One\ntwo\n\nthree"},
    )
    assert product["description"] == "A widget."  # a write answers in the edit context
    viewed = (await store.client.get(f"products/{product['id']}")).json()
    assert viewed["description"] == "<p>A widget.</p>\n"
    assert viewed["short_description"] == "<p>One<br />\ntwo</p>\n<p>three</p>\n"
    edit = await store.client.get(f"products/{product['id']}", params={"context": "edit"})
    assert edit.json()["description"] == "A widget."


async def test_a_virtual_product_is_not_shipping_taxable(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    virtual = await post(store, "products", {"name": "V", "virtual": True})
    physical = await post(store, "products", {"name": "P"})
    assert virtual["shipping_taxable"] is False and physical["shipping_taxable"] is True


async def test_a_duplicate_sku_names_its_owner_and_a_free_one(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    owner = await post(store, "products", {"name": "A", "sku": "w1"})
    await post(store, "products", {"name": "B", "sku": "w1-1"})
    response = await store.client.post("products", json={"name": "C", "sku": "w1"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "product_invalid_sku",
        "message": "Invalid or duplicated SKU.",
        "data": {"status": 400, "resource_id": owner["id"], "unique_sku": "w1-2"},
    }
    bad = await store.client.post("products", json={"name": "D", "status": "exploded"})
    assert bad.json()["data"]["params"]["status"] == (
        "status is not one of draft, pending, private, publish, future, auto-draft, and trash."
    )


async def test_order_paging_links_carry_status_dp_and_context(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    for _ in range(3):
        await an_order(store)
    api = store.server.api_url
    first = await store.client.get("orders", params={"per_page": "1", "orderby": "id"})
    assert first.headers["Link"] == (
        f"<{api}/orders?per_page=1&orderby=id&status%5B0%5D=any&dp=2&context=view&page=2>;"
        ' rel="next"'
    )
    given = await store.client.get(
        "orders", params={"per_page": "1", "page": "2", "dp": "3", "status": "pending"}
    )
    assert given.headers["Link"].startswith(
        f"<{api}/orders?per_page=1&page=1&dp=3&status%5B0%5D=pending&context=view>;"
    )
    # A page past the end renders no order: dp and context stay out (and, as the
    # empty page counts 0 pages, the previous page is 0: recorded).
    past = await store.client.get("orders", params={"per_page": "1", "page": "9"})
    assert past.headers["Link"] == (
        f'<{api}/orders?per_page=1&page=0&status%5B0%5D=any>; rel="prev"'
    )


async def test_customer_offset_counts_its_own_page(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    for n in range(3):
        await post(store, "customers", {"email": f"c{n}@example.com"})
    response = await store.client.get("customers", params={"offset": "1"})
    assert len(response.json()) == 2
    assert response.headers["Link"] == (
        f'<{store.server.api_url}/customers?offset=1&page=1>; rel="prev"'
    )


async def test_meta_rows_set_to_null_are_deleted(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(
        store, "orders", {"meta_data": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}
    )
    row = next(m for m in order["meta_data"] if m["key"] == "a")
    updated = await store.client.put(
        f"orders/{order['id']}",
        json={"meta_data": [{"id": row["id"], "value": None}, {"key": "c", "value": None}]},
    )
    assert [m["key"] for m in updated.json()["meta_data"]] == ["b"]


async def test_customers_hide_meta_with_a_leading_underscore(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    meta = [{"key": "_foo", "value": "1"}, {"key": "pri_vate", "value": "3"}]
    customer = await post(store, "customers", {"email": "m@example.com", "meta_data": meta})
    assert [m["key"] for m in customer["meta_data"]] == ["default_password_nag", "pri_vate"]
    order = await post(store, "orders", {"meta_data": meta})
    assert [m["key"] for m in order["meta_data"]] == ["_foo", "pri_vate"]


async def test_products_filter_meta_like_orders(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    meta = [{"key": "pub", "value": "one"}, {"key": "_priv", "value": "two"}]
    product = await post(store, "products", {"name": "M", "meta_data": meta})
    for params, keys in (
        ({"include_meta": "pub"}, ["pub"]),
        ({"exclude_meta": "pub"}, ["_priv"]),
        ({"include_meta": "pub", "exclude_meta": "pub"}, ["pub"]),
    ):
        listed = await store.client.get("products", params={"include": product["id"], **params})
        assert [m["key"] for m in listed.json()[0]["meta_data"]] == keys, params
        one = await store.client.get(f"products/{product['id']}", params=params)
        assert [m["key"] for m in one.json()["meta_data"]] == keys, params


async def test_options_describe_the_item_schema_and_the_batch_lists(
    make_store: StoreFactory,
) -> None:
    store = await new_store(make_store)
    orders = (await store.client.options("orders")).json()["schema"]["properties"]
    assert "_links" not in orders and "currency_symbol" not in orders
    assert {"set_paid", "manual_update", "created_via"} <= set(orders)
    customers = (await store.client.options("customers")).json()["schema"]["properties"]
    assert "password" in customers and "_links" not in customers
    webhooks = (await store.client.options("webhooks")).json()["schema"]["properties"]
    assert "secret" in webhooks
    batch = (await store.client.options("orders/batch")).json()["schema"]
    assert batch["title"] == "batch" and sorted(batch["properties"]) == [
        "create",
        "delete",
        "update",
    ]


async def test_created_via_is_written_and_manual_update_checked(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", {"created_via": "parity-x", "manual_update": True})
    assert order["created_via"] == "parity-x"
    plain = await post(store, "orders", {})
    assert plain["created_via"] == "rest-api"
    for body, name, kind in (
        ({"created_via": 5}, "created_via", "string"),
        ({"manual_update": "maybe"}, "manual_update", "boolean"),
    ):
        response = await store.client.post("orders", json=body)
        assert response.status_code == 400
        assert response.json()["data"]["params"] == {name: f"{name} is not of type {kind}."}


async def test_fields_through_a_list_keep_nothing(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    order = await post(store, "orders", {"meta_data": [{"key": "a", "value": "1"}]})
    response = await store.client.get(
        f"orders/{order['id']}", params={"_fields": "id,meta_data.key,billing.email"}
    )
    assert list(response.json()) == ["id", "billing", "_links"]
    assert response.json()["billing"] == {"email": ""}


async def test_product_orderby_error_lists_the_registered_enum(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    response = await store.client.get("products", params={"orderby": "bogus"})
    assert response.json()["data"]["params"]["orderby"] == (
        "orderby is not one of date, id, include, title, slug, modified, popularity, rating,"
        " post__in, price, sales, menu_order, random, popularity, rating, menu_order, price,"
        " popularity, and rating."
    )


async def test_the_index_lists_a_new_sites_reading_settings(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    async with httpx.AsyncClient(base_url=store.server.site_url, timeout=30) as client:
        index = (await client.get("/wp-json/")).json()
    keys = list(index)
    assert keys[keys.index("timezone_string") + 1 : keys.index("namespaces")] == [
        "page_for_posts",
        "page_on_front",
        "show_on_front",
    ]
    assert keys[-4:] == ["site_logo", "site_icon", "site_icon_url", "_links"]
    assert (index["page_on_front"], index["show_on_front"], index["site_icon_url"]) == (
        0,
        "posts",
        "",
    )


async def test_system_status_has_every_section_of_the_real_one(make_store: StoreFactory) -> None:
    store = await new_store(make_store)
    status = (await store.client.get("system_status")).json()
    assert list(status) == [
        "environment",
        "database",
        "active_plugins",
        "inactive_plugins",
        "dropins_mu_plugins",
        "theme",
        "settings",
        "security",
        "pages",
        "post_type_counts",
        "logging",
    ]
    environment = list(status["environment"])
    assert environment[:7] == [
        "home_url",
        "site_url",
        "store_id",
        "version",
        "log_directory",
        "log_directory_writable",
        "wp_version",
    ]
    assert environment[-1] == "remote_get_response" and len(environment) == 34


async def test_prices_are_stored_as_wc_format_decimal_leaves_them(
    make_store: StoreFactory,
) -> None:
    # Recorded: every dot but the last and anything not a digit, dot or minus is
    # removed; the price is what PHP's floatval reads from what is left; a sale
    # price not below the regular price is dropped.
    store = await new_store(make_store)
    product = await post(store, "products", {"name": "Odd", "regular_price": " 1e2"})
    assert (product["regular_price"], product["price"]) == ("12", "12")
    expected = [
        ({"regular_price": "100", "sale_price": "0997.60E02\f"}, ("100", "100", "")),
        (
            {"regular_price": "1000", "sale_price": "0997.60E02\f"},
            ("0997.6002", "1000", "0997.6002"),
        ),
        ({"regular_price": "\n 0e591", "sale_price": ""}, ("0591", "0591", "")),
        ({"regular_price": "1.5e-3", "sale_price": ""}, ("1.5-3", "1.5-3", "")),
    ]
    for body, (price, regular, sale) in expected:
        response = await store.client.put(f"products/{product['id']}", json=body)
        shown = response.json()
        assert (shown["price"], shown["regular_price"], shown["sale_price"]) == (
            price,
            regular,
            sale,
        ), body
    order = await post(
        store, "orders", {"line_items": [{"product_id": product["id"], "quantity": 2}]}
    )
    assert order["total"] == "3.00"  # floatval("1.5-3") is 1.5
