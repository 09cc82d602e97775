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
    enum,
    links,
)
from simulator.store.variations import STATUSES

DIMENSIONS = Declaration(
    "Dimensions",
    (
        Field("length", STRING, writable=True),
        Field("width", STRING, writable=True),
        Field("height", STRING, writable=True),
    ),
)

#: An option a request names: the parent's attribute by ``id`` or ``name``.
ATTRIBUTE_INPUT = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"id": INTEGER, "name": STRING, "option": STRING},
    },
}

VARIATION = Declaration(
    "Variation",
    (
        Field("id", INTEGER),
        Field("type", enum(["variation"])),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("date_modified", DATE),
        Field("date_modified_gmt", DATE),
        # wc_format_content() in either context.
        Field("description", STRING, writable=True),
        Field("permalink", URI),
        # Its own, else the parent's.
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
        # A trashed variation lists as "trash".
        Field("status", STRING, writable=True, input=enum(STATUSES)),
        Field("purchasable", BOOLEAN),
        Field("virtual", BOOLEAN, writable=True),
        Field("downloadable", BOOLEAN, writable=True),
        Field("downloads", EMPTY_LIST),
        Field("download_limit", INTEGER),
        Field("download_expiry", INTEGER),
        Field("tax_status", enum(TAX_STATUSES), writable=True),
        # "parent" in the edit context; the view shows the parent's class.
        Field("tax_class", STRING, writable=True),
        Field("manage_stock", BOOLEAN, writable=True),
        Field("stock_quantity", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("stock_status", enum(STOCK_STATUSES), writable=True),
        Field("backorders", STRING),
        Field("backorders_allowed", BOOLEAN),
        Field("backordered", BOOLEAN),
        Field("low_stock_amount", NULLABLE_INTEGER),
        Field("weight", STRING, writable=True),
        Field("dimensions", shape=DIMENSIONS, writable=True),
        Field("shipping_class", STRING),
        Field("shipping_class_id", INTEGER),
        # The store keeps no media library.
        Field("image", {"type": "null"}),
        Field(
            "attributes",
            {"type": "array", "items": VARIATION_OPTION},
            writable=True,
            input=ATTRIBUTE_INPUT,
        ),
        Field("menu_order", INTEGER, writable=True),
        Field("meta_data", shape=META, many=True, writable=True),
        # Its options, comma-separated.
        Field("name", STRING),
        Field("parent_id", INTEGER),
        # No targetHints on a variation just deleted.
        Field("_links", links("self", "collection", "up")),
    ),
)
