"""Debian's Chromium driven by Playwright, for the tests that need a real browser.

Importing this module skips the importing test module where Chromium or the
Playwright package is missing; only the system's Chromium is used, never a browser
Playwright would download.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium) for the browser test",
        allow_module_level=True,
    )
pytest.importorskip(
    "playwright.async_api",
    reason="the playwright package is not installed (pip install playwright)",
)

from playwright.async_api import BrowserContext, async_playwright, expect  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def chromium(
    profile: Path, *, wait_ms: int, extra_args: Sequence[str] = (), **options: Any
) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile in ``profile``; actions and ``expect`` wait ``wait_ms`` at most."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, *extra_args],
            headless=True,
            **options,
        )
        context.set_default_timeout(wait_ms)
        expect.set_options(timeout=wait_ms)
        try:
            yield context
        finally:
            await context.close()


__all__ = ["BrowserContext", "chromium", "expect"]


#: A name the attack tests' browser resolves to loopback: another site, or a
#: DNS-rebound name for ours.
EVIL = "attacker.test"


@asynccontextmanager
async def attacker_browser(profile: Path, *, wait_ms: int) -> AsyncIterator[BrowserContext]:
    """A browser in which ``EVIL`` resolves to 127.0.0.1."""
    rules = f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"
    async with chromium(profile, wait_ms=wait_ms, extra_args=[rules]) as context:
        yield context


@asynccontextmanager
async def evil_site_server() -> AsyncIterator[str]:
    """The attacker's site: serves an empty page at ``http://attacker.test:PORT/``."""
    from aiohttp import web

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>evil</title>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://{EVIL}:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()
