"""The store inspector over real HTTP: the page, its JSON feeds, live updates, no secrets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from helpers import START, LiveStore, StoreFactory
from webhook_helpers import Receiver

from simulator.inspector.changes import decode_revision, encode_revision
from simulator.inspector.paging import PANELS
from simulator.webhooks import WebhookService

SECRET = "inspector-test-secret-&-<never>-shown"


@pytest.fixture
async def ny_store(make_store: StoreFactory) -> LiveStore:
    """A store in New York: local and GMT dates differ (START is 01:00 EST)."""
    return await make_store(timezone="America/New_York")


def control(live: LiveStore) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=live.server.site_url + "/_woosim/", timeout=30)


def webhooks_of(live: LiveStore) -> WebhookService:
    return live.sim.webhooks


async def generate(live: LiveStore, **counts: int) -> None:
    async with control(live) as plane:
        response = await plane.post("generate", json={"seed": 7, **counts})
        assert response.status_code == 200, response.text


async def add_webhook(live: LiveStore, receiver: Receiver, topic: str = "order.created") -> int:
    body = {"name": "Orders", "topic": topic, "delivery_url": receiver.url(), "secret": SECRET}
    response = await live.client.post("webhooks", json=body)
    assert response.status_code == 201, response.text
    webhook_id = int(response.json()["id"])
    await webhooks_of(live).wait_for(1, kind="ping", webhook_id=webhook_id)
    return webhook_id


async def feed(plane: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await plane.get("inspector/" + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------- the page
async def test_page_renders_the_store_clock_and_records(ny_store: LiveStore) -> None:
    await generate(ny_store, customers=4, orders=5, products=2)
    customer = (
        await ny_store.client.post(
            "customers",
            json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        )
    ).json()
    order = (await ny_store.client.post("orders", json={"customer_id": customer["id"]})).json()
    async with control(ny_store) as plane:
        response = await plane.get("")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.text
    # The clock: store-local time and GMT, frozen.
    assert '<output id="clock-local">2024-03-10 01:00:00</output>' in page
    assert '<output id="clock-gmt">2024-03-10 06:00:00</output>' in page
    assert "America/New_York, EST -05:00" in page
    assert 'id="clock-state">frozen<' in page
    # The new customer and order are the newest changes: first rows, both dates shown.
    assert f'data-detail="inspector/customers/{customer["id"]}"' in page
    assert "ada@example.com" in page and "Ada Lovelace" in page
    assert f'data-detail="inspector/orders/{order["id"]}"' in page
    assert "<span>2024-03-10 01:00:00</span><small>2024-03-10 06:00:00 GMT</small>" in page
    first_order_row = page.index('data-detail="inspector/orders/')
    assert page.index(f'data-detail="inspector/orders/{order["id"]}"') == first_order_row
    # Panels, script and style, all served by the store itself.
    for panel in PANELS:
        assert f'id="panel-{panel}"' in page
    assert '<script src="static/inspector.js" defer>' in page
    assert "http://" not in page.replace(ny_store.server.site_url, "")


async def test_static_files_and_the_slashless_address(store: LiveStore) -> None:
    async with control(store) as plane:
        script = await plane.get("static/inspector.js")
        style = await plane.get("static/inspector.css")
        unknown = await plane.get("static/secrets.txt")
        bare = await plane.get(store.server.site_url + "/_woosim")
    assert script.status_code == 200 and "text/javascript" in script.headers["Content-Type"]
    assert "inspector/live" in script.text
    assert style.status_code == 200 and "text/css" in style.headers["Content-Type"]
    assert unknown.status_code == 404 and unknown.json()["code"] == "rest_no_route"
    assert bare.status_code == 302 and bare.headers["Location"] == "/_woosim/"


async def test_page_escapes_what_the_store_holds(store: LiveStore) -> None:
    hostile = "<script>alert('x')</script>"
    response = await store.client.post(
        "customers", json={"email": "evil@example.com", "first_name": hostile}
    )
    assert response.status_code == 201, response.text
    async with control(store) as plane:
        page = (await plane.get("")).text
        live = await feed(plane, "live")
    assert hostile not in page and hostile not in live["panels"]["customers"]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


# ---------------------------------------------------------------------- feeds
async def test_orders_feed_pages_newest_modified_first(ny_store: LiveStore) -> None:
    await generate(ny_store, customers=5, orders=23, products=3)
    # Touch an old order: it becomes the newest change.
    ny_store.clock.advance(timedelta(minutes=5))
    oldest = min(ny_store.sim.store.orders)
    response = await ny_store.client.put(f"orders/{oldest}", json={"customer_note": "touched"})
    assert response.status_code == 200, response.text
    async with control(ny_store) as plane:
        pages = [await feed(plane, "orders", page=n, per_page=10) for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [10, 10, 3, 0]
    assert {(p["total"], p["total_pages"], p["per_page"]) for p in pages} == {(23, 3, 10)}
    rows = [row for p in pages for row in p["items"]]
    assert sorted(row["id"] for row in rows) == sorted(ny_store.sim.store.orders)
    assert rows[0]["id"] == oldest
    assert rows[0]["date_modified"] == "2024-03-10T01:05:00"
    assert rows[0]["date_modified_gmt"] == "2024-03-10T06:05:00"
    stamps = [row["date_modified_gmt"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)


async def test_customers_feed_pages_newest_change_first(ny_store: LiveStore) -> None:
    await generate(ny_store, customers=12, orders=0, products=0)
    async with control(ny_store) as plane:
        first = await feed(plane, "customers", per_page=5)
        rest = [await feed(plane, "customers", per_page=5, page=n) for n in (2, 3)]
    everyone = [row for p in (first, *rest) for row in p["items"]]
    # The customers GET /customers lists: the shop's administrator is a user, not a customer.
    listed = await ny_store.client.get("customers", params={"per_page": 100})
    assert first["total"] == int(listed.headers["X-WP-Total"]) == 12
    assert first["total_pages"] == 3
    assert [len(p["items"]) for p in (first, *rest)] == [5, 5, 2]
    assert sorted(row["id"] for row in everyone) == sorted(c["id"] for c in listed.json())

    def last_change(row: dict[str, Any]) -> str:
        return str(row["date_modified_gmt"] or row["date_created_gmt"])

    changes = [last_change(row) for row in everyone]
    assert changes == sorted(changes, reverse=True)
    assert {"name", "email", "role", "date_created", "date_created_gmt"} <= set(everyone[0])


async def test_feeds_reject_bad_paging_with_the_parameter_named(store: LiveStore) -> None:
    async with control(store) as plane:
        for path, params, name in (
            ("orders", {"page": "0"}, "page"),
            ("customers", {"page": "two"}, "page"),
            ("deliveries", {"per_page": "101"}, "per_page"),
            ("live", {"orders_page": "-1"}, "orders_page"),
            ("", {"customers_page": "x"}, "customers_page"),
        ):
            response = await plane.get("inspector/" + path if path else "", params=params)
            assert response.status_code == 400, (path, response.text)
            body = response.json()
            assert body["code"] == "rest_invalid_param"
            assert name in body["data"]["params"]


async def test_record_details_are_the_rest_renderings(store: LiveStore) -> None:
    await generate(store, customers=2, orders=2, products=1)
    order_id = max(store.sim.store.orders)
    customer_id = max(store.sim.store.customers)
    async with control(store) as plane:
        order = await feed(plane, f"orders/{order_id}")
        customer = await feed(plane, f"customers/{customer_id}")
        missing = await plane.get("inspector/orders/999999")
        no_delivery = await plane.get("inspector/deliveries/42")
    # The order as the REST API answers it, then its notes as the notes route lists them.
    notes = order.pop("notes")
    assert order == (await store.client.get(f"orders/{order_id}")).json()
    assert notes == (await store.client.get(f"orders/{order_id}/notes")).json()
    assert customer == (await store.client.get(f"customers/{customer_id}")).json()
    assert missing.status_code == 404
    assert missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert no_delivery.status_code == 404
    assert no_delivery.json()["code"] == "woosim_delivery_not_found"


# ---------------------------------------------------------------------- webhooks
async def test_deliveries_show_signature_checks_and_details(
    store: LiveStore, receiver: Receiver
) -> None:
    webhook_id = await add_webhook(store, receiver)
    service = webhooks_of(store)
    created = (await store.client.post("orders", json={"status": "processing"})).json()
    await service.wait_for(1, kind="delivery")
    service.faults.add({"kind": "corrupt_signature", "count": 1})
    await store.client.post("orders", json={})
    await service.wait_for(2, kind="delivery")
    async with control(store) as plane:
        listing = await feed(plane, "deliveries")
        webhooks = await feed(plane, "webhooks")
        first = listing["items"][1]
        detail = await feed(plane, f"deliveries/{first['seq']}")
        panel = (await feed(plane, "live"))["panels"]["deliveries"]
    # Newest first: the corrupted delivery, the good one, then the ping.
    assert [(d["kind"], d["signature"]) for d in listing["items"]] == [
        ("delivery", "invalid"),
        ("delivery", "valid"),
        ("ping", "unsigned"),
    ]
    assert listing["items"][0]["faults"] == ["corrupt_signature"]
    assert first["topic"] == "order.created" and first["resource_id"] == created["id"]
    assert first["status"] == 200 and first["success"] is True
    assert first["sent_at"] == "2024-03-10T06:00:00"
    assert detail["request"]["headers"]["X-WC-Webhook-Topic"] == "order.created"
    assert detail["request"]["body"] == receiver.on("/hook")[1].body.decode()
    assert detail["response"] == {"status": 200, "body": "ok"}
    assert 'data-signature="valid"' in panel and 'data-signature="invalid"' in panel
    assert webhooks == [
        {
            "id": webhook_id,
            "name": "Orders",
            "status": "active",
            "topic": "order.created",
            "delivery_url": receiver.url(),
            "failure_count": 0,
            "pending_delivery": False,
            "date_created": "2024-03-10T06:00:00",
            "date_created_gmt": "2024-03-10T06:00:00",
        }
    ]
    # A deleted webhook takes its secret along: the check can no longer be made.
    deleted = await store.client.delete(f"webhooks/{webhook_id}", params={"force": "true"})
    assert deleted.status_code == 200, deleted.text
    async with control(store) as plane:
        after = await feed(plane, "deliveries")
    assert [d["signature"] for d in after["items"]] == ["unknown", "unknown", "unsigned"]


async def test_deliveries_feed_pages_newest_first(store: LiveStore, receiver: Receiver) -> None:
    await add_webhook(store, receiver)
    for _ in range(6):
        await store.client.post("orders", json={})
    await webhooks_of(store).wait_for(6, kind="delivery")
    async with control(store) as plane:
        pages = [await feed(plane, "deliveries", per_page=3, page=n) for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert pages[0]["total"] == 7 and pages[0]["total_pages"] == 3
    seqs = [d["seq"] for p in pages for d in p["items"]]
    assert seqs == [7, 6, 5, 4, 3, 2, 1]


async def test_secrets_never_reach_the_page_or_its_feeds(
    store: LiveStore, receiver: Receiver
) -> None:
    await add_webhook(store, receiver)
    await store.client.post("orders", json={})
    await webhooks_of(store).wait_for(1, kind="delivery")
    key = store.sim.keys.default
    secrets = [SECRET, key.consumer_secret, *(k.consumer_secret for k in store.sim.keys.all())]
    async with control(store) as plane:
        bodies = [(await plane.get("")).text]
        for path in ("live", "state", "customers", "orders", "deliveries", "webhooks", "faults"):
            bodies.append((await plane.get("inspector/" + path)).text)
        for seq in (1, 2):
            bodies.append((await plane.get(f"inspector/deliveries/{seq}")).text)
    for body in bodies:
        for secret in secrets:
            assert secret not in body
            assert secret.replace("/", "\\/") not in body
    # The consumer key shows only as WooCommerce's truncated form.
    assert key.consumer_key not in bodies[0] and key.consumer_key[-7:] in bodies[0]


# ---------------------------------------------------------------------- live feed
async def test_live_feed_sends_only_changed_panels(store: LiveStore) -> None:
    async with control(store) as plane:
        everything = await feed(plane, "live")
        assert set(everything["panels"]) == set(PANELS)
        revision = everything["revision"]
        quiet = await feed(plane, "live", revision=revision)
        assert quiet["panels"] == {} and quiet["revision"] == revision
        assert quiet["clock"]["gmt"] == "2024-03-10 06:00:00" and quiet["clock"]["frozen"]

        await store.client.post("orders", json={})
        store.clock.advance(90)
        changed = await feed(plane, "live", revision=revision)
        assert set(changed["panels"]) == {"orders"}
        assert changed["clock"]["gmt"] == "2024-03-10 06:01:30"

        await plane.post("faults", json={"kind": "drop"})
        faults = await feed(plane, "live", revision=changed["revision"])
        assert set(faults["panels"]) == {"faults"} and "drop" in faults["panels"]["faults"]

        await plane.post("reset")
        after_reset = await feed(plane, "live", revision=faults["revision"])
        assert {"customers", "orders", "faults"} <= set(after_reset["panels"])


async def test_live_feed_keeps_pages_inside_their_range(store: LiveStore) -> None:
    await generate(store, customers=25, orders=3, products=1)
    async with control(store) as plane:
        live = await feed(plane, "live", customers_page=3, orders_page=9, deliveries_page=2)
    assert live["pages"] == {"customers": 3, "orders": 1, "coupons": 1, "deliveries": 1}
    assert "page 3 of 3" in live["panels"]["customers"]
    assert (
        'href="?customers_page=2&amp;orders_page=1&amp;coupons_page=1&amp;deliveries_page=1"'
        in (live["panels"]["customers"])
    )


async def test_state_feed_counts_and_clock(ny_store: LiveStore) -> None:
    await generate(ny_store, customers=3, orders=4, products=1)
    ny_store.clock.set(START + timedelta(hours=3))
    async with control(ny_store) as plane:
        state = await feed(plane, "state")
    assert state["counts"] == {
        "customers": 3,  # as GET /customers counts them (the administrator is not one)
        "orders": 4,
        "webhooks": 0,
        "deliveries": 0,
        "faults": 0,
    }
    # 2024-03-10 is the day New York moves to daylight time: 09:00 GMT is 05:00 EDT.
    assert state["clock"]["local"] == "2024-03-10 05:00:00"
    assert state["clock"]["abbreviation"] == "EDT" and state["clock"]["utc_offset"] == "-04:00"
    assert state["store"]["timezone"] == "America/New_York"


def test_revision_round_trip_and_garbage() -> None:
    tokens = {panel: f"t{n}" for n, panel in enumerate(PANELS)}
    assert decode_revision(encode_revision(tokens)) == tokens
    assert decode_revision("") == {}
    assert decode_revision("nonsense;;orders=1;x=y") == {"orders": "1"}


async def test_an_order_shows_its_refunds_and_notes(store: LiveStore) -> None:
    product = (
        await store.client.post("products", json={"name": "Lamp", "regular_price": "20.00"})
    ).json()
    order = (
        await store.client.post(
            "orders",
            json={"set_paid": True, "line_items": [{"product_id": product["id"], "quantity": 1}]},
        )
    ).json()
    refund = await store.client.post(
        f"orders/{order['id']}/refunds", json={"amount": "5.00", "api_refund": False}
    )
    assert refund.status_code == 201, refund.text
    async with control(store) as plane:
        page = (await plane.get("")).text
        detail = await feed(plane, f"orders/{order['id']}")
    assert "<small>5.00 refunded</small>" in page
    assert detail["refunds"] == [{"id": refund.json()["id"], "reason": "", "total": "-5.00"}]
    assert [n["note"] for n in detail["notes"]] == [
        "Order status changed from Pending payment to Processing."
    ]


async def test_coupons_panel_shows_codes_discounts_and_uses(store: LiveStore) -> None:
    await generate(store, customers=5, orders=40, products=3)
    [coupon] = store.sim.store.coupons.values()
    async with control(store) as plane:
        rows = await feed(plane, "coupons")
        assert rows["total"] == 1
        [row] = rows["items"]
        assert (row["code"], row["amount"], row["discount_type"]) == ("save10", "10.00", "percent")
        assert row["usage_count"] == coupon.usage_count > 0
        page = (await plane.get("")).text
        assert "save10" in page and "10.00 % off" in page
        detail = await feed(plane, f"coupons/{coupon.id}")
        assert detail["code"] == "save10" and detail["used_by"] == list(coupon.used_by)
        missing = await plane.get("inspector/coupons/999999")
        assert missing.status_code == 404
