"""Hostile input against the webhook relay: forged and altered deliveries, replays, oversized
bodies, stalling clients and many connections. Nothing that should be refused gets through,
and the relay keeps serving the store's genuine deliveries throughout.

Real servers on loopback: the store (frozen clock), the relay, and a receiver.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import open_stalled, raw_post, read_until_closed, wait_until

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import State
from pytest_woosim.relay.registration import KV_SECRET
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService

FIXTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "instances" / "recommended-webhook.json"
)
KEY = "attack-signature-key"
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
#: Small limits so the tests are fast; the defaults are checked separately.
MAX_BODY = 64 * 1024
TIMEOUT = 0.5


@dataclass
class Site:
    sim: Simulator
    service: WebhookService
    relay: WebhookRelay
    receiver: Receiver
    api: httpx.AsyncClient
    secret: str

    async def genuine(self, email: str) -> tuple[bytes, dict[str, str]]:
        """Make the store deliver a real ``customer.created``; its exact bytes and headers."""
        before = len(self.receiver.events)
        created = (await self.api.post("customers", json={"email": email})).json()
        # A new customer fires customer.created and customer.updated (a real store saves
        # it twice): two notifications.
        await self.receiver.wait_for_events(before + 2)
        record = next(
            r
            for r in self.service.deliveries(kind="delivery")
            if r.resource_id == created["id"] and r.topic == "customer.created"
        )
        assert record.success
        return record.request_body.encode("utf-8"), dict(record.request_headers)

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.api.get(self.relay.url + "/stats")).json()
        return stats


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    clock = Clock(START, frozen=True)
    sim = Simulator(clock=clock)
    service = sim.webhooks
    server = SimulatorServer(sim)
    await server.start()
    await service.start()
    receiver = Receiver(KEY, clock=clock)
    await receiver.start()
    config = load_instance(FIXTURE).repointed(
        store_url=server.site_url,
        callback_url=receiver.url,
        api_key=server.consumer_key,
        api_secret=server.consumer_secret,
        signature_key=KEY,
    )
    state = State(tmp_path / "relay.sqlite3", clock=clock)
    relay = WebhookRelay.from_config(
        config,
        state=state,
        clock=clock,
        options=RelayOptions(max_body=MAX_BODY, idle_timeout=TIMEOUT, body_timeout=TIMEOUT),
    )
    await relay.start()
    secret = await state.kv_get(relay.instance, KV_SECRET)
    async with httpx.AsyncClient(
        base_url=server.api_url + "/",
        auth=(server.consumer_key, server.consumer_secret),
        timeout=30,
    ) as api:
        yield Site(sim, service, relay, receiver, api, secret)
    await relay.stop()
    await state.close()
    await receiver.stop()
    await service.close()
    await server.stop()
    assert sim.internal_errors == []


def b64_hmac(key: str, body: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key.encode(), body, digest).digest()).decode()


def forgeries(
    body: bytes, headers: dict[str, str], secret: str
) -> list[tuple[str, bytes, dict[str, str]]]:
    """(name, body, headers) of deliveries that must all be refused with 401."""
    good = headers["X-WC-Webhook-Signature"]
    unsigned = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    altered = body.replace(b"@example.com", b"@example.org", 1)
    assert altered != body

    def signed(signature: str, payload: bytes = body) -> tuple[bytes, dict[str, str]]:
        return payload, {**unsigned, "X-WC-Webhook-Signature": signature}

    return [
        ("missing signature", body, unsigned),
        ("empty signature", *signed("")),
        ("blank signature", *signed("   ")),
        ("wrong prefix", *signed("sha256=" + good)),
        ("wrong key", *signed(b64_hmac("not-the-secret", body))),
        ("truncated signature", *signed(good[:-4])),
        ("one character changed", *signed(("A" if good[0] != "A" else "B") + good[1:])),
        ("hex instead of base64", *signed(hmac.new(secret.encode(), body, "sha256").hexdigest())),
        ("sha1 of the body", *signed(b64_hmac(secret, body, "sha1"))),
        ("non-ascii signature", *signed("\u00fc" * 44)),
        ("very long signature", *signed(good * 100)),
        ("altered body", altered, headers),
        ("body with a trailing newline", body + b"\n", headers),
        ("truncated body", body[:-1], headers),
        ("empty body", b"", headers),
        ("signature of another body", *signed(b64_hmac(secret, b'{"id":1}'))),
        # An unsigned request dressed as the store's ping, but carrying a topic.
        ("ping body with a topic", b"webhook_id=1", unsigned),
    ]


async def test_forged_and_altered_deliveries_are_all_refused(site: Site) -> None:
    body, headers = await site.genuine("first@example.com")
    attempts = forgeries(body, headers, site.secret)
    async with httpx.AsyncClient(timeout=30) as client:
        for name, forged_body, forged_headers in attempts:
            forged_headers.pop("Content-Length", None)
            status, answer = await raw_post(site.relay.delivery_url, forged_body, forged_headers)
            assert status == 401, (name, status, answer)
            assert site.secret.encode() not in answer
        # Not a POST, or not this instance: refused before anything is read.
        assert (await client.get(site.relay.delivery_url)).status_code == 405
        other = site.relay.delivery_url.rsplit("/", 1)[0] + "/someone-else"
        assert (await client.post(other, content=body, headers=headers)).status_code == 404

    # Genuine traffic still flows, and only it reached the callback.
    await site.genuine("second@example.com")
    await site.relay.sender.drain(5)
    stats = await site.stats()
    assert stats["rejected"] == len(attempts)
    assert stats["accepted"] == 4
    assert [e["objectType"] for e in site.receiver.events] == ["customers"] * 4
    assert all(n.verified for n in site.receiver.notifications)
    print(f"\nrelay: {len(attempts)} forged deliveries tried, {stats['rejected']} rejected")


async def test_a_genuine_delivery_relabelled_with_another_webhook_or_topic_is_refused(
    site: Site,
) -> None:
    """The topic and webhook id come from the registration, not from unsigned headers."""
    body, headers = await site.genuine("relabelled@example.com")
    ids = site.relay.registration.ids if site.relay.registration else {}
    own = int(headers["X-WC-Webhook-ID"])
    assert ids["customer.created"] == own
    relabels = {
        "another webhook id": {"X-WC-Webhook-ID": str(ids["customer.deleted"])},
        "an unknown webhook id": {"X-WC-Webhook-ID": "999999"},
        "another topic": {"X-WC-Webhook-Topic": "customer.deleted"},
        "another resource": {"X-WC-Webhook-Topic": "order.updated"},
        "another webhook and its topic": {
            "X-WC-Webhook-ID": str(ids["customer.deleted"]),
            "X-WC-Webhook-Topic": "customer.deleted",
        },
    }
    for name, changes in relabels.items():
        status, answer = await raw_post(site.relay.delivery_url, body, {**headers, **changes})
        assert status == 401, (name, status, answer)
    # Signed with the instance's own secret (not the webhook's): not the relay's webhook.
    instance_signed = {**headers, "X-WC-Webhook-Signature": b64_hmac(site.secret, body)}
    status, _ = await raw_post(site.relay.delivery_url, body, instance_signed)
    assert status == 401
    await site.relay.sender.drain(5)
    # Only what the store itself sent: a new customer is customer.created and
    # customer.updated, as a real store fires them.
    assert [(e["objectType"], e["eventType"]) for e in site.receiver.events] == [
        ("customers", "CREATED"),
        ("customers", "UPDATED"),
    ]
    assert (await site.stats())["rejected"] == len(relabels) + 1


async def test_replayed_deliveries_are_deduplicated(site: Site) -> None:
    body, headers = await site.genuine("replayed@example.com")
    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(
            *(
                client.post(site.relay.delivery_url, content=body, headers=headers)
                for _ in range(20)
            )
        )
        later = await client.post(site.relay.delivery_url, content=body, headers=headers)
    assert {a.status_code for a in [*answers, later]} == {200}
    assert {a.json()["status"] for a in [*answers, later]} == {"duplicate"}
    await site.relay.sender.drain(5)
    assert len(site.receiver.events) == 2  # its customer.created and customer.updated
    assert (await site.stats())["duplicates"] == 21


async def test_oversized_bodies_get_413_with_or_without_content_length(site: Site) -> None:
    _, headers = await site.genuine("small@example.com")
    huge = b'{"id":1,"pad":"' + b"x" * (MAX_BODY + 1) + b'"}'
    signed = {**headers, "X-WC-Webhook-Signature": b64_hmac(site.secret, huge)}

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    async with httpx.AsyncClient(timeout=30) as client:
        declared = await client.post(site.relay.delivery_url, content=huge, headers=signed)
        streamed = await client.post(site.relay.delivery_url, content=chunks(), headers=signed)
    assert declared.status_code == 413
    assert streamed.status_code == 413
    # Signed correctly, but too big: still nothing forwarded, and the relay goes on.
    await site.genuine("after@example.com")
    await site.relay.sender.drain(5)
    assert len(site.receiver.events) == 4


async def test_stalling_clients_are_cut_off_and_do_not_hold_the_relay(site: Site) -> None:
    url = site.relay.delivery_url
    path = url.split("/", 3)[3]
    head = (
        f"POST /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "X-WC-Webhook-Topic: customer.created\r\nContent-Length: 500\r\n\r\n"
    ).encode() + b'{"id": 1, "email": "'
    stalled_body = await open_stalled(url, head)
    stalled_headers = await open_stalled(url, b"POST /" + path.encode() + b" HTTP/1.1\r\nHost: x")
    silent = await open_stalled(url, b"")

    # While they stall, the store's deliveries are served.
    await site.genuine("meanwhile@example.com")

    answer = await read_until_closed(stalled_body[0], TIMEOUT * 10)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert await read_until_closed(stalled_headers[0], TIMEOUT * 10) == b""
    assert await read_until_closed(silent[0], TIMEOUT * 10) == b""
    for _, writer in (stalled_body, stalled_headers, silent):
        writer.close()
    await site.genuine("after@example.com")
    assert len(site.receiver.events) == 4


async def test_many_connections_at_once_and_the_relay_keeps_serving(site: Site) -> None:
    body, headers = await site.genuine("crowd@example.com")
    url = site.relay.delivery_url
    idle = [await open_stalled(url, b"") for _ in range(200)]
    forged = {**headers, "X-WC-Webhook-Signature": b64_hmac("guess", body)}
    # 100 forged requests in flight at once (300 in all) beside the 200 idle: a client
    # on a loaded machine still sends each request within the relay's 0.5 s timeouts.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        answers = await asyncio.gather(
            *(client.post(url, content=body, headers=forged) for _ in range(300))
        )
    assert {a.status_code for a in answers} == {401}
    await site.genuine("still-served@example.com")
    # The idle crowd is released by the server, not by the clients giving up.
    for reader, _ in idle[:10]:
        assert await read_until_closed(reader, TIMEOUT * 10) == b""
    for _, writer in idle:
        writer.close()
    await site.relay.sender.drain(5)
    assert len(site.receiver.events) == 4
    stats = await site.stats()
    assert stats["rejected"] == 300 and stats["accepted"] == 4


async def test_relay_defaults_bound_bodies_and_stalls() -> None:
    options = RelayOptions()
    assert 0 < options.max_body <= 16 * 1024 * 1024
    assert 0 < options.idle_timeout <= 60 and 0 < options.body_timeout <= 60


async def test_wait_until_helper_reports_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="the impossible"):
        await wait_until(lambda: False, timeout=0.05, what="the impossible")


async def test_the_single_instance_relay_server_refuses_cross_site_requests(site: Site) -> None:
    """The harness's own relay server shares the service's cross-site guard."""
    async with httpx.AsyncClient(base_url=site.relay.url, timeout=30) as client:
        form = await client.post(
            "/redeliver", data={"instance": "1"}, headers={"Origin": "http://evil.example"}
        )
        assert form.status_code == 403
        assert form.json()["code"] == "woosim_cross_site_request"
        rebound = await client.get("/stats", headers={"Host": "attacker.example"})
        assert rebound.status_code == 421
        assert "received" not in rebound.text
        assert (await client.post("/redeliver", json={})).status_code == 200
    await site.genuine("still-delivered@example.com")  # the store's deliveries still pass
