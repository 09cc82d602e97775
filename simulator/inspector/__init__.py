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

The package, one job a module: ``paging`` (which rows a panel shows), ``data``
(what the panels show, as dicts), ``changes`` (a change token per panel),
``page`` (the HTML) and ``routes`` (the routes, mounted in the control plane).
"""

from simulator.inspector.routes import setup

__all__ = ["setup"]
