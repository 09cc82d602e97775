"""The relay as a service, end to end: real ``woosim serve`` and ``woosim relay`` processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from relay_processes import (
    StoreProcess,
    instance_body,
    instance_file,
    relay_process,
    run_relay,
    store_process,
)
from reliability_helpers import wait_until

from pytest_woosim.harness.receiver import Receiver

KEY = "replace-with-a-long-random-signature-key"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(KEY) as rec:
        yield rec


@pytest.fixture
async def store() -> AsyncIterator[StoreProcess]:
    async with store_process() as running:
        yield running


def api(store: StoreProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=store.api_url + "/", auth=store.auth, timeout=30)


async def test_a_disabled_instance_alone_exits_2_and_sends_nothing(
    store: StoreProcess, receiver: Receiver, tmp_path: Path
) -> None:
    for enabled in (None, False, "false"):
        path = instance_file(
            tmp_path / "disabled.json",
            store,
            receiver.url,
            **{"event.notification.enabled": enabled},
        )
        result = await run_relay("--config", str(path), "--since", "2000-01-01T00:00:00Z")
        assert result.returncode == 2, result.stderr
        assert '"event.notification.enabled" is false or missing' in result.stderr
        assert "no instance has events enabled" in result.stderr
        assert result.stdout == ""
    async with api(store) as client:
        hooks = (await client.get("webhooks")).json()
    assert hooks == [] and receiver.requests == []


async def test_a_disabled_instance_beside_an_enabled_one_sends_nothing(
    store: StoreProcess, receiver: Receiver, tmp_path: Path
) -> None:
    folder = tmp_path / "instances"
    folder.mkdir()
    instance_file(
        folder / "a-disabled.json",
        store,
        receiver.url,
        name="Disabled shop",
        **{"event.notification.enabled": None},
    )
    instance_file(folder / "b-enabled.json", store, receiver.url, name="Enabled shop")
    async with api(store) as client:
        created = (await client.post("customers", json={"email": "one@example.com"})).json()
        async with relay_process(
            "--config", str(folder), "--since", "2000-01-01T00:00:00Z"
        ) as relay:
            events = await receiver.wait_for_events(1, timeout=30)
            async with httpx.AsyncClient(base_url=relay.url) as status:
                await status.post("/poll")
            err = await relay.stop()
    assert [int(e["objectId"]) for e in events] == [created["id"]]
    names = {n.message.get("instanceName") for n in receiver.notifications if n.message}
    assert names == {"Enabled shop"}
    assert "a-disabled.json" in err and "is false or missing" in err


async def test_a_local_date_field_on_a_new_york_store_makes_the_instance_unhealthy(
    receiver: Receiver, tmp_path: Path
) -> None:
    async with store_process("--timezone", "America/New_York") as store:
        path = instance_file(
            tmp_path / "seed.json",
            store,
            receiver.url,
            fixture="seed-polling-corrected.json",
            **{"event.notification.enabled": "true"},
        )
        async with (
            api(store) as client,
            relay_process("--config", str(path), "--since", "2000-01-01T00:00:00Z") as relay,
            httpx.AsyncClient(base_url=relay.url) as status,
        ):
            assert (await status.get("/healthz")).status_code in (200, 503)
            await client.post("customers", json={"email": "ny@example.com"})
            await status.post("/poll")
            health = await status.get("/healthz")
            assert health.status_code == 503
            body = health.json()
            assert body["status"] == "unhealthy"
            assert any("date_modified_gmt" in reason for reason in body["reasons"])
            stats = (await status.get("/stats")).json()
            assert stats["health"]["status"] == "unhealthy"
            assert stats["health"]["reasons"] == body["instances"][0]["reasons"]


async def test_operational_routes_want_the_control_token(
    store: StoreProcess, receiver: Receiver, tmp_path: Path
) -> None:
    path = instance_file(tmp_path / "i.json", store, receiver.url)
    async with relay_process("--config", str(path), "--control-token", "t0ken-for-ops") as relay:
        async with httpx.AsyncClient(base_url=relay.url) as client:
            for method, route in (
                ("GET", "/healthz"),
                ("GET", "/stats"),
                ("POST", "/poll"),
                ("POST", "/redeliver"),
            ):
                assert (await client.request(method, route)).status_code == 401
                wrong = {"Authorization": "Bearer nope"}
                assert (await client.request(method, route, headers=wrong)).status_code == 401
                right = {"Authorization": "Bearer t0ken-for-ops"}
                assert (await client.request(method, route, headers=right)).status_code == 200
        err = await relay.stop()
    assert "t0ken-for-ops" not in err


async def test_a_trashed_order_arrives_as_deleted_with_a_stable_numeric_instance_id(
    store: StoreProcess, receiver: Receiver, tmp_path: Path
) -> None:
    path = instance_file(tmp_path / "orders.json", store, receiver.url, name="Orders shop")
    state = tmp_path / "state.sqlite3"
    async with api(store) as client:
        order = (await client.post("orders", json={"customer_note": "to be trashed"})).json()
        args = ("--config", str(path), "--state", str(state), "--since", "2000-01-01T00:00:00Z")
        async with relay_process(*args) as relay, httpx.AsyncClient(base_url=relay.url) as status:
            await status.post("/poll")
            await receiver.wait_for_events(1, timeout=30)
            await relay.stop()
        assert (await client.delete(f"orders/{order['id']}")).status_code == 200
        async with relay_process(*args) as relay, httpx.AsyncClient(base_url=relay.url) as status:
            await status.post("/poll")
            await receiver.wait_for_events(2, timeout=30)
            await relay.stop()
    first, second = (n.message for n in receiver.notifications if n.message)
    deleted = second["events"]
    assert [(e["objectType"], e["objectId"], e["eventType"]) for e in deleted] == [
        ("orders", str(order["id"]), "DELETED")
    ]
    assert second["raw"]["orders"][0]["status"] == "trash"
    # One numeric id for the instance, kept in the state across the restart.
    assert isinstance(first["instanceId"], int)
    assert first["instanceId"] == first["instance_id"] == second["instanceId"]
    assert second["raw"]["instance_id"] == second["instanceId"]
    assert second["instanceName"] == "Orders shop"


def per_instance(receiver: Receiver, event_type: str = "CREATED") -> dict[str, list[str]]:
    """instanceName → ids of customers' ``event_type`` events in arrival order (every event
    of every notification; a webhook instance also hears the UPDATED of each creation).

    A notification sent again after a timeout carries the same ``Elements-Webhook-Id``
    (delivery is at least once); like any receiver, this counts it once."""
    seen: dict[str, list[str]] = {}
    for notification in receiver.notifications:
        if notification.duplicate:
            continue
        message = notification.message or {}
        for event in notification.events:
            if event["objectType"] == "customers" and event["eventType"] == event_type:
                seen.setdefault(str(message.get("instanceName")), []).append(event["objectId"])
    return seen


async def test_three_instances_added_changed_and_removed_over_the_api(
    store: StoreProcess, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    polling = {"fixture": "recommended-polling.json"}
    async with api(store) as shop, relay_process("--state", str(state)) as relay:
        async with httpx.AsyncClient(base_url=relay.url, timeout=60) as ops:

            async def customer(n: int) -> str:
                body = {"email": f"c{n}@example.com"}
                return str((await shop.post("customers", json=body)).json()["id"])

            async def poll(number: int) -> None:
                assert (await ops.post("/poll", params={"instance": number})).status_code == 200

            created = []
            for name, extra in (
                ("Shop A", polling),
                ("Shop B", polling),
                ("Shop C", {"fixture": "recommended-webhook.json"}),
            ):
                body = instance_body(store, receiver.url, name=name, **extra)
                answer = await ops.post("/instances", json=body)
                assert answer.status_code == 200, answer.text
                created.append(answer.json())
            a, b, c = (item["id"] for item in created)
            assert len({a, b, c}) == 3 and all(isinstance(i, int) for i in (a, b, c))
            assert created[0]["configuration"]["oauth.api.secret"] == "****"
            hooks = (await shop.get("webhooks", params={"per_page": 100})).json()
            assert len(hooks) == 12  # the webhook instance's, one per topic

            ids = [await customer(n) for n in range(3)]
            for number in (a, b):
                await poll(number)
            await receiver.wait_for_events(9, timeout=60)  # 3 polled x 2 + 3 webhooks

            # B changed while running: its watermark and outbox carry over.
            patch = {"configuration": {"event.poller.refresh_interval": 30}, "tags": ["changed"]}
            changed = await ops.patch(f"/instances/{b}", json=patch)
            assert changed.status_code == 200, changed.text
            assert changed.json()["configuration"]["event.poller.refresh_interval"] == 30
            ids += [await customer(n) for n in range(3, 5)]
            for number in (a, b):
                await poll(number)
            await receiver.wait_for_events(15, timeout=60)

            # C removed: its webhooks leave the store; nothing more is sent for it.
            assert (await ops.delete(f"/instances/{c}")).status_code == 200
            assert (await shop.get("webhooks")).json() == []
            assert (await ops.get(f"/instances/{c}")).status_code == 404
            ids.append(await customer(5))
            for number in (a, b):
                await poll(number)
            await receiver.wait_for_events(17, timeout=60)

            listed = (await ops.get("/instances")).json()
            assert [(i["id"], i["name"]) for i in listed] == [(a, "Shop A"), (b, "Shop B")]
            events = (await ops.get(f"/instances/{a}/events")).json()
            assert events["queued"] == []
            assert {x["status"] for x in events["attempts"]} == {"NOTIFIED"}
            bad = await ops.post("/instances", json={"name": "broken", "configuration": {}})
            assert bad.status_code == 400 and bad.json()["problems"]
        await relay.stop()

    got = per_instance(receiver)
    assert got["Shop A"] == ids and got["Shop B"] == ids  # in order, none lost, none twice
    assert sorted(got["Shop C"]) == sorted(ids[:5])
    assert all(n.verified for n in receiver.notifications)

    # The instances created over the API come back with the relay, under the same ids.
    async with relay_process("--state", str(state)) as relay:
        async with httpx.AsyncClient(base_url=relay.url) as ops:
            listed = (await ops.get("/instances")).json()
            assert [(i["id"], i["name"], i["tags"]) for i in listed] == [
                (a, "Shop A", ["woosim"]),
                (b, "Shop B", ["changed"]),
            ]
        await relay.stop()


async def test_a_15_minute_poller_driven_by_the_store_clock(
    receiver: Receiver, tmp_path: Path
) -> None:
    start = "2030-01-01T00:00:00Z"
    async with store_process("--frozen", "--start", start) as store:
        path = instance_file(tmp_path / "i.json", store, receiver.url)
        args = ("--config", str(path), "--store-clock", store.site_url)
        async with (
            api(store) as shop,
            httpx.AsyncClient(base_url=store.site_url) as control,
            relay_process(*args) as relay,
            httpx.AsyncClient(base_url=relay.url) as ops,
        ):

            async def runs(expected: int) -> list[str]:
                found: list[str] = []

                async def enough() -> bool:
                    found[:] = (await ops.get("/stats")).json()["runs_started"]
                    return len(found) >= expected

                await wait_until(enough, what=f"{expected} poll runs")
                return found

            assert await runs(1) == ["2030-01-01T00:00:00Z"]
            await control.post("/_woosim/clock", json={"advance": 60})
            made = (await shop.post("customers", json={"email": "clock@example.com"})).json()
            await control.post("/_woosim/clock", json={"advance": 840})
            assert await runs(2) == ["2030-01-01T00:00:00Z", "2030-01-01T00:15:00Z"]
            events = await receiver.wait_for_events(1, timeout=30)
            assert [(e["objectId"], e["date"]) for e in events] == [
                (str(made["id"]), "2030-01-01T00:01:00Z")
            ]
            # Three more intervals at once: three more runs, in order, each at its instant.
            await control.post("/_woosim/clock", json={"advance": 2700})
            assert await runs(5) == [
                "2030-01-01T00:00:00Z",
                "2030-01-01T00:15:00Z",
                "2030-01-01T00:30:00Z",
                "2030-01-01T00:45:00Z",
                "2030-01-01T01:00:00Z",
            ]
            await relay.stop()
    assert len(receiver.events) == 1
