"""What every REST route shares: the middlewares, the route set and :class:`ResourceRoutes`.

The pipeline of a request to ``/wp-json/...``:

1. ``error_middleware`` (outermost): a :class:`RestError` becomes WordPress's
   error JSON; an unmatched route becomes ``rest_no_route``; anything unexpected
   becomes the WP-shaped 500 and is logged and counted.
2. ``auth_middleware``: authentication (401s come before everything else),
   then the key's read/write permission, as WooCommerce checks it before routing.
3. the route handler: validates its parameters (400), then checks that the
   caller may do this at all (401 when anonymous), then calls the store.

What a handler reads is in :mod:`~simulator.rest.request_data`, the capability checks in
:mod:`~simulator.rest.permissions`, what it answers in :mod:`~simulator.rest.responses`
and batches in :mod:`~simulator.rest.batches`; their names are exported here too, so a
route module imports what it uses from one place.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from simulator.answers import REPLAYABLE, keep_answer
from simulator.auth import AuthRequest
from simulator.errors import RestError, no_route
from simulator.params import Args, php_empty
from simulator.phpjson import dumps
from simulator.rest.batches import BATCH_LIMIT, BatchItem, batch_item_id, run_batch
from simulator.rest.permissions import (
    PERMISSION_ERRORS,
    Action,
    require_permission,
    require_user,
)
from simulator.rest.request_data import (
    AUTHORISED_ATTR,
    KEY_ATTR,
    SIM_KEY,
    body_params,
    context_args,
    current_key,
    form_pairs,
    is_authorised,
    named_id,
    query_pairs,
    query_params,
    route_id,
)
from simulator.rest.responses import (
    JSON_CONTENT_TYPE,
    NOCACHE_HEADERS,
    OPEN_ROUTES,
    TARGET_CHECKS,
    WP_HEADERS,
    allow_header,
    collection_headers,
    created,
    encode,
    error_response,
    fields_filter,
    filter_fields,
    is_pretty,
    needs_dicts,
    paging_headers,
    respond,
    respond_collection,
    respond_item,
    response_headers,
    route_methods,
)

if TYPE_CHECKING:
    from simulator.app import Simulator

log = logging.getLogger("simulator.rest")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INTERNAL_ERROR_MESSAGE = (
    "<p>There has been a critical error on this website.</p>"
    '<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
    "Learn more about troubleshooting WordPress.</a></p>"
)


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
            return web.Response(body=body, status=500, headers=response_headers(request))

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
                get=query_params(request),
                form=await form_pairs(request) if request.body_exists else [],
                authorization=request.headers.get("Authorization"),
            )
            key, replayable = sim.authenticator.authenticate_replayable(auth_request)
            request[KEY_ATTR] = key
            if key is not None:
                sim.authenticator.check_permissions(key, request.method)
                request[AUTHORISED_ATTR] = True
                request[REPLAYABLE] = replayable
        return await handler(request)

    return auth_middleware


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


class CrudRoutes(ABC):
    """The route set WooCommerce's CRUD controllers share, for one resource.

    A subclass says what is its own: its route and error codes, how it reads its
    parameters, what it asks the store, how it renders, writes and deletes. This
    class wires the rest the way WC_REST_CRUD_Controller does: argument checks
    (400), then the capability check (401), then the store; create answers 201 with
    ``Location``; batches run each item on its own, deletes forced.

    Writes go through three hooks given the request (:meth:`create_item`,
    :meth:`update_item`, :meth:`delete_item`), so a resource under its parent's path
    (variations under ``products/{product_id}``) reads the parent from it;
    :class:`ResourceRoutes` makes the first two for a resource at its own route.
    """

    #: The route under ``/wp-json/wc/v3``, and the base of ``Location`` and links.
    route: ClassVar[str]
    #: (code, message) of the 400 for a batch update or delete without a positive id.
    invalid_id_error: ClassVar[tuple[str, str]]
    #: Whether a batch group that is not an array is a 400 (see :func:`run_batch`).
    typed_batch_groups: ClassVar[bool] = True
    #: A read looks the record up before the capability check, so an unknown id is a
    #: 404 even for an anonymous caller (the users-based customers controller).
    found_before_permission: ClassVar[bool] = False
    #: Whether a read's answer depends only on the request and the store's records,
    #: settings and keys, so that it may be kept whole (see ``simulator.answers``).
    answers_keepable: ClassVar[bool] = True

    # ------------------------------------------------------------------ per resource
    # What the base class's list_items and get read with. Not abstract: a resource
    # that answers both reads its own way overrides those two and needs none of it.
    def render(self, record: Any) -> dict[str, Any]:
        """The default rendering of a record."""
        raise NotImplementedError

    def render_bytes(self, record: Any) -> bytes:
        """The default rendering as bytes (a resource with a cache serves it from there)."""
        return dumps(self.render(record))

    def page_bytes(self, records: Sequence[Any]) -> list[bytes]:
        """The default renderings of a page of records, as bytes."""
        return [self.render_bytes(record) for record in records]

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
    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """Check the create body and the capability, create the record; its rendering."""

    @abstractmethod
    async def update_item(
        self, request: web.Request, item_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Check the update body and the capability, update the record; its rendering."""

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
        if self.answers_keepable:
            keep_answer(request)
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
            page_bytes=self.page_bytes,
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
        if self.answers_keepable:
            keep_answer(request)
        if view.cached:
            return respond_item(request, record, view.render, self.render_bytes)
        return respond(request, view.render(record))

    # ------------------------------------------------------------------ shared shape
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
            typed_groups=self.typed_batch_groups,
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


