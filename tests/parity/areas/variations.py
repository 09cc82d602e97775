"""Area ``variations``: variable products and their ``products/{id}/variations``.

Covers a variable product with attributes, its variations (CRUD, batch, list parameters,
errors, OPTIONS), what the parent shows of them (``variations``, prices, price HTML),
``variation_id`` on order line items (price and stock from the variation), the
webhooks a variation change fires (``product.*`` with the variation's own id, and the
``coupon.deleted`` hook of a trashed post), and creates that name an ``id`` (alone and
in a batch: refused, or the controller's PHP fatal error when the id is empty).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .taxonomies import find_ours

if TYPE_CHECKING:
    from ..scenario import Scenario

A = "variations"
API = "wc/v3"
PRODUCTS = f"{API}/products"
SECRET = "parity-secret-1"
BUYER = "varbuyer@parity.example"
TOPICS = (
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "coupon.deleted",
)


async def cleanup(s: Scenario) -> None:
    """Force-delete what an earlier run left: webhooks, orders, products (and so variations)."""
    for hook in await find_ours(s, f"{API}/webhooks", "parity variations", "name"):
        await s.raw("DELETE", f"{API}/webhooks/{hook['id']}", params=[("force", "true")])
    for status in ("any", "trash"):
        found = await s.raw(
            "GET",
            f"{API}/orders",
            params=[("search", BUYER), ("status", status), ("per_page", "100")],
        )
        for order in found.json() or []:
            if isinstance(order, dict) and (order.get("billing") or {}).get("email") == BUYER:
                await s.raw("DELETE", f"{API}/orders/{order['id']}", params=[("force", "true")])
    for status in ("any", "trash"):
        for product in await find_ours(s, PRODUCTS, "parity-var", "sku", status):
            await s.raw("DELETE", f"{PRODUCTS}/{product['id']}", params=[("force", "true")])


async def create_variation(
    s: Scenario, step: str, parent: int, label: str, body: dict[str, Any]
) -> int:
    """POST a variation and name its id (a post, like a product) before recording."""
    response = await s.raw("POST", f"{PRODUCTS}/{parent}/variations", body=body)
    created = response.json()
    ident = 0
    if response.status == 201 and isinstance(created, dict):
        ident = s.name("products", int(created["id"]), label)
    s.rec.response(A, step, response, kind="products")
    return ident or 999990


def in_order(s: Scenario, step: str, body: object) -> None:
    """A parent's ``variations`` in its order (list checks keep only distinct values)."""
    if isinstance(body, dict):
        ids = body.get("variations", [])
        s.rec.add(
            A, step, "variations in order", [s.rec.symbols.lookup("products", i) for i in ids]
        )


async def run(s: Scenario) -> None:
    await cleanup(s)
    for topic in TOPICS:
        await s.create(
            A,
            f"create webhook {topic}",
            "webhooks",
            f"var {topic}",
            {
                "name": f"parity variations {topic}",
                "topic": topic,
                "delivery_url": s.b.hook_url,
                "secret": SECRET,
                "status": "active",
            },
        )
    await s.queue(A, "queue after webhooks", 0)
    parent, simple = await parents(s)
    await variations(s, parent, simple)
    await listing(s, parent)
    await batch(s, parent)
    await orders(s, parent)
    await removal(s, parent)
    await options(s, parent)
    await named_ids(s)
    await cleanup(s)


async def parents(s: Scenario) -> tuple[int, int]:
    tee = await s.create(
        A,
        "parent create",
        "products",
        "var tee",
        {
            "name": "Parity Var Tee",
            "type": "variable",
            "sku": "parity-var-tee",
            "attributes": [
                {"name": "Size", "options": ["S", "M", "L"], "variation": True, "visible": True},
                {"name": "Color", "options": ["Red", "Blue"], "variation": True},
                {"name": "Material", "options": ["Cotton"], "visible": True},
            ],
            "default_attributes": [{"name": "Size", "option": "M"}],
        },
    )
    simple = await s.create(
        A,
        "simple create",
        "products",
        "var simple",
        {"name": "Parity Var Simple", "sku": "parity-var-simple", "regular_price": "3.00"},
    )
    await s.queue(A, "queue parent create", 2)
    return int(tee.get("id", 999990)), int(simple.get("id", 999990))


