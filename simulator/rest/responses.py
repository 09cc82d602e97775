"""The REST response: WordPress's headers (paging, ``Link``, ``Allow``), ``_fields`` and
``_pretty``, and the JSON body, from data or from a record's cached bytes."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.params import parse_list
from simulator.phpjson import dumps, dumps_pretty
from simulator.phpquery import add_query_arg, urlencode_deep
from simulator.rest.request_data import KEY_ATTR, SIM_KEY, is_authorised, query_params

if TYPE_CHECKING:
    from simulator.app import Simulator

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
#: Headers WordPress's REST server sends on every response (serve_request).
WP_HEADERS: dict[str, str] = {
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
    "Access-Control-Allow-Headers": (
        "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"
    ),
}
#: wp_get_nocache_headers(), sent when a user is authenticated.
NOCACHE_HEADERS: dict[str, str] = {
    "Expires": "Wed, 11 Jan 1984 05:00:00 GMT",
    "Cache-Control": "no-cache, must-revalidate, max-age=0, no-store, private",
}
#: Routes every caller may read (no permission callback): the REST index and namespace.
OPEN_ROUTES = frozenset({"/wp-json", "/wp-json/", "/wp-json/wc/v3"})


def route_methods(request: web.Request) -> list[str]:
    """The methods of the matched route, in registration order; [] when none matched."""
    match = request.match_info
    if match.http_exception is not None:
        return []
    resource = match.route.resource
    if resource is None:
        return []
    methods = _METHODS.get(resource)
    if methods is None:
        methods = []
        for route in resource:
            if route.method not in methods and route.method != "HEAD":
                methods.append(route.method)
        _METHODS[resource] = methods
    return list(methods)


#: The methods of each resource, as ``route_methods`` found them (a resource's routes
#: do not change once the application is frozen; every request asked again before).
_METHODS: weakref.WeakKeyDictionary[web.AbstractResource, list[str]] = weakref.WeakKeyDictionary()


#: Item routes whose permission callbacks look the record up: the customers controller
#: asks wc_rest_check_user_permissions() about that user, which fails for one that does
#: not exist (unknown, or deleted by this very request), so no method is allowed.
_USER_ITEM_PREFIX = "/wp-json/wc/v3/customers/"


#: Other item routes whose permission callbacks read the record (terms, variations),
#: by name: whether the request's record exists, or None when the route is not theirs.
TARGET_CHECKS: dict[str, Callable[[web.Request], bool | None]] = {}


def _permission_target_exists(request: web.Request) -> bool:
    for exists in TARGET_CHECKS.values():
        found = exists(request)
        if found is not None:
            return found
    if not request.path.startswith(_USER_ITEM_PREFIX) or "id" not in request.match_info:
        return True
    sim: Simulator = request.app[SIM_KEY]
    try:
        return int(request.match_info["id"]) in sim.store.customers
    except ValueError:
        return True


def allow_header(request: web.Request) -> str | None:
    """rest_send_allow_header: the matched route's methods the caller may use.

    WordPress adds it after dispatch, on success and error alike, listing the
    methods whose permission check passes: none for an anonymous caller (so no
    header), none when authentication itself failed (no dispatch), all of them for
    an authorised key (the read-only restriction is not a permission check).
    """
    if request.path not in OPEN_ROUTES and not is_authorised(request):
        return None
    if not _permission_target_exists(request):
        return None
    methods = [m for m in route_methods(request) if m != "OPTIONS"]
    return ", ".join(methods) if methods else None


def response_headers(
    request: web.Request, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    headers = {"Content-Type": JSON_CONTENT_TYPE, **WP_HEADERS}
    if request.get(KEY_ATTR) is not None:
        headers.update(NOCACHE_HEADERS)
    if extra and "Link" in extra:
        headers.update(extra)
    else:
        sim: Simulator = request.app[SIM_KEY]
        headers["Link"] = f'<{sim.settings.api_root}/>; rel="https://api.w.org/"'
        if extra:
            headers.update(extra)
    allow = allow_header(request)
    if allow is not None:
        headers["Allow"] = allow
    if extra and "Allow" in extra:
        headers["Allow"] = extra["Allow"]
    return headers


def fields_filter(request: web.Request) -> list[str] | None:
    raw = query_params(request).get("_fields")
    if raw is None:
        return None
    return [str(f) for f in parse_list(raw)]


def filter_fields(
    data: dict[str, Any], fields: Sequence[str], *, keep_links: bool = False
) -> dict[str, Any]:
    """rest_filter_response_fields: keep the named (possibly dotted) fields.

    ``keep_links``: a single item's links are added after filtering, so they stay
    whole whatever is asked; a list's items carry their links as data, which
    ``_fields`` filters like any field (``_links.self`` keeps only ``self``).
    """
    result: dict[str, Any] = {}
    for path in fields:
        parts = path.split(".")
        source: Any = data
        for part in parts:
            if not isinstance(source, dict) or part not in source:
                break
            source = source[part]
        else:
            # Only a path that reaches a value keeps its parents: "meta_data.key" names
            # no key of a list, so meta_data is left out (recorded).
            target = result
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = source
    if keep_links and "_links" in data:
        result["_links"] = data["_links"]
    # Keep the data's own key order.
    return {key: result[key] for key in data if key in result}


def is_pretty(request: web.Request) -> bool:
    return "_pretty" in query_params(request)


def needs_dicts(request: web.Request) -> bool:
    """True when the cached default rendering cannot be used as is."""
    params = query_params(request)
    return "_fields" in params or "_pretty" in params


def encode(request: web.Request, payload: Any) -> bytes:
    fields = fields_filter(request)
    if fields is not None:
        if isinstance(payload, list):
            payload = [filter_fields(item, fields) for item in payload]
        elif isinstance(payload, dict):
            payload = filter_fields(payload, fields, keep_links=True)
    return dumps_pretty(payload) if is_pretty(request) else dumps(payload)


def respond(
    request: web.Request,
    payload: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A JSON response; ``payload`` is data, or ready bytes of the default rendering."""
    body = payload if isinstance(payload, bytes) else encode(request, payload)
    return web.Response(body=body, status=status, headers=response_headers(request, headers))


