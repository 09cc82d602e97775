"""pytest wiring only: options, the marker, fixtures and the check items. Behaviour lives elsewhere.

Layers (as pytest-httpserver does it): session-scoped servers (one store and one
receiver per session, i.e. per xdist worker, on free loopback ports),
function-scoped handles that reset state BEFORE each test, and small
configuration fixtures (``woosim_options``) users may override.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

# The engines (aiohttp, httpx, the store) are imported by the fixtures that use
# them, so that a pytest run without --woosim does not pay for them.
if TYPE_CHECKING:
    from pytest_woosim.harness.clock import ClockControl
    from pytest_woosim.harness.instances import InstanceFactory
    from pytest_woosim.harness.runners import PollerHandle, ReceiverHandle, RelayHandle
    from pytest_woosim.harness.store import (
        SessionClients,
        SessionParts,
        StoreBackend,
        StoreOptions,
        WoosimHandle,
    )
    from pytest_woosim.harness.webhook_receiver import WebhookReceiver
    from pytest_woosim.instance.config import InstanceConfig
    from simulator.server import SimulatorServer

#: Option (without the leading dashes) -> help; each is also an ini key (dashes as underscores).
OPTIONS = {
    "woosim-seed": "seed of the store's API keys and generated data (default 0)",
    "woosim-timezone": "the store's time zone, an IANA name (default UTC)",
    "woosim-url": "use the woosim store already running at this URL instead of starting one",
    "woosim-consumer-key": "consumer key of the store at --woosim-url (default: derived)",
    "woosim-consumer-secret": "consumer secret of the store at --woosim-url (default: derived)",
    "woosim-control-token": "control token of the store at --woosim-url, when it printed one",
    "woosim-instance": "run the built-in end-to-end checks against this instance configuration",
}
SKIP_REASON = "needs the fake WooCommerce store: run pytest with --woosim"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("woosim", "fake WooCommerce store")
    group.addoption(
        "--woosim",
        action="store_true",
        default=False,
        help="enable the woosim fixtures and run tests marked @pytest.mark.woosim",
    )
    for name, text in OPTIONS.items():
        group.addoption(f"--{name}", default=None, help=text)
        parser.addini(name.replace("-", "_"), text, default=None)


def setting(config: pytest.Config, name: str) -> str | None:
    """An option's value: the command line, else the ini file, else None."""
    value = config.getoption(name.replace("-", "_"))
    if value is None:
        value = config.getini(name.replace("-", "_"))
    return str(value) if value else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "woosim(seed=None, timezone=None, customers=0, orders=0, products=0, start=None): "
        "a test that needs the fake WooCommerce store (run with --woosim)",
    )
    timezone = setting(config, "woosim-timezone")
    if timezone is not None:
        from pytest_woosim.harness.store import check_timezone

        try:
            check_timezone(timezone, "--woosim-timezone")
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    if setting(config, "woosim-instance") and not config.getoption("woosim"):
        raise pytest.UsageError("--woosim-instance runs the woosim checks: add --woosim")
    if config.getoption("woosim_instance") is not None:
        from pytest_woosim.harness.rootdir import check_rootdir

        check_rootdir(config)


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` woosim tests on a loop of their own (no async plugin needed)."""
    from pytest_woosim.harness.async_tests import run_async_test

    return True if run_async_test(pyfuncitem) else None


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so it applies to the checks too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("woosim"):
        skip = pytest.mark.skip(reason=SKIP_REASON)
        for item in items:
            if item.get_closest_marker("woosim") is not None:
                item.add_marker(skip)
        return
    instance = setting(config, "woosim-instance")
    if instance is not None:
        from pytest_woosim.harness.checks import collect_checks

        items.extend(
            collect_checks(
                session,
                instance,
                timezone=setting(config, "woosim-timezone") or "UTC",
                seed=setting(config, "woosim-seed") or "0",
            )
        )


def _require_enabled(config: pytest.Config) -> None:
    if not config.getoption("woosim"):
        pytest.skip(SKIP_REASON)


# ---------------------------------------------------------------------- session


@pytest.fixture(scope="session")
def woosim_options(pytestconfig: pytest.Config) -> StoreOptions:
    """Session defaults for every test's store (override to change them in a conftest)."""
    from pytest_woosim.harness.store import StoreOptions

    return StoreOptions(
        seed=setting(pytestconfig, "woosim-seed") or "0",
        timezone=setting(pytestconfig, "woosim-timezone") or "UTC",
    )


@pytest.fixture(scope="session")
def woosim_server(woosim_options: StoreOptions) -> Iterator[SimulatorServer]:
    """One fake store per test session (per xdist worker), on a free loopback port."""
    from simulator.app import Simulator
    from simulator.server import SimulatorServer
    from simulator.settings import Settings

    sim = Simulator(Settings(timezone=woosim_options.timezone), seed=woosim_options.seed)
    server = SimulatorServer(sim)
    server.start_in_thread("127.0.0.1", 0)
    try:
        yield server
    finally:
        server.stop_in_thread()


@pytest.fixture(scope="session")
def woosim_backend(
    pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> Iterator[StoreBackend]:
    """Where the store runs: started here, or the one at ``--woosim-url``."""
    _require_enabled(pytestconfig)
    url = setting(pytestconfig, "woosim-url")
    backend: StoreBackend
    if url is None:
        from pytest_woosim.harness.store import LocalStore

        backend = LocalStore(request.getfixturevalue("woosim_server"))
    else:
        from pytest_woosim.harness.remote_store import RemoteStore, RemoteStoreError

        try:
            backend = RemoteStore(
                url,
                consumer_key=setting(pytestconfig, "woosim-consumer-key"),
                consumer_secret=setting(pytestconfig, "woosim-consumer-secret"),
                control_token=setting(pytestconfig, "woosim-control-token"),
            )
        except RemoteStoreError as exc:
            pytest.fail(str(exc), pytrace=False)
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(scope="session")
def woosim_clock_control(woosim_backend: StoreBackend) -> ClockControl:
    from pytest_woosim.harness.clock import ClockControl

    return ClockControl(woosim_backend)


@pytest.fixture(scope="session")
def woosim_receiver_handle(woosim_backend: StoreBackend) -> Iterator[ReceiverHandle]:
    """One callback receiver per session, with a key of its own; cleared before each test."""
    from pytest_woosim.harness.runners import ReceiverHandle, start_receiver

    key = secrets.token_urlsafe(24)
    receiver = start_receiver(key, woosim_backend.clock)
    try:
        yield ReceiverHandle(receiver, key)
    finally:
        receiver.stop_in_thread()


@pytest.fixture(scope="session")
def woosim_webhook_server(woosim_backend: StoreBackend) -> Iterator[WebhookReceiver]:
    """One WooCommerce webhook receiver per session; cleared before each test."""
    from pytest_woosim.harness.webhook_receiver import WebhookReceiver, store_secrets

    server = getattr(woosim_backend, "server", None)
    # Secrets are write-only over REST: only an in-process store can tell them.
    lookup = store_secrets(server.sim) if server is not None else None
    receiver = WebhookReceiver(secret_for=lookup, clock=woosim_backend.clock)
    receiver.start_in_thread()
    try:
        yield receiver
    finally:
        receiver.stop_in_thread()


# ---------------------------------------------------------------------- per test


def marker_options(request: pytest.FixtureRequest, defaults: StoreOptions) -> StoreOptions:
    """The session defaults with this test's ``@pytest.mark.woosim(...)`` applied.

    A function, not a fixture: a fixture's set-up and tear-down are a measurable
    part of every woosim test's overhead.
    """
    marker = request.node.get_closest_marker("woosim")
    if marker is None:
        return defaults
    try:
        return defaults.with_marker(marker.args, marker.kwargs)
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def woosim_clients(woosim_backend: StoreBackend) -> Iterator[SessionClients]:
    """The ``woosim`` handle's HTTP clients, kept alive for the session."""
    from pytest_woosim.harness.store import SessionClients

    clients = SessionClients(woosim_backend)
    try:
        yield clients
    finally:
        clients.close()


@pytest.fixture(scope="session")
def woosim_session_parts(request: pytest.FixtureRequest) -> SessionParts:
    """The backend, clock and clients that ``woosim`` and ``woosim_clock`` use.

    Fetched by name rather than declared as arguments: pytest looks up every
    fixture of a test's closure again before each test, so one declared session
    fixture here instead of four is a measurable part of each woosim test's cost.
    """
    from pytest_woosim.harness.store import SessionParts

    return SessionParts(
        backend=request.getfixturevalue("woosim_backend"),
        clock=request.getfixturevalue("woosim_clock_control"),
        clients=request.getfixturevalue("woosim_clients"),
    )


@pytest.fixture
def woosim_clock(
    request: pytest.FixtureRequest,
    woosim_options: StoreOptions,
    woosim_session_parts: SessionParts,
) -> Iterator[ClockControl]:
    """The shared clock: running real time, or frozen at the marker's ``start``."""
    clock = woosim_session_parts.clock
    with clock.for_test(request.node, marker_options(request, woosim_options).start):
        yield clock


@pytest.fixture
def woosim(
    request: pytest.FixtureRequest,
    woosim_options: StoreOptions,
    woosim_session_parts: SessionParts,
) -> Iterator[WoosimHandle]:
    """The store, emptied before the test (zone and data as the marker says).

    It sets the clock up itself (as ``woosim_clock`` does, whichever comes first)
    rather than through that fixture: one fixture less to set up per test.
    """
    from pytest_woosim.harness.store import WoosimHandle

    options = marker_options(request, woosim_options)
    parts = woosim_session_parts
    # The clock first, so that the marker's data is dated up to the test's "now".
    with parts.clock.for_test(request.node, options.start):
        handle = WoosimHandle(parts.backend, parts.clock, parts.clients)
        handle.reset(options)
        try:
            yield handle
        finally:
            handle.close()


@pytest.fixture
def woosim_receiver(woosim_receiver_handle: ReceiverHandle) -> ReceiverHandle:
    """A callback receiver that verifies signatures; cleared before the test."""
    woosim_receiver_handle.reset()
    return woosim_receiver_handle


@pytest.fixture
def woosim_webhook_receiver(
    woosim_webhook_server: WebhookReceiver, woosim: WoosimHandle
) -> WebhookReceiver:
    """A stand-in for your WooCommerce webhook handler: verifies X-WC-Webhook-Signature."""
    woosim_webhook_server.clear()
    return woosim_webhook_server


@pytest.fixture
def woosim_instance(woosim: WoosimHandle, woosim_receiver: ReceiverHandle) -> InstanceFactory:
    """``woosim_instance(vendor=..., resources=[...], ...)`` or ``.load(path)``."""
    from pytest_woosim.harness.instances import InstanceFactory

    return InstanceFactory(woosim, woosim_receiver)


@pytest.fixture
def woosim_poller(
    woosim_backend: StoreBackend, woosim: WoosimHandle
) -> Iterator[Callable[[InstanceConfig], PollerHandle]]:
    """``woosim_poller(instance)``: a running reference poller, stopped after the test."""
    from pytest_woosim.harness.runners import start_poller

    started: list[PollerHandle] = []

    def start(instance: InstanceConfig) -> PollerHandle:
        handle = start_poller(woosim_backend, instance)
        started.append(handle)
        return handle

    yield start
    for handle in reversed(started):
        handle.stop()


@pytest.fixture
def woosim_relay(
    woosim_backend: StoreBackend, woosim: WoosimHandle
) -> Iterator[Callable[[InstanceConfig], RelayHandle]]:
    """``woosim_relay(instance)``: a running reference webhook relay, stopped after the test."""
    from pytest_woosim.harness.runners import start_relay

    started: list[RelayHandle] = []

    def start(instance: InstanceConfig) -> RelayHandle:
        handle = start_relay(woosim_backend, instance)
        started.append(handle)
        return handle

    yield start
    for handle in reversed(started):
        handle.stop()
