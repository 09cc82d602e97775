"""Helpers the test modules import: a live in-process store and the tests' fixed "now".

Fixtures live in ``conftest.py`` (pytest finds them there); anything a test module
imports by name lives here, so no test module imports from ``conftest``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

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

    async def close(self) -> None:
        """Stop the store; fails if any request made it answer 500."""
        await self.client.aclose()
        await self.anon.aclose()
        await self.server.stop()
        assert self.sim.internal_errors == [], (
            f"requests that produced a 500: {self.sim.internal_errors}"
        )


StoreFactory = Callable[..., Awaitable[LiveStore]]


async def start_store(
    *,
    timezone: str = "UTC",
    start: datetime = START,
    frozen: bool = True,
    https_auth: bool = True,
    seed: str | int = 0,
) -> LiveStore:
    """A store served on 127.0.0.1 (port 0), with an authenticated and an anonymous client."""
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
    return LiveStore(sim, server, client, anon)
