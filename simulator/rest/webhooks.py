"""``/wp-json/wc/v3/webhooks``: WC_REST_Webhooks_Controller (v3 over v2 over v1).

Argument checks (400) come first, then the capability check (401 when
anonymous), then the controller's own checks (bad topic, URL, status, id).
The ``secret`` is write-only: accepted, never rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.params import Args
from simulator.render import ITEM_METHODS
from simulator.resources.declare import ordered, required, writable
from simulator.resources.webhooks import WEBHOOK
from simulator.rest.common import (
    SIM_KEY,
    Page,
    ResourceRoutes,
    View,
    force_flag,
    require_permission,
)
from simulator.wcdates import format_wall, wall_seconds
from simulator.webhooks import WebhookQuery
from simulator.webhooks.model import STATUSES, Webhook

if TYPE_CHECKING:
    from simulator.app import Simulator
    from simulator.settings import Settings

ROUTE = "webhooks"
STATUS_FILTERS = ("all", "active", "paused", "disabled")
ORDERBY = ("date", "id", "title")


def render_webhook(webhook: Webhook, settings: Settings) -> dict[str, Any]:
    """WC_REST_Webhooks_V2_Controller::prepare_item_for_response() with its links."""
    zone = settings.zone
    modified = webhook.date_modified
    base = f"{settings.api_url}/{ROUTE}"
    return ordered(
        WEBHOOK,
        {
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
            "date_modified": None
            if modified is None
            else format_wall(wall_seconds(modified, zone)),
            "date_modified_gmt": format_wall(modified),
            "_links": {
                # WordPress 6.7+ adds targetHints (the methods of the item route) to self links.
                "self": [
                    {"href": f"{base}/{webhook.id}", "targetHints": {"allow": list(ITEM_METHODS)}}
                ],
                "collection": [{"href": base}],
            },
        },
    )


class WebhookRoutes(ResourceRoutes):
    route = ROUTE
    exists_error = ("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.")
    # Webhooks live outside the store, and deliveries change them (failures, status).
    answers_keepable = False

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.webhooks = sim.webhooks

    def render(self, record: Webhook) -> dict[str, Any]:
        return render_webhook(record, self.sim.settings)

    def read_view(self, request: web.Request, args: Args) -> View:
        return View(self.render, cached=False)  # no cached renderings

    def find(self, item_id: int) -> Webhook:
        if item_id == 0:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        webhook = self.webhooks.get(item_id)
        if webhook is None:
            # A real WooCommerce 10.0.2 store: 404 here, 400 for an update of the same id.
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.", 404)
        return webhook

    def read_list_query(self, args: Args) -> WebhookQuery:
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
        query.status = "" if status == "all" else status
        # get_items() only computes an offset from `page` when no `offset` is given, and
        # never passes a given `offset` on: with one, the list starts at the first item.
        query.offset = (page - 1) * per_page if not offset else 0
        return query

    def find_page(self, query: WebhookQuery, args: Args) -> Page:
        result = self.webhooks.registry.search(query)
        # The webhooks controller counts its own pages (1 whenever per_page is 1).
        current_page = query.offset // query.limit + 1
        return Page(
            result.webhooks, result.total, query.limit, current_page, max_pages=result.max_pages
        )

    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """The schema's type checks (rest_invalid_param); the controller's checks come later."""
        args = Args(body)
        if creating:
            args.require(*required(WEBHOOK))
        fields: dict[str, Any] = {}
        # Either route's fields: a create checks a status too, then makes an active webhook.
        for name in writable(WEBHOOK):
            if args.has(name) and body[name] is not None:
                # The schema's enum: an unknown status is a 400 before the controller runs
                # (create would ignore it; a real WooCommerce 10.0.2 store refuses it).
                fields[name] = (
                    args.enum(name, STATUSES, "") if name == "status" else args.string(name)
                )
        args.check()
        return fields

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        webhook = self.webhooks.registry.create(
            topic=fields.get("topic"),
            delivery_url=fields.get("delivery_url"),
            secret=fields.get("secret"),
            name=fields.get("name"),
        )
        # The response is prepared before the ping; the ping runs before the answer goes out.
        payload = self.render(webhook)
        await self.webhooks.engine.ping(webhook)
        return payload

    async def batch_create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        # batch_items() calls create_item() directly: no required-argument check there.
        return await self.create_item(request, {"topic": "", "delivery_url": "", **body})

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.render(await self.webhooks.update(item_id, **fields))

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        webhook = self.webhooks.get(item_id)
        if webhook is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        payload = self.render(webhook)
        self.webhooks.delete(item_id)
        return payload

    def batch_id(self, item: Mapping[str, Any]) -> int:
        """(int) $item['id']: what is not a number is 0, which no webhook has."""
        try:
            return int(str(item.get("id", 0)).strip() or 0)
        except ValueError:
            return 0


def setup(app: web.Application, sim: Simulator) -> None:
    """Routes, and the sender's start/stop with the app."""
    service = sim.webhooks
    routes = WebhookRoutes(sim)
    assert app[SIM_KEY] is sim

    async def start_sending(_: web.Application) -> None:
        await service.start()

    async def stop_sending(_: web.Application) -> None:
        await service.close()

    app.on_startup.append(start_sending)
    app.on_cleanup.append(stop_sending)
    routes.register(app)
