"""``woosim relay``: run the reference poller or webhook relay for an instance configuration.

``event.vendor.type`` picks the branch:

* ``polling``: the reference poller polls the store every
  ``event.poller.refresh_interval`` minutes (real time) and delivers signed
  notifications to the callback URL through the durable outbox. A small status
  server on ``--host``/``--port`` answers ``GET /healthz``, ``GET /stats``,
  ``POST /poll`` (run a poll now) and ``POST /redeliver`` (resume a parked queue).
* ``webhook``: the webhook relay (:mod:`pytest_woosim.relay.relay`).

The first stdout line is the server's URL. Logs go to stderr, one structured
line each, never with a secret. SIGINT/SIGTERM stop it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from pytest_woosim.instance.config import ConfigError, InstanceConfig
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import open_state
from pytest_woosim.outbox.worker_sender import DEFAULT_CLAIM_TTL
from pytest_woosim.poller.poller import Poller
from simulator.clock import Clock

log = logging.getLogger("woosim.relay")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", required=True, metavar="FILE", help="instance configuration (JSON)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind; 0 picks a free one (default 0)"
    )
    parser.add_argument(
        "--state",
        metavar="FILE|URL",
        help="SQLite state file (watermarks, outbox), or a postgresql:// URL shared by several "
        "relay workers; without it nothing survives a restart",
    )
    parser.add_argument(
        "--lease-seconds",
        type=_positive,
        default=DEFAULT_CLAIM_TTL,
        metavar="S",
        help="workers on PostgreSQL: seconds before another worker takes over the polls and "
        f"the notifications of a worker that stopped answering (default {DEFAULT_CLAIM_TTL:g})",
    )
    polling = parser.add_argument_group("polling instances")
    polling.add_argument(
        "--backfill",
        action="store_true",
        help="first run reads everything, not only changes since the first start",
    )
    polling.add_argument(
        "--since",
        type=_instant,
        metavar="ISO",
        help="first run reads changes after this instant (ISO 8601, with a zone or UTC)",
    )
    polling.add_argument(
        "--detect-deletions",
        action="store_true",
        help="emit DELETED events for records gone from full scans (customers, products)",
    )
    webhook = parser.add_argument_group("webhook instances")
    webhook.add_argument(
        "--public-url",
        metavar="URL",
        help="base URL at which the store reaches the relay (default: the bound address)",
    )
    webhook.add_argument(
        "--cleanup", action="store_true", help="delete the relay's webhooks from the store on exit"
    )
    webhook.add_argument(
        "--reconcile",
        action="store_true",
        help="also poll the store to emit what webhooks missed (shares the dedupe keys)",
    )
    parser.add_argument(
        "--log-format",
        choices=("json", "text"),
        default="json",
        help="stderr log lines as JSON (default) or key=value text",
    )


def run(args: argparse.Namespace) -> int:
    _configure_logging(args.log_format)
    try:
        config = load_instance(Path(args.config))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.render(args.config), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"woosim relay: cannot read {args.config}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if config.configuration.vendor_type == "polling":
        return run_polling(config, args)
    return run_webhook(config, args)


# ---------------------------------------------------------------------- webhook branch


def run_webhook(config: InstanceConfig, args: argparse.Namespace) -> int:
    from pytest_woosim.relay.relay import RelayOptions, run_webhook_relay

    options = RelayOptions(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        cleanup=args.cleanup,
        lease_ttl=args.lease_seconds,
    )
    return run_webhook_relay(
        config, state_path=args.state, options=options, reconcile=args.reconcile
    )


# ---------------------------------------------------------------------- polling branch


def run_polling(config: InstanceConfig, args: argparse.Namespace) -> int:
    """Poll until SIGINT/SIGTERM; exit status."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        return await serve_polling(
            config,
            state_path=args.state,
            host=args.host,
            port=args.port,
            stop=stop,
            backfill=args.backfill,
            since=args.since,
            detect_deletions=args.detect_deletions,
            lease_ttl=args.lease_seconds,
        )

    return asyncio.run(main())


