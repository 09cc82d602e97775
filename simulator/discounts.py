"""Coupon discounts on an order's line items, in cents, as ``WC_Discounts`` works them out.

WooCommerce 10.0.2 spreads a coupon over the line items in a fixed way, and the
cents only add up the way a real store's do if the same steps run in the same
order with the same (PHP double) arithmetic:

- items are taken by unit price, dearest first (a stable sort);
- ``percent``: each item gets ``floor(price * amount%)``; what the whole cart would
  have got (rounded half down) minus the sum is handed out a cent at a time;
- ``fixed_cart``: ``amount ÷ item count`` (truncated) per unit, again on what is
  left while something is left, then single cents;
- ``fixed_product``: the amount per unit, never more than an item has left.

Later coupons see what earlier ones left (``get_discounted_price_in_cents``).
Nothing here knows of the store: callers hand in :class:`Item` and :class:`Rule`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: wc_get_product_coupon_types(): coupons that apply per product.
PRODUCT_TYPES = frozenset({"percent", "fixed_product"})
#: wc_get_cart_coupon_types(): coupons that apply to the whole cart.
CART_TYPES = frozenset({"fixed_cart"})


def php_round(value: float, mode_half_down: bool = False) -> float:
    """PHP 8.2's ``round($value, 0, mode)`` with its pre-rounding to 15 significant digits.

    Pre-rounding first rounds to the precision a double holds, so 28.499999999999996
    (0.285 * 100) counts as 28.5; WooCommerce rounds discounts half down
    (``WC_DISCOUNT_ROUNDING_MODE``), prices half up.
    """

    def helper(x: float) -> float:
        if mode_half_down:
            return math.ceil(x - 0.5) if x >= 0 else math.floor(x + 0.5)
        return math.floor(x + 0.5) if x >= 0 else math.ceil(x - 0.5)

    if not math.isfinite(value) or value == 0 or value == int(value):
        return value
    precision = 14 - math.floor(math.log10(abs(value)))
    if 0 < precision < 15:
        pre = helper(value * 10.0**precision)
        tmp = pre / 10.0**precision
    else:
        tmp = value
        if abs(tmp) >= 1e15:
            return value
    return float(helper(tmp))


@dataclass(slots=True)
class Item:
    """One line item as the discounts see it."""

    key: int  # the line item's id
    price: int  # its subtotal in cents (all units)
    quantity: int
    product_id: int  # 0: no product (an unknown id or SKU)
    on_sale: bool = False
    categories: frozenset[int] = frozenset()


@dataclass(slots=True)
class Rule:
    """What of a coupon decides its discount."""

    code: str
    discount_type: str
    amount: float  # as entered: 10 for 10 %, 5.0 for 5.00
    product_ids: frozenset[int] = frozenset()
    excluded_product_ids: frozenset[int] = frozenset()
    product_categories: frozenset[int] = frozenset()
    excluded_product_categories: frozenset[int] = frozenset()
    exclude_sale_items: bool = False
    limit_usage_to_x_items: int | None = None

    def valid_for_item(self, item: Item) -> bool:
        """WC_Coupon::is_valid_for_product(): product coupons on their products only."""
        if self.discount_type not in PRODUCT_TYPES or not item.product_id:
            return False
        valid = False
        if self.product_ids and item.product_id in self.product_ids:
            valid = True
        if self.product_categories and item.categories & self.product_categories:
            valid = True
        if not self.product_ids and not self.product_categories:
            valid = True
        if item.product_id in self.excluded_product_ids:
            valid = False
        if item.categories & self.excluded_product_categories:
            valid = False
        if self.exclude_sale_items and item.on_sale:
            valid = False
        return valid


@dataclass
class Discounts:
    """The discounts of the coupons applied so far, by code then item, in cents."""

    items: list[Item]
    by_code: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Sequence[Item]) -> Discounts:
        """Items by unit price, dearest first (WC_Discounts::sort_by_price, stable)."""

        def unit(item: Item) -> float:
            return item.price / item.quantity if item.quantity > 1 else float(item.price)

        return cls(sorted(items, key=unit, reverse=True))

    def given(self, key: int) -> int:
        return sum(per_item.get(key, 0) for per_item in self.by_code.values())

    def left(self, item: Item) -> int:
        """get_discounted_price_in_cents()."""
        return abs(int(php_round(item.price - self.given(item.key))))

    def by_item(self) -> dict[int, int]:
        return {item.key: self.given(item.key) for item in self.items}

    def total(self, code: str) -> int:
        return sum(self.by_code.get(code, {}).values())

    def apply(self, rule: Rule) -> None:
        """WC_Discounts::apply_coupon( $coupon, false ) for one coupon."""
        mine = self.by_code.setdefault(rule.code, {item.key: 0 for item in self.items})
        targets = [
            item
            for item in self.items
            if self.left(item) != 0
            and item.quantity > 0
            and (rule.valid_for_item(item) or rule.discount_type in CART_TYPES)
        ]
        if rule.discount_type == "percent":
            self._percent(rule, targets, mine)
        elif rule.discount_type == "fixed_product":
            self._fixed_product(rule, targets, mine, _cents(rule.amount))
        else:
            self._fixed_cart(rule, targets, mine, _cents(rule.amount))

    # ------------------------------------------------------------------ the three types
    def _percent(self, rule: Rule, targets: list[Item], mine: dict[int, int]) -> None:
        total = 0
        cart_total = 0.0
        limit = rule.limit_usage_to_x_items or 0
        applied = 0
        for item in targets:
            left = self.left(item)
            quantity = (
                limit - applied if limit and limit - applied < item.quantity else item.quantity
            )
            quantity = max(0, quantity)
            to_discount = item.price / item.quantity * quantity
            discount = math.floor(to_discount * (rule.amount / 100))
            discount = int(php_round(min(left, discount), mode_half_down=True))
            cart_total += to_discount
            total += discount
            applied += quantity
            mine[item.key] += discount
        whole = int(php_round(cart_total * (rule.amount / 100), mode_half_down=True))
        if total < whole:
            self._remainder(targets, mine, whole - total)

    def _fixed_product(
        self, rule: Rule, targets: list[Item], mine: dict[int, int], amount: float
    ) -> int:
        total = 0
        limit = rule.limit_usage_to_x_items or 0
        applied = 0
        for item in targets:
            left = self.left(item)
            if limit:
                quantity = max(
                    0, limit - applied if limit - applied < item.quantity else item.quantity
                )
                discount = min(amount, item.price / item.quantity) * quantity
            else:
                quantity = item.quantity
                discount = amount * quantity
            given = int(min(left, discount))
            total += given
            applied += quantity
            mine[item.key] += given
        return total

    def _fixed_cart(
        self, rule: Rule, targets: list[Item], mine: dict[int, int], amount: float
    ) -> int:
        targets = [item for item in targets if self.left(item) > 0]
        count = sum(item.quantity for item in targets)
        if not count:
            return 0
        if not amount:
            return self._fixed_product(rule, targets, mine, 0)
        per_unit = abs(int(amount / count))  # absint(): down to the cent
        total = 0
        if per_unit > 0:
            total = self._fixed_product(rule, targets, mine, per_unit)
            if 0 < total < amount:
                total += self._fixed_cart(rule, targets, mine, amount - total)
        elif amount > 0:
            total += self._remainder(targets, mine, amount)
        return total

    def _remainder(self, targets: list[Item], mine: dict[int, int], amount: float) -> int:
        """apply_coupon_remainder(): a cent per unit, in item order, until it is spent."""
        total = 0
        for item in targets:
            for _ in range(item.quantity):
                discount = min(self.left(item), 1)
                total += discount
                mine[item.key] += discount
                if total >= amount:
                    return total
        return total


def _cents(amount: float) -> float:
    """wc_add_number_precision(): times 100, rounded to 4 places (cents may keep fractions)."""
    return round(amount * 100, 4)
