"""The relay's HTTP side over real HTTP: what is accepted, rejected, ignored and deduplicated.

The outbox is inspected directly (no sender runs here); delivery is covered by
tests/test_relay_e2e.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiohttp import web

from pytest_woosim.outbox.state import State
from pytest_woosim.poller.scan import content_key
from pytest_woosim.relay.registration import webhook_secret
from pytest_woosim.relay.relay import RelayApp, delivery_path
from simulator.clock import Clock

SECRET = "relay-test-secret"
START = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
CUSTOMER = {
    "id": 25,
    "email": "zoe@example.com",
    "first_name": "Zo\u00eb",
    "date_modified": "2024-06-01T07:59:58",
    "date_modified_gmt": "2024-06-01T07:59:58",
    "_links": {"self": [{"href": "https://example.com/wp-json/wc/v3/customers/25"}]},
}


def php_json(value: object) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
    return text.encode()


def wc_headers(
    topic: str, body: bytes, *, secret: str = SECRET, webhook_id: int = 3
) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": hashlib.md5(topic.encode()).hexdigest(),
        # Each of the relay's webhooks has its own secret, derived from the instance's.
        "X-WC-Webhook-Signature": base64.b64encode(
            hmac.new(webhook_secret(secret, topic).encode(), body, hashlib.sha256).digest()
        ).decode(),
    }


@dataclass
class Harness:
    relay: RelayApp
    state: State
    client: httpx.AsyncClient
    url: str

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(self.url, content=body, headers=headers)

    async def outbox(self) -> list[dict[str, object]]:
        items = await self.state.outbox_batch("shop", 1000)
        return [json.loads(item.body)["message"] for item in items]


async def _start(share_content_keys: bool = False, max_body: int = 4096) -> AsyncIterator[Harness]:
    clock = Clock(START, frozen=True)
    state = State(None, clock=clock)
    relay = RelayApp(
        state=state,
        clock=clock,
        instance="shop",
        instance_id=77,
        callback_url="http://127.0.0.1:9/callback",
        secret=SECRET,
        max_body=max_body,
        share_content_keys=share_content_keys,
    )
    runner = web.AppRunner(relay.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with httpx.AsyncClient() as client:
        yield Harness(relay, state, client, f"http://127.0.0.1:{port}{delivery_path('shop')}")
    await runner.cleanup()
    await state.close()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async for h in _start():
        yield h


async def test_signed_delivery_is_queued_as_a_notification(harness: Harness) -> None:
    body = php_json(CUSTOMER)
    response = await harness.post(body, wc_headers("customer.updated", body))
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    [message] = await harness.outbox()
    assert message["instanceId"] == 77 and message["instance_id"] == 77
    assert message["elementKey"] == "woocommercerest"
    assert message["eventId"] == response.json()["eventId"]
    # The answer is what a JSON response of these two fields is, byte for byte.
    expected = web.json_response({"status": "accepted", "eventId": message["eventId"]})
    assert response.content == expected.body
    assert response.headers["Content-Type"] == expected.headers["Content-Type"]
    assert message["events"] == [
        {
            "objectType": "customers",
            "objectId": "25",
            "eventType": "UPDATED",
            "elementKey": "woocommercerest",
            "date": "2024-06-01T07:59:58Z",
        }
    ]
    assert message["raw"] == CUSTOMER


async def test_delete_dated_by_the_relay_clock(harness: Harness) -> None:
    body = b'{"id":727}'
    response = await harness.post(body, wc_headers("order.deleted", body))
    assert response.status_code == 200
    [message] = await harness.outbox()
    assert message["events"][0]["eventType"] == "DELETED"  # type: ignore[index]
    assert message["events"][0]["date"] == "2024-06-01T08:00:00Z"  # type: ignore[index]
    assert message["raw"] == {"id": 727}


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda h: h.pop("X-WC-Webhook-Signature"), id="unsigned"),
        pytest.param(lambda h: h.update({"X-WC-Webhook-Signature": "AAAA"}), id="garbage"),
        pytest.param(
            lambda h: h.update(wc_headers("customer.updated", b"{}", secret="other")), id="forged"
        ),
    ],
)
async def test_bad_signatures_are_rejected_and_nothing_queued(
    harness: Harness, mutate: object
) -> None:
    body = php_json(CUSTOMER)
    headers = wc_headers("customer.updated", body)
    mutate(headers)  # type: ignore[operator]
    response = await harness.post(body, headers)
    assert response.status_code == 401
    assert await harness.outbox() == []
    assert harness.relay.stats.rejected == 1


async def test_body_changed_after_signing_is_rejected(harness: Harness) -> None:
    body = php_json(CUSTOMER)
    headers = wc_headers("customer.updated", body)
    response = await harness.post(json.dumps(CUSTOMER).encode(), headers)
    assert response.status_code == 401
    assert await harness.outbox() == []


async def test_ping_is_answered_200(harness: Harness) -> None:
    response = await harness.post(
        b"webhook_id=12", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert harness.relay.stats.pings == 1
    assert await harness.outbox() == []


async def test_malformed_json_is_400_and_a_topic_not_registered_is_401(
    harness: Harness,
) -> None:
    bad = b'{"id": 1,'
    assert (await harness.post(bad, wc_headers("order.updated", bad))).status_code == 400
    # The relay registers no action.* webhook: no secret of its own signs one.
    action = b'{"action":"woocommerce_new_order","arg":5}'
    response = await harness.post(action, wc_headers("action.woocommerce_new_order", action))
    assert response.status_code == 401
    gone = php_json({"code": "woocommerce_rest_shop_order_invalid_id", "data": {"status": 404}})
    response = await harness.post(gone, wc_headers("order.updated", gone))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert await harness.outbox() == []
    stats = await harness.relay.stats_json()
    assert stats["rejected"] == 2 and stats["ignored"] == 1 and stats["queued"] == 0


async def test_oversized_body_is_413(harness: Harness) -> None:
    body = php_json({"id": 1, "note": "x" * 5000})
    response = await harness.post(body, wc_headers("order.updated", body))
    assert response.status_code == 413
    assert await harness.outbox() == []


async def _raw_post(url: str, head: dict[str, str], body: bytes) -> bytes:
    """One request written at once, head and body together; the raw answer."""
    parsed = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    lines = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {parsed.host}"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    answer = await reader.read(65536)
    writer.close()
    await writer.wait_closed()
    return answer


async def test_oversized_body_that_arrived_whole_is_413(harness: Harness) -> None:
    # No Content-Length to refuse it on: one chunk, already complete when the
    # handler looks, larger than the limit.
    body = php_json({"id": 1, "note": "x" * 5000})
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    head = {**wc_headers("order.updated", body), "Transfer-Encoding": "chunked"}
    answer = await _raw_post(harness.url, head, chunked)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert await harness.outbox() == []
    # Within the limit, the same way in, it is accepted.
    small = php_json(CUSTOMER)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)
    head = {**wc_headers("customer.updated", small), "Transfer-Encoding": "chunked"}
    answer = await _raw_post(harness.url, head, chunked)
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"accepted"' in answer


async def test_unknown_instance_is_404(harness: Harness) -> None:
    body = php_json(CUSTOMER)
    url = harness.url.replace("/shop", "/other")
    response = await harness.client.post(
        url, content=body, headers=wc_headers("customer.updated", body)
    )
    assert response.status_code == 404


async def test_redeliveries_are_deduplicated_even_concurrently(harness: Harness) -> None:
    body = php_json(CUSTOMER)
    headers = wc_headers("customer.updated", body)
    responses = await asyncio.gather(*(harness.post(body, headers) for _ in range(5)))
    assert sorted(r.json()["status"] for r in responses) == ["accepted"] + ["duplicate"] * 4
    assert len(await harness.outbox()) == 1
    later = await harness.post(body, headers)
    assert later.json()["status"] == "duplicate"
    changed = php_json(
        {**CUSTOMER, "first_name": "Zoe", "date_modified_gmt": "2024-06-01T08:00:00"}
    )
    assert (await harness.post(changed, wc_headers("customer.updated", changed))).json()[
        "status"
    ] == "accepted"
    stats = await harness.relay.stats_json()
    assert (stats["accepted"], stats["duplicates"], stats["queued"]) == (2, 5, 2)


async def test_shared_content_keys_make_poll_and_webhook_one_event() -> None:
    async for h in _start(share_content_keys=True):
        # The poll emitted this content first: the webhook for it is a duplicate.
        await h.state.mark_seen("shop", [content_key("customers", CUSTOMER)])
        body = php_json(CUSTOMER)
        assert (await h.post(body, wc_headers("customer.updated", body))).json()[
            "status"
        ] == "duplicate"
        # And the other way round: what a webhook delivered is known to the poll.
        newer = {**CUSTOMER, "date_modified_gmt": "2024-06-01T08:00:00"}
        body = php_json(newer)
        assert (await h.post(body, wc_headers("customer.updated", body))).json()[
            "status"
        ] == "accepted"
        assert await h.state.unseen("shop", [content_key("customers", newer)]) == []
