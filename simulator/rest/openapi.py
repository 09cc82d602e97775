"""The OpenAPI 3.1 description of the fake store's REST API (``/wp-json/...``).

Response and request schemas come from the resource declarations
(:mod:`simulator.resources`), which the renderers and body readers follow too.
The route arguments are built from what the route modules validate with: enum
tuples, route bases and the batch limit are imported from them, and the
collection arguments shared by orders and products are read off
:func:`simulator.rest.orders.post_list_args` by running it over a recording
:class:`~simulator.params.Args`. The rest of each route's arguments is written
here beside them; tests compare every documented parameter with what the
server accepts and rejects, so the two cannot drift apart silently.

Responses are described strictly (every field required, no others), so a
schema-conformance check catches a renderer that adds, drops or retypes a field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from simulator.models import (
    ORDER_STATUS_FILTERS,
    PRODUCT_TYPES,
    STOCK_STATUSES,
)
from simulator.params import Args
from simulator.resources.coupons import COUPON
from simulator.resources.customers import CUSTOMER
from simulator.resources.declare import (
    Declaration,
    input_schema,
    response_schema,
    shared_declarations,
)
from simulator.resources.notes import NOTE
from simulator.resources.orders import ORDER
from simulator.resources.products import PRODUCT
from simulator.resources.refunds import REFUND, TOP_REFUND
from simulator.resources.schema import (
    BOOLEAN,
    EMPTY_LIST,
    ID_LIST,
    INTEGER,
    MONEY_PATTERN,
    QUERY_DATE_PATTERN,
    STRING,
    Schema,
    ref,
    strict_object,
)
from simulator.resources.terms import CATEGORY, TAG
from simulator.resources.variations import VARIATION
from simulator.resources.webhooks import WEBHOOK
from simulator.rest import coupons as coupon_routes
from simulator.rest import customers, orders, products
from simulator.rest import terms as term_routes
from simulator.rest import variations as variation_routes
from simulator.rest import webhooks as webhook_routes
from simulator.rest.common import BATCH_LIMIT
from simulator.settings import Settings

if TYPE_CHECKING:
    from simulator.app import Simulator

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/wp-json/wc/v3"

#: The ``{id}`` of a route as its pattern (``[\d]+``) matches it, for OPTIONS.
ANY_ID_PARAM: Schema = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


# ---------------------------------------------------------------------- route parameters
class RecordingArgs(Args):
    """An :class:`Args` over no values that writes down, as JSON Schema, each argument
    a route reads, with the type, default, bounds and choices it reads it with."""

    def __init__(self) -> None:
        super().__init__({})
        self.recorded: dict[str, Schema] = {}

    def _record(self, name: str, schema: Schema) -> None:
        self.recorded.setdefault(name, schema)

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        schema: Schema = {"type": "integer"}
        for key, value in (("default", default), ("minimum", minimum), ("maximum", maximum)):
            if value is not None:
                schema[key] = value
        self._record(name, schema)
        return super().integer(name, default, minimum=minimum, maximum=maximum)

    def boolean(self, name: str, default: bool | None = False) -> bool | None:
        schema: Schema = {"type": "boolean"}
        if default is not None:
            schema["default"] = default
        self._record(name, schema)
        return super().boolean(name, default)

    def string(self, name: str, default: str = "") -> str:
        self._record(name, {"type": "string", **({"default": default} if default else {})})
        return super().string(name, default)

    def enum(self, name: str, choices: Sequence[str], default: str) -> str:
        # dict.fromkeys: an enum WooCommerce registers with repeats is documented once each.
        schema: Schema = {"type": "string", "enum": list(dict.fromkeys(choices))}
        if default:
            schema["default"] = default
        self.recorded[name] = schema  # replaces the plain string string() wrote down
        return super().enum(name, choices, default)

    def enum_list(self, name: str, choices: Sequence[str]) -> list[str] | None:
        self._record(name, {"type": "array", "items": {"type": "string", "enum": list(choices)}})
        return super().enum_list(name, choices)

    def id_list(self, name: str) -> list[int]:
        self._record(name, ID_LIST)
        return super().id_list(name)

    def date(self, name: str) -> datetime | None:
        self._record(name, {"type": "string", "pattern": QUERY_DATE_PATTERN})
        return super().date(name)

    def email(self, name: str) -> str:
        self.recorded[name] = {"type": "string", "format": "email"}
        return super().email(name)


def shared_post_collection_args(settings: Settings, orderby: Sequence[str]) -> dict[str, Schema]:
    """The collection arguments orders and products share, as the route reads them."""
    recorder = RecordingArgs()
    # post_list_args only reads the settings off the simulator (for the site's zone).
    orders.post_list_args(
        recorder, cast("Simulator", SimpleNamespace(settings=settings)), tuple(orderby)
    )
    return recorder.recorded


PARAM_DESCRIPTIONS: dict[str, str] = {
    "context": "Scope under which the request is made; determines fields present in response.",
    "page": "Current page of the collection.",
    "per_page": "Maximum number of items to be returned in result set.",
    "offset": "Offset the result set by a specific number of items (overrides page).",
    "search": "Limit results to those matching a string.",
    "include": "Limit result set to specific IDs (comma-separated).",
    "exclude": "Ensure result set excludes specific IDs (comma-separated).",
    "order": "Order sort attribute ascending or descending.",
    "orderby": "Sort collection by object attribute; date and modified add a secondary ID sort.",
    "after": "Limit response to resources created after a given date (strictly later). "
    "Read in the site's time zone unless it carries Z or an offset.",
    "before": "Limit response to resources created before a given date (strictly earlier).",
    "modified_after": "Limit response to resources modified after a given date (strictly later).",
    "modified_before": "Limit response to resources modified before a given date "
    "(strictly earlier).",
    "dates_are_gmt": "Whether to consider GMT post dates when limiting response by published or "
    "modified date. On a non-UTC site the value is still converted to local time first, "
    "as the real store's posts storage does.",
    "parent": "Limit result set to those of particular parent IDs.",
    "parent_exclude": "Limit result set to all items except those of a particular parent ID.",
    "status": "Limit result set to resources assigned one or more statuses "
    "(orders: comma-separated; any excludes trash).",
    "customer": "Limit result set to orders assigned a specific customer ID.",
    "product": "Limit result set to orders containing a specific product ID.",
    "dp": "Number of decimal points to use in each resource's money strings.",
    "order_item_display_meta": "Only show meta that is meant to be displayed for an order item.",
    "include_meta": "Limit meta_data to specific keys.",
    "exclude_meta": "Ensure meta_data excludes specific keys.",
    "email": "Limit result set to resources with a specific email (exact match).",
    "role": "Limit result set to resources with a specific role.",
    "force": "Whether to bypass trash and force deletion.",
    "reassign": "ID to reassign posts to.",
}


def query_param(name: str, schema: Schema) -> Schema:
    param: Schema = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": PARAM_DESCRIPTIONS.get(name, name),
    }
    if schema.get("type") == "array":
        # WordPress's wp_parse_list reads comma-separated values (and key[] arrays).
        param["style"] = "form"
        param["explode"] = False
    return param


def query_params(schemas: dict[str, Schema]) -> list[Schema]:
    return [query_param(name, schema) for name, schema in schemas.items()]


CONTEXT: Schema = {"type": "string", "enum": ["view", "edit"], "default": "view"}
PAGE: Schema = {"type": "integer", "default": 1, "minimum": 1}
PER_PAGE: Schema = {"type": "integer", "default": 10, "minimum": 1, "maximum": 100}


def orders_collection_args(settings: Settings) -> dict[str, Schema]:
    args = shared_post_collection_args(settings, orders.ORDERBY)
    args["status"] = {
        "type": "array",
        "items": {"type": "string", "enum": list(ORDER_STATUS_FILTERS)},
        "default": ["any"],
    }
    args["customer"] = INTEGER
    args["product"] = INTEGER
    # absint with no validator: any value is read as an integer ("abc" is 0, "2.7" is 2).
    args["dp"] = {"type": "string", "default": str(settings.price_decimals)}
    args["order_item_display_meta"] = {"type": "boolean", "default": False}
    args["include_meta"] = {"type": "array", "items": STRING}
    args["exclude_meta"] = {"type": "array", "items": STRING}
    return args


def products_collection_args(settings: Settings) -> dict[str, Schema]:
    args = shared_post_collection_args(settings, products.ORDERBY)
    args["status"] = {"type": "string", "enum": list(products.STATUS_FILTERS), "default": "any"}
    args["sku"] = STRING
    args["type"] = {"type": "string", "enum": list(PRODUCT_TYPES)}
    args["featured"] = BOOLEAN
    args["on_sale"] = BOOLEAN
    args["stock_status"] = {"type": "string", "enum": list(STOCK_STATUSES)}
    # A string of comma-separated term ids; anything else matches nothing. A category
    # matches its descendants' products too (so does ``tag``, listed below, its own).
    args["category"] = STRING
    args["include_meta"] = {"type": "array", "items": STRING}
    args["exclude_meta"] = {"type": "array", "items": STRING}
    args["min_price"] = {"type": "string", "pattern": MONEY_PATTERN}
    args["max_price"] = {"type": "string", "pattern": MONEY_PATTERN}
    for name in (
        "slug",
        "tag",
        "shipping_class",
        "attribute",
        "attribute_term",
        "brand",
        "tax_class",
        "search_sku",
    ):
        args[name] = STRING
    statuses = list(products.STATUS_FILTERS)
    args["include_status"] = {"type": "array", "items": {"type": "string", "enum": statuses}}
    args["exclude_status"] = {
        "type": "array",
        "items": {"type": "string", "enum": list(products.EXCLUDE_STATUSES)},
    }
    types = {"type": "array", "items": {"type": "string", "enum": list(PRODUCT_TYPES)}}
    args["include_types"] = types
    args["exclude_types"] = types
    args["downloadable"] = BOOLEAN
    args["virtual"] = BOOLEAN
    return args


def customers_collection_args() -> dict[str, Schema]:
    # No after/before/modified_*/dates_are_gmt: the real store ignores them on customers.
    return {
        "context": CONTEXT,
        "page": PAGE,
        "per_page": PER_PAGE,
        "offset": INTEGER,
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
        "orderby": {"type": "string", "enum": list(customers.ORDERBY), "default": "name"},
        "role": {"type": "string", "enum": list(customers.ROLE_FILTERS), "default": "customer"},
        "email": {"type": "string", "format": "email"},
        "search": STRING,
        "include": ID_LIST,
        "exclude": ID_LIST,
    }


def webhooks_collection_args() -> dict[str, Schema]:
    return {
        "context": CONTEXT,
        "page": PAGE,
        "per_page": PER_PAGE,
        "offset": INTEGER,
        "search": STRING,
        # search_webhooks(): BETWEEN on date_created_gmt, so these two are inclusive.
        "after": {"type": "string", "pattern": QUERY_DATE_PATTERN},
        "before": {"type": "string", "pattern": QUERY_DATE_PATTERN},
        "include": ID_LIST,
        "exclude": ID_LIST,
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
        "orderby": {"type": "string", "enum": list(webhook_routes.ORDERBY), "default": "date"},
        "status": {
            "type": "string",
            "enum": list(webhook_routes.STATUS_FILTERS),
            "default": "all",
        },
    }


def terms_collection_args() -> dict[str, Schema]:
    """The categories' and tags' list (WooCommerce registers ``parent`` for both)."""
    return {
        "context": CONTEXT,
        "page": PAGE,
        "per_page": PER_PAGE,
        "search": STRING,
        "exclude": {**ID_LIST, "default": []},
        "include": {**ID_LIST, "default": []},
        "offset": INTEGER,
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
        "orderby": {"type": "string", "enum": list(term_routes.ORDERBY), "default": "name"},
        "hide_empty": {"type": "boolean", "default": False},
        "parent": INTEGER,
        "product": INTEGER,
        "slug": STRING,
    }


def variations_collection_args() -> dict[str, Schema]:
    """The arguments the variations list reads (WooCommerce registers more, which the
    fake does not filter on: dates, attributes, downloadable...)."""
    return {
        "context": CONTEXT,
        "page": PAGE,
        "per_page": PER_PAGE,
        "search": STRING,
        "exclude": {**ID_LIST, "default": []},
        "include": {**ID_LIST, "default": []},
        "offset": INTEGER,
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
        "orderby": {
            "type": "string",
            "enum": list(variation_routes.ORDERBY),
            "default": "date",
        },
        "sku": STRING,
        "status": {
            "type": "string",
            "enum": list(variation_routes.STATUS_FILTERS),
            "default": "any",
        },
        "on_sale": BOOLEAN,
        "stock_status": {"type": "string", "enum": list(STOCK_STATUSES)},
        "min_price": {"type": "string", "pattern": MONEY_PATTERN},
        "max_price": {"type": "string", "pattern": MONEY_PATTERN},
        "include_meta": {"type": "array", "items": STRING},
        "exclude_meta": {"type": "array", "items": STRING},
    }


def coupons_collection_args(settings: Settings) -> dict[str, Schema]:
    """The posts arguments (no parents) and ``code``, matched in any case."""
    args = shared_post_collection_args(settings, coupon_routes.ORDERBY)
    for name in ("parent", "parent_exclude"):
        args.pop(name, None)
    args["code"] = STRING
    return args


# ---------------------------------------------------------------------- object schemas
def error_schema() -> Schema:
    return {
        "type": "object",
        "description": "A WordPress WP_Error as the REST server renders it.",
        "properties": {
            "code": STRING,
            "message": STRING,
            # null when WordPress passes on an error whose data is not an array (a
            # category update naming a parent that does not exist, recorded).
            "data": {
                "type": ["object", "null"],
                "properties": {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "params": {"type": ["object", "array"]},
                    "details": {"type": "object"},
                },
                "required": ["status"],
            },
        },
        "required": ["code", "message", "data"],
    }


def batch_input(item: str) -> Schema:
    return {
        "type": "object",
        "description": f"At most {BATCH_LIMIT} items in all; more is a 413.",
        "properties": {
            "create": {"type": "array", "items": ref(f"{item}Input"), "maxItems": BATCH_LIMIT},
            "update": {
                "type": "array",
                "items": {
                    "allOf": [
                        ref(f"{item}Update"),
                        {
                            "type": "object",
                            "properties": {"id": {"type": "integer", "minimum": 1}},
                            "required": ["id"],
                        },
                    ]
                },
                "maxItems": BATCH_LIMIT,
            },
            "delete": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "maxItems": BATCH_LIMIT,
            },
        },
    }


#: A failed variation delete names its whole request as the id (recorded).
VARIATION_DELETE_ID: Schema = strict_object(
    {"id": {"type": ["integer", "string", "null"]}, "product_id": INTEGER, "force": BOOLEAN}
)


def batch_result(item: str) -> Schema:
    # $item['id'] as sent: null for an update without one (recorded).
    sent_id: Schema = {"type": ["integer", "null"]}
    identity = {"anyOf": [sent_id, VARIATION_DELETE_ID]} if item == VARIATION.title else sent_id
    failed = strict_object({"id": identity, "error": ref("Error")})
    entries: Schema = {"type": "array", "items": {"anyOf": [ref(item), failed]}}
    groups = strict_object(
        {"create": entries, "update": entries, "delete": entries},
        optional=("create", "update", "delete"),
    )
    # A batch with nothing to do answers PHP's empty array, which JSON writes as [].
    return {"anyOf": [groups, EMPTY_LIST]}


def system_status_schema() -> Schema:
    return {
        "type": "object",
        "properties": {
            "environment": {
                "type": "object",
                "properties": {
                    "home_url": STRING,
                    "site_url": STRING,
                    "version": {"type": "string", "description": "The WooCommerce version."},
                    "wp_version": STRING,
                },
                "required": ["home_url", "site_url", "version", "wp_version"],
            },
            "database": {"type": "object"},
            "active_plugins": {"type": "array", "items": {"type": "object"}},
            "settings": {"type": "object"},
            "security": {"type": "object"},
            "post_type_counts": {"type": "array"},
        },
        "required": ["environment", "settings"],
    }


def index_schema() -> Schema:
    return {
        "type": "object",
        "properties": {
            "name": STRING,
            "description": STRING,
            "url": STRING,
            "home": STRING,
            "gmt_offset": {"type": "number"},
            "timezone_string": STRING,
            "page_for_posts": INTEGER,
            "page_on_front": INTEGER,
            "show_on_front": STRING,
            "namespaces": {"type": "array", "items": STRING, "contains": {"const": "wc/v3"}},
            "authentication": {"type": ["array", "object"]},
            "routes": {"type": "object"},
            "site_logo": INTEGER,
            "site_icon": INTEGER,
            "site_icon_url": STRING,
            "_links": {"type": "object"},
        },
        "required": ["name", "url", "home", "namespaces", "routes"],
    }


def namespace_schema() -> Schema:
    return {
        "type": "object",
        "properties": {"namespace": {"const": "wc/v3"}, "routes": {"type": "object"}},
        "required": ["namespace", "routes"],
    }


# ---------------------------------------------------------------------- responses
ERROR_MEANINGS: dict[int, str] = {
    400: "Invalid parameters (rest_invalid_param with params and details), a missing "
    "required field (rest_missing_callback_param), malformed JSON (rest_invalid_json) or a "
    "resource-specific refusal.",
    401: "Authentication failed (woocommerce_rest_authentication_error) or the request is "
    "anonymous (woocommerce_rest_cannot_view / _create / _edit / _delete).",
    403: "Authenticated, but the key's user lacks the capability.",
    404: "No such resource (e.g. woocommerce_rest_shop_order_invalid_id), or no route for "
    "the URL and method (rest_no_route).",
    410: "The resource is already in the trash (woocommerce_rest_already_trashed).",
    413: f"More than {BATCH_LIMIT} batch items (woocommerce_rest_request_entity_too_large).",
    501: "The resource does not support trashing: delete with force=true "
    "(woocommerce_rest_trash_not_supported).",
}


def json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def error_responses(*statuses: int) -> dict[str, Schema]:
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def collection_response(item: str) -> Schema:
    return {
        "description": "A page of the collection (past the last page: an empty list).",
        "headers": {
            "X-WP-Total": {"$ref": "#/components/headers/X-WP-Total"},
            "X-WP-TotalPages": {"$ref": "#/components/headers/X-WP-TotalPages"},
            "Link": {"$ref": "#/components/headers/Link"},
        },
        "content": json_content({"type": "array", "items": ref(item)}),
    }


# ---------------------------------------------------------------------- operations
class Resource:
    """One ``/wc/v3/{base}`` resource: its names, arguments and which errors it gives."""

    def __init__(
        self,
        base: str,
        declaration: Declaration,
        tag: str,
        collection_args: dict[str, Schema],
        *,
        item_args: dict[str, Schema],
        delete_args: dict[str, Schema],
        trashes: bool,
        parent: Schema | None = None,
        server_errors: bool = False,
    ) -> None:
        self.base = base
        self.declaration = declaration
        self.item = declaration.title
        self.tag = tag
        self.collection_args = collection_args
        self.item_args = item_args
        self.delete_args = delete_args
        #: DELETE without force moves to the trash (410 when already there), else it is a 501.
        self.trashes = trashes
        #: The path parameter of a resource nested under another (a product's variations).
        self.parent = parent
        #: Update and delete may answer WooCommerce's own 500s (see ERROR_500).
        self.server_errors = server_errors

    def operation_id(self, verb: str, suffix: str = "") -> str:
        return f"{verb}{self.item}{suffix}"

    def paths(self) -> dict[str, Schema]:
        item_ref = ref(self.item)
        body = {"required": True, "content": json_content(ref(f"{self.item}Input"))}
        update_body = {"required": True, "content": json_content(ref(f"{self.item}Update"))}
        batch_body = {"required": True, "content": json_content(ref(f"{self.item}Batch"))}
        id_param = {"$ref": "#/components/parameters/id"}
        collection: Schema = {
            "get": {
                "operationId": f"list{self.tag}",
                "tags": [self.tag],
                "summary": f"List {self.base}.",
                "parameters": query_params(self.collection_args),
                "responses": {
                    "200": collection_response(self.item),
                    **error_responses(400, 401),
                },
            },
            "post": {
                "operationId": self.operation_id("create"),
                "tags": [self.tag],
                "summary": f"Create a {self.item.lower()}.",
                "requestBody": body,
                "responses": {
                    "201": {
                        "description": "Created.",
                        "headers": {"Location": {"$ref": "#/components/headers/Location"}},
                        "content": json_content(item_ref),
                    },
                    **error_responses(400, 401, 403),
                },
            },
        }
        item_ok = {"description": f"The {self.item.lower()}.", "content": json_content(item_ref)}
        update: Schema = {
            "tags": [self.tag],
            "parameters": [id_param],
            "requestBody": update_body,
            "responses": {
                "200": item_ok,
                **error_responses(400, 401, 403, 404),
            },
        }
        delete_errors = (400, 401, 403, 404, 410) if self.trashes else (400, 401, 403, 404, 501)
        item: Schema = {
            "get": {
                "operationId": self.operation_id("get"),
                "tags": [self.tag],
                "summary": f"Retrieve a {self.item.lower()}.",
                "parameters": [id_param, *query_params(self.item_args)],
                "responses": {"200": item_ok, **error_responses(400, 401, 404)},
            },
            "put": {"operationId": self.operation_id("update"), "summary": "Update.", **update},
            "patch": {"operationId": self.operation_id("patch"), "summary": "Update.", **update},
            "post": {
                "operationId": self.operation_id("update", "ViaPost"),
                "summary": "Update (WordPress routes POST on an item to the update).",
                **update,
            },
            "delete": {
                "operationId": self.operation_id("delete"),
                "tags": [self.tag],
                "summary": (
                    f"Delete a {self.item.lower()}: to the trash, or for good with force=true."
                    if self.trashes
                    else f"Delete a {self.item.lower()} (force=true is required)."
                ),
                "parameters": [id_param, *query_params(self.delete_args)],
                "responses": {"200": item_ok, **error_responses(*delete_errors)},
            },
        }
        batch_ok = {
            "description": "Each item's result, or its error, in request order.",
            "content": json_content(ref(f"{self.item}BatchResult")),
        }
        batch: Schema = {}
        for method in ("post", "put", "patch"):
            batch[method] = {
                "operationId": f"batch{self.tag}" + ("" if method == "post" else method.title()),
                "tags": [self.tag],
                "summary": f"Create, update and delete {self.base} in one request.",
                "requestBody": batch_body,
                "responses": {"200": batch_ok, **error_responses(400, 401, 403, 413)},
            }
        for name, operations in (("", collection), ("Batch", batch), ("Item", item)):
            operations["options"] = {
                "operationId": self.operation_id("options", name),
                "tags": [self.tag],
                "summary": "The route's methods, arguments and response schema (any caller).",
                # Any id the route pattern matches: OPTIONS never looks the record up.
                "parameters": [ANY_ID_PARAM] if name == "Item" else [],
                "responses": {
                    "200": {
                        "description": "The route description.",
                        "content": json_content({"type": "object"}),
                    },
                    **error_responses(400, 401, 404),
                },
            }
        if self.parent is not None:
            for operations in (collection, batch, item):
                for operation in operations.values():
                    operation["parameters"] = [self.parent, *operation.get("parameters", [])]
                    # A parent that does not exist (or a path that is no id): 404.
                    operation["responses"].update(error_responses(404))
        if self.server_errors:
            for method in ("put", "patch", "post", "delete"):
                item[method]["responses"].update(error_responses(500))
        prefix = f"{API_PREFIX}/{self.base}"
        return {prefix: collection, prefix + "/batch": batch, prefix + "/{id}": item}


def resources(settings: Settings) -> list[Resource]:
    dp_args = {"context": CONTEXT, "dp": orders_collection_args(settings)["dp"]}
    force = {"force": {"type": "boolean", "default": False}}
    return [
        Resource(
            customers.ROUTE,
            CUSTOMER,
            "Customers",
            customers_collection_args(),
            item_args={"context": CONTEXT},
            delete_args={**force, "reassign": INTEGER},
            trashes=False,
        ),
        Resource(
            orders.ROUTE,
            ORDER,
            "Orders",
            orders_collection_args(settings),
            item_args={
                **dp_args,
                "include_meta": {"type": "array", "items": STRING},
                "exclude_meta": {"type": "array", "items": STRING},
            },
            delete_args=force,
            trashes=True,
        ),
        Resource(
            products.ROUTE,
            PRODUCT,
            "Products",
            products_collection_args(settings),
            item_args={
                "context": CONTEXT,
                "include_meta": {"type": "array", "items": STRING},
                "exclude_meta": {"type": "array", "items": STRING},
            },
            delete_args=force,
            trashes=True,
        ),
        Resource(
            coupon_routes.ROUTE,
            COUPON,
            "Coupons",
            coupons_collection_args(settings),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=True,
        ),
        Resource(
            webhook_routes.ROUTE,
            WEBHOOK,
            "Webhooks",
            webhooks_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
        ),
        Resource(
            term_routes.CategoryRoutes.route,
            CATEGORY,
            "Product categories",
            terms_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
            server_errors=True,
        ),
        Resource(
            term_routes.TagRoutes.route,
            TAG,
            "Product tags",
            terms_collection_args(),
            item_args={"context": CONTEXT},
            delete_args=force,
            trashes=False,
        ),
        Resource(
            "products/{product_id}/variations",
            VARIATION,
            "Product variations",
            variations_collection_args(),
            item_args={
                "context": CONTEXT,
                "include_meta": {"type": "array", "items": STRING},
                "exclude_meta": {"type": "array", "items": STRING},
            },
            delete_args=force,
            trashes=True,
            parent={"$ref": "#/components/parameters/product_id"},
        ),
    ]


def system_paths() -> dict[str, Schema]:
    anonymous: list[Schema] = [{}]
    return {
        "/wp-json/": {
            "get": {
                "operationId": "getIndex",
                "tags": ["Discovery"],
                "summary": "The REST API index: site facts, namespaces and routes.",
                "security": anonymous,
                "responses": {
                    "200": {"description": "The index.", "content": json_content(ref("Index"))}
                },
            }
        },
        API_PREFIX: {
            "get": {
                "operationId": "getNamespace",
                "tags": ["Discovery"],
                "summary": "The wc/v3 namespace and its routes.",
                "security": anonymous,
                "responses": {
                    "200": {
                        "description": "The namespace.",
                        "content": json_content(ref("Namespace")),
                    }
                },
            }
        },
        f"{API_PREFIX}/system_status": {
            "get": {
                "operationId": "getSystemStatus",
                "tags": ["System status"],
                "summary": "A minimal system status: the WooCommerce and WordPress versions.",
                "responses": {
                    "200": {
                        "description": "The system status.",
                        "content": json_content(ref("SystemStatus")),
                    },
                    **error_responses(401),
                },
            }
        },
    }


# ---------------------------------------------------------------------- refunds and notes
ORDER_ID_PARAM: Schema = {
    "name": "order_id",
    "in": "path",
    "required": True,
    "description": "The order ID.",
    "schema": {"type": "integer", "minimum": 0},
}
#: The refunds controller's own WP_Errors carry a number as ``data`` and answer 500
#: whatever it says (invalid order or refund id, amount, gateway).
CONTROLLER_ERROR: Schema = strict_object(
    {"code": STRING, "message": STRING, "data": {"type": ["integer", "null"]}}
)
ERROR_500 = (
    "A controller's own refusal whose data is a bare number (400, 404 or 500), answered "
    "as 500 whatever it says: the refunds routes' invalid order or refund id, refund "
    "amount and payment gateway errors. Or a category's own 500s: the default product "
    "category cannot be deleted (woocommerce_rest_cannot_delete); an update naming a "
    "parent that does not exist (missing_parent, with data null)."
)


def refund_list_args(settings: Settings) -> dict[str, Schema]:
    """The orders collection's arguments less status, customer and product."""
    args = orders_collection_args(settings)
    for name in ("status", "customer", "product"):
        args.pop(name, None)
    return args


