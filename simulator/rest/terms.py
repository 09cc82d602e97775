"""``/wp-json/wc/v3/products/categories`` and ``/products/tags``: WC_REST_Terms_Controller.

One route set per taxonomy. What both share, as a real WooCommerce 10.0.2 store
answers: terms cannot be trashed (``DELETE`` without ``force`` is 501), a batch
deletes with ``force``, a batch item is not checked against the schema (a missing
name is wp_insert_term's ``empty_term_name``), and an item route of a term that
does not exist answers without an ``Allow`` header.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from simulator.errors import RestError
from simulator.models import Category, Tag
from simulator.params import Args
from simulator.render_terms import ROUTES, TermRenderer
from simulator.rest.common import (
    SIM_KEY,
    TARGET_CHECKS,
    ResourceRoutes,
    context_args,
    force_flag,
    paging_headers,
    query_params,
    require_permission,
    respond,
    route_id,
)
from simulator.store.terms import CATEGORIES, DISPLAY_TYPES, TAGS, TermQuery

if TYPE_CHECKING:
    from simulator.app import Simulator

ORDERBY = ("id", "include", "name", "slug", "term_group", "description", "count")


class TermRoutes(ResourceRoutes):
    taxonomy: ClassVar[str]
    # The terms controller has neither check; the base class asks for them.
    exists_error = ("woocommerce_rest_term_exists", "Cannot create existing resource.")
    invalid_id_error = ("woocommerce_rest_term_invalid", "Resource does not exist.")
    typed_batch_groups = False

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.renderer = TermRenderer(sim.settings)

    @property
    def terms(self) -> Any:
        return self.sim.store.terms

    def rendered(self, term: Category | Tag, *, exists: bool = True) -> dict[str, Any]:
        """One term as get_term() reads it: ``count`` is the term's own column (published
        products carrying it), not the list's ``product_count_*`` meta (recorded)."""
        counts = self.terms.direct_counts(self.taxonomy)
        return self.renderer.term(term, counts.get(term.id, 0), exists=exists)

    # ------------------------------------------------------------------ reads
    async def list_items(self, request: web.Request) -> web.Response:
        args = Args(query_params(request))
        args.enum("context", ("view", "edit"), "view")
        query = TermQuery(
            page=args.integer("page", 1, minimum=1) or 1,
            per_page=args.integer("per_page", 10, minimum=1, maximum=100) or 10,
            offset=args.integer("offset"),
            order=args.enum("order", ("asc", "desc"), "asc"),
            orderby=args.enum("orderby", ORDERBY, "name"),
            include=args.id_list("include"),
            exclude=args.id_list("exclude"),
            search=args.string("search"),
            hide_empty=bool(args.boolean("hide_empty", False)),
            parent=args.integer("parent"),
            product=args.integer("product"),
            slug=args.string("slug") if args.has("slug") else None,
        )
        args.check()
        require_permission(request, "list")
        page, total = self.terms.query(self.taxonomy, query)
        counts = self.terms.product_counts(self.taxonomy)
        offset = query.offset or (query.page - 1) * query.per_page
        # ceil( offset / per_page + 1 ), as the controller works out the page.
        current = math.ceil(offset / query.per_page + 1)
        # The terms controller builds its links from the query as sent (not sanitised).
        headers = paging_headers(
            request,
            ROUTES[self.taxonomy],
            total,
            math.ceil(total / query.per_page),
            current,
            query_params(request),
        )
        body = [self.renderer.term(t, counts.get(t.id, 0)) for t in page]
        return respond(request, body, headers=headers)

    async def get(self, request: web.Request) -> web.Response:
        args = context_args(request)
        args.check()
        require_permission(request, "view")
        term = self.terms.get(self.taxonomy, route_id(request))
        return respond(request, self.rendered(term))

    # ------------------------------------------------------------------ writes
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        if creating:
            args.require("name")
        fields: dict[str, Any] = {}
        for name in ("name", "slug", "description"):
            if args.has(name):
                fields[name] = args.string(name)
        if args.has("parent"):
            fields["parent"] = args.integer("parent")
        if self.taxonomy == CATEGORIES:
            if args.has("display"):
                fields["display"] = args.enum("display", DISPLAY_TYPES, "default")
            if args.has("menu_order"):
                fields["menu_order"] = args.integer("menu_order")
            image = args.object("image")
            if image is not None:
                fields["image"] = dict(image.values)
        args.check()
        return fields

    @staticmethod
    def loose_fields(body: dict[str, Any]) -> dict[str, Any]:
        """A batch item's fields: read as given, with no schema check (WooCommerce runs
        batch items straight through create_item/update_item)."""
        fields: dict[str, Any] = {
            k: body[k] for k in ("name", "slug", "description", "display") if k in body
        }
        for name in ("parent", "menu_order"):
            if name in body:
                try:
                    fields[name] = int(body[name])
                except (TypeError, ValueError):
                    fields[name] = 0
        if isinstance(body.get("image"), dict):
            fields["image"] = body["image"]
        return fields

    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=True)
        require_permission(request, "create")
        return await self.store_create(fields)

    async def batch_create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        require_permission(request, "create")
        return await self.store_create(self.loose_fields(body))

    async def update_item(
        self, request: web.Request, item_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self.parse_fields(body, creating=False)
        require_permission(request, "edit")
        return await self.store_update(item_id, fields)

    async def store_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        term = self.terms.create(self.taxonomy, fields)
        _check_image(self.terms, self.taxonomy, term, fields)
        return self.rendered(term)

    async def store_update(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        self.terms.get(self.taxonomy, item_id)
        term = self.terms.update(self.taxonomy, item_id, fields)
        return self.rendered(term)

    async def delete_item(
        self, request: web.Request, item_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        force = force_flag(values)
        require_permission(request, "delete")
        term = self.terms.get(self.taxonomy, item_id)
        if not force:
            raise RestError(
                "woocommerce_rest_trash_not_supported", "Resource does not support trashing.", 501
            )
        before = self.rendered(term, exists=False)
        self.terms.delete(self.taxonomy, item_id)
        return before

    def register(self, app: web.Application) -> None:
        super().register(app)
        prefix = f"/wp-json/wc/v3/{ROUTES[self.taxonomy]}/"
        taxonomy = self.taxonomy

        def exists(request: web.Request) -> bool | None:
            if not request.path.startswith(prefix) or "id" not in request.match_info:
                return None
            sim = request.app[SIM_KEY]
            try:
                return int(request.match_info["id"]) in sim.store.terms.table(taxonomy)
            except ValueError:
                return True

        TARGET_CHECKS[f"terms {taxonomy}"] = exists


def _check_image(terms: Any, taxonomy: str, term: Category | Tag, fields: dict[str, Any]) -> None:
    """``image.src`` makes WooCommerce fetch the file; this store fetches nothing, as a
    store that cannot reach the address answers: the term it just made is deleted again."""
    image = fields.get("image")
    if not isinstance(image, dict) or image.get("id") or not image.get("src"):
        return
    terms.delete(taxonomy, term.id)
    src = str(image["src"])
    raise RestError(
        "woocommerce_rest_invalid_remote_image_url",
        f"Error getting remote image {src}. Error: A valid URL was not provided.",
        400,
    )


class CategoryRoutes(TermRoutes):
    route = ROUTES[CATEGORIES]
    taxonomy = CATEGORIES


class TagRoutes(TermRoutes):
    route = ROUTES[TAGS]
    taxonomy = TAGS


def setup(app: web.Application, sim: Simulator) -> None:
    CategoryRoutes(sim).register(app)
    TagRoutes(sim).register(app)
