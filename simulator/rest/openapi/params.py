"""The route arguments, as JSON Schema, and their query parameters.

The collection arguments shared by orders, products and coupons are read off
:func:`simulator.rest.orders.post_list_args` by running it over a
:class:`RecordingArgs`; the rest are written here beside the enum tuples the
route modules validate with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from simulator.models import (
    ORDER_STATUS_FILTERS,
    PRODUCT_TYPES,
    STOCK_STATUSES,
)
from simulator.params import Args
from simulator.resources.schema import (
    BOOLEAN,
    ID_LIST,
    INTEGER,
    MONEY_PATTERN,
    QUERY_DATE_PATTERN,
    STRING,
    Schema,
)
from simulator.rest import coupons as coupon_routes
from simulator.rest import customers, orders, products
from simulator.rest import terms as term_routes
from simulator.rest import variations as variation_routes
from simulator.rest import webhooks as webhook_routes
from simulator.settings import Settings

if TYPE_CHECKING:
    from simulator.app import Simulator


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
#: The meta_data key filters of the routes that render meta (orders, products, variations).
META_ARGS: dict[str, Schema] = {
    "include_meta": {"type": "array", "items": STRING},
    "exclude_meta": {"type": "array", "items": STRING},
}


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
    args.update(META_ARGS)
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
    args.update(META_ARGS)
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


def _term_style_list_args() -> dict[str, Schema]:
    """The list arguments terms and variations open with (include and exclude default [])."""
    return {
        "context": CONTEXT,
        "page": PAGE,
        "per_page": PER_PAGE,
        "search": STRING,
        "exclude": {**ID_LIST, "default": []},
        "include": {**ID_LIST, "default": []},
        "offset": INTEGER,
    }


def terms_collection_args() -> dict[str, Schema]:
    """The categories' and tags' list (WooCommerce registers ``parent`` for both)."""
    return {
        **_term_style_list_args(),
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
        **_term_style_list_args(),
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
        **META_ARGS,
    }


def coupons_collection_args(settings: Settings) -> dict[str, Schema]:
    """The posts arguments (no parents) and ``code``, matched in any case."""
    args = shared_post_collection_args(settings, coupon_routes.ORDERBY)
    for name in ("parent", "parent_exclude"):
        args.pop(name, None)
    args["code"] = STRING
    return args


def refund_list_args(settings: Settings) -> dict[str, Schema]:
    """The orders collection's arguments less status, customer and product."""
    args = orders_collection_args(settings)
    for name in ("status", "customer", "product"):
        args.pop(name, None)
    return args
