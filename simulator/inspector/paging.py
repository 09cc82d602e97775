"""Which rows a panel shows: ``?page=&per_page=`` of the feeds, ``?<panel>_page=`` of the page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.errors import RestError, invalid_params

if TYPE_CHECKING:
    pass


#: Rows per panel unless the request says otherwise, and the most it may ask for.
PANEL_SIZES = {"customers": 10, "orders": 10, "coupons": 10, "deliveries": 15}
MAX_PER_PAGE = 100
#: Panels whose HTML the live feed sends, in page order.
PANELS = ("customers", "orders", "coupons", "webhooks", "deliveries", "faults")
PAGED = ("customers", "orders", "coupons", "deliveries")
#: Every order status, trash included: the inspector hides nothing.
ALL_ORDER_STATUSES = frozenset({"any", "trash"})

Pages = Mapping[str, int]


def _bad_param(name: str, message: str) -> RestError:
    return invalid_params({name: ("rest_invalid_param", message)})


def _positive(query: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _bad_param(name, f"{name} must be a positive integer.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise _bad_param(name, f"{name} must be between 1 and {maximum}.")
    return value


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def of(cls, query: Mapping[str, str], panel: str) -> Paging:
        """``?page=&per_page=`` of a JSON feed."""
        return cls(
            _positive(query, "page", 1, None),
            _positive(query, "per_page", PANEL_SIZES.get(panel, 10), MAX_PER_PAGE),
        )


def page_params(query: Mapping[str, str]) -> dict[str, int]:
    """``?customers_page=&orders_page=&deliveries_page=`` of the page and the live feed."""
    return {panel: _positive(query, f"{panel}_page", 1, None) for panel in PAGED}


def total_pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))
