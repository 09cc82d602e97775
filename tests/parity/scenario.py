"""The parity scenario: one script of REST calls and webhook triggers, run on any backend.

Every call is recorded as checks (see ``checks.py``) under an area. The scenario
only touches what it creates itself (names and e-mails carry ``parity``), scopes
every list to those records, and removes leftovers of an earlier run first, so a
recording does not depend on what the store held before and a live run against a
shop with data of its own leaves that data alone.

Areas of the core script: index, auth, webhooks, customers, products, orders,
batch, lists, paging, fields, errors, options, dates, meta, deliveries. The
self-contained areas after it live in ``areas/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .areas import AREAS
from .backends import Auth, Backend, Params
from .checks import Recorder, Response

API = "wc/v3"
#: The core script, run as one (its areas read each other's records).
CORE = "core"
CORE_AREAS = (
    "index",
    "auth",
    "webhooks",
    "customers",
    "products",
    "orders",
    "batch",
    "lists",
    "paging",
    "fields",
    "errors",
    "options",
    "dates",
    "meta",
    "deliveries",
)


def area_names(scripts: Sequence[str]) -> list[str]:
    """The check areas a run of ``scripts`` (``core`` and names in AREAS) records."""
    return [name for script in scripts for name in (CORE_AREAS if script == CORE else (script,))]


DOMAIN = "parity.example"
SECRET = "parity-secret-1"


def _shift(stamp: str, seconds: int) -> str:
    moved = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S") + timedelta(seconds=seconds)
    return moved.strftime("%Y-%m-%dT%H:%M:%S")


def address(first: str, email: bool = True) -> dict[str, str]:
    out = {
        "first_name": first,
        "last_name": "Parity",
        "company": "",
        "address_1": "1 Main St",
        "address_2": "",
        "city": "New York",
        "state": "NY",
        "postcode": "10001",
        "country": "US",
        "phone": "555-0100",
    }
    if email:
        out["email"] = f"{first.lower()}@{DOMAIN}"
    return out


class Scenario:
    def __init__(self, backend: Backend, recorder: Recorder | None = None) -> None:
        self.b = backend
        self.rec = recorder or Recorder()
        self.rec.symbols.site_urls.extend(backend.site_urls)
        if backend.hook_url:
            self.rec.symbols.hook_urls.append(backend.hook_url)
        self.secrets: dict[int, str] = {}
        self.webhooks: set[int] = set()
        self.ids: dict[str, int] = {}

    # ------------------------------------------------------------------ plumbing
    async def call(
        self,
        area: str,
        step: str,
        method: str,
        path: str,
        *,
        params: Params = (),
        body: Any = None,
        auth: Auth = "rw",
        kind: str | None = None,
        depth: int = 99,
        record: bool = True,
    ) -> Any:
        """One REST call; ``path`` is below ``/wp-json/``; ``kind`` names the resource whose
        ``id`` the answer carries. Returns the decoded body."""
        if auth == "ro" and not self.b.has_read_only_key:
            self.rec.skipped.append(f"{area} | {step}")
            return None
        response = await self.b.request(method, path, params=params, body=body, auth=auth)
        if record:
            self.rec.response(area, step, response, kind=kind, depth=depth)
        return response.json()

    async def raw(self, method: str, path: str, **kw: Any) -> Response:
        return await self.b.request(method, path, **kw)

    def name(self, kind: str, ident: int, label: str) -> int:
        self.rec.symbols.name(kind, ident, label)
        self.ids[f"{kind}:{label}"] = ident
        return ident

    def id(self, key: str) -> int:
        """A record the scenario made; an id no store has when making it failed."""
        return self.ids.get(key, 999990)

    async def create(
        self, area: str, step: str, kind: str, label: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST a record, name its id before recording so the snapshot shows the name."""
        response = await self.raw("POST", f"{API}/{kind}", body=body)
        created = response.json()
        if response.status == 201 and isinstance(created, dict):
            self.name(kind, int(created["id"]), label)
            if kind == "webhooks":
                self.webhooks.add(int(created["id"]))
                self.secrets[int(created["id"])] = str(body.get("secret", created.get("secret")))
        self.rec.response(area, step, response, kind=kind)
        return created if isinstance(created, dict) else {}

    async def queue(self, area: str, step: str, expected: int) -> None:
        """Run the store's webhook queue; record what our webhooks delivered."""
        mark = self.b.deliveries_mark()
        await self.b.run_queue(expected)
        self.deliveries(area, step, mark)

    def deliveries(self, area: str, step: str, mark: int) -> None:
        ours = []
        for delivery in self.b.deliveries_since(mark):
            hook = delivery.headers.get("x-wc-webhook-id")
            if hook is None:
                form = delivery.body.decode("utf-8", "replace").removeprefix("webhook_id=")
                hook = form if form.isdigit() else None
            if hook is not None and int(hook) in self.webhooks:
                ours.append(delivery)
        self.rec.deliveries(area, step, ours, self.secrets)

    # ------------------------------------------------------------------ cleanup
    async def cleanup(self) -> None:
        """Force-delete whatever an earlier run of the scenario left (ours only)."""
        # Webhooks first, so the deletions below fire nothing.
        await self._purge("webhooks", [("search", "parity")], lambda r: r["name"][:6] == "parity")
        for status in ("any", "trash"):
            await self._purge(
                "orders",
                [("search", DOMAIN), ("status", status)],
                lambda r: DOMAIN in (r.get("billing") or {}).get("email", ""),
            )
        for status in ("any", "trash"):
            await self._purge(
                "products",
                [("search", "parity"), ("status", status)],
                lambda r: str(r.get("sku", "")).startswith("parity"),
            )
        await self._purge(
            "customers",
            [("search", DOMAIN), ("role", "all")],
            lambda r: str(r.get("email", "")).endswith("@" + DOMAIN),
            extra=[("reassign", "0")],
        )

    async def _purge(
        self,
        kind: str,
        params: list[tuple[str, str]],
        ours: Any,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        for _ in range(20):
            found = await self.raw("GET", f"{API}/{kind}", params=[*params, ("per_page", "100")])
            records = [r for r in (found.json() or []) if isinstance(r, dict) and ours(r)]
            if not records:
                return
            for record in records:
                await self.raw(
                    "DELETE", f"{API}/{kind}/{record['id']}", params=[("force", "true"), *extra]
                )

    # ------------------------------------------------------------------ the script
    async def run(self, scripts: Sequence[str] | None = None) -> Recorder:
        """Run ``scripts`` (``core`` and names in AREAS; all by default), in that order."""
        for script in scripts if scripts is not None else (CORE, *AREAS):
            if script == CORE:
                await self.core()
            else:
                await AREAS[script](self)
        return self.rec

    async def core(self) -> None:
        await self.cleanup()
        await self.index()
        await self.auth()
        await self.webhooks_crud()
        await self.customers()
        await self.products()
        await self.orders()
        await self.batch()
        await self.lists()
        await self.paging()
        await self.fields()
        await self.errors()
        await self.options()
        await self.dates()
        await self.meta()
        await self.deliveries_area()
        await self.cleanup()

    # .................................................................. index
    async def index(self) -> None:
        a = "index"
        root = await self.raw("GET", "")
        body = root.json() or {}
        self.rec.add(a, "GET /wp-json/", "status", root.status)
        self.rec.add(a, "GET /wp-json/", "keys $", list(body))
        self.rec.add(
            a,
            "GET /wp-json/",
            "value $.namespaces has wc/v3",
            "wc/v3" in body.get("namespaces", []),
        )
        routes = sorted(r for r in body.get("routes", {}) if r.startswith("/wc/v3/"))
        for step, path in (("GET /wp-json/wc/v3", API),):
            answer = await self.raw("GET", path)
            index = answer.json() or {}
            self.rec.add(a, step, "status", answer.status)
            self.rec.add(a, step, "keys $", list(index))
            self.rec.add(a, step, "value $.namespace", index.get("namespace"))
            v3_routes = index.get("routes", {})
            for route in (
                "/wc/v3/orders",
                "/wc/v3/orders/(?P<id>[\\d]+)",
                "/wc/v3/customers",
                "/wc/v3/products",
                "/wc/v3/webhooks",
                "/wc/v3/orders/batch",
            ):
                entry = v3_routes.get(route)
                self.rec.add(
                    a,
                    step,
                    f"route {route}",
                    None
                    if entry is None
                    else {
                        "keys": list(entry),
                        "methods": entry.get("methods"),
                        "args": sorted(
                            {arg for ep in entry.get("endpoints", []) for arg in ep.get("args", {})}
                        ),
                    },
                )
        for route in (
            "/wc/v3/orders",
            "/wc/v3/customers",
            "/wc/v3/products",
            "/wc/v3/webhooks",
            "/wc/v3/system_status",
        ):
            self.rec.add(a, "GET /wp-json/", f"route listed {route}", route in routes)
        status = await self.raw("GET", f"{API}/system_status")
        info = status.json() or {}
        env = info.get("environment", {}) if isinstance(info, dict) else {}
        self.rec.add(a, "system_status", "status", status.status)
        self.rec.add(a, "system_status", "keys $", list(info) if isinstance(info, dict) else None)
        self.rec.add(a, "system_status", "keys $.environment", list(env))
        for key in ("version", "wp_version", "wp_multisite", "default_timezone"):
            self.rec.add(a, "system_status", f"value $.environment.{key}", env.get(key))

    # .................................................................. auth
    async def auth(self) -> None:
        a = "auth"
        await self.call(a, "no auth GET orders", "GET", f"{API}/orders", auth="none")
        await self.call(a, "no auth GET index", "GET", API, auth="none", depth=0)
        await self.call(a, "wrong secret", "GET", f"{API}/orders", auth="wrong")
        await self.call(
            a,
            "read-only key reads",
            "GET",
            f"{API}/customers",
            auth="ro",
            params=[("search", DOMAIN)],
            kind="customers",
        )
        await self.call(
            a,
            "read-only key writes",
            "POST",
            f"{API}/customers",
            auth="ro",
            body={"email": f"ro@{DOMAIN}"},
        )
        await self.call(
            a,
            "read-only key deletes",
            "DELETE",
            f"{API}/customers/999999",
            auth="ro",
            params=[("force", "true")],
        )
        await self.call(
            a,
            "no auth POST customers",
            "POST",
            f"{API}/customers",
            auth="none",
            body={"email": f"anon@{DOMAIN}"},
        )
        await self.call(a, "no auth unknown route", "GET", f"{API}/nothing-here", auth="none")

    # .................................................................. webhooks
    async def webhooks_crud(self) -> None:
        a = "webhooks"
        mark = self.b.deliveries_mark()
        await self.create(
            a,
            "create active",
            "webhooks",
            "active",
            {
                "name": "parity active",
                "topic": "order.created",
                "delivery_url": self.b.hook_url,
                "secret": SECRET,
                "status": "active",
            },
        )
        self.deliveries(a, "ping on create", mark)
        await self.create(
            a,
            "create paused no secret",
            "webhooks",
            "paused",
            {
                "name": "parity paused",
                "topic": "customer.updated",
                "delivery_url": self.b.hook_url,
                "status": "paused",
            },
        )
        await self.create(
            a,
            "create action topic",
            "webhooks",
            "action",
            {
                "name": "parity action",
                "topic": "action.woocommerce_parity_nothing",
                "delivery_url": self.b.hook_url,
                "status": "disabled",
                "secret": SECRET,
            },
        )
        await self.call(
            a,
            "create bad topic",
            "POST",
            f"{API}/webhooks",
            body={"name": "parity bad", "topic": "order.exploded", "delivery_url": self.b.hook_url},
        )
        await self.call(
            a,
            "create bad url",
            "POST",
            f"{API}/webhooks",
            body={"name": "parity bad url", "topic": "order.created", "delivery_url": "not a url"},
        )
        await self.call(
            a,
            "create no topic",
            "POST",
            f"{API}/webhooks",
            body={"name": "parity none", "delivery_url": self.b.hook_url},
        )
        await self.call(
            a,
            "create bad status",
            "POST",
            f"{API}/webhooks",
            body={
                "name": "parity st",
                "topic": "order.created",
                "delivery_url": self.b.hook_url,
                "status": "sleeping",
            },
        )
        active = self.id("webhooks:active")
        paused = self.id("webhooks:paused")
        await self.call(a, "get", "GET", f"{API}/webhooks/{active}", kind="webhooks")
        await self.call(
            a,
            "get edit",
            "GET",
            f"{API}/webhooks/{active}",
            params=[("context", "edit")],
            kind="webhooks",
        )
        await self.call(
            a,
            "list",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("search", "parity"), ("orderby", "id"), ("order", "asc")],
        )
        for value in ("active", "paused", "disabled", "all", "bogus"):
            await self.call(
                a,
                f"list status={value}",
                "GET",
                f"{API}/webhooks",
                kind="webhooks",
                params=[("search", "parity"), ("status", value), ("orderby", "id")],
            )
        for value in ("date", "id", "title", "include", "bogus"):
            await self.call(
                a,
                f"list orderby={value}",
                "GET",
                f"{API}/webhooks",
                kind="webhooks",
                # Two webhooks made in the same second tie on date: list one for "date".
                params=[
                    ("search", "parity"),
                    ("orderby", value),
                    ("include", str(active) if value == "date" else f"{active},{paused}"),
                ],
            )
        await self.call(
            a,
            "list include",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("include", str(paused))],
        )
        await self.call(
            a,
            "list exclude",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("search", "parity"), ("exclude", str(paused)), ("orderby", "id")],
        )
        await self.call(
            a,
            "list per_page=1",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("search", "parity"), ("per_page", "1"), ("orderby", "id")],
        )
        await self.call(
            a,
            "update PUT",
            "PUT",
            f"{API}/webhooks/{paused}",
            kind="webhooks",
            body={"name": "parity paused renamed", "topic": "customer.created"},
        )
        await self.call(
            a, "update bad topic", "PUT", f"{API}/webhooks/{paused}", body={"topic": "nope"}
        )
        await self.call(a, "delete no force", "DELETE", f"{API}/webhooks/{paused}")
        await self.call(
            a,
            "delete force",
            "DELETE",
            f"{API}/webhooks/{paused}",
            params=[("force", "true")],
            kind="webhooks",
        )
        await self.call(a, "get deleted", "GET", f"{API}/webhooks/{paused}")
        await self.call(a, "get unknown", "GET", f"{API}/webhooks/999999")
        await self.call(a, "update unknown", "PUT", f"{API}/webhooks/999999", body={"name": "x"})
        await self.call(
            a, "delete unknown", "DELETE", f"{API}/webhooks/999999", params=[("force", "true")]
        )
        for ident in (active, self.id("webhooks:action")):
            await self.raw("DELETE", f"{API}/webhooks/{ident}", params=[("force", "true")])

    # .................................................................. customers
    async def customers(self) -> None:
        a = "customers"
        jane = await self.create(
            a,
            "create",
            "customers",
            "jane",
            {
                "email": f"jane@{DOMAIN}",
                "first_name": "Jane",
                "last_name": "Parity",
                "username": "parity-jane",
                "billing": address("Jane"),
                "shipping": address("Jane", email=False),
            },
        )
        await self.create(a, "create minimal", "customers", "min", {"email": f"min@{DOMAIN}"})
        await self.call(
            a,
            "create duplicate email",
            "POST",
            f"{API}/customers",
            body={"email": f"jane@{DOMAIN}"},
        )
        await self.call(
            a, "create bad email", "POST", f"{API}/customers", body={"email": "not-an-email"}
        )
        await self.call(a, "create no email", "POST", f"{API}/customers", body={"first_name": "X"})
        ident = jane.get("id", 0)
        await self.call(a, "get", "GET", f"{API}/customers/{ident}", kind="customers")
        await self.call(
            a,
            "get edit",
            "GET",
            f"{API}/customers/{ident}",
            kind="customers",
            params=[("context", "edit")],
        )
        await self.call(
            a,
            "update PUT",
            "PUT",
            f"{API}/customers/{ident}",
            kind="customers",
            body={"last_name": "Parity-Updated", "billing": {"city": "Albany"}},
        )
        await self.call(
            a,
            "update PATCH",
            "PATCH",
            f"{API}/customers/{ident}",
            kind="customers",
            body={"first_name": "Janet"},
        )
        await self.call(
            a,
            "update POST",
            "POST",
            f"{API}/customers/{ident}",
            kind="customers",
            body={"first_name": "Jane"},
        )
        await self.call(
            a,
            "update username",
            "PUT",
            f"{API}/customers/{ident}",
            body={"username": "parity-other"},
        )
        await self.call(
            a, "delete no force", "DELETE", f"{API}/customers/{self.id('customers:min')}"
        )
        await self.call(
            a,
            "delete force",
            "DELETE",
            f"{API}/customers/{self.id('customers:min')}",
            params=[("force", "true")],
            kind="customers",
        )
        await self.call(a, "get deleted", "GET", f"{API}/customers/{self.id('customers:min')}")
        await self.call(a, "get unknown", "GET", f"{API}/customers/999999")
        await self.call(
            a, "update unknown", "PUT", f"{API}/customers/999999", body={"first_name": "x"}
        )
        await self.call(
            a, "delete unknown", "DELETE", f"{API}/customers/999999", params=[("force", "true")]
        )

    # .................................................................. products
    async def products(self) -> None:
        a = "products"
        await self.create(
            a,
            "create simple",
            "products",
            "widget",
            {
                "name": "Parity Widget",
                "type": "simple",
                "regular_price": "25.00",
                "sku": "parity-w1",
                "manage_stock": True,
                "stock_quantity": 10,
                "description": "A widget.",
                "short_description": "Widget.",
            },
        )
        await self.create(
            a,
            "create sale",
            "products",
            "gadget",
            {
                "name": "Parity Gadget",
                "type": "simple",
                "regular_price": "10.00",
                "sale_price": "7.50",
                "sku": "parity-g1",
                "featured": True,
                "virtual": True,
            },
        )
        await self.create(
            a,
            "create draft",
            "products",
            "draft",
            {
                "name": "Parity Draft",
                "status": "draft",
                "regular_price": "3",
                "sku": "parity-d1",
            },
        )
        await self.call(
            a,
            "create duplicate sku",
            "POST",
            f"{API}/products",
            body={"name": "Parity Dup", "sku": "parity-w1"},
        )
        await self.call(
            a,
            "create bad type",
            "POST",
            f"{API}/products",
            body={"name": "Parity Bad", "type": "spaceship"},
        )
        await self.call(
            a,
            "create bad status",
            "POST",
            f"{API}/products",
            body={"name": "Parity Bad", "status": "sleeping"},
        )
        widget = self.id("products:widget")
        await self.call(a, "get", "GET", f"{API}/products/{widget}", kind="products")
        await self.call(
            a,
            "get edit",
            "GET",
            f"{API}/products/{widget}",
            kind="products",
            params=[("context", "edit")],
        )
        await self.call(
            a,
            "update PUT",
            "PUT",
            f"{API}/products/{widget}",
            kind="products",
            body={"regular_price": "26.50", "stock_quantity": 8},
        )
        await self.call(
            a,
            "update PATCH",
            "PATCH",
            f"{API}/products/{widget}",
            kind="products",
            body={"name": "Parity Widget"},
        )
        draft = self.id("products:draft")
        await self.call(a, "delete no force", "DELETE", f"{API}/products/{draft}", kind="products")
        await self.call(a, "get trashed", "GET", f"{API}/products/{draft}", kind="products")
        await self.call(a, "delete again", "DELETE", f"{API}/products/{draft}")
        await self.call(
            a,
            "delete force",
            "DELETE",
            f"{API}/products/{draft}",
            params=[("force", "true")],
            kind="products",
        )
        await self.call(a, "get deleted", "GET", f"{API}/products/{draft}")
        await self.call(a, "get unknown", "GET", f"{API}/products/999999")
        await self.call(a, "update unknown", "PUT", f"{API}/products/999999", body={"name": "x"})
        await self.call(
            a, "delete unknown", "DELETE", f"{API}/products/999999", params=[("force", "true")]
        )

    # .................................................................. orders
    def order_body(self, first: str = "Jane", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": self.id("customers:jane"),
            "payment_method": "bacs",
            "payment_method_title": "Direct Bank Transfer",
            "billing": address(first),
            "shipping": address(first, email=False),
            "line_items": [{"product_id": self.id("products:widget"), "quantity": 2}],
            "shipping_lines": [
                {"method_id": "flat_rate", "method_title": "Flat Rate", "total": "5.00"}
            ],
        }
        body.update(extra)
        return body

    async def rejected_order(self, area: str, step: str, **extra: Any) -> None:
        """An order create that should fail. Some succeed on a real store (201): then the
        order is named, recorded and force-deleted, so later lists stay as they were."""
        body = self.order_body("Reject", **{"customer_id": 0, **extra})
        await self.create(area, step, "orders", step.replace(" ", "-"), body)
        made = self.ids.get(f"orders:{step.replace(' ', '-')}")
        if made is not None:
            await self.raw("DELETE", f"{API}/orders/{made}", params=[("force", "true")])

    async def orders(self) -> None:
        a = "orders"
        await self.create(
            a,
            "create",
            "orders",
            "first",
            self.order_body(
                fee_lines=[{"name": "Handling", "total": "1.50"}],
                customer_note="Leave at the door",
            ),
        )
        await self.create(
            a,
            "create paid",
            "orders",
            "paid",
            self.order_body(
                "Paid",
                set_paid=True,
                line_items=[{"product_id": self.id("products:gadget"), "quantity": 3}],
            ),
        )
        await self.create(
            a,
            "create status completed",
            "orders",
            "done",
            self.order_body("Done", status="completed"),
        )
        await self.create(
            a,
            "create no customer",
            "orders",
            "guest",
            {
                "billing": address("Guest"),
                "line_items": [
                    {"product_id": self.id("products:gadget"), "quantity": 1, "total": "12.00"}
                ],
            },
        )
        await self.rejected_order(a, "create bad status", status="exploded")
        await self.rejected_order(a, "create bad customer", customer_id=999999)
        await self.rejected_order(
            a, "create bad product", line_items=[{"product_id": 999999, "quantity": 1}]
        )
        first = self.id("orders:first")
        await self.call(a, "get", "GET", f"{API}/orders/{first}", kind="orders")
        await self.call(
            a,
            "get edit",
            "GET",
            f"{API}/orders/{first}",
            kind="orders",
            params=[("context", "edit")],
        )
        await self.call(
            a,
            "update status PUT",
            "PUT",
            f"{API}/orders/{first}",
            kind="orders",
            body={"status": "processing"},
        )
        await self.call(
            a,
            "update PATCH",
            "PATCH",
            f"{API}/orders/{first}",
            kind="orders",
            body={"customer_note": "Ring twice"},
        )
        await self.call(
            a,
            "update POST",
            "POST",
            f"{API}/orders/{first}",
            kind="orders",
            body={"billing": {"phone": "555-0199"}},
        )
        await self.call(
            a, "update bad status", "PUT", f"{API}/orders/{first}", body={"status": "exploded"}
        )
        guest = self.id("orders:guest")
        await self.call(a, "delete no force", "DELETE", f"{API}/orders/{guest}", kind="orders")
        await self.call(a, "get trashed", "GET", f"{API}/orders/{guest}", kind="orders")
        await self.call(a, "delete again", "DELETE", f"{API}/orders/{guest}")
        await self.call(
            a,
            "delete force",
            "DELETE",
            f"{API}/orders/{guest}",
            params=[("force", "true")],
            kind="orders",
        )
        await self.call(a, "get deleted", "GET", f"{API}/orders/{guest}")
        await self.call(a, "get unknown", "GET", f"{API}/orders/999999")
        await self.call(a, "update unknown", "PUT", f"{API}/orders/999999", body={"status": "x"})
        await self.call(
            a, "delete unknown", "DELETE", f"{API}/orders/999999", params=[("force", "true")]
        )

    # .................................................................. batch
    async def batch(self) -> None:
        a = "batch"
        response = await self.raw(
            "POST",
            f"{API}/customers/batch",
            body={
                "create": [
                    {"email": f"b1@{DOMAIN}", "first_name": "B1"},
                    {"email": f"b2@{DOMAIN}", "first_name": "B2"},
                    {"email": "broken"},
                ]
            },
        )
        created = (response.json() or {}).get("create", [])
        for n, item in enumerate(created[:2]):
            if "id" in item:
                self.name("customers", int(item["id"]), f"b{n + 1}")
        self.rec.response(a, "customers create", response, kind="customers")
        b1, b2 = self.id("customers:b1"), self.id("customers:b2")
        await self.call(
            a,
            "customers update+delete",
            "POST",
            f"{API}/customers/batch",
            kind="customers",
            body={
                "update": [{"id": b1, "last_name": "One"}, {"id": 999999}],
                "delete": [b2, 999998],
            },
            params=[("force", "true")],
        )
        await self.call(
            a,
            "customers delete force",
            "POST",
            f"{API}/customers/batch",
            kind="customers",
            body={"delete": [b1]},
            params=[("force", "true")],
        )
        response = await self.raw(
            "POST",
            f"{API}/products/batch",
            body={
                "create": [{"name": "Parity Batch", "sku": "parity-b1", "regular_price": "2.00"}]
            },
        )
        for item in (response.json() or {}).get("create", []):
            if "id" in item:
                self.name("products", int(item["id"]), "batch")
        self.rec.response(a, "products create", response, kind="products")
        await self.call(
            a,
            "products update+delete",
            "POST",
            f"{API}/products/batch",
            kind="products",
            body={
                "update": [{"id": self.id("products:batch"), "regular_price": "2.50"}],
                "delete": [self.id("products:batch")],
            },
        )
        response = await self.raw(
            "POST", f"{API}/orders/batch", body={"create": [self.order_body("Batch")]}
        )
        for item in (response.json() or {}).get("create", []):
            if "id" in item:
                self.name("orders", int(item["id"]), "batch")
        self.rec.response(a, "orders create", response, kind="orders")
        await self.call(
            a,
            "orders update+delete",
            "POST",
            f"{API}/orders/batch",
            kind="orders",
            body={
                "update": [{"id": self.id("orders:batch"), "status": "on-hold"}],
                "delete": [self.id("orders:batch")],
            },
            params=[("force", "true")],
        )
        response = await self.raw(
            "POST",
            f"{API}/webhooks/batch",
            body={
                "create": [
                    {
                        "name": "parity batch",
                        "topic": "product.deleted",
                        "delivery_url": self.b.hook_url,
                        "status": "disabled",
                        "secret": SECRET,
                    }
                ]
            },
        )
        for item in (response.json() or {}).get("create", []):
            if "id" in item:
                self.name("webhooks", int(item["id"]), "batch")
        self.rec.response(a, "webhooks create", response, kind="webhooks")
        await self.call(
            a,
            "webhooks delete",
            "POST",
            f"{API}/webhooks/batch",
            kind="webhooks",
            body={"delete": [self.id("webhooks:batch")]},
            params=[("force", "true")],
        )
        await self.call(
            a,
            "too many",
            "POST",
            f"{API}/customers/batch",
            body={"delete": list(range(900000, 900101))},
        )
        await self.call(a, "not an object", "POST", f"{API}/orders/batch", body=[1, 2])
        await self.call(a, "empty", "POST", f"{API}/orders/batch", body={})

    # .................................................................. lists
    async def lists(self) -> None:
        a = "lists"
        jane = str(self.id("customers:jane"))
        scope_orders = [("customer", jane)]

        async def orders(step: str, *params: tuple[str, str]) -> None:
            await self.call(
                a,
                f"orders {step}",
                "GET",
                f"{API}/orders",
                kind="orders",
                params=[*scope_orders, ("orderby", "id"), *params],
            )

        await self.call(
            a,
            "orders default",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[("include", str(self.id("orders:first")))],
        )
        for status in (
            "any",
            "processing",
            "pending",
            "completed",
            "trash",
            "processing,completed",
            "bogus",
            "auto-draft",
            "checkout-draft",
        ):
            await orders(f"status={status}", ("status", status))
        await orders("status[]", ("status[]", "processing"), ("status[]", "completed"))
        for order in ("asc", "desc", "ASC", "bogus"):
            await orders(f"order={order}", ("order", order))
        for orderby in ("date", "modified", "include", "title", "slug", "bogus"):
            await self.call(
                a,
                f"orders orderby={orderby}",
                "GET",
                f"{API}/orders",
                kind="orders",
                params=[
                    *scope_orders,
                    ("orderby", orderby),
                    ("include", str(self.id("orders:first"))),
                ],
            )
        await orders("product", ("product", str(self.id("products:gadget"))))
        await orders(
            "include csv", ("include", f"{self.id('orders:first')},{self.id('orders:done')}")
        )
        await orders(
            "include[]",
            ("include[]", str(self.id("orders:first"))),
            ("include[]", str(self.id("orders:done"))),
        )
        await orders(
            "include repeated",
            ("include", str(self.id("orders:first"))),
            ("include", str(self.id("orders:done"))),
        )
        await orders("exclude", ("exclude", str(self.id("orders:first"))))
        await orders("include bogus", ("include", "abc"))
        await orders("parent", ("parent", "0"))
        await orders("parent_exclude", ("parent_exclude", "0"))
        await orders("search", ("search", "paid@parity.example"))
        for per_page in ("0", "1", "100", "101", "-1", "abc", "2.5"):
            await orders(f"per_page={per_page}", ("per_page", per_page))
        for page in ("0", "1", "2", "999", "-1", "abc"):
            await orders(f"page={page}", ("page", page), ("per_page", "2"))
        for offset in ("0", "1", "99", "-1"):
            await orders(f"offset={offset}", ("offset", offset))
        await self.call(
            a,
            "orders customer unknown",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[("customer", "999999")],
        )
        await self.call(
            a,
            "orders customer bogus",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[("customer", "abc")],
        )

        async def customers(step: str, *params: tuple[str, str]) -> None:
            await self.call(
                a,
                f"customers {step}",
                "GET",
                f"{API}/customers",
                kind="customers",
                params=[("search", DOMAIN), *params],
            )

        await customers("default")
        for role in ("all", "customer", "administrator", "shop_manager", "bogus"):
            await customers(f"role={role}", ("role", role))
        for orderby in ("id", "include", "name", "registered_date", "bogus"):
            await customers(f"orderby={orderby}", ("orderby", orderby))
        for order in ("asc", "desc", "bogus"):
            await customers(f"order={order}", ("order", order), ("orderby", "id"))
        await customers("email", ("email", f"jane@{DOMAIN}"))
        await customers("email bad", ("email", "nope"))
        await customers("include", ("include", str(self.id("customers:jane"))))
        await customers("exclude", ("exclude", str(self.id("customers:jane"))))
        await customers("per_page=0", ("per_page", "0"))
        await customers("per_page=101", ("per_page", "101"))
        await customers("page=2", ("page", "2"))
        await customers("offset=1", ("offset", "1"))

        async def products(step: str, *params: tuple[str, str]) -> None:
            await self.call(
                a,
                f"products {step}",
                "GET",
                f"{API}/products",
                kind="products",
                params=[("search", "parity"), ("orderby", "id"), ("order", "asc"), *params],
            )

        await products("default")
        for status in ("any", "publish", "draft", "trash", "bogus"):
            await products(f"status={status}", ("status", status))
        for ptype in ("simple", "variable", "bogus"):
            await products(f"type={ptype}", ("type", ptype))
        await products("sku", ("sku", "parity-g1"))
        await products("sku csv", ("sku", "parity-g1,parity-w1"))
        await products("featured", ("featured", "true"))
        await products("featured bogus", ("featured", "maybe"))
        await products("on_sale", ("on_sale", "true"))
        await products("min_price", ("min_price", "9"))
        await products("max_price", ("max_price", "9"))
        await products("stock_status", ("stock_status", "instock"))
        await products("stock_status bogus", ("stock_status", "bogus"))
        await products("virtual", ("virtual", "true"))
        await products("downloadable", ("downloadable", "false"))
        await products("slug", ("slug", "parity-gadget"))
        await products("category", ("category", "15"))
        await products("tag", ("tag", "1"))
        await products("tax_class", ("tax_class", "standard"))
        await products("include_status", ("include_status", "publish"))
        await products("exclude_status", ("exclude_status", "publish"))
        await products("include_types", ("include_types", "simple"))
        await products("search_sku", ("search_sku", "parity-g"))
        for orderby in (
            "date",
            "id",
            "include",
            "title",
            "slug",
            "price",
            "popularity",
            "rating",
            "menu_order",
            "modified",
            "bogus",
        ):
            await self.call(
                a,
                f"products orderby={orderby}",
                "GET",
                f"{API}/products",
                kind="products",
                params=[
                    ("search", "parity"),
                    ("orderby", orderby),
                    ("include", str(self.id("products:gadget"))),
                ],
            )

    # .................................................................. paging
    async def paging(self) -> None:
        a = "paging"
        jane = str(self.id("customers:jane"))
        for page in ("1", "2", "3", "4"):
            await self.call(
                a,
                f"orders page={page}",
                "GET",
                f"{API}/orders",
                kind="orders",
                params=[
                    ("customer", jane),
                    ("per_page", "1"),
                    ("page", page),
                    ("orderby", "id"),
                    ("order", "asc"),
                ],
            )
        await self.call(
            a,
            "orders one page",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[("customer", jane), ("orderby", "id")],
        )
        await self.call(
            a,
            "orders include[] paged",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[
                ("include[]", str(self.id("orders:first"))),
                ("include[]", str(self.id("orders:done"))),
                ("per_page", "1"),
                ("page", "2"),
                ("orderby", "id"),
            ],
        )
        await self.call(
            a,
            "orders dp and context paged",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[
                ("customer", jane),
                ("per_page", "1"),
                ("page", "2"),
                ("dp", "2"),
                ("context", "view"),
                ("orderby", "id"),
            ],
        )
        for page in ("1", "2"):
            await self.call(
                a,
                f"products page={page}",
                "GET",
                f"{API}/products",
                kind="products",
                params=[("search", "parity"), ("per_page", "1"), ("page", page), ("orderby", "id")],
            )
            await self.call(
                a,
                f"customers page={page}",
                "GET",
                f"{API}/customers",
                kind="customers",
                params=[("search", DOMAIN), ("per_page", "1"), ("page", page), ("role", "all")],
            )
        await self.call(
            a,
            "webhooks empty",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("search", "parity-none"), ("per_page", "1")],
        )

    # .................................................................. fields, dp, context
    async def fields(self) -> None:
        a = "fields"
        first = self.id("orders:first")
        for fields in (
            "id,status",
            "id,billing.email,line_items",
            "id,_links",
            "nothing",
            "id,meta_data.key",
        ):
            await self.call(
                a,
                f"order _fields={fields}",
                "GET",
                f"{API}/orders/{first}",
                kind="orders",
                params=[("_fields", fields)],
            )
        await self.call(
            a,
            "orders list _fields",
            "GET",
            f"{API}/orders",
            kind="orders",
            params=[("include", str(first)), ("_fields", "id,total")],
        )
        for dp in ("0", "1", "3", "-1", "abc", "2.7"):
            await self.call(
                a,
                f"order dp={dp}",
                "GET",
                f"{API}/orders/{first}",
                kind="orders",
                params=[("dp", dp), ("_fields", "total,line_items,shipping_total")],
            )
        for context in ("view", "edit", "embed", "bogus"):
            await self.call(
                a,
                f"customer context={context}",
                "GET",
                f"{API}/customers/{self.id('customers:jane')}",
                kind="customers",
                params=[("context", context)],
            )
        await self.call(
            a,
            "product _fields",
            "GET",
            f"{API}/products/{self.id('products:gadget')}",
            kind="products",
            params=[("_fields", "id,price,regular_price,on_sale")],
        )
        await self.call(
            a,
            "webhook _fields",
            "GET",
            f"{API}/webhooks",
            kind="webhooks",
            params=[("_fields", "id"), ("search", "parity")],
        )

    # .................................................................. errors
    async def errors(self) -> None:
        a = "errors"
        await self.call(a, "unknown route", "GET", f"{API}/bogus")
        await self.call(a, "unknown route under id", "GET", f"{API}/orders/1/bogus")
        await self.call(a, "bad method", "PATCH", f"{API}/orders")
        await self.call(a, "per_page abc", "GET", f"{API}/customers", params=[("per_page", "abc")])
        await self.call(a, "order enum", "GET", f"{API}/products", params=[("order", "up")])
        await self.call(a, "id not numeric", "GET", f"{API}/orders/abc")
        await self.call(
            a, "after not a date", "GET", f"{API}/orders", params=[("after", "yesterday")]
        )
        await self.call(a, "invalid json body", "POST", f"{API}/customers", body=b"{")
        await self.rejected_order(
            a,
            "line item quantity string",
            line_items=[{"product_id": self.id("products:widget"), "quantity": "two"}],
        )
        await self.call(
            a, "customer email wrong type", "POST", f"{API}/customers", body={"email": 42}
        )
        await self.call(
            a,
            "product price wrong type",
            "POST",
            f"{API}/products",
            body={"name": "Parity Bad Price", "regular_price": 12},
        )
        await self.call(
            a,
            "webhook delivery_url empty",
            "PUT",
            f"{API}/webhooks/999999",
            body={"delivery_url": ""},
        )

    # .................................................................. OPTIONS
    async def options(self) -> None:
        a = "options"
        first = self.id("orders:first")
        for step, path in (
            ("orders", f"{API}/orders"),
            ("order", f"{API}/orders/{first}"),
            ("customers", f"{API}/customers"),
            ("products", f"{API}/products"),
            ("webhooks", f"{API}/webhooks"),
            ("orders batch", f"{API}/orders/batch"),
        ):
            response = await self.raw("OPTIONS", path)
            body = response.json()
            self.rec.add(a, step, "status", response.status)
            self.rec.add(a, step, "header allow", response.headers.get("allow"))
            self.rec.add(a, step, "keys $", list(body) if isinstance(body, dict) else body)
            if isinstance(body, dict):
                self.rec.add(a, step, "value $.methods", body.get("methods"))
                schema = body.get("schema") or {}
                self.rec.add(a, step, "value $.schema.title", schema.get("title"))
                self.rec.add(a, step, "schema properties", sorted(schema.get("properties", {})))
                self.rec.add(
                    a,
                    step,
                    "endpoint args",
                    sorted({arg for ep in body.get("endpoints", []) for arg in ep.get("args", {})}),
                )

    # .................................................................. dates
    async def dates(self) -> None:
        a = "dates"
        first = self.id("orders:first")
        order = await self.call(
            a,
            "order dates",
            "GET",
            f"{API}/orders/{first}",
            kind="orders",
            params=[
                (
                    "_fields",
                    "id,date_created,date_created_gmt,"
                    "date_modified,date_modified_gmt,date_paid,date_paid_gmt,"
                    "date_completed,date_completed_gmt",
                )
            ],
        )
        await self.call(
            a,
            "paid order dates",
            "GET",
            f"{API}/orders/{self.id('orders:paid')}",
            kind="orders",
            params=[
                ("_fields", "date_paid,date_paid_gmt,date_completed,date_completed_gmt,status")
            ],
        )
        await self.call(
            a,
            "completed order dates",
            "GET",
            f"{API}/orders/{self.id('orders:done')}",
            kind="orders",
            params=[
                ("_fields", "date_paid,date_paid_gmt,date_completed,date_completed_gmt,status")
            ],
        )
        order = order if isinstance(order, dict) else {}
        never = "2000-01-01T00:00:00"  # the order is missing: the checks below will say so
        local, gmt = order.get("date_created", never), order.get("date_created_gmt", never)
        mlocal = order.get("date_modified", never)
        mgmt = order.get("date_modified_gmt", never)
        zone = _zone_suffix(local, gmt)
        cases = [
            ("after local-1s", [("after", _shift(local, -1))]),
            ("after local", [("after", local)]),
            ("before local+1s", [("before", _shift(local, 1))]),
            ("before local", [("before", local)]),
            ("after gmt-1s gmt", [("after", _shift(gmt, -1)), ("dates_are_gmt", "true")]),
            ("after gmt gmt", [("after", gmt), ("dates_are_gmt", "true")]),
            ("after local-1s gmt", [("after", _shift(local, -1)), ("dates_are_gmt", "true")]),
            ("after gmt-1s local", [("after", _shift(gmt, -1))]),
            ("after gmt-1s Z", [("after", _shift(gmt, -1) + "Z")]),
            ("after gmt Z", [("after", gmt + "Z")]),
            ("after local-1s offset", [("after", _shift(local, -1) + zone)]),
            ("after local offset", [("after", local + zone)]),
            ("after gmt-1s Z gmt", [("after", _shift(gmt, -1) + "Z"), ("dates_are_gmt", "true")]),
            (
                "after gmt-1s +00:00 gmt",
                [("after", _shift(gmt, -1) + "+00:00"), ("dates_are_gmt", "true")],
            ),
            (
                "after local-1s offset gmt",
                [("after", _shift(local, -1) + zone), ("dates_are_gmt", "true")],
            ),
            ("after space", [("after", _shift(local, -1).replace("T", " "))]),
            ("after date only", [("after", local[:10])]),
            ("modified_after mlocal-1s", [("modified_after", _shift(mlocal, -1))]),
            ("modified_after mlocal", [("modified_after", mlocal)]),
            ("modified_before mlocal+1s", [("modified_before", _shift(mlocal, 1))]),
            (
                "modified_after mgmt-1s gmt",
                [("modified_after", _shift(mgmt, -1)), ("dates_are_gmt", "true")],
            ),
            ("modified_after mgmt gmt", [("modified_after", mgmt), ("dates_are_gmt", "true")]),
            ("dates_are_gmt bogus", [("after", _shift(local, -1)), ("dates_are_gmt", "maybe")]),
        ]
        for step, params in cases:
            await self.call(
                a,
                f"orders {step}",
                "GET",
                f"{API}/orders",
                kind="orders",
                params=[("include", str(first)), ("_fields", "id"), *params],
            )
        widget = await self.raw("GET", f"{API}/products/{self.id('products:gadget')}")
        product = widget.json() or {}
        plocal = str(product.get("date_created", local))
        pgmt = str(product.get("date_created_gmt", gmt))
        pmodified = str(product.get("date_modified", plocal))
        for step, params in (
            ("after local-1s", [("after", _shift(plocal, -1))]),
            ("after local", [("after", plocal)]),
            ("after gmt-1s gmt", [("after", _shift(pgmt, -1)), ("dates_are_gmt", "true")]),
            (
                "modified_after local-1s",
                [("modified_after", _shift(pmodified, -1))],
            ),
        ):
            await self.call(
                a,
                f"products {step}",
                "GET",
                f"{API}/products",
                kind="products",
                params=[("include", str(self.id("products:gadget"))), ("_fields", "id"), *params],
            )
        for step, params in (
            ("after future", [("after", "2999-01-01T00:00:00")]),
            ("before past", [("before", "2000-01-01T00:00:00")]),
        ):
            await self.call(
                a,
                f"customers {step}",
                "GET",
                f"{API}/customers",
                kind="customers",
                params=[("include", str(self.id("customers:jane"))), ("_fields", "id"), *params],
            )
        await self.call(
            a,
            "create with date_created",
            "PUT",
            f"{API}/orders/{first}",
            kind="orders",
            body={"date_created": "2024-01-15T10:00:00"},
            params=[("_fields", "id,date_created,date_created_gmt")],
        )
        await self.call(
            a,
            "create with date_created_gmt",
            "PUT",
            f"{API}/orders/{first}",
            kind="orders",
            body={"date_created_gmt": "2024-07-15T10:00:00"},
            params=[("_fields", "id,date_created,date_created_gmt")],
        )
        got = await self.raw(
            "GET", f"{API}/orders/{first}", params=[("_fields", "date_created,date_created_gmt")]
        )
        self.rec.body(a, "date_created after writes", got.json(), kind="orders")

    # .................................................................. meta
    async def meta(self) -> None:
        a = "meta"
        meta = [
            {"key": "parity_public", "value": "one"},
            {"key": "_parity_private", "value": "two"},
            {"key": "parity_list", "value": ["a", "b"]},
            {"key": "parity_object", "value": {"k": "v"}},
        ]
        await self.create(
            a,
            "customer with meta",
            "customers",
            "meta",
            {"email": f"meta@{DOMAIN}", "meta_data": meta},
        )
        await self.create(
            a,
            "product with meta",
            "products",
            "meta",
            {"name": "Parity Meta", "sku": "parity-m1", "meta_data": meta},
        )
        order = await self.create(
            a, "order with meta", "orders", "meta", self.order_body("Meta", meta_data=meta)
        )
        ident = order.get("id", 0)
        await self.call(
            a,
            "order update meta by key",
            "PUT",
            f"{API}/orders/{ident}",
            kind="orders",
            params=[("_fields", "id,meta_data")],
            body={
                "meta_data": [
                    {"key": "parity_public", "value": "changed"},
                    {"key": "_parity_new", "value": "3"},
                ]
            },
        )
        metas = (await self.raw("GET", f"{API}/orders/{ident}")).json() or {}
        row = next((m for m in metas.get("meta_data", []) if m.get("key") == "parity_list"), None)
        if row is not None:
            await self.call(
                a,
                "order delete meta by id",
                "PUT",
                f"{API}/orders/{ident}",
                kind="orders",
                params=[("_fields", "id,meta_data")],
                body={"meta_data": [{"id": row["id"], "value": None}]},
            )
        await self.call(
            a,
            "order meta after status change",
            "PUT",
            f"{API}/orders/{ident}",
            kind="orders",
            params=[("_fields", "meta_data,line_items")],
            body={"status": "processing"},
        )
        await self.call(
            a,
            "order trashed meta",
            "DELETE",
            f"{API}/orders/{ident}",
            kind="orders",
            params=[("_fields", "meta_data,status")],
        )
        await self.call(
            a,
            "customer meta view",
            "GET",
            f"{API}/customers/{self.id('customers:meta')}",
            kind="customers",
            params=[("_fields", "meta_data")],
        )
        await self.call(
            a,
            "product meta view",
            "GET",
            f"{API}/products/{self.id('products:meta')}",
            kind="products",
            params=[("_fields", "meta_data")],
        )
        for step, params in (
            ("include_meta", [("include_meta", "parity_public")]),
            ("exclude_meta", [("exclude_meta", "parity_public")]),
            ("both", [("include_meta", "parity_public"), ("exclude_meta", "parity_public")]),
        ):
            await self.call(
                a,
                f"product {step}",
                "GET",
                f"{API}/products",
                kind="products",
                params=[
                    ("include", str(self.id("products:meta"))),
                    ("_fields", "id,meta_data"),
                    *params,
                ],
            )

    # .................................................................. deliveries
    async def deliveries_area(self) -> None:
        a = "deliveries"
        mark = self.b.deliveries_mark()
        topics = (
            "order.created",
            "order.updated",
            "order.deleted",
            "order.restored",
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "product.created",
            "product.updated",
            "product.deleted",
            "action.woocommerce_order_status_processing",
        )
        for topic in topics:
            await self.create(
                a,
                f"create {topic}",
                "webhooks",
                topic,
                {
                    "name": f"parity {topic}",
                    "topic": topic,
                    "delivery_url": self.b.hook_url,
                    "secret": SECRET,
                    "status": "active",
                },
            )
        self.deliveries(a, "pings", mark)
        await self.queue(a, "queue after webhook creation", 0)

        await self.create(
            a,
            "customer create",
            "customers",
            "hooked",
            {"email": f"hooked@{DOMAIN}", "first_name": "Hooked"},
        )
        await self.queue(a, "queue customer create", 2)

        order = await self.create(a, "order create", "orders", "hooked", self.order_body("Hooked"))
        ident = order.get("id", 0)
        await self.queue(a, "queue order create", 2)

        # Two changes before the queue runs: one delivery per (webhook, order), final state.
        await self.call(
            a,
            "order update 1",
            "PUT",
            f"{API}/orders/{ident}",
            kind="orders",
            body={"status": "on-hold"},
            params=[("_fields", "status")],
        )
        await self.call(
            a,
            "order update 2",
            "PUT",
            f"{API}/orders/{ident}",
            kind="orders",
            body={"status": "processing"},
            params=[("_fields", "status")],
        )
        await self.queue(a, "queue two updates", 1)

        # Created and changed before the queue runs: the body is built at send time.
        second = await self.create(
            a, "order create then update", "orders", "late", self.order_body("Late")
        )
        await self.call(
            a,
            "order update before queue",
            "PUT",
            f"{API}/orders/{second.get('id', 0)}",
            kind="orders",
            body={"status": "completed"},
            params=[("_fields", "status")],
        )
        await self.queue(a, "queue create+update", 2)

        await self.call(
            a,
            "order trash",
            "DELETE",
            f"{API}/orders/{ident}",
            kind="orders",
            params=[("_fields", "status")],
        )
        await self.queue(a, "queue order trash", 1)
        await self.call(
            a,
            "order force delete",
            "DELETE",
            f"{API}/orders/{ident}",
            kind="orders",
            params=[("force", "true"), ("_fields", "id")],
        )
        await self.queue(a, "queue order force delete", 0)

        await self.create(
            a,
            "product create",
            "products",
            "hooked",
            {"name": "Parity Hooked", "sku": "parity-h1", "regular_price": "4.00"},
        )
        await self.call(
            a,
            "product update",
            "PUT",
            f"{API}/products/{self.id('products:hooked')}",
            kind="products",
            body={"regular_price": "4.50"},
            params=[("_fields", "price")],
        )
        await self.queue(a, "queue product create+update", 2)
        await self.call(
            a,
            "product trash",
            "DELETE",
            f"{API}/products/{self.id('products:hooked')}",
            kind="products",
            params=[("_fields", "status")],
        )
        await self.queue(a, "queue product trash", 1)

        await self.call(
            a,
            "customer update",
            "PUT",
            f"{API}/customers/{self.id('customers:hooked')}",
            kind="customers",
            body={"last_name": "Changed"},
            params=[("_fields", "last_name")],
        )
        await self.queue(a, "queue customer update", 1)
        await self.call(
            a,
            "customer delete",
            "DELETE",
            f"{API}/customers/{self.id('customers:hooked')}",
            kind="customers",
            params=[("force", "true"), ("_fields", "id")],
        )
        await self.queue(a, "queue customer delete", 1)

        batch = await self.raw(
            "POST",
            f"{API}/orders/batch",
            body={
                "update": [
                    {"id": self.id("orders:first"), "status": "completed"},
                    {"id": self.id("orders:paid"), "status": "on-hold"},
                ]
            },
        )
        self.rec.add(a, "orders batch update", "status", batch.status)
        await self.queue(a, "queue batch update", 2)

        for ident in sorted(self.webhooks):
            await self.raw("DELETE", f"{API}/webhooks/{ident}", params=[("force", "true")])


def _zone_suffix(local: str, gmt: str) -> str:
    """The store's UTC offset at that instant as ``-05:00``, from a local/GMT pair."""
    delta = datetime.strptime(local, "%Y-%m-%dT%H:%M:%S") - datetime.strptime(
        gmt, "%Y-%m-%dT%H:%M:%S"
    )
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
