"""Relay workers sharing PostgreSQL, under faults.

Three ``woosim relay`` processes run a polling instance and three run a webhook
instance (with ``--reconcile``), all on one PostgreSQL database; the store's webhooks
reach the webhook workers through a round-robin proxy (any worker may get any
delivery). While seeded changes flow, one worker is SIGKILLed at seeded moments and
restarted, and the database is restarted once (``immediate``: as a crash). In the end:

* lost 0: every object's latest version reached the callback;
* per-object order: along one delivery path (polled, or webhook bodies) an
  object's versions arrive in the order they were made;
* duplicates within the documented at-least-once bound (docs/relay.md).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import ClientError, ClientSession, web
from reliability_helpers import (
    Changes,
    WoosimProcess,
    received_versions,
    start_woosim,
    tally,
    wait_until,
)
from test_crash_relay import write_config

from pytest_woosim.harness.pgcluster import Cluster
from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.outbox.sender import DEFAULT_MAX_IN_FLIGHT
from simulator.app import Simulator
from simulator.server import SimulatorServer
from simulator.webhooks import WebhookService

KEY = "crash-signature-key"
WORKERS = 3
CHANGES, BATCH = 500, 50
LEASE = "2"  # seconds: a dead worker's polls and claims move on quickly
#: Events per notification at most (polling notifications carry up to 10).
EVENTS_PER_NOTIFICATION = 10


@pytest.fixture
async def live_store() -> AsyncIterator[tuple[Simulator, SimulatorServer, WebhookService]]:
    sim = Simulator()
    service = sim.webhooks
    server = SimulatorServer(sim)
    await server.start()
    await service.start()
    yield sim, server, service
    await service.close()
    await server.stop()
    assert sim.internal_errors == []


class RoundRobin:
    """A load balancer in front of the webhook workers: each request to the next live one."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._next = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        for _ in range(len(self.targets)):
            target = self.targets[next(self._next) % len(self.targets)]
            try:
                async with self._session.request(
                    request.method, target + request.path_qs, data=body, headers=headers
                ) as answer:
                    return web.Response(status=answer.status, body=await answer.read())
            except ClientError:
                continue  # a killed worker: the balancer tries the next
        return web.Response(status=502)


@pytest.fixture
async def balancer() -> AsyncIterator[RoundRobin]:
    proxy = RoundRobin()
    await proxy.start()
    yield proxy
    await proxy.stop()


def _order_breaks(receiver: Receiver) -> list[str]:
    """Objects whose versions arrived out of order along one path of one instance.

    The paths: the polling instance's polls, the webhook instance's webhook bodies and
    its reconciliation polls (each its own order; across them no order is promised).
    """
    last: dict[tuple[str, str, str, str], int] = {}
    breaks: list[str] = []
    for note in receiver.notifications:
        if not note.accepted or note.message is None:
            continue
        raw = note.message.get("raw")
        polled = isinstance(raw, dict) and "objectType" in raw and "instance_id" in raw
        path = "polled" if polled else "webhook"
        for event in note.events:
            object_type, object_id = event["objectType"], event["objectId"]
            records = raw.get(object_type) if polled else [raw]
            for record in records or []:
                if str(record.get("id")) != object_id:
                    continue
                field = "first_name" if object_type == "customers" else "customer_note"
                found = re.fullmatch(r"v(\d+)", str(record.get(field)))
                if found is None:
                    continue
                version = int(found.group(1))
                key = (str(note.message.get("instanceId")), path, object_type, object_id)
                if version < last.get(key, 0):
                    breaks.append(f"{key}: v{version} after v{last[key]}")
                last[key] = max(version, last.get(key, 0))
    return breaks


