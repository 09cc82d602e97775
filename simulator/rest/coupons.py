"""``/wp-json/wc/v3/coupons``: WC_REST_Coupons_Controller of WooCommerce 10.0.2."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator import coupon_render
from simulator.errors import RestError
from simulator.params import MAX_AMOUNT, Args, as_amount, parse_list
from simulator.resources.coupons import COUPON
from simulator.resources.declare import writable
from simulator.rest.body import meta_fields
from simulator.rest.common import (
    Page,
    ResourceRoutes,
    View,
    force_flag,
    require_permission,
)
from simulator.rest.orders import date_filter
from simulator.store.coupons import (
    DISCOUNT_TYPES,
    KNOWN_STATUSES,
    Coupon,
    CouponQuery,
    format_decimal,
    is_numeric,
)

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "coupons"
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
ID_LISTS = (
    "product_ids",
    "excluded_product_ids",
    "product_categories",
    "excluded_product_categories",
)
BOOLEANS = ("individual_use", "free_shipping", "exclude_sale_items")
INTEGERS = ("usage_limit", "usage_limit_per_user", "limit_usage_to_x_items")
STRINGS = ("code", "amount", "status", "description", "minimum_amount", "maximum_amount")
#: The writable fields in the schema's order: prepare_object_for_database() sets them
#: in this order, and a setter's check sees what was set before it.
FIELD_ORDER = tuple(
    # The store keeps the expiry as ``expires``; date_expires_gmt is accepted and ignored.
    "expires" if name == "date_expires" else name
    for name in writable(COUPON)
    if name != "date_expires_gmt"
)
#: The instants a coupon may expire at: a day inside years 1 and 9999, so its local
#: reading exists in every zone.
EARLIEST = int(datetime(1, 1, 2, tzinfo=UTC).timestamp())
LATEST = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())
_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(?:\.\d+)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
#: Tags wp_filter_post_kses() keeps in a description (the common ones); others lose
#: their tags and keep their text.
_KEPT_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "i",
        "img",
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")


def kses(text: str) -> str:
    """wp_filter_post_kses(), for the tags a description plausibly holds."""
    return _TAG.sub(lambda m: m.group(0) if m.group(1).lower() in _KEPT_TAGS else "", text)


def expiry(value: Any, sim: Simulator) -> int | str:
    """WC_Data::set_date_prop(): a timestamp, or a date read in the store's zone unless it
    names an offset; "" clears. Anything else is 1970-01-01 00:00 in the store's zone
    (recorded: ``"soon"`` expires at the local epoch midnight)."""
    zone = sim.settings.zone
    text = str(value).strip()
    if text in ("", "0"):
        return ""  # PHP's empty(): no expiry
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    match = _DATE.match(text)
    moment: datetime | None = None
    if match is not None:
        year, month, day = (int(g) for g in match.groups()[:3])
        hour, minute, second = (int(g or 0) for g in match.groups()[3:6])
        try:
            naive = datetime(year, month, day, hour, minute, second)
        except ValueError:
            naive = None
        if naive is not None:
            suffix = match.group(7)
            if suffix is None:
                moment = naive.replace(tzinfo=zone)
            elif suffix == "Z":
                moment = naive.replace(tzinfo=UTC)
            else:
                digits = suffix[1:].replace(":", "")
                sign = 1 if suffix[0] == "+" else -1
                offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
                return int(naive.replace(tzinfo=UTC).timestamp()) - offset
    if moment is None:
        moment = datetime(1970, 1, 1, tzinfo=zone)
    return int(moment.timestamp())


def _id_list(args: Args, name: str) -> list[int] | None:
    """An array of integers as rest_validate_value_from_schema takes it (a string is a
    comma-separated list)."""
    if not args.has(name) or args.values[name] is None:
        return None
    raw = args.values[name]
    items = list(raw.values()) if isinstance(raw, dict) else parse_list(raw)
    ids: list[int] = []
    for position, item in enumerate(items):
        if isinstance(item, bool) or not (
            isinstance(item, int) or (isinstance(item, str) and re.fullmatch(r"-?\d+", item))
        ):
            args.problem(name, "rest_invalid_type", f"{name}[{position}] is not of type integer.")
            return None
        ids.append(int(item))
    return ids


def _string_list(args: Args, name: str) -> list[str] | None:
    if not args.has(name) or args.values[name] is None:
        return None
    raw = args.values[name]
    items = list(raw.values()) if isinstance(raw, dict) else parse_list(raw)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            args.problem(name, "rest_invalid_type", f"{name}[{position}] is not of type string.")
            return None
    return [str(item) for item in items]


class CouponRoutes(ResourceRoutes):
    route = ROUTE
    exists_error = ("woocommerce_rest_shop_coupon_exists", "Cannot create existing shop_coupon.")
    invalid_id_error = ("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.")

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------------ reading
    def render(self, record: Coupon) -> dict[str, Any]:
        return coupon_render.coupon(self.sim.renderer, record)

    def render_bytes(self, record: Coupon) -> bytes:
        return coupon_render.coupon_bytes(self.sim.renderer, record)

    def find(self, item_id: int) -> Coupon:
        return self.sim.store.get_coupon(item_id)

    def read_view(self, request: web.Request, args: Args) -> View:
        """A coupon renders alike in both contexts; an edit read skips the cache."""
        context = args.enum("context", ("view", "edit"), "view")
        return View(self.render, context == "view")

    def read_list_query(self, args: Args) -> CouponQuery:
        args.enum("context", ("view", "edit"), "view")
        query = CouponQuery(
            page=args.integer("page", 1, minimum=1) or 1,
            per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
            search=args.string("search"),
            exclude=frozenset(args.id_list("exclude")),
            include=args.id_list("include"),
            order=args.enum("order", ("asc", "desc"), "desc"),
            orderby=args.enum("orderby", ORDERBY, "date"),
            dates=date_filter(args, self.sim),
        )
        offset = args.integer("offset")
        query.offset = None if offset is None else abs(offset)
        # sanitize_text_field() trims the code; a blank one filters nothing, any other
        # lists the one published coupon with that code, in any case (none: no rows).
        code = args.string("code").strip()
        if args.has("code"):
            args.sanitized["code"] = code
        if code:
            query.code_id = self.sim.store.coupon_id_by_code(code)
        # ``status`` is no registered argument, yet the v3 controller hands it to WP_Query,
        # which ignores statuses it does not know (recorded: ``status=bogus`` lists all).
        raw_status = args.values.get("status")
        if isinstance(raw_status, str | list):
            named = {str(s).strip() for s in parse_list(raw_status)}
            if "any" in named:
                query.statuses = frozenset({"any"})
            elif named & KNOWN_STATUSES:
                query.statuses = frozenset(named & KNOWN_STATUSES)
        return query

    def find_page(self, query: CouponQuery, args: Args) -> Page:
        records, total = self.sim.store.query_coupons(query)
        return Page(records, total, query.per_page, query.page, args.link_query())

    # ------------------------------------------------------------------ writing
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        values: dict[str, Any] = {}
        for name in STRINGS:
            if args.has(name) and body[name] is not None:
                values[name] = args.string(name)
        for name in ("amount", "minimum_amount", "maximum_amount"):
            # Any text is taken (what is no number is stored as 0), but an amount past
            # what a double keeps to the cent is refused, as for every money field here.
            kept = format_decimal(values.get(name, ""))
            number = as_amount(kept) if is_numeric(kept) else None
            if number is not None and number.copy_abs() >= MAX_AMOUNT:
                args.problem(
                    name,
                    "rest_out_of_bounds",
                    f"{name} must be between -{MAX_AMOUNT:f} and {MAX_AMOUNT:f}.",
                )
        if args.has("discount_type"):
            values["discount_type"] = args.enum("discount_type", DISCOUNT_TYPES, "fixed_cart")
        for name in BOOLEANS:
            if args.has(name) and body[name] is not None:
                values[name] = args.boolean(name, False)
        for name in INTEGERS:
            if args.has(name) and body[name] is not None:
                values[name] = args.integer(name)
        for name in ID_LISTS:
            ids = _id_list(args, name)
            if ids is not None:
                values[name] = ids
        emails = _string_list(args, "email_restrictions")
        if emails is not None:
            values["email_restrictions"] = emails
        if args.has("date_expires") and body["date_expires"] is not None:
            raw = body["date_expires"]
            if not isinstance(raw, str):
                args.problem(
                    "date_expires", "rest_invalid_type", "date_expires is not of type null,string."
                )
            else:
                expires = expiry(raw, self.sim)
                if isinstance(expires, int) and not EARLIEST <= expires <= LATEST:
                    # Beyond what a date can show in any zone (years 1 to 9999).
                    args.problem("date_expires", "rest_invalid_date", "Invalid date.")
                values["expires"] = expires
        meta = meta_fields(args)
        if meta is not None:
            values["meta_data"] = meta
        args.check()
        if "description" in values:
            values["description"] = kses(values["description"])
        return {name: values[name] for name in FIELD_ORDER if name in values}

    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        # The create route requires ``code`` (a batch item is not checked for it).
        if "code" not in body and request.path.endswith("/coupons"):
            args = Args(body)
            args.require("code")
        return await super().create_item(request, body)

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        if not str(fields.get("code") or "").strip():
            raise RestError(
                "woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.", 400
            )
        return self.render(self.sim.store.create_coupon(fields))

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.render(self.sim.store.update_coupon(item_id, fields))

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        store = self.sim.store
        # Either way the answer is the coupon as it was read before ("publish" on a trash).
        payload = self.render(self.find(item_id))
        if force:
            store.delete_coupon(item_id)
        else:
            store.trash_coupon(item_id)
        return payload


def setup(app: web.Application, sim: Simulator) -> None:
    CouponRoutes(sim).register(app)
