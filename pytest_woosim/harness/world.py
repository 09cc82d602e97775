"""A whole world for end-to-end runs: a fresh store, a receiver, pollers and relays on one clock.

The built-in checks, the fixtures' runners, the end-to-end tests and the
benchmarks all need the same pieces wired the same way: a store served on
loopback, a callback receiver, an API client, and the reference components
started against them with their state. They are built here once.

* :func:`start_polling` / :func:`start_relaying` start a poller (after its first
  run) or a relay (webhooks registered) on the running loop; :func:`stop_polling`
  / :func:`stop_relaying` stop one and close its state.
* :func:`open_world` yields a :class:`World`: store, server, receiver and API
  client on a frozen clock, which closes every component started through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.config import InstanceConfig
from pytest_woosim.outbox.state import State
from pytest_woosim.poller.poller import Poller
from pytest_woosim.relay.reconcile import reconciler_for
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.settings import Settings

T = TypeVar("T")

#: Real seconds a component gets to start.
START_TIMEOUT = 30.0

# ---------------------------------------------------------------------- components


async def start_polling(
    config: InstanceConfig, clock: Clock, *, state: State | None = None, **options: Any
) -> Poller:
    """A poller for ``config`` in the background; it has polled once when this returns.

    ``state`` defaults to one in memory; ``options`` go to :meth:`Poller.from_config`.
    """
    state = State(None, clock=clock) if state is None else state
    options.setdefault("created_at", clock.now())
    poller = Poller.from_config(config, state=state, clock=clock, **options)
    await poller.start_background()
    # The first run starts at once; wait for it so the caller starts from a known watermark.
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not poller.reports:
                await asyncio.sleep(0.002)
    except TimeoutError:
        await stop_polling(poller)
        raise TimeoutError("the poller's first run did not finish") from None
    return poller


async def stop_polling(poller: Poller) -> None:
    try:
        await poller.stop()
    finally:
        await poller.state.close()


async def start_relaying(
    config: InstanceConfig,
    clock: Clock,
    *,
    state: State | None = None,
    options: RelayOptions | None = None,
    reconcile: bool = False,
) -> WebhookRelay:
    """A started relay for ``config``: listening, its webhooks registered on the store."""
    state = State(None, clock=clock) if state is None else state
    reconciler = reconciler_for(config, state=state, clock=clock) if reconcile else None
    relay = WebhookRelay.from_config(
        config, state=state, clock=clock, options=options or RelayOptions(), reconciler=reconciler
    )
    try:
        await relay.start()
    except BaseException:
        await state.close()
        raise
    return relay


async def stop_relaying(relay: WebhookRelay) -> None:
    try:
        await relay.stop()
    finally:
        await relay.state.close()


async def drive(clock: Clock, job: Awaitable[T], timeout: float = 20.0) -> T:
    """Run ``job`` while moving ``clock`` to each sleeper's deadline (retries, backoffs)."""
    task = asyncio.ensure_future(job)
    async with asyncio.timeout(timeout):
        while not task.done():
            deadline = clock.next_deadline()
            if deadline is None:
                await asyncio.sleep(0.002)
                continue
            await clock.advance_async(max(0.0, (deadline - clock.now()).total_seconds()))
            await asyncio.sleep(0)
    return task.result()


# ---------------------------------------------------------------------- the world


