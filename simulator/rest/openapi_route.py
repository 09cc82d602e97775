"""``GET /_woosim/openapi.json``: the store's OpenAPI document, built once per settings."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from simulator.rest.openapi import build_document
from simulator.settings import Settings

if TYPE_CHECKING:
    from simulator.app import Simulator

ROUTE = "/_woosim/openapi.json"


def settings_key(settings: Settings) -> str:
    """Everything of the settings the document shows (the site URL changes once bound)."""
    return json.dumps(settings.public(), sort_keys=True)


class OpenApiDocument:
    """The encoded document of one store, rebuilt only when its settings change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key: str | None = None
        self._body = b""

    def body(self) -> bytes:
        key = settings_key(self.settings)
        if key != self._key:
            document = build_document(self.settings)
            self._body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
            self._key = key
        return self._body


def setup(app: web.Application, sim: Simulator) -> None:
    document = OpenApiDocument(sim.settings)

    async def openapi_json(request: web.Request) -> web.Response:
        return web.Response(body=document.body(), content_type="application/json", charset="utf-8")

    app.router.add_get("/openapi.json", openapi_json)  # ROUTE, in the control plane's app
