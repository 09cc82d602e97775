"""The store inspector: ``GET /_woosim/`` and its JSON feeds under ``/_woosim/inspector/``.

One server-rendered page (no build step, no framework; its script and style are
served from ``simulator/static``) shows the clock, customers, orders, webhooks,
the delivery journal and active faults. The page polls ``/_woosim/inspector/live``
once a second. Polling rather than Server-Sent Events: nothing to keep open, no
reconnect logic, and the clock moves by ``set``/``advance`` from anywhere. Each
panel has a change token, so a poll with nothing new costs a few dictionary
reads; panels that did change come back re-rendered as HTML, so rows are
rendered in one place (here), never twice in two languages.

Secrets stay on the server: a webhook's secret is used only to recompute the
signatures of its deliveries (the page shows ✓ or ✗), and consumer secrets
never leave the key ring (the page shows WooCommerce's truncated key).
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import html
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from simulator.control import reply
from simulator.errors import RestError, invalid_params, no_route
from simulator.events import StoreEvent
from simulator.models import Customer, Order
from simulator.render import format_money
from simulator.store import PostQuery
from simulator.wcdates import format_wall
from simulator.webhooks import WebhookService, service_for
from simulator.webhooks.journal import DeliveryRecord
from simulator.wire.signing import WC_SIGNATURE_HEADER, verify_woocommerce

if TYPE_CHECKING:
    from simulator.app import Simulator

PREFIX = "/_woosim"
FEED = PREFIX + "/inspector"
#: Rows per panel unless the request says otherwise, and the most it may ask for.
PANEL_SIZES = {"customers": 10, "orders": 10, "deliveries": 15}
MAX_PER_PAGE = 100
#: Panels whose HTML the live feed sends, in page order.
PANELS = ("customers", "orders", "webhooks", "deliveries", "faults")
PAGED = ("customers", "orders", "deliveries")
#: Every order status, trash included: the inspector hides nothing.
ALL_ORDER_STATUSES = frozenset({"any", "trash"})
STATIC_FILES = {
    "inspector.js": "text/javascript",
    "inspector.css": "text/css",
}
#: The page loads only what the simulator serves: no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Pages = Mapping[str, int]


# ---------------------------------------------------------------------- input
def _bad_param(name: str, message: str) -> RestError:
    return invalid_params({name: ("rest_invalid_param", message)})


def _positive(query: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _bad_param(name, f"{name} must be a positive integer.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise _bad_param(name, f"{name} must be between 1 and {maximum}.")
    return value


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def of(cls, query: Mapping[str, str], panel: str) -> Paging:
        """``?page=&per_page=`` of a JSON feed."""
        return cls(
            _positive(query, "page", 1, None),
            _positive(query, "per_page", PANEL_SIZES.get(panel, 10), MAX_PER_PAGE),
        )


def page_params(query: Mapping[str, str]) -> dict[str, int]:
    """``?customers_page=&orders_page=&deliveries_page=`` of the page and the live feed."""
    return {panel: _positive(query, f"{panel}_page", 1, None) for panel in PAGED}


def _total_pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _record_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise no_route()
    return int(raw)


# ---------------------------------------------------------------------- data
class InspectorData:
    """What the page shows, as plain JSON-ready dicts; secrets never enter them."""

    def __init__(self, sim: Simulator, service: WebhookService) -> None:
        self.sim = sim
        self.service = service

    # -------------------------------------------------------------- dates
    def _pair(self, name: str, timestamp: int | None, wall: int | None) -> dict[str, str | None]:
        """``name`` in store-local time and ``name_gmt`` in UTC, as the REST API writes them."""
        return {name: format_wall(wall), f"{name}_gmt": format_wall(timestamp)}

    def _instant(self, name: str, timestamp: float) -> dict[str, str | None]:
        whole = int(timestamp // 1)
        return self._pair(name, whole, self.sim.store.wall(whole))

    def clock(self) -> dict[str, Any]:
        clock, zone = self.sim.clock, self.sim.settings.zone
        now = clock.now()
        local = now.astimezone(zone)
        offset = local.strftime("%z")
        upcoming = clock.next_deadline()
        return {
            "iso": now.isoformat().replace("+00:00", "Z"),
            "gmt": now.strftime("%Y-%m-%d %H:%M:%S"),
            "local": local.strftime("%Y-%m-%d %H:%M:%S"),
            "timezone": self.sim.settings.timezone,
            "abbreviation": local.tzname() or "",
            "utc_offset": f"{offset[:3]}:{offset[3:]}",
            "frozen": clock.frozen,
            "sleepers": clock.pending(),
            "next_wake_gmt": (
                None if upcoming is None else upcoming.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            ),
        }

    def store_facts(self) -> dict[str, Any]:
        settings = self.sim.settings
        return {
            "site_name": settings.site_name,
            "site_url": settings.site_url,
            "api_url": settings.api_url,
            "timezone": settings.timezone,
            "woocommerce_version": settings.wc_version,
            "keys": [key.masked() for key in self.sim.keys.all()],
        }

    # -------------------------------------------------------------- customers
    def customer_row(self, customer: Customer) -> dict[str, Any]:
        return {
            "id": customer.id,
            "name": f"{customer.first_name} {customer.last_name}".strip(),
            "email": customer.email,
            "username": customer.username,
            "role": customer.role,
            "is_paying_customer": customer.is_paying_customer,
            **self._pair("date_created", customer.created, customer.created_wall),
            **self._pair("date_modified", customer.modified, customer.modified_wall),
        }

    def customers(self, paging: Paging) -> dict[str, Any]:
        """The customers ``GET /customers`` lists (role customer), newest change first."""
        records = customers_only(self.sim.store.customers)

        def newest(customer: Customer) -> tuple[int, int]:
            # A user never updated has no modified date; its creation is its last change.
            changed = customer.modified if customer.modified is not None else customer.created
            return changed, customer.id

        # nlargest keeps a page-sized heap: no full sort of a big store every refresh.
        top = heapq.nlargest(paging.start + paging.per_page, records, key=newest)
        rows = [self.customer_row(c) for c in top[paging.start :]]
        return self._page(paging, len(records), rows)

    # -------------------------------------------------------------- orders
    def order_row(self, order: Order) -> dict[str, Any]:
        customer = self.sim.store.customers.get(order.customer_id)
        billing = f"{order.billing.first_name} {order.billing.last_name}".strip()
        return {
            "id": order.id,
            "status": order.status,
            "currency": order.currency,
            "total": format_money(order.total, self.sim.settings.price_decimals),
            "customer_id": order.customer_id,
            "customer": billing or (customer.email if customer is not None else "Guest"),
            "items": sum(item.quantity for item in order.line_items),
            **self._pair("date_created", order.created, order.created_wall),
            **self._pair("date_modified", order.modified, order.modified_wall),
        }

    def orders(self, paging: Paging) -> dict[str, Any]:
        """Every order, trash included, newest modified first (the store's own index)."""
        query = PostQuery(
            page=paging.page,
            per_page=paging.per_page,
            orderby="modified",
            order="desc",
            statuses=ALL_ORDER_STATUSES,
        )
        found, total = self.sim.store.query_orders(query)
        return self._page(paging, total, [self.order_row(o) for o in found])

    # -------------------------------------------------------------- webhooks
    def webhooks(self) -> list[dict[str, Any]]:
        zone_wall = self.sim.store.wall
        return [
            {
                "id": webhook.id,
                "name": webhook.name,
                "status": webhook.status,
                "topic": webhook.topic,
                "delivery_url": webhook.delivery_url,
                "failure_count": webhook.failure_count,
                "pending_delivery": webhook.pending_delivery,
                **self._pair("date_created", webhook.date_created, zone_wall(webhook.date_created)),
            }
            for webhook in self.service.all()
        ]

    # -------------------------------------------------------------- deliveries
    def signature_check(self, record: DeliveryRecord) -> str:
        """``valid``/``invalid`` against the webhook's secret, ``unsigned`` or ``unknown``.

        Recomputed with the webhook's current secret: a delivery sent before the
        secret was changed shows ✗, as a receiver holding the new secret would see it.
        """
        header = _header(record.request_headers, WC_SIGNATURE_HEADER)
        if record.kind == "ping" or header is None:
            return "unsigned"  # pings are form posts without a signature
        webhook = self.service.get(record.webhook_id)
        if webhook is None:
            return "unknown"  # deleted since: its secret is gone
        verified = verify_woocommerce(webhook.secret, record.request_body.encode("utf-8"), header)
        return "valid" if verified else "invalid"

    def delivery_row(self, record: DeliveryRecord) -> dict[str, Any]:
        return {
            "seq": record.seq,
            "kind": record.kind,
            "topic": record.topic,
            "webhook_id": record.webhook_id,
            "resource_id": record.resource_id,
            **self._instant("sent_at", record.sent_at),
            "status": record.status,
            "success": record.success,
            "duration_ms": round(record.duration * 1000, 1),
            "error": record.error,
            "faults": list(record.faults),
            "signature": self.signature_check(record),
        }

    def deliveries(self, paging: Paging) -> dict[str, Any]:
        """The journal, newest first."""
        entries = self.service.journal.entries()
        end = len(entries) - paging.start
        chosen = entries[max(0, end - paging.per_page) : max(0, end)]
        rows = [self.delivery_row(r) for r in reversed(chosen)]
        return self._page(paging, len(entries), rows)

    def delivery(self, seq: int) -> dict[str, Any] | None:
        for record in reversed(self.service.journal.entries()):
            if record.seq == seq:
                return {
                    **self.delivery_row(record),
                    "url": record.url,
                    "delivery_id": record.delivery_id,
                    "request": {
                        "method": "POST",
                        "url": record.url,
                        "headers": dict(record.request_headers),
                        "body": record.request_body,
                    },
                    "response": {"status": record.status, "body": record.response_body},
                }
        return None

    # -------------------------------------------------------------- faults
    def faults(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self.service.faults.all()]

    @staticmethod
    def _page(paging: Paging, total: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "page": paging.page,
            "per_page": paging.per_page,
            "total": total,
            "total_pages": _total_pages(total, paging.per_page),
            "items": rows,
        }


def customers_only(users: Mapping[int, Customer]) -> list[Customer]:
    """The users ``GET /customers`` counts by default: role customer (not the administrator)."""
    return [user for user in users.values() if user.role == "customer"]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


# ---------------------------------------------------------------------- change tokens
class ChangeTracker:
    """A token per panel that changes whenever what the panel shows may have changed."""

    def __init__(self, sim: Simulator, service: WebhookService) -> None:
        self.sim = sim
        self.service = service
        self.events: Counter[str] = Counter()
        self.resets = 0

    def on_event(self, event: StoreEvent) -> None:
        # Called on the store's thread; a lost increment only delays one refresh,
        # and the record counts in the tokens catch inserts made without events.
        self.events[event.resource] += 1

    def on_reset(self) -> None:
        self.resets += 1

    def tokens(self) -> dict[str, str]:
        store, journal = self.sim.store, self.service.journal
        webhooks = _digest(
            [
                (
                    w.id,
                    w.name,
                    w.status,
                    w.topic,
                    w.delivery_url,
                    w.failure_count,
                    w.pending_delivery,
                    w.date_modified,
                )
                for w in self.service.all()
            ]
        )
        size = len(journal)
        # Below capacity the length grows with every attempt; at capacity it stays
        # put, so read the newest sequence number instead.
        newest = journal.entries()[-1].seq if size and size >= journal.maxlen else size
        return {
            "customers": f"{self.resets}.{self.events['customer']}.{len(store.customers)}",
            "orders": f"{self.resets}.{self.events['order']}.{len(store.orders)}",
            "webhooks": webhooks,
            # Signature checks depend on the webhooks' secrets (a change touches date_modified).
            "deliveries": f"{self.resets}.{newest}.{webhooks}",
            "faults": _digest([f.to_json() for f in self.service.faults.all()]),
        }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def encode_revision(tokens: Mapping[str, str]) -> str:
    return ";".join(f"{panel}={tokens[panel]}" for panel in PANELS)


def decode_revision(revision: str) -> dict[str, str]:
    """The client's revision back into tokens; anything unreadable just means "send it all"."""
    tokens: dict[str, str] = {}
    for part in revision.split(";"):
        panel, _, token = part.partition("=")
        if panel in PANELS:
            tokens[panel] = token
    return tokens


# ---------------------------------------------------------------------- HTML
def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(local: str | None, gmt: str | None) -> str:
    """A date cell: store-local time, GMT beneath it."""
    if local is None and gmt is None:
        return '<td class="when muted">—</td>'
    return (
        f'<td class="when"><span>{esc(_spaced(local))}</span>'
        f"<small>{esc(_spaced(gmt))} GMT</small></td>"
    )


def _spaced(value: str | None) -> str:
    return "—" if value is None else value.replace("T", " ")


def _badge(text: str, tone: str) -> str:
    return f'<span class="badge {esc(tone)}">{esc(text)}</span>'


def _table(columns: Sequence[str], rows: Iterable[str], empty: str, css: str = "") -> str:
    body = "".join(rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    if not body:
        body = f'<tr class="empty"><td colspan="{len(columns)}">{esc(empty)}</td></tr>'
    return f'<table class="{esc(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _row(detail: str, cells: str, label: str) -> str:
    return (
        f'<tr class="clickable" tabindex="0" data-detail="{esc(detail)}" '
        f'data-title="{esc(label)}">{cells}</tr>'
    )


def _heading(title: str, count: int, extra: str = "") -> str:
    return f'<header><h2>{esc(title)} <span class="count">{count}</span></h2>{extra}</header>'


def page_href(pages: Pages, panel: str, page: int) -> str:
    wanted = {**pages, panel: page}
    return "?" + urlencode({f"{name}_page": wanted[name] for name in PAGED if name in wanted})


def _pager(panel: str, feed: Mapping[str, Any], pages: Pages) -> str:
    page, last = int(feed["page"]), int(feed["total_pages"])

    def link(label: str, target: int, enabled: bool, rel: str) -> str:
        # ``label`` is trusted markup (it holds entities).
        if not enabled:
            return f'<span class="off">{label}</span>'
        return (
            f'<a href="{esc(page_href(pages, panel, target))}" rel="{rel}" '
            f'data-panel="{panel}" data-page="{target}">{label}</a>'
        )

    return (
        f'<nav class="pager" aria-label="{panel} pages">'
        f"{link('&lsaquo; Newer', page - 1, page > 1, 'prev')}"
        f'<span class="where">page {page} of {last}</span>'
        f"{link('Older &rsaquo;', page + 1, page < last, 'next')}</nav>"
    )


class PageRenderer:
    """HTML for each panel and for the whole page, from :class:`InspectorData`."""

    def __init__(self, data: InspectorData) -> None:
        self.data = data

    def clamp(self, pages: Pages) -> dict[str, int]:
        """Pages inside each panel's range: a reset must not strand the page on page 9."""
        totals = {
            "customers": len(customers_only(self.data.sim.store.customers)),
            "orders": len(self.data.sim.store.orders),  # trash included, as the panel lists it
            "deliveries": len(self.data.service.journal),
        }
        return {
            panel: min(pages.get(panel, 1), _total_pages(totals[panel], PANEL_SIZES[panel]))
            for panel in PAGED
        }

    @staticmethod
    def _paging(pages: Pages, panel: str) -> Paging:
        return Paging(pages[panel], PANEL_SIZES[panel])

    def customers(self, pages: Pages) -> str:
        feed = self.data.customers(self._paging(pages, "customers"))
        rows = (
            _row(
                f"inspector/customers/{c['id']}",
                f'<td class="num">{c["id"]}</td>'
                f'<td class="who"><span>{esc(c["name"] or c["username"])}'
                + ("" if c["role"] == "customer" else f" {_badge(c['role'], 'info')}")
                + f"</span><small>{esc(c['email'])}</small></td>"
                + _when(c["date_created"], c["date_created_gmt"])
                + _when(
                    c["date_modified"] or c["date_created"],
                    c["date_modified_gmt"] or c["date_created_gmt"],
                ),
                f"Customer {c['id']}",
            )
            for c in feed["items"]
        )
        table = _table(("ID", "Customer", "Created", "Last change"), rows, "No customers yet.")
        return self._panel("Customers", feed, "customers", table, pages)

    def orders(self, pages: Pages) -> str:
        feed = self.data.orders(self._paging(pages, "orders"))
        rows = (
            _row(
                f"inspector/orders/{o['id']}",
                f'<td class="num">{o["id"]}</td>'
                f"<td>{_badge(o['status'], _order_tone(o['status']))}</td>"
                f"<td>{esc(o['customer'])}</td>"
                f'<td class="num">{o["items"]}</td>'
                f'<td class="num money">{esc(o["total"])} {esc(o["currency"])}</td>'
                + _when(o["date_created"], o["date_created_gmt"])
                + _when(o["date_modified"], o["date_modified_gmt"]),
                f"Order {o['id']}",
            )
            for o in feed["items"]
        )
        table = _table(
            ("ID", "Status", "Customer", "Items", "Total", "Created", "Modified"),
            rows,
            "No orders yet.",
        )
        return self._panel("Orders", feed, "orders", table, pages)

    def webhooks(self) -> str:
        hooks = self.data.webhooks()
        rows = (
            f'<tr><td class="num">{w["id"]}</td><td>{esc(w["name"])}</td>'
            f"<td><code>{esc(w['topic'])}</code></td>"
            f"<td>{_badge(w['status'], 'good' if w['status'] == 'active' else 'warn')}</td>"
            f'<td class="num {"bad" if w["failure_count"] else ""}">{w["failure_count"]}</td>'
            f'<td class="url">{esc(w["delivery_url"])}</td></tr>'
            for w in hooks
        )
        table = _table(
            ("ID", "Name", "Topic", "Status", "Failures", "Delivery URL"),
            rows,
            "No webhooks. Create one with POST /wp-json/wc/v3/webhooks.",
        )
        return _heading("Webhooks", len(hooks)) + table

    def deliveries(self, pages: Pages) -> str:
        feed = self.data.deliveries(self._paging(pages, "deliveries"))
        rows = (
            _row(
                f"inspector/deliveries/{d['seq']}",
                f'<td class="num">{d["seq"]}</td>'
                + _when(d["sent_at"], d["sent_at_gmt"])
                + f"<td><code>{esc(d['topic'])}</code>"
                + (f' <span class="muted">#{d["resource_id"]}</span>' if d["resource_id"] else "")
                + ("" if d["kind"] == "delivery" else f" {_badge(d['kind'], 'info')}")
                + f'</td><td class="num">{d["webhook_id"]}</td>'
                + f"<td>{_status_cell(d)}</td>"
                + f'<td class="num">{d["duration_ms"]:.1f} ms</td>'
                + f"<td>{_signature_cell(d['signature'])}</td>"
                + f"<td>{' '.join(_badge(f, 'warn') for f in d['faults'])}</td>",
                f"Delivery {d['seq']}: {d['topic']}",
            )
            for d in feed["items"]
        )
        table = _table(
            ("#", "Sent", "Topic", "Webhook", "Response", "Duration", "Signature", "Faults"),
            rows,
            "No deliveries yet.",
            "deliveries",
        )
        return self._panel("Deliveries", feed, "deliveries", table, pages)

    def faults(self) -> str:
        active = self.data.faults()
        rows = (
            f'<tr><td class="num">{f["id"]}</td><td>{_badge(f["kind"], "warn")}</td>'
            f"<td>{esc(f['target'])}</td><td>{esc(_fault_scope(f))}</td>"
            f'<td>{esc(_fault_uses(f))}</td><td class="num">{f["hits"]}</td></tr>'
            for f in active
        )
        table = _table(
            ("ID", "Kind", "Target", "Applies to", "Remaining", "Hits"),
            rows,
            "No active faults.",
        )
        return _heading("Faults", len(active)) + table

    def panels(self, pages: Pages, only: Iterable[str] = PANELS) -> tuple[dict[str, str], Pages]:
        """HTML of the ``only`` panels, and the pages they ended up on (after clamping)."""
        shown = self.clamp(pages)
        makers: dict[str, Callable[[], str]] = {
            "customers": lambda: self.customers(shown),
            "orders": lambda: self.orders(shown),
            "webhooks": self.webhooks,
            "deliveries": lambda: self.deliveries(shown),
            "faults": self.faults,
        }
        return {panel: makers[panel]() for panel in only}, shown

    def _panel(
        self, title: str, feed: Mapping[str, Any], panel: str, table: str, pages: Pages
    ) -> str:
        return _heading(title, int(feed["total"]), _pager(panel, feed, pages)) + table

    # -------------------------------------------------------------- the page
    def page(self, pages: Pages, revision: str) -> str:
        data = self.data
        facts = data.store_facts()
        clock = data.clock()
        panels, shown = self.panels(pages)
        keys = " · ".join(
            f"…{esc(k['truncated_key'])} ({esc(k['permissions'])})" for k in facts["keys"]
        )
        sections = "".join(
            f'<section class="panel" id="panel-{name}" data-panel="{name}">{panels[name]}</section>'
            for name in PANELS
        )
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(facts["site_name"])} · woosim inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/inspector.css">
<script src="static/inspector.js" defer></script>
</head>
<body data-revision="{esc(revision)}" data-pages="{esc(json.dumps(dict(shown)))}">
<header class="top">
  <h1>woosim <span>store inspector</span></h1>
  <dl class="facts">
    <div><dt>Store</dt>
      <dd><a href="{esc(facts["site_url"])}">{esc(facts["site_url"])}</a></dd></div>
    <div><dt>REST API</dt><dd><code>{esc(facts["api_url"])}</code></dd></div>
    <div><dt>WooCommerce</dt><dd>{esc(facts["woocommerce_version"])}</dd></div>
    <div><dt>Keys</dt><dd>{keys}</dd></div>
  </dl>
  <p class="live" id="live-status" aria-live="polite">live</p>
</header>
<main>
{self.clock_card(clock)}
{sections}
</main>
<dialog id="detail" aria-labelledby="detail-title">
  <header><h2 id="detail-title">Record</h2>
  <button type="button" class="close" data-close aria-label="Close">&times;</button></header>
  <pre id="detail-body"></pre>
</dialog>
</body>
</html>
"""

    @staticmethod
    def clock_card(clock: Mapping[str, Any]) -> str:
        state = "frozen" if clock["frozen"] else "running"
        advances = "".join(
            f'<button type="button" data-advance="{seconds}">+{esc(label)}</button>'
            for label, seconds in (("1 min", 60), ("15 min", 900), ("1 h", 3600), ("1 day", 86400))
        )
        return f"""<section class="panel clock" id="panel-clock">
  <header><h2>Clock <span class="badge {state}" id="clock-state">{state}</span></h2></header>
  <div class="readings">
    <div class="reading"><span class="label">Store time</span>
      <output id="clock-local">{esc(clock["local"])}</output>
      <span class="zone" id="clock-zone">{esc(clock["timezone"])}, \
{esc(clock["abbreviation"])} {esc(clock["utc_offset"])}</span></div>
    <div class="reading"><span class="label">GMT</span>
      <output id="clock-gmt">{esc(clock["gmt"])}</output><span class="zone">UTC</span></div>
    <div class="reading"><span class="label">Sleeping tasks</span>
      <output class="small" id="clock-sleepers">{clock["sleepers"]}</output>
      <span class="zone" id="clock-next">{esc(next_wake(clock))}</span></div>
  </div>
  <div class="controls">
    <button type="button" id="clock-freeze" data-frozen="true">Freeze</button>
    <button type="button" id="clock-unfreeze" data-frozen="false">Unfreeze</button>
    <span class="group" role="group" aria-label="Advance">{advances}</span>
    <form id="clock-advance" class="inline">
      <input name="seconds" type="number" min="0" step="any" placeholder="seconds"
        aria-label="Seconds to advance" required>
      <button type="submit">Advance</button>
    </form>
    <form id="clock-set" class="inline">
      <input name="instant" type="text" placeholder="2024-03-10T06:00:00Z"
        aria-label="Set the clock to (ISO-8601)" required
        title="ISO-8601; a time without an offset is read as GMT (as POST /_woosim/clock does)">
      <button type="submit">Set</button>
    </form>
  </div>
  <p class="error" id="clock-error" role="alert" hidden></p>
</section>"""


def next_wake(clock: Mapping[str, Any]) -> str:
    upcoming = clock["next_wake_gmt"]
    return "nothing scheduled" if upcoming is None else f"next wake-up {upcoming} GMT"


def _order_tone(status: str) -> str:
    return {
        "completed": "good",
        "processing": "info",
        "on-hold": "warn",
        "pending": "warn",
        "failed": "bad",
        "cancelled": "muted",
        "refunded": "muted",
        "trash": "muted",
    }.get(status, "muted")


def _status_cell(delivery: Mapping[str, Any]) -> str:
    if delivery["status"] == 0:
        return _badge("no answer", "bad") + (
            f' <span class="muted error-text">{esc(delivery["error"])}</span>'
            if delivery["error"]
            else ""
        )
    return _badge(str(delivery["status"]), "good" if delivery["success"] else "bad")


def _signature_cell(check: str) -> str:
    symbol, tone, title = {
        "valid": ("&#x2713;", "good", "signature verifies with the webhook's secret"),
        "invalid": ("&#x2717;", "bad", "signature does not verify with the webhook's secret"),
        "unsigned": ("&ndash;", "muted", "not signed (pings carry no signature)"),
    }.get(check, ("?", "muted", "webhook deleted: its secret is gone"))
    return (
        f'<span class="sig {tone}" title="{esc(title)}" '
        f'data-signature="{esc(check)}">{symbol}</span>'
    )


def _fault_scope(fault: Mapping[str, Any]) -> str:
    if fault["target"] == "delivery":
        parts = []
        if fault.get("webhook_id") is not None:
            parts.append(f"webhook {fault['webhook_id']}")
        if fault.get("topic"):
            parts.append(str(fault["topic"]))
        return ", ".join(parts) or "every delivery"
    method = fault.get("method") or "any method"
    return f"{method} {fault.get('path')}"


def _fault_uses(fault: Mapping[str, Any]) -> str:
    if fault.get("rate") is not None:
        return f"{float(fault['rate']):.0%} of events"
    if fault.get("count") is not None:
        return f"{fault['count']} left"
    return "until cleared"


# ---------------------------------------------------------------------- routes
class InspectorRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.service = service_for(sim)
        self.data = InspectorData(sim, self.service)
        self.tracker = ChangeTracker(sim, self.service)
        self.renderer = PageRenderer(self.data)
        self._static: dict[str, bytes] = {}

    async def page(self, request: web.Request) -> web.Response:
        pages = page_params(request.query)
        revision = encode_revision(self.tracker.tokens())
        body = self.renderer.page(pages, revision)
        return web.Response(
            text=body,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-store",
            },
        )

    async def to_page(self, request: web.Request) -> web.Response:
        # The page uses relative links, which need the trailing slash.
        raise web.HTTPFound(PREFIX + "/")

    async def live(self, request: web.Request) -> web.Response:
        """The clock always; the HTML of the panels whose token differs from ``revision``."""
        pages = page_params(request.query)
        known = decode_revision(request.query.get("revision", ""))
        tokens = self.tracker.tokens()
        changed = [panel for panel in PANELS if known.get(panel) != tokens[panel]]
        panels, shown = self.renderer.panels(pages, changed)
        return reply(
            {
                "clock": self.data.clock(),
                "revision": encode_revision(tokens),
                "pages": dict(shown),
                "panels": panels,
            }
        )

    async def state(self, request: web.Request) -> web.Response:
        store = self.sim.store
        return reply(
            {
                "store": self.data.store_facts(),
                "clock": self.data.clock(),
                "counts": {
                    "customers": len(customers_only(store.customers)),
                    "orders": len(store.orders),
                    "webhooks": len(self.service.all()),
                    "deliveries": len(self.service.journal),
                    "faults": len(self.service.faults.all()),
                },
            }
        )

    async def customers(self, request: web.Request) -> web.Response:
        return reply(self.data.customers(Paging.of(request.query, "customers")))

    async def orders(self, request: web.Request) -> web.Response:
        return reply(self.data.orders(Paging.of(request.query, "orders")))

    async def deliveries(self, request: web.Request) -> web.Response:
        return reply(self.data.deliveries(Paging.of(request.query, "deliveries")))

    async def webhooks(self, request: web.Request) -> web.Response:
        return reply(self.data.webhooks())

    async def faults(self, request: web.Request) -> web.Response:
        return reply(self.data.faults())

    async def customer(self, request: web.Request) -> web.Response:
        # Exactly what GET /wc/v3/customers/{id} answers, without credentials.
        customer = self.sim.store.get_customer(_record_id(request))
        return reply(self.sim.renderer.customer(customer))

    async def order(self, request: web.Request) -> web.Response:
        order = self.sim.store.get_order(_record_id(request))
        return reply(self.sim.renderer.order(order))

    async def delivery(self, request: web.Request) -> web.Response:
        found = self.data.delivery(_record_id(request))
        if found is None:
            raise RestError(
                "woosim_delivery_not_found",
                "No delivery with that number in the journal (it may have been rotated out).",
                404,
            )
        return reply(found)

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = STATIC_FILES.get(name)
        if content_type is None:
            raise no_route()
        body = self._static.get(name)
        if body is None:
            source = resources.files("simulator") / "static" / name
            body = await asyncio.to_thread(source.read_bytes)
            self._static[name] = body
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )


def setup(app: web.Application, sim: Simulator) -> None:
    routes = InspectorRoutes(sim)

    async def track(_: web.Application) -> None:
        sim.bus.subscribe(routes.tracker.on_event)
        sim.reset_hooks.append(routes.tracker.on_reset)

    async def untrack(_: web.Application) -> None:
        sim.bus.unsubscribe(routes.tracker.on_event)
        if routes.tracker.on_reset in sim.reset_hooks:
            sim.reset_hooks.remove(routes.tracker.on_reset)

    app.on_startup.append(track)
    app.on_cleanup.append(untrack)
    router = app.router
    router.add_get("", routes.to_page)
    router.add_get("/", routes.page)
    router.add_get("/static/{name}", routes.static)
    router.add_get("/inspector/live", routes.live)
    router.add_get("/inspector/state", routes.state)
    router.add_get("/inspector/customers", routes.customers)
    router.add_get("/inspector/orders", routes.orders)
    router.add_get("/inspector/deliveries", routes.deliveries)
    router.add_get("/inspector/webhooks", routes.webhooks)
    router.add_get("/inspector/faults", routes.faults)
    router.add_get("/inspector/customers/{id}", routes.customer)
    router.add_get("/inspector/orders/{id}", routes.order)
    router.add_get("/inspector/deliveries/{id}", routes.delivery)
