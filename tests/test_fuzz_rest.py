"""Property-based fuzzing of the REST API with schemathesis, driven by our OpenAPI document.

Every documented operation gets a bounded, derandomized set of generated requests
(valid and invalid ones) against a real server on a loopback port. Checked for
each response: no server error (a 5xx other than WooCommerce's own 501 "trash not
supported"), every 4xx has WooCommerce's error shape with ``data.status`` equal to
the HTTP status, and the status code, content type, headers and body conform to
the document; invalid requests must be refused.

The document is narrowed for fuzzing only (see ``fuzzing_document``). Inputs that
once broke the server (huge or non-finite amounts, huge quantities, extreme ``dp``)
are fuzzed like any other and pinned by regression tests at the end.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate
from simulator.rest.openapi import build_document
from simulator.server import SimulatorServer
from simulator.settings import Settings

FuzzCase = schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]]

START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
#: Generated requests per operation; batch bodies are large, so they get fewer.
EXAMPLES = 20
BATCH_EXAMPLES = 8
#: Deliveries of webhooks the fuzzer registers go to this path of the store itself
#: (a 404): nothing leaves the machine, nothing waits on a foreign host.
WEBHOOK_SINK = "/_woosim/fuzz-webhook-sink"
#: The store's records fill ids 1..~30; ids are drawn from a little beyond that.
MAX_ID = 60
MAX_QUERY = 4000


# ---------------------------------------------------------------------- the document, narrowed
def _close_objects(node: Any) -> None:
    """Request objects: only documented fields (the server ignores others, so random
    extra fields would only spend the example budget)."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_objects(value)
    elif isinstance(node, list):
        for value in node:
            _close_objects(value)


def fuzzing_document() -> dict[str, Any]:
    """The document the store serves (same builder), narrowed for fuzzing on a copy."""
    doc = copy.deepcopy(build_document(Settings()))
    components = doc["components"]
    for name, schema in components["schemas"].items():
        if name.endswith(("Input", "Update", "Batch")):
            _close_objects(schema)
    for name in ("WebhookInput", "WebhookUpdate"):
        # Resolved against the running store's URL when the case is sent (see below).
        components["schemas"][name]["properties"]["delivery_url"] = {"const": WEBHOOK_SINK}
    components["parameters"]["id"]["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return doc


CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "deterministic": True,
            # WordPress ignores parameters a route does not register; no point asking.
            "allow-extra-parameters": False,
        },
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(fuzzing_document(), config=CONFIG)


@schema.hook
def filter_query(ctx: schemathesis.HookContext, query: dict[str, Any] | None) -> bool:
    """Keep request lines under the HTTP server's limit (aiohttp refuses lines over 8190
    bytes with a plain-text 400, as Apache answers 414: before WordPress sees them)."""
    return query is None or len(urlencode(query, doseq=True)) <= MAX_QUERY


# ---------------------------------------------------------------------- checks of our own
#: The refunds controller's WP_Errors whose data is a number: WordPress answers 500.
REFUND_CONTROLLER_ERRORS = frozenset(
    {
        "woocommerce_rest_cannot_create_order_refund",
        "woocommerce_rest_invalid_order_id",
        "woocommerce_rest_invalid_order_refund",
        "woocommerce_rest_invalid_order_refund_id",
    }
)


@schemathesis.check
def no_server_error(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: FuzzCase
) -> bool | None:
    """5xx never, except WooCommerce's 501 for deleting what cannot be trashed, the
    refunds controller's own refusals (500 with a bare number as data, as a real store)
    and a category update naming a parent that does not exist (500, data null)."""
    if response.status_code >= 500:
        body = response.json() if response.content else {}
        allowed = (
            (
                response.status_code == 501
                and body.get("code") == "woocommerce_rest_trash_not_supported"
            )
            or (
                response.status_code == 500
                and body.get("code") in REFUND_CONTROLLER_ERRORS
                and isinstance(body.get("data"), int)
            )
            or (
                # wp_update_term's error for a parent that does not exist (recorded).
                response.status_code == 500
                and body.get("code") == "missing_parent"
                and body.get("data") is None
            )
        )
        if not allowed:
            raise AssertionError(f"server error {response.status_code}: {response.text[:500]}")
    return None


