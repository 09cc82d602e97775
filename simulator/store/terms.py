"""Product categories and tags: WordPress terms of ``product_cat`` and ``product_tag``.

The state and its rules, as ``wp_insert_term``/``wp_update_term``/``wp_delete_term``
and WooCommerce's term controllers apply them; no HTTP. Facts from a real
WooCommerce 10.0.2 store:

- Term ids are one sequence for every taxonomy (``wp_terms``); a new shop's
  ``Uncategorized`` is 15, so the first term made over REST is 16.
- A category's name is unique among its siblings, a tag's in the taxonomy
  (``term_exists``, compared case-insensitively as MySQL's collation does); an
  update may reuse a name. A slug is unique in its taxonomy: a clash takes the
  parent's slug (``shirts-clothing``), then ``-2``, ``-3``.
- Deleting a category moves its children to its parent and takes it off its
  products; a product left with none keeps none (no ``Uncategorized``).
- ``count`` is WooCommerce's ``product_count_*`` term meta: the published products
  in the term or a descendant, recounted whenever such a product is saved. The
  fake counts when asked (the real meta can lag after a term moves in the tree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import RestError
from simulator.models import Category, Product, Tag
from simulator.store.core import StoreCore, changes_records
from simulator.store.slugs import sanitize_title

CATEGORIES = "product_cat"
TAGS = "product_tag"
#: The default ``product_cat`` of a new shop (``default_product_cat``).
UNCATEGORIZED_ID = 15
FIRST_TERM_ID = UNCATEGORIZED_ID + 1

Term = Category | Tag


def uncategorized() -> Category:
    return Category(UNCATEGORIZED_ID, "Uncategorized", "uncategorized")


def term_invalid() -> RestError:
    return RestError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)


@dataclass
class TermQuery:
    """``get_terms`` arguments as the REST terms controller passes them."""

    search: str = ""
    include: list[int] = field(default_factory=list)
    exclude: list[int] = field(default_factory=list)
    slug: str | None = None
    parent: int | None = None
    product: int | None = None
    hide_empty: bool = False
    orderby: str = "name"
    order: str = "asc"
    per_page: int = 10
    page: int = 1
    offset: int | None = None


class TermTable:
    """Every category and tag of one store.

    ``products`` reads the store's products (counts, product filters); ``changed``
    is told which products show a term that changed (their cached JSON is stale).
    """

    def __init__(
        self,
        core: StoreCore,
        products: Callable[[], Iterable[Product]],
        changed: Callable[[Iterable[Product]], None],
    ) -> None:
        self.core = core
        self._products = products
        self._changed = changed
        self.categories: dict[int, Category] = {}
        self.tags: dict[int, Tag] = {}
        self._next_id = FIRST_TERM_ID
        self.reset()

    def reset(self) -> None:
        default = uncategorized()
        self.categories = {default.id: default}
        self.tags = {}
        self._next_id = FIRST_TERM_ID

    @property
    def default_category(self) -> Category:
        return self.categories[UNCATEGORIZED_ID]

    def table(self, taxonomy: str) -> Mapping[int, Term]:
        return self.categories if taxonomy == CATEGORIES else self.tags

    def next_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    @changes_records
    def adopt(self, term: Term) -> Term:
        """Keep a term made elsewhere (the generator), its id taken from the sequence."""
        if isinstance(term, Category):
            self.categories[term.id] = term
        else:
            self.tags[term.id] = term
        self._next_id = max(self._next_id, term.id + 1)
        return term

    def get(self, taxonomy: str, term_id: int) -> Term:
        term = self.table(taxonomy).get(term_id)
        if term is None:
            raise term_invalid()
        return term

    # ------------------------------------------------------------------ tree
    def children(self, category_id: int) -> list[Category]:
        return [c for c in self.categories.values() if c.parent == category_id]

    def descendants(self, category_id: int) -> set[int]:
        """The category and every category below it."""
        found = {category_id}
        frontier = [category_id]
        while frontier:
            below = [c.id for c in self.categories.values() if c.parent in frontier]
            frontier = [i for i in below if i not in found]
            found.update(frontier)
        return found

    def with_descendants(self, ids: Iterable[int]) -> frozenset[int]:
        found: set[int] = set()
        for term_id in ids:
            if term_id in self.categories and term_id not in found:
                found |= self.descendants(term_id)
        return frozenset(found)

    # ------------------------------------------------------------------ writes
    @changes_records
    def create(self, taxonomy: str, fields: Mapping[str, Any]) -> Term:
        name = _term_name(fields.get("name"))
        parent = self._parent(taxonomy, fields, creating=True)
        self._check_name(taxonomy, name, parent, None)
        slug = self._unique_slug(taxonomy, str(fields.get("slug") or "") or name, parent, None)
        term: Term
        if taxonomy == CATEGORIES:
            term = Category(self.next_id(), name, slug, parent=parent)
        else:
            term = Tag(self.next_id(), name, slug)
        self._apply(term, fields)
        self.adopt(term)
        return term

    @changes_records
    def update(self, taxonomy: str, term_id: int, fields: Mapping[str, Any]) -> Term:
        term = self.get(taxonomy, term_id)
        if "name" in fields:
            term.name = _term_name(fields.get("name"))
        if isinstance(term, Category) and "parent" in fields:
            parent = self._parent(taxonomy, fields, creating=False)
            # wp_check_term_hierarchy_for_loops(): a term cannot be its own parent.
            term.parent = 0 if parent == term.id else parent
        elif "parent" in fields:
            self._parent(taxonomy, fields, creating=False)
        if fields.get("slug"):
            parent = term.parent if isinstance(term, Category) else 0
            term.slug = self._unique_slug(taxonomy, str(fields["slug"]), parent, term.id)
        self._apply(term, fields)
        self._stale(term.id)
        return term

    @changes_records
    def delete(self, taxonomy: str, term_id: int) -> Term:
        term = self.get(taxonomy, term_id)
        if isinstance(term, Category):
            if term.id == UNCATEGORIZED_ID:
                raise RestError(
                    "woocommerce_rest_cannot_delete",
                    "Default product category cannot be deleted.",
                    500,
                )
            for child in self.children(term.id):
                child.parent = term.parent
            del self.categories[term.id]
        else:
            del self.tags[term.id]
        stale = [p for p in self._products() if term in _terms_of(p, taxonomy)]
        for product in stale:
            if isinstance(term, Category):
                product.categories = tuple(c for c in product.categories if c is not term)
            else:
                product.tags = tuple(t for t in product.tags if t is not term)
        self._changed(stale)
        return term

    def ensure(self, taxonomy: str, name: str, *, parent: int = 0) -> Term:
        """The term of that name (under ``parent``), made if missing (the generator)."""
        wanted = name.casefold()
        for term in self.table(taxonomy).values():
            if term.name.casefold() == wanted and getattr(term, "parent", 0) == parent:
                return term
        return self.create(taxonomy, {"name": name, "parent": parent or None})

    def tag_by_name(self, name: str) -> Tag:
        """A product's ``tags: [{"name": ...}]``: the tag of that name, made if missing."""
        wanted = name.strip().casefold()
        for tag in self.tags.values():
            if tag.name.casefold() == wanted:
                return tag
        made = self.create(TAGS, {"name": name})
        assert isinstance(made, Tag)
        return made

    def _apply(self, term: Term, fields: Mapping[str, Any]) -> None:
        if "description" in fields and fields["description"] is not None:
            term.description = str(fields["description"])
        if isinstance(term, Category):
            if fields.get("display") is not None:
                term.display = str(fields["display"])
            if fields.get("menu_order") is not None:
                term.menu_order = int(fields["menu_order"])

    def _parent(self, taxonomy: str, fields: Mapping[str, Any], *, creating: bool) -> int:
        if "parent" not in fields or fields["parent"] is None:
            return 0
        if taxonomy != CATEGORIES:
            raise RestError(
                "woocommerce_rest_taxonomy_not_hierarchical",
                "Can not set resource parent, taxonomy is not hierarchical.",
                400,
            )
        parent = int(fields["parent"])
        if parent and parent not in self.categories:
            # wp_insert_term answers 400; wp_update_term's error reaches the client as a
            # 500 whose data is null (recorded).
            if creating:
                raise RestError("missing_parent", "Parent term does not exist.", 400)
            raise NullDataError("missing_parent", "Parent term does not exist.", 500)
        return parent

    def _check_name(self, taxonomy: str, name: str, parent: int, own: int | None) -> None:
        wanted = name.casefold()
        for term in self.table(taxonomy).values():
            if term.id == own or term.name.casefold() != wanted:
                continue
            if isinstance(term, Category):
                if term.parent == parent:
                    raise RestError(
                        "term_exists",
                        "A term with the name provided already exists with this parent.",
                        400,
                        resource_id=term.id,
                    )
            else:
                raise RestError(
                    "term_exists",
                    "A term with the name provided already exists in this taxonomy.",
                    400,
                    resource_id=term.id,
                )

    def _unique_slug(self, taxonomy: str, wanted: str, parent: int, own: int | None) -> str:
        """wp_unique_term_slug(): the parents' slugs, then a number, until it is free."""
        taken = {t.slug for t in self.table(taxonomy).values() if t.id != own}
        slug = sanitize_title(wanted)
        if slug not in taken:
            return slug
        ancestor = self.categories.get(parent) if taxonomy == CATEGORIES else None
        while ancestor is not None:
            slug = f"{slug}-{ancestor.slug}"
            if slug not in taken:
                return slug
            ancestor = self.categories.get(ancestor.parent)
        number = 2
        while f"{slug}-{number}" in taken:
            number += 1
        return f"{slug}-{number}"

    def _stale(self, term_id: int) -> None:
        self._changed(
            p
            for p in self._products()
            if any(c.id == term_id for c in p.categories) or any(t.id == term_id for t in p.tags)
        )

    # ------------------------------------------------------------------ reads
    def direct_counts(self, taxonomy: str) -> dict[int, int]:
        """``term_taxonomy.count``: published products that carry the term itself."""
        counts: dict[int, int] = {}
        for product in self._products():
            if product.status != "publish":
                continue
            for term in _terms_of(product, taxonomy):
                counts[term.id] = counts.get(term.id, 0) + 1
        return counts

    def product_counts(self, taxonomy: str) -> dict[int, int]:
        """``product_count_{taxonomy}``: published products shown in the catalogue that
        carry the term or one below it (``_wc_term_recount``)."""
        members: dict[int, set[int]] = {}
        for product in self._products():
            if product.status != "publish" or product.catalog_visibility in ("hidden", "search"):
                continue
            for term in _terms_of(product, taxonomy):
                members.setdefault(term.id, set()).add(product.id)
        if taxonomy != CATEGORIES:
            return {term_id: len(ids) for term_id, ids in members.items()}
        counts: dict[int, int] = {}
        for category in self.categories.values():
            found: set[int] = set()
            for term_id in self.descendants(category.id):
                found |= members.get(term_id, set())
            counts[category.id] = len(found)
        return counts

    def query(self, taxonomy: str, query: TermQuery) -> tuple[list[Term], int]:
        """get_terms() and wp_count_terms() for the REST list: a page and the total."""
        terms: list[Term] = sorted(self.table(taxonomy).values(), key=lambda t: t.id)
        if query.product is not None:
            mine = {t.id for t in self._product_terms(taxonomy, query.product)}
            terms = [t for t in terms if t.id in mine]
        if query.include:
            terms = [t for t in terms if t.id in set(query.include)]
        if query.exclude:
            terms = [t for t in terms if t.id not in set(query.exclude)]
        if query.search:
            needle = query.search.casefold()
            terms = [t for t in terms if needle in t.name.casefold() or needle in t.slug]
        if query.slug is not None:
            terms = [t for t in terms if t.slug == query.slug]
        if query.parent is not None and taxonomy == CATEGORIES:
            terms = [t for t in terms if isinstance(t, Category) and t.parent == query.parent]
        if query.hide_empty:
            direct = self.direct_counts(taxonomy)
            terms = [t for t in terms if self._not_empty(taxonomy, t, direct)]
        terms = self._sorted(taxonomy, terms, query)
        total = len(terms)
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        return terms[start : start + query.per_page], total

    def _not_empty(self, taxonomy: str, term: Term, direct: Mapping[int, int]) -> bool:
        # get_terms( hide_empty, hierarchical ): a parent of a non-empty term stays.
        if taxonomy != CATEGORIES:
            return direct.get(term.id, 0) > 0
        return any(direct.get(i, 0) > 0 for i in self.descendants(term.id))

    def _sorted(self, taxonomy: str, terms: list[Term], query: TermQuery) -> list[Term]:
        # MySQL leaves ties in id order here (recorded); Python's sort is stable, also
        # reversed, so ties keep it.
        reverse = query.order == "desc"
        orderby = query.orderby
        if orderby == "include" and query.include:
            position = {term_id: n for n, term_id in enumerate(query.include)}
            return sorted(terms, key=lambda t: position.get(t.id, 0))
        if orderby == "id":
            return sorted(terms, key=lambda t: t.id, reverse=reverse)
        if orderby == "slug":
            return sorted(terms, key=lambda t: t.slug, reverse=reverse)
        if orderby == "description":
            return sorted(terms, key=lambda t: t.description.casefold(), reverse=reverse)
        if orderby == "count":
            direct = self.direct_counts(taxonomy)
            return sorted(terms, key=lambda t: direct.get(t.id, 0), reverse=reverse)
        if orderby == "term_group":
            return terms[::-1] if reverse else terms
        return sorted(terms, key=lambda t: t.name.casefold(), reverse=reverse)

    def _product_terms(self, taxonomy: str, product_id: int) -> tuple[Term, ...]:
        for product in self._products():
            if product.id == product_id:
                return _terms_of(product, taxonomy)
        return ()


