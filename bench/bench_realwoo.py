"""The same requests against a real WooCommerce 10.0.2 store and against the fake.

Reported, never required: it needs a live store, named by the parity suite's
variables (``tests/parity/backends.py``): ``WOOSIM_PARITY_URL`` (an https URL:
the poller speaks Basic auth), ``_CK``/``_CS`` (a read/write key), ``_CA_CERT``
for a private certificate, ``_HOOK_URL`` and ``_HOOK_LOG`` for a receiver the
store can reach, and ``_RUN_QUEUE``, a command that runs the store's queue now.
Without them the section is skipped with a message.

* ``GET /orders?per_page=10``: p50 of sequential requests and requests/s with 4
  connections, on the real store and on a fake with as many orders (a child
  process), through the same client;
* a webhook's time from change to delivery: an ``order.updated`` webhook to
  the receiver, one order updated, timed until the delivery is in the
  receiver's log. A real store queues deliveries in Action Scheduler, which
  WP-Cron runs at most once a minute and only on site traffic; with
  ``_RUN_QUEUE`` the queue is run right after the change, so the figure is the
  store's own work, not the cron wait;
* a day of 5-minute polls in real time: one poll of the recommended instance
  (customers and orders, state in memory, nothing sent) timed three times on
  the real store; a simulated day makes 288 of them, so its wall time on the
  real store is 288 x that, against the fake's day on the virtual clock.

    python -m bench.bench_realwoo
"""

from __future__ import annotations

import asyncio
import json
import shlex
import ssl
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import Figure, Target, median, percentile, store_server, text_table
from pytest_woosim.harness.instances import RECOMMENDED_DATES
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import State
from pytest_woosim.poller.poller import Poller
from simulator.clock import Clock

SEQUENTIAL = 30
CONNECTIONS = 4
LOAD_SECONDS = 5.0
POLLS = 3
POLLS_PER_DAY = 288
#: Orders the real store should hold for the list figures: the bench adds what is
#: missing (and deletes what it added afterwards).
ORDERS = 20
DELIVERY_DEADLINE = 150.0


def _env_store() -> Any:
    """The live store the parity variables name (https preferred), or None."""
    try:
        from tests.parity.backends import real_stores_from_env
    except ImportError:  # the bench run outside a source checkout
        return None
    stores = real_stores_from_env()
    return stores.get("https-basic")


async def _p50_and_rps(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    """p50 (s) of sequential GETs, then requests/s with ``CONNECTIONS`` at once."""
    samples = []
    for n in range(SEQUENTIAL + 3):
        began = time.perf_counter()
        answer = await client.get(url)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {answer.status_code}")
        if n >= 3:  # the first ones open connections and warm caches
            samples.append(time.perf_counter() - began)
    done = 0
    deadline = time.perf_counter() + LOAD_SECONDS

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            answer = await client.get(url)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {url}: HTTP {answer.status_code}")
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return percentile(samples, 0.5), done / (time.perf_counter() - began)


async def _list_figures(store: Any, ca_cert: str | None) -> list[Figure]:
    auth = (store.rw.consumer_key, store.rw.consumer_secret)
    real_url = f"{store.site_url}/wp-json/wc/v3/orders?per_page=10"
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        auth=auth, verify=ssl.create_default_context(cafile=ca_cert), limits=limits, timeout=60
    ) as client:
        first = await client.get(real_url)
        total = int(first.headers.get("X-WP-Total", "0"))
        real_p50, real_rps = await _p50_and_rps(client, real_url)
    fake = store_server(max(total, 1), customers=10)
    fake_url = str(fake.info["api_url"]) + "/orders?per_page=10"
    headers = {"Authorization": str(fake.info["auth"])}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:
        fake_p50, fake_rps = await _p50_and_rps(client, fake_url)
    note = (
        f"{total} orders in each; httpx client, {SEQUENTIAL} sequential requests, "
        f"then {CONNECTIONS} connections for {LOAD_SECONDS:g} s"
    )
    return [
        Figure(
            "real store: GET /orders?per_page=10 p50",
            real_p50 * 1000,
            "ms",
            Target("report"),
            reference=fake_p50 * 1000,
            reference_name="the fake, same client",
            note=note,
        ),
        Figure(
            f"real store: GET /orders?per_page=10 at c={CONNECTIONS}",
            real_rps,
            "req/s",
            Target("report"),
            reference=fake_rps,
            reference_name="the fake, same client",
            note=note,
        ),
    ]


async def _delivery_figure(store: Any) -> Figure:
    name = "real store: webhook, change → delivery"
    if not store.hook_url or store.log is None:
        return Figure(name, None, "s", Target("report"), note="no _HOOK_URL/_HOOK_LOG set")
    orders = (await store.request("GET", "wc/v3/orders", params=[("per_page", "1")])).json()
    if not orders:
        return Figure(name, None, "s", Target("report"), note="the store has no order")
    order_id = int(orders[0]["id"])
    created = await store.request(
        "POST",
        "wc/v3/webhooks",
        body={
            "name": "bench delivery time",
            "topic": "order.updated",
            "delivery_url": store.hook_url,
            "status": "active",
        },
    )
    hook = created.json()
    if created.status != 201:
        return Figure(name, None, "s", Target("report"), note=f"webhook: HTTP {created.status}")
    try:
        mark = store.deliveries_mark()
        began = time.perf_counter()
        note = f"bench {datetime.now(UTC):%H:%M:%S.%f}"
        await store.request("PUT", f"wc/v3/orders/{order_id}", body={"customer_note": note})
        how = await _run_queue(store)
        deadline = began + DELIVERY_DEADLINE
        while time.perf_counter() < deadline:
            if any(_is_ours(d, hook["id"], order_id) for d in store.deliveries_since(mark)):
                seconds = time.perf_counter() - began
                return Figure(name, seconds, "s", Target("report"), note=how)
            if not store.run_queue_command:
                await store.client.get(f"{store.site_url}/wp-cron.php")  # traffic runs cron
                await asyncio.sleep(1.0)
            else:
                await asyncio.sleep(0.01)
        return Figure(
            name, None, "s", Target("report"), note=f"no delivery in {DELIVERY_DEADLINE:g} s"
        )
    finally:
        await store.request("DELETE", f"wc/v3/webhooks/{hook['id']}", params=[("force", "true")])


