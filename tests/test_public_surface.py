"""Every import path and name the README and docs give users keeps working."""

from __future__ import annotations

import importlib
import importlib.metadata

import pytest

DOCUMENTED = [
    ("pytest_woosim.javadate", "DateCodec"),
    ("pytest_woosim.javadate", "SimpleDateFormat"),
    ("pytest_woosim.configload", "load_instance"),
    ("pytest_woosim.configload", "warnings_for"),
    ("pytest_woosim.config", "ConfigError"),
    ("pytest_woosim.config", "InstanceConfig"),
    ("pytest_woosim.placeholders", "expand_url"),
    ("pytest_woosim.signing", "CE_SIGNATURE_HEADER"),
    ("pytest_woosim.signing", "sign_elements"),
    ("simulator", "Clock"),
    ("simulator.clock", "Clock"),
    ("pytest_woosim.cli", "main"),
]

FIXTURES = [
    "woosim",
    "woosim_clock",
    "woosim_receiver",
    "woosim_instance",
    "woosim_poller",
    "woosim_relay",
    "woosim_options",
    "woosim_server",
]


@pytest.mark.parametrize(("module", "name"), DOCUMENTED)
def test_a_documented_name_imports(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_public_paths_are_the_same_objects_as_their_homes() -> None:
    from pytest_woosim.instance.javadate import DateCodec
    from pytest_woosim.javadate import DateCodec as PublicDateCodec
    from simulator import Clock
    from simulator.clock import Clock as ClockHome

    assert PublicDateCodec is DateCodec
    assert Clock is ClockHome


def test_the_entry_points_name_the_plugin_and_the_console_script() -> None:
    entry_points = importlib.metadata.distribution("pytest-woosim").entry_points
    found = {(entry.group, entry.name): entry.value for entry in entry_points}
    assert found[("pytest11", "woosim")] == "pytest_woosim.plugin"
    assert found[("console_scripts", "woosim")] == "pytest_woosim.cli:main"


@pytest.mark.parametrize("name", FIXTURES)
def test_a_documented_fixture_is_defined_by_the_plugin(name: str) -> None:
    plugin = importlib.import_module("pytest_woosim.plugin")
    assert callable(getattr(plugin, name))
