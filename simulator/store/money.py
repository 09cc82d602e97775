"""Money in integer cents: parsing amounts, checking them before a change, and tax.

Amounts are stored as cents and taxed with integer maths, so a total never
picks up a float's rounding error; rounding is half away from zero, as PHP's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.params import MAX_AMOUNT, amount_problem, as_amount


def money(value: Any) -> int:
    """A money amount (string or number) as cents, rounded half away from zero like PHP.

    Only for values validation accepted (:func:`simulator.params.amount_problem`):
    anything else is a ValueError, never a stored number.
    """
    amount = as_amount(value)
    if amount is None or amount.copy_abs() >= MAX_AMOUNT:
        raise ValueError("not a storable amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: wc_format_decimal without ``dp``: every dot but the last, and anything that is not
#: a digit, a dot or a minus, is removed ("1e2" is stored as "12", " 5" as "5").
_NOT_DECIMAL = re.compile(r"\.(?![^.]+$)|[^0-9.-]")
#: The leading number PHP's floatval reads from such a string.
_LEADING_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


def stored_decimal(value: Any) -> tuple[str, int]:
    """A product price as WooCommerce stores it (wc_format_decimal) and its value in cents.

    The text is what the product shows; the cents are what PHP's floatval reads from
    it, which is what the store sells at.
    """
    text = _NOT_DECIMAL.sub("", str(value).strip())
    number = _LEADING_NUMBER.match(text)
    return text, money(number.group()) if number else 0


def php_greater_or_equal(left: str, right: str) -> bool:
    """PHP 8's ``$left >= $right`` for two strings: as numbers when both are numeric."""
    a, b = as_amount(left), as_amount(right)
    if a is not None and b is not None:
        return a >= b
    return left.encode() >= right.encode()


def check_amounts(
    problems: dict[str, tuple[str, str]], spec: Mapping[str, Any], names: Sequence[str], where: str
) -> None:
    """Record a problem for each money field of ``spec`` that cannot be stored."""
    for name in names:
        raw = spec.get(name)
        if raw is None or raw == "":
            continue
        label = f"{where}[{name}]" if where else name
        problem = amount_problem(raw, label)
        if problem is not None:
            problems.setdefault(where.split("[", 1)[0] or name, problem)


def tax_millionths(rate_percent: str) -> int:
    """A tax rate in millionths: ``"7.2500"`` % is 72500."""
    return int(Decimal(rate_percent) * 10_000)


def tax_cents(amount: int, rate_millionths: int) -> int:
    """Tax in cents on ``amount`` cents, rounded half away from zero (integer maths)."""
    product = abs(amount) * rate_millionths + 500_000
    return product // 1_000_000 if amount >= 0 else -(product // 1_000_000)