async def variations(s: Scenario, parent: int, simple: int) -> None:
    v = f"{PRODUCTS}/{parent}/variations"
    small = await create_variation(
        s,
        "create full",
        parent,
        "var s",
        {
            "regular_price": "10.00",
            "sale_price": "8.00",
            "sku": "parity-var-tee-s",
            "description": "Small tee.",
            "manage_stock": True,
            "stock_quantity": 5,
            "weight": "0.5",
            "dimensions": {"length": "10", "width": "5", "height": "1"},
            "attributes": [{"name": "Size", "option": "S"}, {"name": "Color", "option": "Red"}],
            "menu_order": 2,
            "meta_data": [{"key": "parity_note", "value": "small"}],
        },
    )
    await s.queue(A, "queue variation create", 2)
    medium = await create_variation(
        s,
        "create minimal",
        parent,
        "var m",
        {"regular_price": "12.00", "attributes": [{"name": "size", "option": "M"}]},
    )
    await create_variation(s, "create no attributes", parent, "var any", {})
    await create_variation(
        s,
        "create option not offered",
        parent,
        "var xl",
        {"regular_price": "9", "attributes": [{"name": "Size", "option": "XL"}]},
    )
    await s.queue(A, "queue three creates", 3)
    # No "create on an unknown parent": the real store creates an orphan variation and
    # then dies with a PHP fatal error (500), which would leave an orphan behind each run.
    # A simple product takes a variation too (WooCommerce checks no parent type).
    await create_variation(
        s, "create on simple product", simple, "var on simple", {"regular_price": "1.00"}
    )
    await s.call(A, "create bad status", "POST", v, body={"status": "sleeping"})
    await s.call(A, "create bad stock_status", "POST", v, body={"stock_status": "maybe"})
    await s.call(A, "create duplicate sku", "POST", v, body={"sku": "parity-var-tee-s"}, depth=1)
    await s.call(A, "create bad price", "POST", v, body={"regular_price": 5})
    await s.queue(A, "queue after errors", 0)

    await s.call(A, "get", "GET", f"{v}/{small}", kind="products")
    await s.call(
        A, "get edit", "GET", f"{v}/{small}", kind="products", params=[("context", "edit")]
    )
    await s.call(A, "get unknown", "GET", f"{v}/999999")
    await s.call(A, "get wrong parent", "GET", f"{PRODUCTS}/{simple}/variations/{small}")
    await s.call(A, "get parent as variation", "GET", f"{v}/{parent}")
    await s.call(A, "get via products", "GET", f"{PRODUCTS}/{small}", kind="products")
    body = await s.call(A, "parent get", "GET", f"{PRODUCTS}/{parent}", kind="products")
    in_order(s, "parent get", body)
    await s.call(
        A,
        "parent in list",
        "GET",
        PRODUCTS,
        kind="products",
        params=[("search", "parity var"), ("orderby", "id"), ("order", "asc")],
    )
    await s.call(
        A,
        "products type variable",
        "GET",
        PRODUCTS,
        kind="products",
        params=[("search", "parity var"), ("type", "variable"), ("_fields", "id,type")],
    )

    await s.call(
        A,
        "update PUT",
        "PUT",
        f"{v}/{medium}",
        kind="products",
        body={"regular_price": "14.00", "sale_price": "13.00", "description": "Medium."},
    )
    await s.queue(A, "queue variation update", 2)
    await s.call(
        A,
        "update PATCH",
        "PATCH",
        f"{v}/{small}",
        kind="products",
        body={"stock_quantity": 0},
    )
    await s.call(
        A,
        "update POST",
        "POST",
        f"{v}/{medium}",
        kind="products",
        body={"status": "private", "attributes": [{"name": "Size", "option": "L"}]},
    )
    await s.call(A, "update unknown", "PUT", f"{v}/999999", body={"sku": "x"})
    await s.call(A, "update bad status", "PUT", f"{v}/{small}", body={"status": "sleeping"})
    await s.queue(A, "queue more updates", 2)
    body = await s.call(A, "parent after updates", "GET", f"{PRODUCTS}/{parent}", kind="products")
    in_order(s, "parent after updates", body)


