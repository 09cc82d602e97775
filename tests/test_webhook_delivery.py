"""Webhook delivery end to end: a real receiver on a loopback port, a frozen store clock."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import threading
from collections.abc import AsyncIterator

import pytest
from helpers import START
from webhook_helpers import FakeStore, Receiver, expected_signature

from simulator.clock import Clock
from simulator.settings import Settings
from simulator.tls import self_signed_context
from simulator.webhooks import DeliveryOptions, JournalTimeout, WebhookService

SITE = "http://127.0.0.1:8765"
SALT = "site-salt-for-tests"


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


async def make_service(store: FakeStore, clock: Clock, **options: object) -> WebhookService:
    service = WebhookService(
        clock=clock,
        bus=store.bus,
        settings=Settings(site_url=SITE, timezone="UTC"),
        payload_for=store.payload_for,
        options=DeliveryOptions(salt=SALT, **options),  # type: ignore[arg-type]
    )
    await service.start()
    return service


@pytest.fixture
async def service(store: FakeStore, clock: Clock) -> AsyncIterator[WebhookService]:
    svc = await make_service(store, clock)
    yield svc
    await svc.close()


def test_signature_vector_from_the_spec() -> None:
    assert (
        expected_signature("secret", b'{"id":123}')
        == "OeBtbEIAz+EnjWhU3WkE+GpE4e/Cu0Fl+JGceISoR9I="
    )


async def test_create_pings_with_a_form_body_and_no_webhook_headers(
    service: WebhookService, receiver: Receiver
) -> None:
    webhook = await service.create(topic="order.updated", delivery_url=receiver.url())
    [ping] = await receiver.wait(1)
    assert ping.body == f"webhook_id={webhook.id}".encode()
    assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert ping.headers["User-Agent"] == "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)"
    assert not [h for h in ping.headers if h.lower().startswith("x-wc-webhook")]
    assert webhook.pending_delivery is False
    assert webhook.failure_count == 0
    [entry] = service.deliveries(kind="ping")
    assert entry.status == 200 and entry.success


async def test_delivery_carries_every_header_and_a_verifiable_signature(
    service: WebhookService, receiver: Receiver, store: FakeStore, clock: Clock
) -> None:
    secret = "s3cr&t/with specials"
    webhook = await service.create(
        topic="order.updated", delivery_url=receiver.url(), secret=secret
    )
    store.put("order", 727, status="processing", note="Zoë ✓ 𝄞", url="https://example.com/a")
    store.emit("order", "updated", 727, "woocommerce_update_order")
    _, delivery = await receiver.wait(2)

    body = delivery.body
    assert body == (
        b'{"id":727,"status":"processing","note":"Zo\\u00eb \\u2713 \\ud834\\udd1e",'
        b'"url":"https:\\/\\/example.com\\/a"}'
    )
    headers = delivery.headers
    assert headers["X-WC-Webhook-Signature"] == expected_signature(secret, body)
    assert headers["X-WC-Webhook-Source"] == SITE + "/"
    assert headers["X-WC-Webhook-Topic"] == "order.updated"
    assert headers["X-WC-Webhook-Resource"] == "order"
    assert headers["X-WC-Webhook-Event"] == "updated"
    assert headers["X-WC-Webhook-ID"] == str(webhook.id)
    second = int(clock.timestamp())
    expected_id = hmac.new(SALT.encode(), f"{webhook.id}{second}".encode(), hashlib.md5)
    assert headers["X-WC-Webhook-Delivery-ID"] == expected_id.hexdigest()
    assert len(headers["X-WC-Webhook-Delivery-ID"]) == 32
    assert headers["User-Agent"] == "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["note"] == "Zoë ✓ 𝄞"

    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.status == 200 and entry.success and entry.resource_id == 727
    assert entry.request_body == body.decode()
    assert secret not in json.dumps(entry.to_json())


async def test_headers_follow_the_webhook_s_secret_topic_and_site_url(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    # Each webhook's fixed headers are made once and kept: every change they are made of
    # must show in the next delivery.
    webhook = await service.create(
        topic="order.updated", delivery_url=receiver.url(), secret="first"
    )
    store.put("order", 7, status="processing")
    store.put("customer", 8)
    store.emit("order", "updated", 7)
    await service.wait_for(1, kind="delivery")
    await service.update(webhook.id, secret="second")
    store.emit("order", "updated", 7)
    await service.wait_for(2, kind="delivery")
    await service.update(webhook.id, topic="customer.updated")
    service.settings.site_url = "http://shop.example:8080"
    store.emit("customer", "updated", 8)
    await service.wait_for(3, kind="delivery")
    first, resigned, second = [
        r for r in receiver.on("/hook") if r.headers.get("X-WC-Webhook-Topic")
    ]
    assert first.headers["X-WC-Webhook-Signature"] == expected_signature("first", first.body)
    assert first.headers["X-WC-Webhook-Resource"] == "order"
    assert resigned.body == first.body
    assert resigned.headers["X-WC-Webhook-Signature"] == expected_signature("second", resigned.body)
    assert second.headers["X-WC-Webhook-Signature"] == expected_signature("second", second.body)
    assert second.headers["X-WC-Webhook-Topic"] == "customer.updated"
    assert second.headers["X-WC-Webhook-Resource"] == "customer"
    assert second.headers["X-WC-Webhook-Event"] == "updated"
    assert second.headers["X-WC-Webhook-Source"] == "http://shop.example:8080/"
    assert second.body == b'{"id":8}'
    # In WooCommerce's order, the signature and ids last.
    assert [name for name in second.headers if name.startswith("X-WC-")] == [
        "X-WC-Webhook-Source",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Resource",
        "X-WC-Webhook-Event",
        "X-WC-Webhook-Signature",
        "X-WC-Webhook-ID",
        "X-WC-Webhook-Delivery-ID",
    ]


async def test_two_deliveries_in_one_second_share_a_delivery_id(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="customer.updated", delivery_url=receiver.url())
    store.put("customer", 1)
    store.put("customer", 2)
    store.emit("customer", "updated", 1)
    store.emit("customer", "updated", 2)
    entries = await service.wait_for(2, kind="delivery")
    assert entries[0].delivery_id == entries[1].delivery_id


async def test_updates_while_pending_coalesce_into_one_delivery_of_the_latest_state(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, delay=30.0)
    try:
        await service.create(topic="order.updated", delivery_url=receiver.url())
        for total in ("1.00", "2.00", "3.00"):
            store.put("order", 5, total=total)
            store.emit("order", "updated", 5)
        await asyncio.sleep(0)
        assert service.deliveries(kind="delivery") == []
        await clock.advance_async(30)
        [entry] = await service.wait_for(1, kind="delivery")
        assert json.loads(entry.request_body) == {"id": 5, "total": "3.00"}
        # Once sent, the next change is a new delivery.
        store.emit("order", "updated", 5)
        await clock.advance_async(30)
        await service.wait_for(2, kind="delivery")
        assert len(receiver.on("/hook")) == 3  # ping + two deliveries
    finally:
        await service.close()


async def test_deleted_topics_send_only_the_id_and_gone_resources_send_the_error(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="order.deleted", delivery_url=receiver.url("/deleted"))
    await service.create(topic="order.restored", delivery_url=receiver.url("/restored"))
    store.put("order", 9, status="trash")
    store.emit("order", "deleted", 9, "woocommerce_trash_order")
    store.emit("order", "restored", 77, "woocommerce_untrash_order")  # no such order
    [deleted] = await service.wait_for(1, topic="order.deleted", kind="delivery")
    assert deleted.request_body == '{"id":9}'
    [restored] = await service.wait_for(1, topic="order.restored", kind="delivery")
    assert json.loads(restored.request_body) == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }


async def test_action_topics_fire_on_their_hook(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    webhook = await service.create(
        topic="action.woocommerce_new_order", delivery_url=receiver.url()
    )
    assert webhook.hooks == ["woocommerce_new_order"]
    store.emit("order", "updated", 4, "woocommerce_update_order")
    store.emit("order", "created", 4, "woocommerce_new_order")
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.request_body == '{"action":"woocommerce_new_order","arg":4}'
    assert entry.request_headers["X-WC-Webhook-Resource"] == "action"
    assert entry.request_headers["X-WC-Webhook-Event"] == "woocommerce_new_order"


async def test_paused_and_deleted_webhooks_send_nothing(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, delay=5.0)
    try:
        paused = await service.create(topic="customer.created", delivery_url=receiver.url("/p"))
        await service.update(paused.id, status="paused")
        doomed = await service.create(topic="customer.created", delivery_url=receiver.url("/d"))
        store.put("customer", 3)
        store.emit("customer", "created", 3)
        service.delete(doomed.id)  # deleted while its delivery waits in the queue
        await asyncio.sleep(0)  # let the queued task go to sleep on the clock
        await clock.advance_async(5)
        assert service.deliveries(kind="delivery") == []
        assert service.engine.in_flight == 0
    finally:
        await service.close()


async def test_ping_needs_exactly_200_and_a_pending_webhook_pings_after_each_delivery(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    receiver.statuses["/hook"] = 201
    webhook = await service.create(topic="product.updated", delivery_url=receiver.url())
    [ping] = service.deliveries(kind="ping")
    assert ping.status == 201 and not ping.success
    assert webhook.pending_delivery is True
    store.put("product", 8)
    store.emit("product", "updated", 8)
    await service.wait_for(2, kind="ping")  # the save after the delivery pings again
    [delivery] = service.deliveries(kind="delivery")
    assert delivery.success  # 201 is a successful delivery
    assert webhook.failure_count == 0

    receiver.statuses["/hook"] = 200
    await service.update(webhook.id, name="renamed")  # a save of a pending webhook pings
    assert webhook.pending_delivery is False
    assert len(service.deliveries(kind="ping")) == 3


async def test_seventh_consecutive_failure_disables_the_webhook(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    webhook = await service.create(topic="customer.updated", delivery_url=receiver.url())
    receiver.statuses["/hook"] = 500
    counts = []
    for n in range(1, 8):
        store.put("customer", n)
        store.emit("customer", "updated", n)
        await service.wait_for(n, kind="delivery")
        counts.append((webhook.failure_count, webhook.status))
    assert counts == [
        (1, "active"),
        (2, "active"),
        (3, "active"),
        (4, "active"),
        (5, "active"),
        (6, "active"),
        (6, "disabled"),
    ]
    store.emit("customer", "updated", 1)
    await asyncio.sleep(0.05)
    assert len(service.deliveries(kind="delivery")) == 7  # disabled: nothing more queued
    # Set back to active by hand; success resets the count.
    receiver.statuses["/hook"] = 200
    await service.update(webhook.id, status="active")
    store.emit("customer", "updated", 1)
    await service.wait_for(8, kind="delivery")
    assert webhook.failure_count == 0 and webhook.status == "active"


async def test_success_is_200_to_302_and_redirects_are_not_followed(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    webhook = await service.create(topic="order.created", delivery_url=receiver.url("/moved"))
    receiver.statuses["/moved"] = 302
    store.put("order", 1)
    store.emit("order", "created", 1)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.status == 302 and entry.success
    assert receiver.on("/redirected") == []
    receiver.statuses["/moved"] = 303
    store.emit("order", "created", 1)
    entries = await service.wait_for(2, kind="delivery")
    assert entries[1].status == 303 and not entries[1].success
    assert webhook.failure_count == 1


async def test_a_hanging_receiver_does_not_block_others_and_times_out(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, timeout=0.5)
    try:
        slow = await service.create(topic="order.updated", delivery_url=receiver.url("/slow"))
        await service.create(topic="order.updated", delivery_url=receiver.url("/fast"))
        receiver.hanging.add("/slow")
        store.put("order", 1)
        store.emit("order", "updated", 1)
        [fast] = await service.wait_for(1, kind="delivery", status=200, timeout=2)
        assert fast.url.endswith("/fast")
        [late] = await service.wait_for(1, kind="delivery", webhook_id=slow.id, timeout=5)
        assert late.status == 0 and late.error is not None
        assert late.error.startswith("cURL error 28: Operation timed out")
        assert slow.failure_count == 1
    finally:
        await service.close()


# After a URL's first delivery its connection is kept alive, and the next ones are sent
# from the connection's own read, without a task: the tests below run that path.


async def test_a_delivery_on_a_kept_alive_connection_times_out_as_a_failure(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, timeout=0.5)
    try:
        webhook = await service.create(topic="order.updated", delivery_url=receiver.url())
        for n in (1, 2, 3):
            store.put("order", n)
        store.emit("order", "updated", 1)
        await service.wait_for(1, kind="delivery", status=200)
        receiver.hanging.add("/hook")
        store.emit("order", "updated", 2)
        [late] = await service.wait_for(1, kind="delivery", status="failure", timeout=5)
        assert late.resource_id == 2 and late.status == 0
        assert late.error is not None and late.error.startswith("cURL error 28")
        assert webhook.failure_count == 1
        receiver.release()
        store.emit("order", "updated", 3)
        entries = await service.wait_for(3, kind="delivery")
        assert [e.resource_id for e in entries] == [1, 2, 3]
        assert entries[2].success and webhook.failure_count == 0
    finally:
        await service.close()


async def test_closing_while_a_delivery_is_on_the_wire_records_and_counts_nothing(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock)
    webhook = await service.create(topic="order.updated", delivery_url=receiver.url())
    store.put("order", 1)
    store.put("order", 2)
    store.emit("order", "updated", 1)
    await service.wait_for(1, kind="delivery", status=200)
    receiver.hanging.add("/hook")
    store.emit("order", "updated", 2)
    await receiver.wait(3, "/hook")  # the ping, delivery 1, delivery 2 (held)
    await service.close()
    # Closing aborts the connection; its loss is reported on the loop's next turns.
    for _ in range(3):
        await asyncio.sleep(0)
    assert [e.resource_id for e in service.deliveries(kind="delivery")] == [1]
    assert webhook.failure_count == 0


async def test_concurrency_bounds_the_deliveries_on_the_wire_across_urls(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, concurrency=1)
    try:
        first = await service.create(topic="order.updated", delivery_url=receiver.url("/a"))
        second = await service.create(topic="order.updated", delivery_url=receiver.url("/b"))
        for n in (1, 2, 3):
            store.put("order", n)
        store.emit("order", "updated", 1)
        await service.wait_for(2, kind="delivery", status=200)
        receiver.hanging.add("/a")
        store.emit("order", "updated", 2)
        await receiver.wait(3, "/a")  # ping, order 1, order 2 (held: it has the one slot)
        await asyncio.sleep(0.1)
        assert len(receiver.on("/b")) == 2  # ping, order 1: order 2 waits for the slot
        receiver.release()
        await service.wait_for(4, kind="delivery", status=200)
        # Every slot came back: more deliveries to both URLs go through.
        store.emit("order", "updated", 3)
        entries = await service.wait_for(6, kind="delivery", status=200)
        assert sorted((e.webhook_id, e.resource_id) for e in entries) == [
            (first.id, 1),
            (first.id, 2),
            (first.id, 3),
            (second.id, 1),
            (second.id, 2),
            (second.id, 3),
        ]
    finally:
        await service.close()


async def _raw_server(reply: bytes | None) -> tuple[asyncio.Server, str]:
    """A TCP server that answers every request with ``reply`` (None = reset the connection)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        if reply is None:
            writer.transport.abort()
            return
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/hook"


