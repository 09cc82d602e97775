"""``/wp-json/wc/v3/products/{product_id}/variations``: WC_REST_Product_Variations_Controller.

As a real WooCommerce 10.0.2 store answers: ``Location`` of a create keeps the route's
pattern (``/products/(?P<product_id>[\\d]+)/variations/31``), a variation of another
parent is ``woocommerce_rest_product_variation_invalid_id``, ``DELETE`` without
``force`` trashes, a batch item is not checked against the schema (an unknown status
becomes ``draft``), and a batch delete that fails echoes its whole request as ``id``.

A create that names an ``id`` (in the body or the query; a batch create item too) is
refused with ``woocommerce_rest_product_variation_exists`` when the id is not empty in
PHP's sense; an id that is present but empty (``0``, ``"0"``, ``""``, ``false``, ``[]``)
crashes the controller (``wc_get_product(0)`` is ``false``), and WordPress answers its
fatal error page, 500, with nothing made (a batch keeps the items made before it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.models import STOCK_STATUSES
from simulator.params import Args, php_empty
from simulator.phpjson import dumps
from simulator.resources.variations import VARIATION
from simulator.rest.body import Reader, read_fields
from simulator.rest.common import (
    INTERNAL_ERROR_MESSAGE,
    SIM_KEY,
    TARGET_CHECKS,
    CrudRoutes,
    body_params,
    collection_headers,
    context_args,
    force_flag,
    named_id,
    query_params,
    require_permission,
    respond,
    route_id,
    run_batch,
)
from simulator.rest.orders import filter_meta
from simulator.rest.responses import response_headers
from simulator.store import money
from simulator.store.variations import ORDERBY as VARIATION_ORDERBY
from simulator.store.variations import VariationQuery, invalid_variation

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = r"products/{product_id:\d+}/variations"
#: The route as WordPress registered it: a create's Location header carries it as is.
LOCATION_ROUTE = "products/(?P<product_id>[\\d]+)/variations"
STATUS_FILTERS = ("any", "future", "trash", "draft", "pending", "private", "publish")
#: The list's orderby enum (WooCommerce 10.0.2 refuses ``price`` here, recorded).
ORDERBY = VARIATION_ORDERBY


def parent_id(request: web.Request) -> int:
    return int(request.match_info["product_id"])


def dimension_fields(args: Args, name: str) -> dict[str, Any] | None:
    """``dimensions``: the sizes it names, each a string."""
    dimensions = args.object(name)
    if dimensions is None:
        return None
    values = {
        key: dimensions.string(key) for key in ("length", "width", "height") if dimensions.has(key)
    }
    args.nested(name, dimensions)
    return values


def option_entries(args: Args, name: str) -> list[dict[str, Any]]:
    """``attributes``: each option whole; the store matches it to the parent's attributes."""
    options = args.objects(name)
    for position, option in enumerate(options):
        option.string("name")
        option.string("option")
        args.nested(name, option, position)
    return [dict(option.values) for option in options]


READERS: dict[str, Reader] = {"dimensions": dimension_fields, "attributes": option_entries}

EXISTS_ERROR = (
    "woocommerce_rest_product_variation_exists",
    "Cannot create existing product_variation.",
)
#: Where PHP says the controller died on an empty id, under a WordPress root as the
#: official Docker image has it (a store's own root differs; so does its stack trace).
CRASH_FILE = (
    "/var/www/html/wp-content/plugins/woocommerce/includes/rest-api/Controllers/"
    "Version3/class-wc-rest-product-variations-controller.php"
)
CRASH_LINE = 202
CRASH_MESSAGE = (
    "Uncaught Error: Call to a member function set_parent_id() on bool in "
    f"{CRASH_FILE}:{CRASH_LINE}\nStack trace:\n#0 {{main}}\n  thrown"
)
#: wp_is_json_media_type()'s pattern.
JSON_MEDIA_TYPE = re.compile(
    r"(^|\s|,)application/([\w!#$&-^.+]+\+)?json(\+oembed)?($|\s|;|,)", re.IGNORECASE
)


class ControllerCrash(Exception):
    """The controller's PHP fatal error on a create naming an empty id. It ends the
    whole request, a batch too, so it is no RestError (a batch answers those per item)."""


