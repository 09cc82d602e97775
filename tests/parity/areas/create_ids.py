"""Area ``create_ids``: a create that names an ``id``, for every resource at its own route.

Products, orders, coupons, customers and webhooks share WooCommerce's
``if ( ! empty( $request['id'] ) )`` refusal: the id is the body's or the query's, and
PHP's ``empty()`` decides (``0``, ``"0"``, ``""``, ``false``, ``[]`` and ``{}`` are
let through and the record is made with a new id; ``"0.0"``, ``-1``, ``true`` and
``"abc"`` are refused). Categories and tags have no such refusal: their permission
check reads the id with ``intval`` and answers 404 unless it is a term of the
taxonomy, for a create, a batch (query or top-level id) and each batch create item.
Alone and in a batch. (Variation creates naming an id are in the ``variations`` area.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backends import Auth, Params

if TYPE_CHECKING:
    from ..scenario import Scenario

A = "create_ids"
API = "wc/v3"
CATS = "products/categories"
TAGS = "products/tags"
#: Symbol kind of each route's ids.
KINDS = {CATS: "cats", TAGS: "tags"}
DOMAIN = "parity.example"

#: Ids PHP's ``empty()`` calls non-empty: refused.
REFUSED: tuple[tuple[str, Any], ...] = (
    ("unused", 999999),
    ("string", "abc"),
    ("zero float string", "0.0"),
    ("negative", -1),
    ("true", True),
)
#: Ids that are set but empty: the record is made.
EMPTY: tuple[tuple[str, Any], ...] = (
    ("zero", 0),
    ("zero string", "0"),
    ("empty string", ""),
    ("false", False),
    ("empty list", []),
    ("empty object", {}),
    ("zero float", 0.0),
)


def body_of(route: str, n: int) -> dict[str, Any]:
    """A valid create body for ``route``, unique by ``n`` (names carry parity)."""
    if route == "products":
        return {"name": f"Parity Ids {n}", "sku": f"parity-ids-{n}", "regular_price": "3.00"}
    if route == "orders":
        return {"status": "pending", "billing": {"email": f"ids-{n}@{DOMAIN}"}}
    if route == "coupons":
        return {"code": f"parity-ids-{n}", "amount": "1"}
    if route == "customers":
        return {"email": f"parity-ids-{n}@{DOMAIN}", "username": f"parity-ids-{n}"}
    if route == "webhooks":
        return {
            "name": f"parity ids {n}",
            "topic": "order.created",
            "delivery_url": "https://hooks.parity.example/ids",
            "status": "disabled",
        }
    return {"name": f"Parity Ids {n}"}


class Ids:
    """The area's steps over one route, numbering the records it asks for."""

    def __init__(self, s: Scenario, route: str) -> None:
        self.s = s
        self.route = route
        self.kind = KINDS.get(route, route)
        self.n = 0

    def body(self) -> dict[str, Any]:
        self.n += 1
        return body_of(self.route, self.n)

    def label(self) -> str:
        return f"ids {self.route} {self.n}"

    async def create(
        self,
        step: str,
        body: Any,
        params: Params = (),
        path: str = "",
        auth: Auth = "rw",
    ) -> int:
        """POST, name what was made before recording; the new id (0: none)."""
        response = await self.s.raw(
            "POST", f"{API}/{self.route}{path}", body=body, params=params, auth=auth
        )
        made = response.json()
        ident = 0
        if response.status == 201 and isinstance(made, dict) and "id" in made:
            ident = self.s.name(self.kind, int(made["id"]), self.label())
        self.s.rec.response(A, f"{self.route} {step}", response, kind=self.kind)
        return ident

    async def batch(self, step: str, body: dict[str, Any], params: Params = ()) -> None:
        """POST a batch, name each create item made, record the answer."""
        response = await self.s.raw("POST", f"{API}/{self.route}/batch", body=body, params=params)
        answer = response.json()
        made = answer.get("create", []) if isinstance(answer, dict) else []
        for i, item in enumerate(made):
            if isinstance(item, dict) and item.get("id") and "error" not in item:
                self.s.name(self.kind, int(item["id"]), f"{self.label()} b{i}")
        self.s.rec.response(A, f"{self.route} {step}", response, kind=self.kind)


async def run(s: Scenario) -> None:
    await cleanup(s)
    for route in ("products", "orders", "coupons", "customers", "webhooks"):
        await refused_when_not_empty(s, route)
    await term_ids(s)
    await cleanup(s)


