"""Taxonomy terms: as a product lists them (categories, tags, brands), and the
categories and tags of their own routes."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import INTEGER, STRING, URI, Schema, enum, links, write_only
from simulator.store.terms import DISPLAY_TYPES

#: ``{id, name, slug}``; a request names a term by id.
TERM = Declaration(
    "Term",
    (
        Field("id", INTEGER, writable=True),
        Field("name", STRING),
        Field("slug", STRING),
    ),
)

#: What a category's ``image`` may say in a request (``src`` makes the store fetch it).
IMAGE_INPUT: Schema = {
    "type": ["object", "null"],
    "properties": {"id": INTEGER, "src": URI, "name": STRING, "alt": STRING},
}

#: A product category, as WC_REST_Product_Categories_Controller renders and accepts it.
CATEGORY = Declaration(
    "Category",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True, required=True),
        Field("slug", STRING, writable=True),
        Field("parent", INTEGER, writable=True),
        Field("description", STRING, writable=True),
        Field("display", enum(DISPLAY_TYPES), writable=True),
        # The store keeps no media library: a category never has an image.
        Field("image", {"type": "null"}, writable=True, input=IMAGE_INPUT),
        Field("menu_order", INTEGER, writable=True),
        # Published products carrying it (a list counts its children's products too).
        Field("count", INTEGER),
        # up only for a child category; no targetHints on a term just deleted.
        Field("_links", links("self", "collection", "up", optional=("up",))),
    ),
)

#: A product tag, as WC_REST_Product_Tags_Controller renders and accepts it.
TAG = Declaration(
    "Tag",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True, required=True),
        Field("slug", STRING, writable=True),
        Field("description", STRING, writable=True),
        Field(
            "parent",
            writable=True,
            input=write_only(INTEGER, "Refused: a tag has no parent (400, not hierarchical)."),
        ),
        Field("count", INTEGER),
        Field("_links", links("self", "collection")),
    ),
)