async def listing(s: Scenario, parent: int) -> None:
    v = f"{PRODUCTS}/{parent}/variations"

    async def lst(step: str, *params: tuple[str, str]) -> None:
        await s.call(A, step, "GET", v, kind="products", params=list(params))

    small, medium = s.id("products:var s"), s.id("products:var m")
    await lst("list")
    await lst("list order asc", ("order", "asc"))
    await lst("list orderby id", ("orderby", "id"), ("order", "asc"))
    await lst("list orderby menu_order", ("orderby", "menu_order"), ("order", "asc"))
    await lst("list orderby title", ("orderby", "title"))
    await lst("list orderby price", ("orderby", "price"), ("order", "asc"))
    await lst("list orderby bad", ("orderby", "colour"))
    await lst("list per_page 1", ("per_page", "1"))
    await lst("list page 2", ("per_page", "1"), ("page", "2"))
    await lst("list include", ("include", f"{small},{medium}"))
    await lst("list exclude", ("exclude", str(small)))
    await lst("list sku", ("sku", "parity-var-tee-s"))
    await lst("list status private", ("status", "private"))
    await lst("list status bad", ("status", "sleeping"))
    await lst("list on_sale", ("on_sale", "true"))
    await lst("list stock_status", ("stock_status", "outofstock"))
    await lst("list min_price", ("min_price", "11"))
    await lst("list max_price", ("max_price", "11"))
    await lst("list search", ("search", "small"))
    await lst("list context edit", ("context", "edit"))
    await s.call(A, "list unknown parent", "GET", f"{PRODUCTS}/999999/variations")


async def batch(s: Scenario, parent: int) -> None:
    v = f"{PRODUCTS}/{parent}/variations"
    response = await s.raw(
        "POST",
        f"{v}/batch",
        body={
            "create": [
                {"regular_price": "20.00", "attributes": [{"name": "Color", "option": "Blue"}]},
                {"regular_price": "21.00", "sku": "parity-var-tee-b2"},
                {"status": "sleeping"},
            ]
        },
    )
    created = (response.json() or {}).get("create", []) if response.status == 200 else []
    for n, item in enumerate(created[:2]):
        if isinstance(item, dict) and item.get("id"):
            s.name("products", int(item["id"]), f"var b{n + 1}")
    s.rec.response(A, "batch create", response, kind="products")
    await s.queue(A, "queue batch create", 2)
    one, two = s.id("products:var b1"), s.id("products:var b2")
    await s.call(
        A,
        "batch update delete",
        "POST",
        f"{v}/batch",
        kind="products",
        body={
            "update": [{"id": one, "regular_price": "19.00"}, {"id": 999999, "sku": "x"}],
            "delete": [two, 999998],
        },
    )
    await s.queue(A, "queue batch update delete", 2)
    await s.call(A, "batch bad body", "POST", f"{v}/batch", body={"update": "x"})


async def orders(s: Scenario, parent: int) -> None:
    small, medium = s.id("products:var s"), s.id("products:var m")
    await s.call(
        A,
        "restock small",
        "PUT",
        f"{PRODUCTS}/{parent}/variations/{small}",
        kind="products",
        body={"stock_quantity": 5},
        params=[("_fields", "id,stock_quantity,stock_status")],
    )
    await s.queue(A, "queue restock", 1)
    address = {
        "first_name": "Varbuyer",
        "last_name": "Parity",
        "address_1": "1 Main St",
        "city": "New York",
        "state": "NY",
        "postcode": "10001",
        "country": "US",
        "email": BUYER,
    }
    order: dict[str, Any] = await s.create(
        A,
        "order with variations",
        "orders",
        "var order",
        {
            "billing": address,
            "status": "processing",
            "set_paid": True,
            "line_items": [
                {"product_id": parent, "variation_id": small, "quantity": 2},
                {"variation_id": medium, "quantity": 1},
                {"product_id": small, "quantity": 1},
            ],
        },
    )
    for n, item in enumerate(order.get("line_items", [])):
        s.rec.add(
            A,
            "order with variations",
            f"line {n} meta",
            [
                [m.get("key"), m.get("value"), m.get("display_key"), m.get("display_value")]
                for m in item.get("meta_data", [])
            ],
        )
        s.rec.add(
            A,
            "order with variations",
            f"line {n} name price sku",
            [item.get("name"), item.get("price"), item.get("sku")],
        )
    await s.call(
        A,
        "stock after order",
        "GET",
        f"{PRODUCTS}/{parent}/variations/{small}",
        kind="products",
        params=[("_fields", "id,stock_quantity,stock_status,total_sales")],
    )
    await s.call(
        A,
        "parent after order",
        "GET",
        f"{PRODUCTS}/{parent}",
        kind="products",
        params=[("_fields", "id,total_sales,stock_quantity,stock_status,price")],
    )
    await s.queue(A, "queue order", 2)
    await s.call(
        A,
        "order line item wrong parent",
        "POST",
        f"{API}/orders",
        body={
            "billing": address,
            "line_items": [{"product_id": s.id("products:var simple"), "variation_id": small}],
        },
        params=[("_fields", "id,line_items")],
        kind="orders",
    )
    made = (await s.raw("GET", f"{API}/orders", params=[("search", BUYER)])).json() or []
    for extra in made:
        if isinstance(extra, dict) and extra.get("id") != order.get("id"):
            await s.raw("DELETE", f"{API}/orders/{extra['id']}", params=[("force", "true")])


