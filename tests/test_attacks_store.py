"""Hostile clients against the store's HTTP layer: connections that stall or idle, and
absurd sizes (an order with 150k line items). The store keeps answering everyone else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from helpers import LiveStore
from reliability_helpers import open_stalled, raw_post, read_until_closed

from simulator.app import Simulator
from simulator.server import SimulatorServer
from simulator.store import MAX_LINE_ITEMS

TIMEOUT = 0.5


@pytest.fixture
async def impatient() -> AsyncIterator[SimulatorServer]:
    """A store that gives clients TIMEOUT seconds (the default is listen's 15 s)."""
    sim = Simulator()
    sim.body_timeout = TIMEOUT
    server = SimulatorServer(sim, idle_timeout=TIMEOUT)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()
    assert sim.internal_errors == []


async def test_store_cuts_off_stalled_and_idle_connections(impatient: SimulatorServer) -> None:
    url = impatient.site_url + "/"
    stalled_body = await open_stalled(
        url,
        b"POST /_woosim/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 900\r\n\r\n{",
    )
    half_headers = await open_stalled(url, b"GET /wp-json/ HTTP/1.1\r\nHost")
    silent = await open_stalled(url, b"")
    # Everyone else is served meanwhile.
    status, _ = await raw_post(
        impatient.site_url + "/_woosim/clock", b"{}", {"Content-Type": "application/json"}
    )
    assert status == 200
    answer = await read_until_closed(stalled_body[0], TIMEOUT * 20)
    assert answer.startswith(b"HTTP/1.1 408")
    assert await read_until_closed(half_headers[0], TIMEOUT * 20) == b""
    assert await read_until_closed(silent[0], TIMEOUT * 20) == b""
    for _, writer in (stalled_body, half_headers, silent):
        writer.close()
    async with httpx.AsyncClient() as client:
        assert (await client.get(impatient.site_url + "/_woosim/clock")).status_code == 200


# ---------------------------------------------------------------------- absurd sizes
async def _product(store: LiveStore) -> int:
    response = await store.client.post("products", json={"name": "p", "regular_price": "1.00"})
    assert response.status_code == 201
    return int(response.json()["id"])


@pytest.mark.parametrize("count", [MAX_LINE_ITEMS + 1, 150_000])
async def test_an_order_with_too_many_line_items_is_refused_like_wordpress(
    store: LiveStore, count: int
) -> None:
    product = await _product(store)
    lines = [{"product_id": product, "quantity": 1}] * count
    response = await store.client.post("orders", json={"line_items": lines})
    assert response.status_code == 400
    message = f"line_items must contain at most {MAX_LINE_ITEMS} items."
    assert response.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): line_items",
        "data": {
            "status": 400,
            "params": {"line_items": message},
            "details": {
                "line_items": {"code": "rest_too_many_items", "message": message, "data": None}
            },
        },
    }
    assert (await store.client.get("orders")).json() == []


async def test_line_items_added_past_the_cap_are_refused(store: LiveStore) -> None:
    product = await _product(store)
    lines = [{"product_id": product, "quantity": 1}] * MAX_LINE_ITEMS
    created = await store.client.post("orders", json={"line_items": lines})
    assert created.status_code == 201
    order = created.json()
    more = await store.client.put(
        f"orders/{order['id']}", json={"line_items": [{"product_id": product}]}
    )
    assert more.status_code == 400 and more.json()["code"] == "rest_invalid_param"
    again = await store.client.get(f"orders/{order['id']}")
    assert len(again.json()["line_items"]) == MAX_LINE_ITEMS


async def test_a_batch_carries_at_most_the_cap_in_line_items(store: LiveStore) -> None:
    product = await _product(store)
    lines = [{"product_id": product, "quantity": 1}] * 600
    response = await store.client.post(
        "orders/batch", json={"create": [{"line_items": lines}, {"line_items": lines}]}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"
    assert (await store.client.get("orders")).json() == []
