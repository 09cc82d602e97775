"""An order and its lines, as WC_REST_Orders_Controller renders and accepts them."""

from __future__ import annotations

from simulator.models import ORDER_STATUSES
from simulator.resources.addresses import BILLING, SHIPPING
from simulator.resources.declare import Declaration, Field
from simulator.resources.meta import ITEM_META, META
from simulator.resources.schema import (
    AMOUNT_INPUT,
    BOOLEAN,
    DATE,
    INTEGER,
    MONEY,
    NON_NEGATIVE,
    NULLABLE_DATE,
    NULLABLE_STRING,
    NUMBER,
    RAW_AMOUNT,
    STRING,
    URI,
    enum,
    links,
    strict_object,
)
from simulator.store.coupons import DISCOUNT_TYPES

LINE_TAX_STATUSES = ("taxable", "none")

#: One rate's share of a line's tax.
TAX = Declaration(
    "Tax",
    (Field("id", INTEGER), Field("total", RAW_AMOUNT), Field("subtotal", RAW_AMOUNT)),
)

LINE_ITEM = Declaration(
    "LineItem",
    (
        Field("id", INTEGER, writable=True, input=NON_NEGATIVE),
        Field("name", STRING, writable=True),
        # null with an id removes the line.
        Field(
            "product_id",
            INTEGER,
            writable=True,
            input={"type": ["integer", "null"], "minimum": 0},
        ),
        Field("variation_id", INTEGER, writable=True, input=NON_NEGATIVE),
        Field("quantity", INTEGER, writable=True, input={"type": "integer", "minimum": 1}),
        Field("tax_class", STRING),
        Field("subtotal", MONEY, writable=True, input=AMOUNT_INPUT),
        Field("subtotal_tax", MONEY),
        Field("total", MONEY, writable=True, input=AMOUNT_INPUT),
        Field("total_tax", MONEY),
        Field("taxes", shape=TAX, many=True),
        Field("meta_data", shape=ITEM_META, many=True, writable=True),
        Field("sku", NULLABLE_STRING, writable=True, input=STRING),
        # get_item_total(): an integer when exact (25), else a float.
        Field("price", NUMBER),
        # No image: the empty thumbnail id of a product is "", a line without a
        # product (unknown or deleted) has 0 (WooCommerce 10.0.2).
        Field("image", strict_object({"id": {"type": ["string", "integer"]}, "src": STRING})),
        Field("parent_name", NULLABLE_STRING),
    ),
)

TAX_LINE = Declaration(
    "TaxLine",
    (
        Field("id", INTEGER),
        Field("rate_code", STRING),
        Field("rate_id", INTEGER),
        Field("label", STRING),
        Field("compound", BOOLEAN),
        Field("tax_total", MONEY),
        Field("shipping_tax_total", MONEY),
        Field("rate_percent", NUMBER),
        Field("meta_data", shape=META, many=True),
    ),
)

SHIPPING_LINE = Declaration(
    "ShippingLine",
    (
        Field("id", INTEGER, writable=True, input=NON_NEGATIVE),
        Field("method_title", STRING, writable=True, input=NULLABLE_STRING),
        Field("method_id", STRING, writable=True, input=NULLABLE_STRING),
        Field("instance_id", STRING, writable=True, input=NULLABLE_STRING),
        Field("total", MONEY, writable=True, input=AMOUNT_INPUT),
        Field("total_tax", MONEY),
        Field("taxes", shape=TAX, many=True),
        Field("tax_status", enum(LINE_TAX_STATUSES)),
        Field("meta_data", shape=META, many=True),
    ),
)

FEE_LINE = Declaration(
    "FeeLine",
    (
        Field("id", INTEGER, writable=True, input=NON_NEGATIVE),
        Field("name", STRING, writable=True, input=NULLABLE_STRING),
        Field("tax_class", STRING),
        Field("tax_status", enum(LINE_TAX_STATUSES), writable=True),
        Field("amount", RAW_AMOUNT),
        Field("total", MONEY, writable=True, input=AMOUNT_INPUT),
        Field("total_tax", MONEY),
        Field("taxes", shape=TAX, many=True),
        Field("meta_data", shape=META, many=True),
    ),
)

