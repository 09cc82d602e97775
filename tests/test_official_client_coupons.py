"""End to end: the official ``woocommerce`` client drives every coupons route (woosim serve)."""

from __future__ import annotations

from test_official_client import client, served  # noqa: F401  (the fixture)
from test_serve_cli import ServeProcess


def test_official_client_coupons(served: ServeProcess) -> None:  # noqa: F811
    wc = client(served)
    made = wc.post("coupons", {"code": "Welcome10", "discount_type": "percent", "amount": "10"})
    assert made.status_code == 201, made.text
    coupon = made.json()
    assert coupon["code"] == "welcome10"
    assert made.headers["Location"].endswith(f"/coupons/{coupon['id']}")

    assert wc.get(f"coupons/{coupon['id']}").json()["amount"] == "10.00"
    listed = wc.get("coupons", params={"code": "WELCOME10"})
    assert [c["id"] for c in listed.json()] == [coupon["id"]]
    updated = wc.put(f"coupons/{coupon['id']}", {"description": "Ten off", "usage_limit": 5})
    assert (updated.json()["description"], updated.json()["usage_limit"]) == ("Ten off", 5)
    assert wc.options("coupons").json()["schema"]["title"] == "shop_coupon"

    # A priced simple product (a generated shop has variable ones too, priced per variation).
    product = next(p for p in wc.get("products").json() if p["type"] == "simple" and p["price"])
    order = wc.post(
        "orders",
        {
            "line_items": [{"product_id": product["id"], "quantity": 2}],
            "coupon_lines": [{"code": "WELCOME10"}],
        },
    )
    assert order.status_code == 201, order.text
    [line] = order.json()["coupon_lines"]
    assert line["code"] == "welcome10"
    subtotal = float(order.json()["line_items"][0]["subtotal"])
    assert float(line["discount"]) == float(order.json()["discount_total"]) > 0
    assert abs(float(line["discount"]) - subtotal / 10) < 0.01
    assert wc.get(f"coupons/{coupon['id']}").json()["usage_count"] == 1

    batch = wc.post("coupons/batch", {"create": [{"code": "second"}], "delete": [coupon["id"]]})
    assert batch.status_code == 200, batch.text
    second = batch.json()["create"][0]["id"]
    assert batch.json()["delete"][0]["id"] == coupon["id"]
    assert wc.delete(f"coupons/{second}").json()["status"] == "publish"
    assert wc.get(f"coupons/{second}").json()["status"] == "trash"
    assert wc.delete(f"coupons/{second}", params={"force": "true"}).status_code == 200
    assert wc.get(f"coupons/{second}").status_code == 404
