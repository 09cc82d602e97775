"""The catalogue around generated products: a small category tree, tags, variable products.

Draws come from a stream of their own (seeded from the generation's seed), so the
products, customers and orders draw exactly what they drew before. The terms are
the store's own (made through its term table, or found there by name), never
shared between stores.
"""

from __future__ import annotations

import random

from simulator.generate.records import Draw
from simulator.generate.vocabulary import CATEGORIES
from simulator.models import Category, Product, ProductAttribute, Tag
from simulator.store import Store
from simulator.store.terms import CATEGORIES as CATEGORY_TAXONOMY
from simulator.store.terms import TAGS as TAG_TAXONOMY

#: Children of the generated top-level categories (by their names).
SUBCATEGORIES: dict[str, tuple[str, ...]] = {
    "Clothing": ("T-shirts", "Hoodies"),
    "Accessories": ("Bags",),
    "Home & Kitchen": ("Cookware", "Decor"),
    "Outdoors": ("Camping",),
}
TAG_NAMES = ("New", "Bestseller", "Eco", "Gift idea", "Limited")
#: The attribute a variable product varies by, for products of each top category.
VARIES_BY: dict[str, ProductAttribute] = {
    "Clothing": ProductAttribute("Size", ("S", "M", "L", "XL"), visible=True, variation=True),
}
DEFAULT_ATTRIBUTE = ProductAttribute(
    "Color", ("Red", "Blue", "Green"), visible=True, variation=True
)
#: Share of generated products made variable (never the first one of a shop that needs
#: something to sell: its orders buy simple products).
VARIABLE_SHARE = 0.2
#: Price steps of a variable product's variations, in cents above its first price.
_STEPS = (0, 0, 200, 500)


class CatalogBuilder:
    def __init__(self, store: Store, seed: str) -> None:
        self.store = store
        self.draw = Draw(random.Random(f"woosim-catalog:{seed}"))
        #: Generated category id -> (its top category here, that one's children).
        self._tree: dict[int, tuple[Category, tuple[Category, ...]]] | None = None
        self._tags: tuple[Tag, ...] = ()

    def _taxonomy(self) -> dict[int, tuple[Category, tuple[Category, ...]]]:
        if self._tree is None:
            terms = self.store.terms
            tree: dict[int, tuple[Category, tuple[Category, ...]]] = {}
            for legacy in CATEGORIES:
                top = terms.ensure(CATEGORY_TAXONOMY, legacy.name)
                children = [
                    terms.ensure(CATEGORY_TAXONOMY, name, parent=top.id)
                    for name in SUBCATEGORIES.get(legacy.name, ())
                ]
                assert isinstance(top, Category)
                tree[legacy.id] = (top, tuple(c for c in children if isinstance(c, Category)))
            self._tags = tuple(
                tag
                for name in TAG_NAMES
                if isinstance(tag := terms.ensure(TAG_TAXONOMY, name), Tag)
            )
            self._tree = tree
        return self._tree

    def dress(self, product: Product, *, sellable: bool) -> None:
        """Give a built product the store's categories and some tags; make some variable
        (``sellable``: it must stay a simple product with a price)."""
        tree, draw = self._taxonomy(), self.draw
        top, children = tree[product.categories[0].id]
        category = draw.pick(children) if children and draw.chance(0.6) else top
        product.categories = (category,)
        product.tags = tuple(t for t in self._tags if draw.chance(0.15))
        if sellable or not draw.chance(VARIABLE_SHARE):
            return
        product.type = "variable"
        product.attributes = (VARIES_BY.get(top.name, DEFAULT_ATTRIBUTE),)
        product.regular_price = product.sale_price = None
        product.manage_stock, product.stock_quantity = False, None
        product.stock_status = "instock"

    def variations(self, parent: Product, base_price: int) -> list[Product]:
        """The variations of a variable product, one per option, priced from ``base_price``."""
        store, draw = self.store, self.draw
        attribute = parent.attributes[0]
        slug = attribute.name.lower()
        made: list[Product] = []
        for option in attribute.options:
            variation_id = store.next_post_id()
            regular = base_price + draw.pick(_STEPS)
            managed = draw.chance(0.5)
            stock = draw.between(0, 40) if managed else None
            made.append(
                Product(
                    id=variation_id,
                    name="",
                    slug="",
                    type="variation",
                    status="publish",
                    sku=f"{parent.sku}-{option.lower()}",
                    regular_price=regular,
                    sale_price=(regular * 9 // 10) if draw.chance(0.1) else None,
                    description="",
                    short_description="",
                    created=parent.created,
                    created_wall=parent.created_wall,
                    modified=parent.modified,
                    modified_wall=parent.modified_wall,
                    tax_class="parent",
                    manage_stock=managed,
                    stock_quantity=stock,
                    stock_status="outofstock" if stock == 0 else "instock",
                    weight=parent.weight,
                    parent_id=parent.id,
                    options=((slug, option),),
                )
            )
        return made
