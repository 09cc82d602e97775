"""Categories and tags as WooCommerce's term controllers render them."""

from __future__ import annotations

from typing import Any

from simulator.models import Category, Tag
from simulator.render_text import ITEM_METHODS
from simulator.resources.declare import ordered
from simulator.resources.terms import CATEGORY, TAG
from simulator.settings import Settings
from simulator.store.terms import CATEGORIES

#: The route of each taxonomy under ``/wc/v3``.
ROUTES = {CATEGORIES: "products/categories", "product_tag": "products/tags"}


class TermRenderer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def term(self, term: Category | Tag, count: int, *, exists: bool = True) -> dict[str, Any]:
        """A term with its ``count``. ``exists``: False for a term just deleted, whose
        self link then has no ``targetHints`` (no route method passes its checks)."""
        data: dict[str, Any]
        if isinstance(term, Category):
            data = {
                "id": term.id,
                "name": term.name,
                "slug": term.slug,
                "parent": term.parent,
                "description": term.description,
                "display": term.display,
                # The fake keeps no media library: a category never has an image.
                "image": None,
                "menu_order": term.menu_order,
                "count": count,
            }
            route = ROUTES[CATEGORIES]
        else:
            data = {
                "id": term.id,
                "name": term.name,
                "slug": term.slug,
                "description": term.description,
                "count": count,
            }
            route = ROUTES["product_tag"]
        base = f"{self.settings.api_url}/{route}"
        this: dict[str, Any] = {"href": f"{base}/{term.id}"}
        if exists:
            this["targetHints"] = {"allow": list(ITEM_METHODS)}
        links: dict[str, list[dict[str, Any]]] = {
            "self": [this],
            "collection": [{"href": base}],
        }
        if isinstance(term, Category) and term.parent:
            links["up"] = [{"href": f"{base}/{term.parent}"}]
        data["_links"] = links
        return ordered(CATEGORY if isinstance(term, Category) else TAG, data)
