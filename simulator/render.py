"""Records to the JSON WooCommerce's v3 controllers produce.

Key order follows the real controllers (see the spec's object sections); money is
a string with ``dp`` decimals; dates come in pairs, site-local and ``_gmt``,
without zone. The default rendering (``dp`` = store decimals) of each record is
cached as PHP-style JSON bytes on the record, so a list page is a join of
ready fragments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from simulator.models import (
    Address,
    CouponLine,
    Customer,
    FeeLine,
    LineItem,
    MetaItem,
    Order,
    Product,
    ShippingLine,
)
from simulator.phpjson import dumps
from simulator.render_text import ITEM_METHODS as ITEM_METHODS
from simulator.render_text import MAX_DP as MAX_DP
from simulator.render_text import format_money as format_money
from simulator.render_text import item_price, meta_rows, sale_price_html, wpautop
from simulator.render_text import raw_amount as raw_amount
from simulator.render_variations import VariationRenderer
from simulator.resources.addresses import CUSTOMER_BILLING, CUSTOMER_SHIPPING
from simulator.resources.customers import CUSTOMER
from simulator.resources.declare import Declaration, keys, ordered
from simulator.resources.orders import ORDER
from simulator.resources.products import PRODUCT
from simulator.settings import Settings
from simulator.store import Store
from simulator.store.attributes import attribute_label
from simulator.store.coupon_lines import coupon_info
from simulator.store.coupons import php_float
from simulator.store.slugs import sanitize_title
from simulator.wcdates import format_wall

#: wc_get_related_products()'s default limit, as the products controller calls it.
RELATED_LIMIT = 5


def _item_meta(items: Sequence[MetaItem]) -> list[dict[str, Any]]:
    """An order item's meta as get_order_item_data() shows it, with display key and value."""
    return [
        {"id": m.id, "key": m.key, "value": m.value, "display_key": m.key, "display_value": m.value}
        for m in items
    ]


def _billing(address: Address) -> dict[str, str]:
    return {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "address_1": address.address_1,
        "address_2": address.address_2,
        "city": address.city,
        "state": address.state,
        "postcode": address.postcode,
        "country": address.country,
        "email": address.email,
        "phone": address.phone,
    }


def _shipping(address: Address) -> dict[str, str]:
    # WooCommerce's shipping address is the billing one without the e-mail, same order.
    fields = _billing(address)
    del fields["email"]
    return fields


def _customer_address(decl: Declaration, fields: dict[str, str]) -> dict[str, str]:
    return {key: fields[key] for key in keys(decl)}


def coupon_line(line: CouponLine) -> dict[str, Any]:
    """An order's coupon line: the discounts as PHP prints floats ("5", "7.23"), then what
    its ``coupon_info`` meta says of the coupon (WC_REST_Orders_V2_Controller)."""
    info = coupon_info(line)
    return {
        "id": line.id,
        "code": line.code,
        "discount": raw_amount(line.discount),
        "discount_tax": raw_amount(line.discount_tax),
        "meta_data": [
            {
                "id": m.id,
                "key": m.key,
                "value": m.value,
                "display_key": m.key,
                "display_value": m.value,
            }
            for m in line.meta_data
        ],
        "discount_type": str(info[2]) if len(info) > 2 and info[2] else "fixed_cart",
        "nominal_amount": php_float(float(info[3])) if len(info) > 3 and info[3] else 0,
        "free_shipping": bool(info[4]) if len(info) > 4 else False,
    }


#: A customer's top-level fields that are one attribute each: a list that asks for
#: only these with ``_fields`` (a poller scanning every customer for what changed asks
#: for the id and dates) is answered without rendering whole customers.
#: (Their dates are formatted through a cache: such a scan asks for the same
#: customers' dates every few minutes.)
_format_date = lru_cache(maxsize=1 << 14)(format_wall)
_CUSTOMER_PLAIN_FIELDS: dict[str, Callable[[Customer], Any]] = {
    "id": lambda c: c.id,
    "date_created": lambda c: _format_date(c.created_wall),
    "date_created_gmt": lambda c: _format_date(c.created),
    "date_modified": lambda c: _format_date(c.modified_wall),
    "date_modified_gmt": lambda c: _format_date(c.modified),
    "email": lambda c: c.email,
    "first_name": lambda c: c.first_name,
    "last_name": lambda c: c.last_name,
    "role": lambda c: c.role,
    "username": lambda c: c.username,
    "is_paying_customer": lambda c: c.is_paying_customer,
}