def _child_options(operation: str, tag: str, params: list[Schema]) -> Schema:
    return {
        "operationId": operation,
        "tags": [tag],
        "summary": "The route's methods, arguments and response schema (any caller).",
        "parameters": params,
        "responses": {
            "200": {"description": "The route description.", "content": json_content({})},
            **error_responses(400, 401, 404),
        },
    }


def _one(schema: str, description: str) -> Schema:
    return {"description": description, "content": json_content(ref(schema))}


def order_children_paths(settings: Settings) -> dict[str, Schema]:
    """``orders/{order_id}/refunds[/{id}]``, ``refunds`` and ``orders/{order_id}/notes[/{id}]``."""
    order = f"{API_PREFIX}/orders/{{order_id}}"
    any_order = {**ANY_ID_PARAM, "name": "order_id"}
    item_id = {"$ref": "#/components/parameters/id"}
    list_args = query_params(refund_list_args(settings))
    context = query_params({"context": CONTEXT})
    location = {"Location": {"$ref": "#/components/headers/Location"}}

    def force(default: bool) -> list[Schema]:
        return query_params({"force": {"type": "boolean", "default": default}})

    def body(schema: str) -> Schema:
        return {"required": True, "content": json_content(ref(schema))}

    refunds: Schema = {
        "get": {
            "operationId": "listOrderRefunds",
            "tags": ["Refunds"],
            "summary": "List an order's refunds (an unknown order has none).",
            "parameters": [ORDER_ID_PARAM, *list_args],
            # 404: an order_id the route pattern does not match (rest_no_route).
            "responses": {"200": collection_response("Refund"), **error_responses(400, 401, 404)},
        },
        "post": {
            "operationId": "createRefund",
            "tags": ["Refunds"],
            "summary": "Refund an order (api_refund needs a gateway that can refund).",
            "parameters": [ORDER_ID_PARAM],
            "requestBody": body("RefundInput"),
            "responses": {
                "201": {**_one("Refund", "Created."), "headers": location},
                **error_responses(400, 401, 403, 404),
                **error_responses(500),
            },
        },
        "options": _child_options("optionsOrderRefunds", "Refunds", [any_order]),
    }
    refund: Schema = {
        "get": {
            "operationId": "getRefund",
            "tags": ["Refunds"],
            "summary": "Retrieve a refund of the order.",
            "parameters": [
                ORDER_ID_PARAM,
                item_id,
                *context,
                *query_params({"dp": orders_collection_args(settings)["dp"]}),
            ],
            "responses": {
                "200": _one("Refund", "The refund."),
                **error_responses(400, 401, 404),
                **error_responses(500),
            },
        },
        "delete": {
            "operationId": "deleteRefund",
            "tags": ["Refunds"],
            "summary": "Delete a refund (force defaults to true; false is a 501).",
            "parameters": [ORDER_ID_PARAM, item_id, *force(True)],
            "responses": {
                "200": _one("Refund", "The refund as it was."),
                **error_responses(400, 401, 403, 404, 501),
                **error_responses(500),
            },
        },
        "options": _child_options("optionsRefund", "Refunds", [any_order, ANY_ID_PARAM]),
    }
    top: Schema = {
        "get": {
            "operationId": "listRefunds",
            "tags": ["Refunds"],
            "summary": "List the refunds of every order.",
            "parameters": list_args,
            "responses": {"200": collection_response("TopRefund"), **error_responses(400, 401)},
        },
        "options": _child_options("optionsRefunds", "Refunds", []),
    }
    note_types = {"type": "string", "enum": ["any", "customer", "internal"], "default": "any"}
    notes: Schema = {
        "get": {
            "operationId": "listOrderNotes",
            "tags": ["Order notes"],
            "summary": "List an order's notes, newest first (not paged).",
            "parameters": [ORDER_ID_PARAM, *query_params({"context": CONTEXT, "type": note_types})],
            "responses": {
                "200": {
                    "description": "The notes.",
                    "content": json_content({"type": "array", "items": ref("OrderNote")}),
                },
                **error_responses(400, 401, 404),
            },
        },
        "post": {
            "operationId": "createOrderNote",
            "tags": ["Order notes"],
            "summary": "Add a note (customer_note: shown to the customer).",
            "parameters": [ORDER_ID_PARAM],
            "requestBody": body("OrderNoteInput"),
            "responses": {
                "201": {**_one("OrderNote", "Created."), "headers": location},
                **error_responses(400, 401, 403, 404),
            },
        },
        "options": _child_options("optionsOrderNotes", "Order notes", [any_order]),
    }
    note: Schema = {
        "get": {
            "operationId": "getOrderNote",
            "tags": ["Order notes"],
            "summary": "Retrieve a note of the order.",
            "parameters": [ORDER_ID_PARAM, item_id, *context],
            "responses": {
                "200": _one("OrderNote", "The note."),
                **error_responses(400, 401, 403, 404),
            },
        },
        "delete": {
            "operationId": "deleteOrderNote",
            "tags": ["Order notes"],
            "summary": "Delete a note (force=true is required).",
            "parameters": [ORDER_ID_PARAM, item_id, *force(False)],
            "responses": {
                "200": _one("OrderNote", "The note as it was."),
                **error_responses(400, 401, 403, 404, 501),
            },
        },
        "options": _child_options("optionsOrderNote", "Order notes", [any_order, ANY_ID_PARAM]),
    }
    return {
        f"{order}/refunds": refunds,
        f"{order}/refunds/{{id}}": refund,
        f"{API_PREFIX}/refunds": top,
        f"{order}/notes": notes,
        f"{order}/notes/{{id}}": note,
    }


