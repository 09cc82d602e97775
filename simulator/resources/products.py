"""A product, as WC_REST_Products_Controller renders and accepts it."""

from __future__ import annotations

from simulator.models import PRODUCT_TYPES, PRODUCT_WRITE_STATUSES, STOCK_STATUSES
from simulator.resources.declare import EDIT_ONLY, Declaration, Field
from simulator.resources.meta import META
from simulator.resources.schema import (
    AMOUNT_INPUT,
    BOOLEAN,
    DATE,
    EMPTY_LIST,
    INTEGER,
    INTEGER_LIST,
    NULLABLE_DATE,
    NULLABLE_INTEGER,
    NUMERIC_PATTERN,
    STRING,
    URI,
    Schema,
    enum,
    links,
    strict_object,
)
from simulator.resources.terms import TERM

CATALOG_VISIBILITIES = ("visible", "catalog", "search", "hidden")
TAX_STATUSES = ("taxable", "shipping", "none")
#: A price as the product shows it: "" when unset, else the text a request wrote
#: (anything PHP's is_numeric took, " 5" or "1e2" too) or the amount with the
#: store's decimals.
PRICE: Schema = {"type": "string", "pattern": f"^(|{NUMERIC_PATTERN})$"}

PRODUCT = Declaration(
    "Product",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True),
        Field("slug", STRING, writable=True),
        Field("permalink", URI),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("date_modified", DATE),
        Field("date_modified_gmt", DATE),
        Field("type", enum(PRODUCT_TYPES), writable=True),
        Field("status", enum(PRODUCT_WRITE_STATUSES), writable=True),
        Field("featured", BOOLEAN, writable=True),
        Field("catalog_visibility", enum(CATALOG_VISIBILITIES), writable=True),
        Field("description", STRING, writable=True),
        Field("short_description", STRING, writable=True),
        Field("sku", STRING, writable=True),
        Field("price", PRICE),
        Field("regular_price", PRICE, writable=True, input=AMOUNT_INPUT),
        Field("sale_price", PRICE, writable=True, input=AMOUNT_INPUT),
        Field("date_on_sale_from", NULLABLE_DATE),
        Field("date_on_sale_from_gmt", NULLABLE_DATE),
        Field("date_on_sale_to", NULLABLE_DATE),
        Field("date_on_sale_to_gmt", NULLABLE_DATE),
        Field("on_sale", BOOLEAN),
        Field("purchasable", BOOLEAN),
        Field("total_sales", INTEGER),
        Field("virtual", BOOLEAN, writable=True),
        Field("downloadable", BOOLEAN, writable=True),
        Field("downloads", EMPTY_LIST),
        Field("download_limit", INTEGER),
        Field("download_expiry", INTEGER),
        Field("external_url", STRING),
        Field("button_text", STRING),
        Field("tax_status", enum(TAX_STATUSES), writable=True),
        Field("tax_class", STRING, writable=True),
        Field("manage_stock", BOOLEAN, writable=True),
        Field("stock_quantity", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("backorders", enum(("no", "notify", "yes"))),
        Field("backorders_allowed", BOOLEAN),
        Field("backordered", BOOLEAN),
        Field("low_stock_amount", NULLABLE_INTEGER),
        Field("sold_individually", BOOLEAN),
        Field("weight", STRING, writable=True),
        Field("dimensions", strict_object({"length": STRING, "width": STRING, "height": STRING})),
        Field("shipping_required", BOOLEAN),
        Field("shipping_taxable", BOOLEAN),
        Field("shipping_class", STRING),
        Field("shipping_class_id", INTEGER),
        Field("reviews_allowed", BOOLEAN),
        Field("average_rating", STRING),
        Field("rating_count", INTEGER),
        Field("upsell_ids", INTEGER_LIST),
        Field("cross_sell_ids", INTEGER_LIST),
        Field("parent_id", INTEGER),
        Field("purchase_note", STRING),
        Field("categories", shape=TERM, many=True, writable=True),
        Field("brands", shape=TERM, many=True),
        Field("tags", shape=TERM, many=True),
        Field("images", EMPTY_LIST),
        Field("attributes", EMPTY_LIST),
        Field("default_attributes", EMPTY_LIST),
        Field("variations", INTEGER_LIST),
        Field("grouped_products", INTEGER_LIST),
        Field("menu_order", INTEGER),
        Field("price_html", STRING),
        Field("related_ids", INTEGER_LIST),
        Field("meta_data", shape=META, many=True, writable=True),
        Field("stock_status", enum(STOCK_STATUSES), writable=True),
        Field("has_options", BOOLEAN),
        Field("post_password", STRING),
        Field("global_unique_id", STRING),
        # The edit context only (creates, updates, deletes, context=edit).
        Field("permalink_template", STRING, contexts=EDIT_ONLY),
        Field("generated_slug", STRING, contexts=EDIT_ONLY),
        Field("_links", links("self", "collection")),
    ),
)
