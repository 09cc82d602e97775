"""The relay's own page (``GET /``): what the relay owes to whom, live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .relay_service import RelayService


def setup_page(app: web.Application, service: RelayService) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="woosim relay", content_type="text/html")

    app.router.add_get("/", page)


__all__ = ["setup_page"]
