"""pytest wiring only: options, the marker, fixtures. Behaviour lives elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_woosim.handle import WoosimHandle
from simulator.app import Simulator
from simulator.server import SimulatorServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("woosim", "fake WooCommerce store")
    group.addoption(
        "--woosim",
        action="store_true",
        default=False,
        help="enable the woosim fixtures and run tests marked @pytest.mark.woosim",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "woosim(seed=None, timezone=None, customers=0, orders=0, start=None): "
        "a test that needs the fake WooCommerce store (run with --woosim)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--woosim"):
        return
    skip = pytest.mark.skip(reason="needs the fake WooCommerce store: run pytest with --woosim")
    for item in items:
        if item.get_closest_marker("woosim") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def woosim_server() -> Iterator[SimulatorServer]:
    """One fake store per test session (per xdist worker), on a free loopback port."""
    server = SimulatorServer(Simulator())
    server.start_in_thread("127.0.0.1", 0)
    try:
        yield server
    finally:
        server.stop_in_thread()


@pytest.fixture
def woosim(woosim_server: SimulatorServer) -> Iterator[WoosimHandle]:
    """The store, emptied (and its clock back to real time) before the test."""
    handle = WoosimHandle(woosim_server)
    handle.reset()
    try:
        yield handle
    finally:
        handle.close()
