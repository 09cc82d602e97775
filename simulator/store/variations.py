"""Product variations: the state and its rules, no HTTP.

A variation is a post of its own (``product_variation``): it takes an id from the
posts' sequence and is a :class:`~simulator.models.Product` of type ``variation``
with a ``parent_id``, kept apart from the products so the product list never shows
it, while ``GET /products/{id}``, webhooks and line items still find it. Facts from
a real WooCommerce 10.0.2 store:

- Any product takes variations over REST, a simple one too (no type check).
- A variation's options are matched to the parent's variation attributes by slug
  (``size`` matches ``Size``); an option the parent does not offer is kept.
- Its title is the parent's name, `` - `` and its options joined by ``, ``; its REST
  ``name`` is only the options. Without its own SKU it shows the parent's.
- Creating one fires ``product.created`` with its own id, changing one
  ``product.updated``, trashing one ``product.deleted`` and ``coupon.deleted``
  (``wp_trash_post`` is a hook of both topics); the parent fires nothing.
- Trashing the parent trashes its variations; deleting it deletes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.errors import RestError
from simulator.models import MetaItem, Product, ProductAttribute
from simulator.store.core import changes_records
from simulator.store.products import ProductTable, emit_trashed_post
from simulator.store.slugs import sanitize_title

if TYPE_CHECKING:
    from simulator.store.core import StoreCore

#: Post statuses a variation can have (get_post_status_object() knows them); any
#: other write becomes draft, as the variations controller does.
STATUSES = ("draft", "pending", "private", "publish")
LISTED = frozenset({"publish", "private"})
#: Statuses wp_insert_post() gives no slug (as for products).
UNSLUGGED = frozenset({"draft", "pending", "auto-draft"})
ORDERBY = ("date", "id", "include", "title", "slug", "modified", "menu_order")


def invalid_variation(status: int = 404) -> RestError:
    return RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)


@dataclass
class VariationQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()
    search: str = ""
    sku: str = ""
    statuses: frozenset[str] | None = None
    on_sale: bool | None = None
    stock_status: str = ""
    min_price: int | None = None
    max_price: int | None = None


class VariationTable:
    """Every variation of one store, by id, and each parent's children."""

    def __init__(self, core: StoreCore, products: ProductTable) -> None:
        self.core = core
        self.products = products
        self.records: dict[int, Product] = {}
        self._children: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ reads
    def get(self, parent_id: int, variation_id: int) -> Product:
        variation = self.records.get(variation_id)
        if variation is None or variation.parent_id != parent_id:
            raise invalid_variation()
        return variation

    def children(self, parent_id: int, *, statuses: frozenset[str] | None = None) -> list[Product]:
        """By menu order, then id (recorded); all statuses but trash unless ``statuses``."""
        found = [self.records[i] for i in self._children.get(parent_id, ())]
        if statuses is None:
            found = [v for v in found if v.status != "trash"]
        else:
            found = [v for v in found if v.status in statuses]
        return sorted(found, key=lambda v: (v.menu_order, v.id))

    def listed(self, parent_id: int) -> list[Product]:
        """get_children() of a variable product: published and private variations (a
        draft is not in the parent's ``variations``, recorded)."""
        return self.children(parent_id, statuses=LISTED)

    def variation_attributes(self, variation: Product) -> list[tuple[ProductAttribute, str]]:
        """The parent's variation attributes in order, each with this variation's option
        ("" when it takes any)."""
        parent = self.products.records.get(variation.parent_id)
        chosen = dict(variation.options)
        attributes = parent.attributes if parent is not None else ()
        return [
            (attribute, chosen.get(sanitize_title(attribute.name), ""))
            for attribute in attributes
            if attribute.variation
        ]

    def title(self, variation: Product) -> str:
        """generate_product_title(): "Parent - S, Red", or the parent's name alone."""
        parent = self.products.records.get(variation.parent_id)
        base = parent.name if parent is not None else ""
        options = [option for _, option in self.variation_attributes(variation) if option]
        return f"{base} - {', '.join(options)}" if options else base

    def query(self, parent_id: int, query: VariationQuery) -> tuple[list[Product], int]:
        found = [self.records[i] for i in self._children.get(parent_id, ())]
        statuses = query.statuses
        if statuses is None or "any" in statuses:
            found = [v for v in found if v.status != "trash" or (statuses and "trash" in statuses)]
        else:
            found = [v for v in found if v.status in statuses]
        if query.include:
            wanted = set(query.include)
            found = [v for v in found if v.id in wanted]
        if query.exclude:
            found = [v for v in found if v.id not in query.exclude]
        if query.search:
            needle = query.search.casefold()
            found = [v for v in found if needle in self.title(v).casefold()]
        if query.sku:
            skus = {s.strip() for s in query.sku.split(",")}
            found = [v for v in found if v.sku in skus]
        if query.on_sale is not None:
            # wc_get_product_ids_on_sale() knows published products only.
            found = [
                v
                for v in found
                if (v.sale_price is not None and v.status == "publish") == query.on_sale
            ]
        if query.stock_status:
            found = [v for v in found if v.stock_status == query.stock_status]
        if query.min_price is not None:
            low = query.min_price
            found = [v for v in found if v.price is not None and v.price >= low]
        if query.max_price is not None:
            high = query.max_price
            found = [v for v in found if v.price is not None and v.price <= high]
        found = self._sorted(found, query)
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        return found[start : start + query.per_page], len(found)

    def _sorted(self, found: list[Product], query: VariationQuery) -> list[Product]:
        # Ties follow the id in the order's direction (recorded for date and menu_order).
        reverse = query.order == "desc"
        if query.orderby == "include" and query.include:
            position = {i: n for n, i in enumerate(query.include)}
            return sorted(found, key=lambda v: position.get(v.id, 0))
        keys: dict[str, Any] = {
            "date": lambda v: (v.created, v.id),
            "modified": lambda v: (v.modified, v.id),
            "id": lambda v: v.id,
            "title": lambda v: (self.title(v).casefold(), v.id),
            "slug": lambda v: (sanitize_title(self.title(v)), v.id),
            "menu_order": lambda v: (v.menu_order, v.id),
        }
        return sorted(found, key=keys.get(query.orderby, keys["date"]), reverse=reverse)

    # ------------------------------------------------------------------ writes
    @changes_records
    def create(self, parent_id: int, fields: Mapping[str, Any], *, emit: bool = True) -> Product:
        core, products = self.core, self.products
        parent = products.records.get(parent_id)
        if parent is None:
            # A real store makes an orphan variation and then dies with a PHP fatal error
            # (500); the fake answers as for any unknown product.
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        products.check_fields(fields)
        sku = str(fields.get("sku") or "")
        products.check_sku(sku, 0)
        now = core.now()
        variation = Product(
            id=core.next_post_id(),
            name="",
            slug="",
            type="variation",
            status="publish",
            sku="",
            regular_price=None,
            sale_price=None,
            description="",
            short_description="",
            created=now,
            created_wall=core.wall(now),
            modified=now,
            modified_wall=core.wall(now),
            tax_class="parent",
            parent_id=parent_id,
        )
        self._apply(variation, fields)
        self._slug(variation)
        self.records[variation.id] = variation
        self._children.setdefault(parent_id, []).append(variation.id)
        self._parent_changed(parent_id)
        core.emit_change("product", "created", variation.id, emit)
        return variation

    @changes_records
    def insert(self, variation: Product, *, emit: bool = True) -> Product:
        """Keep a variation built elsewhere (the generator), its parent already stored."""
        self._slug(variation)
        self.records[variation.id] = variation
        self._children.setdefault(variation.parent_id, []).append(variation.id)
        if variation.sku:
            self.products.set_sku(variation, variation.sku)
        self._parent_changed(variation.parent_id)
        self.core.emit_change("product", "created", variation.id, emit)
        return variation

    @changes_records
    def update(
        self, parent_id: int, variation_id: int, fields: Mapping[str, Any], *, emit: bool = True
    ) -> Product:
        variation = self.get(parent_id, variation_id)
        self.products.check_fields(fields)
        if "sku" in fields:
            self.products.check_sku(str(fields["sku"] or ""), variation_id)
        self._apply(variation, fields)
        self._slug(variation)
        self.touch(variation)
        # Orders are linked to the parent; their lines show the variation's SKU.
        self.products.orders_changed(parent_id)
        self.core.emit_change("product", "updated", variation_id, emit)
        return variation

    @changes_records
    def touch(self, variation: Product) -> None:
        now = self.core.now()
        variation.modified, variation.modified_wall = now, self.core.wall(now)
        variation.cached = None
        self._parent_changed(variation.parent_id)

    @changes_records
    def trash(self, parent_id: int, variation_id: int, *, emit: bool = True) -> Product:
        variation = self.get(parent_id, variation_id)
        if variation.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed",
                "The product_variation has already been deleted.",
                410,
            )
        self._trash(variation, emit)
        return variation

    def _trash(self, variation: Product, emit: bool) -> None:
        # wp_trash_post() notes what untrashing needs as post meta, as for products.
        variation.meta_data = (
            *variation.meta_data,
            MetaItem(
                self.core.next_meta_id(),
                "_wp_desired_post_slug",
                sanitize_title(self.title(variation)),
            ),
            *self.core.trash_meta(variation.status),
        )
        variation.status_before_trash, variation.status = variation.status, "trash"
        self.touch(variation)
        emit_trashed_post(self.core, "product", variation.id, emit)

    @changes_records
    def delete(self, parent_id: int, variation_id: int) -> Product:
        """Permanent delete: no webhook (no hook of the topic map fires)."""
        variation = self.get(parent_id, variation_id)
        self._forget(variation)
        self._parent_changed(parent_id)
        return variation

    def _forget(self, variation: Product) -> None:
        del self.records[variation.id]
        self._children[variation.parent_id].remove(variation.id)
        self.products.forget_sku(variation)

    @changes_records
    def trash_children(self, parent_id: int, *, emit: bool = True) -> None:
        """wp_trash_post() of a product trashes its variations first."""
        for variation in self.children(parent_id):
            self._trash(variation, emit)

    @changes_records
    def delete_children(self, parent_id: int) -> None:
        for variation in list(map(self.records.__getitem__, self._children.get(parent_id, ()))):
            self._forget(variation)
        self._children.pop(parent_id, None)

    def _slug(self, variation: Product) -> None:
        """The post slug, made once from the title when the variation is first saved with
        a status that has one, unique among variations (``-2``, ``-3``...)."""
        if variation.slug or variation.status in UNSLUGGED:
            return
        taken = {v.slug for v in self.records.values()}
        base = sanitize_title(self.title(variation))
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        variation.slug = slug

    def _parent_changed(self, parent_id: int) -> None:
        parent = self.products.records.get(parent_id)
        if parent is not None:
            # Its price, price range and list of variations come from its children.
            parent.cached = None

    def _apply(self, variation: Product, fields: Mapping[str, Any]) -> None:
        for name in (
            "description",
            "manage_stock",
            "stock_quantity",
            "stock_status",
            "weight",
            "tax_status",
            "tax_class",
            "virtual",
            "downloadable",
            "menu_order",
        ):
            if name in fields and fields[name] is not None:
                setattr(variation, name, fields[name])
        if "status" in fields and fields["status"] is not None:
            status = str(fields["status"])
            variation.status = status if status in STATUSES else "draft"
        self.products.apply_prices(variation, fields)
        if "sku" in fields:
            self.products.set_sku(variation, str(fields["sku"] or ""))
        dimensions = fields.get("dimensions")
        if isinstance(dimensions, Mapping):
            length, width, height = variation.dimensions
            variation.dimensions = (
                str(dimensions.get("length", length) or ""),
                str(dimensions.get("width", width) or ""),
                str(dimensions.get("height", height) or ""),
            )
        if "attributes" in fields:
            variation.options = self._options(variation.parent_id, fields["attributes"])
        if "meta_data" in fields:
            variation.meta_data = self.core.apply_meta(variation.meta_data, fields["meta_data"])
        if (
            variation.manage_stock
            and variation.stock_quantity is not None
            and "stock_status" not in fields
        ):
            variation.stock_status = "instock" if variation.stock_quantity > 0 else "outofstock"

    def _options(
        self, parent_id: int, given: Sequence[Mapping[str, Any]]
    ) -> tuple[tuple[str, str], ...]:
        """``attributes: [{"name": "Size", "option": "S"}]`` as ``attribute_size`` values;
        only the parent's variation attributes are kept (read_attributes())."""
        parent = self.products.records.get(parent_id)
        offered = {
            sanitize_title(a.name) for a in (parent.attributes if parent else ()) if a.variation
        }
        options: dict[str, str] = {}
        for entry in given:
            slug = sanitize_title(str(entry.get("name") or ""))
            if slug in offered and entry.get("option") is not None:
                options[slug] = str(entry["option"])
        return tuple(options.items())
