"""``woosim trigger``, ``/_woosim/trigger`` and ``woosim.trigger()``: flows run on the store.

What each flow does is checked against a real store's recordings in
``tests/flows/test_recorded.py``; here: the control API's answers and errors, the
fixture method (sync and async), and the command against a real ``woosim serve``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from test_serve_cli import start_serve

from pytest_woosim.harness.store import StoreRequestError
from pytest_woosim.harness.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.woosim

FLOW_NAMES = [
    "checkout-paid",
    "order-completed",
    "order-cancelled",
    "payment-failed",
    "refund-partial",
    "refund-full",
    "coupon-applied",
    "customer-signup",
]


def _product(woosim: Any, stock: int = 20) -> dict[str, Any]:
    body = {"name": "Mug", "sku": "mug", "regular_price": "7.50", "manage_stock": True}
    product: dict[str, Any] = woosim.client.post(
        "products", json={**body, "stock_quantity": stock}
    ).json()
    return product


# ---------------------------------------------------------------------- control API
def test_the_list_says_what_each_flow_does_and_takes(woosim: Any) -> None:
    answer = woosim.control.get("trigger")
    assert answer.status_code == 200
    flows = {flow["name"]: flow for flow in answer.json()["flows"]}
    assert list(flows) == FLOW_NAMES
    assert set(flows["checkout-paid"]["options"]) == {
        "customer",
        "product",
        "quantity",
        "payment_method",
    }
    assert list(flows["order-completed"]["options"]) == ["order"]
    assert "processing -> completed" in flows["order-completed"]["description"]
    assert woosim.flows() == answer.json()["flows"]


def test_a_checkout_answers_what_it_did_on_the_store_clock(
    woosim: Any, woosim_webhook_receiver: WebhookReceiver
) -> None:
    woosim.clock.set(datetime(2025, 3, 4, 15, 30, tzinfo=UTC))
    product = _product(woosim)
    hooks = {
        topic: woosim.create_webhook(topic, woosim_webhook_receiver.url)["id"]
        for topic in ("order.created", "order.updated", "product.updated", "customer.updated")
    }
    customer = woosim.create_customer(first_name="Ada")
    woosim_webhook_receiver.wait_for_deliveries(1)  # customer.updated of the new customer
    woosim_webhook_receiver.clear()
    answer = woosim.control.post(
        "trigger",
        json={"flow": "checkout-paid", "product": product["id"], "quantity": 3,
              "customer": customer["id"], "payment_method": "bacs"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    report = answer.json()
    order_id = report["order"]
    assert (report["flow"], report["product"], report["customer"]) == (
        "checkout-paid",
        product["id"],
        customer["id"],
    )
    assert report["steps"] == [
        f"order {order_id}: checkout-draft (store-api, 3 x product {product['id']})",
        f"customer {customer['id']}: addresses saved from the checkout",
        f"order {order_id}: checkout-draft -> pending",
        f"order {order_id}: pending -> on-hold",
    ]
    assert [note["note"] for note in report["notes"]] == [
        "Stock hold of 60 minutes applied to: <br>- Mug (mug) &times; 3",
        "Order status changed from Draft to Pending payment.",
        "Stock levels reduced: Mug (mug) 20&rarr;17",
        "Awaiting BACS payment Order status changed from Pending payment to On hold.",
    ]
    assert report["webhooks"] == [
        {"webhook_id": hooks["order.updated"], "topic": "order.updated", "resource_id": order_id},
        {"webhook_id": hooks["customer.updated"], "topic": "customer.updated",
         "resource_id": customer["id"]},
        {"webhook_id": hooks["order.created"], "topic": "order.created", "resource_id": order_id},
        {"webhook_id": hooks["product.updated"], "topic": "product.updated",
         "resource_id": product["id"]},
    ]  # fmt: skip
    assert {"resource": "order", "id": order_id, "changes": ["updated", "created"]} in report[
        "records"
    ]
    order = woosim.client.get(f"orders/{order_id}").json()
    assert (order["status"], order["created_via"], order["customer_id"]) == (
        "on-hold",
        "store-api",
        customer["id"],
    )
    assert order["payment_method_title"] == "Direct bank transfer"
    assert order["billing"]["email"] == customer["email"]
    assert order["date_created_gmt"] == "2025-03-04T15:30:00"
    assert woosim.client.get(f"products/{product['id']}").json()["stock_quantity"] == 17
    delivered = woosim_webhook_receiver.wait_for_deliveries(4)
    assert [(d.topic, d.payload["id"]) for d in delivered] == [
        ("order.updated", order_id),
        ("customer.updated", customer["id"]),
        ("order.created", order_id),
        ("product.updated", product["id"]),
    ]


def test_a_flow_without_an_order_makes_the_one_it_needs_and_says_so(woosim: Any) -> None:
    report = woosim.trigger("order-completed")
    prepared = report["prepared"]
    assert prepared["flow"] == "checkout-paid"
    assert prepared["order"] == report["order"]
    assert prepared["steps"][0].startswith("created product ")  # an empty store sells one
    assert report["steps"] == [f"order {report['order']}: processing -> completed"]
    order = woosim.client.get(f"orders/{report['order']}").json()
    assert order["status"] == "completed"
    assert order["date_paid"] and order["date_completed"]  # cash on delivery: paid now


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "flow", "must name a flow"),
        ({"flow": "refund-everything"}, "flow", "unknown flow 'refund-everything'"),
        ({"flow": 7}, "flow", "must name a flow"),
        ({"flow": "checkout-paid", "quantity": 0}, "quantity", "from 1 to 1000"),
        ({"flow": "checkout-paid", "quantity": "2"}, "quantity", "whole number"),
        ({"flow": "checkout-paid", "payment_method": "stripe"}, "payment_method", "cod, bacs"),
        ({"flow": "checkout-paid", "product": 999}, "product", "no product 999"),
        ({"flow": "checkout-paid", "customer": 999}, "customer", "no customer 999"),
        ({"flow": "checkout-paid", "customer": True}, "customer", "record id"),
        ({"flow": "checkout-paid", "order": 5}, "order", "unknown option"),
        ({"flow": "order-completed", "order": 999}, "order", "no order 999"),
        ({"flow": "customer-signup", "email": "nobody"}, "email", "e-mail address"),
        ({"flow": "refund-partial", "amount": 5}, "amount", '"5.00"'),
        ({"flow": "refund-partial", "amount": "-1"}, "amount", '"5.00"'),
        ({"flow": "coupon-applied", "coupon": "nope"}, "coupon", "no coupon 'nope'"),
    ],
)
def test_bad_requests_name_the_field_and_change_nothing(
    woosim: Any, body: dict[str, Any], field: str, words: str
) -> None:
    answer = woosim.control.post("trigger", json=body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "woosim_invalid_request"
    assert error["data"]["field"] == field
    assert error["message"].startswith(f"{field}: ") and words in error["message"]
    assert woosim.client.get("orders").json() == []
    assert woosim.client.get("products").json() == []


def test_an_order_in_the_wrong_status_is_refused(woosim: Any) -> None:
    done = woosim.trigger("order-completed")
    answer = woosim.control.post("trigger", json={"flow": "payment-failed", "order": done["order"]})
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        f"order: order {done['order']} is completed; payment-failed starts from pending or on-hold"
    )
    assert woosim.client.get(f"orders/{done['order']}").json()["status"] == "completed"


def test_a_body_that_is_not_an_object_is_refused(woosim: Any) -> None:
    answer = woosim.control.post(
        "trigger", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["data"]["field"] == "body"


def test_refunds_partial_then_full(woosim: Any) -> None:
    product = _product(woosim)
    paid = woosim.trigger("checkout-paid", product=product["id"], quantity=2)  # 15.00
    partial = woosim.trigger("refund-partial", order=paid["order"])  # half: 7.50
    order = woosim.client.get(f"orders/{paid['order']}").json()
    assert (order["status"], [r["total"] for r in order["refunds"]]) == ("processing", ["-7.50"])
    assert partial["notes"] == [] and partial["refund"] == order["refunds"][0]["id"]
    too_much = woosim.control.post(
        "trigger", json={"flow": "refund-partial", "order": paid["order"], "amount": "7.50"}
    )
    assert too_much.status_code == 400
    assert too_much.json()["message"] == (
        "amount: must be more than 0.00 and less than the 7.50 left to refund "
        "(refund-full refunds it all)"
    )
    full = woosim.trigger("refund-full", order=paid["order"])
    order = woosim.client.get(f"orders/{paid['order']}").json()
    assert order["status"] == "refunded"
    assert sorted(r["total"] for r in order["refunds"]) == ["-7.50", "-7.50"]
    # A refund after a partial one refunds the rest by amount: nothing named to restock.
    assert [n["note"] for n in full["notes"]] == [
        "Order status changed from Processing to Refunded."
    ]
    assert woosim.client.get(f"products/{product['id']}").json()["stock_quantity"] == 18
    nothing = woosim.control.post("trigger", json={"flow": "refund-full", "order": paid["order"]})
    assert nothing.status_code == 400 and nothing.json()["data"]["field"] == "order"


def test_a_coupon_checkout_makes_its_coupon_when_none_is_named(woosim: Any) -> None:
    product = _product(woosim)
    report = woosim.trigger("coupon-applied", product=product["id"], quantity=2)
    assert report["steps"][0].startswith("created coupon ") and "flow10" in report["steps"][0]
    order = woosim.client.get(f"orders/{report['order']}").json()
    assert [line["code"] for line in order["coupon_lines"]] == ["flow10"]
    assert (order["total"], order["discount_total"]) == ("13.50", "1.50")
    again = woosim.trigger("coupon-applied", product=product["id"])
    assert not again["steps"][0].startswith("created coupon")  # the same coupon, used again
    (coupon,) = woosim.client.get("coupons").json()
    assert coupon["usage_count"] == 2


# ---------------------------------------------------------------------- fixture method
def test_the_fixture_method_runs_each_flow(woosim: Any) -> None:
    paid = woosim.trigger("checkout-paid", quantity=2)
    assert woosim.client.get(f"orders/{paid['order']}").json()["status"] == "processing"
    cancelled = woosim.trigger("order-cancelled", order=paid["order"])
    assert cancelled["order"] == paid["order"] and "prepared" not in cancelled
    assert woosim.client.get(f"orders/{paid['order']}").json()["status"] == "cancelled"
    failed = woosim.trigger("payment-failed")
    assert woosim.client.get(f"orders/{failed['order']}").json()["status"] == "failed"
    signup = woosim.trigger("customer-signup", email="new@example.com")
    customer = woosim.client.get(f"customers/{signup['customer']}").json()
    assert (customer["email"], customer["role"]) == ("new@example.com", "customer")
    with pytest.raises(StoreRequestError, match=r"email: new@example\.com is already registered"):
        woosim.trigger("customer-signup", email="new@example.com")


async def test_the_fixture_method_has_an_async_twin(woosim: Any) -> None:
    report = await woosim.trigger_async("checkout-paid", payment_method="cheque")
    async with woosim.async_client() as client:
        order = (await client.get(f"orders/{report['order']}")).json()
    assert (order["status"], order["payment_method"]) == ("on-hold", "cheque")
    assert report["notes"][-1]["note"] == (
        "Awaiting check payment Order status changed from Pending payment to On hold."
    )
    with pytest.raises(StoreRequestError, match="flow: unknown flow"):
        await woosim.trigger_async("nope")


# ---------------------------------------------------------------------- the command
def _trigger(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_woosim.cli", "trigger", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_lists_and_runs_flows_against_woosim_serve() -> None:
    served = start_serve("--port", "0", "--products", "3", "--frozen")
    try:
        url = served.values["site_url"]
        listed = _trigger("--list", "--url", url)
        assert listed.returncode == 0, listed.stderr
        names = [line for line in listed.stdout.splitlines() if not line.startswith(" ")]
        assert names == FLOW_NAMES
        assert "    --payment-method    offline gateway: cod, bacs or cheque" in listed.stdout

        ran = _trigger("checkout-paid", "--quantity", "2", "--url", url)
        assert ran.returncode == 0, ran.stderr
        lines = ran.stdout.splitlines()
        assert lines[0].startswith("checkout-paid: a Store API checkout")
        assert any("-> processing" in line for line in lines)
        assert "  note on order" in ran.stdout
        assert "  webhook deliveries queued: 0" in lines

        as_json = _trigger("order-completed", "--url", url, "--json")
        assert as_json.returncode == 0, as_json.stderr
        report = json.loads(as_json.stdout)
        assert report["flow"] == "order-completed" and report["prepared"]["order"]
        again = _trigger("order-completed", "--order", str(report["order"]), "--url", url)
        assert again.returncode == 2
        assert again.stderr.strip() == (
            f"woosim trigger: order: order {report['order']} is completed; "
            "order-completed starts from processing or on-hold or pending"
        )
        refused = _trigger("checkout-paid", "--quantity", "0", "--url", url)
        assert (refused.returncode, refused.stderr.strip()) == (
            2,
            "woosim trigger: quantity: must be a whole number from 1 to 1000",
        )
    finally:
        served.stop()
    assert served.returncode == 0
    gone = _trigger("checkout-paid", "--url", url)
    assert gone.returncode == 1 and "cannot reach the store at" in gone.stderr
    assert _trigger().returncode == 2


def test_the_command_sends_the_control_token_of_a_guarded_store() -> None:
    served = start_serve("--port", "0", "--control-token", "let-me-in")
    try:
        url = served.values["site_url"]
        refused = _trigger("customer-signup", "--url", url)
        assert refused.returncode == 2
        assert refused.stderr.startswith("woosim trigger: Control token missing")
        assert "let-me-in" not in refused.stdout + refused.stderr
        ran = _trigger("customer-signup", "--url", url, "--token", "let-me-in")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("customer-signup: a customer signs up")
    finally:
        served.stop()
