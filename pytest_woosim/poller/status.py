"""A poller's health and last run as JSON, for the relay's ``/healthz``, ``/stats`` and
instance API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest_woosim.poller.poller import Poller
from simulator.clock import to_utc


def _iso(value: datetime) -> str:
    return to_utc(value).isoformat().replace("+00:00", "Z")


def health_json(poller: Poller) -> dict[str, Any]:
    """``ok``, or ``unhealthy`` with the reasons (a date-field mismatch loses events)."""
    return {
        "status": "ok" if poller.healthy else "unhealthy",
        "reasons": list(poller.health_problems),
    }


def report_json(poller: Poller) -> dict[str, Any] | None:
    if not poller.reports:
        return None
    report = poller.reports[-1]
    return {
        "started": _iso(report.started),
        "events": report.events,
        "resources": [
            {
                "resource": r.resource,
                "window": [_iso(r.window_lower) if r.window_lower else None, _iso(r.window_upper)],
                "events": r.events,
                "deleted": r.deleted,
                "notifications": r.notifications,
                "requests": r.requests,
                "unreadable_dates": r.unreadable_dates,
                "error": r.error,
            }
            for r in report.resources
        ],
    }


__all__ = ["health_json", "report_json"]
