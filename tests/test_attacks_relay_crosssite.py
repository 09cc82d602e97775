"""Cross-site requests against a loopback relay without a token, over plain HTTP.

A web page the user opens must not add an instance (one that polls the user's store
and sends the data to the page's callback), remove instances or trigger redeliveries,
and a DNS-rebound name must not read ``/instances`` or ``/stats``. The relay shares the
store's cross-site guard. The browser versions are in tests/test_attacks_relay_browser.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from relay_processes import relay_process

from pytest_woosim.outbox.state import open_state
from pytest_woosim.relay.instances import InstanceRegistry, RunOptions
from pytest_woosim.relay.service import start_service
from simulator.clock import Clock

#: What a page would add: an instance polling the user's store for the attacker.
STOLEN = {
    "name": "stolen",
    "configuration": {"store.url": "http://127.0.0.1:1", "event.notification.enabled": True},
}


@pytest.fixture
async def relay() -> AsyncIterator[httpx.AsyncClient]:
    """A loopback relay service (no token), in process on port 0, that also answers
    ``relay.internal``; a client for it."""
    clock = Clock()
    state = open_state(None, clock=clock)
    await state.open()
    registry = InstanceRegistry(state, clock, RunOptions())
    runner, url = await start_service(
        registry,
        host="127.0.0.1",
        port=0,
        control_token=None,
        allowed_hosts=["Relay.Internal"],
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client
    finally:
        await registry.close()
        await runner.cleanup()
        await state.close()


FORGED: list[dict[str, str]] = [
    # An HTML form post, with and without the Origin a browser adds.
    {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "text/plain"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    # A no-cors fetch: JSON content types are not sent, but say so anyway.
    {"Content-Type": "application/json", "Origin": "http://evil.example"},
    {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
    {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"},
    {"Content-Type": "application/json", "Origin": "null"},
]


async def listed(relay: httpx.AsyncClient) -> list[Any]:
    answer = await relay.get("/instances")
    assert answer.status_code == 200
    names: list[Any] = answer.json()
    return names


@pytest.mark.parametrize("headers", FORGED)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/instances"), ("POST", "/redeliver"), ("POST", "/poll"), ("DELETE", "/instances/1")],
)
async def test_cross_site_state_changes_are_refused_403(
    relay: httpx.AsyncClient, headers: dict[str, str], method: str, path: str
) -> None:
    body = b'{"name": "stolen"}' if "json" in headers["Content-Type"] else b"name=stolen"
    answer = await relay.request(method, path, content=body, headers=headers)
    assert answer.status_code == 403, answer.text
    refusal = answer.json()
    assert refusal["status"] == "error"
    assert refusal["code"] == "woosim_cross_site_request"
    assert refusal["reason"].startswith("Refused: ")
    assert await listed(relay) == []


async def test_a_form_cannot_add_an_instance_that_sends_the_store_elsewhere(
    relay: httpx.AsyncClient,
) -> None:
    answer = await relay.post(
        "/instances",
        data={"name": "stolen"},
        headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert "Sec-Fetch-Site" in answer.json()["reason"]
    assert await listed(relay) == []


@pytest.mark.parametrize(
    "path", ["/instances", "/stats", "/healthz", "/", "/page/live", "/instances/1/events"]
)
async def test_a_dns_rebound_name_reads_nothing(relay: httpx.AsyncClient, path: str) -> None:
    answer = await relay.get(path, headers={"Host": "attacker.example"})
    assert answer.status_code == 421
    refusal = answer.json()
    assert refusal["code"] == "woosim_host_not_allowed"
    assert "--allowed-host" in refusal["reason"]
    assert "instances" not in refusal


async def test_a_dns_rebound_name_changes_nothing(relay: httpx.AsyncClient) -> None:
    answer = await relay.post("/instances", json=STOLEN, headers={"Host": "attacker.example:8080"})
    assert answer.status_code == 421
    assert await listed(relay) == []


@pytest.mark.parametrize(
    "host",
    ["localhost", "app.localhost", "127.0.0.1", "[::1]", "relay.internal", "RELAY.internal."],
)
async def test_loopback_names_addresses_and_allowed_names_are_answered(
    relay: httpx.AsyncClient, host: str
) -> None:
    answer = await relay.get("/instances", headers={"Host": f"{host}:1234"})
    assert answer.status_code == 200
    assert answer.json() == []


async def test_non_browser_and_same_origin_state_changes_still_work(
    relay: httpx.AsyncClient,
) -> None:
    redeliver = await relay.post("/redeliver", json={})
    assert redeliver.status_code == 200
    assert redeliver.json() == {"status": "ok", "redelivering": 0}
    own = str(relay.base_url).rstrip("/")
    same_origin = await relay.post(
        "/redeliver",
        json={},
        headers={"Origin": own, "Sec-Fetch-Site": "same-origin"},
    )
    assert same_origin.status_code == 200
    # The instance API reaches its handler (which names the configuration's problem).
    invalid = await relay.post("/instances", json={"name": "x"})
    assert invalid.status_code == 400
    assert "code" not in invalid.json()


async def test_signed_deliveries_are_not_behind_the_guard(relay: httpx.AsyncClient) -> None:
    # The store posts to the public URL, which may carry any name; the signature
    # (checked by the instance's handler) authenticates it instead.
    answer = await relay.post(
        "/events/woocommercerest/unknown",
        content=b"{}",
        headers={"Host": "relay.public.example", "Content-Type": "application/json"},
    )
    assert answer.status_code == 404
    assert answer.json()["reason"] == "unknown instance"


async def test_the_cli_answers_its_allowed_host_and_refuses_others() -> None:
    async with relay_process("--allowed-host", "relay.internal") as process:
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
            ok = await client.get("/stats", headers={"Host": "relay.internal"})
            assert ok.status_code == 200
            foreign = await client.get("/stats", headers={"Host": "attacker.example"})
            assert foreign.status_code == 421
            forged = await client.post(
                "/instances",
                json=STOLEN,
                headers={"Origin": "http://attacker.example", "Sec-Fetch-Site": "cross-site"},
            )
            assert forged.status_code == 403
            assert (await client.get("/instances")).json() == []
        await process.stop()