# ---------------------------------------------------------------------- the document
DESCRIPTION = """\
The WooCommerce REST API v3 as the woosim fake store serves it: the same routes,
parameters, defaults, headers, error JSON and date rules as a real store.

* Bodies are PHP-style JSON (`\\/` and `\\uXXXX` escapes), `Content-Type:
  application/json; charset=UTF-8`.
* Dates are `YYYY-MM-DDTHH:MM:SS` without zone: `date_x` is the store's local
  time, `date_x_gmt` is UTC; unset dates are `null`.
* Query strings are read as PHP reads `$_GET`: a repeated key keeps its last
  value; lists are comma-separated (`include=1,2`) or `include[]=1&include[]=2`.
* Unknown parameters are ignored. `_fields=a,b` keeps only the named fields and
  `_pretty` pretty-prints (WordPress-wide parameters, valid on every route).
* Parameters are validated before permissions: a bad parameter is a 400 even
  without credentials; authentication errors (401) come first of all.
* Errors: `{"code": string, "message": string, "data": {"status": int, ...}}`.

Authentication: OAuth 1.0a one-legged (HMAC-SHA1 or HMAC-SHA256, query or
`Authorization: OAuth` parameters oauth_consumer_key, oauth_timestamp within 15
minutes, oauth_nonce used once, oauth_signature_method, oauth_signature; the
base URL is the site URL), HTTP Basic with the consumer key and secret, or the
consumer_key and consumer_secret query parameters. A store run with
`--http-auth strict` accepts only OAuth, as a real store served over plain HTTP.
"""


