"""Area ``taxonomies``: product categories and tags, and the product's ``categories``/``tags``.

Covers the ``products/categories`` and ``products/tags`` routes (CRUD, batch, every list
parameter, errors, OPTIONS), the product's term arrays written by id, the product list's
``category`` (a parent matches its children's products) and ``tag`` filters, the terms'
``count``, and which webhooks a term change fires (none for the term itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..scenario import Scenario

A = "taxonomies"
API = "wc/v3"
CATS = f"{API}/products/categories"
TAGS = f"{API}/products/tags"
SECRET = "parity-secret-1"
#: The symbol kinds of term ids (``<cat:...>``, ``<tag:...>``).
KIND = {CATS: "cats", TAGS: "tags"}


async def cleanup(s: Scenario) -> None:
    """Force-delete terms, products and webhooks an earlier run left (names carry parity)."""
    for hook in await find_ours(s, f"{API}/webhooks", "parity taxonomies", "name"):
        await s.raw("DELETE", f"{API}/webhooks/{hook['id']}", params=[("force", "true")])
    for status in ("any", "trash"):
        for product in await find_ours(s, f"{API}/products", "parity-tax", "sku", status):
            await s.raw("DELETE", f"{API}/products/{product['id']}", params=[("force", "true")])
    for route in (CATS, TAGS):
        for term in await find_ours(s, route, "Parity", "name"):
            await s.raw("DELETE", f"{route}/{term['id']}", params=[("force", "true")])


async def find_ours(
    s: Scenario, route: str, prefix: str, field: str, status: str | None = None
) -> list[dict[str, Any]]:
    params = [("search", prefix.split()[0].split("-")[0].lower()), ("per_page", "100")]
    if status is not None:
        params.append(("status", status))
    found = (await s.raw("GET", route, params=params)).json()
    if not isinstance(found, list):
        return []
    return [r for r in found if isinstance(r, dict) and str(r.get(field, "")).startswith(prefix)]


async def create_term(s: Scenario, step: str, route: str, label: str, body: dict[str, Any]) -> int:
    """POST a term and name its id before recording, so the snapshot shows the name."""
    response = await s.raw("POST", route, body=body)
    created = response.json()
    ident = 0
    if response.status == 201 and isinstance(created, dict):
        ident = s.name(KIND[route], int(created["id"]), label)
    s.rec.response(A, step, response, kind=KIND[route])
    return ident or 999990


def counts(s: Scenario, step: str, body: object) -> None:
    """Each listed term's ``count`` by name (list checks keep only distinct values)."""
    if isinstance(body, list):
        kind = "tags" if step.startswith("tag") else "cats"
        s.rec.add(
            A,
            step,
            "counts",
            {s.rec.symbols.lookup(kind, int(t["id"])): t.get("count") for t in body},
        )


async def run(s: Scenario) -> None:
    await cleanup(s)
    await hooks(s)
    cats = await categories(s)
    tags = await tag_terms(s)
    await products(s, cats, tags)
    await batches(s)
    await options(s, cats["clothing"], tags["red"])
    await removal(s, cats)
    await cleanup(s)


async def hooks(s: Scenario) -> None:
    for topic in ("product.created", "product.updated", "product.deleted"):
        await s.create(
            A,
            f"create webhook {topic}",
            "webhooks",
            f"tax {topic}",
            {
                "name": f"parity taxonomies {topic}",
                "topic": topic,
                "delivery_url": s.b.hook_url,
                "secret": SECRET,
                "status": "active",
            },
        )
    await s.queue(A, "queue after webhooks", 3)


