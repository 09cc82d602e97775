"""Control plane for webhooks: ``/_woosim/deliveries`` (the journal), ``/_woosim/faults``
and ``/_woosim/webhooks/queue`` (when the delivery queue runs).

These routes speak plain JSON (they are ours, not WooCommerce's). Bad input is
a 400 whose body names the parameter and the problem.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError, invalid_json, invalid_params
from simulator.faults import FaultSpecError
from simulator.wcdates import parse_rest_date
from simulator.webhooks import WebhookService
from simulator.webhooks.journal import JournalFilter
from simulator.wire import boundedjson

if TYPE_CHECKING:
    from simulator.app import Simulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _errors_as_json(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RestError as error:
            return web.json_response(error.to_json(), status=error.status)

    return wrapped


def _bad(name: str, message: str) -> RestError:
    return invalid_params({name: ("rest_invalid_param", message)})


def journal_filter(query: dict[str, str]) -> tuple[JournalFilter, int | None]:
    """Filters from ``?webhook=&topic=&kind=&since=&status=&resource=`` plus ``limit``."""
    fields: dict[str, Any] = {}
    raw_webhook = query.get("webhook", query.get("webhook_id"))
    if raw_webhook is not None:
        if not raw_webhook.isdigit():
            raise _bad("webhook", "webhook must be a webhook id (a positive integer).")
        fields["webhook_id"] = int(raw_webhook)
    if "resource" in query:
        if not query["resource"].isdigit():
            raise _bad("resource", "resource must be a resource id (a positive integer).")
        fields["resource_id"] = int(query["resource"])
    if "topic" in query:
        fields["topic"] = query["topic"]
    if "kind" in query:
        if query["kind"] not in ("delivery", "ping"):
            raise _bad("kind", "kind must be delivery or ping.")
        fields["kind"] = query["kind"]
    if "since" in query:
        since = parse_rest_date(query["since"])
        if since is None:
            raise _bad("since", "since must be an ISO-8601 date-time such as 2024-03-10T06:00:00Z.")
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)  # the journal's instants are UTC
        fields["since"] = since.timestamp()
    if "status" in query:
        status = query["status"]
        if status in ("success", "failure"):
            fields["status"] = status
        elif status.isdigit():
            fields["status"] = int(status)
        else:
            raise _bad("status", "status must be an HTTP status code, success or failure.")
    limit: int | None = None
    if "limit" in query:
        if not query["limit"].isdigit() or int(query["limit"]) < 1:
            raise _bad("limit", "limit must be a positive integer.")
        limit = int(query["limit"])
    return JournalFilter(**fields), limit


class WebhookControl:
    def __init__(self, service: WebhookService) -> None:
        self.service = service

    async def deliveries(self, request: web.Request) -> web.Response:
        wanted, limit = journal_filter(dict(request.query))
        journal = self.service.journal
        entries = journal.entries(wanted)
        if limit is not None:
            entries = entries[-limit:]
        return web.json_response(
            {
                "count": len(entries),
                "capacity": journal.maxlen,
                "deliveries": [entry.to_json() for entry in entries],
            }
        )

    async def list_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": [f.to_json() for f in self.service.faults.all()]})

    async def add_faults(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            spec = boundedjson.loads(raw) if raw.strip() else None
        except boundedjson.JsonProblem as problem:
            raise invalid_json(problem) from None
        specs = spec if isinstance(spec, list) else [spec]
        if not specs or not all(isinstance(s, dict) for s in specs):
            raise _bad("kind", "send a fault object (or a list of them) with at least a kind.")
        added = []
        try:
            for position, item in enumerate(specs):
                try:
                    added.append(self.service.faults.add(item))
                except FaultSpecError as exc:
                    if len(specs) > 1:
                        exc = FaultSpecError(f"[{position}].{exc.field}", exc.problem)
                    raise exc.to_rest_error() from None
        except RestError:
            for fault in added:  # all or nothing
                self.service.faults.remove(fault.id)
            raise
        body = [f.to_json() for f in added]
        return web.json_response(body if isinstance(spec, list) else body[0], status=201)

    def _queue_state(self) -> dict[str, Any]:
        options = self.service.options
        return {
            "interval": options.queue_interval,
            "delay": options.delay,
            "pending": self.service.pending,
        }

    async def get_queue(self, request: web.Request) -> web.Response:
        return web.json_response(self._queue_state())

    async def set_queue(self, request: web.Request) -> web.Response:
        """``{"interval": s, "delay": s, "run": true}``: any of them; ``run`` sends what is
        pending now. Checked whole before anything changes."""
        raw = await request.read()
        try:
            body = boundedjson.loads(raw) if raw.strip() else {}
        except boundedjson.JsonProblem as problem:
            raise invalid_json(problem) from None
        if not isinstance(body, dict):
            raise _bad("interval", "send an object with interval, delay and/or run.")
        unknown = sorted(set(body) - {"interval", "delay", "run"})
        if unknown:
            raise _bad(unknown[0], f"{unknown[0]} is not a queue setting (interval, delay, run).")
        seconds: dict[str, float] = {}
        for name in ("interval", "delay"):
            if name in body:
                value = body[name]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise _bad(name, f"{name} must be a number of seconds, 0 or more.")
                seconds[name] = float(value)
        run = body.get("run", False)
        if not isinstance(run, bool):
            raise _bad("run", "run must be a boolean.")
        options = self.service.options
        if "interval" in seconds:
            options.queue_interval = seconds["interval"]
        if "delay" in seconds:
            options.delay = seconds["delay"]
        if run or "interval" in seconds:
            # A new interval applies to the run being waited for, too.
            self.service.engine.reschedule(run_now=run)
        return web.json_response(self._queue_state())

    async def clear_faults(self, request: web.Request) -> web.Response:
        raw_id = request.query.get("id")
        if raw_id is None:
            removed = len(self.service.faults.all())
            self.service.faults.clear()
            return web.json_response({"removed": removed})
        if not raw_id.isdigit():
            raise _bad("id", "id must be a fault id (a positive integer).")
        if not self.service.faults.remove(int(raw_id)):
            raise RestError("woosim_fault_not_found", f"No fault with id {raw_id}.", 404)
        return web.json_response({"removed": 1})


def setup(app: web.Application, sim: Simulator) -> None:
    control = WebhookControl(sim.webhooks)
    router = app.router
    router.add_get("/deliveries", _errors_as_json(control.deliveries))
    router.add_get("/faults", _errors_as_json(control.list_faults))
    router.add_post("/faults", _errors_as_json(control.add_faults))
    router.add_delete("/faults", _errors_as_json(control.clear_faults))
    router.add_get("/webhooks/queue", _errors_as_json(control.get_queue))
    router.add_post("/webhooks/queue", _errors_as_json(control.set_queue))
