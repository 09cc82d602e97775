"""How WordPress describes a route: the ``/wp-json/wc/v3`` index entries and ``OPTIONS``.

A route is described as ``{namespace, methods, endpoints: [{methods, args}]}``; the
endpoints group methods as the controllers register them (an item route has
``GET``, then ``POST, PUT, PATCH``, then ``DELETE``). ``args`` are the arguments the
fake's handlers read, taken from the same recordings as its OpenAPI document, in
WordPress's shape (a JSON Schema per argument plus ``required``). ``OPTIONS`` adds
the resource's response schema (draft-04, titled as WooCommerce titles it) and a
``self`` link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import no_route
from simulator.resources import declare
from simulator.resources import variations as variation_resource
from simulator.resources.coupons import COUPON
from simulator.resources.customers import CUSTOMER
from simulator.resources.orders import ORDER
from simulator.resources.products import PRODUCT
from simulator.resources.terms import CATEGORY, TAG
from simulator.resources.webhooks import WEBHOOK
from simulator.rest import openapi
from simulator.rest.common import SIM_KEY, is_authorised, respond, route_methods
from simulator.settings import Settings

if TYPE_CHECKING:
    from simulator.app import Simulator

NAMESPACE = "wc/v3"
#: Route key (WordPress's regex form) of an item route.
ITEM_SUFFIX = "/(?P<id>[\\d]+)"
ID_ARG = {"description": "Unique identifier for the resource.", "type": "integer"}
CONTEXT_ARG = {
    "description": "Scope under which the request is made; determines fields present in response.",
    "type": "string",
    "enum": ["view", "edit"],
    "default": "view",
}
FORCE_ARG = {
    "default": False,
    "type": "boolean",
    "description": "Whether to bypass trash and force deletion.",
}
_PATH = re.compile(
    r"^/wp-json/wc/v3/(?P<resource>[a-z_]+(?:/categories|/tags|/\d+/variations)?)"
    r"(?P<rest>/batch|/\d+)?/?$"
)
#: A variation route's parent, in the route key as WordPress registers it.
PRODUCT_ID_KEY = "/(?P<product_id>[\\d]+)"
PRODUCT_ID_ARG = {"description": "Unique identifier for the variable product.", "type": "integer"}
VARIATIONS_KEY = f"products{PRODUCT_ID_KEY}/variations"
#: The path arguments a nested route adds to each of its endpoints.
_PATH_ARGS: dict[str, dict[str, Any]] = {VARIATIONS_KEY: {"product_id": PRODUCT_ID_ARG}}
#: Rendered fields a route's OPTIONS schema leaves out (WooCommerce's own schema lacks them).
_HIDDEN: dict[str, tuple[str, ...]] = {VARIATIONS_KEY: variation_resource.UNDECLARED}

Schemas = dict[str, Any]


def _resources(settings: Settings) -> dict[str, tuple[Callable[[], Schemas], Any, Any, str]]:
    """resource -> (collection args, input schema builder, response schema builder, title)."""
    return {
        "orders": (
            lambda: openapi.orders_collection_args(settings),
            lambda creating: declare.input_schema(ORDER, creating=creating),
            lambda: declare.response_schema(ORDER),
            "shop_order",
        ),
        "products": (
            lambda: openapi.products_collection_args(settings),
            lambda creating: declare.input_schema(PRODUCT, creating=creating),
            lambda: declare.response_schema(PRODUCT),
            "product",
        ),
        "customers": (
            openapi.customers_collection_args,
            lambda creating: declare.input_schema(CUSTOMER, creating=creating),
            lambda: declare.response_schema(CUSTOMER),
            "customer",
        ),
        "coupons": (
            lambda: openapi.coupons_collection_args(settings),
            lambda creating: declare.input_schema(COUPON, creating=creating),
            lambda: declare.response_schema(COUPON),
            "shop_coupon",
        ),
        "webhooks": (
            openapi.webhooks_collection_args,
            lambda creating: declare.input_schema(WEBHOOK, creating=creating),
            lambda: declare.response_schema(WEBHOOK),
            "webhook",
        ),
        "products/categories": (
            lambda: openapi.terms_collection_args(),
            lambda creating: _category_input(creating),
            lambda: declare.response_schema(CATEGORY),
            "product_cat",
        ),
        "products/tags": (
            lambda: openapi.terms_collection_args(),
            lambda creating: declare.input_schema(TAG, creating=creating),
            lambda: declare.response_schema(TAG),
            "product_tag",
        ),
        VARIATIONS_KEY: (
            openapi.variations_collection_args,
            lambda creating: declare.input_schema(variation_resource.VARIATION, creating=creating),
            lambda: declare.response_schema(variation_resource.VARIATION),
            "product_variation",
        ),
    }


def _category_input(creating: bool) -> Schemas:
    """The categories controller registers ``display`` with its default on create only."""
    schema = declare.input_schema(CATEGORY, creating=creating)
    if creating:
        display = schema["properties"]["display"]
        schema["properties"]["display"] = {**display, "default": "default"}
    return schema


def _split(key: str, settings: Settings) -> tuple[str, str]:
    """A route key's resource (``products/categories``...) and what follows it."""
    path = key.removeprefix(f"/{NAMESPACE}/")
    for resource in sorted(_resources(settings), key=len, reverse=True):
        if path == resource or path.startswith(resource + "/"):
            return resource, path[len(resource) + 1 :]
    first, _, rest = path.partition("/")
    return first, rest