async def categories(s: Scenario) -> dict[str, int]:
    c = CATS
    ids = {
        "clothing": await create_term(s, "cat create", c, "clothing", {"name": "Parity Clothing"}),
    }
    ids["shirts"] = await create_term(
        s,
        "cat create child full",
        c,
        "shirts",
        {
            "name": "Parity Shirts",
            "parent": ids["clothing"],
            "description": "<b>Shirts</b> of all kinds",
            "display": "products",
            "menu_order": 3,
            "slug": "Parity Shirts!",
        },
    )
    ids["tees"] = await create_term(
        s, "cat create grandchild", c, "tees", {"name": "Parity Tees", "parent": ids["shirts"]}
    )
    ids["shoes"] = await create_term(
        s,
        "cat create menu_order string",
        c,
        "shoes",
        {"name": "Parity Shoes", "menu_order": "7", "display": "both"},
    )
    await s.call(A, "cat create duplicate", "POST", c, body={"name": "Parity Clothing"}, depth=1)
    ids["clothing2"] = await create_term(
        s,
        "cat create same name other parent",
        c,
        "clothing2",
        {"name": "Parity Clothing", "parent": ids["shoes"]},
    )
    # Renamed at once: two equal names would leave list order to MySQL (ties vary).
    await s.call(
        A,
        "cat rename same name",
        "PUT",
        f"{c}/{ids['clothing2']}",
        kind="cats",
        body={"name": "Parity Kids Clothing"},
    )
    await s.call(A, "cat create missing name", "POST", c, body={"slug": "parity-noname"})
    await s.call(A, "cat create empty name", "POST", c, body={"name": ""})
    await s.call(A, "cat create bad parent", "POST", c, body={"name": "Parity X", "parent": 999999})
    await s.call(A, "cat create bad display", "POST", c, body={"name": "Parity X", "display": "x"})
    await s.call(
        A, "cat create bad menu_order", "POST", c, body={"name": "Parity X", "menu_order": "abc"}
    )
    await s.call(
        A,
        "cat create remote image",
        "POST",
        c,
        body={"name": "Parity X", "image": {"src": "http://example.invalid/a.png"}},
    )
    clothing, shirts = ids["clothing"], ids["shirts"]
    await s.call(A, "cat get", "GET", f"{c}/{shirts}", kind="cats")
    await s.call(
        A, "cat get edit", "GET", f"{c}/{shirts}", kind="cats", params=[("context", "edit")]
    )
    await s.call(A, "cat get unknown", "GET", f"{c}/999999")
    await s.call(
        A,
        "cat update PUT",
        "PUT",
        f"{c}/{clothing}",
        kind="cats",
        body={"description": "Clothes", "menu_order": "5", "display": "subcategories"},
    )
    await s.call(
        A, "cat update PATCH", "PATCH", f"{c}/{shirts}", kind="cats", body={"name": "Parity Shirts"}
    )
    await s.call(
        A,
        "cat update POST slug",
        "POST",
        f"{c}/{ids['shoes']}",
        kind="cats",
        body={"slug": "parity-footwear", "parent": clothing},
    )
    await s.call(
        A, "cat update parent 0", "PUT", f"{c}/{ids['shoes']}", kind="cats", body={"parent": 0}
    )
    await s.call(
        A, "cat update bad parent", "PUT", f"{c}/{shirts}", kind="cats", body={"parent": 999999}
    )
    await s.call(
        A, "cat update own parent", "PUT", f"{c}/{clothing}", kind="cats", body={"parent": clothing}
    )
    await s.call(
        A,
        "cat update duplicate name",
        "PUT",
        f"{c}/{ids['shoes']}",
        body={"name": "Parity Clothing"},
        depth=1,
    )
    await s.call(
        A,
        "cat rename back",
        "PUT",
        f"{c}/{ids['shoes']}",
        kind="cats",
        body={"name": "Parity Shoes"},
    )
    await s.call(A, "cat update unknown", "PUT", f"{c}/999999", body={"name": "Parity X"})
    await s.call(A, "cat delete no force", "DELETE", f"{c}/{ids['shoes']}")
    await s.call(A, "cat delete unknown", "DELETE", f"{c}/999999", params=[("force", "true")])

    async def listing(step: str, *params: tuple[str, str]) -> None:
        await s.call(A, step, "GET", c, kind="cats", params=[("search", "parity"), *params])

    await listing("cat list")
    await listing("cat list orderby id desc", ("orderby", "id"), ("order", "desc"))
    await listing("cat list orderby slug", ("orderby", "slug"))
    await listing("cat list orderby description", ("orderby", "description"))
    await listing("cat list orderby count desc", ("orderby", "count"), ("order", "desc"))
    await listing(
        "cat list orderby include", ("orderby", "include"), ("include", f"{shirts},{clothing}")
    )
    await listing("cat list orderby bad", ("orderby", "menu_order"))
    await listing("cat list parent", ("parent", str(clothing)))
    await listing("cat list parent 0", ("parent", "0"))
    await listing("cat list slug", ("slug", "parity-shirts"))
    await listing("cat list include", ("include", f"{shirts},{clothing}"))
    await listing("cat list exclude", ("exclude", str(shirts)))
    await listing("cat list per_page 1", ("per_page", "1"))
    await listing("cat list page 2", ("per_page", "1"), ("page", "2"))
    await listing("cat list offset", ("per_page", "2"), ("offset", "1"))
    await listing("cat list context edit", ("context", "edit"))
    await s.call(
        A, "cat list search tees", "GET", c, kind="cats", params=[("search", "parity tees")]
    )
    return ids