def add_shared_schema(schemas: dict[str, Schema], decl: Declaration) -> None:
    """A shared object under its title; two declarations of one title (an address in
    a customer's key order and in an order's) must describe the same fields."""
    schema = response_schema(decl)
    known = schemas.setdefault(decl.title, schema)
    if _unordered(known) != _unordered(schema):
        raise ValueError(f"two different declarations of the shared object {decl.title}")


def _unordered(schema: Schema) -> Schema:
    return {
        **schema,
        "properties": dict(sorted(schema["properties"].items())),
        "required": sorted(schema["required"]),
    }


def add_declared_schemas(schemas: dict[str, Schema], decl: Declaration) -> None:
    """A resource's response, create and update schemas and the shared objects they use."""
    for shared in shared_declarations(decl):
        add_shared_schema(schemas, shared)
    schemas[decl.title] = response_schema(decl)
    schemas[f"{decl.title}Input"] = input_schema(decl, creating=True)
    schemas[f"{decl.title}Update"] = input_schema(decl, creating=False)


def build_document(settings: Settings) -> dict[str, Any]:
    """The whole OpenAPI document for a store with these settings."""
    paths: dict[str, Schema] = {}
    schemas: dict[str, Schema] = {
        "Error": error_schema(),
        "SystemStatus": system_status_schema(),
        "Index": index_schema(),
        "Namespace": namespace_schema(),
    }
    for decl in (REFUND, TOP_REFUND, NOTE):
        add_declared_schemas(schemas, decl)
    for resource in resources(settings):
        add_declared_schemas(schemas, resource.declaration)
        paths.update(resource.paths())
        schemas[f"{resource.item}Batch"] = batch_input(resource.item)
        schemas[f"{resource.item}BatchResult"] = batch_result(resource.item)
    paths.update(order_children_paths(settings))
    paths.update(system_paths())
    responses = {
        f"Error{status}": {"description": meaning, "content": json_content(ref("Error"))}
        for status, meaning in ERROR_MEANINGS.items()
    }
    responses["Error500"] = {
        "description": ERROR_500,
        "content": json_content({"anyOf": [ref("ControllerError"), ref("Error")]}),
    }
    schemas["ControllerError"] = CONTROLLER_ERROR
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{settings.site_name} — WooCommerce REST API v3 (woosim)",
            "version": settings.wc_version,
            "description": DESCRIPTION,
        },
        "servers": [{"url": settings.site_url, "description": "This store."}],
        "security": [{"basicAuth": []}, {"consumerKey": [], "consumerSecret": []}],
        "tags": [
            {"name": name}
            for name in (
                "Customers",
                "Orders",
                "Products",
                "Webhooks",
                "Coupons",
                "Refunds",
                "Order notes",
                "Product categories",
                "Product tags",
                "Product variations",
                "System status",
                "Discovery",
            )
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "id": {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "Unique identifier for the resource.",
                    "schema": {"type": "integer", "minimum": 0},
                },
                "product_id": {
                    "name": "product_id",
                    "in": "path",
                    "required": True,
                    "description": "The variable product (any product takes variations).",
                    "schema": {"type": "integer", "minimum": 0},
                },
            },
            "headers": {
                "X-WP-Total": {
                    "description": "Total number of matching items.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                },
                "X-WP-TotalPages": {
                    "description": "Total number of pages: ceil(X-WP-Total / per_page).",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                },
                "Link": {
                    "description": 'One header: `<url>; rel="prev", <url>; rel="next"` (each '
                    "only when that page exists; the URLs carry the request's whole query, "
                    'page replaced), else the API discovery link `<{site}/wp-json/>; rel="https://api.w.org/"`.',
                    "required": True,
                    "schema": {
                        "type": "string",
                        "pattern": r'^<[^>]+>; rel="[^"]+"(, <[^>]+>; rel="[^"]+")?$',
                    },
                },
                "Location": {
                    "description": "The new resource's URL.",
                    "required": True,
                    "schema": {"type": "string", "format": "uri"},
                },
            },
            "responses": responses,
            "securitySchemes": {
                "basicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The consumer key as user name, the secret as password.",
                },
                "consumerKey": {"type": "apiKey", "in": "query", "name": "consumer_key"},
                "consumerSecret": {"type": "apiKey", "in": "query", "name": "consumer_secret"},
            },
        },
    }