def refuse_named_id(request: web.Request, body: Mapping[str, Any]) -> None:
    """WC_REST_CRUD_Controller::create_item refuses an id that is not empty; the
    variations controller then reads one that is set, and ``wc_get_product(0)`` is
    ``false``: PHP dies calling a method on it, before anything is saved."""
    value = named_id(request, body)
    if value is None:
        return
    if php_empty(value):
        raise ControllerCrash
    code, message = EXISTS_ERROR
    raise RestError(code, message, 400)


def wants_json(request: web.Request) -> bool:
    """wp_is_json_request(): WordPress answers its fatal error page as JSON only then."""
    return any(
        JSON_MEDIA_TYPE.search(request.headers.get(name, "")) for name in ("Accept", "Content-Type")
    )


def crash_response(request: web.Request) -> web.Response:
    """WordPress' fatal error handler: 500, JSON with the PHP error when the request
    speaks JSON, its HTML error page otherwise; no ``Allow`` (the REST server never
    finishes the request)."""
    headers = response_headers(request)
    headers.pop("Allow", None)
    if wants_json(request):
        error = {"type": 1, "message": CRASH_MESSAGE, "file": CRASH_FILE, "line": CRASH_LINE}
        body = {
            "code": "internal_server_error",
            "message": INTERNAL_ERROR_MESSAGE,
            "data": {"status": 500, "error": error},
            "additional_errors": [],
        }
        return web.Response(body=dumps(body), status=500, headers=headers)
    headers["Content-Type"] = "text/html; charset=UTF-8"
    page = (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n'
        '\t<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
        "\t<title>WordPress &rsaquo; Error</title>\n</head>\n"
        f'<body id="error-page">\n\t<div class="wp-die-message">{INTERNAL_ERROR_MESSAGE}'
        "</div></body>\n</html>\n"
    )
    return web.Response(body=page.encode(), status=500, headers=headers)


def variation_list_query(args: Args) -> VariationQuery:
    """The collection's arguments (after ``context``)."""
    status = args.enum("status", STATUS_FILTERS, "any")
    query = VariationQuery(
        page=args.integer("page", 1, minimum=1) or 1,
        per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
        offset=args.integer("offset"),
        order=args.enum("order", ("asc", "desc"), "desc"),
        orderby=args.enum("orderby", ORDERBY, "date"),
        include=args.id_list("include"),
        exclude=frozenset(args.id_list("exclude")),
        search=args.string("search"),
        sku=args.string("sku"),
        statuses=None if status == "any" else frozenset({status}),
        on_sale=args.boolean("on_sale", None),
        stock_status=args.enum("stock_status", STOCK_STATUSES, "")
        if args.has("stock_status")
        else "",
    )
    for name in ("min_price", "max_price"):
        args.amount(name)
        raw = args.values.get(name)
        if raw not in (None, "") and name not in args.problems:
            setattr(query, name, money(raw))
    return query


