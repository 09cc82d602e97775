"""Cross-site attacks on a loopback relay from a real browser (Debian's Chromium through
Playwright): a page on another site tries a no-cors ``fetch`` that adds an instance and a
plain HTML form that triggers redeliveries, and a DNS-rebound name tries to read the
instances. Nothing changes and nothing is read, while the relay page's own Redeliver
button still works. Skips only where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_helpers import EVIL, BrowserContext, attacker_browser, evil_site_server

from pytest_woosim.outbox.state import open_state
from pytest_woosim.relay.instances import InstanceRegistry, RunOptions
from pytest_woosim.relay.service import start_service
from simulator.clock import Clock

FIXTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "instances" / "recommended-polling.json"
)
WAIT_MS = 15_000


@dataclass
class Relay:
    url: str
    port: int
    client: httpx.AsyncClient

    async def instances(self) -> list[Any]:
        answer = await self.client.get("/instances")
        assert answer.status_code == 200
        listed: list[Any] = answer.json()
        return listed


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    """A loopback relay service without a token, in process on port 0."""
    clock = Clock()
    state = open_state(None, clock=clock)
    await state.open()
    registry = InstanceRegistry(state, clock, RunOptions())
    runner, url = await start_service(registry, host="127.0.0.1", port=0, control_token=None)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Relay(url, int(url.rsplit(":", 1)[1]), client)
    finally:
        await registry.close()
        await runner.cleanup()
        await state.close()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with attacker_browser(tmp_path / "profile", wait_ms=WAIT_MS) as context:
        yield context


@pytest.fixture
async def evil_site() -> AsyncIterator[str]:
    async with evil_site_server() as url:
        yield url


def stolen_instance(callback: str) -> str:
    """A valid configuration polling the user's store for the attacker's callback."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    conf = data["configuration"]
    conf["store.url"] = "http://127.0.0.1:9"
    conf["event.notification.callback.url"] = callback + "steal"
    conf["event.poller.refresh_interval"] = 1440
    data["name"] = "stolen"
    return json.dumps(data)


async def test_a_no_cors_fetch_from_another_site_adds_no_instance(
    relay: Relay, browser: BrowserContext, evil_site: str
) -> None:
    page = await browser.new_page()
    await page.goto(evil_site)
    kinds = await page.evaluate(
        """async ([relay, body]) => {
            const tries = [
              ["/instances", {body}],
              ["/instances", {body, headers: {"Content-Type": "application/json"}}],
              ["/redeliver", {}],
            ];
            const done = [];
            for (const [path, extra] of tries) {
              const answer = await fetch(relay + path, {method: "POST", mode: "no-cors", ...extra});
              done.push(answer.type);
            }
            return done;
        }""",
        [relay.url, stolen_instance(evil_site)],
    )
    assert kinds == ["opaque", "opaque", "opaque"]  # sent, answer unreadable
    assert await relay.instances() == []


async def test_a_plain_form_post_from_another_site_is_refused(
    relay: Relay, browser: BrowserContext, evil_site: str
) -> None:
    page = await browser.new_page()
    await page.goto(evil_site)
    await page.set_content(
        f'<form method="post" action="{relay.url}/redeliver">'
        '<input name="instance" value="1"></form>'
    )
    async with page.expect_navigation() as navigation:
        await page.evaluate("document.forms[0].submit()")
    answer = await navigation.value
    assert answer is not None and answer.status == 403
    assert "woosim_cross_site_request" in await page.content()


async def test_a_dns_rebound_name_cannot_read_the_instances(
    relay: Relay, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    for path in ("instances", "stats", ""):
        answer = await page.goto(f"http://{EVIL}:{relay.port}/{path}")
        assert answer is not None and answer.status == 421
        assert "woosim_host_not_allowed" in await page.content()


async def test_the_relay_pages_own_redeliver_button_still_works(
    relay: Relay, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(relay.url + "/")
    # A parked notification's button, as the parked panel renders it; relay.js handles
    # every button.redeliver on the page.
    await page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.className = "redeliver";
            button.dataset.instance = "1";
            button.textContent = "Redeliver";
            document.body.append(button);
        }"""
    )
    async with page.expect_response(lambda r: "/redeliver" in r.url) as answered:
        await page.locator("button.redeliver").click()
    answer = await answered.value
    assert answer.status == 200
    assert await answer.json() == {"status": "ok", "redelivering": 0}
    sent = answer.request
    assert sent.method == "POST"
    assert (await sent.all_headers())["content-type"] == "application/json"
    assert errors == []
