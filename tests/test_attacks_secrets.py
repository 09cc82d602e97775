"""Secrets a hostile neighbour could read or guess: well-known API keys on a store bound
beyond loopback, secrets in the process list, and state files other users can read."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import httpx
import pytest
from reliability_helpers import start_woosim

from pytest_woosim.cli import build_parser
from pytest_woosim.outbox.notifications import Event, Notification, build_notifications
from pytest_woosim.outbox.state import State
from simulator.app import default_keys
from simulator.serve import DEFAULT_SEED, api_keys, apply_environment


def serve_args(*argv: str, environ: dict[str, str] | None = None) -> argparse.Namespace:
    args = build_parser("serve").parse_args(["serve", *argv])
    apply_environment(args, environ or {})
    return args


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "shop.example"])
def test_beyond_loopback_the_keys_are_random(host: str) -> None:
    well_known = {key.consumer_secret for key in default_keys(DEFAULT_SEED)}
    first = api_keys(serve_args("--host", host))
    second = api_keys(serve_args("--host", host))
    assert {key.consumer_secret for key in first}.isdisjoint(well_known)
    assert [k.consumer_key for k in first] != [k.consumer_key for k in second]
    assert [k.permissions for k in first] == ["read_write", "read", "write", "read_write"]


def test_beyond_loopback_explicit_keys_are_kept() -> None:
    args = serve_args(
        "--host",
        "0.0.0.0",
        "--consumer-key",
        "ck_" + "a" * 40,
        "--consumer-secret",
        "cs_" + "b" * 40,
    )
    assert api_keys(args)[0].consumer_secret == "cs_" + "b" * 40


def test_on_loopback_the_keys_still_come_from_the_seed() -> None:
    assert api_keys(serve_args("--seed", "s"))[0] == default_keys("s")[0]


def test_secret_options_come_from_the_environment() -> None:
    environ = {
        "WOOSIM_SEED": "env-seed",
        "WOOSIM_CONSUMER_KEY": "ck_" + "c" * 40,
        "WOOSIM_CONSUMER_SECRET": "cs_" + "d" * 40,
        "WOOSIM_CONTROL_TOKEN": "env-token",
    }
    args = serve_args(environ=environ)
    assert (args.seed, args.consumer_key, args.consumer_secret, args.control_token) == (
        "env-seed",
        "ck_" + "c" * 40,
        "cs_" + "d" * 40,
        "env-token",
    )
    given = serve_args("--seed", "cli-seed", environ=environ)
    assert given.seed == "cli-seed"  # the command line wins


async def test_serve_takes_its_secrets_from_the_environment_not_argv(tmp_path: Path) -> None:
    secret = "cs_" + "e" * 40
    token = "a-control-token-from-the-environment"
    serve = await start_woosim(
        tmp_path,
        "serve",
        "--port",
        "0",
        lines=5,
        name="serve",
        env={
            "WOOSIM_CONSUMER_KEY": "ck_" + "f" * 40,
            "WOOSIM_CONSUMER_SECRET": secret,
            "WOOSIM_CONTROL_TOKEN": token,
            "WOOSIM_SEED": "a-private-seed",
        },
    )
    try:
        values = dict(line.split("=", 1) for line in serve.lines)
        assert values["consumer_secret"] == secret and values["control_token"] == token
        command_line = Path(f"/proc/{serve.pid}/cmdline").read_bytes()
        for hidden in (secret.encode(), token.encode(), b"a-private-seed"):
            assert hidden not in command_line
        async with httpx.AsyncClient(base_url=values["site_url"]) as client:
            guarded = await client.get("/_woosim/clock")
            opened = await client.get(
                "/_woosim/clock", headers={"Authorization": f"Bearer {token}"}
            )
            api = await client.get(
                "/wp-json/wc/v3/customers", auth=(values["consumer_key"], secret)
            )
        assert (guarded.status_code, opened.status_code, api.status_code) == (401, 200, 200)
    finally:
        assert serve.terminate() == 0
    assert os.environ.get("WOOSIM_CONSUMER_SECRET") is None


# ---------------------------------------------------------------------- the state file
URL = "http://127.0.0.1:9/events"


def _notes() -> list[Notification]:
    events = [Event("customers", i, "UPDATED", "2024-03-10T06:00:00Z") for i in range(3)]
    return build_notifications(events, {"email": "c@example.com"}, instance_id=7, max_events=1)


def _modes(path: Path) -> dict[str, int]:
    return {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in path.parent.iterdir()
        if p.name.startswith(path.name)
    }


async def test_state_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    old = os.umask(0o022)
    try:
        async with State(path) as state:
            await state.enqueue(7, URL, _notes(), group_key="customers")
            modes = _modes(path)
    finally:
        os.umask(old)
    assert {"relay.db", "relay.db-wal", "relay.db-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


async def test_a_state_file_left_readable_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    async with State(path) as state:
        await state.enqueue(7, URL, _notes(), group_key="customers")
    assert set(_modes(path).values()) == {0o600}