async def removal(s: Scenario, parent: int) -> None:
    v = f"{PRODUCTS}/{parent}/variations"
    gone = s.id("products:var any")
    await s.call(A, "delete no force", "DELETE", f"{v}/{gone}", kind="products")
    await s.queue(A, "queue trash", 2)
    await s.call(
        A, "get trashed", "GET", f"{v}/{gone}", kind="products", params=[("_fields", "id,status")]
    )
    await s.call(A, "list after trash", "GET", v, kind="products", params=[("_fields", "id")])
    await s.call(
        A,
        "list status trash",
        "GET",
        v,
        kind="products",
        params=[("status", "trash"), ("_fields", "id")],
    )
    body = await s.call(
        A,
        "parent after trash",
        "GET",
        f"{PRODUCTS}/{parent}",
        kind="products",
        params=[("_fields", "id,variations,price")],
    )
    in_order(s, "parent after trash", body)
    await s.call(A, "delete again", "DELETE", f"{v}/{gone}")
    await s.call(
        A, "delete force", "DELETE", f"{v}/{gone}", kind="products", params=[("force", "true")]
    )
    await s.queue(A, "queue force delete", 0)
    await s.call(A, "get deleted", "GET", f"{v}/{gone}")
    await s.call(A, "delete unknown", "DELETE", f"{v}/999999", params=[("force", "true")])
    xl = s.id("products:var xl")
    await s.call(
        A,
        "delete force untrashed",
        "DELETE",
        f"{v}/{xl}",
        kind="products",
        params=[("force", "true"), ("_fields", "id,status")],
    )
    await s.queue(A, "queue force delete untrashed", 1)


async def options(s: Scenario, parent: int) -> None:
    small = s.id("products:var s")
    for step, path in (
        ("variations", f"{PRODUCTS}/{parent}/variations"),
        ("variation", f"{PRODUCTS}/{parent}/variations/{small}"),
        ("variations batch", f"{PRODUCTS}/{parent}/variations/batch"),
    ):
        response = await s.raw("OPTIONS", path)
        body = response.json()
        step = f"OPTIONS {step}"
        s.rec.add(A, step, "status", response.status)
        s.rec.add(A, step, "header allow", response.headers.get("allow"))
        if isinstance(body, dict):
            s.rec.add(A, step, "value $.methods", body.get("methods"))
            schema = body.get("schema") or {}
            s.rec.add(A, step, "value $.schema.title", schema.get("title"))
            s.rec.add(A, step, "schema properties", list(schema.get("properties", {})))
            for ep in body.get("endpoints", []):
                args = ep.get("args", {})
                s.rec.add(
                    A,
                    step,
                    f"endpoint {','.join(ep.get('methods', []))} args",
                    sorted(args),
                )
    index = (await s.raw("GET", API)).json() or {}
    routes = index.get("routes", {}) if isinstance(index, dict) else {}
    for route in (
        "/wc/v3/products/(?P<product_id>[\\d]+)/variations",
        "/wc/v3/products/(?P<product_id>[\\d]+)/variations/(?P<id>[\\d]+)",
        "/wc/v3/products/(?P<product_id>[\\d]+)/variations/batch",
    ):
        entry = routes.get(route)
        s.rec.add(A, "index", f"route {route}", None if entry is None else entry.get("methods"))
    # Trashing the parent: its variations stay; force-deleting it removes them.
    await s.call(
        A,
        "parent trash",
        "DELETE",
        f"{PRODUCTS}/{parent}",
        kind="products",
        params=[("_fields", "id,status,variations")],
    )
    await s.call(
        A,
        "variation of trashed parent",
        "GET",
        f"{PRODUCTS}/{parent}/variations/{small}",
        kind="products",
        params=[("_fields", "id,status")],
    )
    await s.queue(A, "queue parent trash", 2)
    await s.call(
        A,
        "parent force delete",
        "DELETE",
        f"{PRODUCTS}/{parent}",
        kind="products",
        params=[("force", "true"), ("_fields", "id")],
    )
    await s.call(A, "variation after parent delete", "GET", f"{PRODUCTS}/{small}")
    await s.queue(A, "queue parent delete", 0)


