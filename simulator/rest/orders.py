"""``/wp-json/wc/v3/orders``: WC_REST_Orders_Controller (posts storage semantics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError
from simulator.models import ORDER_STATUS_FILTERS, Order
from simulator.params import Args, absint, parse_list
from simulator.resources.orders import ORDER
from simulator.rest.body import read_fields
from simulator.rest.common import (
    Page,
    ResourceRoutes,
    View,
    force_flag,
    require_permission,
)
from simulator.store import MAX_LINE_ITEMS, DateFilter, PostQuery, check_line_item_count
from simulator.wcdates import filter_wall

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "orders"
ORDERBY = ("date", "id", "include", "title", "slug", "modified")


def date_filter(args: Args, sim: Simulator) -> DateFilter:
    """after/before/modified_* as site-local wall seconds, per WP_Date_Query.

    The value is read in the site's zone unless it carries an offset, then turned
    into site-local wall time. With ``dates_are_gmt`` the posts storage compares
    that *local* value with the GMT column: on a non-UTC site the window is off by
    the site's offset. That is what a real store does (derived from the code), so
    we do it too.
    """
    zone = sim.settings.zone
    bounds: dict[str, int | None] = {}
    for name in ("after", "before", "modified_after", "modified_before"):
        value = args.date(name)
        bounds[name] = filter_wall(value, zone) if value is not None else None
    gmt = bool(args.boolean("dates_are_gmt", False))
    return DateFilter(gmt=gmt, **bounds)


def _absint_or_none(value: int | None) -> int | None:
    return None if value is None else abs(value)


def post_list_args(args: Args, sim: Simulator, orderby: tuple[str, ...]) -> PostQuery:
    """Parameters shared by the orders and products collections."""
    args.enum("context", ("view", "edit"), "view")
    return PostQuery(
        page=args.integer("page", 1, minimum=1) or 1,
        per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
        # The queries take absint(offset): -1 skips one record, like 1.
        offset=_absint_or_none(args.integer("offset")),
        order=args.enum("order", ("asc", "desc"), "desc"),
        orderby=args.enum("orderby", orderby, "date"),
        include=args.id_list("include"),
        exclude=frozenset(args.id_list("exclude")),
        parent=args.id_list("parent"),
        parent_exclude=frozenset(args.id_list("parent_exclude")),
        search=args.string("search"),
        dates=date_filter(args, sim),
    )


def _meta_filter(params: Mapping[str, Any], name: str) -> list[str] | None:
    """The keys of ``include_meta``/``exclude_meta`` as WooCommerce 10.0.2 reads them.

    Recorded: ``exclude_meta=a,b`` excludes both keys, but ``include_meta=a,b`` is
    one key named "a,b" (only the array form ``include_meta[]=a&include_meta[]=b``
    names several).
    """
    if name not in params:
        return None
    raw = params[name]
    if name == "include_meta" and isinstance(raw, str):
        return [raw]
    return [str(v) for v in parse_list(raw)]


def filter_meta(data: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """``include_meta`` / ``exclude_meta`` applied to one rendered record (orders, products)."""
    include_meta = _meta_filter(params, "include_meta")
    exclude_meta = _meta_filter(params, "exclude_meta")
    if include_meta is not None:
        # include_meta wins: exclude_meta is not looked at when both are given.
        data["meta_data"] = [m for m in data["meta_data"] if m["key"] in include_meta]
    elif exclude_meta is not None:
        data["meta_data"] = [m for m in data["meta_data"] if m["key"] not in exclude_meta]
    return data


def filters_meta(params: Mapping[str, Any]) -> bool:
    return "include_meta" in params or "exclude_meta" in params


def coupon_lines(args: Args, name: str) -> list[dict[str, Any]] | None:
    """The coupons a body asks for: given (even empty) they replace the order's; null
    is taken as absent and keeps them. Each line is passed whole, since the store
    refuses an ``id`` (read-only) with its own message."""
    if args.values[name] is None:
        return None
    coupons = args.objects(name)
    for position, coupon in enumerate(coupons):
        coupon.string("code")
        args.nested(name, coupon, position)
    return [dict(c.values) for c in coupons]


class OrderRoutes(ResourceRoutes):
    route = ROUTE
    exists_error = ("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.")
    invalid_id_error = ("woocommerce_rest_shop_order_invalid_id", "Invalid ID.")

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def _dp(self, args: Args) -> int:
        # The orders controller registers dp with sanitize_callback absint and no
        # validator: "abc" is 0 and "2.7" is 2, never an error.
        if not args.has("dp"):
            return self.sim.settings.price_decimals
        dp = absint(args.values["dp"])
        args.sanitized["dp"] = dp
        return dp

    def render(self, record: Order) -> dict[str, Any]:
        return self.sim.renderer.order(record)

    def render_bytes(self, record: Order) -> bytes:
        return self.sim.renderer.order_bytes(record)

    def page_bytes(self, records: Sequence[Order]) -> list[bytes]:
        # Most orders hold their JSON already: read it in one pass, render the others.
        order_bytes = self.sim.renderer.order_bytes
        return [order.cached or order_bytes(order) for order in records]

    def find(self, item_id: int) -> Order:
        return self.sim.store.get_order(item_id)

    def read_view(self, request: web.Request, args: Args) -> View:
        """``dp`` and include_meta/exclude_meta reshape the orders; else the cache serves."""
        dp = self._dp(args)
        params = args.values
        default = dp == self.sim.settings.price_decimals and not filters_meta(params)
        return View(lambda order: filter_meta(self.sim.renderer.order(order, dp), params), default)

    def read_list_query(self, args: Args) -> PostQuery:
        query = post_list_args(args, self.sim, ORDERBY)
        statuses = args.enum_list("status", ORDER_STATUS_FILTERS)
        query.statuses = frozenset(statuses) if statuses else None
        query.customer = args.integer("customer")
        query.product = args.integer("product")
        args.boolean("order_item_display_meta", False)
        return query

    def find_page(self, query: PostQuery, args: Args) -> Page:
        records, total = self.sim.store.query_orders(query)
        if not records:
            # Custom order tables count only when the page has rows: a page past the
            # end reports X-WP-Total 0 (posts storage would still give the total).
            total = 0
        link_query = self._link_query(args, self._dp(args), rendered=bool(records))
        return Page(records, total, query.per_page, query.page, link_query)

    @staticmethod
    def _link_query(args: Args, dp: int, *, rendered: bool) -> dict[str, Any]:
        """The query the paging links carry, as the orders controller leaves it.

        prepare_objects_query() puts the statuses back into the request ("for the
        next/prev links"), so ``status[0]=any`` joins them when not given; rendering
        an order sets ``dp`` and ``context`` on the request, so they join too, but only
        when the page has orders (recorded from WooCommerce 10.0.2, in that order).
        """
        query = args.link_query()
        query.setdefault("status", ["any"])
        if rendered:
            query.setdefault("dp", dp)
            query.setdefault("context", "view")
        return query

    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        check_line_item_count(body.get("line_items"))  # before reading 150k of them
        args = Args(body)
        fields = read_fields(args, ORDER, creating=creating, readers={"coupon_lines": coupon_lines})
        args.check()
        # manual_update: the status note is the key's user's, not the system's.
        if not fields.get("manual_update"):
            fields.pop("manual_update", None)
        return fields

    def check_batch(self, groups: Mapping[str, list[Any]]) -> None:
        """At most MAX_LINE_ITEMS line items in a whole batch, as in one order: 100
        orders of 1000 lines would hold the loop for seconds (creating and rendering)."""
        total = 0
        for name in ("create", "update"):
            for item in groups.get(name, ()):
                lines = item.get("line_items") if isinstance(item, dict) else None
                total += len(lines) if isinstance(lines, list | dict) else 0
        if total > MAX_LINE_ITEMS:
            raise RestError(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {MAX_LINE_ITEMS} line items for this request.",
                413,
            )

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        created_via = fields.pop("created_via", None) or "rest-api"
        return self.render(self.sim.store.create_order(fields, created_via=created_via))

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.render(self.sim.store.update_order(item_id, fields))

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        store = self.sim.store
        # Either way the answer is the order as it was before (WooCommerce renders it
        # first, then trashes or deletes it).
        payload = self.render(self.find(item_id))
        if force:
            store.delete_order(item_id)
        else:
            store.trash_order(item_id)
        return payload


def setup(app: web.Application, sim: Simulator) -> None:
    OrderRoutes(sim).register(app)
