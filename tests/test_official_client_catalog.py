"""End to end: the official ``woocommerce`` client drives the catalogue routes of ``woosim serve``
(categories, tags, variations), OAuth 1.0a over http."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_serve_cli import ServeProcess, start_serve
from woocommerce import API


@pytest.fixture
def served() -> Iterator[ServeProcess]:
    # The clock runs in real time: OAuth timestamps must be within 15 minutes of it.
    process = start_serve("--port", "0", "--seed", "catalog", "--products", "0")
    try:
        yield process
    finally:
        process.stop()


def client(served: ServeProcess) -> Any:
    return API(
        url=served.values["site_url"],
        consumer_key=served.values["consumer_key"],
        consumer_secret=served.values["consumer_secret"],
        version="wc/v3",
        timeout=20,
    )


def test_official_client_categories_and_tags(served: ServeProcess) -> None:
    wc = client(served)
    home = wc.post("products/categories", {"name": "Home"})
    assert home.status_code == 201, home.text
    kitchen = wc.post("products/categories", {"name": "Kitchen", "parent": home.json()["id"]})
    assert kitchen.status_code == 201, kitchen.text
    children = wc.get("products/categories", params={"parent": home.json()["id"]})
    assert [c["name"] for c in children.json()] == ["Kitchen"]
    renamed = wc.put(f"products/categories/{kitchen.json()['id']}", {"description": "Pots"})
    assert renamed.json()["description"] == "Pots"
    batch = wc.post("products/tags/batch", {"create": [{"name": "Blue"}, {"name": "Green"}]})
    assert [t["name"] for t in batch.json()["create"]] == ["Blue", "Green"]
    blue = batch.json()["create"][0]["id"]
    pan = wc.post(
        "products",
        {
            "name": "Pan",
            "regular_price": "30.00",
            "categories": [{"id": kitchen.json()["id"]}],
            "tags": [{"id": blue}],
        },
    )
    assert pan.status_code == 201, pan.text
    # The parent category finds the product of its child; the tag finds it too.
    for params in ({"category": str(home.json()["id"])}, {"tag": str(blue)}):
        assert [p["id"] for p in wc.get("products", params=params).json()] == [pan.json()["id"]]
    tags = wc.get("products/tags", params={"product": pan.json()["id"]})
    assert [t["name"] for t in tags.json()] == ["Blue"]
    gone = wc.delete(f"products/tags/{blue}", params={"force": "true"})
    assert gone.status_code == 200
    assert wc.get(f"products/{pan.json()['id']}").json()["tags"] == []


def test_official_client_variations(served: ServeProcess) -> None:
    wc = client(served)
    mug = wc.post(
        "products",
        {
            "name": "Mug",
            "type": "variable",
            "attributes": [{"name": "Size", "options": ["S", "L"], "variation": True}],
        },
    ).json()
    base = f"products/{mug['id']}/variations"
    small = wc.post(
        base, {"regular_price": "9.00", "attributes": [{"name": "Size", "option": "S"}]}
    )
    assert small.status_code == 201, small.text
    batch = wc.post(
        f"{base}/batch",
        {"create": [{"regular_price": "12.00", "attributes": [{"name": "Size", "option": "L"}]}]},
    )
    large = batch.json()["create"][0]
    listed = wc.get(base, params={"orderby": "id", "order": "asc"})
    assert [v["name"] for v in listed.json()] == ["S", "L"]
    updated = wc.put(f"{base}/{large['id']}", {"sale_price": "10.00"})
    assert updated.json()["on_sale"] is True
    assert wc.get(f"products/{mug['id']}").json()["variations"] == [small.json()["id"], large["id"]]
    order = wc.post("orders", {"line_items": [{"variation_id": large["id"], "quantity": 1}]})
    assert order.status_code == 201, order.text
    line = order.json()["line_items"][0]
    assert (line["product_id"], line["variation_id"], line["total"]) == (
        mug["id"],
        large["id"],
        "10.00",
    )
    assert wc.delete(f"{base}/{small.json()['id']}", params={"force": "true"}).status_code == 200
    assert [v["id"] for v in wc.get(base).json()] == [large["id"]]
