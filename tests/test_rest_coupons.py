"""Coupons and coupon lines over real HTTP, with the figures of a real WooCommerce 10.0.2 store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import LiveStore
from webhook_helpers import Receiver

from simulator.discounts import Discounts, Item, Rule, php_round
from simulator.resources import declare
from simulator.resources.coupons import COUPON

EMAIL = "cpn@example.com"


async def _product(store: LiveStore, sku: str, price: str, sale: str | None = None) -> int:
    body: dict[str, Any] = {"name": f"Product {sku}", "sku": sku, "regular_price": price}
    if sale is not None:
        body["sale_price"] = sale
    response = await store.client.post("products", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _coupon(store: LiveStore, **body: Any) -> dict[str, Any]:
    response = await store.client.post("coupons", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _catalogue(store: LiveStore) -> tuple[int, int, int]:
    """The recording's three products: 19.99, 7.33 and 3.10 on sale at 2.50."""
    return (
        await _product(store, "cpn-a", "19.99"),
        await _product(store, "cpn-b", "7.33"),
        await _product(store, "cpn-c", "3.10", "2.50"),
    )


def _order(lines: list[tuple[int, int]], *codes: str) -> dict[str, Any]:
    return {
        "billing": {"first_name": "Cpn", "email": EMAIL},
        "line_items": [{"product_id": p, "quantity": q} for p, q in lines],
        "coupon_lines": [{"code": code} for code in codes],
    }


# ---------------------------------------------------------------------- the arithmetic
def _items(lines: list[tuple[int, int]]) -> list[Item]:
    return [
        Item(key=n, price=price * q, quantity=q, product_id=n + 1)
        for n, (price, q) in enumerate(lines)
    ]


@pytest.mark.parametrize(
    ("rule", "lines", "totals"),
    [
        # Figures of a real WooCommerce 10.0.2 store (the coupons parity area).
        (Rule("ten", "percent", 10.0), [(1999, 3), (733, 1), (250, 2)], [5397, 660, 450]),
        (Rule("five", "fixed_cart", 5.0), [(1999, 3), (733, 1), (250, 2)], [5746, 650, 334]),
        (Rule("five", "fixed_cart", 5.0), [(733, 3), (250, 1)], [1824, 125]),
        (Rule("five", "fixed_cart", 5.0), [(250, 1)], [0]),
        (Rule("each", "fixed_product", 1.25), [(1999, 3), (733, 1), (250, 2)], [5622, 608, 250]),
    ],
)
def test_discounts_spread_as_the_real_store_spreads_them(
    rule: Rule, lines: list[tuple[int, int]], totals: list[int]
) -> None:
    items = _items(lines)
    discounts = Discounts.of(items)
    discounts.apply(rule)
    assert [item.price - discounts.given(item.key) for item in items] == totals


def test_two_coupons_take_what_the_first_left() -> None:
    items = _items([(1999, 3), (733, 1), (250, 2)])
    discounts = Discounts.of(items)
    discounts.apply(Rule("ten", "percent", 10.0))
    discounts.apply(Rule("five", "fixed_cart", 5.0))
    assert (discounts.total("ten"), discounts.total("five")) == (723, 500)
    assert [item.price - discounts.given(item.key) for item in items] == [5146, 577, 284]


def test_php_round_pre_rounds_then_rounds_half_down_for_discounts() -> None:
    assert php_round(0.285 * 100) == 29  # 28.499999999999996 counts as 28.5
    assert php_round(0.285 * 100, mode_half_down=True) == 28
    assert php_round(899.55, mode_half_down=True) == 900
    assert php_round(-2.5) == -3


