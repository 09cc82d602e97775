"""Hostile clients against the store's HTTP layer: connections that stall or idle, and
absurd sizes (an order with 150k line items). The store keeps answering everyone else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from reliability_helpers import open_stalled, raw_post, read_until_closed

from simulator.app import Simulator
from simulator.server import SimulatorServer

TIMEOUT = 0.5


@pytest.fixture
async def impatient() -> AsyncIterator[SimulatorServer]:
    """A store that gives clients TIMEOUT seconds (the default is listen's 15 s)."""
    sim = Simulator()
    sim.body_timeout = TIMEOUT
    server = SimulatorServer(sim, idle_timeout=TIMEOUT)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()
    assert sim.internal_errors == []


async def test_store_cuts_off_stalled_and_idle_connections(impatient: SimulatorServer) -> None:
    url = impatient.site_url + "/"
    stalled_body = await open_stalled(
        url,
        b"POST /_woosim/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 900\r\n\r\n{",
    )
    half_headers = await open_stalled(url, b"GET /wp-json/ HTTP/1.1\r\nHost")
    silent = await open_stalled(url, b"")
    # Everyone else is served meanwhile.
    status, _ = await raw_post(
        impatient.site_url + "/_woosim/clock", b"{}", {"Content-Type": "application/json"}
    )
    assert status == 200
    answer = await read_until_closed(stalled_body[0], TIMEOUT * 20)
    assert answer.startswith(b"HTTP/1.1 408")
    assert await read_until_closed(half_headers[0], TIMEOUT * 20) == b""
    assert await read_until_closed(silent[0], TIMEOUT * 20) == b""
    for _, writer in (stalled_body, half_headers, silent):
        writer.close()
    async with httpx.AsyncClient() as client:
        assert (await client.get(impatient.site_url + "/_woosim/clock")).status_code == 200
