"""``/wp-json/wc/v3/products``: WC_REST_Products_Controller (simple products)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.models import PRODUCT_TYPES, STOCK_STATUSES, Product
from simulator.params import Args, parse_list
from simulator.resources.products import PRODUCT
from simulator.rest.body import Reader, read_fields
from simulator.rest.common import (
    Page,
    ResourceRoutes,
    View,
    force_flag,
    require_permission,
)
from simulator.rest.orders import filter_meta, filters_meta, post_list_args
from simulator.store import PostQuery, money

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "products"
#: WooCommerce 10.0.2's orderby enum (the real one repeats some names; kept once).
ORDERBY = (
    "date",
    "id",
    "include",
    "title",
    "slug",
    "modified",
    "popularity",
    "rating",
    "post__in",
    "price",
    "sales",
    "menu_order",
    "random",
)
#: The orderby enum as WooCommerce 10.0.2 registers it, repeats and all: its error
#: message lists every entry (recorded).
ORDERBY_REGISTERED = (
    *ORDERBY,
    "popularity",
    "rating",
    "menu_order",
    "price",
    "popularity",
    "rating",
)
#: The status enums as WooCommerce 10.0.2 lists them (its error messages keep this order).
STATUS_FILTERS = ("any", "future", "trash", "draft", "pending", "private", "publish")
EXCLUDE_STATUSES = STATUS_FILTERS[1:]
#: Taxonomy filters: this store has no shipping classes or brands, so any value
#: names a term that does not exist and nothing matches (as on a real store).
TERM_FILTERS = ("shipping_class", "brand")


#: Fields the v3 products controller adds after the others it was asked for.
LATE_FIELDS = (
    "stock_status",
    "has_options",
    "post_password",
    "global_unique_id",
    "permalink_template",
    "generated_slug",
)


def in_requested_order(data: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """With ``_fields``, get_product_data() builds the fields in the order asked for, and
    then the v3 ones (recorded: ``_fields=id,variations,price`` keeps that order)."""
    if "_fields" not in params:
        return data
    fields = [str(f) for f in parse_list(params["_fields"])]
    asked = list(dict.fromkeys(f.split(".", 1)[0] for f in fields))
    order = [k for k in asked if k in data and k not in LATE_FIELDS]
    order += [k for k in LATE_FIELDS if k in data and k in asked]
    order += [k for k in data if k not in order]
    return {key: data[key] for key in order}


def _string_list(args: Args, name: str) -> None:
    """An array of strings; WordPress also takes a comma-separated string (rest_is_array)."""
    raw = args.values.get(name)
    if raw is None or isinstance(raw, str):
        return
    if not isinstance(raw, list):
        args.problem(name, "rest_invalid_type", f"{name} is not of type array.")
        return
    for position, item in enumerate(raw):
        if not isinstance(item, str):
            where = f"{name}[{position}]"
            args.problem(name, "rest_invalid_type", f"{where} is not of type string.")
            return


def term_refs(args: Args, name: str) -> list[dict[str, Any]]:
    """``categories``/``tags``: each entry whole, its id checked; the store picks a tag
    by ``name`` when one is given, else by id."""
    terms = args.objects(name)
    for position, term in enumerate(terms):
        term.integer("id")
        args.nested(name, term, position)
    return [dict(t.values) for t in terms]


def attribute_entries(args: Args, name: str) -> list[dict[str, Any]]:
    """``attributes``/``default_attributes``: each entry whole, its typed keys checked."""
    entries = args.objects(name)
    for position, entry in enumerate(entries):
        entry.string("name")
        if name == "attributes":
            entry.integer("position")
            entry.boolean("visible")
            entry.boolean("variation")
            _string_list(entry, "options")
        else:
            entry.string("option")
        args.nested(name, entry, position)
    return [dict(entry.values) for entry in entries]


#: The fields read their own way: passed to the store whole, as it reads them.
READERS: dict[str, Reader] = {
    "categories": term_refs,
    "tags": term_refs,
    "attributes": attribute_entries,
    "default_attributes": attribute_entries,
}


class ProductRoutes(ResourceRoutes):
    route = ROUTE
    exists_error = ("woocommerce_rest_product_exists", "Cannot create existing product.")
    invalid_id_error = ("woocommerce_rest_product_invalid_id", "Invalid ID.")

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def render(self, record: Product) -> dict[str, Any]:
        return self.sim.renderer.product(record)

    def render_bytes(self, record: Product) -> bytes:
        return self.sim.renderer.product_bytes(record)

    def find(self, item_id: int) -> Product:
        return self.sim.store.get_product(item_id)

    def read_view(self, request: web.Request, args: Args) -> View:
        """The edit context and include_meta/exclude_meta reshape the products."""
        context = args.enum("context", ("view", "edit"), "view")
        params = args.values
        render = self.sim.renderer
        return View(
            lambda product: in_requested_order(
                filter_meta(render.product(product, context), params), params
            ),
            context == "view" and not filters_meta(params),
        )

    def read_list_query(self, args: Args) -> PostQuery:
        query = post_list_args(args, self.sim, ORDERBY_REGISTERED)
        status = args.enum("status", STATUS_FILTERS, "any")
        query.statuses = None if status == "any" else frozenset({status})
        query.sku = args.string("sku")
        query.type = args.enum("type", PRODUCT_TYPES, "") if args.has("type") else ""
        query.featured = args.boolean("featured", None)
        query.on_sale = args.boolean("on_sale", None)
        query.stock_status = (
            args.enum("stock_status", STOCK_STATUSES, "") if args.has("stock_status") else ""
        )
        query.category = self._term_ids(args, "category")
        query.tag = self._term_ids(args, "tag")
        if args.has("slug"):
            query.slug = args.string("slug")  # one slug: a comma is part of it
        query.search_sku = args.string("search_sku")
        if args.has("tax_class"):
            tax_class = args.string("tax_class")
            query.tax_class = "" if tax_class == "standard" else tax_class
        included = args.enum_list("include_status", STATUS_FILTERS)
        if included is not None:
            # include_status replaces status (and may name trash).
            query.statuses = frozenset(included)
        excluded = args.enum_list("exclude_status", EXCLUDE_STATUSES)
        query.exclude_statuses = frozenset(excluded or ())
        types = args.enum_list("include_types", PRODUCT_TYPES)
        query.include_types = frozenset(types) if types is not None else None
        query.exclude_types = frozenset(args.enum_list("exclude_types", PRODUCT_TYPES) or ())
        query.downloadable = args.boolean("downloadable", None)
        query.virtual = args.boolean("virtual", None)
        for name in TERM_FILTERS:
            if args.string(name):
                query.unknown_term = True
        # attribute / attribute_term name a taxonomy this store does not have: a real
        # store then ignores them (recorded), so they are read and have no effect.
        args.string("attribute")
        args.string("attribute_term")
        # Synonyms WooCommerce maps onto the same WP_Query order.
        query.orderby = {"sales": "popularity", "post__in": "include"}.get(
            query.orderby, query.orderby
        )
        for name in ("min_price", "max_price"):
            args.amount(name)
            raw = args.values.get(name)
            if raw not in (None, "") and name not in args.problems:
                setattr(query, name, money(raw))
        return query

    def find_page(self, query: PostQuery, args: Args) -> Page:
        records, total = self.sim.store.query_products(query)
        return Page(records, total, query.per_page, query.page, args.link_query())

    @staticmethod
    def _term_ids(args: Args, name: str) -> frozenset[int] | None:
        """``category``, ``tag``: a string of comma-separated term ids, any of which matches.

        Registered as a string: a value that is not an id (a slug, "abc") is no
        error, it matches nothing. The links show it as a list of ids.
        """
        if not args.has(name):
            return None
        raw = args.string(name)
        ids = [int(part) for part in re.split(r"[\s,]+", raw) if part.strip().isdigit()]
        args.sanitized[name] = ids
        return frozenset(ids)

    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        fields = read_fields(args, PRODUCT, creating=creating, readers=READERS)
        args.check()
        return fields

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.sim.renderer.product(self.sim.store.create_product(fields), context="edit")

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        product = self.sim.store.update_product(item_id, fields)
        return self.sim.renderer.product(product, context="edit")

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        store, render = self.sim.store, self.sim.renderer
        # The product as it was before, in the edit context (WooCommerce renders it
        # first, then trashes or deletes it).
        payload = render.product(store.get_product(item_id), "edit")
        if force:
            store.delete_product(item_id)
        else:
            store.trash_product(item_id)
        return payload


def setup(app: web.Application, sim: Simulator) -> None:
    ProductRoutes(sim).register(app)
