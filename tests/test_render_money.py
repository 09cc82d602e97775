"""Money strings: wc_format_decimal with any stored amount and any ``dp``."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from simulator.render import MAX_DP, format_money, raw_amount


def reference(cents: int, dp: int) -> str:
    """The same rounding in Decimal arithmetic (half away from zero), for moderate inputs."""
    amount = Decimal(cents) / 100
    if dp < 0:
        step = Decimal(10) ** -dp
        text = str(int((amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step))
    else:
        text = f"{amount.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP):f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def test_matches_decimal_rounding() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        cents = rng.choice(
            [rng.randint(-300, 300), rng.randint(-(10**8), 10**8), rng.randint(-(10**17), 10**17)]
        )
        dp = rng.randint(-8, 12)
        assert format_money(cents, dp) == reference(cents, dp), (cents, dp)


@pytest.mark.parametrize(
    ("cents", "dp", "text"),
    [
        (1999, 2, "19.99"),
        (-5, 1, "-0.1"),
        (-4, 1, "0.0"),  # no "-0" (PHP >= 7.2)
        (-49, 0, "0"),
        (150, 0, "2"),
        (123456, -2, "1200"),
        (10**40, -277458597, "1" + "0" * 38),  # clamped to -MAX_DP
        (-12345, 60, "-123.45" + "0" * (MAX_DP - 2)),  # clamped to MAX_DP
        (0, 9, "0.000000000"),
    ],
)
def test_edges(cents: int, dp: int, text: str) -> None:
    assert format_money(cents, dp) == text


def test_raw_amount() -> None:
    assert [raw_amount(c) for c in (90, 200, 135, 0, -1)] == ["0.9", "2", "1.35", "0", "-0.01"]
