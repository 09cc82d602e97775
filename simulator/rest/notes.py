"""``/wp-json/wc/v3/orders/{order_id}/notes``: WC_REST_Order_Notes_Controller (v3 over v2, v1).

Recorded from a real WooCommerce 10.0.2 store: the list is not paged (no
``X-WP-*`` headers, ``per_page`` ignored) and filters on ``type``; a create needs
``note`` (an empty one is fine) and answers 201 with ``Location``; a delete needs
``force=true`` ("Webhooks do not support trashing.", the v1 controller's text, 501).
The capability checks of an item route ask about the order, so an unknown order
skips them and answers 404. Notes fire no webhook: the order is not saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError, missing_params
from simulator.params import Args
from simulator.resources.declare import ordered, required
from simulator.resources.notes import NOTE
from simulator.rest.body import read_fields
from simulator.rest.common import (
    KEY_ATTR,
    Action,
    body_params,
    context_args,
    query_params,
    require_permission,
    respond,
)
from simulator.rest.nested_options import note_options
from simulator.store.notes import NOTE_TYPES, SYSTEM_AUTHOR, Note
from simulator.wcdates import format_wall

if TYPE_CHECKING:
    from simulator.app import Simulator
    from simulator.models import Order

#: The item route's methods (the self link's targetHints).
NOTE_METHODS = ("GET", "DELETE")


def render_note(note: Note, api_url: str) -> dict[str, Any]:
    base = f"{api_url}/orders/{note.order_id}"
    data = {
        "id": note.id,
        "author": note.author,
        "date_created": format_wall(note.created_wall),
        "date_created_gmt": format_wall(note.created),
        "note": note.content,
        "customer_note": note.customer_note,
        "_links": {
            "self": [
                {
                    "href": f"{base}/notes/{note.id}",
                    "targetHints": {"allow": list(NOTE_METHODS)},
                }
            ],
            "collection": [{"href": f"{base}/notes"}],
            "up": [{"href": base}],
        },
    }
    return ordered(NOTE, data)


def read_note(body: dict[str, Any]) -> dict[str, Any]:
    """A create's fields, as NOTE declares them (``note`` required, an empty one is fine)."""
    missing = [name for name in required(NOTE) if name not in body]
    if missing:
        raise missing_params(missing)
    args = Args(body)
    fields = read_fields(args, NOTE, creating=True)
    args.check()
    return fields


def _order_id(request: web.Request) -> int:
    return int(request.match_info["order_id"])


def _order(sim: Simulator, order_id: int, code: str) -> Order:
    """The order the route names; ``code`` is the controller's error code for none."""
    order = sim.store.orders.get(order_id)
    if order is None:
        raise RestError(code, "Invalid order ID.", 404)
    return order


def _note(sim: Simulator, order: Order, note_id: int) -> Note:
    note = sim.store.notes.get(note_id)
    if note is None or note.order_id != order.id:
        raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return note


class NoteRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def _render(self, note: Note) -> dict[str, Any]:
        return render_note(note, self.sim.settings.api_url)

    async def list_items(self, request: web.Request) -> web.Response:
        args = context_args(request)
        kind = args.enum("type", NOTE_TYPES, "any")
        args.check()
        require_permission(request, "list")
        order = _order(self.sim, _order_id(request), "woocommerce_rest_shop_order_invalid_id")
        notes = self.sim.store.notes.of_order(order.id, kind)
        return respond(request, [self._render(note) for note in notes])

    async def create(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        fields = read_note(body)
        text = str(fields["note"])
        customer = bool(fields.get("customer_note"))
        by_user = bool(fields.get("added_by_user"))
        require_permission(request, "create")
        if body.get("id"):
            raise RestError(
                "woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400
            )
        order = _order(self.sim, _order_id(request), "woocommerce_rest_order_invalid_id")
        note = self.sim.store.add_note(
            order.id,
            text,
            customer_note=customer,
            author=self._user_name(request) if by_user else SYSTEM_AUTHOR,
        )
        location = f"{self.sim.settings.api_url}/orders/{order.id}/notes/{note.id}"
        return respond(request, self._render(note), status=201, headers={"Location": location})

    def _user_name(self, request: web.Request) -> str:
        """The display name of the key's user (add_order_note() with added_by_user)."""
        key = request.get(KEY_ATTR)
        user = self.sim.store.customers.get(key.user_id) if key is not None else None
        return user.display_name if user is not None else SYSTEM_AUTHOR

    def _check_item_permission(self, request: web.Request, action: Action) -> None:
        """The item routes check the caller's capability only when the order exists."""
        if _order_id(request) in self.sim.store.orders:
            require_permission(request, action)

    async def get(self, request: web.Request) -> web.Response:
        context_args(request).check()
        self._check_item_permission(request, "view")
        order = _order(self.sim, _order_id(request), "woocommerce_rest_order_invalid_id")
        return respond(request, self._render(_note(self.sim, order, int(request.match_info["id"]))))

    async def delete(self, request: web.Request) -> web.Response:
        values = {**query_params(request), **(await body_params(request))}
        args = Args(values)
        force = bool(args.boolean("force", False))
        args.check()
        self._check_item_permission(request, "delete")
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        order = _order(self.sim, _order_id(request), "woocommerce_rest_order_invalid_id")
        note = _note(self.sim, order, int(request.match_info["id"]))
        payload = self._render(note)
        self.sim.store.notes.delete(note.id)
        return respond(request, payload)


def setup(app: web.Application, sim: Simulator) -> None:
    routes = NoteRoutes(sim)
    collection = r"/wc/v3/orders/{order_id:\d+}/notes"
    item = collection + r"/{id:\d+}"
    router = app.router
    router.add_route("GET", collection, routes.list_items)
    router.add_route("POST", collection, routes.create)
    router.add_route("OPTIONS", collection, note_options)
    router.add_route("GET", item, routes.get)
    router.add_route("DELETE", item, routes.delete)
    router.add_route("OPTIONS", item, note_options)
