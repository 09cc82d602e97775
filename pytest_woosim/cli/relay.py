"""``woosim relay``: one service for one or many instances (files, a directory, the API).

Each enabled instance runs by its ``event.vendor.type``: ``polling`` (the
reference poller, every ``event.poller.refresh_interval`` minutes) or
``webhook`` (the webhook relay: webhooks registered on the store, deliveries in
at ``/events/woocommercerest/<instance>``). Instances whose
``event.notification.enabled`` is false or missing are reported and do nothing;
files given with none enabled exit 2. The service answers ``GET /healthz``,
``GET /stats``, ``POST /poll``, ``POST /redeliver``, the instance API and the
page (:mod:`pytest_woosim.relay.service`).

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

from pytest_woosim.instance.config import ConfigError, InstanceConfig
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import open_state
from pytest_woosim.outbox.worker_sender import DEFAULT_CLAIM_TTL
from pytest_woosim.relay.runtime import run_relay
from pytest_woosim.relay.token import TOKEN_ENV, token_for
from simulator.clock import Clock

log = logging.getLogger("woosim.relay")

STORE_TOKEN_ENV = "WOOSIM_STORE_CONTROL_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        action="append",
        default=[],
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
        metavar="FILE|URL",
        help="SQLite state file (watermarks, outbox, instances), or a postgresql:// URL shared "
        "by several relay workers; without it nothing survives a restart",
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
        "--store-clock",
        metavar="SITE_URL",
        help="schedule polls and retries on this woosim store's clock, read from its control "
        "plane (advancing the store's clock makes the relay poll, once per interval crossed)",
    )
    parser.add_argument(
        "--store-control-token",
        default=os.environ.get(STORE_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"control token of the --store-clock store (default: ${STORE_TOKEN_ENV})",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the relay answers to besides IP addresses, localhost and --host "
        "(repeatable; e.g. the name of a container)",
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


def load_configs(given: Sequence[str]) -> tuple[list[tuple[Path, InstanceConfig]], int]:
    """Every configuration named, or an exit status (2) after saying what is wrong.

    Cloud Elements sends nothing for an instance whose ``event.notification.enabled``
    is false or missing: it is listed, neither polled nor given webhooks, and said so.
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
    for path, config in loaded:
        if not config.configuration.events_enabled:
            print(
                f'woosim relay: {path}: "event.notification.enabled" is false or missing: '
                "Cloud Elements sends nothing for this instance, so it is not polled and "
                "no webhook is registered for it",
                file=sys.stderr,
            )
    return loaded, 0


def run(args: argparse.Namespace) -> int:
    _configure_logging(args.log_format)
    loaded, status = load_configs(args.config)
    if status:
        return status
    if args.control_token is not None and not args.control_token.strip():
        print("woosim relay: --control-token must not be empty", file=sys.stderr)
        return 2
    public = args.public_url
    if public is not None and not public.startswith(("http://", "https://")):
        print(f"woosim relay: --public-url must be an http(s) URL, got {public!r}", file=sys.stderr)
        return 2

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        return await serve_instances(loaded, args, stop=stop)

    # This process is the relay: its loop and collector are set for many small requests.
    return run_relay(main())


async def serve_instances(
    loaded: Sequence[tuple[Path, InstanceConfig]],
    args: argparse.Namespace,
    *,
    stop: asyncio.Event,
    clock: Clock | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """One service for every instance (files, then those kept from the instance API)."""
    from pytest_woosim.relay.instances import InstanceConflict, InstanceRegistry, RunOptions
    from pytest_woosim.relay.service import print_started, start_service
    from pytest_woosim.relay.store_clock import StoreClockError, StoreClockFollower

    follower: StoreClockFollower | None = None
    follow_task: asyncio.Task[None] | None = None
    if getattr(args, "store_clock", None):
        follower = StoreClockFollower(args.store_clock, token=args.store_control_token)
        try:
            clock = await follower.start_clock()
        except StoreClockError as exc:
            await follower.aclose()
            print(f"woosim relay: --store-clock: {exc}", file=sys.stderr)
            return 2
        follow_task = asyncio.create_task(follower.run(), name="woosim-store-clock")
    clock = clock or Clock()
    try:
        state = open_state(args.state, clock=clock)
        await state.open()
    except Exception as exc:
        print(f"woosim relay: cannot open the state: {exc}", file=sys.stderr)
        if follow_task is not None and follower is not None:
            follow_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow_task
            await follower.aclose()
        return 2
    if args.state is None:
        log.warning("no --state file: watermarks, the outbox and instances live in memory only")
    options = RunOptions(
        backfill=args.backfill,
        since=args.since,
        detect_deletions=args.detect_deletions,
        reconcile=args.reconcile,
        cleanup=args.cleanup,
        lease_ttl=args.lease_seconds,
    )
    registry = InstanceRegistry(state, clock, options)
    runner: web.AppRunner | None = None
    try:
        token, generated = token_for(args.host, args.control_token)
        try:
            runner, url = await start_service(
                registry,
                host=args.host,
                port=args.port,
                control_token=token,
                allowed_hosts=args.allowed_host,
            )
        except OSError as exc:
            print(f"woosim relay: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 2
        options.public_url = (args.public_url or url).rstrip("/")
        for path, config in loaded:
            try:
                await registry.add_file(config, str(path))
            except InstanceConflict as exc:
                print(f"woosim relay: {exc}", file=sys.stderr)
                return 2
        await registry.restore_saved()
        if loaded and not any(m.enabled for m in registry.listed()):
            print(
                "woosim relay: no instance has events enabled; nothing to relay "
                '(set "event.notification.enabled": true)',
                file=sys.stderr,
            )
            return 2
        print_started(url, registry, token, generated, out)
        await stop.wait()
        log.info("stopping")
        return 0
    finally:
        if follow_task is not None:
            follow_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow_task
        if follower is not None:
            await follower.aclose()
        await registry.close()
        if runner is not None:
            await runner.cleanup()
        await state.close()


# ---------------------------------------------------------------------- reports


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


__all__ = ["add_arguments", "run", "serve_instances"]
