"""A create naming an ``id``, for every resource at its own route, as a real WooCommerce
10.0.2 store answers (the parity area ``create_ids`` records the same)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from helpers import LiveStore

Body = Callable[[int], dict[str, Any]]

#: route, a valid create body (unique by n), the refusal's code and message.
REFUSING: list[tuple[str, Body, str, str]] = [
    (
        "products",
        lambda n: {"name": f"Mug {n}"},
        "woocommerce_rest_product_exists",
        "Cannot create existing product.",
    ),
    (
        "orders",
        lambda n: {"status": "pending"},
        "woocommerce_rest_shop_order_exists",
        "Cannot create existing shop_order.",
    ),
    (
        "coupons",
        lambda n: {"code": f"save-{n}"},
        "woocommerce_rest_shop_coupon_exists",
        "Cannot create existing shop_coupon.",
    ),
    (
        "customers",
        lambda n: {"email": f"buyer-{n}@example.com"},
        "woocommerce_rest_customer_exists",
        "Cannot create existing resource.",
    ),
    (
        "webhooks",
        lambda n: {
            "topic": "order.created",
            "delivery_url": "https://hooks.example.com/",
            "status": "disabled",
        },
        "woocommerce_rest_shop_webhook_exists",
        "Cannot create existing shop_webhook.",
    ),
]


async def _ids(store: LiveStore, route: str) -> list[int]:
    params = {"per_page": "100", "role": "all"} if route == "customers" else {"per_page": "100"}
    return sorted(r["id"] for r in (await store.client.get(route, params=params)).json())


CASES = pytest.mark.parametrize(
    ("route", "body", "code", "message"), REFUSING, ids=[r[0] for r in REFUSING]
)


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": 400}}


@CASES
async def test_a_string_zero_id_is_empty_and_the_record_is_made(
    store: LiveStore, route: str, body: Body, code: str, message: str
) -> None:
    """``! empty( $request['id'] )``: "0" is empty in PHP, so the record is made with a
    new id (alone and as a batch item); "0.0" and -1 are not, and nothing is made."""
    n = count()
    before = await _ids(store, route)
    for named in ("0.0", -1):
        answer = await store.client.post(route, json={**body(next(n)), "id": named})
        assert (answer.status_code, answer.json()) == (400, _refusal(code, message)), named
    assert await _ids(store, route) == before
    made = await store.client.post(route, json={**body(next(n)), "id": "0"})
    assert made.status_code == 201, made.text
    assert made.json()["id"] not in before
    batch = await store.client.post(
        f"{route}/batch",
        json={"create": [{**body(next(n)), "id": "0"}, {**body(next(n)), "id": "0.0"}]},
    )
    made_item, refused_item = batch.json()["create"]
    assert made_item["id"] not in (0, *before)
    assert refused_item == {"id": 0, "error": _refusal(code, message)}


@CASES
async def test_the_query_id_counts_when_the_body_names_none(
    store: LiveStore, route: str, body: Body, code: str, message: str
) -> None:
    """``$request['id']`` is the body's, or the query's when the body's is null: ``?id=5``
    is refused (a batch's create items too), ``?id=0`` is empty."""
    n = count()
    before = await _ids(store, route)
    for named in ({}, {"id": None}):
        answer = await store.client.post(route, params={"id": "5"}, json={**body(next(n)), **named})
        assert (answer.status_code, answer.json()) == (400, _refusal(code, message)), named
    assert await _ids(store, route) == before
    made = await store.client.post(route, params={"id": "0"}, json=body(next(n)))
    assert made.status_code == 201, made.text
    batch = await store.client.post(
        f"{route}/batch", params={"id": "999999"}, json={"create": [body(next(n))]}
    )
    assert batch.json() == {"create": [{"id": 0, "error": _refusal(code, message)}]}


@pytest.mark.parametrize("route", ["products/categories", "products/tags"])
async def test_a_term_create_naming_an_id_must_name_a_term_of_the_taxonomy(
    store: LiveStore, route: str
) -> None:
    """The terms controller's permission check reads the id with ``intval``: a term of
    the taxonomy (or 0) passes and a new term is made, anything else is 404 before the
    capability check, with no ``Allow`` header; a batch naming one too."""
    other_route = "products/tags" if route == "products/categories" else "products/categories"
    own = (await store.client.post(route, json={"name": "Own"})).json()["id"]
    other = (await store.client.post(other_route, json={"name": "Other"})).json()["id"]
    invalid = {
        "code": "woocommerce_rest_term_invalid",
        "message": "Resource does not exist.",
        "data": {"status": 404},
    }
    n = count()
    for named in (own, str(own), f"{own}abc", 0, "abc", "0.0", []):
        made = await store.client.post(route, json={"name": f"T{next(n)}", "id": named})
        assert made.status_code == 201, named
        assert made.json()["id"] not in (own, other)
    for named, params in (
        ({"id": other}, {}),
        ({"id": 999999}, {}),
        ({"id": True}, {}),
        ({"id": 1.5}, {}),
        ({}, {"id": "999999"}),
    ):
        answer = await store.client.post(
            route, params=params, json={"name": f"T{next(n)}", **named}
        )
        assert (answer.status_code, answer.json()) == (404, invalid), (named, params)
        assert "allow" not in answer.headers
    anonymous = await store.anon.post(route, json={"name": "Anon", "id": 999999})
    assert (anonymous.status_code, anonymous.json()) == (404, invalid)
    # The schema check comes first, but the answer still lists no method.
    nameless = await store.client.post(route, json={"id": 999999})
    assert nameless.json()["code"] == "rest_missing_callback_param"
    assert "allow" not in nameless.headers
    allowed = await store.client.post(route, json={"name": "Allowed", "id": own})
    assert allowed.headers["allow"] == "GET, POST"

    for named, params in (({"id": 999999}, {}), ({}, {"id": "999999"})):
        batch = await store.client.post(
            f"{route}/batch", params=params, json={**named, "create": [{"name": "B"}]}
        )
        assert (batch.status_code, batch.json()) == (404, invalid), (named, params)
    batch = await store.client.post(
        f"{route}/batch",
        json={"create": [{"name": "B1", "id": own}, {"name": "B2", "id": other}]},
    )
    made_item, refused_item = batch.json()["create"]
    assert made_item["name"] == "B1"
    assert refused_item == {"id": 0, "error": invalid}
