"""What every REST route shares: parameters, bodies, the response shape, errors, auth.

The pipeline of a request to ``/wp-json/...``:

1. ``error_middleware`` (outermost): a :class:`RestError` becomes WordPress's
   error JSON; an unmatched route becomes ``rest_no_route``; anything unexpected
   becomes the WP-shaped 500 and is logged and counted.
2. ``auth_middleware``: authentication (401s come before everything else),
   then the key's read/write permission, as WooCommerce checks it before routing.
3. the route handler: validates its parameters (400), then checks that the
   caller may do this at all (401 when anonymous), then calls the store.
"""

from __future__ import annotations

import asyncio
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from aiohttp import web

from simulator.auth import AuthRequest
from simulator.errors import RestError, invalid_json, no_route
from simulator.params import Args, parse_list
from simulator.phpjson import dumps, dumps_pretty
from simulator.phpquery import add_query_arg, parse_php_query, split_query_string, urlencode_deep
from simulator.wire import boundedjson

if TYPE_CHECKING:
    from simulator.app import Simulator

log = logging.getLogger("simulator.rest")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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
INTERNAL_ERROR_MESSAGE = (
    "<p>There has been a critical error on this website.</p>"
    '<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
    "Learn more about troubleshooting WordPress.</a></p>"
)
BATCH_LIMIT = 100

KEY_ATTR: web.RequestKey[Any] = web.RequestKey("woosim.key", object)
_PAIRS_ATTR: web.RequestKey[list[tuple[str, str]]] = web.RequestKey("woosim.pairs", list)
_QUERY_ATTR: web.RequestKey[dict[str, Any]] = web.RequestKey("woosim.query", dict)
_FORM_ATTR: web.RequestKey[list[tuple[str, str]]] = web.RequestKey("woosim.form", list)
#: Set once the request passed authentication and WooCommerce's key permission check.
_AUTHORISED_ATTR: web.RequestKey[bool] = web.RequestKey("woosim.authorised", bool)
#: Routes every caller may read (no permission callback): the REST index and namespace.
OPEN_ROUTES = frozenset({"/wp-json", "/wp-json/", "/wp-json/wc/v3"})

#: Where each application keeps its Simulator.
SIM_KEY: web.AppKey[Simulator] = web.AppKey("woosim.sim")


# ---------------------------------------------------------------------- request side
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


def require_user(request: web.Request, code: str, message: str) -> None:
    """The endpoint's capability check: anonymous callers get 401, a key whose user
    lacks the capability (a customer's account) 403 (rest_authorization_required_code)."""
    key = request.get(KEY_ATTR)
    if key is None:
        raise RestError(code, message, 401)
    if not key.manager:
        raise RestError(code, message, 403)


Action = Literal["list", "view", "create", "edit", "delete", "batch"]
#: The CRUD controllers' capability errors, by what the caller tried.
PERMISSION_ERRORS: dict[Action, tuple[str, str]] = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": (
        "woocommerce_rest_cannot_create",
        "Sorry, you are not allowed to create resources.",
    ),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}


def require_permission(request: web.Request, action: Action) -> None:
    """``{action}_items_permissions_check``: anonymous callers get that action's 401."""
    code, message = PERMISSION_ERRORS[action]
    require_user(request, code, message)


def context_args(request: web.Request) -> Args:
    """The query's arguments, with ``context`` (view|edit) checked: every GET has it."""
    args = Args(query_params(request))
    args.enum("context", ("view", "edit"), "view")
    return args


def route_id(request: web.Request) -> int:
    return int(request.match_info["id"])


# ---------------------------------------------------------------------- response side
def route_methods(request: web.Request) -> list[str]:
    """The methods of the matched route, in registration order; [] when none matched."""
    match = request.match_info
    if match.http_exception is not None:
        return []
    resource = match.route.resource
    if resource is None:
        return []
    methods: list[str] = []
    for route in resource:
        if route.method not in methods and route.method != "HEAD":
            methods.append(route.method)
    return methods