COUPON_LINE = Declaration(
    "CouponLine",
    (
        Field("id", INTEGER),
        # A code that does not apply is a 400 (on a create the order stays, as a
        # checkout-draft named in the error).
        Field("code", STRING, writable=True),
        # The discounts as PHP prints a float: "5", "7.23", "0".
        Field("discount", RAW_AMOUNT),
        Field("discount_tax", RAW_AMOUNT),
        Field("meta_data", shape=ITEM_META, many=True),
        # What the line's coupon_info meta says of the coupon.
        Field("discount_type", enum(DISCOUNT_TYPES)),
        Field("nominal_amount", NUMBER),
        Field("free_shipping", BOOLEAN),
    ),
)

REFUND = Declaration(
    "Refund",
    (Field("id", INTEGER), Field("reason", STRING), Field("total", MONEY)),
)

ORDER = Declaration(
    "Order",
    (
        Field("id", INTEGER),
        Field("parent_id", INTEGER, writable=True, input=NON_NEGATIVE),
        Field(
            "status",
            enum([*ORDER_STATUSES, "trash"]),
            writable=True,
            input=enum(ORDER_STATUSES),
        ),
        Field("currency", STRING, writable=True),
        Field("version", STRING),
        Field("prices_include_tax", BOOLEAN),
        Field("date_created", DATE),
        Field("date_modified", DATE),
        Field("discount_total", MONEY),
        Field("discount_tax", MONEY),
        Field("shipping_total", MONEY),
        Field("shipping_tax", MONEY),
        Field("cart_tax", MONEY),
        Field("total", MONEY),
        Field("total_tax", MONEY),
        Field("customer_id", NON_NEGATIVE, writable=True),
        Field("order_key", STRING),
        Field("billing", shape=BILLING, writable=True),
        Field("shipping", shape=SHIPPING, writable=True),
        Field("payment_method", STRING, writable=True),
        Field("payment_method_title", STRING, writable=True),
        Field("transaction_id", STRING, writable=True),
        Field("customer_ip_address", STRING),
        Field("customer_user_agent", STRING),
        Field("created_via", STRING, writable=True),
        Field("customer_note", STRING, writable=True),
        Field("date_completed", NULLABLE_DATE),
        Field("date_paid", NULLABLE_DATE),
        Field("cart_hash", STRING),
        Field("number", STRING),
        Field("meta_data", shape=META, many=True, writable=True),
        Field("line_items", shape=LINE_ITEM, many=True, writable=True),
        Field("tax_lines", shape=TAX_LINE, many=True),
        Field("shipping_lines", shape=SHIPPING_LINE, many=True, writable=True),
        Field("fee_lines", shape=FEE_LINE, many=True, writable=True),
        Field("coupon_lines", shape=COUPON_LINE, many=True, writable=True),
        Field("refunds", shape=REFUND, many=True),
        Field("payment_url", URI),
        Field("is_editable", BOOLEAN),
        Field("needs_payment", BOOLEAN),
        Field("needs_processing", BOOLEAN),
        Field("date_created_gmt", DATE),
        Field("date_modified_gmt", DATE),
        Field("date_completed_gmt", NULLABLE_DATE),
        Field("date_paid_gmt", NULLABLE_DATE),
        Field("currency_symbol", STRING),
        # customer only for a customer's order, up only for a child order.
        Field(
            "_links",
            links(
                "self",
                "collection",
                "email_templates",
                "customer",
                "up",
                optional=("customer", "up"),
            ),
        ),
        Field("set_paid", writable=True, input=BOOLEAN),
        # Only decides whether a status note says "manually": the fake keeps no
        # order notes, so it is checked and has no effect.
        Field("manual_update", writable=True, input=BOOLEAN),
    ),
)