async def named_ids(s: Scenario) -> None:
    """Creates naming an ``id``: refused when PHP's ``empty()`` says it is not empty, a
    PHP fatal error (500, nothing made) when it is set but empty, ignored when null;
    in a batch each item answers for itself, except the fatal error, which ends it.

    Deliveries count from before the creates (not from the queue run): a real store's
    WP-Cron, spawned by the requests themselves, may run the queue early."""
    mark = s.b.deliveries_mark()
    made = await s.create(
        A,
        "ids parent create",
        "products",
        "var ids",
        {
            "name": "Parity Var Ids",
            "type": "variable",
            "sku": "parity-var-ids",
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        },
    )
    parent = int(made.get("id", 999990))
    v = f"{PRODUCTS}/{parent}/variations"
    first = await create_variation(
        s,
        "ids create",
        parent,
        "var ids s",
        {"regular_price": "5.00", "attributes": [{"name": "Size", "option": "S"}]},
    )
    await s.b.run_queue(3)
    s.deliveries(A, "queue ids creates", mark)
    mark = s.b.deliveries_mark()
    for step, ident in (
        ("create id unused", 999999),
        ("create id of variation", first),
        ("create id of parent", parent),
        ("create id string", "abc"),
        ("create id negative", -1),
        ("create id true", True),
        ("create id zero", 0),
        ("create id zero string", "0"),
        ("create id empty string", ""),
        ("create id false", False),
        ("create id empty list", []),
    ):
        await s.call(A, step, "POST", v, body={"id": ident, "regular_price": "6.00"})
    await s.call(
        A,
        "create id in query",
        "POST",
        v,
        body={"regular_price": "6.00"},
        params=[("id", "999999")],
    )
    await s.call(
        A,
        "create id null over query",
        "POST",
        v,
        body={"id": None, "regular_price": "6.00"},
        params=[("id", "999999")],
    )
    # Without a JSON body or Accept header WordPress answers its HTML error page.
    await s.call(A, "create id zero in query no body", "POST", v, params=[("id", "0")])
    await s.call(A, "create id zero bad status", "POST", v, body={"id": 0, "status": "sleeping"})
    await create_variation(
        s, "create id null", parent, "var ids null", {"id": None, "regular_price": "6.50"}
    )
    response = await s.raw(
        "POST",
        f"{v}/batch",
        body={
            "create": [
                {"id": None, "regular_price": "7.00"},
                {"id": 999999},
                {"id": first},
                {"id": parent},
                {"id": "abc"},
            ]
        },
    )
    created = (response.json() or {}).get("create", []) if response.status == 200 else []
    if created and isinstance(created[0], dict) and created[0].get("id"):
        s.name("products", int(created[0]["id"]), "var ids b1")
    s.rec.response(A, "batch create ids", response, kind="products")
    await s.call(
        A,
        "batch create id in query",
        "POST",
        f"{v}/batch",
        kind="products",
        body={"create": [{"regular_price": "7.25"}]},
        params=[("id", "999999")],
    )
    # The first item is made before the second kills the request; the update never runs.
    await s.call(
        A,
        "batch create id zero",
        "POST",
        f"{v}/batch",
        kind="products",
        body={
            "create": [{"regular_price": "7.50"}, {"id": 0}],
            "update": [{"id": first, "regular_price": "9.00"}],
        },
    )
    listed = await s.raw(
        "GET", v, params=[("orderby", "id"), ("order", "asc"), ("_fields", "id,regular_price")]
    )
    for item in listed.json() or []:
        if isinstance(item, dict) and item.get("regular_price") == "7.50":
            s.name("products", int(item["id"]), "var ids fatal b1")
    s.rec.response(A, "ids list after", listed, kind="products")
    await s.b.run_queue(4)
    s.deliveries(A, "queue ids", mark)
