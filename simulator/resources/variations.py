"""A product variation, as WC_REST_Product_Variations_Controller renders and accepts it."""

from __future__ import annotations

from simulator.models import STOCK_STATUSES
from simulator.resources.declare import Declaration, Field
from simulator.resources.meta import META
from simulator.resources.products import PRICE, TAX_STATUSES, VARIATION_OPTION
from simulator.resources.schema import (
    AMOUNT_INPUT,
    BOOLEAN,
    DATE,
    EMPTY_LIST,
    INTEGER,
    NULLABLE_DATE,
    NULLABLE_INTEGER,
    STRING,
    URI,
    Schema,
    enum,
    links,
    strict_object,
)

#: Statuses a variation is written with (any other, in a batch, becomes draft).
VARIATION_STATUSES = ("draft", "pending", "private", "publish")
#: A variation's status as rendered (a trashed one can be read).
RENDERED_STATUSES = (*VARIATION_STATUSES, "trash")
OPTION_INPUT: Schema = {
    "type": "array",
    "items": {"type": "object", "properties": {"name": STRING, "option": STRING}},
}
DIMENSIONS: Schema = strict_object({"length": STRING, "width": STRING, "height": STRING})
DIMENSIONS_INPUT: Schema = {
    "type": "object",
    "properties": {"length": STRING, "width": STRING, "height": STRING},
}

#: Fields a variation renders that WooCommerce 10.0.2's item schema does not declare
#: (its OPTIONS answer leaves them out, recorded).
UNDECLARED = ("date_created_gmt", "date_modified_gmt", "name", "parent_id")

VARIATION = Declaration(
    "ProductVariation",
    (
        Field("id", INTEGER),
        Field("type", enum(("variation",))),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("date_modified", DATE),
        Field("date_modified_gmt", DATE),
        Field("description", STRING, writable=True),
        Field("permalink", URI),
        Field("sku", STRING, writable=True),
        Field("global_unique_id", STRING),
        Field("price", PRICE),
        Field("regular_price", PRICE, writable=True, input=AMOUNT_INPUT),
        Field("sale_price", PRICE, writable=True, input=AMOUNT_INPUT),
        Field("date_on_sale_from", NULLABLE_DATE),
        Field("date_on_sale_from_gmt", NULLABLE_DATE),
        Field("date_on_sale_to", NULLABLE_DATE),
        Field("date_on_sale_to_gmt", NULLABLE_DATE),
        Field("on_sale", BOOLEAN),
        Field("status", enum(RENDERED_STATUSES), writable=True, input=enum(VARIATION_STATUSES)),
        Field("purchasable", BOOLEAN),
        Field("virtual", BOOLEAN, writable=True),
        Field("downloadable", BOOLEAN, writable=True),
        Field("downloads", EMPTY_LIST),
        Field("download_limit", INTEGER),
        Field("download_expiry", INTEGER),
        Field("tax_status", enum(TAX_STATUSES), writable=True),
        Field("tax_class", STRING, writable=True),
        Field("manage_stock", BOOLEAN, writable=True),
        Field("stock_quantity", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("stock_status", enum(STOCK_STATUSES), writable=True),
        Field("backorders", enum(("no", "notify", "yes"))),
        Field("backorders_allowed", BOOLEAN),
        Field("backordered", BOOLEAN),
        Field("low_stock_amount", NULLABLE_INTEGER),
        Field("weight", STRING, writable=True),
        Field(
            "dimensions",
            DIMENSIONS,
            writable=True,
            input={
                "type": "object",
                "properties": {k: STRING for k in ("length", "width", "height")},
            },
        ),
        Field("shipping_class", STRING),
        Field("shipping_class_id", INTEGER),
        Field("image", {"type": "null"}),
        Field(
            "attributes",
            {"type": "array", "items": VARIATION_OPTION},
            writable=True,
            input=OPTION_INPUT,
        ),
        Field("menu_order", INTEGER, writable=True),
        Field("meta_data", shape=META, many=True, writable=True),
        Field("name", STRING),
        Field("parent_id", INTEGER),
        Field("_links", links("self", "collection", "up")),
    ),
)
