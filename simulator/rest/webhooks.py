"""``/wp-json/wc/v3/webhooks``: WC_REST_Webhooks_Controller (v3 over v2 over v1).

Argument checks (400) come first, then the capability check (401 when
anonymous), then the controller's own checks (bad topic, URL, status, id).
The ``secret`` is write-only: accepted, never rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.faults import rest_fault_middleware
from simulator.params import Args
from simulator.phpquery import add_query_arg, urlencode_deep
from simulator.rest.common import (
    SIM_KEY,
    body_params,
    created,
    error_response,
    item_routes,
    query_params,
    require_user,
    respond,
    route_id,
    run_batch,
)
from simulator.wcdates import format_wall, wall_seconds
from simulator.webhooks import WebhookQuery, WebhookService, service_for
from simulator.webhooks.model import Webhook

if TYPE_CHECKING:
    from simulator.app import Simulator
    from simulator.settings import Settings

ROUTE = "webhooks"
STATUS_FILTERS = ("all", "active", "paused", "disabled")
ORDERBY = ("date", "id", "title")
_WRITABLE = ("name", "topic", "delivery_url", "secret", "status")


def render_webhook(webhook: Webhook, settings: Settings) -> dict[str, Any]:
    """WC_REST_Webhooks_V2_Controller::prepare_item_for_response() with its links."""
    zone = settings.zone
    modified = webhook.date_modified
    base = f"{settings.api_url}/{ROUTE}"
    return {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "topic": webhook.topic,
        "resource": webhook.resource,
        "event": webhook.event,
        "hooks": webhook.hooks,
        "delivery_url": webhook.delivery_url,
        "date_created": format_wall(wall_seconds(webhook.date_created, zone)),
        "date_created_gmt": format_wall(webhook.date_created),
        "date_modified": None if modified is None else format_wall(wall_seconds(modified, zone)),
        "date_modified_gmt": format_wall(modified),
        "_links": {
            "self": [{"href": f"{base}/{webhook.id}"}],
            "collection": [{"href": base}],
        },
    }


class WebhookRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def webhooks(self) -> WebhookService:
        return service_for(self.sim)

    def _render(self, webhook: Webhook) -> dict[str, Any]:
        return render_webhook(webhook, self.sim.settings)

    # ------------------------------------------------------------------ list
    async def list_items(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        args.enum("context", ("view", "edit"), "view")
        page = args.integer("page", 1, minimum=1) or 1
        per_page = args.integer("per_page", 10, minimum=1, maximum=100) or 10
        offset = args.integer("offset")
        query = WebhookQuery(
            search=args.string("search"),
            after=args.date("after"),
            before=args.date("before"),
            include=args.id_list("include"),
            exclude=args.id_list("exclude"),
            order=args.enum("order", ("asc", "desc"), "desc"),
            orderby=args.enum("orderby", ORDERBY, "date"),
            limit=per_page,
        )
        status = args.enum("status", STATUS_FILTERS, "all")
        args.check()
        require_user(request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        query.status = "" if status == "all" else status
        # get_items() only computes an offset from `page` when no `offset` is given, and
        # never passes a given `offset` on: with one, the list starts at the first item.
        query.offset = (page - 1) * per_page if not offset else 0
        result = self.webhooks.registry.search(query)
        current_page = query.offset // per_page + 1
        headers = self._paging_headers(request, result.total, result.max_pages, current_page)
        return respond(request, [self._render(w) for w in result.webhooks], headers=headers)

    def _paging_headers(
        self, request: web.Request, total: int, max_pages: int, page: int
    ) -> dict[str, str]:
        """X-WP-Total, X-WP-TotalPages and the one ``Link`` header, as the webhooks
        controller builds them (its page count is 1 whenever per_page is 1)."""
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max_pages)}
        base = add_query_arg(
            f"{self.sim.settings.api_url}/{ROUTE}", urlencode_deep(query_params(request))
        )
        links: list[str] = []
        if page > 1:
            links.append(f'<{add_query_arg(base, {"page": min(page - 1, max_pages)})}>; rel="prev"')
        if max_pages > page:
            links.append(f'<{add_query_arg(base, {"page": page + 1})}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    # ------------------------------------------------------------------ item
    async def get(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        args.enum("context", ("view", "edit"), "view")
        args.check()
        require_user(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        webhook_id = route_id(request)
        if webhook_id == 0:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.", 400)
        return respond(request, self._render(webhook))

    @staticmethod
    def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """The schema's type checks (rest_invalid_param); the controller's checks come later."""
        args = Args(body)
        if creating:
            args.require("topic", "delivery_url")
        fields: dict[str, Any] = {}
        for name in _WRITABLE:
            if args.has(name) and body[name] is not None:
                fields[name] = args.string(name)
        args.check()
        return fields

    async def _create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(body, creating=True)
        require_user(
            request,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        )
        if body.get("id"):
            raise RestError(
                "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400
            )
        webhook = self.webhooks.registry.create(
            topic=fields.get("topic"),
            delivery_url=fields.get("delivery_url"),
            secret=fields.get("secret"),
            name=fields.get("name"),
        )
        # The response is prepared before the ping; the ping runs before the answer goes out.
        payload = self._render(webhook)
        await self.webhooks.engine.ping(webhook)
        return payload

    async def _create_in_batch(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        # batch_items() calls create_item() directly: no required-argument check there.
        body = {"topic": "", "delivery_url": "", **body}
        return await self._create(request, body)

    async def create(self, request: web.Request) -> web.Response:
        payload = await self._create(request, await body_params(request))
        return created(request, payload, ROUTE)

    async def _update(
        self, request: web.Request, webhook_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self._fields(body, creating=False)
        require_user(
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        webhook = await self.webhooks.update(webhook_id, **fields)
        return self._render(webhook)

    async def update(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._update(request, route_id(request), body))

    async def _delete(
        self, request: web.Request, webhook_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        args = Args(values)
        force = args.boolean("force", False)
        args.check()
        require_user(
            request,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        payload = self._render(webhook)
        self.webhooks.delete(webhook_id)
        return payload

    async def delete(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        return respond(request, await self._delete(request, route_id(request), body))

    # ------------------------------------------------------------------ batch
    async def batch(self, request: web.Request) -> web.Response:
        async def update(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            return await self._update(req, _batch_id(item), item)

        async def delete(req: web.Request, item: dict[str, Any]) -> dict[str, Any]:
            # WooCommerce batches delete with force=true.
            return await self._delete(req, _batch_id(item), {"force": True})

        return await run_batch(request, create=self._create_in_batch, update=update, delete=delete)


def _batch_id(item: dict[str, Any]) -> int:
    """(int) $item['id']: what is not a number is 0, which no webhook has."""
    try:
        return int(str(item.get("id", 0)).strip() or 0)
    except ValueError:
        return 0


def setup(app: web.Application, sim: Simulator) -> None:
    """Routes, the REST fault middleware, and the sender's start/stop with the app."""
    service = service_for(sim)
    routes = WebhookRoutes(sim)
    assert app[SIM_KEY] is sim
    # Innermost middleware: after authentication, so faults hit authenticated calls too;
    # errors raised by handlers are rendered here so notices and truncation reach them.
    app.middlewares.append(rest_fault_middleware(service.faults, error_response))

    async def start_sending(_: web.Application) -> None:
        await service.start()

    async def stop_sending(_: web.Application) -> None:
        await service.close()

    app.on_startup.append(start_sending)
    app.on_cleanup.append(stop_sending)
    item_routes(
        app,
        ROUTE,
        collection_get=routes.list_items,
        collection_post=routes.create,
        item_get=routes.get,
        item_update=routes.update,
        item_delete=routes.delete,
        batch=routes.batch,
    )
