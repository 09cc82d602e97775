"""What a REST request carries and how to read it: its query, form and JSON body as
WordPress merges them, its route id, the key it authenticated with, its app's Simulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import invalid_json
from simulator.params import Args
from simulator.phpquery import parse_php_query, split_query_string
from simulator.wire import boundedjson

if TYPE_CHECKING:
    from simulator.app import Simulator

#: Where each application keeps its Simulator.
SIM_KEY: web.AppKey[Simulator] = web.AppKey("woosim.sim")

KEY_ATTR: web.RequestKey[Any] = web.RequestKey("woosim.key", object)
#: Set once the request passed authentication and WooCommerce's key permission check.
AUTHORISED_ATTR: web.RequestKey[bool] = web.RequestKey("woosim.authorised", bool)
_PAIRS_ATTR: web.RequestKey[list[tuple[str, str]]] = web.RequestKey("woosim.pairs", list)
_QUERY_ATTR: web.RequestKey[dict[str, Any]] = web.RequestKey("woosim.query", dict)
_FORM_ATTR: web.RequestKey[list[tuple[str, str]]] = web.RequestKey("woosim.form", list)


def query_pairs(request: web.Request) -> list[tuple[str, str]]:
    """The query string split PHP's way (``+`` is a space), in wire order."""
    pairs = request.get(_PAIRS_ATTR)
    if pairs is None:
        _, _, raw = request.raw_path.partition("?")
        pairs = split_query_string(raw)
        request[_PAIRS_ATTR] = pairs
    return pairs  # type: ignore[no-any-return]


def query_params(request: web.Request) -> dict[str, Any]:
    """``$_GET``: repeated keys keep the last value, ``k[]`` makes lists."""
    params = request.get(_QUERY_ATTR)
    if params is None:
        params = parse_php_query(query_pairs(request))
        request[_QUERY_ATTR] = params
    return params  # type: ignore[no-any-return]


def _is_form(request: web.Request) -> bool:
    return request.content_type == "application/x-www-form-urlencoded"


async def form_pairs(request: web.Request) -> list[tuple[str, str]]:
    pairs = request.get(_FORM_ATTR)
    if pairs is None:
        pairs = []
        if request.body_exists and _is_form(request):
            text = (await request.read()).decode("utf-8", "surrogateescape")
            pairs = split_query_string(text)
        request[_FORM_ATTR] = pairs
    return pairs  # type: ignore[no-any-return]


def named_id(request: web.Request, body: Mapping[str, Any]) -> Any:
    """``$request['id']`` of a create: the body's, or the query's when the body's is
    null (WP_REST_Request::get_param takes the first value that is not null)."""
    value = body.get("id")
    return query_params(request).get("id") if value is None else value


async def body_params(request: web.Request) -> dict[str, Any]:
    """The request's parameters as WordPress merges them: JSON over form over query."""
    merged: dict[str, Any] = dict(query_params(request))
    merged.update(parse_php_query(await form_pairs(request)))
    if request.body_exists and request.content_type == "application/json":
        raw = await request.read()
        if raw not in (b"", b"0"):  # PHP's empty(): only these skip json_decode
            try:
                decoded = boundedjson.loads(raw)
            except boundedjson.JsonProblem as problem:
                raise invalid_json(problem) from None
            if isinstance(decoded, dict):
                merged.update(decoded)
    return merged


def current_key(request: web.Request) -> Any:
    """The API key the request authenticated with, or None (anonymous)."""
    return request.get(KEY_ATTR)


def is_authorised(request: web.Request) -> bool:
    """Did the request authenticate with a key whose user passes the permission checks?"""
    key = request.get(KEY_ATTR)
    return bool(request.get(AUTHORISED_ATTR)) and key is not None and key.manager


def context_args(request: web.Request) -> Args:
    """The query's arguments, with ``context`` (view|edit) checked: every GET has it."""
    args = Args(query_params(request))
    args.enum("context", ("view", "edit"), "view")
    return args


def route_id(request: web.Request) -> int:
    return int(request.match_info["id"])
