"""Text every renderer shares: money as WooCommerce formats it, wpautop, meta rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from simulator.models import MetaItem

#: The methods of an item route (``/{resource}/{id}``), as its ``Allow`` header lists them.
ITEM_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

#: ``dp`` is clamped to this range for rendering. WooCommerce takes any integer
#: (``intval``) and PHP's number_format pads whatever it is given; beyond 20
#: places a double has no digits left to show (the padding is zeros) and below
#: -20 every storable amount rounds to 0, so the clamp changes no figure that
#: means anything while keeping the work per field bounded.
MAX_DP = 20


def format_money(cents: int, dp: int) -> str:
    """wc_format_decimal(amount, dp): rounded half away from zero, padded to ``dp`` places.

    Integer arithmetic throughout: any stored amount and any ``dp`` render (no
    decimal context to overflow). A negative ``dp`` rounds to tens, hundreds...
    (PHP 8.3's number_format); like PHP since 7.2, a result of zero has no sign.
    """
    dp = MAX_DP if dp > MAX_DP else -MAX_DP if dp < -MAX_DP else dp
    magnitude = -cents if cents < 0 else cents
    if dp >= 2:
        whole, fraction = divmod(magnitude, 100)
        sign = "-" if cents < 0 else ""
        return f"{sign}{whole}.{fraction:02d}{'0' * (dp - 2)}"
    step = 10 ** (2 - dp)  # cents per unit of the last place shown
    units, rest = divmod(magnitude, step)
    if rest * 2 >= step:
        units += 1
    sign = "-" if cents < 0 and units else ""
    if dp == 1:
        whole, tenth = divmod(units, 10)
        return f"{sign}{whole}.{tenth}"
    return f"{sign}{units * 10**-dp}"


def raw_amount(cents: int) -> str:
    """A stored amount as PHP prints a float: ``"0.9"``, ``"2"``, ``"1.35"``."""
    text = format_money(cents, 2)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def item_price(total_cents: int, quantity: int) -> int | float:
    """get_item_total() as json_encode writes it: an integer when the division is exact.

    WooCommerce 10.0.2 returns the PHP division ``total / qty``, which is an int when
    exact (``25``) and a float otherwise (``8.333333333333334``); 9.x returned a float.
    """
    # A refund line has a negative quantity and total: the price is positive.
    if quantity < 0:
        total_cents, quantity = -total_cents, -quantity
    quantity = max(1, quantity)
    if total_cents % (100 * quantity) == 0:
        return total_cents // (100 * quantity)
    return float(total_cents) / 100 / quantity


def wpautop(text: str) -> str:
    """WordPress's wpautop for plain text: paragraphs in ``<p>``, line breaks as ``<br />``.

    Text that already holds block HTML is beyond this fake's wpautop: it is wrapped
    the same way, where WordPress would leave the blocks unwrapped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return ""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + paragraph.replace("\n", "<br />\n") + "</p>\n" for paragraph in paragraphs
    )


def meta_rows(items: Sequence[MetaItem]) -> list[dict[str, Any]]:
    # WooCommerce hides only the keys its data stores own (which the fake keeps as
    # fields, not meta); any other key is shown, with or without a leading "_".
    return [{"id": m.id, "key": m.key, "value": m.value} for m in items]


def sale_price_html(regular: int, sale: int, dp: int) -> str:
    """wc_format_sale_price() of WooCommerce 10.0.2, with its screen-reader texts."""

    def amount(cents: int) -> str:
        return (
            '<span class="woocommerce-Price-amount amount"><bdi>'
            '<span class="woocommerce-Price-currencySymbol">&#36;</span>'
            f"{format_money(cents, dp)}</bdi></span>"
        )

    def spoken(cents: int) -> str:
        return f"&#036;{format_money(cents, dp)}"

    return (
        f'<del aria-hidden="true">{amount(regular)}</del> '
        '<span class="screen-reader-text">Original price was: '
        f"{spoken(regular)}.</span>"
        f'<ins aria-hidden="true">{amount(sale)}</ins>'
        '<span class="screen-reader-text">Current price is: '
        f"{spoken(sale)}.</span>"
    )
