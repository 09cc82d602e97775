"""Dates over real HTTP in a store on America/New_York, across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import StoreFactory

WINTER = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)  # EST, UTC-5
SUMMER = datetime(2024, 7, 15, 12, 0, tzinfo=UTC)  # EDT, UTC-4


async def test_local_and_gmt_dates_follow_dst(make_store: StoreFactory) -> None:
    store = await make_store(timezone="America/New_York", start=WINTER)
    winter = (await store.client.post("orders", json={})).json()
    store.clock.set(SUMMER)
    summer = (await store.client.post("orders", json={})).json()
    assert (winter["date_modified"], winter["date_modified_gmt"]) == (
        "2024-01-15T07:00:00",
        "2024-01-15T12:00:00",
    )
    assert (summer["date_modified"], summer["date_modified_gmt"]) == (
        "2024-07-15T08:00:00",
        "2024-07-15T12:00:00",
    )
    assert summer["date_paid"] is None and summer["date_completed_gmt"] is None
    # Customers too, with the same rule.
    customer = (await store.client.post("customers", json={"email": "ny@example.com"})).json()
    assert customer["date_created"] == "2024-07-15T08:00:00"
    assert customer["date_created_gmt"] == "2024-07-15T12:00:00"


async def test_modified_after_with_and_without_dates_are_gmt(make_store: StoreFactory) -> None:
    store = await make_store(timezone="America/New_York", start=WINTER)
    winter = (await store.client.post("orders", json={})).json()["id"]
    store.clock.set(SUMMER)
    summer = (await store.client.post("orders", json={})).json()["id"]

    async def ids(**params: str) -> list[int]:
        response = await store.client.get("orders", params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()]

    # No suffix: site-local wall time against the local column.
    assert await ids(modified_after="2024-07-15T07:59:59") == [summer]
    # Strict comparison: exactly equal is excluded.
    assert await ids(modified_after="2024-07-15T08:00:00") == []
    assert await ids(modified_before="2024-07-15T08:00:00") == [winter]
    # An offset is honoured, then converted to local wall time.
    assert await ids(modified_after="2024-07-15T11:59:59Z") == [summer]
    assert await ids(modified_after="2024-07-15T12:00:00+00:00") == []
    assert await ids(modified_after="2024-01-15T06:59:59") == [summer, winter]
    # dates_are_gmt + no suffix + UTC value: the safe recipe.
    assert await ids(modified_after="2024-07-15T11:59:59", dates_are_gmt="true") == [summer]
    assert await ids(modified_after="2024-07-15T12:00:00", dates_are_gmt="true") == []
    # dates_are_gmt + a Z value: converted to local wall time (08:00) and compared
    # with the GMT column (12:00): the real store's off-by-offset window.
    assert await ids(modified_after="2024-07-15T15:00:00Z", dates_are_gmt="true") == [summer]
    assert await ids(modified_after="2024-07-15T15:00:00Z") == []
    # after/before work on the created column the same way.
    assert await ids(after="2024-01-15T07:00:00", before="2024-07-15T08:00:01") == [summer]
    assert await ids(before="2024-01-15T12:00:01", dates_are_gmt="1") == [winter]


async def test_customers_ignore_date_filters(make_store: StoreFactory) -> None:
    store = await make_store(timezone="America/New_York", start=WINTER)
    await store.client.post("customers", json={"email": "a@example.com"})
    store.clock.set(SUMMER)
    await store.client.post("customers", json={"email": "b@example.com"})
    response = await store.client.get(
        "customers",
        params={
            "modified_after": "2030-01-01T00:00:00",
            "after": "not a date",
            "dates_are_gmt": "x",
        },
    )
    assert response.status_code == 200
    assert [c["email"] for c in response.json()] == ["a@example.com", "b@example.com"]
