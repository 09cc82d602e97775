"""Resource declarations: renderings, accepted fields and schemas all follow them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.errors import RestError
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
from simulator.resources.products import PRODUCT
from simulator.resources.schema import INTEGER, STRING
from simulator.resources.webhooks import WEBHOOK
from simulator.rest.customers import CustomerRoutes
from simulator.rest.openapi import build_document
from simulator.rest.products import ProductRoutes
from simulator.rest.webhooks import WebhookRoutes, render_webhook
from simulator.settings import Settings
from simulator.webhooks import service_for

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
    webhook = service_for(sim).registry.create(
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


# ---------------------------------------------------------------------- the document
def test_the_document_holds_the_declared_schemas() -> None:
    schemas = build_document(Settings())["components"]["schemas"]
    for decl in (CUSTOMER, PRODUCT, WEBHOOK):
        assert schemas[decl.title] == response_schema(decl)
        assert schemas[f"{decl.title}Input"] == input_schema(decl, creating=True)
        assert schemas[f"{decl.title}Update"] == input_schema(decl, creating=False)
    assert schemas["Customer"]["properties"]["billing"] == {"$ref": "#/components/schemas/Billing"}
    assert set(schemas["Billing"]["properties"]) == set(schemas["Shipping"]["properties"]) | {
        "email"
    }
