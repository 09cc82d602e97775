"""An order's refunds and notes (``orders/{order_id}/refunds``, ``.../notes``) and ``refunds``."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.resources.schema import Schema, ref
from simulator.rest.openapi.components import (
    ANY_ID_PARAM,
    API_PREFIX,
    collection_response,
    error_responses,
    json_content,
)
from simulator.rest.openapi.params import (
    CONTEXT,
    orders_collection_args,
    query_params,
    refund_list_args,
)
from simulator.settings import Settings

ORDER_ID_PARAM: Schema = {
    "name": "order_id",
    "in": "path",
    "required": True,
    "description": "The order ID.",
    "schema": {"type": "integer", "minimum": 0},
}
ITEM_ID_PARAM: Schema = {"$ref": "#/components/parameters/id"}
#: The order_id (and id) as OPTIONS takes them: any the route pattern matches.
ANY_ORDER_PARAM: Schema = {**ANY_ID_PARAM, "name": "order_id"}


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


def _force(default: bool) -> list[Schema]:
    return query_params({"force": {"type": "boolean", "default": default}})


def _create(operation: str, tag: str, summary: str, schema: str, errors: Sequence[int]) -> Schema:
    """POST on an order's child collection: a ``{schema}Input`` body, a 201 with Location."""
    return {
        "operationId": operation,
        "tags": [tag],
        "summary": summary,
        "parameters": [ORDER_ID_PARAM],
        "requestBody": {"required": True, "content": json_content(ref(f"{schema}Input"))},
        "responses": {
            "201": {
                **_one(schema, "Created."),
                "headers": {"Location": {"$ref": "#/components/headers/Location"}},
            },
            **error_responses(*errors),
        },
    }


def _on_item(
    operation: str,
    tag: str,
    summary: str,
    query: list[Schema],
    ok: Schema,
    errors: Sequence[int],
) -> Schema:
    """GET or DELETE on one child of an order: ``{order_id}``, ``{id}``, then the query."""
    return {
        "operationId": operation,
        "tags": [tag],
        "summary": summary,
        "parameters": [ORDER_ID_PARAM, ITEM_ID_PARAM, *query],
        "responses": {"200": ok, **error_responses(*errors)},
    }


def order_children_paths(settings: Settings) -> dict[str, Schema]:
    """``orders/{order_id}/refunds[/{id}]``, ``refunds`` and ``orders/{order_id}/notes[/{id}]``."""
    order = f"{API_PREFIX}/orders/{{order_id}}"
    list_args = query_params(refund_list_args(settings))
    context = query_params({"context": CONTEXT})
    dp = query_params({"dp": orders_collection_args(settings)["dp"]})

    refunds: Schema = {
        "get": {
            "operationId": "listOrderRefunds",
            "tags": ["Refunds"],
            "summary": "List an order's refunds (an unknown order has none).",
            "parameters": [ORDER_ID_PARAM, *list_args],
            # 404: an order_id the route pattern does not match (rest_no_route).
            "responses": {"200": collection_response("Refund"), **error_responses(400, 401, 404)},
        },
        "post": _create(
            "createRefund",
            "Refunds",
            "Refund an order (api_refund needs a gateway that can refund).",
            "Refund",
            (400, 401, 403, 404, 500),
        ),
        "options": _child_options("optionsOrderRefunds", "Refunds", [ANY_ORDER_PARAM]),
    }
    refund: Schema = {
        "get": _on_item(
            "getRefund",
            "Refunds",
            "Retrieve a refund of the order.",
            [*context, *dp],
            _one("Refund", "The refund."),
            (400, 401, 404, 500),
        ),
        "delete": _on_item(
            "deleteRefund",
            "Refunds",
            "Delete a refund (force defaults to true; false is a 501).",
            _force(True),
            _one("Refund", "The refund as it was."),
            (400, 401, 403, 404, 501, 500),
        ),
        "options": _child_options("optionsRefund", "Refunds", [ANY_ORDER_PARAM, ANY_ID_PARAM]),
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
        "post": _create(
            "createOrderNote",
            "Order notes",
            "Add a note (customer_note: shown to the customer).",
            "OrderNote",
            (400, 401, 403, 404),
        ),
        "options": _child_options("optionsOrderNotes", "Order notes", [ANY_ORDER_PARAM]),
    }
    note: Schema = {
        "get": _on_item(
            "getOrderNote",
            "Order notes",
            "Retrieve a note of the order.",
            context,
            _one("OrderNote", "The note."),
            (400, 401, 403, 404),
        ),
        "delete": _on_item(
            "deleteOrderNote",
            "Order notes",
            "Delete a note (force=true is required).",
            _force(False),
            _one("OrderNote", "The note as it was."),
            (400, 401, 403, 404, 501),
        ),
        "options": _child_options(
            "optionsOrderNote", "Order notes", [ANY_ORDER_PARAM, ANY_ID_PARAM]
        ),
    }
    return {
        f"{order}/refunds": refunds,
        f"{order}/refunds/{{id}}": refund,
        f"{API_PREFIX}/refunds": top,
        f"{order}/notes": notes,
        f"{order}/notes/{{id}}": note,
    }
