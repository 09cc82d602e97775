"""Hostile requests against the store's control plane and inspector over plain HTTP:
foreign Host names (DNS rebinding), cross-site state changes, generation that eats
memory, and the seed that derives every key. The browser versions of the cross-site
attacks are in tests/test_attacks_browser.py.
"""

from __future__ import annotations

import httpx
import pytest
from helpers import LiveStore, StoreFactory

from simulator.app import default_keys
from simulator.control import MAX_GENERATE_PER_REQUEST


def control(store: LiveStore) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=store.server.site_url + "/_woosim/", timeout=30)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "settings"), ("GET", ""), ("GET", "inspector/state"), ("POST", "reset")],
)
async def test_a_foreign_host_name_is_refused_421(store: LiveStore, method: str, path: str) -> None:
    async with control(store) as plane:
        response = await plane.request(method, path, headers={"Host": "attacker.example"})
    assert response.status_code == 421
    assert response.json()["code"] == "woosim_host_not_allowed"
    assert "seed" not in response.text and "consumer" not in response.text


@pytest.mark.parametrize("host", ["localhost", "app.localhost", "127.0.0.1", "[::1]"])
async def test_loopback_names_and_addresses_are_answered(store: LiveStore, host: str) -> None:
    port = store.server.port
    async with control(store) as plane:
        response = await plane.get("clock", headers={"Host": f"{host}:{port}"})
    assert response.status_code == 200


async def test_an_allowed_host_name_is_answered(store: LiveStore) -> None:
    store.sim.allowed_hosts.add("woosim.internal")
    async with control(store) as plane:
        response = await plane.get("clock", headers={"Host": "woosim.internal:8000"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        # An empty HTML form post (what emptied the store).
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"},
        # The same form from a browser that sends no Origin.
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        # A no-cors fetch without a body.
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ],
)
async def test_cross_site_state_changes_change_nothing(
    store: LiveStore, headers: dict[str, str]
) -> None:
    created = await store.client.post("customers", json={"email": "kept@example.com"})
    assert created.status_code == 201
    store.clock.unfreeze()
    async with control(store) as plane:
        reset = await plane.post("reset", headers=headers)
        freeze = await plane.post("clock", content=b'{"frozen":true}', headers=headers)
    assert (reset.status_code, freeze.status_code) == (403, 403)
    assert reset.json()["code"] == "woosim_cross_site_request"
    assert not store.clock.frozen
    listed = await store.client.get("customers")
    assert [c["email"] for c in listed.json()] == ["kept@example.com"]


async def test_same_origin_and_non_browser_state_changes_work(store: LiveStore) -> None:
    origin = store.server.site_url
    async with control(store) as plane:
        page = await plane.post(
            "clock",
            json={"advance": 1},
            headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
        )
        script = await plane.post("reset")  # no browser headers, no body
    assert (page.status_code, script.status_code) == (200, 200)


async def test_generation_is_capped_per_request(store: LiveStore) -> None:
    async with control(store) as plane:
        response = await plane.post(
            "generate", json={"customers": MAX_GENERATE_PER_REQUEST, "orders": 1}
        )
    assert response.status_code == 400
    assert f"at most {MAX_GENERATE_PER_REQUEST}" in response.json()["message"]
    assert (await store.client.get("customers")).headers["X-WP-Total"] == "0"


async def test_settings_reveal_no_seed_nor_anything_that_derives_a_key(
    make_store: StoreFactory,
) -> None:
    store = await make_store(seed="a-private-seed")
    async with control(store) as plane:
        text = (await plane.get("settings")).text
    assert "a-private-seed" not in text and '"seed"' not in text
    for key in default_keys("a-private-seed"):
        assert key.consumer_secret not in text and key.consumer_key not in text
