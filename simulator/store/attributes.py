"""Product attributes as a product is written: custom attributes and their defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simulator.models import ProductAttribute
from simulator.store.slugs import sanitize_title


def parent_attributes(given: Sequence[Mapping[str, Any]]) -> tuple[ProductAttribute, ...]:
    """A product's ``attributes`` as written: custom attributes by name."""
    found: list[ProductAttribute] = []
    for entry in given:
        name = str(entry.get("name") or "").strip()
        if not name:
            continue
        raw = entry.get("options") or []
        # WordPress reads a string argument of type array as a comma-separated list.
        options = tuple(str(o) for o in (raw.split(",") if isinstance(raw, str) else raw))
        found.append(
            ProductAttribute(
                name=name,
                options=tuple(o.strip() for o in options if o.strip()),
                position=_int(entry.get("position")),
                visible=bool(entry.get("visible", False)),
                variation=bool(entry.get("variation", False)),
            )
        )
    return tuple(found)


def default_attributes(
    attributes: Sequence[ProductAttribute], given: Sequence[Mapping[str, Any]]
) -> tuple[tuple[str, str], ...]:
    """``default_attributes``: options of the product's own attributes, by name."""
    known = {sanitize_title(a.name): a for a in attributes}
    chosen: list[tuple[str, str]] = []
    for entry in given:
        slug = sanitize_title(str(entry.get("name") or ""))
        if slug in known and entry.get("option") not in (None, ""):
            chosen.append((slug, str(entry["option"])))
    return tuple(chosen)


def attribute_label(attributes: Sequence[ProductAttribute], slug: str) -> str:
    for attribute in attributes:
        if sanitize_title(attribute.name) == slug:
            return attribute.name
    return slug


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