class NullDataError(RestError):
    """A WP_Error whose data is not an array: the REST server sends ``"data": null``."""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": None}


def _term_name(raw: Any) -> str:
    name = str(raw if raw is not None else "").strip()
    if not name:
        raise RestError("empty_term_name", "A name is required for this term.", 400)
    return name


def _terms_of(product: Product, taxonomy: str) -> tuple[Term, ...]:
    return product.categories if taxonomy == CATEGORIES else product.tags


def product_categories(
    terms: TermTable, given: Iterable[Mapping[str, Any]]
) -> tuple[Category, ...]:
    """A product's ``categories`` written by id: unknown ids are dropped, and none at all
    means the default category (WC_Product_Data_Store_CPT::update_terms)."""
    chosen: list[Category] = []
    for entry in given:
        category = terms.categories.get(_as_id(entry.get("id")))
        if category is not None and category not in chosen:
            chosen.append(category)
    return tuple(chosen) or (terms.default_category,)


def product_tags(terms: TermTable, given: Iterable[Mapping[str, Any]]) -> tuple[Tag, ...]:
    """A product's ``tags``: by id, or by ``name`` (the tag of that name, made if missing)."""
    chosen: list[Tag] = []
    for entry in given:
        if entry.get("name") is not None:
            tag: Tag | None = terms.tag_by_name(str(entry["name"]))
        else:
            tag = terms.tags.get(_as_id(entry.get("id")))
        if tag is not None and tag not in chosen:
            chosen.append(tag)
    return tuple(chosen)


def _as_id(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
