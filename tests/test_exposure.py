"""Exposure: every server binds to loopback by default, and a store bound beyond loopback
guards its control plane with a token (by bind address, not by who connects)."""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path

import httpx
import pytest
from reliability_helpers import listening_addresses, start_woosim

from pytest_woosim.cli import build_parser
from simulator.app import Simulator
from simulator.control import TOKEN_COOKIE
from simulator.server import SimulatorServer, guard_control_plane
from simulator.wire.hosts import is_loopback_host

LOOPBACK = {"127.0.0.1", "::1"}


def parsed(*argv: str) -> argparse.Namespace:
    return build_parser(argv[0]).parse_args(list(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ("serve",),
        ("relay", "--config", "instance.json"),
        ("listen",),
    ],
)
def test_every_server_defaults_to_loopback(argv: tuple[str, ...]) -> None:
    assert parsed(*argv).host == "127.0.0.1"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("shop.example", False),
    ],
)
def test_loopback_rule(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


async def test_serve_listen_and_relay_processes_bind_loopback_only(tmp_path: Path) -> None:
    serve = await start_woosim(tmp_path, "serve", "--port", "0", lines=4, name="serve")
    listen = await start_woosim(tmp_path, "listen", "--port", "0", name="listen")
    try:
        values = dict(line.split("=", 1) for line in serve.lines)
        assert "control_token" not in values  # loopback: no token printed, none needed
        serve_port = int(values["site_url"].rsplit(":", 1)[1])
        listen_port = int(listen.lines[0].split(":")[2].split("/")[0])
        if not Path("/proc/net/tcp").exists():
            pytest.skip("no /proc/net/tcp to read bound addresses from")
        for port in (serve_port, listen_port):
            bound = listening_addresses(port)
            assert bound and bound <= LOOPBACK, f"port {port} bound to {bound}"

        # woosim relay (polling): its status server on the default host.
        fixture = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
        data = json.loads((fixture / "recommended-polling.json").read_text(encoding="utf-8"))
        data["configuration"]["store.url"] = values["site_url"]
        data["configuration"]["event.notification.callback.url"] = listen.lines[0]
        (tmp_path / "instance.json").write_text(json.dumps(data), encoding="utf-8")
        relay = await start_woosim(
            tmp_path, "relay", "--config", str(tmp_path / "instance.json"), name="relay"
        )
        try:
            relay_port = int(relay.lines[0].rsplit(":", 1)[1])
            assert listening_addresses(relay_port) <= LOOPBACK
            assert listening_addresses(relay_port)
        finally:
            assert relay.terminate() == 0

        async with httpx.AsyncClient(base_url=values["site_url"]) as client:
            assert (await client.get("/_woosim/settings")).status_code == 200
    finally:
        serve.terminate()
        listen.terminate()


async def test_serve_with_a_control_token_guards_the_control_plane(tmp_path: Path) -> None:
    # A store bound beyond loopback gets a token automatically (see the unit test below);
    # the tests never bind beyond loopback, so the token is given explicitly here and the
    # same middleware guards the same routes.
    given = secrets.token_urlsafe(24)
    serve = await start_woosim(
        # One argument: a token may start with "-", which argparse would take for an option.
        tmp_path,
        "serve",
        "--port",
        "0",
        f"--control-token={given}",
        lines=5,
        name="serve",
    )
    try:
        values = dict(line.split("=", 1) for line in serve.lines)
        token = values["control_token"]
        assert token == given
        site = values["site_url"]
        assert site.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=site) as client:
            for method, path in [
                ("GET", "/_woosim/settings"),
                ("GET", "/_woosim/clock"),
                ("POST", "/_woosim/reset"),
                ("GET", "/_woosim/"),
                ("GET", "/_woosim/faults"),
                ("GET", "/_woosim/deliveries"),
            ]:
                refused = await client.request(method, path)
                assert refused.status_code == 401, (method, path)
                assert refused.json()["code"] == "woosim_control_token"
                assert refused.headers["WWW-Authenticate"].startswith("Bearer")
                assert token not in refused.text
            wrong = await client.get("/_woosim/clock", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and "wrong" in wrong.json()["message"]
            bearer = await client.get(
                "/_woosim/clock", headers={"Authorization": f"Bearer {token}"}
            )
            assert bearer.status_code == 200 and "now" in bearer.json()
            # The REST API keeps its own authentication (consumer keys), no token.
            api = await client.get(
                "/wp-json/wc/v3/customers",
                auth=(values["consumer_key"], values["consumer_secret"]),
            )
            assert api.status_code == 200
        async with httpx.AsyncClient(base_url=site) as browser:
            page = await browser.get("/_woosim/", params={"token": token})
            assert page.status_code == 200
            # The cookie lets the inspector page's own fetches through.
            assert browser.cookies.get(TOKEN_COOKIE) == token
            assert (await browser.get("/_woosim/settings")).status_code == 200
    finally:
        assert serve.terminate() == 0
    listening = serve.stdout()
    assert listening.count(token) == 1  # printed once, for the user who started it


@pytest.mark.parametrize(
    ("host", "guarded"),
    [("0.0.0.0", True), ("::", True), ("192.0.2.10", True), ("127.0.0.1", False), ("::1", False)],
)
def test_binding_beyond_loopback_gives_the_store_a_control_token(host: str, guarded: bool) -> None:
    sim = Simulator()
    guard_control_plane(sim, host)
    assert (sim.control_token is not None) is guarded
    if guarded:
        assert sim.control_token is not None and len(sim.control_token) >= 24


async def test_in_process_store_with_a_token_needs_it_via_loopback() -> None:
    sim = Simulator()
    sim.control_token = secrets.token_urlsafe(24)
    server = SimulatorServer(sim)
    await server.start("127.0.0.1", 0)
    try:
        token = sim.control_token
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/_woosim/settings")).status_code == 401
            assert (await client.get("/_woosim/settings?token=" + token)).status_code == 200
            # A path that only looks like the control plane is not guarded (and is a 404).
            assert (await client.get("/_woosimx")).status_code == 404
    finally:
        await server.stop()


async def test_loopback_store_needs_no_token() -> None:
    server = SimulatorServer(Simulator())
    await server.start("127.0.0.1", 0)
    try:
        assert server.sim.control_token is None
        async with httpx.AsyncClient(base_url=server.site_url) as client:
            assert (await client.get("/_woosim/settings")).status_code == 200
    finally:
        await server.stop()


async def test_explicit_control_token_applies_on_loopback_too(tmp_path: Path) -> None:
    serve = await start_woosim(
        tmp_path, "serve", "--port", "0", "--control-token", "my-ci-token", lines=5, name="s"
    )
    try:
        values = dict(line.split("=", 1) for line in serve.lines)
        assert values["control_token"] == "my-ci-token"
        async with httpx.AsyncClient(base_url=values["site_url"]) as client:
            assert (await client.get("/_woosim/clock")).status_code == 401
            ok = await client.get("/_woosim/clock", headers={"Authorization": "Bearer my-ci-token"})
            assert ok.status_code == 200
    finally:
        serve.terminate()
