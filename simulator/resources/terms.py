"""Taxonomy terms: as a product lists them (categories, tags, brands), and categories
and tags as their own routes render and accept them."""

from __future__ import annotations

from simulator.models import CATEGORY_DISPLAY_TYPES
from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import INTEGER, STRING, Schema, enum, links

#: ``{id, name, slug}``; a request names a term by id.
TERM = Declaration(
    "Term",
    (
        Field("id", INTEGER, writable=True),
        Field("name", STRING),
        Field("slug", STRING),
    ),
)


def _term_links() -> Schema:
    return links("self", "collection", "up", optional=("up",))


#: A product category as the categories route renders and accepts it. WooCommerce's
#: own item schema is titled ``product_cat``; ``image`` is always null here (no media).
CATEGORY = Declaration(
    "ProductCategory",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True, required=True),
        Field("slug", STRING, writable=True),
        Field("parent", INTEGER, writable=True),
        Field("description", STRING, writable=True),
        # Written as an enum; a batch item skips that check and any string is kept.
        Field("display", STRING, writable=True, input=enum(CATEGORY_DISPLAY_TYPES)),
        Field(
            "image",
            {"type": "null"},
            writable=True,
            input={
                "type": "object",
                "properties": {"id": INTEGER, "src": STRING, "name": STRING, "alt": STRING},
            },
        ),
        Field("menu_order", INTEGER, writable=True),
        Field("count", INTEGER),
        Field("_links", _term_links()),
    ),
)

#: A product tag (``product_tag``): no parent, display, image or menu order.
TAG = Declaration(
    "ProductTag",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True, required=True),
        Field("slug", STRING, writable=True),
        Field("description", STRING, writable=True),
        Field("count", INTEGER),
        Field("_links", links("self", "collection")),
    ),
)
