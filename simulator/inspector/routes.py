"""The inspector's routes in the control plane: the page, its static files and its JSON feeds."""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import web

from simulator import coupon_render
from simulator.control import PREFIX as CONTROL_PREFIX
from simulator.control import reply
from simulator.errors import RestError, no_route
from simulator.inspector.changes import ChangeTracker, decode_revision, encode_revision
from simulator.inspector.data import InspectorData, customers_only
from simulator.inspector.page import PageRenderer
from simulator.inspector.paging import PANELS, Paging, page_params

if TYPE_CHECKING:
    from simulator.app import Simulator


STATIC_FILES = {
    "inspector.js": "text/javascript",
    "inspector.css": "text/css",
}
#: The page loads only what the simulator serves: no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _record_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise no_route()
    return int(raw)


class InspectorRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.service = sim.webhooks
        self.data = InspectorData(sim, self.service)
        self.tracker = ChangeTracker(sim, self.service)
        self.renderer = PageRenderer(self.data)
        self._static: dict[str, bytes] = {}

    async def page(self, request: web.Request) -> web.Response:
        pages = page_params(request.query)
        revision = encode_revision(self.tracker.tokens())
        body = self.renderer.page(pages, revision)
        return web.Response(
            text=body,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-store",
            },
        )

    async def to_page(self, request: web.Request) -> web.Response:
        # The page uses relative links, which need the trailing slash.
        raise web.HTTPFound(CONTROL_PREFIX + "/")

    async def live(self, request: web.Request) -> web.Response:
        """The clock always; the HTML of the panels whose token differs from ``revision``."""
        pages = page_params(request.query)
        known = decode_revision(request.query.get("revision", ""))
        tokens = self.tracker.tokens()
        changed = [panel for panel in PANELS if known.get(panel) != tokens[panel]]
        panels, shown = self.renderer.panels(pages, changed)
        return reply(
            {
                "clock": self.data.clock(),
                "revision": encode_revision(tokens),
                "pages": dict(shown),
                "panels": panels,
            }
        )

    async def state(self, request: web.Request) -> web.Response:
        store = self.sim.store
        return reply(
            {
                "store": self.data.store_facts(),
                "clock": self.data.clock(),
                "counts": {
                    "customers": len(customers_only(store.customers)),
                    "orders": len(store.orders),
                    "webhooks": len(self.service.all()),
                    "deliveries": len(self.service.journal),
                    "faults": len(self.service.faults.all()),
                },
            }
        )

    async def customers(self, request: web.Request) -> web.Response:
        return reply(self.data.customers(Paging.of(request.query, "customers")))

    async def orders(self, request: web.Request) -> web.Response:
        return reply(self.data.orders(Paging.of(request.query, "orders")))

    async def coupons(self, request: web.Request) -> web.Response:
        return reply(self.data.coupons(Paging.of(request.query, "coupons")))

    async def deliveries(self, request: web.Request) -> web.Response:
        return reply(self.data.deliveries(Paging.of(request.query, "deliveries")))

    async def webhooks(self, request: web.Request) -> web.Response:
        return reply(self.data.webhooks())

    async def faults(self, request: web.Request) -> web.Response:
        return reply(self.data.faults())

    async def customer(self, request: web.Request) -> web.Response:
        # Exactly what GET /wc/v3/customers/{id} answers, without credentials.
        customer = self.sim.store.get_customer(_record_id(request))
        return reply(self.sim.renderer.customer(customer))

    async def order(self, request: web.Request) -> web.Response:
        return reply(self.data.order(self.sim.store.get_order(_record_id(request))))

    async def coupon(self, request: web.Request) -> web.Response:
        # Exactly what GET /wc/v3/coupons/{id} answers, without credentials.
        coupon = self.sim.store.get_coupon(_record_id(request))
        return reply(coupon_render.coupon(self.sim.renderer, coupon))

    async def delivery(self, request: web.Request) -> web.Response:
        found = self.data.delivery(_record_id(request))
        if found is None:
            raise RestError(
                "woosim_delivery_not_found",
                "No delivery with that number in the journal (it may have been rotated out).",
                404,
            )
        return reply(found)

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = STATIC_FILES.get(name)
        if content_type is None:
            raise no_route()
        body = self._static.get(name)
        if body is None:
            source = resources.files("simulator") / "static" / name
            body = await asyncio.to_thread(source.read_bytes)
            self._static[name] = body
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )


def _no_hooks(hook: str) -> bool:
    return False


def setup(app: web.Application, sim: Simulator) -> None:
    routes = InspectorRoutes(sim)

    async def track(_: web.Application) -> None:
        # The page counts record changes only: it asks for no action events, so a store
        # with no action.* webhook skips building them.
        sim.bus.subscribe(routes.tracker.on_event, hooks=_no_hooks)
        sim.reset_hooks.append(routes.tracker.on_reset)

    async def untrack(_: web.Application) -> None:
        sim.bus.unsubscribe(routes.tracker.on_event)
        if routes.tracker.on_reset in sim.reset_hooks:
            sim.reset_hooks.remove(routes.tracker.on_reset)

    app.on_startup.append(track)
    app.on_cleanup.append(untrack)
    router = app.router
    router.add_get("", routes.to_page)
    router.add_get("/", routes.page)
    router.add_get("/static/{name}", routes.static)
    router.add_get("/inspector/live", routes.live)
    router.add_get("/inspector/state", routes.state)
    router.add_get("/inspector/customers", routes.customers)
    router.add_get("/inspector/orders", routes.orders)
    router.add_get("/inspector/coupons", routes.coupons)
    router.add_get("/inspector/deliveries", routes.deliveries)
    router.add_get("/inspector/webhooks", routes.webhooks)
    router.add_get("/inspector/faults", routes.faults)
    router.add_get("/inspector/customers/{id}", routes.customer)
    router.add_get("/inspector/orders/{id}", routes.order)
    router.add_get("/inspector/coupons/{id}", routes.coupon)
    router.add_get("/inspector/deliveries/{id}", routes.delivery)
