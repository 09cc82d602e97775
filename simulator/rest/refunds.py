"""``orders/{order_id}/refunds`` and ``refunds``: WC_REST_Order_Refunds_Controller and
WC_REST_Refunds_Controller.

Recorded from a real WooCommerce 10.0.2 store:

- the list takes the orders collection's arguments less ``status``, ``customer`` and
  ``product`` (so ``status=anything`` is ignored), is paged like orders, and is empty
  (200) for an order that does not exist;
- the controller's own errors are WP_Errors whose data is a number: the answer is 500
  with ``"data": 404`` (or 400, 500) whatever that number says;
- ``Location`` of a create keeps the route's pattern (``orders/(?P<order_id>[\\d]+)/refunds/N``:
  WC_REST_CRUD_Controller formats its rest_base, which is that pattern);
- a delete needs no ``force`` (its default is true); ``force=false`` is 501;
- the top-level list adds ``parent_id`` after ``id``, its links point at the nested route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.params import Args, absint
from simulator.render import format_money
from simulator.resources.declare import ordered
from simulator.resources.refunds import REFUND, TOP_REFUND
from simulator.rest.body import meta_fields
from simulator.rest.common import (
    body_params,
    context_args,
    query_params,
    require_permission,
    respond,
    respond_collection,
)
from simulator.rest.nested_options import refund_options, top_refund_options
from simulator.rest.orders import filter_meta, post_list_args
from simulator.store.refunds import Refund, RefundFailed
from simulator.wcdates import format_wall

if TYPE_CHECKING:
    from simulator.app import Simulator
    from simulator.store import PostQuery

ORDERBY = ("date", "id", "include", "title", "slug", "modified")
ITEM_METHODS = ("GET", "DELETE")
#: rest_base of the nested controller, as its Location header shows it.
PATTERN_BASE = "orders/(?P<order_id>[\\d]+)/refunds"


def invalid_refund_id() -> RestError:
    return RestError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)


class RefundRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------------ rendering
    def render(self, refund: Refund, dp: int, *, top: bool = False) -> dict[str, Any]:
        renderer = self.sim.renderer
        api = self.sim.settings.api_url
        order = f"{api}/orders/{refund.parent_id}"
        data: dict[str, Any] = {"id": refund.id}
        if top:
            data["parent_id"] = refund.parent_id
        data.update(
            {
                "date_created": format_wall(refund.created_wall),
                "date_created_gmt": format_wall(refund.created),
                "amount": format_money(refund.amount, dp),
                "reason": refund.reason,
                "refunded_by": refund.refunded_by,
                "refunded_payment": refund.refunded_payment,
                "meta_data": [
                    {"id": m.id, "key": m.key, "value": m.value} for m in refund.meta_data
                ],
                "line_items": [renderer.line_item(item, dp) for item in refund.line_items],
                "shipping_lines": [
                    renderer.shipping_line(line, dp, display_meta=True)
                    for line in refund.shipping_lines
                ],
                "tax_lines": [],
                "fee_lines": [
                    renderer.fee_line(line, dp, display_meta=True) for line in refund.fee_lines
                ],
                "_links": {
                    "self": [
                        {
                            "href": f"{order}/refunds/{refund.id}",
                            "targetHints": {"allow": list(ITEM_METHODS)},
                        }
                    ],
                    "collection": [{"href": f"{order}/refunds"}],
                    "up": [{"href": order}],
                },
            }
        )
        return ordered(TOP_REFUND if top else REFUND, data)

    def _dp(self, args: Args) -> int:
        # Registered with absint and no validator, as for orders: "abc" is 0.
        if not args.has("dp"):
            return self.sim.settings.price_decimals
        dp = absint(args.values["dp"])
        args.sanitized["dp"] = dp
        return dp

    # ------------------------------------------------------------------ lists
    async def list_nested(self, request: web.Request) -> web.Response:
        return self._list(request, int(request.match_info["order_id"]))

    async def list_top(self, request: web.Request) -> web.Response:
        return self._list(request, None)

    def _list(self, request: web.Request, order_id: int | None) -> web.Response:
        params = query_params(request)
        args = Args(params)
        query = post_list_args(args, self.sim, ORDERBY)
        dp = self._dp(args)
        args.boolean("order_item_display_meta", False)
        args.check()
        require_permission(request, "list")
        matches = self._query(order_id, query)
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        page = matches[start : start + query.per_page]
        # Custom order tables count only when the page has rows (as for orders).
        total = len(matches) if page else 0
        route = "refunds" if order_id is None else f"orders/{order_id}/refunds"
        link_query = args.link_query()
        if page:
            link_query.setdefault("dp", dp)
        return respond_collection(
            request,
            page,
            lambda refund: filter_meta(self.render(refund, dp, top=order_id is None), params),
            lambda refund: b"",
            route=route,
            total=total,
            per_page=query.per_page,
            page=query.page,
            use_cache=False,
            link_query=link_query,
        )

    def _query(self, order_id: int | None, query: PostQuery) -> list[Refund]:
        refunds: list[Refund] = list(self.sim.store.refunds.values())
        if order_id is not None:
            refunds = [r for r in refunds if r.parent_id == order_id]
        matches = [r for r in refunds if self._matches(r, query)]
        descending = query.order == "desc"
        if query.orderby == "include" and query.include:
            position = {ident: n for n, ident in enumerate(query.include)}
            matches.sort(key=lambda r: position.get(r.id, 0))
        elif query.orderby in ("date", "modified"):
            matches.sort(key=lambda r: (r.created, r.id), reverse=descending)
        else:
            matches.sort(key=lambda r: r.id, reverse=descending)
        return matches

    @staticmethod
    def _matches(refund: Refund, query: PostQuery) -> bool:
        if query.include and refund.id not in query.include:
            return False
        if refund.id in query.exclude:
            return False
        if query.parent and refund.parent_id not in query.parent:
            return False
        if refund.parent_id in query.parent_exclude:
            return False
        dates = query.dates
        created = refund.created if dates.gmt else refund.created_wall
        for bound, after in ((dates.after, True), (dates.before, False)):
            if bound is not None and (created <= bound if after else created >= bound):
                return False
        for bound, after in ((dates.modified_after, True), (dates.modified_before, False)):
            if bound is not None and (created <= bound if after else created >= bound):
                return False
        return not query.search

    # ------------------------------------------------------------------ one refund
    def _refund(self, request: web.Request) -> Refund:
        """The refund the route names, checked against its order as the controller does:
        an unknown id is a 404; an order that is not there, or not its parent, a 500."""
        refund_id = int(request.match_info["id"])
        order_id = int(request.match_info["order_id"])
        refund = self.sim.store.refunds.get(refund_id)
        if refund is None and refund_id not in self.sim.store.orders:
            raise invalid_refund_id()
        if order_id not in self.sim.store.orders:
            raise RefundFailed("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        if refund is None or refund.parent_id != order_id:
            raise RefundFailed(
                "woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.", 404
            )
        return refund

    async def get(self, request: web.Request) -> web.Response:
        args = context_args(request)
        dp = self._dp(args)
        args.check()
        require_permission(request, "view")
        refund = self._refund(request)
        return respond(request, filter_meta(self.render(refund, dp), query_params(request)))

    async def delete(self, request: web.Request) -> web.Response:
        values = {**query_params(request), **(await body_params(request))}
        args = Args(values)
        force = bool(args.boolean("force", True))
        args.check()
        require_permission(request, "delete")
        refund_id = int(request.match_info["id"])
        if refund_id not in self.sim.store.refunds:
            raise invalid_refund_id()
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported",
                "The shop_order_refund does not support trashing.",
                501,
            )
        # The answer is rendered (and may be the order check's error), then the refund
        # is deleted either way: the route's order_id does not guard the delete.
        try:
            refund = self._refund(request)
        except RefundFailed:
            self.sim.store.refund_table.delete(refund_id)
            raise
        payload = self.render(refund, self.sim.settings.price_decimals)
        self.sim.store.refund_table.delete(refund.id)
        return respond(request, payload)

    async def create(self, request: web.Request) -> web.Response:
        body = await body_params(request)
        args = Args(body)
        for name in ("amount", "reason"):
            args.string(name)
        args.integer("refunded_by")
        meta = meta_fields(args)
        for name in ("shipping_lines", "fee_lines"):
            args.objects(name)
        api_refund = args.boolean("api_refund", True)
        api_restock = args.boolean("api_restock", True)
        args.check()
        require_permission(request, "create")
        if body.get("id"):
            raise RestError(
                "woocommerce_rest_shop_order_refund_exists",
                "Cannot create existing shop_order_refund.",
                400,
            )
        refund = self.sim.store.refund_table.create(
            int(request.match_info["order_id"]),
            amount=body.get("amount"),
            reason=body.get("reason") or None,
            line_items=body.get("line_items"),
            refund_payment=bool(api_refund),
            restock=bool(api_restock),
            meta=meta,
        )
        payload = self.render(refund, self.sim.settings.price_decimals)
        location = f"{self.sim.settings.api_url}/{PATTERN_BASE}/{refund.id}"
        return respond(request, payload, status=201, headers={"Location": location})


def setup(app: web.Application, sim: Simulator) -> None:
    routes = RefundRoutes(sim)
    collection = r"/wc/v3/orders/{order_id:\d+}/refunds"
    item = collection + r"/{id:\d+}"
    router = app.router
    router.add_route("GET", collection, routes.list_nested)
    router.add_route("POST", collection, routes.create)
    router.add_route("OPTIONS", collection, refund_options)
    router.add_route("GET", item, routes.get)
    router.add_route("DELETE", item, routes.delete)
    router.add_route("OPTIONS", item, refund_options)
    router.add_route("GET", "/wc/v3/refunds", routes.list_top)
    router.add_route("OPTIONS", "/wc/v3/refunds", top_refund_options)
