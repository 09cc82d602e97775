"""The whole OpenAPI document, assembled from the resources and the system paths."""

from __future__ import annotations

from typing import Any

from simulator.resources.notes import NOTE
from simulator.resources.refunds import REFUND, TOP_REFUND
from simulator.resources.schema import (
    Schema,
    ref,
)
from simulator.rest.openapi.components import (
    CONTROLLER_ERROR,
    ERROR_500,
    ERROR_MEANINGS,
    add_declared_schemas,
    batch_input,
    batch_result,
    error_schema,
    index_schema,
    json_content,
    namespace_schema,
    system_status_schema,
)
from simulator.rest.openapi.order_children import order_children_paths
from simulator.rest.openapi.resources import resources
from simulator.rest.openapi.system import system_paths
from simulator.settings import Settings

OPENAPI_VERSION = "3.1.0"

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
