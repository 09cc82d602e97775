"""Order notes: ``orders/{id}/notes`` and the notes the store writes itself.

The store writes notes on status changes and stock moves; the texts are compared as
recorded. Notes the store writes are not named (their ids are ``<id>``); their order
inside one request is the store's business, so lists are compared by content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .order_children import API, Queue, billing, drop_hooks, hooks, options, purge

if TYPE_CHECKING:
    from ..scenario import Scenario

AREA = "notes"
PREFIX = "parity-notes"


def _order(s: Scenario, label: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_method": "bacs",
        "payment_method_title": "Direct Bank Transfer",
        "billing": billing(PREFIX, label),
        "line_items": [{"product_id": s.id("products:notes-stocked"), "quantity": 3}],
    }
    body.update(extra)
    return body


async def run(s: Scenario) -> None:
    a = AREA
    await purge(s, PREFIX)
    await s.create(
        a,
        "product stocked",
        "products",
        "notes-stocked",
        {
            "name": "Parity Notes Widget",
            "sku": f"{PREFIX}-1",
            "regular_price": "10.00",
            "manage_stock": True,
            "stock_quantity": 20,
        },
    )
    webhooks = await hooks(s, a, PREFIX, ("order.updated", "product.updated"))
    queue = Queue(s, a)
    await queue.run("queue after webhooks", 0)

    # Notes the store writes.
    pending = await s.create(a, "create pending", "orders", "notes-pending", _order(s, "pending"))
    pending_id = int(pending.get("id", 999990))
    await s.call(a, "notes of pending", "GET", f"{API}/orders/{pending_id}/notes")
    await queue.run("queue create pending", 1)

    paid = await s.create(
        a, "create paid", "orders", "notes-paid", _order(s, "paid", set_paid=True)
    )
    paid_id = int(paid.get("id", 999990))
    await s.call(a, "notes of paid", "GET", f"{API}/orders/{paid_id}/notes")
    await queue.run("queue create paid", 2)

    await s.create(
        a, "create completed", "orders", "notes-done", _order(s, "done", status="completed")
    )
    await s.call(a, "notes of completed", "GET", f"{API}/orders/{s.id('orders:notes-done')}/notes")
    await s.create(a, "create on-hold", "orders", "notes-hold", _order(s, "hold", status="on-hold"))
    await s.call(a, "notes of on-hold", "GET", f"{API}/orders/{s.id('orders:notes-hold')}/notes")
    await queue.run("queue create completed and on-hold", 3)

    # Deliveries expected: order.updated, and product.updated when stock moves.
    for step, status, expected in (
        ("to completed", "completed", 1),
        ("to cancelled", "cancelled", 2),
        ("to pending", "pending", 1),
        ("to processing", "processing", 2),
    ):
        await s.call(
            a,
            f"status {step}",
            "PUT",
            f"{API}/orders/{paid_id}",
            body={"status": status},
            kind="orders",
            params=[("_fields", "status")],
        )
        await s.call(a, f"notes after {step}", "GET", f"{API}/orders/{paid_id}/notes")
        await queue.run(f"queue {step}", expected)
    await s.call(
        a,
        "update no status change",
        "PUT",
        f"{API}/orders/{paid_id}",
        body={"customer_note": "Ring twice"},
        kind="orders",
        params=[("_fields", "status")],
    )
    await s.call(a, "notes after no status change", "GET", f"{API}/orders/{paid_id}/notes")
    await queue.run("queue no status change", 1)

    # manual_update: the status note is the key's user's.
    done = s.id("orders:notes-done")
    await s.call(
        a,
        "status manual",
        "PUT",
        f"{API}/orders/{done}",
        body={"status": "on-hold", "manual_update": True},
        kind="orders",
        params=[("_fields", "status")],
    )
    await s.call(a, "notes after manual", "GET", f"{API}/orders/{done}/notes")
    await queue.run("queue manual", 1)

    # Notes written over REST.
    notes = f"{API}/orders/{pending_id}/notes"
    internal = await s.call(a, "create internal", "POST", notes, body={"note": "Packed"})
    await queue.run("queue create internal", 0)
    await s.call(
        a,
        "create customer",
        "POST",
        notes,
        body={"note": "Shipped <b>today</b> & tracked", "customer_note": True},
    )
    await s.call(
        a, "create by user", "POST", notes, body={"note": "Checked", "added_by_user": True}
    )
    await s.call(a, "create empty", "POST", notes, body={"note": ""})
    await s.call(a, "create missing note", "POST", notes, body={"customer_note": True})
    await s.call(
        a, "create bad customer_note", "POST", notes, body={"note": "x", "customer_note": "maybe"}
    )
    await s.call(a, "create with id", "POST", notes, body={"note": "x", "id": 5})
    await s.call(
        a, "create unknown order", "POST", f"{API}/orders/999999/notes", body={"note": "x"}
    )
    await queue.run("queue rest notes", 0)

    await s.call(a, "list any", "GET", notes)
    await s.call(a, "list type any", "GET", notes, params=[("type", "any")])
    await s.call(a, "list customer", "GET", notes, params=[("type", "customer")])
    await s.call(a, "list internal", "GET", notes, params=[("type", "internal")])
    await s.call(a, "list type bad", "GET", notes, params=[("type", "private")])
    await s.call(a, "list type upper", "GET", notes, params=[("type", "Customer")])
    await s.call(a, "list context edit", "GET", notes, params=[("context", "edit")])
    await s.call(a, "list fields", "GET", notes, params=[("_fields", "id,note")])
    await s.call(a, "list per_page ignored", "GET", notes, params=[("per_page", "1")])
    await s.call(a, "list unknown order", "GET", f"{API}/orders/999999/notes")
    await s.call(a, "list ro key", "GET", notes, auth="ro")
    await s.call(a, "create ro key", "POST", notes, body={"note": "x"}, auth="ro")
    await s.call(a, "list no auth", "GET", notes, auth="none")

    note_id = int(internal.get("id", 999990)) if isinstance(internal, dict) else 999990
    one = f"{notes}/{note_id}"
    await s.call(a, "get", "GET", one)
    await s.call(a, "get context edit", "GET", one, params=[("context", "edit")])
    await s.call(a, "get via other order", "GET", f"{API}/orders/{paid_id}/notes/{note_id}")
    await s.call(a, "get unknown", "GET", f"{notes}/999999")
    await s.call(a, "get unknown order", "GET", f"{API}/orders/999999/notes/{note_id}")
    await s.call(a, "delete no force", "DELETE", one)
    await s.call(a, "delete force false", "DELETE", one, params=[("force", "false")])
    await s.call(
        a,
        "delete via other order",
        "DELETE",
        f"{API}/orders/{paid_id}/notes/{note_id}",
        params=[("force", "true")],
    )
    await s.call(a, "delete", "DELETE", one, params=[("force", "true")])
    await s.call(a, "delete again", "DELETE", one, params=[("force", "true")])
    await s.call(a, "get deleted", "GET", one)
    await s.call(
        a,
        "delete unknown order",
        "DELETE",
        f"{API}/orders/999999/notes/{note_id}",
        params=[("force", "true")],
    )
    await s.call(a, "list after delete", "GET", notes)
    await queue.run("queue delete", 0)

    # Notes of a trashed order stay readable.
    await s.call(
        a,
        "trash order",
        "DELETE",
        f"{API}/orders/{pending_id}",
        params=[("_fields", "id")],
        kind="orders",
    )
    await s.call(a, "notes of trashed", "GET", notes, params=[("type", "internal")])
    await s.call(a, "create on trashed", "POST", notes, body={"note": "After trash"})
    await queue.run("queue trash", 0)

    await options(s, a, "options collection", notes)
    await options(s, a, "options item", one)

    await drop_hooks(s, webhooks)
    await purge(s, PREFIX)
