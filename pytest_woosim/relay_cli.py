"""``woosim relay``: run the reference poller or webhook relay for an instance configuration.

``event.vendor.type`` picks the branch:

* ``polling``: the reference poller polls the store every
  ``event.poller.refresh_interval`` minutes (real time) and delivers signed
  notifications to the callback URL through the durable outbox. A small status
  server on ``--host``/``--port`` answers ``GET /healthz``, ``GET /stats``,
  ``POST /poll`` (run a poll now) and ``POST /redeliver`` (resume a parked queue).
* ``webhook``: the webhook relay (:mod:`pytest_woosim.relay`).

The first stdout line is the server's URL. Logs go to stderr, one structured
line each, never with a secret. SIGINT/SIGTERM stop it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from simulator.clock import Clock

from .config import ConfigError, InstanceConfig
from .configload import load_instance
from .poller import Poller
from .relay_token import TOKEN_ENV, token_for, token_middleware
from .state import State

log = logging.getLogger("woosim.relay")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        required=True,
        action="append",
        metavar="FILE|DIR",
        help="instance configuration (JSON), or a directory of them (*.json); repeatable. "
        'Instances without "event.notification.enabled": true are skipped, as Cloud '
        "Elements sends nothing for them",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind; 0 picks a free one (default 0)"
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="SQLite state file (watermarks, outbox); without it nothing survives a restart",
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
        "--control-token",
        default=os.environ.get(TOKEN_ENV) or None,
        metavar="TOKEN",
        help="token the operational routes require (default: $"
        + TOKEN_ENV
        + ", or a random one, printed once, when --host is not loopback)",
    )
    parser.add_argument(
        "--log-format",
        choices=("json", "text"),
        default="json",
        help="stderr log lines as JSON (default) or key=value text",
    )


def configuration_files(given: Sequence[str]) -> list[Path]:
    """The files named, directories expanded to their ``*.json`` files (sorted)."""
    files: list[Path] = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise OSError(f"{name}: the directory holds no *.json configuration")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_enabled(given: Sequence[str]) -> tuple[list[tuple[Path, InstanceConfig]], int]:
    """The instances with events enabled, or an exit status (2) after saying what is wrong.

    Cloud Elements sends nothing for an instance whose ``event.notification.enabled``
    is false or missing: it is neither polled nor given webhooks, only reported.
    """
    try:
        files = configuration_files(given)
    except OSError as exc:
        print(f"woosim relay: {exc}", file=sys.stderr)
        return [], 2
    loaded: list[tuple[Path, InstanceConfig]] = []
    for path in files:
        try:
            loaded.append((path, load_instance(path)))
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem.render(str(path)), file=sys.stderr)
            return [], 2
        except OSError as exc:
            print(f"woosim relay: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return [], 2
    enabled = []
    for path, config in loaded:
        if config.configuration.events_enabled:
            enabled.append((path, config))
        else:
            print(
                f'woosim relay: {path}: "event.notification.enabled" is false or missing: '
                "Cloud Elements sends nothing for this instance, so it is not polled and "
                "no webhook is registered for it",
                file=sys.stderr,
            )
    if not enabled:
        print(
            "woosim relay: no instance has events enabled; nothing to relay "
            '(set "event.notification.enabled": true)',
            file=sys.stderr,
        )
        return [], 2
    return enabled, 0


def run(args: argparse.Namespace) -> int:
    _configure_logging(args.log_format)
    enabled, status = load_enabled(args.config)
    if status:
        return status
    if args.control_token is not None and not args.control_token.strip():
        print("woosim relay: --control-token must not be empty", file=sys.stderr)
        return 2
    if len(enabled) > 1:
        print(
            "woosim relay: several instances have events enabled "
            f"({', '.join(str(path) for path, _ in enabled)}); run one relay per instance",
            file=sys.stderr,
        )
        return 2
    config = enabled[0][1]
    if config.configuration.vendor_type == "polling":
        return run_polling(config, args)
    return run_webhook(config, args)


# ---------------------------------------------------------------------- webhook branch


def run_webhook(config: InstanceConfig, args: argparse.Namespace) -> int:
    from .relay import RelayOptions, run_webhook_relay

    options = RelayOptions(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        cleanup=args.cleanup,
        control_token=args.control_token,
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
            control_token=args.control_token,
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
    control_token: str | None = None,
) -> int:
    """Run the poller of a polling instance until ``stop`` is set; print the status URL first."""
    clock = clock or Clock()
    state = State(state_path, clock=clock)
    try:
        await state.open()
    except Exception as exc:
        print(f"woosim relay: cannot open the state file: {exc}", file=sys.stderr)
        return 2
    poller: Poller | None = None
    runner: web.AppRunner | None = None
    try:
        from .relay import instance_slug

        number = await state.instance_number(instance_slug(config.name))
        try:
            poller = Poller.from_config(
                config,
                state=state,
                clock=clock,
                instance_number=number,
                backfill=backfill,
                start=since,
                detect_deletions=detect_deletions,
            )
        except ValueError as exc:
            print(f"woosim relay: {exc}", file=sys.stderr)
            return 2
        if state_path is None:
            log.warning("no --state file: watermarks and undelivered events live in memory only")
        from .relay import DEFAULT_IDLE_TIMEOUT

        token, generated = token_for(host, control_token)
        runner = web.AppRunner(
            _status_app(poller, token), access_log=None, keepalive_timeout=DEFAULT_IDLE_TIMEOUT
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
        if generated:
            print(f"control_token={token}", flush=True, file=out)
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


def health_json(poller: Poller) -> dict[str, Any]:
    """``ok``, or ``unhealthy`` with the reasons (a date-field mismatch loses events)."""
    return {
        "status": "ok" if poller.healthy else "unhealthy",
        "reasons": list(poller.health_problems),
    }


def _status_app(poller: Poller, token: str | None = None) -> web.Application:
    app = web.Application(middlewares=[token_middleware(token)])

    async def healthz(request: web.Request) -> web.Response:
        sender = poller.sender
        health = health_json(poller)
        return web.json_response(
            {
                **health,
                "instance": poller.instance,
                "mode": "polling",
                "sender": "running" if sender is not None and sender.running else "stopped",
            },
            status=200 if poller.healthy else 503,
        )

    async def stats(request: web.Request) -> web.Response:
        body: dict[str, Any] = {
            "instance": poller.instance,
            "health": health_json(poller),
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


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since must be an ISO 8601 instant such as 2024-06-03T09:00:00Z, got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


__all__ = ["add_arguments", "run", "run_polling", "run_webhook", "serve_polling"]
