"""Business flows on demand: ``woosim trigger NAME``, ``POST /_woosim/trigger`` and the
fixture's ``trigger()`` run what a shop goes through (a checkout, a completion, a
cancellation, a failed payment, a signup) on the store, step by step as a real
WooCommerce 10.0.2 store does it, on the store clock.

``catalog.py`` lists the flows, ``shop.py`` holds their steps, ``notes.py`` the notes
those steps write, ``options.py`` what a trigger request may say and ``report.py``
what a flow did (records touched, webhook deliveries queued).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from simulator.events import EventBus
from simulator.flows.catalog import FLOWS, PREPARATIONS, Flow, needed_order
from simulator.flows.options import OPTION_HELP, FlowInputError, parse_options
from simulator.flows.report import FlowReport, TopicsFor, WebhooksFor, capture
from simulator.flows.shop import Shop
from simulator.store import Store


def describe() -> list[dict[str, Any]]:
    """Every flow: name, what it does, the options it takes (``woosim trigger --list``)."""
    return [
        {
            "name": flow.name,
            "description": flow.description,
            "options": {name: OPTION_HELP[name] for name in flow.options},
        }
        for flow in FLOWS.values()
    ]


def find_flow(name: object) -> Flow:
    if not isinstance(name, str) or not name:
        raise FlowInputError("flow", f"must name a flow: {', '.join(FLOWS)}")
    flow = FLOWS.get(name)
    if flow is None:
        raise FlowInputError("flow", f"unknown flow {name!r} (one of {', '.join(FLOWS)})")
    return flow


def run_flow(
    store: Store,
    bus: EventBus,
    name: object,
    body: Mapping[str, Any],
    *,
    topics_for: TopicsFor,
    webhooks_for: WebhooksFor,
) -> FlowReport:
    """Run flow ``name`` with the options in ``body``; what it did.

    Raises :class:`FlowInputError` (naming the field) before changing anything when the
    options are wrong or a record they name is missing or in the wrong state.
    """
    flow = find_flow(name)
    options = parse_options(body, flow.options)
    report = FlowReport(flow.name, flow.description)
    if flow.from_statuses:
        if options.order is not None:
            needed_order(Shop(store, report), flow, options)  # checks it, changes nothing
        else:
            prepared = FlowReport(flow.prepare_with, PREPARATIONS[flow.prepare_with])
            mark = _last_note(store)
            with capture(prepared, bus, topics_for, webhooks_for):
                order = needed_order(Shop(store, prepared), flow, options)
            prepared.notes = _notes_since(store, mark)
            options = replace(options, order=order.id)
            report.prepared = prepared
        report.ids["order"] = options.order or 0
    mark = _last_note(store)
    with capture(report, bus, topics_for, webhooks_for):
        flow.run(Shop(store, report), options)
    report.notes = _notes_since(store, mark)
    return report


def _last_note(store: Store) -> int:
    return max(store.notes.by_id, default=0)


def _notes_since(store: Store, mark: int) -> list[tuple[int, str, bool]]:
    """The order notes written after note ``mark``, oldest first."""
    return [
        (note.order_id, note.content, note.customer_note)
        for note_id, note in sorted(store.notes.by_id.items())
        if note_id > mark
    ]


__all__ = ["FLOWS", "FlowInputError", "FlowReport", "describe", "find_flow", "run_flow"]
