"""End to end: the official ``woocommerce`` client (OAuth 1.0a over http) drives the
refunds and order notes routes of ``woosim serve``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_official_client import client
from test_serve_cli import ServeProcess, start_serve


@pytest.fixture
def served() -> Iterator[ServeProcess]:
    # The clock runs in real time: OAuth timestamps must be within 15 minutes of it.
    process = start_serve("--port", "0", "--seed", "e2e-refunds", "--products", "3")
    try:
        yield process
    finally:
        process.stop()


def test_official_client_refunds_and_notes(served: ServeProcess) -> None:
    wc = client(served)
    product = wc.get("products").json()[0]
    order = wc.post(
        "orders",
        {
            "payment_method": "bacs",
            "set_paid": True,
            "line_items": [{"product_id": product["id"], "quantity": 2}],
        },
    ).json()
    order_id, line = order["id"], order["line_items"][0]

    refund = wc.post(
        f"orders/{order_id}/refunds",
        {
            "api_refund": False,
            "reason": "Damaged",
            "line_items": [{"id": line["id"], "quantity": 1, "refund_total": line["price"]}],
        },
    )
    assert refund.status_code == 201, refund.text
    refund_id = refund.json()["id"]
    assert wc.get(f"orders/{order_id}/refunds/{refund_id}").json()["reason"] == "Damaged"
    assert [r["id"] for r in wc.get(f"orders/{order_id}/refunds").json()] == [refund_id]
    assert [r["parent_id"] for r in wc.get("refunds").json()] == [order_id]
    assert wc.get(f"orders/{order_id}").json()["refunds"][0]["id"] == refund_id

    note = wc.post(f"orders/{order_id}/notes", {"note": "Called the customer"})
    assert note.status_code == 201, note.text
    note_id = note.json()["id"]
    customer_note = wc.post(
        f"orders/{order_id}/notes", {"note": "On its way", "customer_note": True}
    ).json()
    listed = wc.get(f"orders/{order_id}/notes", params={"type": "customer"}).json()
    assert [n["id"] for n in listed] == [customer_note["id"]]
    assert wc.get(f"orders/{order_id}/notes/{note_id}").json()["note"] == "Called the customer"
    # The store wrote its own: the payment's status change.
    texts = [n["note"] for n in wc.get(f"orders/{order_id}/notes").json()]
    assert "Order status changed from Pending payment to Processing." in texts
    assert wc.delete(f"orders/{order_id}/notes/{note_id}", params={"force": True}).ok
    assert wc.delete(f"orders/{order_id}/refunds/{refund_id}").status_code == 200
    assert wc.get(f"orders/{order_id}/refunds").json() == []
