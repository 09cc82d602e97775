"""The store's clock, across processes: ``woosim relay --store-clock SITE_URL``.

The relay keeps its own :class:`~simulator.clock.Clock` (polls and retries sleep
on it) and makes it follow the store's, read from the control plane
(``GET {site}/_woosim/clock``) every :data:`FOLLOW_INTERVAL` real seconds:

* the store moved forward (``POST /_woosim/clock {"advance": 900}``): the relay's
  clock is advanced by as much, *stepping* through its sleepers in order, so a
  15-minute poller polls once per interval crossed, each run at its own instant;
* the store froze or unfroze: so does the relay's clock;
* the store moved back (``set`` to an earlier instant): the relay's clock jumps
  back without waking anyone.

Polling the clock route (rather than a long poll) keeps the control plane as it
is; at 5 requests a second on loopback it costs the store nothing measurable.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from simulator.clock import Clock

log = logging.getLogger("woosim.relay.clock")

#: Real seconds between two reads of the store's clock.
FOLLOW_INTERVAL: Final = 0.2
#: Differences smaller than this (seconds) are the two processes' reading delay.
TOLERANCE: Final = 1.0
CLOCK_PATH: Final = "/_woosim/clock"


class StoreClockError(Exception):
    """The store's clock could not be read."""


class StoreClockFollower:
    """Keeps a local clock on the store's time."""

    def __init__(
        self,
        site_url: str,
        *,
        token: str | None = None,
        interval: float = FOLLOW_INTERVAL,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = site_url.rstrip("/") + CLOCK_PATH
        self.interval = interval
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.AsyncClient(headers=headers, timeout=10)
        self._owns_client = client is None
        self.clock: Clock | None = None
        self.steps = 0  # forward moves applied

    async def read(self) -> tuple[float, bool]:
        """The store's clock: (timestamp, frozen)."""
        try:
            response = await self._client.get(self.url)
        except httpx.HTTPError as exc:
            raise StoreClockError(f"cannot read {self.url}: {exc}") from None
        if response.status_code != 200:
            raise StoreClockError(f"{self.url} answered HTTP {response.status_code}")
        try:
            state: Any = response.json()
            return float(state["timestamp"]), bool(state["frozen"])
        except (ValueError, KeyError, TypeError):
            raise StoreClockError(f"{self.url} did not answer a clock state") from None

    async def start_clock(self) -> Clock:
        """A local clock at the store's instant, frozen if the store's is."""
        timestamp, frozen = await self.read()
        self.clock = Clock(datetime.fromtimestamp(timestamp, UTC), frozen=frozen)
        return self.clock

    async def sync_once(self) -> None:
        assert self.clock is not None, "start_clock() first"
        clock = self.clock
        timestamp, frozen = await self.read()
        if frozen and not clock.frozen:
            clock.freeze()
        delta = timestamp - clock.timestamp()
        if delta > TOLERANCE or (frozen and delta > 0):
            self.steps += 1
            await clock.advance_async(delta)  # wakes due sleepers in order, one step each
        elif delta < -TOLERANCE:
            clock.set(datetime.fromtimestamp(timestamp, UTC), step=False)
        if not frozen and clock.frozen:
            clock.unfreeze()

    async def run(self) -> None:
        """Follow until cancelled; a store that cannot be read is retried, logged once."""
        failing = False
        while True:
            try:
                await self.sync_once()
            except StoreClockError as exc:
                if not failing:
                    log.warning("store clock unavailable (retrying): %s", exc)
                failing = True
            else:
                if failing:
                    log.info("store clock readable again")
                failing = False
            await asyncio.sleep(self.interval)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


__all__ = ["FOLLOW_INTERVAL", "StoreClockError", "StoreClockFollower"]
