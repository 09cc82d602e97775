"""End to end: the official ``woocommerce`` client (OAuth 1.0a over http) vs ``woosim serve``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from test_serve_cli import ServeProcess, start_serve
from woocommerce import API

from simulator.app import Simulator
from simulator.server import SimulatorServer


@pytest.fixture
def served() -> Iterator[ServeProcess]:
    # The clock runs in real time: OAuth timestamps must be within 15 minutes of it.
    process = start_serve("--port", "0", "--seed", "e2e", "--products", "5")
    try:
        yield process
    finally:
        process.stop()


def client(served: ServeProcess) -> Any:
    return API(
        url=served.values["site_url"],
        consumer_key=served.values["consumer_key"],
        consumer_secret=served.values["consumer_secret"],
        version="wc/v3",
        timeout=20,
    )


def test_official_client_customers_and_orders(served: ServeProcess) -> None:
    wc = client(served)
    created = []
    for n in range(12):
        response = wc.post(
            "customers", {"email": f"buyer{n}@example.com", "first_name": f"B{n:02d}"}
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    page = wc.get("customers", params={"per_page": 5, "page": 2, "orderby": "id", "order": "asc"})
    assert page.status_code == 200, page.text
    assert [c["id"] for c in page.json()] == created[5:10]
    assert page.headers["X-WP-Total"] == "12"
    assert page.headers["X-WP-TotalPages"] == "3"
    # requests parses the one comma-joined Link header into prev/next.
    assert set(page.links) == {"prev", "next"}
    assert "oauth_signature=" in page.links["next"]["url"]
    assert "page=3" in page.links["next"]["url"]

    updated = wc.put(f"customers/{created[0]}", {"last_name": "Updated"})
    assert updated.status_code == 200 and updated.json()["last_name"] == "Updated"

    products = wc.get("products").json()
    order = wc.post(
        "orders",
        {
            "customer_id": created[0],
            "line_items": [{"product_id": products[0]["id"], "quantity": 2}],
        },
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    completed = wc.put(f"orders/{order_id}", {"status": "completed"}).json()
    assert completed["status"] == "completed"
    before = datetime.fromisoformat(completed["date_modified"]) - timedelta(seconds=1)
    listed = wc.get("orders", params={"status": "completed", "modified_after": before.isoformat()})
    assert [o["id"] for o in listed.json()] == [order_id]
    # WooCommerce 10.0.2 answers the order as it was before the trash.
    assert wc.delete(f"orders/{order_id}").json()["status"] == "completed"
    assert wc.get(f"orders/{order_id}").json()["status"] == "trash"
    assert wc.delete(f"orders/{order_id}", params={"force": "true"}).status_code == 200
    assert wc.get(f"orders/{order_id}").status_code == 404
    assert wc.delete(f"customers/{created[1]}", params={"force": "true"}).status_code == 200
    assert wc.get("customers").headers["X-WP-Total"] == "11"
    # A value with "/" is signed differently by the client (Python quote keeps "/"):
    # the real store rejects it, and so do we.
    rejected = wc.get("orders", params={"search": "a/b"})
    assert rejected.status_code == 401
    assert rejected.json()["message"] == "Invalid signature - provided signature does not match."


def test_process_stops_cleanly_on_sigterm() -> None:
    process = start_serve("--port", "0")
    process.stop()
    assert process.returncode == 0


async def test_httpx_basic_auth_in_process() -> None:
    sim = Simulator(seed="basic")
    server = SimulatorServer(sim)
    await server.start()
    try:
        auth = (server.consumer_key, server.consumer_secret)
        async with httpx.AsyncClient(base_url=server.api_url + "/", auth=auth) as http:
            customer = (await http.post("customers", json={"email": "h@example.com"})).json()
            assert (await http.get(f"customers/{customer['id']}")).json()[
                "email"
            ] == "h@example.com"
            product = (
                await http.post("products", json={"name": "Cap", "regular_price": "9.99"})
            ).json()
            order = await http.post(
                "orders",
                json={"customer_id": customer["id"], "line_items": [{"product_id": product["id"]}]},
            )
            assert order.status_code == 201
            assert (await http.get("orders")).headers["X-WP-Total"] == "1"
            deleted = await http.delete(f"orders/{order.json()['id']}")
            assert deleted.json()["status"] == order.json()["status"]  # as it was
            trashed = await http.get(f"orders/{order.json()['id']}")
            assert trashed.json()["status"] == "trash"
            wrong = await http.get("orders", auth=(server.consumer_key, "cs_wrong"))
            assert wrong.status_code == 401
            assert wrong.json()["message"] == "Consumer secret is invalid."
    finally:
        await server.stop()
    assert sim.internal_errors == []


def test_cli_module_is_runnable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_woosim.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--http-auth" in result.stdout