# ---------------------------------------------------------------------- the resource
async def test_create_read_update_and_refusals(store: LiveStore) -> None:
    made = await _coupon(
        store,
        code="  Spring-SALE ",
        amount="12.5",
        discount_type="percent",
        status="draft",
        description="Ten <script>x</script><b>off</b>",
        email_restrictions=["Someone@Example.com", "not-an-email"],
        usage_limit=0,
    )
    assert declare.mismatches(COUPON, made) == []
    assert made["code"] == "spring-sale"
    assert made["amount"] == "12.50"
    assert made["status"] == "publish"  # a REST write never sets the post status
    assert made["description"] == "Ten x<b>off</b>"
    assert made["email_restrictions"] == ["someone@example.com"]
    assert made["usage_limit"] is None
    assert made["minimum_amount"] == "0.00"

    taken = await store.client.post("coupons", json={"code": "SPRING-sale"})
    assert taken.status_code == 400
    assert taken.json()["code"] == "woocommerce_rest_coupon_code_already_exists"
    missing = await store.client.post("coupons", json={"amount": "1"})
    assert missing.json()["code"] == "rest_missing_callback_param"
    blank = await store.client.post("coupons", json={"code": "  "})
    assert blank.json()["code"] == "woocommerce_rest_empty_coupon_code"
    typed = await store.client.post("coupons", json={"code": "x1", "amount": 10})
    assert typed.json()["data"]["params"] == {"amount": "amount is not of type string."}
    unknown = await store.client.get("coupons/999999")
    assert (unknown.status_code, unknown.json()["code"]) == (
        404,
        "woocommerce_rest_shop_coupon_invalid_id",
    )

    store.clock.advance(5)
    ident = made["id"]
    # Only a change of code or description touches the post (and its modified date).
    meta_only = (await store.client.put(f"coupons/{ident}", json={"amount": "20"})).json()
    assert meta_only["amount"] == "20.00"
    assert meta_only["date_modified_gmt"] == made["date_modified_gmt"]
    over = await store.client.put(f"coupons/{ident}", json={"amount": "101"})
    assert (over.status_code, over.json()["code"]) == (400, "coupon_invalid_amount")
    renamed = (await store.client.put(f"coupons/{ident}", json={"code": "Summer"})).json()
    assert renamed["code"] == "summer"
    assert renamed["date_modified_gmt"] != made["date_modified_gmt"]


async def test_list_parameters(store: LiveStore) -> None:
    first = await _coupon(store, code="alpha", description="first one")
    second = await _coupon(store, code="beta")
    store.clock.advance(1)
    third = await _coupon(store, code="gamma")

    async def ids(**params: Any) -> list[int]:
        response = await store.client.get("coupons", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()]

    assert await ids() == [third["id"], second["id"], first["id"]]
    assert await ids(code="BETA") == [second["id"]]
    assert await ids(code="nothing") == []
    assert await ids(code=" ") == [third["id"], second["id"], first["id"]]
    assert await ids(search="first") == [first["id"]]
    assert await ids(orderby="title", order="asc") == [first["id"], second["id"], third["id"]]
    include = f"{third['id']},{first['id']}"
    assert await ids(orderby="include", include=include) == [third["id"], first["id"]]
    assert await ids(status="bogus") == [third["id"], second["id"], first["id"]]
    assert await ids(status="draft") == []
    page = await store.client.get("coupons", params={"per_page": 2})
    assert (page.headers["X-WP-Total"], page.headers["X-WP-TotalPages"]) == ("3", "2")
    bad = await store.client.get("coupons", params={"orderby": "amount"})
    assert bad.status_code == 400

    trashed = await store.client.delete(f"coupons/{second['id']}")
    assert trashed.json()["status"] == "publish"  # answered as it was read before
    again = await store.client.delete(f"coupons/{second['id']}")
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    assert await ids(status="trash") == [second["id"]]
    gone = await store.client.delete(f"coupons/{second['id']}", params={"force": "true"})
    assert gone.status_code == 200
    assert (await store.client.get(f"coupons/{second['id']}")).status_code == 404


