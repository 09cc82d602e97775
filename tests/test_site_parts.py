"""The REST API and the control plane are separate applications: each part's checks
apply to all of that part (unknown paths included) and to nothing else."""

from __future__ import annotations

import httpx
import pytest
from helpers import LiveStore

from simulator.app import all_routes


def site(store: LiveStore) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=store.server.site_url, timeout=30)


async def test_the_control_plane_checks_do_not_reach_the_rest_api(store: LiveStore) -> None:
    # A foreign Host and a cross-site form post are the control plane's business only.
    headers = {
        "Host": "shop.example",
        "Origin": "http://evil.example",
        "Sec-Fetch-Site": "cross-site",
    }
    answer = await store.client.get("orders", headers=headers)
    assert answer.status_code == 200
    assert answer.json() == []


async def test_the_rest_api_checks_do_not_reach_the_control_plane(store: LiveStore) -> None:
    # A consumer key that does not exist: 401 in the REST API, ignored by the control plane.
    async with site(store) as client:
        clock = await client.get("/_woosim/clock", auth=("ck_nobody", "cs_nobody"))
        rest = await client.get("/wp-json/wc/v3/orders", auth=("ck_nobody", "cs_nobody"))
    assert clock.status_code == 200 and "now" in clock.json()
    assert rest.status_code == 401


@pytest.mark.parametrize("path", ["/wp-json/nothing/here", "/wp-json/wc/v3/nothing", "/nothing"])
async def test_unknown_routes_answer_rest_no_route(store: LiveStore, path: str) -> None:
    async with site(store) as client:
        answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.json()["code"] == "rest_no_route"


async def test_unknown_control_paths_still_get_the_control_plane_checks(store: LiveStore) -> None:
    async with site(store) as client:
        foreign = await client.get("/_woosim/nothing", headers={"Host": "attacker.example"})
        store.sim.control_token = "a-token-for-this-test"
        untokened = await client.get("/_woosim/nothing")
    assert foreign.status_code == 421
    assert untokened.status_code == 401
    assert untokened.json()["code"] == "woosim_control_token"


def test_every_route_sits_under_its_mount(store: LiveStore) -> None:
    paths = {
        str(info.get("path") or info.get("formatter"))
        for route in all_routes(store.sim.app())
        if (info := route.resource.get_info() if route.resource is not None else {})
    }
    assert "/wp-json/wc/v3/orders" in paths and "/_woosim/clock" in paths
    assert all(path.startswith(("/wp-json", "/_woosim")) for path in paths), sorted(paths)