def is_authorised(request: web.Request) -> bool:
    """Did the request authenticate with a key whose user passes the permission checks?"""
    key = request.get(KEY_ATTR)
    return bool(request.get(_AUTHORISED_ATTR)) and key is not None and key.manager


#: Item routes whose permission callbacks look the record up: the customers controller
#: asks wc_rest_check_user_permissions() about that user, which fails for one that does
#: not exist (unknown, or deleted by this very request), so no method is allowed.
_USER_ITEM_PREFIX = "/wp-json/wc/v3/customers/"


def _permission_target_exists(request: web.Request) -> bool:
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


def _headers(request: web.Request, extra: Mapping[str, str] | None = None) -> dict[str, str]:
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
    return web.Response(body=body, status=status, headers=_headers(request, headers))


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
    base = add_query_arg(sim.settings.api_url + "/" + route, urlencode_deep(params))
    links: list[str] = []
    if page > 1:
        prev_page = min(page - 1, max_pages)
        links.append(f'<{add_query_arg(base, {"page": prev_page})}>; rel="prev"')
    if max_pages > page:
        links.append(f'<{add_query_arg(base, {"page": page + 1})}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return headers


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
) -> web.Response:
    if max_pages is None:
        headers = collection_headers(request, route, total, per_page, page, link_query)
    else:
        headers = paging_headers(request, route, total, max_pages, page, link_query)
    if use_cache and not needs_dicts(request):
        # One copy of the page: brackets joined in, not concatenated onto a 300 KB body.
        body = b"".join([b"[", b",".join([render_bytes(item) for item in items]), b"]"])
        return respond(request, body, headers=headers)
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
    return web.Response(body=dumps(error.to_json()), status=error.status, headers=_headers(request))


# ---------------------------------------------------------------------- middlewares
def make_error_middleware(sim: Simulator) -> Any:
    @web.middleware
    async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except RestError as error:
            return error_response(request, error)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return error_response(request, no_route())
        except web.HTTPException:
            raise
        except Exception:
            # Never a traceback to the client; the log and the counter tell the tests.
            log.exception("unexpected error answering %s %s", request.method, request.path)
            sim.internal_errors.append(f"{request.method} {request.path}")
            body = dumps(
                {
                    "code": "internal_server_error",
                    "message": INTERNAL_ERROR_MESSAGE,
                    "data": {"status": 500},
                    "additional_errors": [],
                }
            )
            return web.Response(body=body, status=500, headers=_headers(request))

    return error_middleware


def make_auth_middleware(sim: Simulator) -> Any:
    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # WooCommerce authenticates requests to its own namespace only
        # (WC_REST_Authentication::is_request_to_rest_api); the index stays open.
        if request.path.startswith("/wp-json/wc/"):
            raw_path = request.raw_path.partition("?")[0]
            auth_request = AuthRequest(
                method=request.method,
                path=raw_path,
                query=query_pairs(request),
                form=await form_pairs(request),
                authorization=request.headers.get("Authorization"),
            )
            key = sim.authenticator.authenticate(auth_request)
            request[KEY_ATTR] = key
            if key is not None:
                sim.authenticator.check_permissions(key, request.method)
                request[_AUTHORISED_ATTR] = True
        return await handler(request)

    return auth_middleware


# ---------------------------------------------------------------------- batches
BatchItem = Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]


