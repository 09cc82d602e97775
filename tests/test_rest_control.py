"""Control plane, products, the index and system_status over real HTTP; the woosim fixture."""

from __future__ import annotations

import pytest
from helpers import LiveStore

from pytest_woosim.harness.store import WoosimHandle


async def test_clock_generate_reset_settings(store: LiveStore) -> None:
    site = store.server.site_url
    clock = await store.client.post(f"{site}/_woosim/clock", json={"advance": 90})
    assert clock.json()["now"] == "2024-03-10T06:01:30Z"
    clock = await store.client.post(f"{site}/_woosim/clock", json={"set": "2024-04-01T00:00:00Z"})
    assert clock.json()["now"] == "2024-04-01T00:00:00Z" and clock.json()["frozen"] is True
    made = await store.client.post(
        f"{site}/_woosim/generate", json={"customers": 5, "orders": 20, "products": 4, "seed": "s"}
    )
    assert made.json() == {"customers": 5, "products": 4, "orders": 20}
    assert (await store.client.get("orders")).headers["X-WP-Total"] == "20"
    settings = (await store.client.get(f"{site}/_woosim/settings")).json()
    assert settings["woocommerce_version"] == "10.0.2" and settings["timezone"] == "UTC"
    assert store.sim.keys.default.consumer_secret not in str(settings)
    reset = await store.client.post(f"{site}/_woosim/reset")
    assert reset.status_code == 200
    assert (await store.client.get("orders")).headers["X-WP-Total"] == "0"
    assert (await store.client.get("orders")).status_code == 200  # credentials survive


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("clock", {"set": "soon"}, "set"),
        ("clock", {"advance": -1}, "advance"),
        ("clock", {"frozen": "yes"}, "frozen"),
        ("clock", {"speed": 2}, "speed"),
        ("generate", {"orders": "many"}, "orders"),
        ("generate", {"customers": -1}, "customers"),
    ],
)
async def test_control_bad_fields(
    store: LiveStore, path: str, body: dict[str, object], field: str
) -> None:
    response = await store.client.post(f"{store.server.site_url}/_woosim/{path}", json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


async def test_control_bad_json(store: LiveStore) -> None:
    response = await store.client.post(
        f"{store.server.site_url}/_woosim/generate",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["code"] == "rest_invalid_json"


async def test_products_crud_and_filters(store: LiveStore) -> None:
    mug = (
        await store.client.post(
            "products", json={"name": "Mug", "regular_price": "8", "sku": "M-1"}
        )
    ).json()
    assert (
        mug["price"] == "8"  # as written (WooCommerce stores the price string)
        and mug["slug"] == "mug"
        and mug["categories"][0]["slug"] == "uncategorized"
    )
    dup = await store.client.post("products", json={"name": "Mug", "sku": "M-1"})
    assert dup.status_code == 400 and dup.json()["code"] == "product_invalid_sku"
    cap = (
        await store.client.post(
            "products", json={"name": "Cap", "regular_price": "20", "sale_price": "15"}
        )
    ).json()
    assert cap["on_sale"] is True
    on_sale = await store.client.get("products", params={"on_sale": "true"})
    assert [p["id"] for p in on_sale.json()] == [cap["id"]]
    cheap = await store.client.get("products", params={"max_price": "10"})
    assert [p["id"] for p in cheap.json()] == [mug["id"]]
    assert (await store.client.get("products", params={"sku": "M-1"})).json()[0]["id"] == mug["id"]
    trashed = await store.client.delete(f"products/{mug['id']}")
    assert trashed.json()["status"] == "publish"  # the product as it was
    assert (await store.client.get(f"products/{mug['id']}")).json()["status"] == "trash"
    restored = await store.client.post(
        f"{store.server.site_url}/_woosim/products/{mug['id']}/restore"
    )
    assert restored.json()["status"] == "publish"
    assert (
        await store.client.delete(f"products/{mug['id']}", params={"force": "1"})
    ).status_code == 200


async def test_index_and_system_status(store: LiveStore) -> None:
    index = (await store.anon.get(f"{store.server.site_url}/wp-json/")).json()
    assert "wc/v3" in index["namespaces"]
    assert index["url"] == store.server.site_url
    assert "/wc/v3/orders/(?P<id>[\\d]+)" in index["routes"]
    assert (await store.anon.get("system_status")).status_code == 401
    status = (await store.client.get("system_status")).json()
    assert status["environment"]["version"] == "10.0.2"
    assert status["environment"]["wp_version"] == "6.8.8"


@pytest.mark.woosim
def test_woosim_fixture_is_reset_and_has_a_client(woosim: WoosimHandle) -> None:
    assert woosim.client.get("orders").json() == []
    woosim.generate("fixture", customers=2, orders=3)
    response = woosim.client.get("orders")
    assert response.headers["X-WP-Total"] == "3"
    assert woosim.api_url == woosim.site_url + "/wp-json/wc/v3"


@pytest.mark.woosim
def test_woosim_fixture_starts_empty_again(woosim: WoosimHandle) -> None:
    assert woosim.client.get("orders").headers["X-WP-Total"] == "0"
    assert woosim.sim.internal_errors == []