async def serve_polling(
    config: InstanceConfig,
    *,
    state_path: str | None,
    host: str,
    port: int,
    stop: asyncio.Event,
    backfill: bool = False,
    since: datetime | None = None,
    detect_deletions: bool = False,
    clock: Clock | None = None,
    out: TextIO = sys.stdout,
    lease_ttl: float = DEFAULT_CLAIM_TTL,
) -> int:
    """Run the poller of a polling instance until ``stop`` is set; print the status URL first."""
    clock = clock or Clock()
    try:
        state = open_state(state_path, clock=clock)
        await state.open()
    except Exception as exc:
        print(f"woosim relay: cannot open the state: {exc}", file=sys.stderr)
        return 2
    poller: Poller | None = None
    runner: web.AppRunner | None = None
    try:
        try:
            poller = Poller.from_config(
                config,
                state=state,
                clock=clock,
                backfill=backfill,
                start=since,
                detect_deletions=detect_deletions,
                lease_ttl=lease_ttl,
            )
        except ValueError as exc:
            print(f"woosim relay: {exc}", file=sys.stderr)
            return 2
        if state_path is None:
            log.warning("no --state file: watermarks and undelivered events live in memory only")
        from pytest_woosim.relay.relay import DEFAULT_IDLE_TIMEOUT

        runner = web.AppRunner(
            _status_app(poller), access_log=None, keepalive_timeout=DEFAULT_IDLE_TIMEOUT
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            print(f"woosim relay: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
            return 2
        bound = _bound_port(runner) or port
        url = f"http://{_url_host(host)}:{bound}"
        conf = config.configuration
        log.info(
            "polling started",
            extra={
                "fields": {
                    "instance": poller.instance,
                    "store": _without_userinfo(conf.store_url),
                    "callback": _without_userinfo(conf.callback_url or ""),
                    "resources": [p.resource for p in poller.resources],
                    "refresh_interval_minutes": poller.refresh_interval,
                    "signed": conf.signature_key is not None,
                    "status_url": url,
                }
            },
        )
        print(url, flush=True, file=out)
        await poller.start_background()
        await stop.wait()
        log.info("stopping", extra={"fields": {"instance": poller.instance}})
        return 0
    finally:
        if poller is not None:
            await poller.stop()
        if runner is not None:
            await runner.cleanup()
        await state.close()


def _status_app(poller: Poller) -> web.Application:
    app = web.Application()

    async def healthz(request: web.Request) -> web.Response:
        sender = poller.sender
        return web.json_response(
            {
                "status": "ok",
                "instance": poller.instance,
                "mode": "polling",
                "sender": "running" if sender is not None and sender.running else "stopped",
            }
        )

    async def stats(request: web.Request) -> web.Response:
        body: dict[str, Any] = {
            "instance": poller.instance,
            "refresh_interval_minutes": poller.refresh_interval,
            "runs": len(poller.reports),
            "warnings": list(poller.warnings),
            "last_run": _report_json(poller),
        }
        if poller.sender is not None:
            counts = await poller.sender.stats()
            body["delivery"] = {
                "delivered": counts.delivered,
                "failed_attempts": counts.failed_attempts,
                "pending": counts.pending,
                "parked": counts.parked,
            }
        return web.json_response(body)

    async def poll_now(request: web.Request) -> web.Response:
        await poller.poll_once()
        return web.json_response(_report_json(poller))

    async def redeliver(request: web.Request) -> web.Response:
        count = await poller.sender.redeliver() if poller.sender is not None else 0
        return web.json_response({"redelivering": count})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/stats", stats)
    app.router.add_post("/poll", poll_now)
    app.router.add_post("/redeliver", redeliver)
    return app


def _report_json(poller: Poller) -> dict[str, Any] | None:
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


# ---------------------------------------------------------------------- helpers


class _StructuredFormatter(logging.Formatter):
    """One line per record: JSON, or ``key=value`` text. Extra fields via ``extra={"fields"}``."""

    def __init__(self, style_name: str) -> None:
        super().__init__()
        self.style_name = style_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        if self.style_name == "json":
            return json.dumps(entry, default=str)
        return " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in entry.items())


def _configure_logging(style_name: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StructuredFormatter(style_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # httpx logs every request URL at INFO; keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, Sequence) and len(address) >= 2:
            return int(address[1])
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _without_userinfo(url: str) -> str:
    """A URL safe to log: credentials in its authority are removed."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port must be a number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 0 and 65535, got {value}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since must be an ISO 8601 instant such as 2024-06-03T09:00:00Z, got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


__all__ = ["add_arguments", "run", "run_polling", "run_webhook", "serve_polling"]