class Renderer:
    """Builds response objects for one store; reads settings for links and time zone."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.variations = VariationRenderer(settings, store)

    def variation_sku(self, variation: Product) -> str:
        return self.variations.sku(variation)

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    def _wall(self, timestamp: int | None) -> str | None:
        return None if timestamp is None else format_wall(self.store.wall(timestamp))

    def _links(
        self, base: str, record_id: int, extra: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        # WordPress 6.7+ adds targetHints (the methods of the item route) to every self link.
        links: dict[str, list[dict[str, Any]]] = {
            "self": [
                {
                    "href": f"{self.api_url}/{base}/{record_id}",
                    "targetHints": {"allow": list(ITEM_METHODS)},
                }
            ],
            "collection": [{"href": f"{self.api_url}/{base}"}],
        }
        for rel, link in (extra or {}).items():
            links[rel] = [link]
        return links

    # ------------------------------------------------------------------ customers
    def customer(self, customer: Customer) -> dict[str, Any]:
        digest = hashlib.sha256(customer.email.strip().lower().encode()).hexdigest()
        # The plain fields are read as a light `_fields` list reads them (one description).
        data = {name: read(customer) for name, read in _CUSTOMER_PLAIN_FIELDS.items()}
        data.update(
            {
                "billing": _customer_address(CUSTOMER_BILLING, _billing(customer.billing)),
                "shipping": _customer_address(CUSTOMER_SHIPPING, _shipping(customer.shipping)),
                # WordPress 6.8 hashes Gravatar e-mails with SHA-256.
                "avatar_url": f"https://secure.gravatar.com/avatar/{digest}?s=96&d=mm&r=g",
                # Unlike orders and products, a customer never shows meta whose key starts
                # with "_" (recorded from WooCommerce 10.0.2: "_x" hidden, "x_y" shown).
                "meta_data": meta_rows(
                    [m for m in customer.meta_data if not m.key.startswith("_")]
                ),
                "_links": self._links("customers", customer.id),
            }
        )
        return ordered(CUSTOMER, data)

    @staticmethod
    def customer_part(fields: Sequence[str]) -> Callable[[Customer], dict[str, Any]] | None:
        """A renderer of the top-level fields ``_fields`` names, in :meth:`customer`'s key
        order, or None when one of them is not a plain field (render the whole customer).

        ``_fields`` filtering then gives what it gives on the whole rendering: a dotted
        name under a plain field reaches no value and is left out either way.
        """
        wanted = {name.split(".", 1)[0] for name in fields}
        if not wanted or not wanted <= _CUSTOMER_PLAIN_FIELDS.keys():
            return None
        parts = [(name, _CUSTOMER_PLAIN_FIELDS[name]) for name in keys(CUSTOMER) if name in wanted]
        return lambda customer: {name: read(customer) for name, read in parts}

    def customer_bytes(self, customer: Customer) -> bytes:
        if customer.cached is None:
            customer.cached = dumps(self.customer(customer))
        return customer.cached

    # ------------------------------------------------------------------ orders
    def shipping_line(
        self, line: ShippingLine, dp: int, *, display_meta: bool = False
    ) -> dict[str, Any]:
        return {
            "id": line.id,
            "method_title": line.method_title,
            "method_id": line.method_id,
            "instance_id": line.instance_id,
            "total": format_money(line.total, dp),
            "total_tax": format_money(line.total_tax, dp),
            "taxes": [
                {
                    "id": self.settings.tax_rate_id,
                    "total": raw_amount(line.total_tax),
                    "subtotal": "",
                }
            ]
            if line.total_tax
            else [],
            "tax_status": "taxable",
            "meta_data": _item_meta(line.meta_data) if display_meta else meta_rows(line.meta_data),
        }

    def fee_line(self, fee: FeeLine, dp: int, *, display_meta: bool = False) -> dict[str, Any]:
        return {
            "id": fee.id,
            "name": fee.name,
            "tax_class": fee.tax_class,
            "tax_status": fee.tax_status,
            # The REST "amount" is never set on a fee added over REST: WooCommerce
            # 10.0.2 answers an empty string.
            "amount": "",
            "total": format_money(fee.total, dp),
            "total_tax": format_money(fee.total_tax, dp),
            "taxes": [
                {
                    "id": self.settings.tax_rate_id,
                    "total": raw_amount(fee.total_tax),
                    "subtotal": "",
                }
            ]
            if fee.total_tax
            else [],
            "meta_data": _item_meta(fee.meta_data) if display_meta else meta_rows(fee.meta_data),
        }

    def line_item(self, item: LineItem, dp: int) -> dict[str, Any]:
        product = self.store.products.get(item.product_id)
        variation = self.store.variations.records.get(item.variation_id)
        labels = (
            {sanitize_title(a.name): a.name for a in product.attributes}
            if variation is not None and product is not None
            else {}
        )
        taxes = (
            [
                {
                    "id": self.settings.tax_rate_id,
                    "total": raw_amount(item.total_tax),
                    "subtotal": raw_amount(item.subtotal_tax),
                }
            ]
            if item.total_tax or item.subtotal_tax
            else []
        )
        return {
            "id": item.id,
            "name": item.name,
            "product_id": item.product_id,
            "variation_id": item.variation_id,
            "quantity": item.quantity,
            "tax_class": item.tax_class,
            "subtotal": format_money(item.subtotal, dp),
            "subtotal_tax": format_money(item.subtotal_tax, dp),
            "total": format_money(item.total, dp),
            "total_tax": format_money(item.total_tax, dp),
            "taxes": taxes,
            "meta_data": [
                {
                    "id": m.id,
                    "key": m.key,
                    "value": m.value,
                    # A variation's option shows its attribute's label; an empty one
                    # (the variation takes any) keeps the key (recorded).
                    "display_key": labels.get(m.key, m.key) if m.value != "" else m.key,
                    "display_value": m.value,
                }
                for m in item.meta_data
            ],
            "sku": self.variation_sku(variation)
            if variation is not None
            else (product.sku if product is not None else None),
            "price": item_price(item.total, item.quantity),
            # No image: WooCommerce 10.0.2 writes a product's empty thumbnail id as a
            # string, and 0 when the line has no product (unknown or deleted).
            "image": {"id": "" if product is not None and variation is None else 0, "src": ""},
            "parent_name": product.name if variation is not None and product is not None else None,
        }

    def order(self, order: Order, dp: int | None = None) -> dict[str, Any]:
        if dp is None:
            dp = self.settings.price_decimals
        settings = self.settings
        # Read, not kept: an order whose lines are not built yet stays so (memory).
        line_items, shipping = order.peek_lines()
        items = [self.line_item(item, dp) for item in line_items]
        tax_lines = []
        if order.tax_line_id:
            tax_lines.append(
                {
                    "id": order.tax_line_id,
                    "rate_code": settings.tax_rate_code,
                    "rate_id": settings.tax_rate_id,
                    "label": settings.tax_rate_label,
                    "compound": False,
                    "tax_total": format_money(order.cart_tax, dp),
                    "shipping_tax_total": format_money(order.shipping_tax, dp),
                    "rate_percent": float(settings.tax_rate_percent),
                    "meta_data": [],
                }
            )
        shipping_lines = [self.shipping_line(line, dp) for line in shipping]
        fee_lines = [self.fee_line(fee, dp) for fee in order.fee_lines]
        coupon_lines = [coupon_line(coupon) for coupon in order.coupon_lines]
        total = order.total
        status = order.status
        needs_processing = any(
            (p := self.store.products.get(i.product_id)) is not None
            and not (p.virtual and p.downloadable)
            for i in line_items
        )
        extra_links: dict[str, dict[str, Any]] = {
            "email_templates": {
                "embeddable": True,
                "href": f"{self.api_url}/orders/{order.id}/actions/email_templates",
            }
        }
        if order.customer_id:
            extra_links["customer"] = {"href": f"{self.api_url}/customers/{order.customer_id}"}
        if order.parent_id:
            extra_links["up"] = {"href": f"{self.api_url}/orders/{order.parent_id}"}
        return ordered(
            ORDER,
            {
                "id": order.id,
                "parent_id": order.parent_id,
                "status": status,
                "currency": order.currency,
                "version": order.version,
                "prices_include_tax": order.prices_include_tax,
                "date_created": format_wall(order.created_wall),
                "date_modified": format_wall(order.modified_wall),
                "discount_total": format_money(order.discount_total, dp),
                "discount_tax": format_money(order.discount_tax, dp),
                "shipping_total": format_money(order.shipping_total, dp),
                "shipping_tax": format_money(order.shipping_tax, dp),
                "cart_tax": format_money(order.cart_tax, dp),
                "total": format_money(total, dp),
                "total_tax": format_money(order.total_tax, dp),
                "customer_id": order.customer_id,
                "order_key": order.order_key,
                "billing": _billing(order.billing),
                "shipping": _shipping(order.shipping),
                "payment_method": order.payment_method,
                "payment_method_title": order.payment_method_title,
                "transaction_id": order.transaction_id,
                "customer_ip_address": order.customer_ip_address,
                "customer_user_agent": order.customer_user_agent,
                "created_via": order.created_via,
                "customer_note": order.customer_note,
                "date_completed": self._wall(order.completed),
                "date_paid": self._wall(order.paid),
                "cart_hash": order.cart_hash,
                "number": str(order.id),
                "meta_data": meta_rows(order.meta_data),
                "line_items": items,
                "tax_lines": tax_lines,
                "shipping_lines": shipping_lines,
                "fee_lines": fee_lines,
                "coupon_lines": coupon_lines,
                "refunds": [
                    # The total is the amount times -1 as a float: a zero refund is "-0.00".
                    {"id": r.id, "reason": r.reason, "total": "-" + format_money(r.amount, dp)}
                    for r in self.store.refund_table.of_order(order)
                ]
                if order.refunds
                else [],
                "payment_url": (
                    f"{settings.site_url}/checkout/order-pay/{order.id}/"
                    f"?pay_for_order=true&key={order.order_key}"
                ),
                "is_editable": status in ("pending", "on-hold", "auto-draft"),
                # WooCommerce's checkout blocks add checkout-draft to the statuses that
                # need payment (recorded: a draft left by a refused coupon says true).
                "needs_payment": status in ("pending", "failed", "checkout-draft") and total > 0,
                "needs_processing": needs_processing,
                "date_created_gmt": format_wall(order.created),
                "date_modified_gmt": format_wall(order.modified),
                "date_completed_gmt": format_wall(order.completed),
                "date_paid_gmt": format_wall(order.paid),
                "currency_symbol": settings.currency_symbol
                if order.currency == settings.currency
                else order.currency,
                "_links": self._links("orders", order.id, extra_links),
            },
        )

    def order_bytes(self, order: Order) -> bytes:
        if order.cached is None:
            order.cached = dumps(self.order(order))
        return order.cached

    # ------------------------------------------------------------------ products
    def _price_html(self, product: Product) -> str:
        def amount(cents: int) -> str:
            return (
                '<span class="woocommerce-Price-amount amount"><bdi>'
                '<span class="woocommerce-Price-currencySymbol">&#36;</span>'
                f"{format_money(cents, self.settings.price_decimals)}</bdi></span>"
            )

        if product.regular_price is None:
            return ""
        if product.sale_price is not None:
            return sale_price_html(
                product.regular_price, product.sale_price, self.settings.price_decimals
            )
        return amount(product.regular_price)

    def related_ids(self, product: Product) -> list[int]:
        """wc_get_related_products(): up to five published products sharing a category.

        The real store shuffles them and caches the list for a day per product (the
        cache is cleared when that product is saved); the fake takes the lowest ids,
        so the answer is repeatable. Cached renderings of other products keep their
        list until they change, much as the real cache does.
        """
        categories = {c.id for c in product.categories}
        if not categories:
            return []
        related = [
            other.id
            for other in self.store.products.values()
            if other.id != product.id
            and other.status == "publish"
            and other.catalog_visibility != "hidden"
            and categories.intersection(c.id for c in other.categories)
        ]
        return sorted(related)[:RELATED_LIMIT]

    def product(self, product: Product, context: str = "view") -> dict[str, Any]:
        """A product in ``context`` (view, or edit as creates and updates answer).

        WooCommerce 10.0.2: the view context formats the rating (``"0.00"``), the edit
        context gives it raw (``"0"``) and adds ``permalink_template`` and
        ``generated_slug``.
        """
        dp = self.settings.price_decimals
        edit = context == "edit"

        def price(cents: int | None, text: str | None) -> str:
            if cents is None:
                return ""
            return text if text is not None else format_money(cents, dp)

        on_sale = product.sale_price is not None
        # Only public and private products have pretty links (wp_force_plain_post_permalink):
        # drafts, pending, future and trashed ones get the plain ?post_type=product&p= form.
        permalink = (
            f"{self.settings.site_url}/product/{product.slug}/"
            if product.status in ("publish", "private")
            else f"{self.settings.site_url}/?post_type=product&p={product.id}"
        )

        data: dict[str, Any] = {
            "id": product.id,
            "name": product.name,
            "slug": product.slug,
            "permalink": permalink,
            "date_created": format_wall(product.created_wall),
            "date_created_gmt": format_wall(product.created),
            "date_modified": format_wall(product.modified_wall),
            "date_modified_gmt": format_wall(product.modified),
            "type": product.type,
            "status": product.status,
            "featured": product.featured,
            "catalog_visibility": product.catalog_visibility,
            # The view context runs the texts through wpautop (and do_shortcode).
            "description": product.description if edit else wpautop(product.description),
            "short_description": product.short_description
            if edit
            else wpautop(product.short_description),
            "sku": product.sku,
            "price": price(
                product.price,
                product.sale_price_text if on_sale else product.regular_price_text,
            ),
            "regular_price": price(product.regular_price, product.regular_price_text),
            "sale_price": price(product.sale_price, product.sale_price_text),
            "date_on_sale_from": None,
            "date_on_sale_from_gmt": None,
            "date_on_sale_to": None,
            "date_on_sale_to_gmt": None,
            "on_sale": product.sale_price is not None,
            # is_purchasable(): a price, and published or editable by the caller (a
            # REST key's user can edit every product, so drafts count too: recorded).
            "purchasable": product.price is not None,
            "total_sales": product.total_sales,
            "virtual": product.virtual,
            "downloadable": product.downloadable,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "external_url": "",
            "button_text": "",
            "tax_status": product.tax_status,
            "tax_class": product.tax_class,
            "manage_stock": product.manage_stock,
            "stock_quantity": product.stock_quantity,
            "backorders": "no",
            "backorders_allowed": False,
            "backordered": False,
            "low_stock_amount": None,
            "sold_individually": False,
            "weight": product.weight,
            "dimensions": dict(zip(("length", "width", "height"), product.dimensions, strict=True)),
            "shipping_required": not product.virtual,
            # is_shipping_taxable(): needs shipping (not virtual) and taxable.
            "shipping_taxable": not product.virtual
            and product.tax_status in ("taxable", "shipping"),
            "shipping_class": "",
            "shipping_class_id": 0,
            "reviews_allowed": True,
            "average_rating": "0" if edit else "0.00",
            "rating_count": 0,
            "upsell_ids": [],
            "cross_sell_ids": [],
            "parent_id": 0,
            "purchase_note": "",
            "categories": [
                {"id": c.id, "name": c.name, "slug": c.slug} for c in product.categories
            ],
            "brands": [],
            "tags": [{"id": t.id, "name": t.name, "slug": t.slug} for t in product.tags],
            "images": [],
            "attributes": [
                {
                    "id": 0,
                    "name": a.name,
                    # A custom attribute's slug is its name as written (recorded).
                    "slug": a.name,
                    "position": a.position,
                    "visible": a.visible,
                    "variation": a.variation,
                    "options": list(a.options),
                }
                for a in product.attributes
            ],
            "default_attributes": [
                {"id": 0, "name": attribute_label(product.attributes, slug), "option": option}
                for slug, option in product.default_attributes
            ],
            "variations": [],
            "grouped_products": [],
            "menu_order": product.menu_order,
            "price_html": self._price_html(product),
            "related_ids": self.related_ids(product),
            "meta_data": meta_rows(product.meta_data),
            "stock_status": product.stock_status,
            "has_options": False,
            "post_password": "",
            "global_unique_id": "",
        }
        if edit:
            data["permalink_template"] = f"{self.settings.site_url}/product/%pagename%/"
            # get_sample_permalink(): the slug a published product has; any other
            # status gets the one its name would give (recorded for draft, pending, trash).
            data["generated_slug"] = (
                product.slug
                if product.status in ("publish", "private") and product.slug
                else sanitize_title(product.name)
            )
        if product.type == "variation":
            self.variations.as_product(product, data, context)
            data["_links"] = self.variations.product_links(product)
            return ordered(PRODUCT, data, context)
        if product.type == "variable":
            self.variations.as_variable(product, data)
        data["_links"] = self._links("products", product.id)
        return ordered(PRODUCT, data, context)

    def product_bytes(self, product: Product) -> bytes:
        if product.cached is None:
            product.cached = dumps(self.product(product))
        return product.cached