@pytest.mark.parametrize(
    ("reply", "error_start"),
    [
        (None, "cURL error"),
        (b"this is not HTTP at all\r\n\r\n", "cURL error"),
    ],
)
async def test_reset_and_garbage_answers_are_failures_with_status_zero(
    service: WebhookService, store: FakeStore, reply: bytes | None, error_start: str
) -> None:
    server, url = await _raw_server(reply)
    try:
        webhook = await service.create(topic="order.updated", delivery_url=url)
        store.put("order", 1)
        store.emit("order", "updated", 1)
        [entry] = await service.wait_for(1, kind="delivery")
        assert entry.status == 0 and not entry.success
        assert entry.error is not None and entry.error.startswith(error_start)
        assert webhook.failure_count == 1
    finally:
        server.close()
        await server.wait_closed()


async def test_refused_connection_is_a_failure(service: WebhookService, store: FakeStore) -> None:
    server, url = await _raw_server(b"")
    server.close()
    await server.wait_closed()
    webhook = await service.create(topic="order.updated", delivery_url=url)
    store.put("order", 1)
    store.emit("order", "updated", 1)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.status == 0
    assert entry.error is not None and "cURL error 7: Failed to connect to 127.0.0.1" in entry.error
    assert webhook.failure_count == 1


async def test_restricted_urls_refuse_loopback_receivers(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, restrict_delivery_urls=True)
    try:
        webhook = await service.create(topic="order.updated", delivery_url=receiver.url())
        store.put("order", 1)
        store.emit("order", "updated", 1)
        [entry] = await service.wait_for(1, kind="delivery")
        assert entry.status == 0 and entry.error == "A valid URL was not provided."
        assert webhook.failure_count == 1
        assert receiver.requests == []  # nothing reached the receiver, not even the ping
    finally:
        await service.close()