async def run_batch(
    request: web.Request,
    *,
    create: BatchItem,
    update: BatchItem,
    delete: BatchItem,
    check: Callable[[Mapping[str, list[Any]]], None] | None = None,
) -> web.Response:
    """``POST|PUT|PATCH /{resource}/batch``: each item on its own, errors per item.

    ``check`` sees the item groups before any runs (a resource's own request limit).
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
                        "id": _item_id(item),
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


def _item_id(item: Mapping[str, Any]) -> int:
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


def item_routes(
    app: web.Application,
    base: str,
    *,
    collection_get: Handler,
    collection_post: Handler,
    item_get: Handler,
    item_update: Handler,
    item_delete: Handler,
    batch: Handler,
) -> None:
    """Register WooCommerce's route set for one resource under ``/wc/v3`` of the REST app."""
    prefix = f"/wc/v3/{base}"
    router = app.router
    router.add_route("GET", prefix, collection_get)
    router.add_route("POST", prefix, collection_post)
    router.add_route("OPTIONS", prefix, options)
    for method in ("POST", "PUT", "PATCH"):
        router.add_route(method, prefix + "/batch", batch)
    router.add_route("OPTIONS", prefix + "/batch", options)
    item = prefix + r"/{id:\d+}"
    router.add_route("GET", item, item_get)
    for method in ("POST", "PUT", "PATCH"):
        router.add_route(method, item, item_update)
    router.add_route("DELETE", item, item_delete)
    router.add_route("OPTIONS", item, options)


#: The ``OPTIONS`` answer. It describes every route, so it lives above the routes
#: (``route_info``) and the app hands it in here, where the routes are registered.
OPTIONS_KEY: web.AppKey[Handler] = web.AppKey("woosim.options")


async def options(request: web.Request) -> web.StreamResponse:
    """``OPTIONS``: 200 with the route's description and schema, for any caller."""
    return await request.app[OPTIONS_KEY](request)


def created(request: web.Request, payload: dict[str, Any], route: str) -> web.Response:
    """201 with ``Location`` (WC_REST_CRUD_Controller::create_item)."""
    sim: Simulator = request.app[SIM_KEY]
    location = f"{sim.settings.api_url}/{route}/{payload['id']}"
    return respond(request, payload, status=201, headers={"Location": location})


def iter_args(items: Iterable[Args]) -> Iterable[tuple[int, Args]]:
    return enumerate(items)


# ---------------------------------------------------------------------- one resource
@dataclass(frozen=True)
class View:
    """How a read renders its records, as its query asks (``dp``, ``context``...).

    ``cached``: the default rendering, so each record's cached bytes may answer
    (unless ``_fields``/``_pretty`` reshape the output).
    """

    render: Callable[[Any], dict[str, Any]]
    cached: bool = True


@dataclass(frozen=True)
class Page:
    """One page of a collection, as the resource's query found it."""

    records: Sequence[Any]
    total: int
    per_page: int
    #: The page the paging links count from.
    page: int
    #: The query the paging links carry (None: the request's own).
    link_query: Mapping[str, Any] | None = None
    #: The page count, when the controller works it out its own way (else from the total).
    max_pages: int | None = None


