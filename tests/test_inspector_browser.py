"""The inspector in a real browser: Debian's Chromium, driven by Playwright.

Only the system's Chromium is used (never a browser Playwright would download);
the test skips where it or the Playwright package is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from browser_helpers import BrowserContext, chromium, expect
from helpers import START, StoreFactory
from webhook_helpers import Receiver

SECRET = "browser-test-webhook-secret"
WAIT_MS = 15_000  # real time for the page to catch up; expect() polls until then


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    viewport = {"width": 1440, "height": 1000}
    async with chromium(tmp_path / "profile", wait_ms=WAIT_MS, viewport=viewport) as context:
        yield context


async def test_inspector_follows_the_clock_orders_and_deliveries(
    make_store: StoreFactory, receiver: Receiver, browser: BrowserContext, tmp_path: Path
) -> None:
    store = await make_store(timezone="America/New_York")
    hook = await store.client.post(
        "webhooks",
        json={"topic": "order.created", "delivery_url": receiver.url(), "secret": SECRET},
    )
    assert hook.status_code == 201, hook.text
    await receiver.wait(1)  # the ping

    page = await browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(store.server.site_url + "/_woosim/")
    await expect(page.locator("#live-status")).to_contain_text("live ·")  # the script runs
    await expect(page.locator("#clock-gmt")).to_have_text("2024-03-10 06:00:00")
    await expect(page.locator("#clock-local")).to_have_text("2024-03-10 01:00:00")
    await expect(page.locator("#panel-webhooks")).to_contain_text("order.created")

    # The +1 h button moves the store's clock (across New York's change to daylight time).
    await page.click("button[data-advance='3600']")
    await expect(page.locator("#clock-gmt")).to_have_text("2024-03-10 07:00:00")
    await expect(page.locator("#clock-local")).to_have_text("2024-03-10 03:00:00")
    assert store.clock.now() == START + timedelta(hours=1)

    # An order made through the REST API shows up, with its signed delivery.
    created = await store.client.post(
        "orders",
        json={"status": "processing", "billing": {"first_name": "Grace", "last_name": "Hopper"}},
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    order_row = page.locator(f"#panel-orders tr[data-detail='inspector/orders/{order_id}']")
    await expect(order_row).to_contain_text("Grace Hopper")
    await expect(order_row).to_contain_text("2024-03-10 03:00:00")
    await expect(order_row).to_contain_text("2024-03-10 07:00:00 GMT")
    # The ping is in the journal under the same topic; the delivery names the order.
    delivery_row = page.locator("#panel-deliveries tbody tr", has_text=f"#{order_id}")
    await expect(delivery_row).to_have_count(1)
    await expect(delivery_row).to_contain_text("order.created")
    await expect(delivery_row.locator("[data-signature='valid']")).to_be_visible()
    await expect(delivery_row).to_contain_text("200")
    await receiver.wait(2)

    # A click shows the record's JSON; the delivery's request is there too.
    await order_row.click()
    await expect(page.locator("#detail")).to_be_visible()
    await expect(page.locator("#detail-body")).to_contain_text(f'"id": {order_id}')
    await page.keyboard.press("Escape")
    await expect(page.locator("#detail")).to_be_hidden()
    await delivery_row.click()
    await expect(page.locator("#detail-body")).to_contain_text("X-WC-Webhook-Signature")
    await page.keyboard.press("Escape")

    # A bad instant gets the control plane's message, and the clock stays put.
    await page.fill("#clock-set input[name='instant']", "next tuesday")
    await page.click("#clock-set button")
    await expect(page.locator("#clock-error")).to_contain_text("set: not an ISO-8601 date-time")
    await page.fill("#clock-set input[name='instant']", "2024-03-11T12:00:00Z")
    await page.click("#clock-set button")
    await expect(page.locator("#clock-gmt")).to_have_text("2024-03-11 12:00:00")
    await expect(page.locator("#clock-error")).to_be_hidden()

    # Freeze and unfreeze from the page.
    await page.click("#clock-unfreeze")
    await expect(page.locator("#clock-state")).to_have_text("running")
    assert not store.clock.frozen
    await page.click("#clock-freeze")
    await expect(page.locator("#clock-state")).to_have_text("frozen")
    assert store.clock.frozen

    await page.screenshot(path=str(tmp_path / "inspector.png"), full_page=True)
    assert SECRET not in await page.content()
    assert store.sim.keys.default.consumer_secret not in await page.content()
    assert problems == []
