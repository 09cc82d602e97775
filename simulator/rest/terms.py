"""``/wp-json/wc/v3/products/categories`` and ``/products/tags``: WC_REST_Terms_Controller.

One route set per taxonomy. What both share, as a real WooCommerce 10.0.2 store
answers: terms cannot be trashed (``DELETE`` without ``force`` is 501), a batch
deletes with ``force``, a batch item is not checked against the schema (a missing
name is wp_insert_term's ``empty_term_name``), and an item route of a term that
does not exist answers without an ``Allow`` header.

The controller's permission check reads ``$request['id']`` (the body's, or the
query's) with ``intval``: a create or a batch naming one that is not a term of the
taxonomy is 404 ``woocommerce_rest_term_invalid`` before the capability check;
one that is, or one that is 0 ("abc", "0.0", false, []), makes a new term. There is
no ``..._exists`` refusal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from simulator.errors import RestError
from simulator.models import Category, Tag
from simulator.params import Args, php_intval
from simulator.render_terms import ROUTES, TermRenderer
from simulator.resources.declare import Declaration, required
from simulator.resources.terms import CATEGORY, TAG
from simulator.rest.body import Reader, read_fields
from simulator.rest.common import (
    SIM_KEY,
    TARGET_CHECKS,
    Page,
    ResourceRoutes,
    View,
    body_params,
    force_flag,
    named_id,
    require_permission,
)
from simulator.store.terms import CATEGORIES, TAGS, TermQuery, term_invalid

if TYPE_CHECKING:
    from simulator.app import Simulator

#: Whether the term a create or batch request names (by ``id``) is one of the taxonomy.
NAMED_TERM_FOUND: web.RequestKey[bool] = web.RequestKey("woosim.named_term_found", bool)

ORDERBY = ("id", "include", "name", "slug", "term_group", "description", "count")


@dataclass(frozen=True)
class Counted:
    """A term with the count its read reports."""

    term: Category | Tag
    count: int


def image_fields(args: Args, name: str) -> dict[str, Any] | None:
    """A category's ``image``, whole: the store looks at its ``id`` and ``src``."""
    image = args.object(name)
    if image is None:
        return None
    image.integer("id")
    for key in ("src", "name", "alt"):
        image.string(key)
    args.nested(name, image)
    return dict(image.values)


READERS: dict[str, Reader] = {"image": image_fields}


def term_list_query(args: Args) -> TermQuery:
    """The collection arguments both taxonomies take."""
    args.enum("context", ("view", "edit"), "view")
    return TermQuery(
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


class TermRoutes(ResourceRoutes):
    taxonomy: ClassVar[str]
    declaration: ClassVar[Declaration]
    # The terms controller has no ..._exists check (see check_named_term); the base
    # class asks for one.
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
    def render(self, record: Counted) -> dict[str, Any]:
        return self.renderer.term(record.term, record.count)

    def read_view(self, request: web.Request, args: Args) -> View:
        del request, args
        return View(self.render, cached=False)  # terms keep no cached bytes

    def find(self, item_id: int) -> Counted:
        term = self.terms.get(self.taxonomy, item_id)
        return Counted(term, self.terms.direct_counts(self.taxonomy).get(term.id, 0))

    def read_list_query(self, args: Args) -> TermQuery:
        return term_list_query(args)

    def find_page(self, query: TermQuery, args: Args) -> Page:
        """A list counts each term's products with its children's (``product_count_*``)."""
        page, total = self.terms.query(self.taxonomy, query)
        counts = self.terms.product_counts(self.taxonomy)
        offset = query.offset or (query.page - 1) * query.per_page
        return Page(
            [Counted(term, counts.get(term.id, 0)) for term in page],
            total,
            query.per_page,
            # ceil( offset / per_page + 1 ), as the controller works out the page.
            page=math.ceil(offset / query.per_page + 1),
            # The terms controller builds its links from the query as sent (not sanitised).
            link_query=dict(args.values),
            max_pages=math.ceil(total / query.per_page),
        )

    # ------------------------------------------------------------------ writes
    def parse_fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        args = Args(body)
        if creating:
            for name in required(self.declaration):
                args.require(name)
        fields = read_fields(args, self.declaration, creating=creating, readers=READERS)
        if "parent" not in fields and args.has("parent"):
            # A tag declares no parent; given one, the store refuses it (not hierarchical).
            fields["parent"] = args.integer("parent")
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
                except (TypeError, ValueError, OverflowError):
                    fields[name] = 0
        if isinstance(body.get("image"), dict):
            fields["image"] = body["image"]
        return fields

    def named_term_found(self, request: web.Request, values: Mapping[str, Any]) -> bool:
        """check_permissions(): an id the request names (``intval``) must be a term of
        this taxonomy (a create then makes a new term all the same); no id passes."""
        term_id = php_intval(named_id(request, values))
        return not term_id or term_id in self.terms.table(self.taxonomy)

    def check_request_term(self, request: web.Request, values: Mapping[str, Any]) -> bool:
        """The named term check of the request itself. Every method's permission check
        reads it, so the answer's ``Allow`` lists none when it fails, even when the
        schema check refused the request first: kept on the request for the header."""
        found = self.named_term_found(request, values)
        request[NAMED_TERM_FOUND] = found
        return found

    async def create_item(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        found = self.check_request_term(request, body)
        fields = self.parse_fields(body, creating=True)
        if not found:
            raise term_invalid()
        require_permission(request, "create")
        return await self.store_create(fields)

    async def batch_create(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        if not self.named_term_found(request, body):
            raise term_invalid()
        require_permission(request, "create")
        return await self.store_create(self.loose_fields(body))

    async def batch(self, request: web.Request) -> web.Response:
        # The batch's own permission check reads its id too (query or top-level body).
        if not self.check_request_term(request, await body_params(request)):
            raise term_invalid()
        return await super().batch(request)

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
            if "id" not in request.match_info:
                # A create or batch of either taxonomy that named an id: whether it passed.
                return request.get(NAMED_TERM_FOUND)
            if not request.path.startswith(prefix):
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
    declaration = CATEGORY


class TagRoutes(TermRoutes):
    route = ROUTES[TAGS]
    taxonomy = TAGS
    declaration = TAG


def setup(app: web.Application, sim: Simulator) -> None:
    CategoryRoutes(sim).register(app)
    TagRoutes(sim).register(app)
