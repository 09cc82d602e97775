"""Kept whole answers (``simulator.answers``): a repeated read is answered from the
cache, byte for byte as made fresh, and every way the store can change is seen by the
next identical ``GET``.

These tests turn verification off on their store (the suite runs with it on): what they
check is what a client sees without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from helpers import LiveStore
from woocommerce.oauth import OAuth

from simulator.answers import MISMATCHES, shows_customers_only
from simulator.generate import generate
from simulator.keys import derive_key


def _shown(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client receives, less the Date header (it moves with the second)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, headers, response.content


async def _control(store: LiveStore, path: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=store.server.site_url + "/_woosim/") as control:
        answer = await control.post(path, json=body)
    assert answer.is_success, answer.text
    return answer


@pytest.fixture
async def shop(store: LiveStore) -> LiveStore:
    """A store with a few generated records whose kept answers are not verified."""
    store.sim.answers.verify = False
    await _control(store, "generate", {"customers": 3, "products": 4, "orders": 6})
    return store


async def _kept(store: LiveStore, path: str) -> httpx.Response:
    """GET ``path`` twice: the second answer must come from the cache, equal to the first."""
    first = await store.client.get(path)
    assert first.status_code == 200, first.text
    hits = store.sim.answers.hits
    again = await store.client.get(path)
    assert store.sim.answers.hits == hits + 1
    assert _shown(again) == _shown(first)
    return again


async def _fresh(store: LiveStore, path: str) -> httpx.Response:
    """GET ``path``, which must not be served from the cache."""
    hits = store.sim.answers.hits
    answer = await store.client.get(path)
    assert answer.status_code == 200, answer.text
    assert store.sim.answers.hits == hits
    return answer


async def test_a_repeated_read_is_kept_and_identical(shop: LiveStore) -> None:
    for path in ("orders?per_page=100", "orders?per_page=2&page=2", "products", "customers"):
        await _kept(shop, path)
    order_id = (await shop.client.get("orders")).json()[0]["id"]
    await _kept(shop, f"orders/{order_id}")


async def test_what_is_never_kept(shop: LiveStore) -> None:
    # Another query string, another key: a miss; an anonymous 401 is never kept.
    await _kept(shop, "orders?per_page=3")
    await _fresh(shop, "orders?per_page=3&page=1")
    for _ in range(2):
        assert (await shop.anon.get("orders")).status_code == 401
    # Webhooks live outside the store (deliveries change them): never kept.
    await _fresh(shop, "webhooks")
    await _fresh(shop, "webhooks")


async def test_a_rest_write_is_seen(shop: LiveStore) -> None:
    before = (await _kept(shop, "orders")).json()
    order_id = before[0]["id"]
    answer = await shop.client.put(f"orders/{order_id}", json={"customer_note": "ring twice"})
    assert answer.status_code == 200
    after = (await _fresh(shop, "orders")).json()
    assert after[0]["customer_note"] == "ring twice"


async def test_a_side_effect_of_a_write_is_seen(shop: LiveStore) -> None:
    """Creating an order moves the stock of its product: the product's read shows it."""
    product = (
        await shop.client.post(
            "products",
            json={"name": "Kept", "regular_price": "5", "manage_stock": True, "stock_quantity": 10},
        )
    ).json()
    path = f"products/{product['id']}"
    assert (await _kept(shop, path)).json()["stock_quantity"] == 10
    order = {"status": "processing", "line_items": [{"product_id": product["id"], "quantity": 3}]}
    assert (await shop.client.post("orders", json=order)).status_code == 201
    assert (await _fresh(shop, path)).json()["stock_quantity"] == 7