async def tag_terms(s: Scenario) -> dict[str, int]:
    t = TAGS
    ids = {
        "red": await create_term(s, "tag create", t, "red", {"name": "Parity Red"}),
        "blue": await create_term(
            s,
            "tag create full",
            t,
            "blue",
            {"name": "Parity Blue", "slug": "parity-azure", "description": "Blue things"},
        ),
    }
    await s.call(A, "tag create duplicate", "POST", t, body={"name": "Parity Red"}, depth=1)
    await s.call(A, "tag create missing name", "POST", t, body={"description": "x"})
    await s.call(
        A,
        "tag create parent",
        "POST",
        t,
        kind="tags",
        body={"name": "Parity Green", "parent": ids["red"]},
    )
    await s.call(A, "tag get", "GET", f"{t}/{ids['blue']}", kind="tags")
    await s.call(A, "tag get unknown", "GET", f"{t}/999999")
    await s.call(
        A, "tag update", "PUT", f"{t}/{ids['blue']}", kind="tags", body={"description": "Sky"}
    )
    await s.call(A, "tag delete no force", "DELETE", f"{t}/{ids['blue']}")
    for step, params in (
        ("tag list", []),
        ("tag list orderby id desc", [("orderby", "id"), ("order", "desc")]),
        ("tag list slug", [("slug", "parity-azure")]),
        ("tag list hide_empty", [("hide_empty", "true")]),
    ):
        await s.call(A, step, "GET", t, kind="tags", params=[("search", "parity"), *params])
    return ids