@dataclass
class World:
    """A fresh store and receiver on one clock, and the components started in it."""

    clock: Clock
    sim: Simulator
    server: SimulatorServer
    receiver: Receiver
    api: httpx.AsyncClient
    #: Where :meth:`state` keeps its files; ``None`` keeps state in memory.
    state_dir: Path | None = None
    pollers: list[Poller] = field(default_factory=list)
    relays: list[WebhookRelay] = field(default_factory=list)

    def aim(self, instance: InstanceConfig, **overrides: Any) -> InstanceConfig:
        """The instance pointed at this store and receiver, events on."""
        return instance.repointed(
            store_url=self.server.site_url,
            callback_url=self.receiver.url,
            api_key=self.server.consumer_key,
            api_secret=self.server.consumer_secret,
            events_enabled=True,
            **overrides,
        )

    def state(self, name: str = "state.sqlite3") -> State:
        """A state on this world's clock: the file ``name`` in :attr:`state_dir`, or in memory."""
        return State(None if self.state_dir is None else self.state_dir / name, clock=self.clock)

    # ------------------------------------------------------------------ components
    def new_poller(
        self, config: InstanceConfig, *, state_file: str = "state.sqlite3", **options: Any
    ) -> Poller:
        """A poller not yet started (the caller drives it), with its state (see :meth:`state`)."""
        poller = Poller.from_config(
            config, state=self.state(state_file), clock=self.clock, **options
        )
        self.pollers.append(poller)
        return poller

    async def start_poller(self, config: InstanceConfig, **options: Any) -> Poller:
        """:func:`start_polling` in this world (stopped by :meth:`close`)."""
        poller = await start_polling(config, self.clock, **options)
        self.pollers.append(poller)
        return poller

    async def stop_poller(self, poller: Poller) -> None:
        self.pollers.remove(poller)
        await stop_polling(poller)

    async def start_relay(self, config: InstanceConfig, **options: Any) -> WebhookRelay:
        """:func:`start_relaying` in this world (stopped by :meth:`close`)."""
        relay = await start_relaying(config, self.clock, **options)
        self.relays.append(relay)
        return relay

    async def stop_relay(self, relay: WebhookRelay) -> None:
        self.relays.remove(relay)
        await stop_relaying(relay)

    async def close(self) -> None:
        """Stop every poller and relay started through this world."""
        while self.pollers:
            await stop_polling(self.pollers.pop())
        while self.relays:
            await stop_relaying(self.relays.pop())

    # ------------------------------------------------------------------ the store
    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.api.request(method, path, **kwargs)
        if not response.is_success:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code}: {response.text}")
        record: dict[str, Any] = response.json()
        return record

    async def create(self, endpoint: str, label: str) -> dict[str, Any]:
        """A new customer, order or product named or noted with ``label``."""
        bodies = {
            "customers": {"email": f"{label}@example.com", "first_name": label},
            "orders": {"customer_note": label},
            "products": {"name": label, "regular_price": "9.50"},
        }
        return await self.call("POST", endpoint, json=bodies[endpoint])

    async def change(self, endpoint: str, record_id: int, label: str) -> dict[str, Any]:
        """Rename (or re-note) a record to ``label``."""
        bodies = {
            "customers": {"first_name": label},
            "orders": {"customer_note": label},
            "products": {"name": label},
        }
        return await self.call("PUT", f"{endpoint}/{record_id}", json=bodies[endpoint])

    async def fault(self, **spec: Any) -> dict[str, Any]:
        """Inject a fault (``POST /_woosim/faults``)."""
        return await self.call("POST", self.server.site_url + "/_woosim/faults", json=spec)

    # ------------------------------------------------------------------ the clock
    async def move_to(self, instant: datetime) -> None:
        await self.clock.advance_async((instant - self.clock.now()).total_seconds())

    async def drive(self, job: Awaitable[T], timeout: float = 20.0) -> T:
        """:func:`drive` on this world's clock."""
        return await drive(self.clock, job, timeout)


@asynccontextmanager
async def open_world(
    *,
    start: datetime,
    timezone: str = "UTC",
    seed: str | int = 0,
    key: str | None = None,
    state_dir: Path | None = None,
    keep_records: bool = True,
) -> AsyncIterator[World]:
    """A :class:`World` on a clock frozen at ``start``; everything in it is closed on exit.

    ``key`` is the signature key the receiver verifies with (``None``: no checks).
    """
    clock = Clock(start, frozen=True)
    sim = Simulator(Settings(timezone=timezone), clock=clock, seed=seed)
    server = SimulatorServer(sim)
    await server.start("127.0.0.1", 0)
    receiver = Receiver(key, clock=clock, keep_records=keep_records)
    try:
        await receiver.start()
        async with httpx.AsyncClient(
            base_url=server.api_url + "/",
            auth=(server.consumer_key, server.consumer_secret),
            timeout=30,
        ) as api:
            world = World(clock, sim, server, receiver, api, state_dir)
            try:
                yield world
            finally:
                await world.close()
    finally:
        await receiver.stop()
        await server.stop()


__all__ = [
    "World",
    "drive",
    "open_world",
    "start_polling",
    "start_relaying",
    "stop_polling",
    "stop_relaying",
]