async def _run_queue(store: Any) -> str:
    if store.run_queue_command:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(store.run_queue_command),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if await process.wait() == 0:
            return (
                "the store's queue run right after the change (without it: WP-Cron, once a minute)"
            )
        store.run_queue_command = None  # fall back to WP-Cron
        return (
            "the queue command failed; queue run by WP-Cron on traffic (/wp-cron.php each second)"
        )
    return "queue run by WP-Cron on traffic (the bench requests /wp-cron.php every second)"


def _is_ours(delivery: Any, hook_id: int, order_id: int) -> bool:
    if delivery.headers.get("x-wc-webhook-id") != str(hook_id):
        return False
    try:
        return int(json.loads(delivery.body).get("id", 0)) == order_id
    except (ValueError, AttributeError):
        return False


async def _poll_seconds(store: Any, ca_cert: str | None) -> tuple[float, int]:
    """Median wall seconds of one poll run over the last 5 minutes, and its requests."""
    resource = {
        "idField": "id",
        "datesConfiguration": dict(RECOMMENDED_DATES),
        "filterByUpdatedDate": True,
        "filterByCurrentDate": True,
        "pageSize": 100,
        "pollDelay": 0,
    }
    config = load_instance(
        {
            "name": "bench-realwoo",
            "element": {"key": "woocommercerest"},
            "configuration": {
                "store.url": store.site_url,
                "oauth.api.key": store.rw.consumer_key,
                "oauth.api.secret": store.rw.consumer_secret,
                "event.notification.enabled": True,
                "event.vendor.type": "polling",
                "event.notification.callback.url": "http://127.0.0.1:9/unused",
                "event.poller.refresh_interval": 5,
                "event.poller.configuration": {
                    "customers": {"url": "/hubs/ecommerce/customers", **resource},
                    "orders": {"url": "/hubs/ecommerce/orders", **resource},
                },
            },
        }
    )
    times: list[float] = []
    requests = 0
    for _ in range(POLLS):
        clock = Clock()
        state = State(None, clock=clock)
        await state.open()
        poller = Poller.from_config(
            config,
            state=state,
            clock=clock,
            start=clock.now() - timedelta(minutes=5),
            with_sender=False,
            verify=ca_cert or True,
        )
        try:
            began = time.perf_counter()
            report = await poller.poll_once()
            times.append(time.perf_counter() - began)
        finally:
            await poller.stop()
            await state.close()
        if not report.ok:
            raise RuntimeError(f"poll of the real store failed: {report}")
        requests = sum(r.requests for r in report.resources)
    return median(times), requests


async def _add_orders(store: Any) -> list[int]:
    """Orders created so the store holds at least ``ORDERS``; their ids."""
    answer = await store.request("GET", "wc/v3/orders", params=[("per_page", "1")])
    missing = ORDERS - int(answer.headers.get("x-wp-total", "0"))
    added = []
    for n in range(max(0, missing)):
        created = await store.request(
            "POST", "wc/v3/orders", body={"status": "processing", "customer_note": f"bench {n}"}
        )
        if created.status != 201:
            raise RuntimeError(f"creating an order on the real store: HTTP {created.status}")
        added.append(int(created.json()["id"]))
    return added


async def _measure(store: Any) -> list[Figure]:
    import os

    ca_cert = os.environ.get("WOOSIM_PARITY_CA_CERT") or None
    added = await _add_orders(store)
    try:
        figures = await _list_figures(store, ca_cert)
        figures.append(await _delivery_figure(store))
        per_poll, requests = await _poll_seconds(store, ca_cert)
    finally:
        for order_id in added:
            await store.request("DELETE", f"wc/v3/orders/{order_id}", params=[("force", "true")])
    figures.append(
        Figure(
            "real store: one day of 5-minute polls, in real time",
            per_poll * POLLS_PER_DAY,
            "s",
            Target("report"),
            note=f"{POLLS_PER_DAY} polls x {per_poll * 1000:.0f} ms (median of {POLLS} polls of "
            f"{requests} requests each); the fake's day on the virtual clock: see the week row / 7",
        )
    )
    return figures


def measure(quick: bool) -> list[Figure]:
    store = _env_store()
    if store is None:
        print(
            "[bench] realwoo: skipped: no live store (set WOOSIM_PARITY_URL to an https URL, "
            "WOOSIM_PARITY_CK and WOOSIM_PARITY_CS; see bench/README.md)",
            file=sys.stderr,
        )
        return []

    async def run() -> list[Figure]:
        try:
            await store.start()
            when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            figures = await _measure(store)
            for figure in figures:
                figure.note = f"{figure.note}; measured {when}"
            return figures
        finally:
            await store.close()

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    from bench.common import stop_stores

    try:
        print(text_table(measure(False)) or "skipped: no live store")
    finally:
        stop_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main())