class ResourceRoutes(CrudRoutes):
    """The route set of a resource at its own route (``/{route}``, ``/{route}/{id}``):
    a create or update parses the body, checks the capability, then asks the store
    through :meth:`store_create` or :meth:`store_update`; a create naming an ``id``
    that is not empty is refused (:meth:`refuse_named_id`)."""

    #: (code, message) of the 400 for a create naming an ``id`` that is not empty.
    exists_error: ClassVar[tuple[str, str]]

    @abstractmethod
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """The writable fields of a create or update body; RestError 400 when invalid."""

    @abstractmethod
    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create the record; its rendering."""

    @abstractmethod
    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Update the record; its rendering (RestError when there is none)."""

    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=True)
        require_permission(request, "create")
        self.refuse_named_id(request, body)
        return await self.store_create(fields)

    def refuse_named_id(self, request: web.Request, body: Mapping[str, Any]) -> None:
        """``if ( ! empty( $request['id'] ) )`` of WooCommerce's create_item: the id is
        the body's or the query's, and PHP's ``empty()`` lets 0, "0", "", false and []
        through (the record is made with a new id) but not "0.0", -1 or true."""
        if not php_empty(named_id(request, body)):
            code, message = self.exists_error
            raise RestError(code, message, 400)

    async def update_item(
        self, request: web.Request, item_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=False)
        require_permission(request, "edit")
        return await self.store_update(item_id, fields)


def force_flag(values: Mapping[str, Any]) -> bool:
    """A delete's ``force`` argument (boolean, default false); 400 when it is not one."""
    args = Args(values)
    force = bool(args.boolean("force", False))
    args.check()
    return force


__all__ = [
    "BATCH_LIMIT",
    "JSON_CONTENT_TYPE",
    "KEY_ATTR",
    "NOCACHE_HEADERS",
    "OPEN_ROUTES",
    "OPTIONS_KEY",
    "PERMISSION_ERRORS",
    "SIM_KEY",
    "TARGET_CHECKS",
    "WP_HEADERS",
    "Action",
    "BatchItem",
    "CrudRoutes",
    "Handler",
    "ResourceRoutes",
    "allow_header",
    "batch_item_id",
    "body_params",
    "collection_headers",
    "context_args",
    "created",
    "current_key",
    "encode",
    "error_response",
    "fields_filter",
    "filter_fields",
    "force_flag",
    "form_pairs",
    "is_authorised",
    "is_pretty",
    "item_routes",
    "make_auth_middleware",
    "make_error_middleware",
    "named_id",
    "needs_dicts",
    "options",
    "paging_headers",
    "query_pairs",
    "query_params",
    "require_permission",
    "require_user",
    "respond",
    "respond_collection",
    "respond_item",
    "route_id",
    "route_methods",
    "run_batch",
]
