"""The inspector's HTML: the page and each panel, rendered on the server from ``data``."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from simulator.inspector.data import InspectorData, customers_only
from simulator.inspector.paging import PAGED, PANEL_SIZES, PANELS, Pages, Paging, total_pages

if TYPE_CHECKING:
    pass


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


def _discount(coupon: Mapping[str, Any]) -> str:
    """``10.00 % off``, ``5.00 off the basket``, ``1.25 off each item``."""
    kind, amount = coupon["discount_type"], coupon["amount"]
    if kind == "percent":
        return f"{amount} % off"
    return f"{amount} off " + ("each item" if kind == "fixed_product" else "the basket")


class PageRenderer:
    """HTML for each panel and for the whole page, from :class:`InspectorData`."""

    def __init__(self, data: InspectorData) -> None:
        self.data = data

    def clamp(self, pages: Pages) -> dict[str, int]:
        """Pages inside each panel's range: a reset must not strand the page on page 9."""
        totals = {
            "customers": len(customers_only(self.data.sim.store.customers)),
            "orders": len(self.data.sim.store.orders),  # trash included, as the panel lists it
            "coupons": len(self.data.sim.store.coupons),
            "deliveries": len(self.data.service.journal),
        }
        return {
            panel: min(pages.get(panel, 1), total_pages(totals[panel], PANEL_SIZES[panel]))
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
                f'<td class="num money">{esc(o["total"])} {esc(o["currency"])}'
                + (f"<small>{esc(o['refunded'])} refunded</small>" if o["refunded"] else "")
                + "</td>"
                f'<td class="num">{o["notes"] or ""}</td>'
                + _when(o["date_created"], o["date_created_gmt"])
                + _when(o["date_modified"], o["date_modified_gmt"]),
                f"Order {o['id']}",
            )
            for o in feed["items"]
        )
        table = _table(
            ("ID", "Status", "Customer", "Items", "Total", "Notes", "Created", "Modified"),
            rows,
            "No orders yet.",
        )
        return self._panel("Orders", feed, "orders", table, pages)

    def coupons(self, pages: Pages) -> str:
        feed = self.data.coupons(self._paging(pages, "coupons"))
        rows = (
            _row(
                f"inspector/coupons/{c['id']}",
                f'<td class="num">{c["id"]}</td>'
                f"<td><code>{esc(c['code'])}</code>"
                + ("" if c["status"] == "publish" else f" {_badge(c['status'], 'warn')}")
                + f"</td><td>{esc(_discount(c))}</td>"
                + f'<td class="num">{c["usage_count"]}'
                + (f" / {c['usage_limit']}" if c["usage_limit"] else "")
                + "</td>"
                + (
                    _when(c["date_expires"], c["date_expires_gmt"])
                    if c["date_expires"]
                    else '<td class="muted">never</td>'
                )
                + _when(c["date_modified"], c["date_modified_gmt"]),
                f"Coupon {c['code']}",
            )
            for c in feed["items"]
        )
        table = _table(
            ("ID", "Code", "Discount", "Used", "Expires", "Modified"),
            rows,
            "No coupons. Create one with POST /wp-json/wc/v3/coupons.",
        )
        return self._panel("Coupons", feed, "coupons", table, pages)

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
            "coupons": lambda: self.coupons(shown),
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
