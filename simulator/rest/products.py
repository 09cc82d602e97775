"""``/wp-json/wc/v3/products``: WC_REST_Products_Controller (simple products)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.models import PRODUCT_STATUSES, PRODUCT_TYPES, STOCK_STATUSES
from simulator.params import Args
from simulator.rest.common import (
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
from simulator.rest.customers import meta_fields
from simulator.rest.orders import post_list_args
from simulator.store import money

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "products"
ORDERBY = ("date", "id", "include", "title", "slug", "modified", "price", "popularity", "rating")
STATUS_FILTERS = ("any", "trash", *PRODUCT_STATUSES)


class ProductRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def list_items(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        query = post_list_args(args, self.sim, ORDERBY)
        status = args.enum("status", STATUS_FILTERS, "any")
        query.statuses = None if status == "any" else frozenset({status})
        query.sku = args.string("sku")
        query.type = args.enum("type", PRODUCT_TYPES, "") if args.has("type") else ""
        query.featured = args.boolean("featured", None)
        query.on_sale = args.boolean("on_sale", None)
        query.stock_status = (
            args.enum("stock_status", STOCK_STATUSES, "") if args.has("stock_status") else ""
        )
        query.category = args.integer("category")
        for name in ("min_price", "max_price"):
            args.amount(name)
            raw = query_params(request).get(name)
            if raw not in (None, "") and name not in args.problems:
                setattr(query, name, money(raw))
        args.check()
        require_user(request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        page, total = self.sim.store.query_products(query)
        render = self.sim.renderer
        return respond_collection(
            request,
            page,
            render.product,
            render.product_bytes,
            route=ROUTE,
            total=total,
            per_page=query.per_page,
            page=query.page,
        )

    async def get(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        args.enum("context", ("view", "edit"), "view")
        args.check()
        require_user(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        product = self.sim.store.get_product(route_id(request))
        render = self.sim.renderer
        return respond_item(request, product, render.product, render.product_bytes)

    def _fields(self, body: dict[str, Any]) -> dict[str, Any]:
        args = Args(body)
        fields: dict[str, Any] = {}
        for name in (
            "name",
            "slug",
            "sku",
            "description",
            "short_description",
            "weight",
            "tax_class",
        ):
            if args.has(name):
                fields[name] = args.string(name)
        choices = {
            "type": PRODUCT_TYPES,
            "status": PRODUCT_STATUSES,
            "stock_status": STOCK_STATUSES,
            "catalog_visibility": ("visible", "catalog", "search", "hidden"),
            "tax_status": ("taxable", "shipping", "none"),
        }
        for name, allowed in choices.items():
            if args.has(name):
                fields[name] = args.enum(name, allowed, allowed[0])
        for name in ("featured", "virtual", "downloadable", "manage_stock"):
            if args.has(name):
                fields[name] = args.boolean(name, False)
        if args.has("stock_quantity"):
            fields["stock_quantity"] = args.integer("stock_quantity")
        for name in ("regular_price", "sale_price"):
            args.amount(name)
            if args.has(name):
                fields[name] = args.values[name]
        categories = args.objects("categories")
        for position, category in enumerate(categories):
            category.integer("id")
            args.nested("categories", category, position)
        if args.has("categories"):
            fields["categories"] = [dict(c.values) for c in categories]
        meta = meta_fields(args)
        if meta is not None:
            fields["meta_data"] = meta
        args.check()
        return fields

    async def _create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(body)
        require_user(
            request,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        )
        if body.get("id"):
            raise RestError(
                "woocommerce_rest_product_exists", "Cannot create existing product.", 400
            )
        return self.sim.renderer.product(self.sim.store.create_product(fields))

    async def create(self, request: web.Request) -> web.Response:
        payload = await self._create(request, await body_params(request))
        return created(request, payload, ROUTE)

    async def _update(
        self, request: web.Request, product_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self._fields(body)
        require_user(
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        return self.sim.renderer.product(self.sim.store.update_product(product_id, fields))

    async def update(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._update(request, route_id(request), body))

    async def _delete(
        self, request: web.Request, product_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        args = Args(values)
        force = args.boolean("force", False)
        args.check()
        require_user(
            request,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        store = self.sim.store
        if force:
            payload = self.sim.renderer.product(store.get_product(product_id))
            store.delete_product(product_id)
            return payload
        return self.sim.renderer.product(store.trash_product(product_id))

    async def delete(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._delete(request, route_id(request), body))

    async def batch(self, request: web.Request) -> web.Response:
        invalid = RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)

        async def update(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            return await self._update(req, batch_item_id(item, invalid), item)

        async def delete(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            return await self._delete(req, batch_item_id(item, invalid), {"force": True})

        return await run_batch(request, create=self._create, update=update, delete=delete)


def setup(app: web.Application, sim: Simulator) -> None:
    routes = ProductRoutes(sim)
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
