"""``POST|PUT|PATCH /{resource}/batch``: each item on its own, errors per item."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from simulator.errors import RestError
from simulator.params import Args
from simulator.rest.permissions import require_permission
from simulator.rest.request_data import body_params
from simulator.rest.responses import respond

BATCH_LIMIT = 100

BatchItem = Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]


async def run_batch(
    request: web.Request,
    *,
    create: BatchItem,
    update: BatchItem,
    delete: BatchItem,
    check: Callable[[Mapping[str, list[Any]]], None] | None = None,
    typed_groups: bool = True,
) -> web.Response:
    """``POST|PUT|PATCH /{resource}/batch``: each item on its own, errors per item.

    ``check`` sees the item groups before any runs (a resource's own request limit).
    ``typed_groups``: a group that is not an array is a 400; when False it is left
    out (the terms and variations controllers' batch schema types no group).
    """
    body = await body_params(request)
    groups: dict[str, list[Any]] = {}
    args = Args(body)
    for name in ("create", "update", "delete"):
        if name in body:
            value = body[name]
            if isinstance(value, dict):
                value = list(value.values())
            if not isinstance(value, list):
                if typed_groups:
                    args.problem(name, "rest_invalid_type", f"{name} is not of type array.")
                continue
            groups[name] = value
    args.check()
    if sum(len(items) for items in groups.values()) > BATCH_LIMIT:
        raise RestError(
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            413,
        )
    if check is not None:
        check(groups)
    require_permission(request, "batch")
    result: dict[str, list[Any]] = {}
    for name, handler in (("create", create), ("update", update), ("delete", delete)):
        if not groups.get(name):
            continue
        answers: list[Any] = []
        for item in groups[name]:
            if name == "delete":
                item = {"id": item.get("id") if isinstance(item, dict) else item}
            elif not isinstance(item, dict):
                item = {}
            await asyncio.sleep(0)  # one item at a time: other requests go between them
            try:
                answers.append(await handler(request, item))
            except RestError as error:
                answers.append(
                    {
                        # A failed create is answered under id 0, others under theirs.
                        "id": 0 if name == "create" else _item_id(item),
                        "error": {
                            "code": error.code,
                            "message": error.message,
                            "data": {"status": error.status, **error.data},
                        },
                    }
                )
        result[name] = answers
    # Nothing to do (no group, empty groups, a body that is not an object): PHP's
    # empty array, which json_encode writes as [] (recorded from WooCommerce 10.0.2).
    return respond(request, result or [])


def _item_id(item: Mapping[str, Any]) -> int | None:
    """The id a failed batch item is answered under: ``$item['id']``, null when absent
    (recorded: an update without an id answers ``"id": null``)."""
    if item.get("id") is None:
        return None
    try:
        return int(item.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def batch_item_id(item: Mapping[str, Any], invalid: RestError) -> int:
    """The numeric id of a batch update/delete item, or ``invalid``."""
    try:
        value = int(str(item.get("id", "")))
    except ValueError:
        raise invalid from None
    if value <= 0:
        raise invalid
    return value
