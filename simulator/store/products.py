"""Products: the records, their categories, date, SKU and slug indexes, and every change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from simulator.errors import RestError, invalid_params
from simulator.models import Category, LineItem, MetaItem, Product
from simulator.stock import stock_status_for, variable_stock_status
from simulator.store.attributes import default_attributes, parent_attributes
from simulator.store.core import StoreCore, changes_records, without_trash_meta
from simulator.store.indexes import DateIndexes
from simulator.store.money import check_amounts, php_greater_or_equal, stored_decimal
from simulator.store.queries import PostQuery, product_predicate, query_posts
from simulator.store.slugs import UNSLUGGED_STATUSES, sanitize_title
from simulator.store.terms import TermTable, product_categories, product_tags

if TYPE_CHECKING:
    from simulator.store.variations import VariationTable

#: The ``product_cat`` term every product without a category gets (each store keeps
#: its own copy, :attr:`TermTable.default_category`, which a client may rename).
UNCATEGORIZED = Category(15, "Uncategorized", "uncategorized")
#: What an order's rendering shows of its products: a line item's ``sku`` (a
#: variation's falls back to its parent's), the labels of a variation line's
#: attributes, and ``needs_processing`` (false only when every product is virtual
#: and downloadable). A change to anything else (stock above all) leaves the
#: orders' cached JSON valid.
ORDER_SHOWN_FIELDS = frozenset({"sku", "attributes", "virtual", "downloadable"})


def emit_trashed_post(core: StoreCore, resource: str, post_id: int, emit: bool) -> None:
    """wp_trash_post: ``{resource}.deleted``, and ``coupon.deleted`` too, whose topic listens
    to the same hook for any post (recorded for products and variations)."""
    core.emit_change(resource, "deleted", post_id, emit)
    core.emit_change("coupon", "deleted", post_id, emit)


class ProductTable:
    """All products and their mutations.

    ``orders_changed(product_id)`` drops the cached rendering of the orders that
    show a product (their line items carry its SKU), when what they show of it
    changed (:data:`ORDER_SHOWN_FIELDS`) or it was deleted; the order table answers it.
    """

    def __init__(self, core: StoreCore, orders_changed: Callable[[int], None]) -> None:
        self.core = core
        self.orders_changed = orders_changed
        self.records: dict[int, Product] = {}
        self.terms = TermTable(core, lambda: self.records.values(), self._terms_changed)
        self.categories = self.terms.categories
        #: Set by the store once built (variations need this table, and it needs them).
        self.variations: VariationTable
        self.dates = DateIndexes()
        self._skus: dict[str, int] = {}
        self._slugs: set[str] = set()

    def _terms_changed(self, products: Iterable[Product]) -> None:
        """A category or tag changed: the products showing it render anew (no webhook: a
        real store fires none for a term change)."""
        for product in products:
            product.cached = None

    def get(self, product_id: int, *, missing_status: int = 404) -> Product:
        """A product, or a variation (``/products/{id}`` reads both)."""
        product = self.records.get(product_id) or self.variations.records.get(product_id)
        if product is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", missing_status)
        return product

    def sku_owner(self, sku: str) -> int:
        """The id of the product with ``sku``; 0 when none has it."""
        return self._skus.get(sku, 0)

    def unique_slug(self, name: str) -> str:
        base = sanitize_title(name) or "product"
        candidate, suffix = base, 1
        while candidate in self._slugs:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate

    def _check_sku(self, sku: str, product_id: int) -> None:
        owner = self._skus.get(sku)
        if sku and owner is not None and owner != product_id:
            # WooCommerce 10.0.2 names the owner and a free SKU to use instead
            # (wc_product_generate_unique_sku: "-1", "-2", ... appended).
            suffix = 1
            while f"{sku}-{suffix}" in self._skus:
                suffix += 1
            raise RestError(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                400,
                resource_id=owner,
                unique_sku=f"{sku}-{suffix}",
            )

    # Shared with variations, which are products too.
    def check_sku(self, sku: str, product_id: int) -> None:
        self._check_sku(sku, product_id)

    @changes_records
    def set_sku(self, product: Product, sku: str) -> None:
        self.forget_sku(product)
        product.sku = sku
        if sku:
            self._skus[sku] = product.id

    @changes_records
    def forget_sku(self, product: Product) -> None:
        if product.sku and self._skus.get(product.sku) == product.id:
            del self._skus[product.sku]

    @staticmethod
    def apply_prices(product: Product, fields: Mapping[str, Any]) -> None:
        for name in ("regular_price", "sale_price"):
            if name in fields:
                raw = fields[name]
                text, cents = stored_decimal(raw) if raw not in (None, "") else ("", 0)
                setattr(product, name, cents if text else None)
                setattr(product, f"{name}_text", text or None)
        if ("regular_price" in fields or "sale_price" in fields) and product.type not in (
            "variable",
            "grouped",
        ):
            # The data store drops a sale price that is not below the regular price
            # (PHP's >=: numeric when both strings are numbers; an empty regular price
            # compares as a string, so a sale price alone is dropped too).
            sale, regular = product.sale_price_text, product.regular_price_text or ""
            if sale is not None and php_greater_or_equal(sale, regular):
                product.sale_price = product.sale_price_text = None

    def check_fields(self, fields: Mapping[str, Any]) -> None:
        self._check_fields(fields)

    @staticmethod
    def _check_fields(fields: Mapping[str, Any]) -> None:
        """Amount checks, before anything changes (callers other than REST skip its validation)."""
        problems: dict[str, tuple[str, str]] = {}
        check_amounts(problems, fields, ("regular_price", "sale_price"), "")
        if problems:
            raise invalid_params(problems)

    @changes_records
    def create(self, fields: Mapping[str, Any], *, emit: bool = True) -> Product:
        core = self.core
        self._check_fields(fields)
        sku = str(fields.get("sku") or "")
        self._check_sku(sku, 0)
        now = core.now()
        name = str(fields.get("name") or "Product")
        status = str(fields.get("status") or "publish")
        given_slug = str(fields.get("slug") or "")
        product = Product(
            id=core.next_post_id(),
            name=name,
            # wp_insert_post(): a draft or pending post without a slug gets none until
            # it is published (recorded: "slug": "" for a new draft).
            slug=""
            if not given_slug and status in UNSLUGGED_STATUSES
            else self.unique_slug(given_slug or name),
            type=str(fields.get("type") or "simple"),
            status=status,
            sku=sku,
            regular_price=None,
            sale_price=None,
            description="",
            short_description="",
            created=now,
            created_wall=core.wall(now),
            modified=now,
            modified_wall=core.wall(now),
        )
        self._apply_fields(product, fields)
        if not product.categories:
            product.categories = (self.terms.default_category,)
        return self.insert(product, emit=emit)

    @changes_records
    def insert(self, product: Product, *, emit: bool = True) -> Product:
        core = self.core
        self.records[product.id] = product
        self.dates.add(product)
        self._slugs.add(product.slug)
        # Terms a generated product brings along join the store's.
        for category in product.categories:
            if category.id not in self.terms.categories:
                self.terms.adopt(category)
        for tag in product.tags:
            if tag.id not in self.terms.tags:
                self.terms.adopt(tag)
        if product.sku:
            self._skus[product.sku] = product.id
        core.emit_change("product", "created", product.id, emit)
        if product.manage_stock:
            core.fire_action("woocommerce_product_set_stock_status", product.id, emit)
        core.fire_action("woocommerce_new_product", product.id, emit)
        return product

    def _apply_fields(self, product: Product, fields: Mapping[str, Any]) -> None:
        simple = (
            "name",
            "type",
            "status",
            "description",
            "short_description",
            "featured",
            "catalog_visibility",
            "virtual",
            "downloadable",
            "tax_status",
            "tax_class",
            "manage_stock",
            "stock_quantity",
            "stock_status",
            "weight",
        )
        for name in simple:
            if name in fields and fields[name] is not None:
                setattr(product, name, fields[name])
        self.apply_prices(product, fields)
        if not product.slug and product.status not in UNSLUGGED_STATUSES | {"trash"}:
            product.slug = self.unique_slug(product.name)
            self._slugs.add(product.slug)
        if "sku" in fields:
            self.set_sku(product, str(fields["sku"] or ""))
        if "attributes" in fields:
            product.attributes = parent_attributes(fields["attributes"])
        if "default_attributes" in fields:
            product.default_attributes = default_attributes(
                product.attributes, fields["default_attributes"]
            )
        if "categories" in fields:
            product.categories = product_categories(self.terms, fields["categories"])
        if "tags" in fields:
            product.tags = product_tags(self.terms, fields["tags"])
        if "meta_data" in fields:
            product.meta_data = self.core.apply_meta(product.meta_data, fields["meta_data"])
        if (
            product.manage_stock
            and product.stock_quantity is not None
            and "stock_status" not in fields
        ):
            product.stock_status = "instock" if product.stock_quantity > 0 else "outofstock"
        if product.type == "variable" and not product.manage_stock:
            # validate_props() syncs a variable product's status from its children on
            # every save, whatever the request said: with none, it is out of stock.
            product.stock_status = variable_stock_status(
                v.stock_status for v in self.variations.children(product.id)
            )

    @changes_records
    def update(self, product_id: int, fields: Mapping[str, Any], *, emit: bool = True) -> Product:
        variation = self.variations.records.get(product_id)
        if variation is not None:
            return self.variations.update(variation.parent_id, product_id, fields, emit=emit)
        product = self.get(product_id, missing_status=400)
        self._check_fields(fields)
        if "sku" in fields:
            self._check_sku(str(fields["sku"] or ""), product_id)
        self._apply_fields(product, fields)
        self._touch(product)
        for variation in self.variations.children(product_id):
            # A variation shows its parent's name, slug and SKU (its title, permalink).
            variation.cached = None
        if not ORDER_SHOWN_FIELDS.isdisjoint(fields):
            self.orders_changed(product_id)
        self.core.emit_change("product", "updated", product_id, emit)
        self.core.fire_action("woocommerce_update_product", product_id, emit)
        return product

    def _touch(self, product: Product) -> None:
        if product.id in self.variations.records:
            self.variations.touch(product)  # not in the products' date indexes
            return
        self.dates.remove(product)
        now = self.core.now()
        product.modified, product.modified_wall = now, self.core.wall(now)
        product.cached = None
        self.dates.add(product)

    @changes_records
    def trash(self, product_id: int, *, emit: bool = True) -> Product:
        core = self.core
        variation = self.variations.records.get(product_id)
        if variation is not None:
            return self.variations.trash(variation.parent_id, product_id, emit=emit)
        product = self.get(product_id)
        if product.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The product has already been deleted.", 410
            )
        # wp_trash_post() records what untrashing needs as post meta (which the REST
        # answer then shows) and frees the slug by renaming the post.
        product.meta_data = (
            *product.meta_data,
            *core.trash_meta(product.status),
            MetaItem(core.next_meta_id(), "_wp_desired_post_slug", product.slug),
        )
        self._slugs.discard(product.slug)
        product.slug = f"{product.slug}__trashed"
        self._slugs.add(product.slug)
        self.variations.trash_children(product_id, emit=emit)
        product.status_before_trash, product.status = product.status, "trash"
        self._touch(product)
        emit_trashed_post(core, "product", product_id, emit)
        core.fire_action("woocommerce_trash_product", product_id, emit)
        return product

    @changes_records
    def restore(self, product_id: int, *, emit: bool = True) -> Product:
        product = self.get(product_id)
        if product.status != "trash":
            raise RestError("woosim_not_trashed", "The product is not in the trash.", 400)
        product.status = product.status_before_trash or "draft"
        desired = next(
            (m.value for m in product.meta_data if m.key == "_wp_desired_post_slug"), None
        )
        if desired is not None:
            self._slugs.discard(product.slug)
            product.slug = self.unique_slug(str(desired))
            self._slugs.add(product.slug)
        product.meta_data = without_trash_meta(product.meta_data)
        self._touch(product)
        self.core.emit_change("product", "restored", product_id, emit)
        return product

    @changes_records
    def delete(self, product_id: int, *, emit: bool = True) -> Product:
        """Permanent delete: fires no hook in the webhook topic map, only its action."""
        variation = self.variations.records.get(product_id)
        if variation is not None:
            return self.variations.delete(variation.parent_id, product_id)
        product = self.get(product_id)
        self.variations.delete_children(product_id)
        del self.records[product_id]
        self.dates.remove(product)
        self._slugs.discard(product.slug)
        if product.sku and self._skus.get(product.sku) == product_id:
            del self._skus[product.sku]
        self.orders_changed(product_id)  # their line items lose the sku
        self.core.fire_action("woocommerce_delete_product", product_id, emit)
        return product

    # ------------------------------------------------------------------ stock and sales
    @changes_records
    def move_stock(self, product: Product, delta: int, emit: bool) -> None:
        """wc_update_product_stock(): the product is saved, so product.updated fires."""
        core = self.core
        assert product.stock_quantity is not None
        product.stock_quantity += delta
        was = product.stock_status
        product.stock_status = stock_status_for(product.stock_quantity)
        self._touch(product)
        # No orders_changed: an order shows none of what a stock move changes.
        core.fire_action("woocommerce_updated_product_stock", product.id, emit)
        if product.stock_status != was:
            core.fire_action("woocommerce_product_set_stock_status", product.id, emit)
        core.emit_change("product", "updated", product.id, emit)
        core.fire_action("woocommerce_update_product", product.id, emit)

    @changes_records
    def count_sales(self, items: tuple[LineItem, ...], sign: int) -> None:
        """total_sales of each line's product, up (``sign`` 1) or down (-1) by its quantity."""
        for item in items:
            product = self.records.get(item.product_id)
            if product is not None:
                product.total_sales = max(0, product.total_sales + sign * item.quantity)
                product.cached = None

    def query(self, query: PostQuery) -> tuple[list[Product], int]:
        if query.category is not None:
            # A category matches its descendants' products too (recorded).
            query.category = self.terms.with_descendants(query.category)
        return query_posts(self.records, self.dates, query, product_predicate(query))