@pytest.mark.parametrize(
    ("path", "body", "seen"),
    [
        ("reset", {}, lambda orders: orders == []),
        ("generate", {"orders": 2, "seed": "more"}, lambda orders: len(orders) == 8),
        ("trigger", {"flow": "checkout-paid"}, lambda orders: len(orders) == 7),
    ],
)
async def test_a_control_plane_change_is_seen(
    shop: LiveStore, path: str, body: dict[str, Any], seen: Callable[[list[Any]], bool]
) -> None:
    assert len((await _kept(shop, "orders?per_page=100")).json()) == 6
    await _control(shop, path, body)
    assert seen((await _fresh(shop, "orders?per_page=100")).json())


async def test_a_settings_change_is_counted(shop: LiveStore) -> None:
    await _kept(shop, "orders")
    await _control(shop, "settings", {"taxes": True})
    await _fresh(shop, "orders")
    await _kept(shop, "orders")
    shop.sim.set_site_url(shop.server.site_url)  # the same URL: still a change counted
    await _fresh(shop, "orders")


async def test_a_new_key_is_counted(shop: LiveStore) -> None:
    await _kept(shop, "orders")
    shop.sim.keys.add(derive_key("another", 7, "read"))
    await _fresh(shop, "orders")


async def test_direct_store_calls_and_generation_are_seen(shop: LiveStore) -> None:
    orders = (await _kept(shop, "orders")).json()
    shop.sim.store.update_order(orders[0]["id"], {"status": "completed"})
    assert (await _fresh(shop, "orders")).json()[0]["status"] == "completed"
    await _kept(shop, "orders?per_page=100")
    generate(shop.sim.store, "direct", orders=3)
    assert len((await _fresh(shop, "orders?per_page=100")).json()) == 9


async def test_notes_terms_and_refunds_are_counted(shop: LiveStore) -> None:
    store = shop.sim.store
    order_id = (await shop.client.get("orders")).json()[0]["id"]
    changes: list[Callable[[], object]] = [
        lambda: store.add_note(order_id, "by hand"),
        lambda: store.terms.create("product_cat", {"name": "Kept shelf"}),
        lambda: store.customer_table.mark_paying(next(iter(store.customers)), False),
    ]
    for change in changes:
        await _kept(shop, "orders")
        change()
        await _fresh(shop, "orders")


async def test_nothing_is_kept_while_a_fault_is_set(shop: LiveStore) -> None:
    before = await _kept(shop, "orders")
    await _control(shop, "faults", {"kind": "php_notice", "count": 2})
    hits = shop.sim.answers.hits
    for _ in range(2):
        noticed = await shop.client.get("orders")
        assert noticed.content.startswith(b"<br />") and noticed.content != before.content
    assert shop.sim.answers.hits == hits
    # Both uses spent: the answer kept from before is right again.
    after = await shop.client.get("orders")
    assert shop.sim.answers.hits == hits + 1
    assert _shown(after) == _shown(before)


async def test_a_fault_on_another_route_still_stops_keeping(shop: LiveStore) -> None:
    """Any fault set stops the cache, even one that never fires on the route read: nothing
    kept before is served, nothing read meanwhile is kept."""
    await _kept(shop, "orders")
    await _control(shop, "faults", {"kind": "status", "status": 503, "path": "/wp-json/wc/v3/x"})
    for _ in range(2):
        await _fresh(shop, "orders")
        await _fresh(shop, "products")
    async with httpx.AsyncClient() as control:
        cleared = await control.delete(shop.server.site_url + "/_woosim/faults")
    assert cleared.json() == {"removed": 1}
    await _fresh(shop, "products")  # not kept while the fault was set
    await _kept(shop, "products")


async def test_an_oauth_request_is_never_replayed(
    make_store: Callable[..., Awaitable[LiveStore]],
) -> None:
    """Over plain HTTP only OAuth authenticates: the same signed request twice is a
    nonce replay, refused the second time, never answered from the cache."""
    store = await make_store(https_auth=False)
    store.sim.answers.verify = False
    key = store.sim.keys.default
    url = OAuth(
        store.api_url + "/orders",
        key.consumer_key,
        key.consumer_secret,
        version="wc/v3",
        method="GET",
        oauth_timestamp=int(store.clock.timestamp()),
    ).get_oauth_url()
    async with httpx.AsyncClient() as client:
        first = await client.get(url)
        again = await client.get(url)
    assert first.status_code == 200, first.text
    assert again.status_code == 401
    assert store.sim.answers.hits == 0


