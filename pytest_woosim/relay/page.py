"""The relay's own page (``GET /``): what the relay owes to whom, live.

One server-rendered page, as the store inspector is: no build step, no
framework, its script and style served from ``pytest_woosim/relay/static`` under a
strict Content-Security-Policy. The script fetches ``/page/live`` once a
second and swaps in the panels rendered (and escaped) here, so rows are
rendered in one place only. Panels: the instances (health, last poll,
watermarks, outbox depth), notifications in retry with their next attempt,
parked ones with a redeliver button, and the recent delivery attempts with
their signature and the callback's response.

Secrets never reach the page: API secrets and signature keys are shown as
"set"; only the signatures that went over the wire are shown.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from pytest_woosim.relay.instances import ManagedInstance

if TYPE_CHECKING:
    from pytest_woosim.relay.service import RelayService

#: The page loads only what the relay serves: no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
STATIC_FILES = {"relay.js": "text/javascript", "relay.css": "text/css"}
PANELS = ("instances", "retrying", "parked", "recent")
#: Rows read per instance for the retry and parked panels.
ROWS_READ = 200


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _iso(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _table(headers: tuple[str, ...], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


class PageData:
    """Everything one refresh of the page shows, read once."""

    def __init__(self, service: RelayService) -> None:
        self.service = service

    async def panels(self) -> dict[str, str]:
        registry = self.service.registry
        instance_rows: list[str] = []
        retrying: list[str] = []
        parked: list[str] = []
        recent: list[tuple[str, str]] = []
        for managed in registry.listed():
            instance_rows.append(await self._instance_row(managed))
            if managed.enabled:
                items = await registry.state.outbox_batch(managed.key, ROWS_READ)
            else:
                items = []
            for item in items:
                label = f"{managed.id} · {managed.config.name}"
                if item.status == "parked":
                    parked.append(
                        f'<tr data-instance="{managed.id}"><td>{_e(label)}</td>'
                        f"<td><code>{_e(item.notification_id)}</code></td>"
                        f"<td>{item.attempts}</td><td>{_e(item.last_error)}</td>"
                        f'<td><button type="button" class="redeliver" '
                        f'data-instance="{managed.id}">Redeliver</button></td></tr>'
                    )
                elif item.attempts:
                    retrying.append(
                        f'<tr data-instance="{managed.id}"><td>{_e(label)}</td>'
                        f"<td><code>{_e(item.notification_id)}</code></td>"
                        f"<td>{item.attempts}</td><td>{_e(_iso(item.next_attempt_at))}</td>"
                        f"<td>{_e(item.last_error)}</td></tr>"
                    )
            for attempt in managed.recent:
                signature = attempt["signature"]
                shown = f"{signature[:19]}…" if signature else "unsigned"
                recent.append(
                    (
                        str(attempt["at"]),
                        f'<tr data-instance="{managed.id}" class="{_e(attempt["status"])}">'
                        f"<td>{_e(attempt['at'])}</td><td>{_e(managed.config.name)}</td>"
                        f"<td>{_e(', '.join(attempt['events']))}</td>"
                        f'<td><code title="Elements-Webhook-Signature">{_e(shown)}</code></td>'
                        f"<td>{_e(attempt['status'])}</td><td>{_e(attempt['response'])}</td>"
                        f"<td>{attempt['attempt']}</td></tr>",
                    )
                )
        recent.sort(key=lambda pair: pair[0], reverse=True)
        return {
            "instances": _table(
                (
                    "id",
                    "name",
                    "mode",
                    "health",
                    "last poll",
                    "watermarks",
                    "queued",
                    "parked",
                    "callback",
                    "signature key",
                ),
                instance_rows,
                "No instances yet: POST /instances or start with --config.",
            ),
            "retrying": _table(
                ("instance", "notification", "attempts", "next attempt", "last error"),
                retrying,
                "Nothing in retry.",
            ),
            "parked": _table(
                ("instance", "notification", "attempts", "last error", ""),
                parked,
                "Nothing parked.",
            ),
            "recent": _table(
                ("at", "instance", "events", "signature", "status", "response", "attempt"),
                [row for _, row in recent[:50]],
                "No deliveries yet.",
            ),
        }

    async def _instance_row(self, managed: ManagedInstance) -> str:
        state = self.service.registry.state
        health = managed.health()
        reasons = "; ".join(health["reasons"])
        last_poll = ""
        marks = ""
        if managed.poller is not None:
            if managed.poller.reports:
                last_poll = managed.poller.reports[-1].started.isoformat().replace("+00:00", "Z")
            watermarks = await state.watermarks(managed.key)
            marks = ", ".join(
                f"{resource} {mark.timestamp.isoformat().replace('+00:00', 'Z')}"
                for resource, mark in sorted(watermarks.items())
            )
        queued = parked = 0
        if managed.enabled:
            counts = await state.outbox_counts(managed.key)
            queued, parked = counts.pending, counts.parked
        conf = managed.config.configuration
        callback = _without_userinfo(conf.callback_url or "")
        key = "set" if conf.signature_key is not None else "none"
        return (
            f'<tr data-instance="{managed.id}"><td>{managed.id}</td>'
            f"<td>{_e(managed.config.name)}</td><td>{_e(managed.mode)}</td>"
            f'<td><span class="health {_e(health["status"])}" title="{_e(reasons)}">'
            f"{_e(health['status'])}</span>"
            f"{f'<div class=reasons>{_e(reasons)}</div>' if reasons else ''}</td>"
            f"<td>{_e(last_poll)}</td><td>{_e(marks)}</td>"
            f'<td class="queued">{queued}</td><td class="parked">{parked}</td>'
            f"<td>{_e(callback)}</td><td>{key}</td></tr>"
        )


def _page(panels: dict[str, str]) -> str:
    sections = "".join(
        f'<section><h2>{_e(title)}</h2><div id="panel-{name}">{panels[name]}</div></section>'
        for name, title in (
            ("instances", "Instances"),
            ("retrying", "In retry"),
            ("parked", "Parked"),
            ("recent", "Recent deliveries"),
        )
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>woosim relay</title>"
        '<link rel="stylesheet" href="/static/relay.css">'
        '<script src="/static/relay.js" defer></script></head>'
        '<body><header><h1>woosim relay</h1><span id="live-status">loading…</span></header>'
        f"<main>{sections}</main></body></html>"
    )


def _secure(response: web.Response) -> web.Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def setup_page(app: web.Application, service: RelayService) -> None:
    data = PageData(service)

    async def page(request: web.Request) -> web.Response:
        return _secure(web.Response(text=_page(await data.panels()), content_type="text/html"))

    async def live(request: web.Request) -> web.Response:
        body: dict[str, Any] = {"panels": await data.panels()}
        return _secure(web.json_response(body))

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = STATIC_FILES.get(name)
        if kind is None:
            raise web.HTTPNotFound()
        text = resources.files("pytest_woosim.relay").joinpath("static", name).read_text("utf-8")
        return _secure(web.Response(text=text, content_type=kind))

    app.router.add_get("/", page)
    app.router.add_get("/page/live", live)
    app.router.add_get("/static/{name}", static)


__all__ = ["CONTENT_SECURITY_POLICY", "PageData", "setup_page"]