async def test_batch_answers_each_item(store: LiveStore) -> None:
    kept = await _coupon(store, code="kept")
    response = await store.client.post(
        "coupons/batch",
        json={
            "create": [{"code": "made"}, {"code": "KEPT"}],
            "update": [{"id": kept["id"], "amount": "3"}, {"amount": "4"}],
            "delete": [999999],
        },
    )
    body = response.json()
    assert [item.get("code") for item in body["create"]] == ["made", None]
    assert body["create"][1]["id"] == 0
    assert body["update"][0]["amount"] == "3.00"
    assert body["update"][1]["id"] is None
    assert body["delete"][0]["error"]["code"] == "woocommerce_rest_shop_coupon_invalid_id"


# ---------------------------------------------------------------------- coupon lines
async def test_coupon_lines_total_to_the_cent(store: LiveStore) -> None:
    a, b, c = await _catalogue(store)
    ten = await _coupon(store, code="TEN", discount_type="percent", amount="10")
    await _coupon(store, code="five", discount_type="fixed_cart", amount="5")
    response = await store.client.post(
        "orders", json=_order([(a, 3), (b, 1), (c, 2)], "ten", "FIVE")
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert [line["total"] for line in order["line_items"]] == ["51.46", "5.77", "2.84"]
    assert order["line_items"][0]["price"] == 17.153333333333332
    assert (order["discount_total"], order["total"]) == ("12.23", "60.07")
    ten_line, five_line = order["coupon_lines"]
    assert list(ten_line) == [
        "id", "code", "discount", "discount_tax", "meta_data", "discount_type",
        "nominal_amount", "free_shipping",
    ]  # fmt: skip
    assert (ten_line["code"], ten_line["discount"], ten_line["discount_tax"]) == (
        "ten",
        "7.23",
        "0",
    )
    assert ten_line["meta_data"][0]["value"] == f'[{ten["id"]},"ten","percent",10]'
    assert (five_line["discount"], five_line["discount_type"], five_line["nominal_amount"]) == (
        "5",
        "fixed_cart",
        5,
    )

    # Replacing the coupons recomputes every line; [] removes them all.
    replaced = await store.client.put(
        f"orders/{order['id']}", json={"coupon_lines": [{"code": "five"}]}
    )
    assert [line["total"] for line in replaced.json()["line_items"]] == ["57.46", "6.50", "3.34"]
    cleared = await store.client.put(f"orders/{order['id']}", json={"coupon_lines": []})
    assert cleared.json()["coupon_lines"] == [] and cleared.json()["total"] == "72.30"


async def test_a_refused_code_leaves_a_draft_order(store: LiveStore) -> None:
    a, _, _ = await _catalogue(store)
    response = await store.client.post("orders", json=_order([(a, 1)], "nope"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "woocommerce_rest_invalid_coupon"
    assert body["message"] == "Coupon &quot;nope&quot; cannot be applied because it does not exist."
    draft = (await store.client.get(f"orders/{body['data']['new_draft_order_id']}")).json()
    assert (draft["status"], draft["total"], draft["needs_payment"]) == (
        "checkout-draft",
        "19.99",
        True,
    )

    await _coupon(store, code="big", minimum_amount="50")
    small = await store.client.post("orders", json=_order([(a, 1)], "big"))
    assert small.json()["message"].startswith("The minimum spend for coupon &quot;big&quot; is ")
    readonly = await store.client.post(
        "orders", json={**_order([(a, 1)]), "coupon_lines": [{"id": 3, "code": "big"}]}
    )
    assert readonly.json()["code"] == "woocommerce_rest_coupon_item_id_readonly"


async def test_usage_count_and_used_by_follow_the_order(store: LiveStore) -> None:
    a, _, _ = await _catalogue(store)
    once = await _coupon(store, code="once", amount="1", usage_limit=1)
    order = (await store.client.post("orders", json=_order([(a, 1)], "once"))).json()
    used = (await store.client.get(f"coupons/{once['id']}")).json()
    assert (used["usage_count"], used["used_by"]) == (1, [EMAIL])
    again = await store.client.post("orders", json=_order([(a, 1)], "once"))
    assert again.json()["message"] == "Usage limit for coupon &quot;once&quot; has been reached."
    await store.client.put(f"orders/{order['id']}", json={"status": "cancelled"})
    released = (await store.client.get(f"coupons/{once['id']}")).json()
    assert (released["usage_count"], released["used_by"]) == (0, [])


async def test_trashing_a_product_fires_coupon_deleted(
    store: LiveStore, receiver: Receiver
) -> None:
    hook = await store.client.post(
        "webhooks", json={"topic": "coupon.deleted", "delivery_url": receiver.url()}
    )
    assert hook.status_code == 201
    await receiver.wait(1)  # the ping
    product = await _product(store, "gone", "1.00")
    await store.client.delete(f"products/{product}")
    _, delivery = await receiver.wait(2)
    assert delivery.headers["X-WC-Webhook-Topic"] == "coupon.deleted"
    assert json.loads(delivery.body) == {"id": product}


async def test_a_customers_uses_count_against_the_per_user_limit(store: LiveStore) -> None:
    a, _, _ = await _catalogue(store)
    customer = (await store.client.post("customers", json={"email": "buyer@example.com"})).json()
    coupon = await _coupon(store, code="mine", amount="1", usage_limit_per_user=1)
    body = {**_order([(a, 1)], "mine"), "customer_id": customer["id"]}
    assert (await store.client.post("orders", json=body)).status_code == 201
    used = (await store.client.get(f"coupons/{coupon['id']}")).json()
    # A customer's use is recorded as the user id, as text (recorded from 10.0.2).
    assert used["used_by"] == [str(customer["id"])]
    again = await store.client.post("orders", json=body)
    assert again.json()["message"] == "Usage limit for coupon &quot;mine&quot; has been reached."
    assert again.json()["data"]["new_draft_order_id"] > 0


@pytest.mark.parametrize(
    "value", ["99999999999999999999", "-99999999999999", "9999-12-31T23:59:59-14:00"]
)
async def test_an_expiry_no_calendar_can_show_is_refused(store: LiveStore, value: str) -> None:
    response = await store.client.post("coupons", json={"code": "far", "date_expires": value})
    assert response.status_code == 400, response.text
    assert response.json()["data"]["params"] == {"date_expires": "Invalid date."}


async def test_expiry_values(store: LiveStore) -> None:
    made = await _coupon(store, code="dated", date_expires="2031-06-01T10:00:00Z")
    assert (made["date_expires"], made["date_expires_gmt"]) == (
        "2031-06-01T10:00:00",  # the test store runs in UTC
        "2031-06-01T10:00:00",
    )
    kept = await store.client.put(f"coupons/{made['id']}", json={"date_expires": None})
    assert kept.json()["date_expires_gmt"] == "2031-06-01T10:00:00"
    cleared = await store.client.put(f"coupons/{made['id']}", json={"date_expires": "0"})
    assert cleared.json()["date_expires"] is None
    stamp = await store.client.put(f"coupons/{made['id']}", json={"date_expires": "1900000000"})
    assert stamp.json()["date_expires_gmt"] == "2030-03-17T17:46:40"
    soon = await store.client.put(f"coupons/{made['id']}", json={"date_expires": "soon"})
    assert soon.json()["date_expires_gmt"] == "1970-01-01T00:00:00"


@pytest.mark.parametrize("field", ["amount", "minimum_amount", "maximum_amount"])
async def test_an_amount_past_a_doubles_cents_is_refused(store: LiveStore, field: str) -> None:
    response = await store.client.post("coupons", json={"code": "huge", field: "9" * 400})
    assert response.status_code == 400, response.text
    assert list(response.json()["data"]["params"]) == [field]
    # What is no number at all is no error: it is stored as 0.
    taken = await store.client.post("coupons", json={"code": "words", field: "lots"})
    assert taken.json()[field] == "0.00"