async def test_verification_catches_a_change_nobody_counted(shop: LiveStore) -> None:
    """A record changed behind the store's operations (no counter moves): with
    verification on, the kept answer is found stale and answered with a 500."""
    shop.sim.answers.verify = True
    orders = (await _kept(shop, "orders")).json()
    record = shop.sim.store.orders[orders[0]["id"]]
    record.customer_note = "changed behind the store's back"
    record.cached = None
    seen = len(MISMATCHES)
    answer = await shop.client.get("orders")
    assert answer.status_code == 500
    assert "kept answer differs" in answer.text
    assert len(MISMATCHES) == seen + 1
    del MISMATCHES[seen:]  # expected here: not a failure of this test
    # The stale answer was dropped: the next read is fresh and right.
    assert (await shop.client.get("orders")).json()[0]["customer_note"].startswith("changed")


async def test_no_cache_asks_for_an_answer_made_fresh(shop: LiveStore) -> None:
    kept = await _kept(shop, "orders")
    hits = shop.sim.answers.hits
    fresh = await shop.client.get("orders", headers={"Cache-Control": "no-cache"})
    assert shop.sim.answers.hits == hits
    assert _shown(fresh) == _shown(kept)


def test_the_fixture_s_direct_store_calls_are_seen(woosim: Any) -> None:
    """Through the pytest fixture: the store runs on its own thread, the test changes it
    directly through ``woosim.sim``; the next identical GET shows it."""
    woosim.generate(orders=3)
    answers = woosim.sim.answers
    verifying = answers.verify
    answers.verify = False  # the store outlives this test: put it back after
    try:
        first = woosim.client.get("orders").json()
        hits = answers.hits
        assert woosim.client.get("orders").json() == first
        assert answers.hits == hits + 1
        woosim.sim.store.update_order(first[0]["id"], {"customer_note": "from the test"})
        assert woosim.client.get("orders").json()[0]["customer_note"] == "from the test"
        assert answers.hits == hits + 1
    finally:
        answers.verify = verifying


async def test_the_clock_changes_no_kept_answer(shop: LiveStore) -> None:
    """Nothing a resource read shows is read from the clock: after moving it, the kept
    answer is still the one made fresh (checked here, and by every test in verify mode)."""
    kept = await _kept(shop, "orders?per_page=100")
    shop.clock.advance(86_400 * 400)
    again = await shop.client.get("orders?per_page=100")
    fresh = await shop.client.get("orders?per_page=100", headers={"Cache-Control": "no-cache"})
    assert _shown(again) == _shown(kept) == _shown(fresh)


def test_only_the_customers_routes_have_the_customers_shelf() -> None:
    prefix = "/wp-json/wc/v3/customers"
    for path in (prefix, prefix + "?per_page=100&_fields=id", prefix + "/12", prefix + "/7?x=1"):
        assert shows_customers_only(path), path
    for path in (
        prefix + "/12/downloads",  # a customer's downloads come from its orders
        prefix + "/batch",
        prefix + "/",
        "/wp-json/wc/v3/orders?customer=12",
        "/wp-json/wc/v3/customersx",
        "/wp-json/wc/v2/customers",
        "/wp-json/wc/v3/customers%2F12",
    ):
        assert not shows_customers_only(path), path


