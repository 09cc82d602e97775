"""Shared helpers: in-process fake stores on loopback port 0, with a frozen clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from pytest_woosim.pgcluster import Cluster, ClusterUnavailable
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.settings import Settings

#: A fixed "now" for stores under test (a Sunday morning, UTC).
START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)


@dataclass
class LiveStore:
    sim: Simulator
    server: SimulatorServer
    client: httpx.AsyncClient  # Basic auth, base_url = API root + "/"
    anon: httpx.AsyncClient  # no credentials

    @property
    def clock(self) -> Clock:
        return self.sim.clock

    @property
    def api_url(self) -> str:
        return self.server.api_url


StoreFactory = Callable[..., Awaitable[LiveStore]]


@pytest.fixture
async def make_store() -> AsyncIterator[StoreFactory]:
    """Start stores on demand: ``await make_store(timezone="America/New_York")``.

    Every store is checked on teardown: no request may have produced a 500.
    """
    started: list[LiveStore] = []

    async def factory(
        *,
        timezone: str = "UTC",
        start: datetime = START,
        frozen: bool = True,
        https_auth: bool = True,
        seed: str | int = 0,
    ) -> LiveStore:
        sim = Simulator(
            Settings(timezone=timezone, https_auth=https_auth),
            clock=Clock(start, frozen=frozen),
            seed=seed,
        )
        server = SimulatorServer(sim)
        await server.start("127.0.0.1", 0)
        key = sim.keys.default
        client = httpx.AsyncClient(
            base_url=server.api_url + "/", auth=(key.consumer_key, key.consumer_secret), timeout=30
        )
        anon = httpx.AsyncClient(base_url=server.api_url + "/", timeout=30)
        live = LiveStore(sim, server, client, anon)
        started.append(live)
        return live

    yield factory
    for live in started:
        await live.client.aclose()
        await live.anon.aclose()
        await live.server.stop()
        assert live.sim.internal_errors == [], (
            f"requests that produced a 500: {live.sim.internal_errors}"
        )


@pytest.fixture
async def store(make_store: StoreFactory) -> LiveStore:
    """A UTC store, clock frozen at START."""
    return await make_store()


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
