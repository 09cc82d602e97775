"""Shared pieces for the webhook tests: a real receiver on a loopback port and a tiny store.

Imported by the webhook, fault and inspector tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulator.errors import RestError
from simulator.events import EventBus, StoreEvent


def expected_signature(secret: str, body: bytes) -> str:
    """Computed here with hmac/base64 only, independently of the project's signing code."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An aiohttp app on 127.0.0.1:0 that records every request it gets."""

    requests: list[Received] = field(default_factory=list)
    #: path -> status to answer with (default 200).
    statuses: dict[str, int] = field(default_factory=dict)
    #: paths whose requests never get an answer.
    hanging: set[str] = field(default_factory=set)
    base: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def release(self) -> None:
        """Answer the requests left hanging (on ``hanging`` paths), and every later one."""
        self.hanging.clear()
        self._release.set()

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait(
        self, count: int, path: str | None = None, timeout: float = 5.0
    ) -> list[Received]:
        def enough() -> bool:
            return len(self.requests if path is None else self.on(path)) >= count

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(enough), timeout)
        return list(self.requests if path is None else self.on(path))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Received(request.path, dict(request.headers), body))
        async with self._arrived:
            self._arrived.notify_all()
        if request.path in self.hanging:
            await self._release.wait()
        status = self.statuses.get(request.path, 200)
        if status in (301, 302, 307):
            return web.Response(status=status, headers={"Location": self.url("/redirected")})
        return web.Response(status=status, text="ok")


class FakeStore:
    """The seams a store gives the webhook service: a bus and payload_for()."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.objects: dict[tuple[str, int], dict[str, Any]] = {}

    def put(self, resource: str, resource_id: int, **fields: Any) -> None:
        self.objects[(resource, resource_id)] = {"id": resource_id, **fields}

    def payload_for(self, resource: str, resource_id: int) -> dict[str, Any]:
        try:
            return dict(self.objects[(resource, resource_id)])
        except KeyError:
            raise RestError(
                f"woocommerce_rest_shop_{resource}_invalid_id", "Invalid ID.", 404
            ) from None

    def emit(self, resource: str, event: str, resource_id: int, hook: str = "") -> None:
        self.bus.emit(StoreEvent(resource, event, resource_id, hook))
