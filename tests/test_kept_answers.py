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

from simulator.answers import MISMATCHES
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
