"""A coupon, as WC_REST_Coupons_Controller renders and accepts it (WooCommerce 10.0.2)."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.meta import META
from simulator.resources.schema import (
    BOOLEAN,
    DATE,
    INTEGER,
    INTEGER_LIST,
    MONEY,
    NULLABLE_DATE,
    NULLABLE_INTEGER,
    STRING,
    STRING_LIST,
    enum,
    links,
)
from simulator.store.coupons import DISCOUNT_TYPES

#: Set and answered as WordPress writes a date: read in the store's zone unless it names
#: an offset; "" clears it; null leaves it.
EXPIRY_INPUT = {"type": ["string", "null"]}

COUPON = Declaration(
    "Coupon",
    (
        Field("id", INTEGER),
        # Stored trimmed and lower case; a code another published coupon has is refused.
        Field("code", STRING, writable=True, required=True),
        # Any string: what is no number is stored as 0 (no 400).
        Field("amount", MONEY, writable=True, input=STRING),
        # Accepted and never written: a coupon made over REST is published.
        Field("status", STRING, writable=True),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("date_modified", DATE),
        Field("date_modified_gmt", DATE),
        Field("discount_type", enum(DISCOUNT_TYPES), writable=True),
        Field("description", STRING, writable=True),
        Field("date_expires", NULLABLE_DATE, writable=True, input=EXPIRY_INPUT),
        # Accepted and ignored (WC_Coupon has no setter for it).
        Field("date_expires_gmt", NULLABLE_DATE, writable=True, input=EXPIRY_INPUT),
        Field("usage_count", INTEGER),
        Field("individual_use", BOOLEAN, writable=True),
        Field("product_ids", INTEGER_LIST, writable=True),
        Field("excluded_product_ids", INTEGER_LIST, writable=True),
        # 0 is answered as null.
        Field("usage_limit", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("usage_limit_per_user", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("limit_usage_to_x_items", NULLABLE_INTEGER, writable=True, input=INTEGER),
        Field("free_shipping", BOOLEAN, writable=True),
        Field("product_categories", INTEGER_LIST, writable=True),
        Field("excluded_product_categories", INTEGER_LIST, writable=True),
        Field("exclude_sale_items", BOOLEAN, writable=True),
        Field("minimum_amount", MONEY, writable=True, input=STRING),
        Field("maximum_amount", MONEY, writable=True, input=STRING),
        # Addresses that are none are dropped (sanitize_email), not refused.
        Field("email_restrictions", STRING_LIST, writable=True),
        # One entry per use: a customer's id as text, or a guest's billing e-mail.
        Field("used_by", STRING_LIST),
        Field("meta_data", shape=META, many=True, writable=True),
        Field("_links", links("self", "collection")),
    ),
)