class ResourceRoutes(ABC):
    """The route set WooCommerce's CRUD controllers share, for one resource.

    A subclass says what is its own: its route and error codes, how it reads its
    parameters, what it asks the store, how it renders and deletes. This class
    wires the rest the way WC_REST_CRUD_Controller does: argument checks (400),
    then the capability check (401), then the store; create answers 201 with
    ``Location``; batches run each item on its own, deletes forced.
    """

    #: The route under ``/wp-json/wc/v3``, and the base of ``Location`` and links.
    route: ClassVar[str]
    #: (code, message) of the 400 for a create whose body names an ``id``.
    exists_error: ClassVar[tuple[str, str]]
    #: (code, message) of the 400 for a batch update or delete without a positive id.
    invalid_id_error: ClassVar[tuple[str, str]]
    #: A read looks the record up before the capability check, so an unknown id is a
    #: 404 even for an anonymous caller (the users-based customers controller).
    found_before_permission: ClassVar[bool] = False

    # ------------------------------------------------------------------ per resource
    # What the base class's list_items and get read with. Not abstract: a resource
    # that answers both reads its own way overrides those two and needs none of it.
    def render(self, record: Any) -> dict[str, Any]:
        """The default rendering of a record."""
        raise NotImplementedError

    def render_bytes(self, record: Any) -> bytes:
        """The default rendering as bytes (a resource with a cache serves it from there)."""
        return dumps(self.render(record))

    def read_view(self, request: web.Request, args: Args) -> View:
        """How reads render, from the query's arguments (problems recorded on ``args``)."""
        del request, args
        return View(self.render)

    def read_list_query(self, args: Args) -> Any:
        """The collection's arguments as the resource's query (problems recorded on ``args``)."""
        raise NotImplementedError

    def find_page(self, query: Any, args: Args) -> Page:
        """Run the query: one page of records."""
        raise NotImplementedError

    def find(self, item_id: int) -> Any:
        """The record with this id (RestError 404 when there is none)."""
        raise NotImplementedError

    @abstractmethod
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """The writable fields of a create or update body; RestError 400 when invalid."""

    @abstractmethod
    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create the record; its rendering."""

    @abstractmethod
    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Update the record; its rendering (RestError when there is none)."""

    @abstractmethod
    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Delete (or trash) the record; its rendering from before."""

    # ------------------------------------------------------------------ reads
    async def list_items(self, request: web.Request) -> web.Response:
        """``GET /{route}``."""
        args = context_args(request)
        query = self.read_list_query(args)
        view = self.read_view(request, args)
        args.check()
        require_permission(request, "list")
        page = self.find_page(query, args)
        return respond_collection(
            request,
            page.records,
            view.render,
            self.render_bytes,
            route=self.route,
            total=page.total,
            per_page=page.per_page,
            page=page.page,
            use_cache=view.cached,
            link_query=page.link_query,
            max_pages=page.max_pages,
        )

    async def get(self, request: web.Request) -> web.Response:
        """``GET /{route}/{id}``."""
        args = context_args(request)
        view = self.read_view(request, args)
        args.check()
        item_id = route_id(request)
        if self.found_before_permission:
            record = self.find(item_id)
            require_permission(request, "view")
        else:
            require_permission(request, "view")
            record = self.find(item_id)
        if view.cached:
            return respond_item(request, record, view.render, self.render_bytes)
        return respond(request, view.render(record))

    # ------------------------------------------------------------------ shared shape
    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=True)
        require_permission(request, "create")
        if body.get("id"):
            code, message = self.exists_error
            raise RestError(code, message, 400)
        return await self.store_create(fields)

    async def update_item(
        self, request: web.Request, item_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=False)
        require_permission(request, "edit")
        return await self.store_update(item_id, fields)

    def batch_id(self, item: Mapping[str, Any]) -> int:
        """The id of a batch update or delete item."""
        code, message = self.invalid_id_error
        return batch_item_id(item, RestError(code, message, 400))

    async def batch_create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return await self.create_item(request, body)

    async def create(self, request: web.Request) -> web.Response:
        payload = await self.create_item(request, await body_params(request))
        return created(request, payload, self.route)

    async def update(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self.update_item(request, route_id(request), body))

    async def delete(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self.delete_item(request, route_id(request), body))

    async def batch(self, request: web.Request) -> web.Response:
        async def update(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            return await self.update_item(req, self.batch_id(item), item)

        async def delete(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            # WooCommerce batches delete with force=true.
            return await self.delete_item(req, self.batch_id(item), {"force": True})

        return await run_batch(
            request,
            create=self.batch_create,
            update=update,
            delete=delete,
            check=self.check_batch,
        )

    def check_batch(self, groups: Mapping[str, list[Any]]) -> None:
        """A resource's own limit on a whole batch (none by default)."""
        del groups

    def register(self, app: web.Application) -> None:
        item_routes(
            app,
            self.route,
            collection_get=self.list_items,
            collection_post=self.create,
            item_get=self.get,
            item_update=self.update,
            item_delete=self.delete,
            batch=self.batch,
        )


def force_flag(values: Mapping[str, Any]) -> bool:
    """A delete's ``force`` argument (boolean, default false); 400 when it is not one."""
    args = Args(values)
    force = bool(args.boolean("force", False))
    args.check()
    return force