class VariationRoutes(CrudRoutes):
    route = ROUTE
    invalid_id_error = ("woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
    typed_batch_groups = False

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def rendered(self, variation: Any, context: str = "view") -> dict[str, Any]:
        return self.sim.renderer.variations.variation(variation, context)

    # ------------------------------------------------------------------ reads
    async def list_items(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        context = args.enum("context", ("view", "edit"), "view")
        query = variation_list_query(args)
        args.check()
        require_permission(request, "list")
        page, total = self.sim.store.variations.query(parent_id(request), query)
        params = query_params(request)
        headers = collection_headers(
            request,
            f"products/{parent_id(request)}/variations",
            total,
            query.per_page,
            query.page,
            args.link_query(),
        )
        body = [filter_meta(self.rendered(v, context), params) for v in page]
        return respond(request, body, headers=headers)

    async def get(self, request: web.Request) -> web.Response:
        args = context_args(request)
        context = args.enum("context", ("view", "edit"), "view")
        args.check()
        require_permission(request, "view")
        variation = self.sim.store.variations.get(parent_id(request), route_id(request))
        data = self.rendered(variation, context)
        return respond(request, filter_meta(data, query_params(request)))

    # ------------------------------------------------------------------ writes
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        fields = read_fields(args, VARIATION, creating=creating, readers=READERS)
        args.check()
        return fields

    @staticmethod
    def loose_fields(body: Mapping[str, Any]) -> dict[str, Any]:
        """A batch item as the controller reads it, with no schema check."""
        fields: dict[str, Any] = {}
        for name in ("sku", "description", "weight", "tax_class", "status", "stock_status"):
            if isinstance(body.get(name), str):
                fields[name] = body[name]
        if fields.get("stock_status") not in (None, *STOCK_STATUSES):
            fields["stock_status"] = "instock"  # WC_Product::set_stock_status()
        for name in ("regular_price", "sale_price"):
            if isinstance(body.get(name), str | int | float) and not isinstance(body[name], bool):
                fields[name] = str(body[name])
        for name in ("virtual", "downloadable", "manage_stock"):
            if name in body:
                fields[name] = bool(body[name])
        for name in ("stock_quantity", "menu_order"):
            try:
                fields[name] = int(body[name])
            except (KeyError, TypeError, ValueError, OverflowError):
                pass
        for name in ("dimensions",):
            if isinstance(body.get(name), dict):
                fields[name] = body[name]
        if isinstance(body.get("attributes"), list):
            fields["attributes"] = [a for a in body["attributes"] if isinstance(a, dict)]
        if isinstance(body.get("meta_data"), list):
            fields["meta_data"] = [m for m in body["meta_data"] if isinstance(m, dict)]
        return fields

    async def create(self, request: web.Request) -> web.Response:
        try:
            payload = await self.create_item(request, await body_params(request))
        except ControllerCrash:
            return crash_response(request)
        location = f"{self.sim.settings.api_url}/{LOCATION_ROUTE}/{payload['id']}"
        return respond(request, payload, status=201, headers={"Location": location})

    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=True)
        require_permission(request, "create")
        refuse_named_id(request, body)
        return self._create(request, fields)

    def _create(self, request: web.Request, fields: dict[str, Any]) -> dict[str, Any]:
        require_permission(request, "create")
        variation = self.sim.store.variations.create(parent_id(request), fields)
        return self.rendered(variation, "edit")

    async def update_item(
        self, request: web.Request, item_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=False)
        require_permission(request, "edit")
        return self._update(request, item_id, fields)

    def _update(self, request: web.Request, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        variation = self.sim.store.variations.update(parent_id(request), item_id, fields)
        return self.rendered(variation, "edit")

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        variations = self.sim.store.variations
        variation = variations.get(parent_id(request), item_id)
        # The variation as it was, in the edit context (rendered before the change).
        payload = self.rendered(variation, "edit")
        if force:
            variations.delete(variation.parent_id, item_id)
            payload["_links"] = self.sim.renderer.variations.links(variation, exists=False)
        else:
            variations.trash(variation.parent_id, item_id)
        return payload

    async def batch(self, request: web.Request) -> web.Response:
        parent = parent_id(request)

        async def create(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            require_permission(req, "create")
            refuse_named_id(req, item)
            return self._create(req, self.loose_fields(item))

        async def update(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            require_permission(req, "edit")
            item_id = self.batch_id(item)
            return self._update(req, item_id, self.loose_fields(item))

        async def delete(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            try:
                return await self.delete_item(req, self.batch_id(item), {"force": True})
            except RestError as error:
                # The controller answers with its whole request as the id (recorded).
                return {
                    "id": {"id": item.get("id"), "product_id": parent, "force": True},
                    "error": {
                        "code": error.code,
                        "message": error.message,
                        "data": {"status": error.status, **error.data},
                    },
                }

        try:
            return await run_batch(
                request, create=create, update=update, delete=delete, typed_groups=False
            )
        except ControllerCrash:
            # The items before it stay made, and their webhooks fire (recorded).
            return crash_response(request)

    def batch_id(self, item: Mapping[str, Any]) -> int:
        try:
            value = int(str(item.get("id", "")))
        except ValueError:
            raise invalid_variation(400) from None
        if value <= 0:
            raise invalid_variation(400)
        return value


def _variation_exists(request: web.Request) -> bool | None:
    """Item routes of a variation that does not exist (or has another parent) allow
    no method, so their answers carry no ``Allow`` header (recorded)."""
    info = request.match_info
    if "product_id" not in info or "id" not in info:
        return None
    sim = request.app[SIM_KEY]
    variation = sim.store.variations.records.get(int(info["id"]))
    return variation is not None and variation.parent_id == int(info["product_id"])


def setup(app: web.Application, sim: Simulator) -> None:
    VariationRoutes(sim).register(app)
    TARGET_CHECKS["variations"] = _variation_exists