async def products(s: Scenario, cats: dict[str, int], tags: dict[str, int]) -> None:
    p = f"{API}/products"
    plain = await s.create(
        A,
        "product create plain",
        "products",
        "tax plain",
        {"name": "Parity Tax Plain", "sku": "parity-tax-plain", "regular_price": "5.00"},
    )
    shirt = await s.create(
        A,
        "product create with terms",
        "products",
        "tax shirt",
        {
            "name": "Parity Tax Shirt",
            "sku": "parity-tax-shirt",
            "regular_price": "20.00",
            "categories": [{"id": cats["shirts"]}, {"id": 999999}],
            "tags": [{"id": tags["red"]}, {"id": tags["blue"]}],
        },
    )
    tee = await s.create(
        A,
        "product create in grandchild",
        "products",
        "tax tee",
        {
            "name": "Parity Tax Tee",
            "sku": "parity-tax-tee",
            "regular_price": "15.00",
            "categories": [{"id": cats["tees"]}],
            "tags": [{"name": "Parity Byname"}],
        },
    )
    await s.create(
        A,
        "product create draft in clothing",
        "products",
        "tax draft",
        {
            "name": "Parity Tax Draft",
            "sku": "parity-tax-draft",
            "status": "draft",
            "categories": [{"id": cats["clothing"]}],
            "tags": [{"id": tags["red"]}],
        },
    )
    await s.queue(A, "queue product creates", 4)
    plain_id, shirt_id, tee_id = (int(x.get("id", 999990)) for x in (plain, shirt, tee))
    await s.call(
        A,
        "product update terms",
        "PUT",
        f"{p}/{plain_id}",
        kind="products",
        body={
            "categories": [{"id": cats["clothing"]}, {"id": cats["shoes"]}],
            "tags": [{"id": tags["blue"]}],
        },
    )
    await s.call(
        A,
        "product update categories empty",
        "PUT",
        f"{p}/{tee_id}",
        kind="products",
        body={"categories": []},
        params=[("_fields", "id,categories,tags")],
    )
    await s.call(
        A,
        "product update tags empty",
        "PUT",
        f"{p}/{tee_id}",
        kind="products",
        body={"tags": [], "categories": [{"id": cats["tees"]}]},
        params=[("_fields", "id,categories,tags")],
    )
    await s.queue(A, "queue product term updates", 2)

    async def listing(step: str, *params: tuple[str, str]) -> None:
        await s.call(
            A,
            step,
            "GET",
            p,
            kind="products",
            params=[("search", "parity tax"), ("orderby", "id"), ("order", "asc"), *params],
        )

    await listing("products category parent", ("category", str(cats["clothing"])))
    await listing("products category child", ("category", str(cats["shirts"])))
    await listing("products category leaf", ("category", str(cats["tees"])))
    await listing("products category csv", ("category", f"{cats['tees']},{cats['shoes']}"))
    await listing("products category unknown", ("category", "999999"))
    await listing("products category bad", ("category", "abc"))
    await listing("products tag", ("tag", str(tags["red"])))
    await listing("products tag csv", ("tag", f"{tags['red']},{tags['blue']}"))
    await listing("products tag unknown", ("tag", "999999"))
    await listing(
        "products category and tag", ("category", str(cats["clothing"])), ("tag", str(tags["blue"]))
    )
    await listing(
        "products status any category", ("category", str(cats["clothing"])), ("status", "any")
    )
    await s.call(
        A,
        "cat list product",
        "GET",
        CATS,
        kind="cats",
        params=[("product", str(shirt_id))],
    )
    await s.call(
        A, "tag list product", "GET", TAGS, kind="tags", params=[("product", str(shirt_id))]
    )
    body = await s.call(
        A,
        "cat list counts",
        "GET",
        CATS,
        kind="cats",
        params=[("search", "parity"), ("orderby", "id")],
    )
    counts(s, "cat list counts", body)
    await s.call(
        A,
        "cat list hide_empty",
        "GET",
        CATS,
        kind="cats",
        params=[("search", "parity"), ("hide_empty", "true")],
    )
    body = await s.call(
        A,
        "tag list counts",
        "GET",
        TAGS,
        kind="tags",
        params=[("search", "parity"), ("orderby", "id")],
    )
    counts(s, "tag list counts", body)
    # Renaming a category re-renders its products, but fires no product webhook.
    await s.call(
        A,
        "cat rename",
        "PUT",
        f"{CATS}/{cats['shirts']}",
        kind="cats",
        body={"name": "Parity Shirts Renamed"},
    )
    await s.call(
        A,
        "product after cat rename",
        "GET",
        f"{p}/{shirt_id}",
        kind="products",
        params=[("_fields", "id,categories,tags")],
    )
    await s.queue(A, "queue cat rename", 0)


