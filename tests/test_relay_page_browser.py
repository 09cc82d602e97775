"""The relay's page in a real browser: Debian's Chromium, driven by Playwright.

Real ``woosim serve`` and ``woosim relay`` processes; the store's clock drives the
relay (``--store-clock``), so retries and parking happen in virtual time. Only the
system's Chromium is used; the test skips where it or Playwright is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from browser_helpers import BrowserContext, chromium, expect
from relay_processes import instance_file, relay_process, store_process

from pytest_woosim.harness.receiver import Receiver

KEY = "replace-with-a-long-random-signature-key"
WAIT_MS = 20_000


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    viewport = {"width": 1440, "height": 1000}
    async with chromium(tmp_path / "profile", wait_ms=WAIT_MS, viewport=viewport) as context:
        yield context


async def test_the_page_shows_health_retries_parking_and_redelivers(
    browser: BrowserContext, tmp_path: Path
) -> None:
    async with (
        Receiver(KEY) as receiver,
        store_process("--frozen", "--start", "2030-01-01T00:00:00Z") as store,
    ):
        path = instance_file(
            tmp_path / "shop.json",
            store,
            receiver.url,
            name="Browser <shop>",
            **{"event.poller.refresh_interval": 1440},
        )
        args = ("--config", str(path), "--store-clock", store.site_url)
        async with (
            relay_process(*args) as relay,
            httpx.AsyncClient(base_url=store.site_url) as control,
            httpx.AsyncClient(base_url=store.api_url + "/", auth=store.auth) as shop,
        ):
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(relay.url + "/")
            instances = page.locator("#panel-instances")
            await expect(instances).to_contain_text("Browser <shop>")  # escaped, shown as text
            await expect(instances.locator(".health.ok")).to_have_count(1)
            await expect(page.locator("#live-status")).to_contain_text("live")
            await expect(instances).to_contain_text("orders 2030-01-01T00:00:00Z")

            receiver.fail_next(1000)
            await control.post("/_woosim/clock", json={"advance": 60})
            await shop.post("customers", json={"email": "page@example.com"})
            await control.post("/_woosim/clock", json={"advance": 86_340})  # the next poll
            retrying = page.locator("#panel-retrying")
            await expect(retrying.locator("tbody tr")).to_have_count(1)
            await expect(retrying).to_contain_text("2030-01-02T00:00:")  # next attempt
            await expect(instances.locator("td.queued")).to_have_text("1")
            recent = page.locator("#panel-recent")
            await expect(recent).to_contain_text("CREATED customers")
            await expect(recent).to_contain_text("HTTP 500")
            await expect(recent).to_contain_text("sha256=")

            # Nine retries later (about 73 hours) the notification is parked.
            await control.post("/_woosim/clock", json={"advance": 4 * 86_400})
            parked = page.locator("#panel-parked")
            await expect(parked.locator("button.redeliver")).to_have_count(1)
            await expect(instances.locator("td.parked")).to_have_text("1")

            receiver.fail_next(0)
            await parked.locator("button.redeliver").click()
            await expect(parked).to_contain_text("Nothing parked.")
            await expect(recent.locator("tr.NOTIFIED")).to_have_count(1)
            assert [e["objectType"] for e in receiver.events] == ["customers"]

            content = await page.content()
            for secret in (store.auth[1], KEY):
                assert secret not in content
            assert errors == []
            await relay.stop()
