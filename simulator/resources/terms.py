"""Taxonomy terms as a product lists them (categories, tags, brands)."""

from __future__ import annotations

from simulator.resources.declare import Declaration, Field
from simulator.resources.schema import INTEGER, STRING

#: ``{id, name, slug}``; a request names a term by id.
TERM = Declaration(
    "Term",
    (
        Field("id", INTEGER, writable=True),
        Field("name", STRING),
        Field("slug", STRING),
    ),
)
