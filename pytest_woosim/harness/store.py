"""What the ``woosim`` fixture hands a test: one running fake store, reset, with clients.

Everything goes through HTTP (the REST API and the ``/_woosim/`` control plane),
so the same handle drives a store served from a thread of this process and a
``woosim serve`` started elsewhere (``--woosim-url``). Where the store runs is a
:class:`StoreBackend`: :class:`LocalStore` here, ``remote.RemoteStore`` there.
"""

from __future__ import annotations

import concurrent.futures
import http.cookiejar
import ssl
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from pytest_woosim.harness.keepalive import KeepAliveTransport
from simulator.app import Simulator
from simulator.clock import Clock, to_utc
from simulator.server import SimulatorServer
from simulator.settings import load_timezone

if TYPE_CHECKING:
    from pytest_woosim.harness.clock import ClockControl

T = TypeVar("T")

#: Keyword arguments ``@pytest.mark.woosim(...)`` takes.
MARKER_FIELDS = ("seed", "timezone", "customers", "orders", "products", "start")

#: Real seconds between two looks at the delivery journal while waiting.
_POLL_INTERVAL = 0.01
#: Real seconds a reset of the in-process store may take before the test fails.
RESET_TIMEOUT = 30.0


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one costs ~0.1 s, per client."""
    return httpx.create_ssl_context()


class StoreRequestError(AssertionError):
    """The store refused a helper's request; says which request and what the store answered."""

    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:300]
        if isinstance(body, dict) and "message" in body:
            detail = f"{body.get('code', '')}: {body['message']}".strip(": ")
        else:
            detail = str(body)
        super().__init__(f"{method} {path} answered HTTP {response.status_code}: {detail}")
        self.response = response


