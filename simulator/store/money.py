"""Money in integer cents: parsing amounts, checking them before a change, and tax.

Amounts are stored as cents and taxed with integer maths, so a total never
picks up a float's rounding error; rounding is half away from zero, as PHP's.
"""

from __future__ import annotations

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
