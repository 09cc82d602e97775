"""How to: control time (the ``woosim_clock`` fixture)."""

from datetime import UTC, datetime, timedelta

import pytest


@pytest.mark.woosim(start="2024-03-10T06:00:00Z")
def test_a_frozen_clock_dates_everything(woosim, woosim_clock):
    order = woosim.create_order()
    assert order["date_created_gmt"] == "2024-03-10T06:00:00"

    woosim_clock.advance(timedelta(hours=2))
    woosim.update_order(order["id"], status="completed")
    assert woosim.client.get(f"orders/{order['id']}").json()["date_modified_gmt"] == (
        "2024-03-10T08:00:00"
    )
    # While frozen, this process's own clock follows too.
    assert datetime.now(UTC) == datetime(2024, 3, 10, 8, 0, tzinfo=UTC)


@pytest.mark.woosim(start="2024-03-10T06:00:00Z")
async def test_from_async_code(woosim, woosim_clock):
    await woosim_clock.advance_async(90)
    async with woosim.async_client() as client:
        created = (await client.post("orders", json={})).json()
    assert created["date_created_gmt"] == "2024-03-10T06:01:30"
