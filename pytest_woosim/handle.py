"""What the ``woosim`` fixture hands a test: one running fake store, reset, with a client."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.generate import generate
from simulator.server import SimulatorServer


class WoosimHandle:
    """A fake store served from its own thread; store changes run on the server's loop."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self._client: httpx.Client | None = None

    @property
    def sim(self) -> Simulator:
        return self.server.sim

    @property
    def clock(self) -> Clock:
        return self.server.sim.clock

    @property
    def site_url(self) -> str:
        return self.server.site_url

    @property
    def api_url(self) -> str:
        return self.server.api_url

    @property
    def consumer_key(self) -> str:
        return self.server.consumer_key

    @property
    def consumer_secret(self) -> str:
        return self.server.consumer_secret

    @property
    def client(self) -> httpx.Client:
        """``httpx.Client`` with Basic auth; ``woosim.client.get("orders")`` works."""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.api_url + "/",
                auth=(self.consumer_key, self.consumer_secret),
                timeout=30,
            )
        return self._client

    def reset(self) -> None:
        """Empty the store and put the clock back to real time, running."""

        def reset_all() -> None:
            clock = self.clock
            clock.unfreeze()
            clock.set(datetime.fromtimestamp(time.time(), UTC), step=False)
            self.sim.reset()

        self.server.call(reset_all)

    def generate(
        self,
        seed: str | int = 0,
        *,
        customers: int = 0,
        orders: int = 0,
        products: int = 0,
        days: int = 90,
    ) -> dict[str, int]:
        """Deterministic data, as ``POST /_woosim/generate`` makes it."""
        made = self.server.call(
            lambda: generate(
                self.sim.store,
                seed,
                customers=customers,
                orders=orders,
                products=products,
                days=days,
            )
        )
        summary: dict[str, int] = made.summary()
        return summary

    def call(self, function: Any, *args: Any) -> Any:
        """Run ``function(*args)`` on the server's loop (safe access to the store)."""
        return self.server.call(function, *args)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
