"""``/wp-json/wc/v3/customers``: WC_REST_Customers_Controller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.models import ADDRESS_FIELDS, CUSTOMER_ROLES
from simulator.params import Args
from simulator.rest.common import (
    SIM_KEY,
    batch_item_id,
    body_params,
    created,
    item_routes,
    query_params,
    require_user,
    respond,
    respond_collection,
    respond_item,
    route_id,
    run_batch,
)
from simulator.store import CustomerQuery

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "customers"
ROLE_FILTERS = (
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
)
ORDERBY = ("id", "include", "name", "registered_date")


def address_fields(args: Args, name: str, *, billing: bool) -> dict[str, str] | None:
    """A billing/shipping object: string fields; billing e-mail must look like one."""
    sub = args.object(name)
    if sub is None:
        return None
    values: dict[str, str] = {}
    for field in ADDRESS_FIELDS:
        if field == "email" and not billing:
            continue
        if sub.has(field):
            values[field] = sub.email(field) if field == "email" else sub.string(field)
    args.nested(name, sub)
    return values


def meta_fields(args: Args, name: str = "meta_data") -> list[dict[str, Any]] | None:
    if not args.has(name):
        return None
    items = args.objects(name)
    result: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        if not item.has("key") and not item.has("id"):
            args.problem(
                name, "rest_property_required", f"key is a required property of {name}[{position}]."
            )
            continue
        item.string("key")
        if item.has("id"):
            item.integer("id")
        args.nested(name, item, position)
        result.append(dict(item.values))
    return result


class CustomerRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------------ list
    async def list_items(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        args.enum("context", ("view", "edit"), "view")
        query = CustomerQuery(
            page=args.integer("page", 1, minimum=1) or 1,
            per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
            offset=args.integer("offset"),
            order=args.enum("order", ("asc", "desc"), "asc"),
            orderby=args.enum("orderby", ORDERBY, "name"),
            role=args.enum("role", ROLE_FILTERS, "customer"),
            email=args.email("email"),
            search=args.string("search"),
            include=args.id_list("include"),
            exclude=frozenset(args.id_list("exclude")),
        )
        # after/before/modified_* are not registered on customers: silently ignored.
        args.check()
        require_user(request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        page, total = self.sim.store.query_customers(query)
        render = self.sim.renderer
        return respond_collection(
            request,
            page,
            render.customer,
            render.customer_bytes,
            route=ROUTE,
            total=total,
            per_page=query.per_page,
            page=query.page,
        )

    # ------------------------------------------------------------------ item
    async def get(self, request: web.Request) -> web.Response:
        Args(query_params(request)).enum("context", ("view", "edit"), "view")
        customer = self.sim.store.get_customer(route_id(request))  # 404 even when anonymous
        require_user(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        render = self.sim.renderer
        return respond_item(request, customer, render.customer, render.customer_bytes)

    def _fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        if creating:
            args.require("email")
        fields: dict[str, Any] = {}
        if args.has("email"):
            fields["email"] = args.email("email")
            if not fields["email"] and "email" not in args.problems:
                args.problem("email", "rest_invalid_email", "Invalid email address.")
        for name in ("first_name", "last_name", "username", "password"):
            if args.has(name):
                fields[name] = args.string(name)
        for name in ("billing", "shipping"):
            address = address_fields(args, name, billing=name == "billing")
            if address is not None:
                fields[name] = address
        meta = meta_fields(args)
        if meta is not None:
            fields["meta_data"] = meta
        if not creating and args.has("role"):
            fields["role"] = args.enum("role", CUSTOMER_ROLES, "customer")
        args.check()
        fields.pop("password", None)  # write-only: accepted, never stored or echoed
        return fields

    async def _create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(body, creating=True)
        require_user(
            request,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        )
        if body.get("id"):
            raise RestError(
                "woocommerce_rest_customer_exists", "Cannot create existing resource.", 400
            )
        customer = self.sim.store.create_customer(fields)
        return self.sim.renderer.customer(customer)

    async def create(self, request: web.Request) -> web.Response:
        payload = await self._create(request, await body_params(request))
        return created(request, payload, ROUTE)

    async def _update(
        self, request: web.Request, customer_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self._fields(body, creating=False)
        require_user(
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        customer = self.sim.store.update_customer(customer_id, fields)
        return self.sim.renderer.customer(customer)

    async def update(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._update(request, route_id(request), body))

    async def _delete(
        self, request: web.Request, customer_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        args = Args(values)
        force = args.boolean("force", False)
        args.integer("reassign")
        args.check()
        store = self.sim.store
        customer = store.get_customer(customer_id)
        require_user(
            request,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501
            )
        payload = self.sim.renderer.customer(customer)
        store.delete_customer(customer_id)
        return payload

    async def delete(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._delete(request, route_id(request), body))

    # ------------------------------------------------------------------ batch
    async def batch(self, request: web.Request) -> web.Response:
        invalid = RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 400)

        async def update(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            return await self._update(req, batch_item_id(item, invalid), item)

        async def delete(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            # WooCommerce batches delete with force=true.
            return await self._delete(req, batch_item_id(item, invalid), {"force": True})

        return await run_batch(request, create=self._create, update=update, delete=delete)


def setup(app: web.Application, sim: Simulator) -> None:
    routes = CustomerRoutes(sim)
    assert app[SIM_KEY] is sim
    item_routes(
        app,
        ROUTE,
        collection_get=routes.list_items,
        collection_post=routes.create,
        item_get=routes.get,
        item_update=routes.update,
        item_delete=routes.delete,
        batch=routes.batch,
    )
