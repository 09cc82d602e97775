"""Customers over real HTTP."""

from __future__ import annotations

from typing import Any

from conftest import StoreFactory
from helpers import LiveStore

from simulator.render import Renderer

# WooCommerce 10.0.2 names the address as it was sent (recorded).
EXISTS = (
    "An account is already registered with JOHN.DOE@example.com. "
    "Please log in or use a different email address."
)


async def test_create_and_errors(store: LiveStore) -> None:
    response = await store.client.post(
        "customers",
        json={
            "email": "john.doe@example.com",
            "first_name": "John",
            "last_name": "Doe",
            "password": "hunter2",
            "billing": {"city": "San Francisco", "email": "john.doe@example.com"},
            "meta_data": [{"key": "tier", "value": "gold"}],
        },
    )
    assert response.status_code == 201
    customer = response.json()
    assert response.headers["Location"].endswith(f"/wp-json/wc/v3/customers/{customer['id']}")
    assert list(customer) == [
        "id", "date_created", "date_created_gmt", "date_modified", "date_modified_gmt", "email",
        "first_name", "last_name", "role", "username", "billing", "shipping",
        "is_paying_customer", "avatar_url", "meta_data", "_links",
    ]  # fmt: skip
    assert "password" not in response.text and "hunter2" not in response.text
    assert customer["username"] == "john.doe"
    assert customer["role"] == "customer"
    assert customer["billing"]["city"] == "San Francisco"
    assert list(customer["shipping"])[-1] == "phone" and "email" not in customer["shipping"]
    assert customer["meta_data"][0]["key"] == "tier"

    duplicate = await store.client.post("customers", json={"email": "JOHN.DOE@example.com"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "code": "registration-error-email-exists",
        "message": EXISTS,
        "data": {"status": 400},
    }
    missing = await store.client.post("customers", json={"first_name": "X"})
    assert missing.json()["code"] == "rest_missing_callback_param"
    assert missing.json()["message"] == "Missing parameter(s): email"
    # Creating checks the address in WC_Customer::set_email(), not by the route's schema.
    bad = await store.client.post("customers", json={"email": "nope"})
    assert bad.json() == {
        "code": "customer_invalid_email",
        "message": "Invalid email address",
        "data": {"status": 400},
    }
    empty = await store.client.post("customers", json={"email": ""})
    assert empty.json()["code"] == "registration-error-invalid-email"
    assert empty.json()["message"] == "Please provide a valid email address."
    other = (await store.client.post("customers", json={"email": "x@example.com"})).json()
    taken = await store.client.put(
        f"customers/{other['id']}", json={"email": "john.doe@example.com"}
    )
    assert taken.status_code == 400
    assert taken.json()["code"] == "woocommerce_rest_customer_invalid_email"


async def test_list_defaults_order_and_roles(store: LiveStore) -> None:
    for email, first in (
        ("z@example.com", "Zed"),
        ("a@example.com", "Amy"),
        ("m@example.com", "mia"),
    ):
        await store.client.post("customers", json={"email": email, "first_name": first})
    listed = await store.client.get("customers")
    assert [c["first_name"] for c in listed.json()] == ["Amy", "mia", "Zed"]
    assert listed.headers["X-WP-Total"] == "3"
    everyone = await store.client.get("customers", params={"role": "all"})
    assert "administrator" in {c["role"] for c in everyone.json()}
    assert everyone.headers["X-WP-Total"] == "4"
    desc = await store.client.get("customers", params={"order": "desc", "orderby": "id"})
    assert [c["first_name"] for c in desc.json()] == ["mia", "Amy", "Zed"]
    by_email = await store.client.get("customers", params={"email": "A@example.com"})
    assert [c["first_name"] for c in by_email.json()] == ["Amy"]
    search = await store.client.get("customers", params={"search": "mi"})
    assert [c["first_name"] for c in search.json()] == ["mia"]
    bad_role = await store.client.get("customers", params={"role": "king"})
    assert bad_role.status_code == 400


async def test_get_update_delete(store: LiveStore) -> None:
    customer = (await store.client.post("customers", json={"email": "d@example.com"})).json()
    # An unknown customer is 404 even for anonymous callers (the permission check says so).
    unknown = await store.anon.get("customers/99999")
    assert unknown.status_code == 404 and unknown.json()["code"] == "wc_user_invalid_id"
    assert (await store.anon.get(f"customers/{customer['id']}")).status_code == 401
    store.clock.advance(5)
    updated = await store.client.post(f"customers/{customer['id']}", json={"last_name": "Day"})
    assert updated.json()["last_name"] == "Day"
    assert updated.json()["date_modified_gmt"] == "2024-03-10T06:00:05"
    no_force = await store.client.delete(f"customers/{customer['id']}")
    assert no_force.status_code == 501
    assert no_force.json()["message"] == "Customers do not support trashing."
    deleted = await store.client.delete(f"customers/{customer['id']}", params={"force": "true"})
    assert deleted.status_code == 200 and deleted.json()["id"] == customer["id"]
    # Recorded from WooCommerce 10.0.2: the user's permission checks fail once it is
    # gone, so neither an Allow header nor the self link's targetHints.
    assert "Allow" not in deleted.headers
    (self_link,) = deleted.json()["_links"]["self"]
    assert list(self_link) == ["href"]
    gone = await store.client.get(f"customers/{customer['id']}")
    assert gone.status_code == 404 and "Allow" not in gone.headers
    missing_update = await store.client.put("customers/99999", json={"first_name": "Q"})
    assert missing_update.status_code == 404
    assert missing_update.json() == {
        "code": "wc_user_invalid_id",
        "message": "Invalid user ID.",
        "data": {"status": 404},
    }


async def test_batch(store: LiveStore) -> None:
    existing = (await store.client.post("customers", json={"email": "e@example.com"})).json()
    response = await store.client.post(
        "customers/batch",
        json={
            "create": [{"email": "f@example.com"}, {"email": "e@example.com"}],
            "update": [{"id": existing["id"], "first_name": "Eve"}],
            "delete": [existing["id"]],
        },
    )
    body = response.json()
    assert body["create"][0]["email"] == "f@example.com"
    assert body["create"][1]["error"]["code"] == "registration-error-email-exists"
    assert body["update"][0]["first_name"] == "Eve"
    assert body["delete"][0]["id"] == existing["id"]


async def test_list_fields_of_plain_fields_match_the_whole_rendering(
    make_store: StoreFactory,
) -> None:
    # Lists asking only for plain fields are answered without rendering whole customers:
    # the answer must be the whole rendering, filtered (New York: local dates differ).
    store = await make_store(timezone="America/New_York")
    for email in ("b@example.com", "a@example.com", "c@example.com"):
        created = await store.client.post(
            "customers", json={"email": email, "meta_data": [{"key": "k", "value": "v"}]}
        )
        assert created.status_code == 201, created.text
    await store.client.put(f"customers/{created.json()['id']}", json={"first_name": "Cy"})
    whole = (await store.client.get("customers", params={"orderby": "id"})).json()
    for fields in (
        "id,date_modified_gmt,date_created_gmt",
        "date_modified,id,email",
        "first_name,last_name,role,username,is_paying_customer,date_created",
        "id,date_created.day",  # reaches no value under a plain field: left out
        "id,billing.email,_links.self",  # not plain: the whole rendering, filtered
    ):
        listed = await store.client.get("customers", params={"orderby": "id", "_fields": fields})
        assert listed.status_code == 200, listed.text
        names = fields.split(",")
        expected = []
        for customer in whole:
            item: dict[str, Any] = {}
            for key, value in customer.items():
                if key in names:
                    item[key] = value
                elif isinstance(value, dict):
                    nested = {k: v for k, v in value.items() if f"{key}.{k}" in names}
                    if nested:
                        item[key] = nested
            expected.append(item)
        assert listed.json() == expected, fields
        assert [list(item) for item in listed.json()] == [list(item) for item in expected]
    assert Renderer.customer_part(["id", "date_modified_gmt"]) is not None
    assert Renderer.customer_part(["id", "billing.email"]) is None
    # One customer keeps its links whatever _fields asks.
    one = await store.client.get(f"customers/{whole[0]['id']}", params={"_fields": "id"})
    assert list(one.json()) == ["id", "_links"]
