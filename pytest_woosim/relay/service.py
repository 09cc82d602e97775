"""``woosim relay`` as one service for many instances: one server, the instance API, the page.

Routes (all but the store's signed deliveries behind the control token when the
relay is bound beyond loopback, see :mod:`pytest_woosim.relay.token`, and behind
the cross-site guard of :mod:`simulator.wire.crosssite` wherever it is bound):

* ``POST /events/woocommercerest/{key}``: the store's webhook deliveries, per instance;
* ``GET /healthz`` (503 when an enabled instance is unhealthy, with the reasons),
  ``GET /stats``, ``POST /poll`` (``?instance=ID`` for one), ``POST /redeliver``;
* the Cloud Elements instance API: ``POST /instances`` (the body of a
  configuration file), ``GET /instances``, ``GET/PATCH/DELETE /instances/{id}``,
  ``GET /instances/{id}/events``;
* ``GET /``: the relay's page (:mod:`pytest_woosim.relay.page`).

With exactly one instance, ``/healthz``, ``/stats`` and ``/poll`` also carry that
instance's own fields at the top level, as the single-instance relay answered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TextIO

from aiohttp import web

from pytest_woosim.instance.config import ConfigError
from pytest_woosim.outbox.state import OutboxItem
from pytest_woosim.poller.status import health_json, report_json
from pytest_woosim.relay.instances import InstanceConflict, InstanceRegistry, ManagedInstance
from pytest_woosim.relay.relay import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY, ELEMENT_KEY
from pytest_woosim.relay.token import route_guards

log = logging.getLogger("woosim.relay")

#: Largest instance API body: a configuration is a few KiB.
MAX_API_BODY = 1024 * 1024
#: Outbox rows shown per instance by ``GET /instances/{id}/events``.
EVENTS_SHOWN = 200

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, reason: str, **extra: Any) -> web.Response:
    return web.json_response({"status": "error", "reason": reason, **extra}, status=status)


class RelayService:
    """The HTTP side of a service over an :class:`InstanceRegistry`."""

    def __init__(
        self,
        registry: InstanceRegistry,
        *,
        control_token: str | None = None,
        allowed_hosts: Collection[str] = (),
    ) -> None:
        self.registry = registry
        self.control_token = control_token
        #: Host names answered besides IP addresses and localhost (read per request).
        self.allowed_hosts = {name.lower().strip("[]") for name in allowed_hosts}

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=DEFAULT_MAX_BODY,
            middlewares=route_guards(self.control_token, self.allowed_hosts),
        )
        app.router.add_post(f"/events/{ELEMENT_KEY}/{{instance}}", self.deliver)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/stats", self.stats)
        app.router.add_post("/poll", self.poll)
        app.router.add_post("/redeliver", self.redeliver)
        app.router.add_get("/instances", self.list_instances)
        app.router.add_post("/instances", self.create_instance)
        app.router.add_get(r"/instances/{id:\d+}", self.get_instance)
        app.router.add_patch(r"/instances/{id:\d+}", self.patch_instance)
        app.router.add_delete(r"/instances/{id:\d+}", self.delete_instance)
        app.router.add_get(r"/instances/{id:\d+}/events", self.instance_events)
        from pytest_woosim.relay.page import setup_page

        setup_page(app, self)
        return app

    # ------------------------------------------------------------------ deliveries
    async def deliver(self, request: web.Request) -> web.StreamResponse:
        managed = self.registry.by_key(request.match_info["instance"])
        if managed is None or managed.relay is None or managed.relay.app is None:
            return _error(404, "unknown instance")
        return await managed.relay.app.handle_webhook(request)

    # ------------------------------------------------------------------ operations
    def _single(self) -> ManagedInstance | None:
        listed = self.registry.listed()
        return listed[0] if len(listed) == 1 else None

    async def instance_health(self, managed: ManagedInstance) -> dict[str, Any]:
        health = managed.health()
        sender = managed.sender
        data: dict[str, Any] = {
            "id": managed.id,
            "name": managed.config.name,
            "instance": managed.key,
            "mode": managed.mode,
            **health,
            "sender": "running" if sender is not None and sender.running else "stopped",
        }
        if managed.relay is not None:
            data.update(managed.relay._health())
        if managed.enabled:
            counts = await self.registry.state.outbox_counts(managed.key)
            data["queued"], data["parked"] = counts.pending, counts.parked
        return data

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            instances = [await self.instance_health(m) for m in self.registry.listed()]
        except Exception as exc:
            return _error(503, f"state unavailable: {exc}")
        unhealthy = [i for i in instances if i["status"] == "unhealthy"]
        body: dict[str, Any] = {}
        if len(instances) == 1:
            body.update(instances[0])
        body.update(
            {
                "status": "unhealthy" if unhealthy else "ok",
                "reasons": [f"{i['name']}: {r}" for i in unhealthy for r in i["reasons"]],
                "instances": instances,
            }
        )
        return web.json_response(body, status=503 if unhealthy else 200)

    async def instance_stats(self, managed: ManagedInstance) -> dict[str, Any]:

        data: dict[str, Any] = {
            "id": managed.id,
            "name": managed.config.name,
            "instance": managed.key,
            "mode": managed.mode,
            "health": managed.health(),
        }
        poller = managed.poller
        if poller is not None:
            data.update(
                {
                    "health": health_json(poller),
                    "refresh_interval_minutes": poller.refresh_interval,
                    "runs": len(poller.reports),
                    "runs_started": [
                        r.started.isoformat().replace("+00:00", "Z") for r in poller.reports[-20:]
                    ],
                    "warnings": list(poller.warnings),
                    "last_run": report_json(poller),
                }
            )
            marks = await self.registry.state.watermarks(managed.key)
            data["watermarks"] = {
                resource: mark.timestamp.isoformat().replace("+00:00", "Z")
                for resource, mark in marks.items()
            }
            if poller.sender is not None:
                counts = await poller.sender.stats()
                data["delivery"] = {
                    "delivered": counts.delivered,
                    "failed_attempts": counts.failed_attempts,
                    "pending": counts.pending,
                    "parked": counts.parked,
                }
        elif managed.relay is not None and managed.relay.app is not None:
            data.update(await managed.relay.app.stats_json())
        return data

    async def stats(self, request: web.Request) -> web.Response:
        instances = [await self.instance_stats(m) for m in self.registry.listed()]
        body: dict[str, Any] = dict(instances[0]) if len(instances) == 1 else {}
        body["instances"] = instances
        return web.json_response(body)

    async def poll(self, request: web.Request) -> web.Response:

        wanted = request.query.get("instance")
        reports: list[dict[str, Any]] = []
        for managed in self.registry.listed():
            if wanted is not None and str(managed.id) != wanted:
                continue
            if managed.poller is None:
                continue
            await managed.poller.poll_once()
            reports.append({"id": managed.id, **(report_json(managed.poller) or {})})
        body: dict[str, Any] = dict(reports[0]) if len(reports) == 1 else {}
        body["instances"] = reports
        body.setdefault("events", sum(int(r.get("events", 0)) for r in reports))
        return web.json_response(body)

    async def redeliver(self, request: web.Request) -> web.Response:
        wanted = request.query.get("instance")
        count = 0
        for managed in self.registry.listed():
            if wanted is not None and str(managed.id) != wanted:
                continue
            if managed.sender is not None:
                count += await managed.sender.redeliver()
        log.info("redelivery requested parked=%s", count)
        return web.json_response({"status": "ok", "redelivering": count})

    # ------------------------------------------------------------------ instance API
    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        if request.content_length is not None and request.content_length > MAX_API_BODY:
            return _error(413, f"body larger than {MAX_API_BODY} bytes")
        raw = await request.read()
        if len(raw) > MAX_API_BODY:
            return _error(413, f"body larger than {MAX_API_BODY} bytes")
        try:
            body = json.loads(raw)
        except RecursionError:
            return _error(400, "body nested too deeply")
        except ValueError as exc:
            return _error(400, f"body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object (an instance configuration)")
        return body

    def _found(self, request: web.Request) -> ManagedInstance | web.Response:
        managed = self.registry.instances.get(int(request.match_info["id"]))
        if managed is None:
            return _error(404, f"no instance {request.match_info['id']}")
        return managed

    async def list_instances(self, request: web.Request) -> web.Response:
        return web.json_response([m.describe() for m in self.registry.listed()])

    async def create_instance(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        try:
            managed = await self.registry.add_api(body)
        except ConfigError as exc:
            return _config_error(exc)
        except InstanceConflict as exc:
            return _error(409, str(exc))
        return web.json_response(managed.describe(), status=200)

    async def get_instance(self, request: web.Request) -> web.Response:
        managed = self._found(request)
        if isinstance(managed, web.Response):
            return managed
        return web.json_response(managed.describe())

    async def patch_instance(self, request: web.Request) -> web.Response:
        managed = self._found(request)
        if isinstance(managed, web.Response):
            return managed
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        try:
            changed = await self.registry.patch(managed.id, body)
        except ConfigError as exc:
            return _config_error(exc)
        except InstanceConflict as exc:
            return _error(409, str(exc))
        return web.json_response(changed.describe())

    async def delete_instance(self, request: web.Request) -> web.Response:
        managed = self._found(request)
        if isinstance(managed, web.Response):
            return managed
        try:
            await self.registry.remove(managed.id)
        except InstanceConflict as exc:
            return _error(409, str(exc))
        return web.json_response({"id": managed.id, "deleted": True})

    async def instance_events(self, request: web.Request) -> web.Response:
        managed = self._found(request)
        if isinstance(managed, web.Response):
            return managed
        return web.json_response(await self.events_of(managed))

    async def events_of(self, managed: ManagedInstance) -> dict[str, Any]:
        """What the relay owes this instance's callback, and what it recently sent."""
        items = await self.registry.state.outbox_batch(managed.key, EVENTS_SHOWN)
        sender = managed.sender
        attempts = list(sender.attempt_log)[-EVENTS_SHOWN:] if sender is not None else []
        return {
            "id": managed.id,
            "queued": [_outbox_json(item) for item in items],
            "attempts": [
                {
                    "notificationId": a.notification_id,
                    "at": _iso(a.at),
                    "status": "NOTIFIED" if a.ok else "FAILED",
                    "response": a.error or "2xx",
                }
                for a in reversed(attempts)
            ],
        }


