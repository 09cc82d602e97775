"""The simulator: one store, its clock, its keys, and the aiohttp application serving them.

The site is three aiohttp applications: the REST API mounted at ``/wp-json``, the
control plane at ``/_woosim``, and the root holding them, each with its own
middlewares, so no middleware looks at the path to learn which part of the site a
request is for. The root's middlewares (body timeout, errors as WooCommerce JSON)
run for every request, the REST API's (authentication, then ``middlewares``, then
the REST faults of ``faults``) only under ``/wp-json``, the control plane's (Host and
cross-site checks, the control token) only under ``/_woosim``.

Other parts plug in through three seams: ``rest_setups`` and ``control_setups``
(each route module's ``setup(app, sim)``, given the sub-application it belongs
to, registering paths relative to its mount), ``middlewares`` (run after
authentication in the REST API) and ``reset_hooks`` (called after the store is
emptied).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from simulator import control, control_trigger, control_webhooks, coupon_render, inspector
from simulator.answers import AnswerCache
from simulator.auth import Authenticator
from simulator.clock import Clock
from simulator.errors import RestError
from simulator.events import EventBus
from simulator.faults import Faults, rest_fault_middleware
from simulator.keys import ApiKey, KeyRing, derive_key
from simulator.render import Renderer
from simulator.rest import (
    coupons,
    customers,
    notes,
    openapi_route,
    orders,
    products,
    refunds,
    route_info,
    system,
    terms,
    variations,
    webhooks,
)
from simulator.rest.common import (
    OPTIONS_KEY,
    SIM_KEY,
    error_response,
    make_auth_middleware,
    make_error_middleware,
)
from simulator.settings import Settings
from simulator.store import Store
from simulator.webhooks import WebhookService
from simulator.wire.timeouts import BODY_TIMEOUT

RouteSetup = Callable[[web.Application, "Simulator"], None]

#: Where the REST API and the control plane are mounted.
REST_PREFIX = "/wp-json"
CONTROL_PREFIX = control.PREFIX
MAX_BODY = 16 * 1024 * 1024


#: The user a customer-account key belongs to: not a user the store lists (its
#: records are the generated and created customers), never the administrator.
CUSTOMER_KEY_USER_ID = 1_000_000


def default_keys(seed: str | int) -> list[ApiKey]:
    """The store's keys: read_write (printed), read-only, write-only, and a read_write
    key of a customer's account (authenticates, then gets 403 everywhere)."""
    return [
        derive_key(seed, 0, "read_write"),
        derive_key(seed, 1, "read"),
        derive_key(seed, 2, "write"),
        derive_key(seed, 3, "read_write", user_id=CUSTOMER_KEY_USER_ID, manager=False),
    ]


def make_body_timeout_middleware(sim: Simulator) -> Any:
    """Read the body first, within ``sim.body_timeout``: a client that stalls mid-body gets
    408 and the connection closes, instead of holding a handler forever."""

    @web.middleware
    async def body_timeout_middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.body_exists:
            try:
                async with asyncio.timeout(sim.body_timeout):
                    await request.read()  # cached: handlers read it again for free
            except TimeoutError:
                response = web.Response(
                    status=408, text=f"body not received within {sim.body_timeout:g}s"
                )
                response.force_close()
                return response
        return await handler(request)

    return body_timeout_middleware


