"""Refunds: ``orders/{id}/refunds``, the top-level ``refunds`` list, and what a refund
does to its order (``refunds``, status, restocking, notes) and which webhooks it fires.

Each refund is made in its own second (a queue run lies between two), so lists
ordered by date are the same on every store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .order_children import API, Queue, billing, drop_hooks, hooks, options, purge

if TYPE_CHECKING:
    from ..scenario import Scenario

AREA = "refunds"
PREFIX = "parity-refunds"
TOPICS = (
    "order.created",
    "order.updated",
    "order.deleted",
    "product.updated",
    "action.woocommerce_order_refunded",
    "action.woocommerce_order_partially_refunded",
    "action.woocommerce_order_fully_refunded",
    "action.woocommerce_refund_created",
    "action.woocommerce_refund_deleted",
    "action.woocommerce_order_status_refunded",
)


async def refund(
    s: Scenario, step: str, order: int, label: str | None, body: dict[str, Any]
) -> dict[str, Any]:
    """POST a refund; name it (``label``, else after the step) when it is made: every
    refund is named, so an action's argument names it on every store."""
    response = await s.raw("POST", f"{API}/orders/{order}/refunds", body=body)
    made = response.json()
    if response.status == 201 and isinstance(made, dict):
        s.name("refunds", int(made["id"]), label or step.replace(" ", "-"))
    s.rec.response(AREA, step, response, kind="refunds")
    return made if isinstance(made, dict) else {}


