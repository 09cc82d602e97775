"""The shared pieces of the document: the error, batch, system status and index
schemas, the error responses, and the declared schemas of each resource.
"""

from __future__ import annotations

from simulator.resources.declare import (
    Declaration,
    input_schema,
    response_schema,
    shared_declarations,
)
from simulator.resources.schema import (
    BOOLEAN,
    EMPTY_LIST,
    INTEGER,
    STRING,
    Schema,
    ref,
    strict_object,
)
from simulator.resources.variations import VARIATION
from simulator.rest.common import BATCH_LIMIT

API_PREFIX = "/wp-json/wc/v3"

#: The ``{id}`` of a route as its pattern (``[\d]+``) matches it, for OPTIONS.
ANY_ID_PARAM: Schema = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


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
