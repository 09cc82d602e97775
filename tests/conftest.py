"""Shared fixtures: in-process fake stores on loopback port 0 with a frozen clock, a
webhook receiver. What test modules import by name is in ``helpers.py``."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from helpers import START, LiveStore, StoreFactory, start_store
from webhook_helpers import Receiver

from pytest_woosim.harness.pgcluster import Cluster, ClusterUnavailable
from simulator.answers import MISMATCHES, VERIFY_ENV
from simulator.clock import Clock

# Every kept REST answer served in these tests (in this process and in the stores it
# starts as child processes) is also made fresh and compared: a change that some path
# forgets to count answers 500 and fails the test that read it (simulator.answers).
os.environ.setdefault(VERIFY_ENV, "1")


@pytest.fixture(autouse=True)
def _kept_answers_verified() -> Iterator[None]:
    """No kept answer served during the test differed from a fresh one."""
    seen = len(MISMATCHES)
    yield
    assert MISMATCHES[seen:] == [], "a kept REST answer was stale (see simulator.answers)"


@pytest.fixture
async def make_store() -> AsyncIterator[StoreFactory]:
    """Start stores on demand: ``await make_store(timezone="America/New_York")``.

    Every store is checked on teardown: no request may have produced a 500.
    """
    started: list[LiveStore] = []

    async def factory(**options: Any) -> LiveStore:
        live = await start_store(**options)
        started.append(live)
        return live

    yield factory
    for live in started:
        await live.close()


@pytest.fixture
async def store(make_store: StoreFactory) -> LiveStore:
    """A UTC store, clock frozen at START."""
    return await make_store()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver on a loopback port (modules with their own ``receiver`` override it)."""
    rx = await Receiver().start()
    yield rx
    await rx.stop()


@pytest.fixture
def clock() -> Clock:
    """A clock frozen at START."""
    return Clock(START, frozen=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the parity figures (``parity: N/M checks match``) the parity tests leave."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "parity" and report.when == "call":
                    terminalreporter.write_line(str(value))


# ---------------------------------------------------------------------- PostgreSQL
# Tests of the PostgreSQL engine start their own throwaway cluster (one per test
# session and xdist worker). Without PostgreSQL binaries they skip, except where
# WOOSIM_REQUIRE_POSTGRES=1 (set by .ci/run): there a missing PostgreSQL fails.


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        cluster = Cluster().start()
    except ClusterUnavailable as exc:
        if os.environ.get("WOOSIM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (WOOSIM_REQUIRE_POSTGRES=1): {exc}")
        pytest.skip(f"no PostgreSQL to test against: {exc}")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A URL to a fresh, empty schema of the session's cluster."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    return pg_cluster.url_for_schema(schema)