def _config_error(exc: ConfigError) -> web.Response:
    problems = [{"field": p.path, "message": p.message} for p in exc.problems]
    first = exc.problems[0] if exc.problems else None
    reason = str(first) if first is not None else "invalid configuration"
    return _error(400, reason, problems=problems)


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _outbox_json(item: OutboxItem) -> dict[str, Any]:
    try:
        message = item.notification().message()
        events = message.get("events", [])
    except (ValueError, KeyError):
        events = []
    if item.status == "parked":
        status = "PARKED"
    elif item.attempts:
        status = "RETRYING"
    else:
        status = "QUEUED"
    return {
        "notificationId": item.notification_id,
        "status": status,
        "attempts": item.attempts,
        "nextAttempt": _iso(item.next_attempt_at),
        "lastError": item.last_error,
        "queuedAt": _iso(item.created_at),
        "events": [
            {k: e.get(k) for k in ("objectType", "objectId", "eventType", "date")}
            for e in events
            if isinstance(e, dict)
        ],
    }


async def start_service(
    registry: InstanceRegistry,
    *,
    host: str,
    port: int,
    control_token: str | None,
    allowed_hosts: Collection[str] = (),
) -> tuple[web.AppRunner, str]:
    """Serve the service; its runner and URL.

    The Host names answered are IP addresses, localhost, ``host`` and ``allowed_hosts``.
    """
    names = [*allowed_hosts, host] if host else list(allowed_hosts)
    service = RelayService(registry, control_token=control_token, allowed_hosts=names)
    runner = web.AppRunner(service.app(), access_log=None, keepalive_timeout=DEFAULT_IDLE_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}"


def print_started(
    url: str, registry: InstanceRegistry, token: str | None, generated: bool, out: TextIO
) -> None:
    """The first stdout line is the URL; then each webhook instance's delivery URL."""
    print(url, flush=True, file=out)
    for managed in registry.listed():
        if managed.relay is not None:
            print(f"delivery URL: {managed.relay.delivery_url}", flush=True, file=out)
    if generated:
        print(f"control_token={token}", flush=True, file=out)


__all__ = ["RelayService", "print_started", "start_service"]