def collection_headers(
    request: web.Request,
    route: str,
    total: int,
    per_page: int,
    page: int,
    link_query: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """X-WP-Total, X-WP-TotalPages and the one ``Link`` header of WC_REST_CRUD_Controller."""
    max_pages = math.ceil(total / per_page) if per_page else 0
    return paging_headers(request, route, total, max_pages, page, link_query)


def paging_headers(
    request: web.Request,
    route: str,
    total: int,
    max_pages: int,
    page: int,
    link_query: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The paging headers for a page count the controller worked out its own way.

    ``link_query`` is the query as the controller holds it after WordPress sanitised
    its registered arguments (:meth:`Args.link_query`): the links carry that, not the
    query string as sent (``include=1,2`` comes back as ``include[0]=1&include[1]=2``).
    """
    sim: Simulator = request.app[SIM_KEY]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max_pages)}
    params = query_params(request) if link_query is None else link_query
    link = paging_link(sim.settings.api_url + "/" + route, params, page, max_pages)
    if link is not None:
        headers["Link"] = link
    return headers


#: Paging ``Link`` values already built, by (route URL, link query, page, page count).
#: A client pages through the same query again and again, and building a link parses
#: and re-encodes the query twice: about a third of a list request's own CPU.
_LINKS: dict[tuple[Any, ...], str | None] = {}
_LINKS_MAX = 4096


_SCALARS = frozenset({str, int, bool, float, type(None)})


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a (nested) query value; the type is kept because
    ``False`` and ``0`` (equal in Python) are written differently in a link."""
    kind = type(value)
    if kind in _SCALARS:  # most values: no ABC checks
        return (kind, value)
    if kind is dict or isinstance(value, Mapping):
        return ("{", tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return ("[", tuple(_frozen(item) for item in value))
    return (type(value), value)


def paging_link(url: str, params: Mapping[str, Any], page: int, max_pages: int) -> str | None:
    """The ``Link`` header of a collection page (prev/next), or None when it has neither."""
    if page <= 1 and max_pages <= page:
        return None  # neither link (most reads): no key to build, no query to write out
    try:
        key = (url, _frozen(params), page, max_pages)
        link = _LINKS[key]
    except TypeError:  # an unhashable value: build it, uncached
        return _build_paging_link(url, params, page, max_pages)
    except KeyError:
        link = _build_paging_link(url, params, page, max_pages)
        if len(_LINKS) >= _LINKS_MAX:
            _LINKS.clear()
        _LINKS[key] = link
    return link


def _build_paging_link(
    url: str, params: Mapping[str, Any], page: int, max_pages: int
) -> str | None:
    base = add_query_arg(url, urlencode_deep(params))
    links: list[str] = []
    if page > 1:
        prev_page = min(page - 1, max_pages)
        links.append(f'<{add_query_arg(base, {"page": prev_page})}>; rel="prev"')
    if max_pages > page:
        links.append(f'<{add_query_arg(base, {"page": page + 1})}>; rel="next"')
    return ", ".join(links) if links else None


def json_array(fragments: Sequence[bytes]) -> bytes:
    """``[a,b,c]`` from ready JSON fragments in one copy (a page is ~300 KB: joining the
    fragments and then adding the brackets would copy it twice)."""
    if not fragments:
        return b"[]"
    parts = [b","] * (2 * len(fragments) + 1)
    parts[0] = b"["
    parts[1::2] = fragments
    parts[-1] = b"]"
    return b"".join(parts)


def respond_collection(
    request: web.Request,
    items: Sequence[Any],
    render_dict: Callable[[Any], dict[str, Any]],
    render_bytes: Callable[[Any], bytes],
    *,
    route: str,
    total: int,
    per_page: int,
    page: int,
    use_cache: bool = True,
    link_query: Mapping[str, Any] | None = None,
    max_pages: int | None = None,
    page_bytes: Callable[[Sequence[Any]], list[bytes]] | None = None,
) -> web.Response:
    """``page_bytes``: the cached renderings of a whole page at once, when the resource
    reads them cheaper than one ``render_bytes`` call per record."""
    if max_pages is None:
        headers = collection_headers(request, route, total, per_page, page, link_query)
    else:
        headers = paging_headers(request, route, total, max_pages, page, link_query)
    if use_cache and not needs_dicts(request):
        fragments = (
            [render_bytes(item) for item in items] if page_bytes is None else page_bytes(items)
        )
        return respond(request, json_array(fragments), headers=headers)
    return respond(request, [render_dict(item) for item in items], headers=headers)


def respond_item(
    request: web.Request,
    record: Any,
    render_dict: Callable[[Any], dict[str, Any]],
    render_bytes: Callable[[Any], bytes],
) -> web.Response:
    """One record: its cached bytes unless the request reshapes the output."""
    if needs_dicts(request):
        return respond(request, render_dict(record))
    return respond(request, render_bytes(record))


def error_response(request: web.Request, error: RestError) -> web.Response:
    return web.Response(
        body=dumps(error.to_json()), status=error.status, headers=response_headers(request)
    )


def created(request: web.Request, payload: dict[str, Any], route: str) -> web.Response:
    """201 with ``Location`` (WC_REST_CRUD_Controller::create_item)."""
    sim: Simulator = request.app[SIM_KEY]
    location = f"{sim.settings.api_url}/{route}/{payload['id']}"
    return respond(request, payload, status=201, headers={"Location": location})