async def run(s: Scenario) -> None:
    a = AREA
    await purge(s, PREFIX)
    await s.create(
        a,
        "product stocked",
        "products",
        "refunds-stocked",
        {
            "name": "Parity Refunds Widget",
            "sku": f"{PREFIX}-1",
            "regular_price": "10.00",
            "manage_stock": True,
            "stock_quantity": 20,
        },
    )
    await s.create(
        a,
        "product plain",
        "products",
        "refunds-plain",
        {"name": "Parity Refunds Gadget", "sku": f"{PREFIX}-2", "regular_price": "7.50"},
    )
    webhooks = await hooks(s, a, PREFIX, TOPICS)
    queue = Queue(s, a)
    await queue.run("queue after webhooks", 0)

    stocked, plain = s.id("products:refunds-stocked"), s.id("products:refunds-plain")
    order = await s.create(
        a,
        "create order",
        "orders",
        "refunds-main",
        {
            "payment_method": "bacs",
            "payment_method_title": "Direct Bank Transfer",
            "set_paid": True,
            "billing": billing(PREFIX, "main"),
            "line_items": [
                {"product_id": stocked, "quantity": 3},
                {"product_id": plain, "quantity": 2},
            ],
            "shipping_lines": [
                {"method_id": "flat_rate", "method_title": "Flat Rate", "total": "5.00"}
            ],
            "fee_lines": [{"name": "Handling", "total": "1.50"}],
        },
    )
    await queue.run("queue create order", 3)
    main = int(order.get("id", 999990))
    lines = {str(line.get("product_id")): int(line["id"]) for line in order.get("line_items", [])}
    stocked_line = lines.get(str(stocked), 999991)
    plain_line = lines.get(str(plain), 999992)
    shipping_line = int((order.get("shipping_lines") or [{"id": 999993}])[0]["id"])
    fee_line = int((order.get("fee_lines") or [{"id": 999994}])[0]["id"])
    refunds = f"{API}/orders/{main}/refunds"

    # The gateway (bacs) cannot refund: api_refund defaults to true and fails.
    await refund(s, "create api_refund default", main, None, {"amount": "1.00"})
    await s.call(a, "order after failed", "GET", f"{API}/orders/{main}", kind="orders")
    await s.call(a, "list after failed", "GET", refunds, kind="refunds")
    await queue.run("queue failed refund", 0)

    await refund(
        s,
        "create partial with line",
        main,
        "first",
        {
            "amount": "10.00",
            "reason": "Broken",
            "api_refund": False,
            "line_items": [{"id": stocked_line, "quantity": 1, "refund_total": 10}],
        },
    )
    await s.call(a, "order after partial", "GET", f"{API}/orders/{main}", kind="orders")
    await s.call(a, "product after partial", "GET", f"{API}/products/{stocked}", kind="products")
    await s.call(a, "notes after partial", "GET", f"{API}/orders/{main}/notes")
    await queue.run("queue partial", 5)

    await refund(
        s,
        "create from lines no restock",
        main,
        "second",
        {
            "api_refund": False,
            "api_restock": False,
            "line_items": [
                {"id": plain_line, "quantity": 1, "refund_total": "7.50"},
                {"id": shipping_line, "refund_total": 5},
                {"id": fee_line, "refund_total": 1.5},
            ],
        },
    )
    await s.call(a, "order after lines", "GET", f"{API}/orders/{main}", kind="orders")
    await s.call(a, "notes after lines", "GET", f"{API}/orders/{main}/notes")
    await queue.run("queue lines", 4)

    await refund(s, "create too much", main, None, {"amount": "1000.00", "api_refund": False})
    await refund(s, "create negative", main, None, {"amount": "-5", "api_refund": False})
    await refund(s, "create amount number", main, None, {"amount": 1, "api_refund": False})
    await refund(s, "create amount abc", main, None, {"amount": "abc", "api_refund": False})
    await refund(s, "create bad api_refund", main, None, {"amount": "1.00", "api_refund": "nope"})
    await refund(
        s,
        "create unknown line",
        main,
        None,
        {"api_refund": False, "line_items": [{"id": 999999, "quantity": 1, "refund_total": 1}]},
    )
    bare = await s.create(
        a,
        "create order without gateway",
        "orders",
        "refunds-bare",
        {
            "billing": billing(PREFIX, "bare"),
            "line_items": [{"product_id": plain, "quantity": 1}],
        },
    )
    await refund(s, "create without gateway", int(bare.get("id", 999990)), None, {"amount": "1.00"})
    await refund(s, "create unknown order", 999999, None, {"amount": "1.00", "api_refund": False})
    await s.call(a, "list after rejected", "GET", refunds, kind="refunds")
    await queue.run("queue rejected", 6)

    await refund(
        s,
        "create rest",
        main,
        "third",
        {"amount": "26.50", "reason": "Rest", "api_refund": False, "line_items": []},
    )
    await s.call(a, "order after full", "GET", f"{API}/orders/{main}", kind="orders")
    await s.call(a, "notes after full", "GET", f"{API}/orders/{main}/notes")
    await queue.run("queue full", 5)
    await refund(s, "create on refunded", main, None, {"amount": "0.00", "api_refund": False})
    await refund(s, "create more on refunded", main, None, {"amount": "0.01", "api_refund": False})
    await queue.run("queue on refunded", 4)

    # A status change to refunded refunds what is left, as a refund of its own.
    manual = await s.create(
        a,
        "create order to refund by status",
        "orders",
        "refunds-manual",
        {
            "payment_method": "bacs",
            "set_paid": True,
            "billing": billing(PREFIX, "manual"),
            "line_items": [{"product_id": stocked, "quantity": 2}],
        },
    )
    manual_id = int(manual.get("id", 999990))
    await queue.run("queue create manual", 3)
    await refund(
        s,
        "create before status",
        manual_id,
        "manual-part",
        {"amount": "5.00", "api_refund": False},
    )
    await queue.run("queue before status", 4)
    await s.call(
        a,
        "status refunded",
        "PUT",
        f"{API}/orders/{manual_id}",
        kind="orders",
        body={"status": "refunded"},
    )
    # The refund the status change made: named before anything records it.
    made = await s.raw("GET", f"{API}/orders/{manual_id}/refunds")
    for found in made.json() or []:
        if isinstance(found, dict) and int(found["id"]) != s.id("refunds:manual-part"):
            s.name("refunds", int(found["id"]), "manual-rest")
    await s.call(
        a, "refunds after status", "GET", f"{API}/orders/{manual_id}/refunds", kind="refunds"
    )
    await s.call(a, "notes after status", "GET", f"{API}/orders/{manual_id}/notes")
    await s.call(a, "product after status", "GET", f"{API}/products/{stocked}", kind="products")
    await queue.run("queue status refunded", 5)

    # Reading.
    first, second, third = (s.id(f"refunds:{n}") for n in ("first", "second", "third"))
    await s.call(a, "list", "GET", refunds, kind="refunds")
    await s.call(a, "list asc", "GET", refunds, kind="refunds", params=[("order", "asc")])
    await s.call(
        a, "list page", "GET", refunds, kind="refunds", params=[("per_page", "1"), ("page", "2")]
    )
    await s.call(
        a, "list include", "GET", refunds, kind="refunds", params=[("include", f"{first},{third}")]
    )
    await s.call(
        a, "list exclude", "GET", refunds, kind="refunds", params=[("exclude", str(second))]
    )
    await s.call(a, "list dp", "GET", refunds, kind="refunds", params=[("dp", "3")])
    await s.call(
        a, "list fields", "GET", refunds, kind="refunds", params=[("_fields", "id,amount")]
    )
    await s.call(a, "list bad order", "GET", refunds, params=[("order", "up")])
    await s.call(
        a, "list status ignored", "GET", refunds, kind="refunds", params=[("status", "nope")]
    )
    await s.call(a, "list unknown order", "GET", f"{API}/orders/999999/refunds", kind="refunds")
    await s.call(a, "list ro key", "GET", refunds, kind="refunds", auth="ro")
    await s.call(a, "create ro key", "POST", refunds, body={"amount": "1"}, auth="ro")
    await s.call(a, "get", "GET", f"{refunds}/{first}", kind="refunds")
    await s.call(
        a, "get edit", "GET", f"{refunds}/{second}", kind="refunds", params=[("context", "edit")]
    )
    await s.call(a, "get dp 0", "GET", f"{refunds}/{second}", kind="refunds", params=[("dp", "0")])
    await s.call(a, "get unknown", "GET", f"{refunds}/999999")
    await s.call(a, "get order as refund", "GET", f"{refunds}/{main}")
    await s.call(a, "get unknown order", "GET", f"{API}/orders/999999/refunds/{first}")
    await s.call(a, "order of refund id", "GET", f"{API}/orders/{first}")
    await s.call(a, "notes of refund id", "GET", f"{API}/orders/{first}/notes")
    await s.call(a, "refunds of refund id", "GET", f"{API}/orders/{first}/refunds", kind="refunds")

    top = f"{API}/refunds"
    scope = [("include", f"{first},{second},{third}")]
    await s.call(a, "top list", "GET", top, kind="refunds", params=scope)
    await s.call(
        a, "top list parent", "GET", top, kind="refunds", params=[*scope, ("parent", str(main))]
    )
    await s.call(a, "top list page", "GET", top, kind="refunds", params=[*scope, ("per_page", "2")])
    await s.call(
        a, "top list edit", "GET", top, kind="refunds", params=[*scope, ("context", "edit")]
    )
    await s.call(a, "top post", "POST", top, body={"amount": "1"})

    # Deleting: no force needed.
    await s.call(
        a, "delete force false", "DELETE", f"{refunds}/{third}", params=[("force", "false")]
    )
    await s.call(a, "delete", "DELETE", f"{refunds}/{third}", kind="refunds")
    await s.call(a, "delete again", "DELETE", f"{refunds}/{third}")
    await s.call(a, "delete via other order", "DELETE", f"{API}/orders/999999/refunds/{first}")
    await s.call(a, "order after delete", "GET", f"{API}/orders/{main}", kind="orders")
    await s.call(a, "notes after delete", "GET", f"{API}/orders/{main}/notes")
    await queue.run("queue delete", 0)

    # The order goes: its refunds go with it.
    await s.call(
        a,
        "order force delete",
        "DELETE",
        f"{API}/orders/{main}",
        params=[("force", "true"), ("_fields", "id")],
        kind="orders",
    )
    await s.call(a, "top list after order delete", "GET", top, kind="refunds", params=scope)
    await queue.run("queue order delete", 0)

    await options(s, a, "options collection", refunds)
    await options(s, a, "options item", f"{refunds}/{first}")
    await options(s, a, "options top", top)

    await drop_hooks(s, webhooks)
    await purge(s, PREFIX)
