"""A coupon as WC_REST_Coupons_Controller answers it (WooCommerce 10.0.2), key order included."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from simulator.phpjson import dumps
from simulator.store.coupons import Coupon, decimal_value
from simulator.wcdates import format_wall

if TYPE_CHECKING:
    from simulator.render import Renderer


def two_places(text: str) -> str:
    """wc_format_decimal( $value, 2 ): the stored text as a number with two places."""
    value = Decimal(repr(decimal_value(text))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "0.00" if value == 0 else f"{value:.2f}"


def coupon(renderer: Renderer, record: Coupon) -> dict[str, Any]:
    wall = renderer.store.wall
    expires = record.expires
    return {
        "id": record.id,
        "code": record.code,
        "amount": two_places(record.amount),
        "status": record.status,
        "date_created": format_wall(record.created_wall),
        "date_created_gmt": format_wall(record.created),
        "date_modified": format_wall(record.modified_wall),
        "date_modified_gmt": format_wall(record.modified),
        "discount_type": record.discount_type,
        "description": record.description,
        "date_expires": None if expires is None else format_wall(wall(expires)),
        "date_expires_gmt": None if expires is None else format_wall(expires),
        "usage_count": record.usage_count,
        "individual_use": record.individual_use,
        "product_ids": list(record.product_ids),
        "excluded_product_ids": list(record.excluded_product_ids),
        # Format null values: 0 is shown as null.
        "usage_limit": record.usage_limit or None,
        "usage_limit_per_user": record.usage_limit_per_user or None,
        "limit_usage_to_x_items": record.limit_usage_to_x_items or None,
        "free_shipping": record.free_shipping,
        "product_categories": list(record.product_categories),
        "excluded_product_categories": list(record.excluded_product_categories),
        "exclude_sale_items": record.exclude_sale_items,
        "minimum_amount": two_places(record.minimum_amount),
        "maximum_amount": two_places(record.maximum_amount),
        "email_restrictions": list(record.email_restrictions),
        "used_by": list(record.used_by),
        "meta_data": [{"id": m.id, "key": m.key, "value": m.value} for m in record.meta_data],
        "_links": renderer._links("coupons", record.id),
    }


def coupon_bytes(renderer: Renderer, record: Coupon) -> bytes:
    """The default rendering as PHP's JSON bytes, cached on the record."""
    if record.cached is None:
        record.cached = dumps(coupon(renderer, record))
    return record.cached
