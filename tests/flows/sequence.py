"""What a store did during a flow, in the normalised form ``fixtures/flows/*.json`` holds.

Both sides reduce to the same facts: the webhook deliveries the flow caused, in the
order the queue sent them (topic, which record by its role in the flow, and the
fields of the body that say what happened), the notes written on the order, oldest
first, and the stock of the product before and after. Ids, dates and keys differ
between two stores and are left out; what a field's value means is kept (a date
set or not, a status, a count).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FLOWS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "flows"

#: The product every flow buys: name and SKU appear in the notes the store writes.
PRODUCT = {
    "name": "flows widget",
    "sku": "flows-widget",
    "regular_price": "10.00",
    "manage_stock": True,
    "stock_quantity": 20,
}
#: The coupon of the coupon flow: 10 % off.
COUPON = {"code": "flows10", "discount_type": "percent", "amount": "10"}
#: The buyer's address (Store API checkout) and the customer who signs up.
BUYER = {
    "first_name": "Flo",
    "last_name": "Buyer",
    "address_1": "1 Main St",
    "city": "New York",
    "state": "NY",
    "postcode": "10001",
    "country": "US",
    "email": "flows-buyer@example.com",
    "phone": "555-0100",
}
SIGNUP = {
    "email": "flows-signup@example.com",
    "first_name": "Flo",
    "last_name": "Signup",
    "username": "flows-signup",
    "password": "flows-Secret-123",
}
#: The topics the recording listens to (one webhook each).
TOPICS = (
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "product.created",
    "product.updated",
    "coupon.created",
    "coupon.updated",
)

#: The body fields kept per resource: what an integrator reads to learn what happened.
_ORDER_FIELDS = ("status", "created_via", "payment_method", "total", "discount_total")
#: (``total_sales`` counts every sale the product ever had: the flows record its change.)
_PRODUCT_FIELDS = ("stock_quantity", "stock_status")
_CUSTOMER_FIELDS = ("role", "is_paying_customer")
_COUPON_FIELDS = ("usage_count",)


def _is_set(value: Any) -> bool:
    return value not in (None, "")


def body_facts(resource: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a delivery body (or a REST record) that say what a flow did."""
    if resource == "order":
        facts = {name: body.get(name) for name in _ORDER_FIELDS}
        facts["date_paid"] = _is_set(body.get("date_paid"))
        facts["date_completed"] = _is_set(body.get("date_completed"))
        facts["customer"] = "guest" if not body.get("customer_id") else "customer"
        facts["refunds"] = [r.get("total") for r in body.get("refunds") or ()]
        facts["coupon_lines"] = [c.get("code") for c in body.get("coupon_lines") or ()]
        facts["line_items"] = [
            [item.get("sku"), item.get("quantity"), item.get("total")]
            for item in body.get("line_items") or ()
        ]
        return facts
    fields = {
        "product": _PRODUCT_FIELDS,
        "customer": _CUSTOMER_FIELDS,
        "coupon": _COUPON_FIELDS,
    }.get(resource, ())
    return {name: body.get(name) for name in fields}


def delivery_facts(topic: str, body: bytes | str, roles: Mapping[int, str]) -> dict[str, Any]:
    """One delivery: its topic, the record's role in the flow, and the body's facts."""
    resource = topic.partition(".")[0]
    try:
        payload = json.loads(body)
    except ValueError:
        payload = {}
    record_id = payload.get("id") if isinstance(payload, dict) else None
    role = roles.get(record_id, "other") if isinstance(record_id, int) else "other"
    out: dict[str, Any] = {"topic": topic, "record": role}
    if isinstance(payload, dict) and not topic.endswith(".deleted"):
        out.update(body_facts(resource, payload))
    return out


def note_facts(
    notes: Iterable[Mapping[str, Any]], roles: Mapping[int, str]
) -> list[dict[str, Any]]:
    """Order notes oldest first (by id: several share a second), text and audience.

    A note naming a record by id (``Item #10 stock increased``) names it by its role.
    """
    ordered = sorted(notes, key=lambda note: int(note["id"]))
    out = []
    for note in ordered:
        text = str(note["note"])
        for record_id, role in roles.items():
            text = re.sub(rf"#{record_id}\b", f"#<{role}>", text)
        out.append({"note": text, "customer_note": bool(note["customer_note"])})
    return out


def stock_facts(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The product's stock before and after the flow, and how many sales it counted."""
    return {
        "before": before.get("stock_quantity"),
        "after": after.get("stock_quantity"),
        "total_sales_change": int(after.get("total_sales") or 0)
        - int(before.get("total_sales") or 0),
    }


def fixture_path(flow: str) -> Path:
    return FLOWS_DIR / f"{flow}.json"


def load_recording(flow: str) -> dict[str, Any]:
    recording: dict[str, Any] = json.loads(fixture_path(flow).read_text(encoding="utf-8"))
    return recording


def write_recording(flow: str, recording: Mapping[str, Any]) -> Path:
    path = fixture_path(flow)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recording, indent=2) + "\n", encoding="utf-8")
    return path
