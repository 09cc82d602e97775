"""Resource declarations: renderings, accepted fields and schemas all follow them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.errors import RestError
from simulator.generate import generate
from simulator.resources.customers import CUSTOMER
from simulator.resources.declare import (
    CONTEXTS,
    EDIT_ONLY,
    Declaration,
    Field,
    ShapeError,
    input_schema,
    keys,
    mismatches,
    ordered,
    required,
    response_schema,
    writable,
)
from simulator.resources.notes import NOTE
from simulator.resources.orders import ORDER
from simulator.resources.products import PRODUCT
from simulator.resources.schema import INTEGER, STRING
from simulator.resources.terms import CATEGORY, TAG
from simulator.resources.variations import VARIATION
from simulator.resources.webhooks import WEBHOOK
from simulator.rest.customers import CustomerRoutes
from simulator.rest.notes import read_note
from simulator.rest.openapi import build_document
from simulator.rest.orders import OrderRoutes
from simulator.rest.products import ProductRoutes
from simulator.rest.terms import CategoryRoutes, TagRoutes, TermRoutes
from simulator.rest.variations import VariationRoutes
from simulator.rest.webhooks import WebhookRoutes, render_webhook
from simulator.settings import Settings
from simulator.store.terms import CATEGORIES, TAGS

INNER = Declaration("Inner", (Field("a", INTEGER), Field("b", STRING, writable=True)))
SAMPLE = Declaration(
    "Sample",
    (
        Field("id", INTEGER),
        Field("name", STRING, writable=True, required=True),
        Field("secret", writable=True, input={"type": "string", "writeOnly": True}),
        Field("kind", STRING, writable="update"),
        Field("items", shape=INNER, many=True, writable=True),
        Field("template", STRING, contexts=EDIT_ONLY),
    ),
)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(Settings(), clock=Clock(datetime(2024, 3, 10, 6, tzinfo=UTC), frozen=True))


# ---------------------------------------------------------------------- the helpers
def test_keys_follow_the_declared_order_per_context() -> None:
    assert keys(SAMPLE) == ("id", "name", "kind", "items")
    assert keys(SAMPLE, "edit") == ("id", "name", "kind", "items", "template")


def test_ordered_puts_keys_in_declared_order() -> None:
    data = {"items": [], "kind": "k", "name": "n", "id": 1}
    assert list(ordered(SAMPLE, data)) == ["id", "name", "kind", "items"]


def test_ordered_fails_loudly_on_a_missing_or_undeclared_key() -> None:
    with pytest.raises(ShapeError, match="gave no 'kind'"):
        ordered(SAMPLE, {"id": 1, "name": "n", "items": []})
    with pytest.raises(ShapeError, match=r"undeclared \['extra'\]"):
        ordered(SAMPLE, {"id": 1, "name": "n", "kind": "", "items": [], "extra": 1})
    with pytest.raises(ShapeError, match="gave no 'template'"):
        ordered(SAMPLE, {"id": 1, "name": "n", "kind": "", "items": []}, "edit")


def test_mismatches_reach_into_nested_objects() -> None:
    good = {"id": 1, "name": "n", "kind": "", "items": [{"a": 1, "b": ""}]}
    assert mismatches(SAMPLE, good) == []
    bad = {"id": 1, "name": "n", "kind": "", "items": [{"b": "", "a": 1}]}
    assert mismatches(SAMPLE, bad) == ["Sample.items[0]: keys ['b', 'a'] != declared ['a', 'b']"]


def test_a_field_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice: a"):
        Declaration("Twice", (Field("a", INTEGER), Field("a", STRING)))


def test_writable_and_required_per_route() -> None:
    assert writable(SAMPLE, creating=True) == ("name", "secret", "items")
    assert writable(SAMPLE, creating=False) == ("name", "secret", "kind", "items")
    assert writable(SAMPLE) == ("name", "secret", "kind", "items")
    assert required(SAMPLE) == ("name",)


def test_schemas_derive_from_the_declaration() -> None:
    response = response_schema(SAMPLE)
    assert list(response["properties"]) == ["id", "name", "kind", "items", "template"]
    assert response["required"] == ["id", "name", "kind", "items"]
    assert response["additionalProperties"] is False
    assert response["properties"]["items"]["items"]["required"] == ["a", "b"]
    create = input_schema(SAMPLE, creating=True)
    assert list(create["properties"]) == ["name", "secret", "items"]
    assert create["required"] == ["name"]
    assert create["properties"]["items"]["items"]["properties"] == {"b": STRING}
    update = input_schema(SAMPLE, creating=False)
    assert "required" not in update
    assert "kind" in update["properties"]


# ---------------------------------------------------------------------- the renderers
def test_customer_renderings_match_the_declaration(sim: Simulator) -> None:
    customer = sim.store.create_customer(
        {
            "email": "ann@example.com",
            "first_name": "Ann",
            "billing": {"city": "Oslo", "email": "ann@example.com"},
            "shipping": {"city": "Oslo"},
            "meta_data": [{"key": "tier", "value": "gold"}],
        }
    )
    rendered = sim.renderer.customer(customer)
    assert rendered["meta_data"], "the rendering should hold a meta entry to check"
    for context in CONTEXTS:
        assert mismatches(CUSTOMER, rendered, context) == []


def test_webhook_renderings_match_the_declaration(sim: Simulator) -> None:
    webhook = sim.webhooks.registry.create(
        topic="order.created", delivery_url="https://example.com/hook", secret="s"
    )
    rendered = render_webhook(webhook, sim.settings)
    for context in CONTEXTS:
        assert mismatches(WEBHOOK, rendered, context) == []
    assert "secret" not in rendered


def test_product_renderings_match_the_declaration_in_each_context(sim: Simulator) -> None:
    product = sim.store.create_product(
        {
            "name": "Mug",
            "regular_price": "5",
            "categories": [{"id": 1}],
            "meta_data": [{"key": "colour", "value": "red"}],
        }
    )
    for context in CONTEXTS:
        rendered = sim.renderer.product(product, context)
        assert rendered["categories"] and rendered["meta_data"], "nested objects to check"
        assert mismatches(PRODUCT, rendered, context) == []
    assert "generated_slug" in sim.renderer.product(product, "edit")
    assert "generated_slug" not in sim.renderer.product(product, "view")


def test_order_renderings_match_the_declaration_nested_lines_included() -> None:
    # Taxes on, so lines carry taxes and orders a tax line.
    sim = Simulator(Settings(taxes_enabled=True), clock=Clock(datetime(2024, 3, 10, tzinfo=UTC)))
    generate(sim.store, "declarations", customers=3, orders=12, products=4)
    product = next(iter(sim.store.products.values()))
    sim.store.create_order(
        {
            "line_items": [
                {"product_id": product.id, "quantity": 2, "meta_data": [{"key": "k", "value": 1}]}
            ],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "5"}],
            "fee_lines": [{"name": "Fee", "total": "2"}],
            "meta_data": [{"key": "gift", "value": "yes"}],
        }
    )
    renderings = [sim.renderer.order(order) for order in sim.store.orders.values()]
    for name in ("line_items", "shipping_lines", "fee_lines", "tax_lines", "meta_data"):
        assert any(r[name] for r in renderings), f"no order with {name} to check"
    assert any(item["taxes"] for r in renderings for item in r["line_items"])
    for rendered in renderings:
        for context in CONTEXTS:
            assert mismatches(ORDER, rendered, context) == []


# ---------------------------------------------------------------------- accepted fields
def _invalid_params(parse: Any, body: dict[str, Any], *, creating: bool) -> list[str]:
    with pytest.raises(RestError) as caught:
        parse(body, creating=creating)
    return list(caught.value.data["params"])


@pytest.mark.parametrize("creating", [True, False])
def test_customer_bodies_accept_the_declared_writable_fields(
    sim: Simulator, creating: bool
) -> None:
    # A number where each writable field wants a string, list or object: every field
    # the parser reads is named in the 400, and only those.
    names = writable(CUSTOMER, creating=creating)
    body = {name: 12 for name in names} | {"is_paying_customer": 12}
    params = _invalid_params(CustomerRoutes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


@pytest.mark.parametrize("creating", [True, False])
def test_webhook_bodies_accept_the_declared_writable_fields(sim: Simulator, creating: bool) -> None:
    names = writable(WEBHOOK)  # a create checks the status too, then ignores it
    body = {name: [1] for name in names} | {"hooks": 12}
    params = _invalid_params(WebhookRoutes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


@pytest.mark.parametrize("creating", [True, False])
def test_product_bodies_accept_the_declared_writable_fields(sim: Simulator, creating: bool) -> None:
    names = writable(PRODUCT, creating=creating)
    # A list where a scalar goes; an id that is no integer in each listed object.
    body = {name: [[1]] for name in names} | {"price": [[1]], "permalink": [[1]]}
    body |= {"categories": [{"id": "x"}], "tags": [{"id": "x"}], "meta_data": [{"id": "x"}]}
    body |= {"attributes": [{"position": "x"}], "default_attributes": [{"option": [1]}]}
    params = _invalid_params(ProductRoutes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


@pytest.mark.parametrize("creating", [True, False])
def test_order_bodies_accept_the_declared_writable_fields(sim: Simulator, creating: bool) -> None:
    names = writable(ORDER, creating=creating)
    body: dict[str, Any] = {name: [[1]] for name in names} | {"total": [[1]]}
    lists = ("meta_data", "line_items", "shipping_lines", "fee_lines")
    body |= {name: [{"id": "x"}] for name in lists} | {"coupon_lines": [{"code": [1]}]}
    body |= {"billing": {"city": [1]}, "shipping": {"city": [1]}}
    params = _invalid_params(OrderRoutes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


def test_order_line_items_read_their_declared_fields(sim: Simulator) -> None:
    fields = OrderRoutes(sim).parse_fields(
        {
            "line_items": [
                {"id": 3, "product_id": None, "quantity": "2", "sku": "A", "price": "9"},
                {"product_id": 7, "total": None, "meta_data": [{"key": "k", "value": [1]}]},
            ],
            "shipping_lines": [{"method_id": None, "total": "1.50", "taxes": []}],
            "manual_update": True,
        },
        creating=False,
    )
    assert fields == {
        "line_items": [
            {"id": 3, "product_id": None, "quantity": 2, "sku": "A"},
            {"product_id": 7, "total": None, "meta_data": [{"key": "k", "value": [1]}]},
        ],
        "shipping_lines": [{"method_id": None, "total": "1.50"}],
        # Kept: it makes the status note the key's user's (see the order notes).
        "manual_update": True,
    }


def test_order_coupon_lines_null_keeps_the_coupons_and_lines_pass_whole(sim: Simulator) -> None:
    parse = OrderRoutes(sim).parse_fields
    assert "coupon_lines" not in parse({"coupon_lines": None}, creating=False)
    assert parse({"coupon_lines": []}, creating=False) == {"coupon_lines": []}
    # The store refuses an id with its own message, so the line reaches it whole.
    lines = [{"id": 3, "code": "big"}]
    assert parse({"coupon_lines": lines}, creating=True) == {"coupon_lines": lines}


def test_product_terms_and_attributes_reach_the_store_whole(sim: Simulator) -> None:
    # A tag named by name (made if missing) and an attribute's options are the store's to read.
    body = {
        "tags": [{"name": "New tag"}, {"id": "4"}],
        "categories": [{"id": 2, "name": "ignored"}],
        "attributes": [{"name": "Size", "options": ["S", "M"], "visible": True}],
        "default_attributes": [{"name": "Size", "option": "S"}],
    }
    assert ProductRoutes(sim).parse_fields(body, creating=True) == body


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("routes", [CategoryRoutes, TagRoutes])
def test_term_bodies_accept_the_declared_writable_fields(
    sim: Simulator, routes: type[TermRoutes], creating: bool
) -> None:
    names = writable(routes.declaration, creating=creating)
    body = {name: [[1]] for name in names} | {"count": [[1]], "image": [1]}
    params = _invalid_params(routes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


@pytest.mark.parametrize("creating", [True, False])
def test_variation_bodies_accept_the_declared_writable_fields(
    sim: Simulator, creating: bool
) -> None:
    names = writable(VARIATION, creating=creating)
    body = {name: [[1]] for name in names} | {"price": [[1]], "permalink": [[1]]}
    body |= {"dimensions": {"width": [1]}, "attributes": 12, "meta_data": [{"id": "x"}]}
    params = _invalid_params(VariationRoutes(sim).parse_fields, body, creating=creating)
    assert params == list(names)


def test_variation_bodies_read_dimensions_and_options(sim: Simulator) -> None:
    body = {
        "regular_price": "9.50",
        "dimensions": {"width": "2", "depth": "ignored"},
        "attributes": [{"name": "Size", "option": "M"}],
    }
    assert VariationRoutes(sim).parse_fields(body, creating=True) == {
        "regular_price": "9.50",
        "dimensions": {"width": "2"},
        "attributes": [{"name": "Size", "option": "M"}],
    }


def test_note_bodies_accept_the_declared_writable_fields() -> None:
    names = writable(NOTE, creating=True)
    body = {name: [[1]] for name in names}
    params = _invalid_params(lambda body, creating: read_note(body), body, creating=True)
    assert params == list(names)
    assert read_note({"note": "", "customer_note": "1"}) == {"note": "", "customer_note": True}
    with pytest.raises(RestError) as caught:
        read_note({"customer_note": True})
    assert caught.value.code == "rest_missing_callback_param"


# ---------------------------------------------------------------------- the document
def _conforms(decl: Declaration, rendered: dict[str, Any]) -> list[str]:
    components = build_document(Settings())["components"]
    schema = {"$ref": f"#/components/schemas/{decl.title}", "components": components}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(rendered)]


def test_an_order_line_without_a_product_conforms(sim: Simulator) -> None:
    # An unknown product id makes a line without a product: its image id is 0, not "".
    order = sim.store.create_order({"line_items": [{"product_id": 999, "quantity": 1}]})
    rendered = sim.renderer.order(order)
    assert rendered["line_items"][0]["image"] == {"id": 0, "src": ""}
    assert _conforms(ORDER, rendered) == []


def test_renderings_conform_to_the_document() -> None:
    sim = Simulator(Settings(taxes_enabled=True), clock=Clock(datetime(2024, 3, 10, tzinfo=UTC)))
    generate(sim.store, "conformance", customers=4, orders=8, products=4)
    render = sim.renderer
    for customer in sim.store.customers.values():
        assert _conforms(CUSTOMER, render.customer(customer)) == []
    for order in sim.store.orders.values():
        assert _conforms(ORDER, render.order(order)) == []
    for product in sim.store.products.values():
        for context in CONTEXTS:
            assert _conforms(PRODUCT, render.product(product, context)) == []
    webhook = sim.webhooks.registry.create(
        topic="order.updated", delivery_url="https://example.com/hook"
    )
    assert _conforms(WEBHOOK, render_webhook(webhook, sim.settings)) == []


def test_term_renderings_match_their_declarations_and_the_document(sim: Simulator) -> None:
    terms = sim.store.terms
    parent = terms.create(CATEGORIES, {"name": "Clothes"})
    child = terms.create(CATEGORIES, {"name": "Shirts", "parent": parent.id})
    tag = terms.create(TAGS, {"name": "Sale"})
    for routes, term in [(CategoryRoutes, parent), (CategoryRoutes, child), (TagRoutes, tag)]:
        rendered = routes(sim).render(routes(sim).find(term.id))
        assert mismatches(routes.declaration, rendered) == []
        assert _conforms(routes.declaration, rendered) == []
    assert "up" in CategoryRoutes(sim).render(CategoryRoutes(sim).find(child.id))["_links"]


def test_variation_renderings_match_the_declaration_and_the_document(sim: Simulator) -> None:
    parent = sim.store.create_product(
        {
            "name": "Shirt",
            "type": "variable",
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        }
    )
    variation = sim.store.variations.create(
        parent.id, {"regular_price": "9", "attributes": [{"name": "Size", "option": "M"}]}
    )
    for context in CONTEXTS:
        rendered = sim.renderer.variations.variation(variation, context)
        assert rendered["attributes"] == [{"id": 0, "name": "Size", "slug": "size", "option": "M"}]
        assert mismatches(VARIATION, rendered, context) == []
        assert _conforms(VARIATION, rendered) == []


def test_the_document_holds_the_declared_schemas() -> None:
    schemas = build_document(Settings())["components"]["schemas"]
    for decl in (CUSTOMER, ORDER, PRODUCT, WEBHOOK, CATEGORY, TAG, VARIATION):
        assert schemas[decl.title] == response_schema(decl)
        assert schemas[f"{decl.title}Input"] == input_schema(decl, creating=True)
        assert schemas[f"{decl.title}Update"] == input_schema(decl, creating=False)
    assert schemas["Customer"]["properties"]["billing"] == {"$ref": "#/components/schemas/Billing"}
    assert set(schemas["Billing"]["properties"]) == set(schemas["Shipping"]["properties"]) | {
        "email"
    }
