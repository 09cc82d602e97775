"""Variable products and their variations, as WooCommerce 10.0.2 renders them.

Three shapes: a variation from ``/products/{id}/variations`` (its own controller and
key order), a variation from ``/products/{id}`` and in webhooks (the products
controller's shape), and a variable parent, whose price, price range, sale flag,
stock status and list of variations come from its children.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from simulator.models import Product
from simulator.render_text import ITEM_METHODS, format_money, meta_rows, sale_price_html, wpautop
from simulator.resources.declare import ordered
from simulator.resources.variations import VARIATION
from simulator.stock import variable_stock_status
from simulator.store.slugs import sanitize_title
from simulator.wcdates import format_wall

if TYPE_CHECKING:
    from simulator.settings import Settings
    from simulator.store import Store


def _amount(cents: int, dp: int, *, hidden: bool = False) -> str:
    aria = ' aria-hidden="true"' if hidden else ""
    return (
        f'<span class="woocommerce-Price-amount amount"{aria}><bdi>'
        '<span class="woocommerce-Price-currencySymbol">&#36;</span>'
        f"{format_money(cents, dp)}</bdi></span>"
    )


class VariationRenderer:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    # ------------------------------------------------------------------ shared
    def sku(self, variation: Product) -> str:
        """get_sku(): its own, else the parent's."""
        if variation.sku:
            return variation.sku
        parent = self.store.products.get(variation.parent_id)
        return parent.sku if parent is not None else ""

    @staticmethod
    def purchasable(variation: Product) -> bool:
        """is_purchasable(): a price, and published (a private one is not, recorded)."""
        return variation.price is not None and variation.status == "publish"

    def options(self, variation: Product) -> list[tuple[str, str, str]]:
        """(label, slug, option) of each option the variation names."""
        return [
            (attribute.name, sanitize_title(attribute.name), option)
            for attribute, option in self.store.variations.variation_attributes(variation)
            if option
        ]

    def permalink(self, variation: Product) -> str:
        parent = self.store.products.get(variation.parent_id)
        base = f"{self.settings.site_url}/product/{parent.slug}/" if parent is not None else ""
        pairs = [(slug, option) for _, slug, option in self.options(variation)]
        query = "&".join(f"attribute_{slug}={quote(option, safe='')}" for slug, option in pairs)
        return f"{base}?{query}" if query else base

    def attributes(self, variation: Product) -> list[dict[str, Any]]:
        return [
            {"id": 0, "name": label, "slug": slug, "option": option}
            for label, slug, option in self.options(variation)
        ]

    # ------------------------------------------------------------------ variations route
    def variation(self, variation: Product, context: str = "view") -> dict[str, Any]:
        dp = self.settings.price_decimals

        def price(cents: int | None, text: str | None) -> str:
            if cents is None:
                return ""
            return text if text is not None else format_money(cents, dp)

        on_sale = variation.sale_price is not None
        tax_class = variation.tax_class
        if context != "edit" and tax_class == "parent":
            parent = self.store.products.get(variation.parent_id)
            tax_class = parent.tax_class if parent is not None else ""
        length, width, height = variation.dimensions
        data = {
            "id": variation.id,
            "type": "variation",
            "date_created": format_wall(variation.created_wall),
            "date_created_gmt": format_wall(variation.created),
            "date_modified": format_wall(variation.modified_wall),
            "date_modified_gmt": format_wall(variation.modified),
            # wc_format_content() in either context.
            "description": wpautop(variation.description),
            "permalink": self.permalink(variation),
            "sku": self.sku(variation),
            "global_unique_id": "",
            "price": price(
                variation.price,
                variation.sale_price_text if on_sale else variation.regular_price_text,
            ),
            "regular_price": price(variation.regular_price, variation.regular_price_text),
            "sale_price": price(variation.sale_price, variation.sale_price_text),
            "date_on_sale_from": None,
            "date_on_sale_from_gmt": None,
            "date_on_sale_to": None,
            "date_on_sale_to_gmt": None,
            "on_sale": on_sale,
            "status": variation.status,
            "purchasable": self.purchasable(variation),
            "virtual": variation.virtual,
            "downloadable": variation.downloadable,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "tax_status": variation.tax_status,
            "tax_class": tax_class,
            "manage_stock": variation.manage_stock,
            "stock_quantity": variation.stock_quantity,
            "stock_status": variation.stock_status,
            "backorders": "no",
            "backorders_allowed": False,
            "backordered": False,
            "low_stock_amount": None,
            "weight": variation.weight,
            "dimensions": {"length": length, "width": width, "height": height},
            "shipping_class": "",
            "shipping_class_id": 0,
            "image": None,
            "attributes": self.attributes(variation),
            "menu_order": variation.menu_order,
            "meta_data": meta_rows(variation.meta_data),
            "name": ", ".join(option for _, _, option in self.options(variation)),
            "parent_id": variation.parent_id,
            "_links": self.links(variation),
        }
        return ordered(VARIATION, data, context)

    def links(self, variation: Product, *, exists: bool = True) -> dict[str, Any]:
        api = f"{self.api_url}/products/{variation.parent_id}"
        this: dict[str, Any] = {"href": f"{api}/variations/{variation.id}"}
        if exists:
            this["targetHints"] = {"allow": list(ITEM_METHODS)}
        return {
            "self": [this],
            "collection": [{"href": f"{api}/variations"}],
            "up": [{"href": api}],
        }

    # ------------------------------------------------------------------ products route
    def as_product(self, variation: Product, data: dict[str, Any], context: str) -> None:
        """A variation in the products controller's shape (``data`` is the product one)."""
        title = self.store.variations.title(variation)
        data["name"] = title
        data["slug"] = variation.slug
        data["permalink"] = self.permalink(variation)
        data["sku"] = self.sku(variation)
        if context != "edit" and variation.tax_class == "parent":
            parent = self.store.products.get(variation.parent_id)
            data["tax_class"] = parent.tax_class if parent is not None else ""
        data["reviews_allowed"] = False
        data["purchasable"] = self.purchasable(variation)
        # Sales count on the parent; a variation's own total_sales meta is the string "0".
        data["total_sales"] = "0"
        data["parent_id"] = variation.parent_id
        data["categories"] = []
        data["tags"] = []
        data["attributes"] = self.attributes(variation)
        data["related_ids"] = []
        if context == "edit":
            data["generated_slug"] = variation.slug or sanitize_title(title)

    def product_links(self, variation: Product) -> dict[str, Any]:
        return {
            "self": [
                {
                    "href": f"{self.api_url}/products/{variation.id}",
                    "targetHints": {"allow": list(ITEM_METHODS)},
                }
            ],
            "collection": [{"href": f"{self.api_url}/products"}],
            "up": [{"href": f"{self.api_url}/products/{variation.parent_id}"}],
        }

    # ------------------------------------------------------------------ variable parents
    def as_variable(self, product: Product, data: dict[str, Any]) -> None:
        """The fields a variable product takes from its children (WC_Product_Variable)."""
        children = self.store.variations.listed(product.id)
        data["variations"] = [v.id for v in children]
        data["has_options"] = True
        data["regular_price"] = ""
        data["sale_price"] = ""
        # get_variation_prices(): published variations that have a price.
        shown = [v for v in children if v.status == "publish" and v.price is not None]
        prices = sorted(v.price for v in shown if v.price is not None)
        if not prices:
            data["price"] = ""
            data["price_html"] = ""
            data["on_sale"] = False
            data["purchasable"] = False
        else:
            dp = self.settings.price_decimals
            low, high = prices[0], prices[-1]
            data["price"] = format_money(low, dp)
            data["on_sale"] = any(v.sale_price is not None for v in shown)
            data["purchasable"] = True
            data["price_html"] = self._price_html(shown, low, high)
        if children:
            data["stock_status"] = variable_stock_status(v.stock_status for v in children)

    def _price_html(self, shown: list[Product], low: int, high: int) -> str:
        dp = self.settings.price_decimals
        if low != high:
            return (
                f"{_amount(low, dp, hidden=True)} "
                '<span aria-hidden="true">&ndash;</span> '
                f"{_amount(high, dp, hidden=True)}"
                '<span class="screen-reader-text">Price range: '
                f"&#36;{format_money(low, dp)} through &#36;{format_money(high, dp)}</span>"
            )
        regulars = {v.regular_price for v in shown}
        on_sale = any(v.sale_price is not None for v in shown)
        if on_sale and len(regulars) == 1:
            regular = next(iter(regulars))
            if regular is not None:
                return sale_price_html(regular, low, dp)
        return _amount(low, dp)