def _arg(schema: Schemas, *, required: bool = False) -> Schemas:
    arg = {key: value for key, value in schema.items() if key not in ("writeOnly", "readOnly")}
    arg["required"] = required
    return arg


def _args(schemas: Schemas, required: tuple[str, ...] | list[str] = ()) -> Schemas:
    return {name: _arg(schema, required=name in required) for name, schema in schemas.items()}


def _input_args(schema: Schemas) -> Schemas:
    return _args(schema.get("properties", {}), schema.get("required", ()))


def describe(key: str, methods: list[str], settings: Settings) -> Schemas:
    """The index entry of the route ``key`` (``/wc/v3/orders``...) the fake serves."""
    entry: Schemas = {"namespace": NAMESPACE, "methods": methods, "endpoints": []}
    name, rest = _split(key, settings)
    resource = _resources(settings).get(name) if key != f"/{NAMESPACE}" else None
    endpoints: list[Schemas] = entry["endpoints"]
    if key == f"/{NAMESPACE}":
        args = {
            "namespace": {"default": NAMESPACE, "required": False},
            "context": {"default": "view", "required": False},
        }
        endpoints.append({"methods": methods, "args": args})
        return entry
    if resource is None:
        context = {**CONTEXT_ARG, "enum": ["view"]}
        endpoints.append({"methods": methods, "args": {"context": _arg(context)}})
        return entry
    collection_args, input_schema, _, _ = resource
    path_args = {arg: _arg(schema) for arg, schema in _PATH_ARGS.get(name, {}).items()}
    writes = [m for m in ("POST", "PUT", "PATCH") if m in methods]
    if rest == "":
        endpoints.append({"methods": ["GET"], "args": {**path_args, **_args(collection_args())}})
        endpoints.append(
            {"methods": ["POST"], "args": {**path_args, **_input_args(input_schema(True))}}
        )
    elif rest == "batch":
        # WooCommerce registers the batch route with the item's writable arguments.
        endpoints.append(
            {"methods": writes, "args": {**path_args, **_input_args(input_schema(False))}}
        )
    else:
        identity = {**path_args, "id": _arg(ID_ARG)}
        endpoints.append({"methods": ["GET"], "args": {**identity, "context": _arg(CONTEXT_ARG)}})
        endpoints.append(
            {"methods": writes, "args": {**identity, **_input_args(input_schema(False))}}
        )
        endpoints.append({"methods": ["DELETE"], "args": {**identity, "force": _arg(FORCE_ARG)}})
    return entry


#: get_public_batch_schema(): the batch route describes its three lists, not the item.
BATCH_PROPERTIES: Schemas = {
    name: {
        "description": f"List of {name} items.",
        "type": "array",
        "context": ["view", "edit"],
        "items": {"type": "object"},
    }
    for name in ("create", "update", "delete")
}
#: Answer fields a WooCommerce 10.0.2 item schema does not declare (recorded): links are
#: no field, and the orders controller adds currency_symbol outside its schema.
_UNDECLARED = ("_links", "currency_symbol")


def _item_properties(response: Schemas, create: Schemas) -> Schemas:
    """The item schema WooCommerce describes: the answer's fields plus the write-only
    ones a create takes (a customer's password, an order's set_paid, a webhook's secret)."""
    properties = {
        name: schema
        for name, schema in response.get("properties", {}).items()
        if name not in _UNDECLARED
    }
    for name, schema in create.get("properties", {}).items():
        properties.setdefault(name, schema)
    return properties


def route_key(path: str) -> str | None:
    """The WordPress route key of a request path under ``/wp-json/wc/v3``, if any."""
    match = _PATH.match(path)
    if match is None:
        return None
    rest = match["rest"] or ""
    suffix = ITEM_SUFFIX if rest[1:].isdigit() else rest
    resource = re.sub(
        r"/\d+/variations$", lambda _: f"{PRODUCT_ID_KEY}/variations", match["resource"]
    )
    return f"/{NAMESPACE}/{resource}{suffix}"


def options_body(key: str, methods: list[str], settings: Settings, self_url: str) -> Schemas:
    """``OPTIONS``: the route's description, its resource's schema and a self link."""
    body = describe(key, methods, settings)
    name, _ = _split(key, settings)
    resource = _resources(settings).get(name)
    if resource is not None:
        _, input_schema, response_schema, title = resource
        batch = key.endswith("/batch")
        properties = _item_properties(response_schema(), input_schema(True))
        for hidden in _HIDDEN.get(name, ()):
            properties.pop(hidden, None)
        body["schema"] = {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "batch" if batch else title,
            "type": "object",
            "properties": BATCH_PROPERTIES if batch else properties,
        }
    if ITEM_SUFFIX not in key:
        body["_links"] = {"self": [{"href": self_url}]}
    return body


async def options(request: web.Request) -> web.StreamResponse:
    """``OPTIONS``: 200 with the route's description and schema, for any caller."""
    sim: Simulator = request.app[SIM_KEY]
    key = route_key(request.path)
    if key is None:
        raise no_route()
    methods = [m for m in route_methods(request) if m != "OPTIONS"]
    url = f"{sim.settings.site_url}{request.path}"
    body = options_body(key, methods, sim.settings, url)
    headers = {"Allow": ", ".join(methods)} if is_authorised(request) else None
    return respond(request, body, headers=headers)
