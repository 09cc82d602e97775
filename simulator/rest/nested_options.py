"""``OPTIONS`` of the notes and refunds routes, as a real WooCommerce 10.0.2 store answers.

Routes under an order (``orders/{order_id}/notes``, ``.../refunds``) describe
``order_id`` as an argument of every endpoint and, unlike top-level routes, carry no
``_links``. The schemas list each field with its type; nested line schemas are
summarised (the store's own are long and say nothing an integrator reads).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.rest.common import SIM_KEY, is_authorised, respond, route_methods

Schema = dict[str, Any]
NAMESPACE = "wc/v3"


def _arg(description: str, kind: str, **extra: Any) -> Schema:
    return {"description": description, "type": kind, **extra, "required": False}


ORDER_ID = _arg("The order ID.", "integer")
ID = _arg("Unique identifier for the resource.", "integer")
CONTEXT = _arg(
    "Scope under which the request is made; determines fields present in response.",
    "string",
    enum=["view", "edit"],
    default="view",
)
_DATE = "Limit response to resources {} a given ISO8601 compliant date."
_IDS = {"type": "array", "items": {"type": "integer"}, "default": []}
#: The orders collection's arguments less status, customer and product.
REFUND_LIST_ARGS: Schema = {
    "context": CONTEXT,
    "page": _arg("Current page of the collection.", "integer", default=1, minimum=1),
    "per_page": _arg(
        "Maximum number of items to be returned in result set.",
        "integer",
        default=10,
        minimum=1,
        maximum=100,
    ),
    "search": _arg("Limit results to those matching a string.", "string"),
    "after": _arg(_DATE.format("published after"), "string", format="date-time"),
    "before": _arg(_DATE.format("published before"), "string", format="date-time"),
    "modified_after": _arg(_DATE.format("modified after"), "string", format="date-time"),
    "modified_before": _arg(_DATE.format("modified before"), "string", format="date-time"),
    "dates_are_gmt": _arg(
        "Whether to consider GMT post dates when limiting response by published or modified date.",
        "boolean",
        default=False,
    ),
    "exclude": {"description": "Ensure result set excludes specific IDs.", **_IDS},
    "include": {"description": "Limit result set to specific ids.", **_IDS},
    "offset": _arg("Offset the result set by a specific number of items.", "integer"),
    "order": _arg(
        "Order sort attribute ascending or descending.",
        "string",
        default="desc",
        enum=["asc", "desc"],
    ),
    "orderby": _arg(
        "Sort collection by object attribute.",
        "string",
        default="date",
        enum=["date", "id", "include", "title", "slug", "modified"],
    ),
    "parent": {"description": "Limit result set to those of particular parent IDs.", **_IDS},
    "parent_exclude": {
        "description": "Limit result set to all items except those of a particular parent ID.",
        **_IDS,
    },
    "dp": {
        "default": 2,
        "description": "Number of decimal points to use in each resource.",
        "type": "integer",
    },
    "order_item_display_meta": {
        "default": False,
        "description": "Only show meta which is meant to be displayed for an order.",
        "type": "boolean",
    },
    "include_meta": {
        "default": [],
        "description": "Limit meta_data to specific keys.",
        "type": "array",
        "items": {"type": "string"},
    },
    "exclude_meta": {
        "default": [],
        "description": "Ensure meta_data excludes specific keys.",
        "type": "array",
        "items": {"type": "string"},
    },
}
for _list_arg in REFUND_LIST_ARGS.values():
    _list_arg.setdefault("required", False)

_META_ITEMS = {
    "type": "object",
    "properties": {
        "id": {"description": "Meta ID.", "type": "integer", "readonly": True},
        "key": {"description": "Meta key.", "type": "string"},
        "value": {"description": "Meta value.", "type": "mixed"},
    },
}
_LINES = {"type": "array", "items": {"type": "object"}}
REFUND_CREATE_ARGS: Schema = {
    "amount": _arg("Refund amount.", "string"),
    "reason": _arg("Reason for refund.", "string"),
    "refunded_by": _arg("User ID of user who created the refund.", "integer"),
    "meta_data": {"description": "Meta data.", "type": "array", "items": _META_ITEMS},
    "shipping_lines": {"description": "Shipping lines data.", **_LINES},
    "fee_lines": {"description": "Fee lines data.", **_LINES},
    "api_refund": {
        "default": True,
        "description": "When true, the payment gateway API is used to generate the refund.",
        "type": "boolean",
    },
    "api_restock": {
        "default": True,
        "description": "When true, refunded items are restocked.",
        "type": "boolean",
    },
}
for _create_arg in REFUND_CREATE_ARGS.values():
    _create_arg.setdefault("required", False)


def _field(description: str, kind: str, *, readonly: bool = False, **extra: Any) -> Schema:
    field: Schema = {"description": description, "type": kind, "context": ["view", "edit"]}
    if readonly:
        field["readonly"] = True
    field.update(extra)
    return field


REFUND_PROPERTIES: Schema = {
    "id": _field("Unique identifier for the resource.", "integer", readonly=True),
    "date_created": _field(
        "The date the order refund was created, in the site's timezone.", "date-time", readonly=True
    ),
    "date_created_gmt": _field(
        "The date the order refund was created, as GMT.", "date-time", readonly=True
    ),
    "amount": _field("Refund amount.", "string"),
    "reason": _field("Reason for refund.", "string"),
    "refunded_by": _field("User ID of user who created the refund.", "integer"),
    "refunded_payment": _field(
        "If the payment was refunded via the API.", "boolean", readonly=True
    ),
    "meta_data": _field("Meta data.", "array", items=_META_ITEMS),
    "line_items": _field("Line items data.", "array", readonly=True, items={"type": "object"}),
    "tax_lines": _field("Tax lines data.", "array", readonly=True, items={"type": "object"}),
    "shipping_lines": _field("Shipping lines data.", "array", items={"type": "object"}),
    "fee_lines": _field("Fee lines data.", "array", items={"type": "object"}),
    "api_refund": {
        "description": "When true, the payment gateway API is used to generate the refund.",
        "type": "boolean",
        "context": ["edit"],
        "default": True,
    },
    "api_restock": {
        "description": "When true, refunded items are restocked.",
        "type": "boolean",
        "context": ["edit"],
        "default": True,
    },
}
#: The top-level list names the parent after the id.
TOP_REFUND_PROPERTIES: Schema = {
    "id": REFUND_PROPERTIES["id"],
    "parent_id": _field("Parent order ID.", "integer"),
    **{k: v for k, v in REFUND_PROPERTIES.items() if k != "id"},
}

_CUSTOMER_NOTE = (
    "If true, the note will be shown to customers and they will be notified. If false, the "
    "note will be for admin reference only."
)
_ADDED_BY_USER = (
    "If true, this note will be attributed to the current user. If false, the note will be "
    "attributed to the system."
)
NOTE_PROPERTIES: Schema = {
    "id": _field("Unique identifier for the resource.", "integer", readonly=True),
    "author": _field("Order note author.", "string", readonly=True),
    "date_created": _field(
        "The date the order note was created, in the site's timezone.", "date-time", readonly=True
    ),
    "date_created_gmt": _field(
        "The date the order note was created, as GMT.", "date-time", readonly=True
    ),
    "note": _field("Order note content.", "string"),
    "customer_note": _field(_CUSTOMER_NOTE, "boolean", default=False),
    "added_by_user": {
        "description": _ADDED_BY_USER,
        "type": "boolean",
        "default": False,
        "context": ["edit"],
    },
}
NOTE_LIST_ARGS: Schema = {
    "order_id": ORDER_ID,
    "context": CONTEXT,
    "type": {
        "default": "any",
        "description": "Limit result to customers or internal notes.",
        "type": "string",
        "enum": ["any", "customer", "internal"],
        "required": False,
    },
}
NOTE_CREATE_ARGS: Schema = {
    "order_id": ORDER_ID,
    "note": {"type": "string", "description": "Order note content.", "required": True},
    "customer_note": {
        "default": False,
        "description": _CUSTOMER_NOTE,
        "type": "boolean",
        "required": False,
    },
    "added_by_user": {
        "default": False,
        "description": _ADDED_BY_USER,
        "type": "boolean",
        "required": False,
    },
}


def _force(default: bool) -> Schema:
    return {
        "default": default,
        "type": "boolean",
        "description": "Required to be true, as resource does not support trashing.",
        "required": False,
    }


def _schema(title: str, properties: Schema) -> Schema:
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": title,
        "type": "object",
        "properties": properties,
    }


def notes_endpoints(item: bool) -> list[Schema]:
    if item:
        return [
            {"methods": ["GET"], "args": {"id": ID, "order_id": ORDER_ID, "context": CONTEXT}},
            {
                "methods": ["DELETE"],
                "args": {"id": ID, "order_id": ORDER_ID, "force": _force(False)},
            },
        ]
    return [
        {"methods": ["GET"], "args": NOTE_LIST_ARGS},
        {"methods": ["POST"], "args": NOTE_CREATE_ARGS},
    ]


def refunds_endpoints(item: bool) -> list[Schema]:
    if item:
        return [
            {"methods": ["GET"], "args": {"order_id": ORDER_ID, "id": ID, "context": CONTEXT}},
            {
                "methods": ["DELETE"],
                "args": {"order_id": ORDER_ID, "id": ID, "force": _force(True)},
            },
        ]
    return [
        {"methods": ["GET"], "args": {"order_id": ORDER_ID, **REFUND_LIST_ARGS}},
        {"methods": ["POST"], "args": {"order_id": ORDER_ID, **REFUND_CREATE_ARGS}},
    ]


def _answer(request: web.Request, body: Schema) -> web.Response:
    methods = [m for m in route_methods(request) if m != "OPTIONS"]
    headers = {"Allow": ", ".join(methods)} if is_authorised(request) else None
    return respond(request, {"namespace": NAMESPACE, "methods": methods, **body}, headers=headers)


async def note_options(request: web.Request) -> web.StreamResponse:
    body = {
        "endpoints": notes_endpoints("id" in request.match_info),
        "schema": _schema("order_note", NOTE_PROPERTIES),
    }
    return _answer(request, body)


async def refund_options(request: web.Request) -> web.StreamResponse:
    body = {
        "endpoints": refunds_endpoints("id" in request.match_info),
        "schema": _schema("shop_order_refund", REFUND_PROPERTIES),
    }
    return _answer(request, body)


async def top_refund_options(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_KEY]
    body = {
        "endpoints": [{"methods": ["GET"], "args": REFUND_LIST_ARGS}],
        "schema": _schema("shop_order_refund", TOP_REFUND_PROPERTIES),
        "_links": {"self": [{"href": f"{sim.settings.api_url}/refunds"}]},
    }
    return _answer(request, body)
