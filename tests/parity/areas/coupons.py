"""Area ``coupons``: the coupons resource and coupon lines on orders.

Coupons: create (every field, minimal, each refusal), get, update, trash, force
delete, batch, every list parameter, OPTIONS, the read-only key, and which
webhooks each change fires (the ``coupon.*`` topics, and ``product.*`` ones, which
listen to the same post hooks). Coupon lines: percent, fixed cart and fixed product
discounts spread over awkward prices, two coupons on one order, replacing them,
codes in any case, the refusals (unknown code, minimum not met, expired, used up)
and the draft order an unknown code leaves, and ``usage_count`` / ``used_by``.

Everything it makes carries ``parity-cpn`` (codes, SKUs) or ``cpn@parity.example``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..scenario import Scenario

API = "wc/v3"
AREA = "coupons"
EMAIL = "cpn@parity.example"
HOOK_SECRET = "parity-secret-1"
TOPICS = (
    "coupon.created",
    "coupon.updated",
    "coupon.deleted",
    "coupon.restored",
    "product.deleted",
    "order.created",
)


#: Per scenario: the receiver's mark after the last queue run. A real store may send a
#: delivery before the queue is run on purpose (WP-Cron runs on traffic), so each run
#: collects everything since the previous one.
_MARKS: dict[int, int] = {}


async def _queue(s: Scenario, step: str, expected: int) -> None:
    mark = _MARKS.get(id(s), s.b.deliveries_mark())
    await s.b.run_queue(expected)
    s.deliveries(AREA, step, mark)
    _MARKS[id(s)] = s.b.deliveries_mark()


async def _purge(s: Scenario) -> None:
    """Force-delete what an earlier run left: webhooks first, so the rest fires nothing."""
    for ident in await _found(s, "webhooks", [("search", "parity cpn")], "name", "parity cpn"):
        await s.raw("DELETE", f"{API}/webhooks/{ident}", params=[("force", "true")])
    for status in ("any", "trash", "draft", "pending"):
        for ident in await _found(
            s, "coupons", [("search", "parity-cpn"), ("status", status)], "code", "parity-cpn"
        ):
            await s.raw("DELETE", f"{API}/coupons/{ident}", params=[("force", "true")])
    for status in ("any", "trash"):
        for ident in await _found(
            s, "orders", [("search", EMAIL), ("status", status)], "billing.email", EMAIL
        ):
            await s.raw("DELETE", f"{API}/orders/{ident}", params=[("force", "true")])
        for ident in await _found(
            s, "products", [("search", "Parity Cpn"), ("status", status)], "sku", "parity-cpn"
        ):
            await s.raw("DELETE", f"{API}/products/{ident}", params=[("force", "true")])


async def _found(
    s: Scenario, kind: str, params: list[tuple[str, str]], field: str, prefix: str
) -> list[int]:
    response = await s.raw("GET", f"{API}/{kind}", params=[*params, ("per_page", "100")])
    out = []
    for record in response.json() or []:
        if not isinstance(record, dict):
            continue
        value: Any = record
        for part in field.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        if str(value).lower().startswith(prefix):
            out.append(int(record["id"]))
    return out


async def run(s: Scenario) -> None:
    await _purge(s)
    await _webhooks(s)
    await _products(s)
    await _crud(s)
    await _refusals(s)
    await _lists(s)
    await _trash(s)
    await _batch(s)
    await _options(s)
    await _coupon_lines(s)
    await _usage(s)
    await _post_hooks(s)
    await _purge(s)
    _MARKS.pop(id(s), None)


async def _webhooks(s: Scenario) -> None:
    mark = s.b.deliveries_mark()
    for topic in TOPICS:
        await s.create(
            AREA,
            f"webhook {topic}",
            "webhooks",
            f"cpn {topic}",
            {
                "name": f"parity cpn {topic}",
                "topic": topic,
                "delivery_url": s.b.hook_url,
                "secret": HOOK_SECRET,
                "status": "active",
            },
        )
    s.deliveries(AREA, "pings", mark)
    _MARKS[id(s)] = s.b.deliveries_mark()
    await _queue(s, "queue after webhooks", 0)


async def _products(s: Scenario) -> None:
    for label, price, sale in (("a", "19.99", None), ("b", "7.33", None), ("c", "3.10", "2.50")):
        body: dict[str, Any] = {
            "name": f"Parity Cpn {label.upper()}",
            "sku": f"parity-cpn-{label}",
            "regular_price": price,
        }
        if sale is not None:
            body["sale_price"] = sale
        response = await s.raw("POST", f"{API}/products", body=body)
        created = response.json()
        if response.status == 201 and isinstance(created, dict):
            s.name("products", int(created["id"]), f"cpn-{label}")
        s.rec.add(AREA, f"product {label}", "status", response.status)


def _coupon(s: Scenario, label: str) -> int:
    return s.id(f"coupons:{label}")


async def _crud(s: Scenario) -> None:
    a = AREA
    full = {
        "code": "Parity-Cpn-Full",
        "amount": "12.5",
        "status": "publish",
        "discount_type": "percent",
        "description": "Every <b>field</b> <script>x</script>",
        "date_expires": "2031-06-01T10:00:00",
        "individual_use": True,
        "product_ids": [s.id("products:cpn-a")],
        "excluded_product_ids": [s.id("products:cpn-b")],
        "usage_limit": 10,
        "usage_limit_per_user": 2,
        "limit_usage_to_x_items": 3,
        "free_shipping": True,
        "product_categories": [],
        "excluded_product_categories": [],
        "exclude_sale_items": True,
        "minimum_amount": "5",
        "maximum_amount": "500.5",
        "email_restrictions": [EMAIL, "*@parity.example"],
        "meta_data": [{"key": "channel", "value": "mail"}],
    }
    await s.create(a, "create full", "coupons", "full", full)
    await _queue(s, "queue create full", 1)
    await s.create(a, "create minimal", "coupons", "minimal", {"code": "parity-cpn-min"})
    await s.create(
        a,
        "create percent",
        "coupons",
        "ten",
        {"code": "PARITY-CPN-TEN", "discount_type": "percent", "amount": "10"},
    )
    await s.create(
        a,
        "create fixed cart",
        "coupons",
        "five",
        {"code": "parity-cpn-five", "discount_type": "fixed_cart", "amount": "5"},
    )
    await s.create(
        a,
        "create fixed product",
        "coupons",
        "each",
        {"code": "parity-cpn-each", "discount_type": "fixed_product", "amount": "1.25"},
    )
    await s.create(
        a,
        "create draft",
        "coupons",
        "draft",
        {"code": "parity-cpn-draft", "status": "draft", "amount": "1"},
    )
    await s.create(
        a,
        "create expires gmt",
        "coupons",
        "gmt",
        {"code": "parity-cpn-gmt", "date_expires_gmt": "2031-01-15T12:00:00"},
    )
    await s.create(
        a, "create spaces in code", "coupons", "spaced", {"code": "  Parity-Cpn  Spaced "}
    )
    await _queue(s, "queue creates", 7)

    full_id = _coupon(s, "full")
    await s.call(a, "get", "GET", f"{API}/coupons/{full_id}", kind="coupons")
    await s.call(
        a,
        "get edit",
        "GET",
        f"{API}/coupons/{full_id}",
        kind="coupons",
        params=[("context", "edit")],
    )
    await s.call(
        a,
        "get fields",
        "GET",
        f"{API}/coupons/{full_id}",
        kind="coupons",
        params=[("_fields", "id,code,amount")],
    )
    await s.call(a, "get unknown", "GET", f"{API}/coupons/999999", kind="coupons")
    await s.call(
        a, "get a product id", "GET", f"{API}/coupons/{s.id('products:cpn-a')}", kind="coupons"
    )
    await s.call(
        a, "get read-only key", "GET", f"{API}/coupons/{full_id}", kind="coupons", auth="ro"
    )
    await s.call(
        a,
        "update put",
        "PUT",
        f"{API}/coupons/{full_id}",
        kind="coupons",
        body={"amount": "15", "description": "Changed", "date_expires": None},
    )
    await s.call(
        a,
        "update patch code case",
        "PATCH",
        f"{API}/coupons/{_coupon(s, 'minimal')}",
        kind="coupons",
        body={"code": "Parity-CPN-Min2", "usage_limit": 0, "minimum_amount": "abc"},
    )
    await s.call(
        a,
        "update post lists",
        "POST",
        f"{API}/coupons/{_coupon(s, 'minimal')}",
        kind="coupons",
        body={
            "product_ids": [s.id("products:cpn-c"), s.id("products:cpn-a")],
            "email_restrictions": ["Someone@Parity.Example"],
            "meta_data": [{"key": "channel", "value": "web"}],
        },
    )
    await _queue(s, "queue updates", 2)
    await s.call(
        a,
        "update unknown",
        "PUT",
        f"{API}/coupons/999999",
        kind="coupons",
        body={"amount": "1"},
    )
    await s.call(
        a,
        "update read-only key",
        "PUT",
        f"{API}/coupons/{full_id}",
        kind="coupons",
        body={"amount": "1"},
        auth="ro",
    )


async def _refusals(s: Scenario) -> None:
    a = AREA
    for step, body in (
        ("create without code", {"amount": "1"}),
        ("create empty code", {"code": "  "}),
        ("create existing code other case", {"code": "parity-cpn-TEN"}),
        ("create bad discount type", {"code": "parity-cpn-bad", "discount_type": "half"}),
        ("create amount number", {"code": "parity-cpn-num", "amount": 10}),
        ("create usage limit string", {"code": "parity-cpn-ul", "usage_limit": "many"}),
        ("create product ids not list", {"code": "parity-cpn-pl", "product_ids": "x"}),
        ("create bad expiry", {"code": "parity-cpn-exp", "date_expires": "soon"}),
        ("create with id", {"code": "parity-cpn-id", "id": 5}),
        ("create bad status", {"code": "parity-cpn-status", "status": "bogus"}),
        ("create negative amount", {"code": "parity-cpn-neg", "amount": "-1"}),
        ("create bad email", {"code": "parity-cpn-mail", "email_restrictions": ["not-an-email"]}),
        (
            "create maximum below minimum",
            {"code": "parity-cpn-max", "minimum_amount": "10", "maximum_amount": "5"},
        ),
        (
            "create percent over 100",
            {"code": "parity-cpn-150", "discount_type": "percent", "amount": "150"},
        ),
    ):
        await s.create(a, step, "coupons", step.replace(" ", "-"), body)
    await s.call(
        a,
        "update code taken",
        "PUT",
        f"{API}/coupons/{_coupon(s, 'five')}",
        kind="coupons",
        body={"code": "Parity-Cpn-Ten"},
    )
    await s.call(
        a,
        "update bad type",
        "PUT",
        f"{API}/coupons/{_coupon(s, 'five')}",
        kind="coupons",
        body={"individual_use": "maybe"},
    )
    await s.call(
        a,
        "update percent over 100",
        "PUT",
        f"{API}/coupons/{_coupon(s, 'ten')}",
        kind="coupons",
        body={"amount": "101"},
    )
    await s.call(
        a,
        "create read-only key",
        "POST",
        f"{API}/coupons",
        kind="coupons",
        body={"code": "parity-cpn-ro"},
        auth="ro",
    )
    await _queue(s, "queue refusals", 2)


async def _lists(s: Scenario) -> None:
    a = AREA
    scope = [("search", "parity-cpn")]

    async def listed(step: str, *params: tuple[str, str], scoped: bool = True) -> None:
        await s.call(
            a,
            f"list {step}",
            "GET",
            f"{API}/coupons",
            kind="coupons",
            params=[*(scope if scoped else []), *params, ("_fields", "id,code,status")],
        )

    await listed("search")
    await listed("code any case", ("code", "PARITY-CPN-five"), scoped=False)
    await listed("code unknown", ("code", "parity-cpn-nothing"), scoped=False)
    await listed("code blank", ("code", " "))
    await listed("code with search", ("code", "parity-cpn-ten"))
    await listed("search upper", ("search", "PARITY-CPN-T"), scoped=False)
    await listed("search description", ("search", "Changed"), scoped=False)
    await listed("status draft", ("status", "draft"))
    await listed("status any", ("status", "any"))
    await listed("status bogus", ("status", "bogus"))
    await listed("orderby id asc", ("orderby", "id"), ("order", "asc"))
    await listed("orderby title", ("orderby", "title"), ("order", "asc"))
    await listed("orderby slug", ("orderby", "slug"))
    # Only records changed in different seconds: ties have no defined order.
    await listed(
        "orderby modified",
        ("orderby", "modified"),
        ("include", f"{_coupon(s, 'ten')},{_coupon(s, 'full')}"),
    )
    await listed(
        "orderby include",
        ("orderby", "include"),
        ("include", f"{_coupon(s, 'five')},{_coupon(s, 'ten')},{_coupon(s, 'full')}"),
    )
    await listed("orderby bad", ("orderby", "amount"))
    await listed("exclude", ("exclude", f"{_coupon(s, 'five')},{_coupon(s, 'each')}"))
    await listed("per_page 2", ("per_page", "2"), ("orderby", "id"))
    await listed("page 2", ("per_page", "2"), ("page", "2"), ("orderby", "id"))
    await listed("offset 3", ("per_page", "2"), ("offset", "3"), ("orderby", "id"))
    await listed("page past end", ("per_page", "2"), ("page", "9"))
    await listed("per_page 101", ("per_page", "101"))
    await listed("after far past", ("after", "2000-01-01T00:00:00"))
    await listed("before far past", ("before", "2000-01-01T00:00:00"))
    await listed("modified_after far future", ("modified_after", "2099-01-01T00:00:00"))
    await listed("modified_before far future", ("modified_before", "2099-01-01T00:00:00"))
    await listed("after gmt", ("after", "2000-01-01T00:00:00"), ("dates_are_gmt", "true"))
    await listed("after bad", ("after", "yesterday"))
    await listed("context edit", ("context", "edit"))
    await s.call(
        a,
        "list full record",
        "GET",
        f"{API}/coupons",
        kind="coupons",
        params=[("include", str(_coupon(s, "full")))],
    )
    await s.call(
        a,
        "list read-only key",
        "GET",
        f"{API}/coupons",
        kind="coupons",
        params=[*scope, ("_fields", "id")],
        auth="ro",
    )


async def _trash(s: Scenario) -> None:
    a = AREA
    draft = _coupon(s, "draft")
    await s.call(a, "trash", "DELETE", f"{API}/coupons/{draft}", kind="coupons")
    await _queue(s, "queue trash", 2)
    await s.call(a, "get trashed", "GET", f"{API}/coupons/{draft}", kind="coupons")
    await s.call(a, "trash again", "DELETE", f"{API}/coupons/{draft}", kind="coupons")
    await s.call(
        a,
        "list trash",
        "GET",
        f"{API}/coupons",
        kind="coupons",
        params=[("search", "parity-cpn"), ("status", "trash"), ("_fields", "id,status")],
    )
    await s.call(
        a,
        "untrash by status",
        "PUT",
        f"{API}/coupons/{draft}",
        kind="coupons",
        body={"status": "publish"},
        params=[("_fields", "id,status")],
    )
    await _queue(s, "queue untrash by status", 1)
    await s.call(
        a,
        "delete force bad",
        "DELETE",
        f"{API}/coupons/{draft}",
        kind="coupons",
        params=[("force", "maybe")],
    )
    await s.call(
        a,
        "delete force",
        "DELETE",
        f"{API}/coupons/{draft}",
        kind="coupons",
        params=[("force", "true")],
    )
    await _queue(s, "queue force delete", 0)
    await s.call(a, "delete unknown", "DELETE", f"{API}/coupons/999999", kind="coupons")
    await s.call(
        a, "delete read-only key", "DELETE", f"{API}/coupons/{draft}", kind="coupons", auth="ro"
    )


async def _batch(s: Scenario) -> None:
    a = AREA
    response = await s.raw(
        "POST",
        f"{API}/coupons/batch",
        body={
            "create": [
                {"code": "Parity-Cpn-B1", "amount": "3"},
                {"code": "parity-cpn-five"},
                {"amount": "2"},
            ],
            "update": [
                {"id": _coupon(s, "gmt"), "amount": "4"},
                {"id": 999999, "amount": "4"},
                {"amount": "4"},
            ],
            "delete": [_coupon(s, "spaced"), 999999],
        },
    )
    created = response.json()
    if isinstance(created, dict):
        for item in created.get("create") or []:
            if isinstance(item, dict) and item.get("code") == "parity-cpn-b1":
                s.name("coupons", int(item["id"]), "b1")
    s.rec.response(a, "batch", response, kind="coupons")
    await _queue(s, "queue batch", 2)
    await s.call(a, "batch empty", "POST", f"{API}/coupons/batch", body={}, kind="coupons")


async def _options(s: Scenario) -> None:
    a = AREA
    for step, path in (
        ("collection", f"{API}/coupons"),
        ("item", f"{API}/coupons/{_coupon(s, 'full')}"),
        ("batch", f"{API}/coupons/batch"),
    ):
        response = await s.raw("OPTIONS", path)
        body = response.json()
        s.rec.add(a, f"options {step}", "status", response.status)
        s.rec.add(a, f"options {step}", "header allow", response.headers.get("allow"))
        if isinstance(body, dict):
            s.rec.add(a, f"options {step}", "keys $", list(body))
            s.rec.add(a, f"options {step}", "value $.methods", body.get("methods"))
            schema = body.get("schema") or {}
            s.rec.add(a, f"options {step}", "value $.schema.title", schema.get("title"))
            s.rec.add(
                a, f"options {step}", "schema properties", sorted(schema.get("properties") or {})
            )
            s.rec.add(
                a,
                f"options {step}",
                "endpoint args",
                [
                    {"methods": e.get("methods"), "args": sorted(e.get("args") or {})}
                    for e in body.get("endpoints") or []
                ],
            )


def _order(s: Scenario, *codes: str, lines: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    items = lines if lines is not None else [("a", 3), ("b", 1), ("c", 2)]
    return {
        "billing": {"first_name": "Cpn", "last_name": "Parity", "email": EMAIL},
        "line_items": [
            {"product_id": s.id(f"products:cpn-{label}"), "quantity": quantity}
            for label, quantity in items
        ],
        "coupon_lines": [{"code": code} for code in codes],
    }


async def _place(s: Scenario, step: str, label: str, body: dict[str, Any]) -> None:
    """POST an order; a refused one names the draft it leaves (``new_draft_order_id``)."""
    response = await s.raw("POST", f"{API}/orders", body=body)
    answer = response.json()
    if isinstance(answer, dict):
        if response.status == 201:
            s.name("orders", int(answer["id"]), label)
        draft = (answer.get("data") or {}).get("new_draft_order_id")
        if isinstance(draft, int):
            s.name("orders", draft, f"{label}-draft")
    s.rec.response(AREA, step, response, kind="orders")


async def _coupon_lines(s: Scenario) -> None:
    a = AREA
    await _place(s, "order percent", "cpn-percent", _order(s, "Parity-Cpn-Ten"))
    await _queue(s, "queue order percent", 1)
    await _place(s, "order fixed cart", "cpn-fixed", _order(s, "parity-cpn-five"))
    await _place(
        s,
        "order fixed cart odd",
        "cpn-odd",
        _order(s, "parity-cpn-five", lines=[("b", 3), ("c", 1)]),
    )
    await _place(
        s,
        "order fixed cart over total",
        "cpn-over",
        _order(s, "parity-cpn-five", lines=[("c", 1)]),
    )
    await _place(s, "order fixed product", "cpn-each", _order(s, "parity-cpn-each"))
    await _place(
        s,
        "order two coupons",
        "cpn-two",
        _order(s, "parity-cpn-ten", "PARITY-CPN-FIVE"),
    )
    await _place(
        s,
        "order restricted coupon",
        "cpn-full",
        _order(s, "parity-cpn-full", lines=[("a", 5), ("b", 1)]),
    )
    await _place(s, "order unknown code", "cpn-unknown", _order(s, "parity-cpn-nope"))
    await s.call(
        a,
        "drafts left",
        "GET",
        f"{API}/orders",
        kind="orders",
        params=[("search", EMAIL), ("status", "checkout-draft"), ("_fields", "id,status,total")],
    )
    await s.call(
        a, "draft order", "GET", f"{API}/orders/{s.id('orders:cpn-unknown-draft')}", kind="orders"
    )
    await _place(s, "order empty code", "cpn-empty", _order(s, ""))
    bad_line = _order(s)
    bad_line["coupon_lines"] = [{"id": 5, "code": "parity-cpn-ten"}]
    await _place(s, "order coupon item id", "cpn-itemid", bad_line)
    await _place(
        s,
        "order trashed coupon",
        "cpn-trashed",
        _order(s, "parity-cpn-draft"),
    )
    await _place(
        s,
        "order minimum not met",
        "cpn-minimum",
        _order(s, "parity-cpn-full", lines=[("c", 1)]),
    )
    await _place(s, "order not applicable", "cpn-notfor", _order(s, "parity-cpn-full", lines=[]))
    await _place(
        s,
        "order same coupon twice",
        "cpn-twice",
        _order(s, "parity-cpn-ten", "parity-cpn-TEN"),
    )
    await _place(
        s,
        "order email not allowed",
        "cpn-mail",
        _order(s, "parity-cpn-min2", lines=[("a", 1)]),
    )
    await _queue(s, "queue coupon orders", 14)

    percent = s.id("orders:cpn-percent")
    await s.call(
        a,
        "replace coupons",
        "PUT",
        f"{API}/orders/{percent}",
        kind="orders",
        body={"coupon_lines": [{"code": "parity-cpn-five"}]},
    )
    await s.call(
        a,
        "remove coupons",
        "PUT",
        f"{API}/orders/{s.id('orders:cpn-fixed')}",
        kind="orders",
        body={"coupon_lines": []},
    )
    await s.call(
        a,
        "add items keeps coupons",
        "PUT",
        f"{API}/orders/{s.id('orders:cpn-two')}",
        kind="orders",
        body={"line_items": [{"product_id": s.id("products:cpn-b"), "quantity": 2}]},
    )
    await _queue(s, "queue order coupon updates", 0)


async def _usage(s: Scenario) -> None:
    a = AREA
    fields = [("_fields", "id,code,usage_count,used_by")]
    ten = _coupon(s, "ten")
    await s.call(
        a,
        "usage after pending orders",
        "GET",
        f"{API}/coupons/{ten}",
        kind="coupons",
        params=fields,
    )
    await s.call(
        a,
        "order processing",
        "PUT",
        f"{API}/orders/{s.id('orders:cpn-two')}",
        kind="orders",
        body={"status": "processing"},
        params=[("_fields", "id,status,total")],
    )
    await s.call(
        a, "usage after processing", "GET", f"{API}/coupons/{ten}", kind="coupons", params=fields
    )
    await s.call(
        a,
        "order cancelled",
        "PUT",
        f"{API}/orders/{s.id('orders:cpn-two')}",
        kind="orders",
        body={"status": "cancelled"},
        params=[("_fields", "id,status")],
    )
    await s.call(
        a, "usage after cancel", "GET", f"{API}/coupons/{ten}", kind="coupons", params=fields
    )
    await s.create(
        a,
        "create single use",
        "coupons",
        "once",
        {"code": "parity-cpn-once", "amount": "1", "usage_limit": 1},
    )
    paid = _order(s, "parity-cpn-once")
    paid["set_paid"] = True
    await _place(s, "order paid single use", "cpn-once", paid)
    await s.call(
        a,
        "usage single use",
        "GET",
        f"{API}/coupons/{_coupon(s, 'once')}",
        kind="coupons",
        params=fields,
    )
    await _place(s, "order single use again", "cpn-once-again", _order(s, "parity-cpn-once"))
    await s.create(
        a,
        "create expired",
        "coupons",
        "expired",
        {"code": "parity-cpn-expired", "amount": "1", "date_expires": "2020-01-01T00:00:00"},
    )
    await _place(s, "order expired coupon", "cpn-expired", _order(s, "parity-cpn-expired"))
    await _queue(s, "queue usage", 5)


async def _post_hooks(s: Scenario) -> None:
    """Trashing a product: which coupon and product topics fire."""
    a = AREA
    await s.call(
        a,
        "trash product",
        "DELETE",
        f"{API}/products/{s.id('products:cpn-c')}",
        kind="products",
        params=[("_fields", "id,status")],
    )
    await _queue(s, "queue product trash", 2)
    await s.call(
        a,
        "trash coupon",
        "DELETE",
        f"{API}/coupons/{_coupon(s, 'each')}",
        kind="coupons",
        params=[("_fields", "id,status")],
    )
    await _queue(s, "queue coupon trash", 2)