async def test_restricted_urls_allow_the_site_itself(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = WebhookService(
        clock=clock,
        bus=store.bus,
        settings=Settings(site_url=receiver.base),
        payload_for=store.payload_for,
        options=DeliveryOptions(restrict_delivery_urls=True),
    )
    await service.start()
    try:
        await service.create(topic="order.updated", delivery_url=receiver.url())
        store.put("order", 1)
        store.emit("order", "updated", 1)
        [entry] = await service.wait_for(1, kind="delivery")
        assert entry.success
    finally:
        await service.close()


async def test_events_from_another_thread_are_delivered(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="customer.created", delivery_url=receiver.url())
    store.put("customer", 11)
    thread = threading.Thread(target=store.emit, args=("customer", "created", 11))
    thread.start()
    thread.join()
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.resource_id == 11


async def test_journal_filters_and_wait_for_timeout(
    service: WebhookService, receiver: Receiver, store: FakeStore, clock: Clock
) -> None:
    a = await service.create(topic="order.updated", delivery_url=receiver.url("/a"))
    b = await service.create(topic="customer.updated", delivery_url=receiver.url("/b"))
    receiver.statuses["/b"] = 404
    store.put("order", 1)
    store.put("customer", 2)
    store.emit("order", "updated", 1)
    await service.wait_for(1, kind="delivery", webhook_id=a.id)
    clock.advance(60)
    store.emit("customer", "updated", 2)
    await service.wait_for(1, kind="delivery", webhook_id=b.id)
    assert [e.webhook_id for e in service.deliveries(kind="delivery")] == [a.id, b.id]
    assert [e.topic for e in service.deliveries(topic="customer.updated")] == [
        "customer.updated",
        "customer.updated",
    ]  # the ping and the delivery
    assert [e.webhook_id for e in service.deliveries(status="failure")] == [b.id]
    assert [e.webhook_id for e in service.deliveries(status=404)] == [b.id]
    assert len(service.deliveries(status="success")) == 3  # two pings, one delivery
    late = service.deliveries(since=START.timestamp() + 30)
    assert [(e.kind, e.webhook_id) for e in late] == [("delivery", b.id)]
    seqs = [e.seq for e in service.deliveries()]
    assert seqs == sorted(seqs)
    with pytest.raises(JournalTimeout, match="1 of 2 journal entries"):
        await service.wait_for(2, kind="delivery", webhook_id=a.id, timeout=0.05)


async def test_journal_wait_for_blocking_from_another_thread(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="order.updated", delivery_url=receiver.url())
    store.put("order", 1)
    found: list[int] = []

    def wait() -> None:
        found.extend(
            e.resource_id or 0 for e in service.journal.wait_for_blocking(1, kind="delivery")
        )

    thread = threading.Thread(target=wait)
    thread.start()
    store.emit("order", "updated", 1)
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    assert found == [1]


async def test_journal_is_bounded(store: FakeStore, clock: Clock, receiver: Receiver) -> None:
    service = WebhookService(
        clock=clock,
        bus=store.bus,
        settings=Settings(site_url=SITE),
        payload_for=store.payload_for,
        journal_size=3,
    )
    await service.start()
    try:
        await service.create(topic="order.updated", delivery_url=receiver.url())
        for n in range(1, 6):
            store.put("order", n)
            store.emit("order", "updated", n)
        await receiver.wait(6)
        await asyncio.sleep(0.05)
        entries = service.deliveries()
        assert len(entries) == 3
        assert entries[-1].seq == 6
    finally:
        await service.close()


async def test_reset_forgets_webhooks_queue_and_journal(
    store: FakeStore, clock: Clock, receiver: Receiver
) -> None:
    service = await make_service(store, clock, delay=10.0)
    try:
        await service.create(topic="order.updated", delivery_url=receiver.url())
        store.put("order", 1)
        store.emit("order", "updated", 1)
        service.faults.add(kind="drop")
        service.reset()
        await asyncio.sleep(0)
        await clock.advance_async(10)
        assert service.all() == [] and service.deliveries() == []
        assert service.faults.all() == []
        assert service.engine.in_flight == 0
        webhook = await service.create(topic="order.updated", delivery_url=receiver.url())
        assert webhook.id == 1
    finally:
        await service.close()


async def test_a_send_on_the_wire_during_a_reset_stays_out_of_the_new_journal(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="order.updated", delivery_url=receiver.url())
    receiver.hanging.add("/hook")  # after the ping: the delivery waits for its answer
    store.put("order", 1)
    store.emit("order", "updated", 1)
    await receiver.wait(2)  # the ping and the delivery, now on the wire
    service.reset()
    receiver.release()
    deadline = asyncio.get_running_loop().time() + 5
    while service.engine.in_flight and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert service.engine.in_flight == 0
    assert service.deliveries() == []


async def test_a_broken_payload_is_logged_and_the_sender_goes_on(
    service: WebhookService, receiver: Receiver, store: FakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    await service.create(topic="order.updated", delivery_url=receiver.url())
    store.objects[("order", 1)] = {"id": 1, "bad": object()}  # not JSON-encodable
    store.put("order", 2)
    store.emit("order", "updated", 1)
    store.emit("order", "updated", 2)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.resource_id == 2
    assert "the delivery for resource 1 failed" in caplog.text


async def test_actions_queued_before_a_reset_never_run(
    service: WebhookService, receiver: Receiver, store: FakeStore
) -> None:
    await service.create(topic="order.updated", delivery_url=receiver.url("/old"))
    store.put("order", 1)
    store.emit("order", "updated", 1)  # queued, not yet run
    service.reset()
    await service.create(topic="order.updated", delivery_url=receiver.url("/new"))  # id 1 again
    store.emit("order", "updated", 1)
    [entry] = await service.wait_for(1, kind="delivery")
    assert entry.url.endswith("/new")
    assert receiver.on("/old")[1:] == [] and len(receiver.on("/new")) == 2


async def test_a_self_signed_https_receiver_fails_verification(
    service: WebhookService, store: FakeStore
) -> None:
    context = self_signed_context()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(65536)
        except (ConnectionError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        webhook = await service.create(
            topic="order.updated", delivery_url=f"https://127.0.0.1:{port}/hook"
        )
        store.put("order", 1)
        store.emit("order", "updated", 1)
        [entry] = await service.wait_for(1, kind="delivery")
        assert entry.status == 0
        assert entry.error is not None
        assert entry.error.startswith("cURL error 60: SSL certificate problem")
        assert webhook.failure_count == 1
    finally:
        server.close()
        await server.wait_closed()