@dataclass(frozen=True)
class StoreOptions:
    """Per-test store options: the session's defaults, then ``@pytest.mark.woosim(...)``."""

    seed: str = "0"
    timezone: str = "UTC"
    customers: int = 0
    orders: int = 0
    products: int = 0
    #: Clock start; when given the clock is frozen there (a reproducible test).
    start: datetime | None = None

    def with_marker(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> StoreOptions:
        """These options updated from a marker's arguments; ValueError names a bad one."""
        if args:
            raise ValueError("@pytest.mark.woosim takes keyword arguments only, e.g. seed=1")
        unknown = sorted(set(kwargs) - set(MARKER_FIELDS))
        if unknown:
            raise ValueError(
                f"@pytest.mark.woosim: unknown option {unknown[0]!r} "
                f"(known: {', '.join(MARKER_FIELDS)})"
            )
        values: dict[str, Any] = {
            "seed": self.seed,
            "timezone": self.timezone,
            "customers": self.customers,
            "orders": self.orders,
            "products": self.products,
            "start": self.start,
        }
        if kwargs.get("seed") is not None:
            seed = kwargs["seed"]
            if isinstance(seed, bool) or not isinstance(seed, str | int):
                raise ValueError(
                    f"@pytest.mark.woosim: seed must be a string or an integer, not {seed!r}"
                )
            values["seed"] = str(seed)
        if kwargs.get("timezone") is not None:
            values["timezone"] = check_timezone(kwargs["timezone"], "@pytest.mark.woosim: timezone")
        for name in ("customers", "orders", "products"):
            if name in kwargs:
                count = kwargs[name]
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise ValueError(
                        f"@pytest.mark.woosim: {name} must be a whole number >= 0, not {count!r}"
                    )
                values[name] = count
        if kwargs.get("start") is not None:
            values["start"] = parse_start(kwargs["start"], "@pytest.mark.woosim: start")
        return StoreOptions(**values)


def check_timezone(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an IANA zone name such as Europe/Paris, not {value!r}")
    try:
        load_timezone(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return value


def parse_start(value: Any, what: str) -> datetime:
    """A datetime (naive = UTC) or an ISO-8601 string such as ``2024-03-10T06:00:00Z``."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError(f"{what} must be a datetime or an ISO-8601 string, not {value!r}")


class StoreBackend(Protocol):
    """Where the store runs, and the loop the poller and relay fixtures run on."""

    site_url: str
    api_url: str
    consumer_key: str
    consumer_secret: str
    #: Headers for ``/_woosim/`` requests (the control token of a store bound beyond loopback).
    control_headers: dict[str, str]
    #: The clock pollers, relays and the receiver share (the store's own, or a mirror).
    clock: Clock

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the components' event loop thread; its result."""
        ...

    def reset(self, timezone: str) -> None:
        """Empty the store (webhooks, journal and faults too) and set its time zone.

        It may return before the store is emptied, as long as every request and
        :meth:`run` made afterwards sees it emptied; :meth:`settle` waits for it.
        """
        ...

    def settle(self) -> None:
        """Wait for the last :meth:`reset` to be done; raise what it raised."""
        ...

    def move_clock(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        """Move the store's clock (the mirror too, for a remote store)."""
        ...

    async def move_clock_async(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        """:meth:`move_clock` for code running on an event loop."""
        ...

    def close(self) -> None: ...


class LocalStore:
    """A :class:`SimulatorServer` running on its own thread in this process."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.site_url = server.site_url
        self.api_url = server.api_url
        self.consumer_key = server.consumer_key
        self.consumer_secret = server.consumer_secret
        token = server.sim.control_token
        self.control_headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.clock = server.sim.clock
        self._resetting: concurrent.futures.Future[None] | None = None

    def __repr__(self) -> str:
        return f"LocalStore(site_url={self.site_url!r})"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if timeout is None:
            return self.server.run(coro)
        return self.server.run(_with_timeout(coro, timeout))

    def reset(self, timezone: str) -> None:
        # Queued, not awaited, and without waking the server's loop: it runs when the
        # loop next wakes (the test's first request, typically), before anything else
        # reaches it. So each test pays one thread hand-off instead of two, and the
        # server's thread does not run beside the test's set-up (on a busy machine two
        # runnable threads fight for the GIL). Direct access to the in-process store
        # goes through settle() first, which wakes the loop.
        self.settle()
        sim = self.server.sim
        self._resetting = self.server.submit(lambda: sim.reset(timezone=timezone), wake=False)

    def settle(self) -> None:
        resetting, self._resetting = self._resetting, None
        if resetting is not None:
            if not resetting.done():
                self.server.wake()
            resetting.result(RESET_TIMEOUT)

    def move_clock(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        clock = self.clock
        if frozen:
            clock.freeze()
        if set_to is not None:
            clock.set(set_to)  # steps forward through due sleepers; backward is a jump
        if advance:
            clock.advance(advance)
        if frozen is False:
            clock.unfreeze()

    async def move_clock_async(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        clock = self.clock
        if frozen:
            clock.freeze()
        if set_to is not None:
            delta = to_utc(set_to).timestamp() - clock.timestamp()
            if delta > 0:
                await clock.advance_async(delta)
            else:
                clock.set(set_to, step=False)
        if advance:
            await clock.advance_async(advance)
        if frozen is False:
            clock.unfreeze()

    def close(self) -> None:
        """The server belongs to the ``woosim_server`` fixture, which stops it."""


async def _with_timeout(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    import asyncio

    async with asyncio.timeout(timeout):
        return await coro


class FaultsApi:
    """``/_woosim/faults``: make deliveries or REST calls go wrong (see ``simulator.faults``)."""

    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def add(self, kind: str, **spec: Any) -> dict[str, Any]:
        """Add one fault: ``add("status", status=503, count=2, path="/wp-json/wc/v3/orders")``."""
        response = self._control.post("faults", json={"kind": kind, **spec})
        if response.status_code != 201:
            raise StoreRequestError("POST", "/_woosim/faults", response)
        added: dict[str, Any] = response.json()
        return added

    def list(self) -> list[dict[str, Any]]:
        response = self._control.get("faults")
        faults: list[dict[str, Any]] = response.json()["faults"]
        return faults

    def clear(self) -> int:
        """Remove every fault; how many there were."""
        removed: int = self._control.delete("faults").json()["removed"]
        return removed


class _CookieJar(http.cookiejar.CookieJar):
    """A cookie jar that looks for cookies only in answers that set one.

    httpx hands every answer to its jar, which first copies all the answer's
    headers into an e-mail message: for the store's REST answers (a dozen
    headers, never a cookie) that cost more than the transport's whole exchange.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        answer = getattr(response, "response", None)  # httpx's wrapper holds the Response
        if isinstance(answer, httpx.Response) and not any(
            name.lower() in _COOKIE_HEADERS for name, _ in answer.headers.raw
        ):
            return
        super().extract_cookies(response, request)


_COOKIE_HEADERS = frozenset((b"set-cookie", b"set-cookie2"))


def _transport_for(site_url: str) -> dict[str, Any]:
    """The lean keep-alive transport for a plain-http store (every request of a test
    goes through it); httpx's own, verifying TLS, otherwise."""
    if site_url.startswith("http://"):
        fallback = partial(httpx.HTTPTransport, verify=tls_context())
        return {"transport": KeepAliveTransport(site_url, fallback=fallback)}
    return {"verify": tls_context()}


class SessionClients:
    """The handle's HTTP clients, kept for a whole session.

    A new ``httpx.Client`` per test costs more than the test (a client, a
    transport and a fresh TCP connection each time); one kept-alive client per
    session makes the fixture's overhead a reset and a request. Cookies are
    cleared before each test; treat the clients as read-only (a test that needs
    other headers or auth builds its own, e.g. with ``async_client``).
    """

    def __init__(self, backend: StoreBackend) -> None:
        self.backend = backend
        self._api: httpx.Client | None = None
        self._control: httpx.Client | None = None

    @property
    def api(self) -> httpx.Client:
        if self._api is None:
            self._api = httpx.Client(
                base_url=self.backend.api_url + "/",
                auth=(self.backend.consumer_key, self.backend.consumer_secret),
                timeout=30,
                cookies=_CookieJar(),
                **_transport_for(self.backend.site_url),
            )
        return self._api

    @property
    def control(self) -> httpx.Client:
        if self._control is None:
            self._control = httpx.Client(
                base_url=self.backend.site_url + "/_woosim/",
                headers=self.backend.control_headers,
                timeout=30,
                cookies=_CookieJar(),
                **_transport_for(self.backend.site_url),
            )
        return self._control

    def clear_cookies(self) -> None:
        for client in (self._api, self._control):
            if client is not None:
                client.cookies.clear()

    def close(self) -> None:
        for client in (self._api, self._control):
            if client is not None:
                client.close()
        self._api = self._control = None


@dataclass(frozen=True)
class SessionParts:
    """What every test's ``woosim`` and ``woosim_clock`` share for the whole session."""

    backend: StoreBackend
    clock: ClockControl
    clients: SessionClients


class WoosimHandle:
    """The fake store of one test: its URLs, credentials, clients, helpers and clock."""

    def __init__(
        self, backend: StoreBackend, clock: ClockControl, clients: SessionClients | None = None
    ) -> None:
        self.backend = backend
        self.clock = clock
        # Without session clients (a handle made by hand) the handle owns its own.
        self._owns_clients = clients is None
        self._clients = clients if clients is not None else SessionClients(backend)

    def __repr__(self) -> str:
        return f"WoosimHandle(site_url={self.site_url!r})"

    # ------------------------------------------------------------------ facts
    @property
    def site_url(self) -> str:
        return self.backend.site_url

    @property
    def api_url(self) -> str:
        """The REST API root, ``{site}/wp-json/wc/v3``."""
        return self.backend.api_url

    @property
    def consumer_key(self) -> str:
        return self.backend.consumer_key

    @property
    def consumer_secret(self) -> str:
        return self.backend.consumer_secret

    @property
    def sim(self) -> Simulator:
        """The in-process store object (for white-box checks; not with ``--woosim-url``)."""
        server = getattr(self.backend, "server", None)
        if not isinstance(server, SimulatorServer):
            raise RuntimeError("woosim.sim: the store runs in another process; use HTTP")
        self.backend.settle()  # the reset before the test may still be queued
        return server.sim

    # ------------------------------------------------------------------ clients
    @property
    def client(self) -> httpx.Client:
        """``httpx.Client`` with Basic auth at the API root: ``woosim.client.get("orders")``."""
        return self._clients.api

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` like :attr:`client`; close it (``async with``)."""
        options: dict[str, Any] = {
            "base_url": self.api_url + "/",
            "auth": (self.consumer_key, self.consumer_secret),
            "timeout": 30,
            "verify": tls_context(),
            **kwargs,
        }
        return httpx.AsyncClient(**options)

    @property
    def control(self) -> httpx.Client:
        """``httpx.Client`` at the control plane, ``{site}/_woosim/``."""
        return self._clients.control

    @property
    def faults(self) -> FaultsApi:
        return FaultsApi(self.control)

    # ------------------------------------------------------------------ lifecycle
    def reset(self, options: StoreOptions) -> None:
        """Empty the store and set its zone, then generate the marker's data.

        The clock was put in place before (the ``woosim_clock`` fixture), so the
        data's dates end at the test's "now".
        """
        self.backend.reset(options.timezone)
        self._clients.clear_cookies()
        if options.customers or options.orders or options.products:
            self.generate(
                options.seed,
                customers=options.customers,
                orders=options.orders,
                products=options.products,
            )

    def close(self) -> None:
        self.backend.settle()  # a reset that failed fails the test that asked for it
        if self._owns_clients:
            self._clients.close()

    # ------------------------------------------------------------------ data
    def generate(
        self,
        seed: str | int | None = None,
        *,
        customers: int = 0,
        orders: int = 0,
        products: int = 0,
        days: int = 90,
        emit: bool = True,
    ) -> dict[str, int]:
        """Deterministic data through ``POST /_woosim/generate``; the counts made."""
        body: dict[str, Any] = {
            "customers": customers,
            "orders": orders,
            "products": products,
            "days": days,
            "emit": emit,
        }
        if seed is not None:
            body["seed"] = seed
        response = self.control.post("generate", json=body)
        if response.status_code != 200:
            raise StoreRequestError("POST", "/_woosim/generate", response)
        summary: dict[str, int] = response.json()
        return summary

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.client.request(method, path, **kwargs)
        if not response.is_success:
            raise StoreRequestError(method, f"/wp-json/wc/v3/{path}", response)
        record: dict[str, Any] = response.json()
        return record

    def create_customer(self, **fields: Any) -> dict[str, Any]:
        """``POST customers``; an email is made up when none is given. The new record."""
        fields.setdefault("email", f"customer-{time.monotonic_ns()}@example.com")
        return self._call("POST", "customers", json=fields)

    def update_customer(self, customer_id: int, **fields: Any) -> dict[str, Any]:
        return self._call("PUT", f"customers/{customer_id}", json=fields)

    def delete_customer(self, customer_id: int) -> dict[str, Any]:
        """Customers cannot be trashed: this deletes for good (``force=true``)."""
        return self._call("DELETE", f"customers/{customer_id}", params={"force": "true"})

    def create_order(self, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "orders", json=fields)

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        return self._call("PUT", f"orders/{order_id}", json=fields)

    def delete_order(self, order_id: int, *, force: bool = False) -> dict[str, Any]:
        """Trash the order (WooCommerce's default), or delete it for good with ``force``."""
        params = {"force": "true"} if force else {}
        return self._call("DELETE", f"orders/{order_id}", params=params)

    # ------------------------------------------------------------------ flows
    def flows(self) -> list[dict[str, Any]]:
        """The business flows :meth:`trigger` runs: name, what each does, its options."""
        response = self.control.get("trigger")
        if response.status_code != 200:
            raise StoreRequestError("GET", "/_woosim/trigger", response)
        flows: list[dict[str, Any]] = response.json()["flows"]
        return flows

    def trigger(self, flow: str, **options: Any) -> dict[str, Any]:
        """Run a business flow as a real store does it (``POST /_woosim/trigger``): what it
        did (steps, notes, records touched, webhook deliveries queued).

        ``woosim.trigger("checkout-paid", quantity=2)``, ``woosim.trigger("order-completed",
        order=order_id)``; without an order, the flow makes the one it needs.
        """
        response = self.control.post("trigger", json={"flow": flow, **options})
        return _trigger_report(response)

    async def trigger_async(self, flow: str, **options: Any) -> dict[str, Any]:
        """:meth:`trigger` for code running on an event loop."""
        async with httpx.AsyncClient(
            base_url=self.site_url + "/_woosim/",
            headers=self.backend.control_headers,
            timeout=30,
            verify=tls_context(),
        ) as control:
            response = await control.post("trigger", json={"flow": flow, **options})
        return _trigger_report(response)

    # ------------------------------------------------------------------ webhooks
    def create_webhook(self, topic: str, delivery_url: str, **fields: Any) -> dict[str, Any]:
        """``POST webhooks``: an active webhook for ``topic`` (it pings ``delivery_url``)."""
        return self._call(
            "POST", "webhooks", json={"topic": topic, "delivery_url": delivery_url, **fields}
        )

    @property
    def journal(self) -> list[dict[str, Any]]:
        """Every request the store's webhooks sent, pings and deliveries, oldest first."""
        response = self.control.get("deliveries")
        entries: list[dict[str, Any]] = response.json()["deliveries"]
        return entries

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """The webhook deliveries (a topic fired: ``customer.created``, …), oldest first.

        Pings (the request a webhook sends when it is created) are not deliveries:
        they are in :attr:`pings`, and both in :attr:`journal`.
        """
        return [entry for entry in self.journal if entry["kind"] == "delivery"]

    @property
    def pings(self) -> list[dict[str, Any]]:
        """The pings webhooks sent when they were created, oldest first."""
        return [entry for entry in self.journal if entry["kind"] == "ping"]

    def wait_for_deliveries(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait (real time, bounded) until the store made ``n`` deliveries; all of them.

        Pings do not count. The timeout's message lists what the journal holds.
        """
        return self._wait_for("delivery", n, timeout)

    def wait_for_pings(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait (real time, bounded) until webhooks sent ``n`` pings; all of them."""
        return self._wait_for("ping", n, timeout)

    def _wait_for(self, kind: str, n: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            journal = self.journal
            found = [entry for entry in journal if entry["kind"] == kind]
            if len(found) >= n:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(shortfall(kind, n, timeout, journal))
            time.sleep(_POLL_INTERVAL)


def _trigger_report(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise StoreRequestError("POST", "/_woosim/trigger", response)
    report: dict[str, Any] = response.json()
    return report


def shortfall(kind: str, n: int, timeout: float, journal: list[dict[str, Any]]) -> str:
    """What a timed-out wait saw: the count asked for, and every journal entry (pings too)."""
    made = sum(1 for entry in journal if entry["kind"] == kind)
    noun = "deliveries" if kind == "delivery" else "pings"
    other = "pings" if kind == "delivery" else "deliveries"
    lines = [
        f"the store made {made} of {n} {noun} within {timeout:g}s "
        f"({other} are not counted); its journal holds {len(journal)} "
        f"request{'' if len(journal) == 1 else 's'}" + (":" if journal else ".")
    ]
    for entry in journal:
        answer = entry["response"]["status"] or entry.get("error") or "no answer"
        resource = "" if entry.get("resource_id") is None else f" #{entry['resource_id']}"
        lines.append(
            f"  {entry['kind']} of webhook {entry['webhook_id']} ({entry['topic']}{resource})"
            f" -> {answer}"
        )
    return "\n".join(lines)


def real_now() -> datetime:
    """Wall-clock now, read through the clock module's own reference (immune to freezegun)."""
    return datetime.fromtimestamp(Clock().timestamp(), UTC)


__all__ = [
    "MARKER_FIELDS",
    "FaultsApi",
    "LocalStore",
    "SessionClients",
    "SessionParts",
    "StoreBackend",
    "StoreOptions",
    "StoreRequestError",
    "WoosimHandle",
    "check_timezone",
    "parse_start",
    "real_now",
    "tls_context",
]
