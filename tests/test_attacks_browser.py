"""Cross-site attacks on a loopback store from a real browser (Debian's Chromium through
Playwright): a page on another site tries a no-cors ``fetch`` and a plain HTML form
against the control plane, and a DNS-rebound name tries to read it. Nothing changes and
nothing is read. Skips only where Chromium or Playwright is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browser_helpers import EVIL, BrowserContext, attacker_browser, evil_site_server
from helpers import LiveStore, StoreFactory

WAIT_MS = 15_000


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with attacker_browser(tmp_path / "profile", wait_ms=WAIT_MS) as context:
        yield context


@pytest.fixture
async def evil_site() -> AsyncIterator[str]:
    async with evil_site_server() as url:
        yield url


async def seeded(make_store: StoreFactory) -> LiveStore:
    store = await make_store(frozen=False)
    created = await store.client.post("customers", json={"email": "kept@example.com"})
    assert created.status_code == 201
    return store


async def test_a_no_cors_fetch_from_another_site_changes_nothing(
    make_store: StoreFactory, browser: BrowserContext, evil_site: str
) -> None:
    store = await seeded(make_store)
    page = await browser.new_page()
    await page.goto(evil_site)
    statuses = await page.evaluate(
        """async (site) => {
            const tries = [
              ["clock", {body: '{"frozen":true}'}],
              ["clock", {body: '{"frozen":true}', headers: {"Content-Type": "application/json"}}],
              ["reset", {}],
            ];
            const done = [];
            for (const [path, extra] of tries) {
              const answer = await fetch(site + "/_woosim/" + path,
                                         {method: "POST", mode: "no-cors", ...extra});
              done.push(answer.type);
            }
            return done;
        }""",
        store.server.site_url,
    )
    assert statuses == ["opaque", "opaque", "opaque"]  # sent, answer unreadable
    assert not store.clock.frozen
    listed = await store.client.get("customers")
    assert [c["email"] for c in listed.json()] == ["kept@example.com"]


async def test_a_plain_form_post_from_another_site_changes_nothing(
    make_store: StoreFactory, browser: BrowserContext, evil_site: str
) -> None:
    store = await seeded(make_store)
    page = await browser.new_page()
    await page.goto(evil_site)
    await page.set_content(
        f'<form method="post" action="{store.server.site_url}/_woosim/reset"></form>'
    )
    async with page.expect_navigation() as navigation:
        await page.evaluate("document.forms[0].submit()")
    answer = await navigation.value
    assert answer is not None and answer.status == 403
    listed = await store.client.get("customers")
    assert [c["email"] for c in listed.json()] == ["kept@example.com"]


async def test_a_dns_rebound_name_cannot_read_the_control_plane(
    make_store: StoreFactory, browser: BrowserContext
) -> None:
    store = await seeded(make_store)
    page = await browser.new_page()
    for path in ("settings", "", "inspector/customers"):
        answer = await page.goto(f"http://{EVIL}:{store.server.port}/_woosim/{path}")
        assert answer is not None and answer.status == 421
        assert "kept@example.com" not in await page.content()