async def refused_when_not_empty(s: Scenario, route: str) -> None:
    ids = Ids(s, route)
    existing = await ids.create("create", ids.body())
    await ids.create("create id existing", {**ids.body(), "id": existing})
    for name, value in (*REFUSED, *EMPTY, ("null", None)):
        await ids.create(f"create id {name}", {**ids.body(), "id": value})
    await ids.create("create id in query", ids.body(), params=[("id", "999999")])
    await ids.create("create id null over query", {**ids.body(), "id": None}, [("id", "5")])
    await ids.create("create id zero in query", ids.body(), params=[("id", "0")])
    # The capability check comes first.
    await ids.create("create id anonymous", {**ids.body(), "id": 999999}, auth="none")
    items = [{**ids.body(), "id": value} for _, value in (*REFUSED[:3], *EMPTY[:5])]
    await ids.batch("batch create ids", {"create": [ids.body(), *items]})
    await ids.batch("batch create id in query", {"create": [ids.body()]}, [("id", "999999")])


async def term_ids(s: Scenario) -> None:
    cats, tags = Ids(s, CATS), Ids(s, TAGS)
    own = {CATS: await cats.create("create", cats.body())}
    own[TAGS] = await tags.create("create", tags.body())
    for ids, other in ((cats, own[TAGS]), (tags, own[CATS])):
        mine = own[ids.route]
        await ids.create("create id own", {**ids.body(), "id": mine})
        await ids.create("create id own string", {**ids.body(), "id": str(mine)})
        await ids.create("create id own prefix", {**ids.body(), "id": f"{mine}abc"})
        await ids.create("create id other taxonomy", {**ids.body(), "id": other})
        for name, value in (*REFUSED, *EMPTY, ("float", 1.5), ("null", None)):
            await ids.create(f"create id {name}", {**ids.body(), "id": value})
        # The schema check comes first; the id check before the capability check.
        await ids.create("create id no name", {"id": 999999})
        await ids.create("create id anonymous", {**ids.body(), "id": 999999}, auth="none")
        await ids.create("create id in query", ids.body(), params=[("id", "999999")])
        await ids.create("create id own in query", ids.body(), params=[("id", str(mine))])
        await ids.create("create id null over query", {**ids.body(), "id": None}, [("id", "5")])
        await ids.batch("batch top id", {"id": 999999, "create": [ids.body()]})
        await ids.batch("batch id in query", {"create": [ids.body()]}, [("id", "999999")])
        await ids.batch("batch id zero in query", {"create": [ids.body()]}, [("id", "0")])
        await ids.batch(
            "batch create ids",
            {
                "create": [
                    {**ids.body(), "id": mine},
                    {**ids.body(), "id": other},
                    {**ids.body(), "id": 999999},
                    {**ids.body(), "id": 0},
                    {**ids.body(), "id": "abc"},
                ]
            },
        )


async def cleanup(s: Scenario) -> None:
    """Force-delete what this area (or an earlier run of it) made: names carry parity."""
    for route, search, field, prefix in (
        ("webhooks", "parity ids", "name", "parity ids"),
        ("products", "parity ids", "sku", "parity-ids"),
        ("coupons", "parity-ids", "code", "parity-ids"),
        ("customers", DOMAIN, "username", "parity-ids"),
        (CATS, "parity ids", "name", "Parity Ids"),
        (TAGS, "parity ids", "name", "Parity Ids"),
    ):
        extra = [("reassign", "0")] if route == "customers" else []
        status = [("status", "any")] if route == "products" else []
        role = [("role", "all")] if route == "customers" else []
        await purge(s, route, [("search", search), *status, *role], field, prefix, extra)
    for status in ("any", "trash"):
        found = await s.raw(
            "GET",
            f"{API}/orders",
            params=[("search", DOMAIN), ("status", status), ("per_page", "100")],
        )
        for order in found.json() or []:
            email = str(((order or {}).get("billing") or {}).get("email", ""))
            if email.startswith("ids-") and email.endswith("@" + DOMAIN):
                await s.raw("DELETE", f"{API}/orders/{order['id']}", params=[("force", "true")])


async def purge(
    s: Scenario,
    route: str,
    params: list[tuple[str, str]],
    field: str,
    prefix: str,
    extra: list[tuple[str, str]],
) -> None:
    for _ in range(5):
        found = await s.raw("GET", f"{API}/{route}", params=[*params, ("per_page", "100")])
        records = [
            r
            for r in (found.json() or [])
            if isinstance(r, dict) and str(r.get(field, "")).startswith(prefix)
        ]
        if not records:
            return
        for record in records:
            await s.raw(
                "DELETE", f"{API}/{route}/{record['id']}", params=[("force", "true"), *extra]
            )
