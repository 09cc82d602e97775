"""``woosim serve``: run the fake store until SIGINT/SIGTERM.

Prints, one per line, ``site_url=``, ``api_url=``, ``consumer_key=`` and
``consumer_secret=`` (the user's own credentials for a local fake store), and
``control_token=`` when the store binds beyond loopback (``/_woosim/*`` then
wants ``Authorization: Bearer <token>``), then serves.

Bound beyond loopback without ``--consumer-key``/``--consumer-secret``, the
store's API keys are random (the seed-derived ones are the same on every
install); they are printed once, here. Every secret option can come from the
environment instead of the command line, where ``ps`` shows it:
``WOOSIM_SEED``, ``WOOSIM_CONSUMER_KEY``, ``WOOSIM_CONSUMER_SECRET``,
``WOOSIM_CONTROL_TOKEN`` (an option given on the command line wins).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Mapping
from datetime import datetime

from simulator.app import Simulator, default_keys
from simulator.clock import Clock
from simulator.generate import ProgressBar, generate
from simulator.keys import ApiKey
from simulator.server import SimulatorServer
from simulator.settings import Settings, load_timezone
from simulator.wcdates import parse_iso_instant
from simulator.wire.hosts import is_loopback_host

DEFAULT_PORT = 8000
DEFAULT_SEED = "0"
#: Environment variables read for the secret options (kept out of the process list).
SECRET_ENV = {
    "seed": "WOOSIM_SEED",
    "consumer_key": "WOOSIM_CONSUMER_KEY",
    "consumer_secret": "WOOSIM_CONSUMER_SECRET",
    "control_token": "WOOSIM_CONTROL_TOKEN",
}
#: Generations at least this large show a progress bar on stderr.
PROGRESS_FROM = 10_000


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value


def _timezone(text: str) -> str:
    try:
        load_timezone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _instant(text: str) -> datetime:
    try:
        return parse_iso_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date-time: {text!r} (e.g. 2024-03-10T06:00:00Z)"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--seed",
        help=f"seed for API keys and generated data (default ${SECRET_ENV['seed']}, "
        f"else {DEFAULT_SEED!r})",
    )
    parser.add_argument(
        "--customers", type=_count, default=0, metavar="N", help="generate N customers"
    )
    parser.add_argument("--orders", type=_count, default=0, metavar="N", help="generate N orders")
    parser.add_argument(
        "--products", type=_count, default=0, metavar="N", help="generate N products"
    )
    parser.add_argument(
        "--timezone", type=_timezone, default="UTC", metavar="TZ", help="store time zone (IANA)"
    )
    parser.add_argument(
        "--taxes",
        action="store_true",
        help="turn taxes on (one 7.25%% US rate); a new shop has them off",
    )
    parser.add_argument(
        "--start", type=_instant, metavar="ISO", help="start the clock at this instant"
    )
    parser.add_argument(
        "--frozen", action="store_true", help="freeze the clock (moves only via /_woosim/clock)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a self-signed certificate"
    )
    parser.add_argument(
        "--http-auth",
        choices=("https", "strict"),
        default="https",
        help="https: Basic, query keys and OAuth (default); strict: plain-HTTP rule, OAuth only",
    )
    parser.add_argument(
        "--consumer-key",
        metavar="CK",
        help=f"use this consumer key (ck_...; default ${SECRET_ENV['consumer_key']})",
    )
    parser.add_argument(
        "--consumer-secret",
        metavar="CS",
        help=f"use this consumer secret (cs_...; default ${SECRET_ENV['consumer_secret']})",
    )
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        help=f"token /_woosim/* requires (default ${SECRET_ENV['control_token']}, else a random "
        "one when --host is not loopback; given, it is required on loopback too)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name /_woosim/* answers to besides IP addresses, localhost and --host "
        "(repeatable; e.g. the name of a container)",
    )


def apply_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill the secret options not given on the command line from the environment."""
    for option, variable in SECRET_ENV.items():
        if getattr(args, option) is None and environ.get(variable):
            setattr(args, option, environ[variable])
    if args.seed is None:
        args.seed = DEFAULT_SEED


def api_keys(args: argparse.Namespace) -> list[ApiKey]:
    if is_loopback_host(args.host):
        keys = default_keys(args.seed)
    else:
        # Reachable from elsewhere: keys nobody can derive from a well-known seed.
        keys = default_keys(secrets.token_hex(32))
    if args.consumer_key or args.consumer_secret:
        if not (args.consumer_key and args.consumer_secret):
            raise SystemExit("woosim serve: --consumer-key and --consumer-secret go together")
        keys[0] = ApiKey(
            key_id=keys[0].key_id,
            user_id=keys[0].user_id,
            consumer_key=args.consumer_key,
            consumer_secret=args.consumer_secret,
            permissions="read_write",
            description="woosim key 1 (read_write)",
        )
    return keys


async def _serve(args: argparse.Namespace) -> int:
    apply_environment(args, os.environ)
    settings = Settings(
        timezone=args.timezone, https_auth=args.http_auth == "https", taxes_enabled=args.taxes
    )
    sim = Simulator(
        settings, clock=Clock(args.start, frozen=args.frozen), seed=args.seed, keys=api_keys(args)
    )
    if args.customers or args.orders or args.products:
        total = args.customers + args.orders + args.products
        generate(
            sim.store,
            args.seed,
            customers=args.customers,
            orders=args.orders,
            products=args.products,
            progress=ProgressBar(sys.stderr, "generating") if total >= PROGRESS_FROM else None,
        )
    context = None
    if args.tls:
        from simulator.tls import self_signed_context

        context = self_signed_context()
    if args.control_token is not None:
        if not args.control_token.strip():
            print("woosim serve: --control-token must not be empty", file=sys.stderr)
            return 2
        sim.control_token = args.control_token
    sim.allowed_hosts.update(name.lower() for name in args.allowed_host)
    # Handlers before the URL is printed: whoever reads it may signal at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = SimulatorServer(sim, ssl_context=context)
    try:
        await server.start(args.host, args.port)
    except OSError as exc:
        print(
            f"woosim serve: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    print(f"site_url={server.site_url}")
    print(f"api_url={server.api_url}")
    print(f"consumer_key={server.consumer_key}")
    print(f"consumer_secret={server.consumer_secret}")
    if sim.control_token is not None:
        print(f"control_token={sim.control_token}")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


def main(argv: list[str] | None = None) -> int:
    """``python -m simulator.serve``: the same command without the dispatcher."""
    parser = argparse.ArgumentParser(
        prog="woosim serve", description="run the fake WooCommerce store"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