async def test_a_customers_answer_outlives_order_writes(shop: LiveStore) -> None:
    """An order write that changes no customer leaves the customers answers kept (and
    still clears the orders ones); the kept answer is the one made fresh."""
    store = shop.sim.store
    customer_id = (await _kept(shop, "customers")).json()[0]["id"]
    await _kept(shop, f"customers/{customer_id}")
    await _kept(shop, "orders")
    order_id = (await shop.client.post("orders", json={"customer_note": "new"})).json()["id"]
    assert (await shop.client.put(f"orders/{order_id}", json={"customer_note": "x"})).is_success
    store.update_order(order_id, {"status": "on-hold"})
    store.trash_order(order_id)
    await _fresh(shop, "orders")
    for path in ("customers", f"customers/{customer_id}"):
        kept = await shop.client.get(path)
        fresh = await shop.client.get(path, headers={"Cache-Control": "no-cache"})
        assert _shown(kept) == _shown(fresh)
    hits = shop.sim.answers.hits
    await shop.client.get("customers")
    assert shop.sim.answers.hits == hits + 1


async def test_an_order_that_changes_its_customer_is_seen_in_customers(shop: LiveStore) -> None:
    """The first paid order of a customer marks the customer paying: the customers
    answers kept before are made fresh and show it."""
    store = shop.sim.store
    customers = []
    for name in ("paid-by-order", "paid-by-update"):
        made = await shop.client.post("customers", json={"email": f"{name}@example.com"})
        customers.append(made.json()["id"])
    unpaid = store.create_order({"customer_note": "to pay later"})
    # The order writes themselves change no customer: the mark they make is counted
    # on its own (an order created paid, then one updated to paid).
    changes: list[Callable[[], object]] = [
        lambda: store.create_order({"customer_id": customers[0], "set_paid": True}),
        lambda: store.update_order(
            unpaid.id, {"customer_id": customers[1], "status": "processing"}
        ),
    ]
    for customer_id, change in zip(customers, changes, strict=True):
        path = f"customers/{customer_id}"
        assert (await _kept(shop, path)).json()["is_paying_customer"] is False
        await _kept(shop, "customers?per_page=100")
        change()
        assert (await _fresh(shop, path)).json()["is_paying_customer"] is True
        shown = {c["id"]: c for c in (await _fresh(shop, "customers?per_page=100")).json()}
        assert shown[customer_id]["is_paying_customer"] is True


@pytest.mark.parametrize("change", ["update", "delete", "generate", "reset", "settings", "key"])
async def test_every_other_change_clears_the_customers_shelf(shop: LiveStore, change: str) -> None:
    store = shop.sim.store
    customers = (await _kept(shop, "customers?per_page=100")).json()
    first = customers[0]["id"]
    if change == "update":
        store.update_customer(first, {"first_name": "Shelved"})
    elif change == "delete":
        store.delete_customer(first)
    elif change == "generate":
        generate(store, "more customers", customers=2, orders=3)
    elif change == "reset":
        await _control(shop, "reset", {})
    elif change == "settings":
        await _control(shop, "settings", {"taxes": True})
    else:
        shop.sim.keys.add(derive_key("another", 7, "read"))
    after = await _fresh(shop, "customers?per_page=100")
    fresh = await shop.client.get("customers?per_page=100", headers={"Cache-Control": "no-cache"})
    assert _shown(after) == _shown(fresh)
    assert after.content != b"" and (change in ("settings", "key") or after.json() != customers)


async def test_the_customers_version_counts_what_can_change_a_customer(shop: LiveStore) -> None:
    """``customer_changes`` stays put under order writes that change no customer and
    moves with everything else, the customer marked paying by an order included."""
    store = shop.sim.store
    customer_id = next(c for c in store.customers if c != 1)
    version = store.customer_changes
    order = store.create_order({"customer_note": "quiet"})
    store.update_order(order.id, {"customer_note": "still quiet"})
    assert store.customer_changes == version
    assert store.changes > version
    paid = store.create_order({"customer_id": customer_id})
    store.customer_table.mark_paying(customer_id, False)
    assert store.customer_changes == version + 1
    store.update_customer(customer_id, {"last_name": "Moved"})
    assert store.customer_changes == version + 2
    store.add_note(paid.id, "a note")
    assert store.customer_changes == version + 3
