"""Fault injection: on deliveries (engine, real receiver) and on REST calls (real app)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import START, LiveStore
from webhook_helpers import FakeStore, Receiver, expected_signature

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.faults import Faults, FaultSpecError
from simulator.server import SimulatorServer
from simulator.settings import Settings
from simulator.webhooks import DeliveryOptions, WebhookService


@pytest.fixture
def fake() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def service(fake: FakeStore, clock: Clock) -> AsyncIterator[WebhookService]:
    svc = WebhookService(
        clock=clock,
        bus=fake.bus,
        settings=Settings(site_url="http://127.0.0.1:8765"),
        payload_for=fake.payload_for,
        options=DeliveryOptions(),
    )
    await svc.start()
    yield svc
    await svc.close()


# ---------------------------------------------------------------------- the registry
def test_bad_fault_specs_name_the_field() -> None:
    faults = Faults()
    cases: dict[str, dict[str, Any]] = {
        "kind": {},
        "status": {"kind": "status", "status": 404},
        "seconds": {"kind": "delay"},
        "count": {"kind": "reorder", "count": 1},
        "rate": {"kind": "drop", "rate": 1.5},
        "method": {"kind": "latency", "seconds": 1, "method": "FETCH"},
        "webhook_id": {"kind": "drop", "webhook_id": "x"},
        "path": {"kind": "drop", "path": "/wp-json/"},  # a REST field on a delivery fault
    }
    for field, spec in cases.items():
        with pytest.raises(FaultSpecError) as caught:
            faults.add(spec)
        assert caught.value.field == field, spec
    with pytest.raises(FaultSpecError, match="give count or rate"):
        faults.add(kind="drop", count=1, rate=0.5)
    assert faults.all() == []


def test_seeded_rate_is_repeatable_and_count_runs_out() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults()
        faults.add(kind="status", status=503, rate=0.3, seed=seed)
        return [bool(faults.for_rest("GET", "/wp-json/wc/v3/orders")) for _ in range(200)]

    first = pattern(7)
    assert first == pattern(7)
    assert 30 < sum(first) < 90
    faults = Faults()
    fault = faults.add(
        kind="status", status=500, count=2, path="/wp-json/wc/v3/orders", method="get"
    )
    hits = [bool(faults.for_rest("GET", "/wp-json/wc/v3/orders/1")) for _ in range(3)]
    assert hits == [True, True, False]
    assert not faults.for_rest("GET", "/wp-json/wc/v3/customers")
    assert fault.hits == 2 and fault.count == 0
    assert fault.to_json()["method"] == "GET"


# ---------------------------------------------------------------------- delivery faults
async def _hook(service: WebhookService, receiver: Receiver, secret: str = "k") -> int:
    webhook = await service.create(
        topic="order.updated", delivery_url=receiver.url(), secret=secret
    )
    return webhook.id


async def test_drop_sends_nothing_and_counts_nothing(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    hook_id = await _hook(service, receiver)
    fault = service.faults.add(kind="drop", count=1, webhook_id=hook_id)
    fake.put("order", 1)
    fake.put("order", 2)
    fake.emit("order", "updated", 1)
    fake.emit("order", "updated", 2)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.resource_id == 2
    assert fault.hits == 1
    webhook = service.get(hook_id)
    assert webhook is not None and webhook.failure_count == 0


async def test_duplicate_sends_the_same_request_twice(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    await _hook(service, receiver)
    service.faults.add(kind="duplicate", count=1)
    fake.put("order", 1)
    fake.emit("order", "updated", 1)
    first, second = await service.wait_for(2, kind="delivery")
    assert first.request_body == second.request_body
    assert first.delivery_id == second.delivery_id
    assert first.request_headers == second.request_headers
    assert first.faults == ["duplicate"]
    deliveries = receiver.on("/hook")[1:]
    assert [d.body for d in deliveries] == [first.request_body.encode()] * 2


async def test_delay_holds_a_delivery_on_the_store_clock(
    service: WebhookService, receiver: Receiver, fake: FakeStore, clock: Clock
) -> None:
    await _hook(service, receiver)
    service.faults.add(kind="delay", seconds=120, count=1)
    fake.put("order", 1, total="1.00")
    fake.emit("order", "updated", 1)
    await clock.advance_async(119)
    assert service.deliveries(kind="delivery") == []
    fake.put("order", 1, total="9.00")  # the body is built when the delay ends
    await clock.advance_async(1)
    [entry] = await service.wait_for(1, kind="delivery")
    assert json.loads(entry.request_body)["total"] == "9.00"
    assert entry.sent_at == START.timestamp() + 120


async def test_reorder_releases_held_deliveries_in_reverse(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    await _hook(service, receiver)
    service.faults.add(kind="reorder", count=3)
    for n in (1, 2, 3):
        fake.put("order", n)
        fake.emit("order", "updated", n)
    entries = await service.wait_for(3, kind="delivery")
    assert [e.resource_id for e in entries] == [3, 2, 1]
    assert [json.loads(d.body)["id"] for d in receiver.on("/hook")[1:]] == [3, 2, 1]


async def test_clearing_a_reorder_fault_releases_what_it_holds(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    await _hook(service, receiver)
    fault = service.faults.add(kind="reorder", count=5)
    for n in (1, 2):
        fake.put("order", n)
        fake.emit("order", "updated", n)
    await receiver.wait(1)
    assert service.deliveries(kind="delivery") == []
    assert service.faults.remove(fault.id)
    entries = await service.wait_for(2, kind="delivery")
    assert [e.resource_id for e in entries] == [2, 1]


async def test_corrupt_signature_fails_independent_verification(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    await _hook(service, receiver, secret="secret")
    service.faults.add(kind="corrupt_signature", count=1)
    fake.put("order", 1)
    fake.emit("order", "updated", 1)
    fake.put("order", 2)
    await service.wait_for(1, kind="delivery")
    fake.emit("order", "updated", 2)
    await service.wait_for(2, kind="delivery")
    bad, good = receiver.on("/hook")[1:]
    assert bad.headers["X-WC-Webhook-Signature"] != expected_signature("secret", bad.body)
    assert good.headers["X-WC-Webhook-Signature"] == expected_signature("secret", good.body)
    assert service.deliveries(kind="delivery")[0].faults == ["corrupt_signature"]


async def test_delivery_faults_match_topic_and_webhook(
    service: WebhookService, receiver: Receiver, fake: FakeStore
) -> None:
    orders = await _hook(service, receiver)
    customers = await service.create(topic="customer.updated", delivery_url=receiver.url("/c"))
    service.faults.add(kind="drop", topic="customer.updated")
    fake.put("order", 1)
    fake.put("customer", 1)
    fake.emit("customer", "updated", 1)
    fake.emit("order", "updated", 1)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.webhook_id == orders
    assert service.deliveries(kind="delivery", webhook_id=customers.id) == []


# ---------------------------------------------------------------------- REST faults
async def test_status_faults_hit_the_next_calls_then_stop(store: LiveStore) -> None:
    store.sim.faults.add(kind="status", status=503, count=2, path="/wp-json/wc/v3/customers")
    first = await store.client.get("customers")
    assert first.status_code == 503
    assert "503 Service Temporarily Unavailable" in first.text
    assert (await store.client.get("orders")).status_code == 200  # other route
    assert (await store.client.get("customers")).status_code == 503
    assert (await store.client.get("customers")).status_code == 200


async def test_500_is_wordpress_critical_error_json(store: LiveStore) -> None:
    store.sim.faults.add(kind="status", count=1)
    response = await store.client.get("orders")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_server_error"
    assert response.json()["data"] == {"status": 500}


async def test_rate_limit_answers_429_with_retry_after(store: LiveStore) -> None:
    store.sim.faults.add(kind="rate_limit", retry_after=30, count=1, method="GET")
    response = await store.client.get("orders")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert (await store.client.get("orders")).status_code == 200


async def test_php_notice_comes_before_the_json(store: LiveStore) -> None:
    store.sim.faults.add(kind="php_notice", count=2)
    response = await store.client.get("orders")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    notice, _, rest = response.text.partition("<br />\n" + "<b>Notice</b>")
    assert notice == ""
    head, sep, body = response.text.rpartition("<br />\n")
    assert sep and head.startswith("<br />\n<b>Notice</b>:  Undefined index: billing_phone in <b>")
    assert json.loads(body) == []
    assert rest
    # Error answers get the notice too.
    missing = await store.client.get("orders/999")
    assert missing.status_code == 404
    assert missing.text.startswith("<br />\n<b>Notice</b>")
    assert missing.text.endswith('"data":{"status":404}}')


async def test_truncated_body_is_not_json(store: LiveStore) -> None:
    await store.client.post("customers", json={"email": "t@example.com"})
    store.sim.faults.add(kind="truncate", bytes=20, count=1)
    response = await store.client.get("customers")
    assert response.status_code == 200
    assert len(response.content) == 20
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_latency_delays_the_answer(store: LiveStore) -> None:
    store.sim.faults.add(kind="latency", seconds=0.2, count=1)
    response = await store.client.get("orders")
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.2


async def test_faults_set_before_the_store_is_served_hit_its_first_call() -> None:
    sim = Simulator(Settings(), clock=Clock(START, frozen=True))
    sim.faults.add(kind="status", status=502, count=1)
    server = SimulatorServer(sim)
    await server.start("127.0.0.1", 0)
    try:
        key = sim.keys.default
        async with httpx.AsyncClient(auth=(key.consumer_key, key.consumer_secret)) as client:
            first = await client.get(server.api_url + "/orders")
            again = await client.get(server.api_url + "/orders")
        assert (first.status_code, again.status_code) == (502, 200)
        # Deliveries and the control plane read the same faults.
        assert sim.webhooks.faults is sim.faults
    finally:
        await server.stop()


def test_a_reset_clears_the_faults_of_a_store_never_served() -> None:
    sim = Simulator()
    sim.faults.add(kind="drop")
    sim.reset()
    assert sim.faults.all() == [] and not sim.faults.active
    assert sim.faults.add(kind="drop").id == 1


# ---------------------------------------------------------------------- control plane
async def test_faults_control_plane(store: LiveStore) -> None:
    base = store.server.site_url + "/_woosim/faults"
    client = store.client
    added = await client.post(base, json={"kind": "status", "status": 502, "count": 1})
    assert added.status_code == 201
    fault = added.json()
    assert fault["id"] == 1 and fault["target"] == "rest" and fault["status"] == 502
    many = await client.post(base, json=[{"kind": "drop"}, {"kind": "delay", "seconds": 5}])
    assert [f["kind"] for f in many.json()] == ["drop", "delay"]
    listed = (await client.get(base)).json()["faults"]
    assert [f["id"] for f in listed] == [1, 2, 3]

    bad = await client.post(base, json={"kind": "status", "status": 418})
    assert bad.status_code == 400
    assert bad.json()["data"]["params"] == {"status": "must be 500, 502 or 503"}
    bad_list = await client.post(base, json=[{"kind": "drop"}, {"kind": "nope"}])
    assert bad_list.status_code == 400 and "[1].kind" in bad_list.json()["data"]["params"]
    assert len((await client.get(base)).json()["faults"]) == 3  # all or nothing
    not_json = await client.post(base, content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400

    assert (await client.get("orders")).status_code == 502  # the first fault fired
    assert (await client.delete(base, params={"id": 2})).json() == {"removed": 1}
    assert (await client.delete(base, params={"id": 2})).status_code == 404
    assert (await client.delete(base)).json() == {"removed": 2}
    assert (await client.get(base)).json()["faults"] == []


async def test_deliveries_control_plane_filters(store: LiveStore, receiver: Receiver) -> None:
    client = store.client
    for topic in ("customer.created", "customer.updated"):
        response = await client.post(
            "webhooks", json={"topic": topic, "delivery_url": receiver.url()}
        )
        assert response.status_code == 201
    created = (await client.post("customers", json={"email": "d@example.com"})).json()
    await client.put(f"customers/{created['id']}", json={"first_name": "Dee"})
    # Creating a customer fires customer.created and customer.updated; the PUT another.
    await store.sim.webhooks.wait_for(3, kind="delivery")
    base = store.server.site_url + "/_woosim/deliveries"
    everything = (await client.get(base)).json()
    assert everything["count"] == 5 and everything["capacity"] == 10_000
    seqs = [d["seq"] for d in everything["deliveries"]]
    assert seqs == sorted(seqs)  # newest last
    updated = (
        await client.get(base, params={"topic": "customer.updated", "kind": "delivery"})
    ).json()
    _, entry = updated["deliveries"]
    assert entry["resource_id"] == created["id"]
    assert '"first_name":"Dee"' in entry["request"]["body"]
    assert entry["response"]["status"] == 200 and entry["success"] is True
    assert entry["request"]["headers"]["X-WC-Webhook-Topic"] == "customer.updated"
    assert (await client.get(base, params={"webhook": 1, "kind": "ping"})).json()["count"] == 1
    assert (await client.get(base, params={"status": "failure"})).json()["count"] == 0
    assert (await client.get(base, params={"limit": 1})).json()["deliveries"][0]["seq"] == seqs[-1]
    later = (await client.get(base, params={"since": "2024-03-10T06:00:01Z"})).json()
    assert later["count"] == 0  # the clock is frozen at 06:00:00
    bad = await client.get(base, params={"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["data"]["params"]
