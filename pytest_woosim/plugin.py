"""pytest wiring only: options, the marker, fixtures. Behaviour lives elsewhere."""

from __future__ import annotations

import pytest


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