async def test_three_workers_per_instance_survive_kills_and_a_database_restart(
    live_store: tuple[Simulator, SimulatorServer, WebhookService],
    pg_cluster: Cluster,
    pg_url: str,
    balancer: RoundRobin,
    tmp_path: Path,
) -> None:
    sim, server, service = live_store
    rng = random.Random(20261204)
    batches = CHANGES // BATCH
    # Kills at seeded batches; the last one after the last change, so a restarted
    # webhook worker's reconciliation (it runs at start) closes the webhook gaps.
    kill_after = sorted({*rng.sample(range(1, batches - 1), 3), batches - 1})
    db_restart_after = rng.choice([b for b in range(2, batches - 1) if b not in kill_after])
    since = (sim.clock.now() - timedelta(seconds=5)).isoformat()

    async with Receiver(KEY) as receiver:
        polling_config = write_config(
            tmp_path / "polling.json", "recommended-polling.json", server, receiver
        )
        webhook_config = write_config(
            tmp_path / "webhook.json", "recommended-webhook.json", server, receiver
        )
        common = ("--state", pg_url, "--port", "0", "--lease-seconds", LEASE)
        polling_args = ("relay", "--config", str(polling_config), *common, "--since", since)
        webhook_args = (
            "relay", "--config", str(webhook_config), *common, "--reconcile",
            "--public-url", balancer.url,
        )  # fmt: skip

        async def start_polling() -> WoosimProcess:
            return await start_woosim(tmp_path, *polling_args, name="polling")

        async def start_webhook() -> WoosimProcess:
            worker = await start_woosim(tmp_path, *webhook_args, lines=2, name="webhook")
            balancer.targets.append(worker.lines[0])
            return worker

        # The first webhook worker registers the webhooks; the others start together.
        webhook = [await start_webhook()]
        started = await asyncio.gather(
            *(start_polling() for _ in range(WORKERS)),
            *(start_webhook() for _ in range(WORKERS - 1)),
        )
        polling, webhook = list(started[:WORKERS]), [*webhook, *started[WORKERS:]]
        killed: list[WoosimProcess] = []
        changes = Changes(sim, seed=17)

        async def poll_all(client: httpx.AsyncClient) -> None:
            for worker in polling:
                try:
                    await client.post(worker.lines[0] + "/poll")
                except httpx.HTTPError:
                    pass  # the database may be restarting

        def store_idle() -> bool:
            return service.engine.in_flight == 0

        try:
            async with httpx.AsyncClient(timeout=60) as client:
                for batch in range(batches):
                    for _ in range(BATCH):
                        changes.step()
                    polls = asyncio.create_task(poll_all(client))
                    if batch in kill_after:
                        await asyncio.sleep(rng.uniform(0.0, 0.2))
                        # Alternate: a polling worker, then a webhook worker, ...
                        if len(killed) % 2 == 0:
                            victim = polling.pop(rng.randrange(len(polling)))
                            victim.kill()
                            polling.append(await start_polling())
                        else:
                            victim = webhook.pop(rng.randrange(len(webhook)))
                            balancer.targets.remove(victim.lines[0])
                            victim.kill()
                            webhook.append(await start_webhook())
                        killed.append(victim)
                    if batch == db_restart_after:
                        await asyncio.sleep(rng.uniform(0.0, 0.2))
                        await asyncio.to_thread(pg_cluster.restart, "immediate")
                    await polls
                    await wait_until(store_idle, timeout=60, what="the store's deliveries")

                async def converged() -> bool:
                    await poll_all(client)
                    return not tally(changes, receiver, len(killed)).lost

                try:
                    await wait_until(converged, timeout=60, interval=0.3, what="every change")
                except AssertionError:
                    pass  # reported below with the lost changes
        finally:
            codes = [worker.terminate() for worker in [*polling, *webhook]]

    result = tally(changes, receiver, len(killed))
    print(result.report("3+3 workers on PostgreSQL", changes.made))
    print(
        f"{len(receiver.notifications)} notifications; database restarted after batch "
        f"{db_restart_after}; kills after batches {kill_after}"
    )
    # At-least-once bound: a killed worker's claims (at most max_in_flight per instance)
    # go out again, and so do the claims whose delete a database restart cut off (every
    # worker's); a polled notification carries up to 10 events.
    restarts = len(killed) + 2 * WORKERS
    bound = restarts * DEFAULT_MAX_IN_FLIGHT * EVENTS_PER_NOTIFICATION
    assert codes == [0] * (2 * WORKERS)
    assert len(killed) == len(kill_after)
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    assert _order_breaks(receiver) == []
    assert result.duplicates <= bound, f"{result.duplicates} duplicates > bound {bound}"
    assert sum(received_versions(receiver).values()) >= result.expected
    for process in [*killed, *polling, *webhook]:
        errors = process.stderr()
        assert server.consumer_secret not in errors and KEY not in errors