@schemathesis.check
def woocommerce_error_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: FuzzCase
) -> bool | None:
    """Every 4xx is ``{"code": str, "message": str, "data": {"status": <the status>, ...}}``."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict), body
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("message"), str), body
        assert isinstance(body.get("data"), dict), body
        assert body["data"].get("status") == response.status_code, body
    return None


CHECKS = [
    no_server_error,
    woocommerce_error_shape,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

#: Batch endpoints answer 200 with an error object per refused item, as WooCommerce
#: does, so an invalid item is not a rejected request: whether a negative case gets a
#: 2xx depends on which ids earlier cases left in the store. Everything else is checked.
BATCH_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]


# ---------------------------------------------------------------------- the store under fuzz
class FuzzTarget:
    def __init__(self) -> None:
        self.sim = Simulator(Settings(), clock=Clock(START, frozen=True), seed="fuzz")
        generate(self.sim.store, "fuzz", customers=8, orders=12, products=6)
        self.server = SimulatorServer(self.sim)
        self.session = requests.Session()
        self.cases = 0

    @property
    def auth(self) -> tuple[str, str]:
        return (self.server.consumer_key, self.server.consumer_secret)

    def keep_deliveries_home(self, node: Any) -> None:
        """Point every webhook URL in a body at the sink (also the negative cases' URLs)."""
        if isinstance(node, dict):
            url = node.get("delivery_url")
            if url == WEBHOOK_SINK or (isinstance(url, str) and url.lower().startswith("http")):
                node["delivery_url"] = self.server.site_url + WEBHOOK_SINK
            for value in node.values():
                self.keep_deliveries_home(value)
        elif isinstance(node, list):
            for value in node:
                self.keep_deliveries_home(value)

    def send(self, case: FuzzCase, checks: list[Any] = CHECKS) -> None:
        self.keep_deliveries_home(case.body)
        self.cases += 1
        case.call_and_validate(
            base_url=self.server.site_url, session=self.session, auth=self.auth, checks=checks
        )


@pytest.fixture(scope="module")
def target() -> Iterator[FuzzTarget]:
    fuzz = FuzzTarget()
    fuzz.server.start_in_thread()
    try:
        yield fuzz
    finally:
        fuzz.session.close()
        fuzz.server.stop_in_thread()
    assert fuzz.sim.internal_errors == [], fuzz.sim.internal_errors


FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: a failure is reported as generated, and CI time stays bounded.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.exclude(path_regex=r"/batch$").parametrize()
@settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
def test_operation(case: FuzzCase, target: FuzzTarget) -> None:
    target.send(case)


@schema.include(path_regex=r"/batch$").parametrize()
@settings(FUZZ_SETTINGS, max_examples=BATCH_EXAMPLES)
def test_batch_operation(case: FuzzCase, target: FuzzTarget) -> None:
    target.send(case, BATCH_CHECKS)


# ---------------------------------------------------------------------- once server bugs
@pytest.fixture
async def bare_store() -> Any:
    """A small store of its own for inputs that once ended in a 500."""
    sim = Simulator(Settings(), clock=Clock(START, frozen=True), seed="bugs")
    generate(sim.store, "bugs", customers=1, orders=1, products=1)
    server = SimulatorServer(sim)
    await server.start()
    key = sim.keys.default
    async with httpx.AsyncClient(
        base_url=server.api_url + "/", auth=(key.consumer_key, key.consumer_secret), timeout=30
    ) as client:
        yield sim, client
    await server.stop()
    assert sim.internal_errors == []


def _refused(response: httpx.Response, param: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "rest_invalid_param"
    assert list(body["data"]["params"]) == [param]
    return body


@pytest.mark.parametrize(
    ("route", "body", "param"),
    [
        ("products", {"name": "Big", "regular_price": 1e300}, "regular_price"),
        ("products", {"name": "Nan", "regular_price": "NaN"}, "regular_price"),
        ("products", {"name": "Inf", "sale_price": "-Infinity"}, "sale_price"),
        ("products", {"name": "Edge", "regular_price": "10000000000000"}, "regular_price"),
        (
            "orders",
            {"shipping_lines": [{"method_id": "flat_rate", "total": -1.7976931348623157e308}]},
            "shipping_lines",
        ),
        ("orders", {"fee_lines": [{"name": "Fee", "total": "nan"}]}, "fee_lines"),
    ],
    ids=["product-price", "product-price-nan", "sale-price-inf", "bound", "shipping", "fee"],
)
async def test_huge_or_non_finite_amount_is_refused(
    bare_store: Any, route: str, body: dict[str, Any], param: str
) -> None:
    sim, client = bare_store
    before = (len(sim.store.products), len(sim.store.orders))
    _refused(await client.post(route, json=body), param)
    assert (len(sim.store.products), len(sim.store.orders)) == before


async def test_largest_amount_is_stored_and_rendered(bare_store: Any) -> None:
    _, client = bare_store
    response = await client.post(
        "products", json={"name": "Dear", "regular_price": "9999999999999.99"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["regular_price"] == "9999999999999.99"


@pytest.mark.parametrize("min_price", ["1e300", "NaN", "INF"])
async def test_huge_min_price_is_refused(bare_store: Any, min_price: str) -> None:
    _, client = bare_store
    _refused(await client.get("products", params={"min_price": min_price}), "min_price")


@pytest.mark.parametrize("quantity", [10**30, 2**31])
async def test_huge_quantity_is_refused_and_changes_nothing(bare_store: Any, quantity: int) -> None:
    sim, client = bare_store
    product_id = next(iter(sim.store.products))
    order_id = next(iter(sim.store.orders))
    before = (await client.get(f"orders/{order_id}")).content
    created = await client.post(
        "orders", json={"line_items": [{"product_id": product_id, "quantity": quantity}]}
    )
    body = _refused(created, "line_items")
    assert "line_items[0][quantity]" in body["data"]["params"]["line_items"]
    updated = await client.put(
        f"orders/{order_id}",
        json={
            "billing": {"city": "Changed"},
            "line_items": [{"product_id": product_id, "quantity": quantity}],
        },
    )
    _refused(updated, "line_items")
    listed = await client.get("orders")
    assert listed.status_code == 200
    assert len(listed.json()) == 1
    assert (await client.get(f"orders/{order_id}")).content == before


async def test_largest_quantity_is_stored_and_rendered(bare_store: Any) -> None:
    sim, client = bare_store
    product_id = next(iter(sim.store.products))
    created = await client.post(
        "orders", json={"line_items": [{"product_id": product_id, "quantity": 2**31 - 1}]}
    )
    assert created.status_code == 201, created.text
    cents = (sim.store.products[product_id].price or 0) * (2**31 - 1)
    assert created.json()["line_items"][0]["subtotal"] == f"{cents // 100}.{cents % 100:02d}"
    assert (await client.get("orders")).status_code == 200


# The orders controller reads dp through absint: a negative dp shows that many places.
@pytest.mark.parametrize(("dp", "shown"), [(-277458597, 20), (60, 20), (-3, 3), (5, 5)])
async def test_extreme_dp_is_clamped(bare_store: Any, dp: int, shown: int) -> None:
    sim, client = bare_store
    order_id = next(iter(sim.store.orders))
    single = await client.get(f"orders/{order_id}", params={"dp": dp})
    listed = await client.get("orders", params={"dp": dp})
    assert (single.status_code, listed.status_code) == (200, 200), single.text
    total = single.json()["total"]
    assert listed.json()[0]["total"] == total
    assert len(total.partition(".")[2]) == shown