class Simulator:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        seed: str | int = 0,
        keys: Sequence[ApiKey] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.clock = clock or Clock()
        self.seed = seed
        self.bus = EventBus()
        self.store = Store(self.settings, self.clock, self.bus)
        self.renderer = Renderer(self.settings, self.store)
        self.keys = KeyRing(keys if keys is not None else default_keys(seed))
        self.authenticator = Authenticator(
            self.keys, self.clock, self.settings.site_url, https=self.settings.https_auth
        )
        #: Faults set on REST calls and webhook deliveries (the delivery engine reads the
        #: same object); kept answers are not served while one is set.
        self.faults = Faults()
        #: The store's webhooks: records, delivery under ``faults``, the journal. It queues
        #: from the start; sending starts and stops with the served app (``rest.webhooks``).
        #: WooCommerce's safe-URL rule is off by default, so receivers on any loopback port
        #: work (``webhooks.options.restrict_delivery_urls`` turns it on).
        self.webhooks = WebhookService(
            clock=self.clock,
            bus=self.bus,
            settings=self.settings,
            payload_for=self.webhook_body,
            faults=self.faults,
        )
        self.reset_hooks: list[Callable[[], None]] = []
        self.middlewares: list[Any] = []
        #: Route modules of the REST API, mounted at :data:`REST_PREFIX`.
        self.rest_setups: list[RouteSetup] = [
            customers.setup,
            orders.setup,
            products.setup,
            system.setup,
            webhooks.setup,
            coupons.setup,
            terms.setup,
            variations.setup,
            notes.setup,
            refunds.setup,
        ]
        #: Route modules of the control plane, mounted at :data:`CONTROL_PREFIX`.
        self.control_setups: list[RouteSetup] = [
            control.setup,
            openapi_route.setup,
            inspector.setup,
            control_webhooks.setup,
            control_trigger.setup,
        ]
        #: "METHOD path" of every request that ended in an unexpected 500.
        self.internal_errors: list[str] = []
        #: When set, ``/_woosim`` requests must present it (see ``control``); the server
        #: sets one when it binds beyond loopback.
        self.control_token: str | None = None
        #: Host names (besides IP addresses and localhost) ``/_woosim`` answers to; the
        #: server adds the name it binds to, ``woosim serve --allowed-host`` more.
        self.allowed_hosts: set[str] = set()
        #: Seconds a client has to send its whole body (``woosim listen``'s setting).
        self.body_timeout = BODY_TIMEOUT
        #: Whole answers of repeated reads, served in front of the site by the server.
        self.answers = AnswerCache(self)

    @property
    def site_url(self) -> str:
        return self.settings.site_url

    def set_site_url(self, url: str) -> None:
        """The public home URL (known once the server is bound): links and OAuth use it."""
        self.settings.site_url = url.rstrip("/")
        self.authenticator.home_url = self.settings.site_url
        self.store.invalidate_rendering()

    def reset(self, *, timezone: str | None = None) -> None:
        """Empty the store; credentials, settings and the clock stay.

        ``timezone`` switches the store's zone as part of the reset: safe only
        here, when no record holds wall times of the old zone.
        """
        if timezone is not None:
            self.settings.change_timezone(timezone)  # ValueError names the zone
        self.store.reset()
        self.webhooks.reset()
        for hook in list(self.reset_hooks):
            hook()
        # After the webhooks' reset: the sender has dropped the deliveries a reorder fault
        # held, so clearing the faults releases none.
        self.faults.clear()

    def payload_for(self, resource: str, resource_id: int) -> dict[str, Any]:
        """Exactly the body of an internal ``GET /wc/v3/{resource}s/{id}`` (webhook payloads)."""
        store, render = self.store, self.renderer
        if resource == "order":
            return render.order(store.get_order(resource_id))
        if resource == "customer":
            return render.customer(store.get_customer(resource_id))
        if resource == "product":
            return render.product(store.get_product(resource_id))
        if resource == "coupon":
            return coupon_render.coupon(render, store.get_coupon(resource_id))
        raise RestError(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        )

    def webhook_body(self, resource: str, resource_id: int) -> bytes | dict[str, Any]:
        """A webhook's payload: for orders, customers and products the bytes a GET of the
        record answers, rendered once and kept with it until it changes (so a record
        delivered to several webhooks, or read and delivered, is encoded once); else
        :meth:`payload_for`."""
        store, render = self.store, self.renderer
        if resource == "order":
            return render.order_bytes(store.get_order(resource_id))
        if resource == "customer":
            return render.customer_bytes(store.get_customer(resource_id))
        if resource == "product":
            return render.product_bytes(store.get_product(resource_id))
        return self.payload_for(resource, resource_id)

    def app(self) -> web.Application:
        # Faults innermost: after authentication, so they hit authenticated calls too; they
        # render handlers' errors themselves, so notices and truncation reach those too.
        rest = self._sub_app(
            [
                make_auth_middleware(self),
                *self.middlewares,
                rest_fault_middleware(self.faults, error_response),
            ],
            self.rest_setups,
        )
        rest[OPTIONS_KEY] = route_info.options
        control_plane = self._sub_app(
            [control.make_cross_site_middleware(self), control.make_control_token_middleware(self)],
            self.control_setups,
        )
        root = web.Application(
            middlewares=[make_body_timeout_middleware(self), make_error_middleware(self)],
            client_max_size=MAX_BODY,
        )
        root[SIM_KEY] = self
        # Mounted after their routes are registered: mounting prefixes the paths.
        root.add_subapp(REST_PREFIX, rest)
        root.add_subapp(CONTROL_PREFIX, control_plane)
        return root

    def _sub_app(self, middlewares: list[Any], setups: Sequence[RouteSetup]) -> web.Application:
        application = web.Application(middlewares=middlewares, client_max_size=MAX_BODY)
        application[SIM_KEY] = self
        for setup in setups:
            setup(application, self)
        return application


def all_routes(application: web.Application) -> Iterator[web.AbstractRoute]:
    """Every route of ``application`` and of the sub-applications mounted in it."""
    for resource in application.router.resources():
        mounted = resource.get_info().get("app")
        if isinstance(mounted, web.Application):
            yield from all_routes(mounted)
        else:
            yield from resource