async def batches(s: Scenario) -> None:
    for route, label in ((CATS, "cat"), (TAGS, "tag")):
        response = await s.raw(
            "POST",
            f"{route}/batch",
            body={
                "create": [
                    {"name": f"Parity {label} batch one"},
                    {"name": f"Parity {label} batch two", "description": "two"},
                    {"name": ""},
                ]
            },
        )
        created = (response.json() or {}).get("create", []) if response.status == 200 else []
        for n, item in enumerate(created[:2]):
            if isinstance(item, dict) and "id" in item:
                s.name(KIND[route], int(item["id"]), f"batch{n + 1}")
        s.rec.response(A, f"{label} batch create", response, kind=KIND[route])
        one, two = s.id(f"{KIND[route]}:batch1"), s.id(f"{KIND[route]}:batch2")
        await s.call(
            A,
            f"{label} batch update delete",
            "POST",
            f"{route}/batch",
            kind=KIND[route],
            body={
                "update": [{"id": one, "description": "one"}, {"id": 999999, "name": "x"}],
                "delete": [two, 999998],
            },
        )
        await s.call(
            A,
            f"{label} batch delete force",
            "POST",
            f"{route}/batch",
            kind=KIND[route],
            params=[("force", "true")],
            body={"delete": [one, two]},
        )
        await s.call(A, f"{label} batch bad body", "POST", f"{route}/batch", body={"create": "x"})


async def options(s: Scenario, category: int, tag: int) -> None:
    for step, path in (
        ("categories", CATS),
        ("category", f"{CATS}/{category}"),
        ("categories batch", f"{CATS}/batch"),
        ("tags", TAGS),
        ("tag", f"{TAGS}/{tag}"),
        ("tags batch", f"{TAGS}/batch"),
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
                    {
                        name: [arg.get("type"), arg.get("default"), arg.get("enum")]
                        for name, arg in args.items()
                    },
                )
    index = (await s.raw("GET", API)).json() or {}
    routes = index.get("routes", {}) if isinstance(index, dict) else {}
    for route in (
        "/wc/v3/products/categories",
        "/wc/v3/products/categories/(?P<id>[\\d]+)",
        "/wc/v3/products/categories/batch",
        "/wc/v3/products/tags",
        "/wc/v3/products/tags/(?P<id>[\\d]+)",
        "/wc/v3/products/tags/batch",
    ):
        entry = routes.get(route)
        s.rec.add(A, "index", f"route {route}", None if entry is None else entry.get("methods"))


async def removal(s: Scenario, cats: dict[str, int]) -> None:
    p = f"{API}/products"
    shirt = s.id("products:tax shirt")
    # A force-deleted category leaves its products; one left with none gets Uncategorized.
    await s.call(
        A,
        "cat delete force",
        "DELETE",
        f"{CATS}/{cats['tees']}",
        kind="cats",
        params=[("force", "true")],
    )
    await s.call(
        A,
        "product after cat delete",
        "GET",
        f"{p}/{s.id('products:tax tee')}",
        kind="products",
        params=[("_fields", "id,categories")],
    )
    await s.call(
        A,
        "cat delete parent force",
        "DELETE",
        f"{CATS}/{cats['clothing']}",
        kind="cats",
        params=[("force", "true")],
    )
    await s.call(A, "child after parent delete", "GET", f"{CATS}/{cats['shirts']}", kind="cats")
    await s.call(
        A,
        "tag delete force",
        "DELETE",
        f"{TAGS}/{s.id('tags:red')}",
        kind="tags",
        params=[("force", "true")],
    )
    await s.call(
        A,
        "product after tag delete",
        "GET",
        f"{p}/{shirt}",
        kind="products",
        params=[("_fields", "id,categories,tags")],
    )
    await s.queue(A, "queue term deletes", 0)
    await s.call(
        A,
        "product trash",
        "DELETE",
        f"{p}/{shirt}",
        kind="products",
        params=[("_fields", "id,status")],
    )
    await s.call(
        A,
        "cat counts after trash",
        "GET",
        f"{CATS}/{cats['shirts']}",
        kind="cats",
        params=[("_fields", "id,count")],
    )
    await s.queue(A, "queue product trash", 1)
