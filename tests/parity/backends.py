"""Where the scenario runs: a real store over HTTP(S), or the fake in this process.

A backend answers REST calls (``request``), tells the scenario where deliveries
go (``hook_url``), makes the store's webhook queue run (``run_queue``) and hands
back what the receiver got since a mark. Everything else is the scenario's.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shlex
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from simulator.app import Simulator
from simulator.auth import oauth_base_string, oauth_signature, oauth_signing_url
from simulator.clock import Clock
from simulator.phpquery import parse_php_query
from simulator.server import SimulatorServer
from simulator.settings import Settings

from .checks import Delivery, Response

Auth = Literal["rw", "ro", "none", "wrong"]
Params = Sequence[tuple[str, str]]


class Backend(Protocol):
    name: str
    site_url: str
    #: Every URL the store may call itself (its home URL can differ from the one used).
    site_urls: list[str]
    hook_url: str

    @property
    def has_read_only_key(self) -> bool: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = (),
        body: Any = None,
        auth: Auth = "rw",
    ) -> Response: ...

    def deliveries_mark(self) -> int: ...

    async def run_queue(self, expected: int) -> None: ...

    def deliveries_since(self, mark: int) -> list[Delivery]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Credentials:
    consumer_key: str
    consumer_secret: str


# --------------------------------------------------------------------------- HTTP
class HttpStore:
    """Talks to a store over real HTTP: Basic auth over https, OAuth 1.0a over http
    (as a real store requires: it accepts Basic only when ``is_ssl()``)."""

    def __init__(
        self,
        *,
        name: str,
        site_url: str,
        rw: Credentials,
        ro: Credentials | None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.name = name
        self.site_url = site_url.rstrip("/")
        self.site_urls = [self.site_url]
        self.rw = rw
        self.ro = ro
        self.oauth = urlsplit(self.site_url).scheme == "http"
        self.client = httpx.AsyncClient(timeout=60, verify=verify, follow_redirects=False)
        #: The store's "now" for OAuth timestamps (the fake's clock is frozen).
        self.now: Callable[[], float] = time.time

    @property
    def has_read_only_key(self) -> bool:
        return self.ro is not None

    def _credentials(self, auth: Auth) -> Credentials | None:
        if auth == "none":
            return None
        if auth == "ro":
            if self.ro is None:
                raise LookupError("no read-only key")
            return self.ro
        if auth == "wrong":
            return Credentials(self.rw.consumer_key, "cs_" + "0" * 40)
        return self.rw

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = (),
        body: Any = None,
        auth: Auth = "rw",
    ) -> Response:
        url = f"{self.site_url}/wp-json/{path}"
        query = list(params)
        headers: dict[str, str] = {}
        creds = self._credentials(auth)
        basic: tuple[str, str] | None = None
        if creds is not None and self.oauth:
            query = self._oauth_sign(method, url, query, creds)
        elif creds is not None:
            basic = (creds.consumer_key, creds.consumer_secret)
        content = None
        if isinstance(body, bytes):
            content = body  # deliberately broken JSON
            headers["Content-Type"] = "application/json"
        elif body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        answer = await self.client.request(
            method, url, params=tuple(query), content=content, headers=headers, auth=basic
        )
        return Response(answer.status_code, _joined(answer.headers.multi_items()), answer.content)

    def _oauth_sign(
        self, method: str, url: str, query: list[tuple[str, str]], creds: Credentials
    ) -> list[tuple[str, str]]:
        oauth = [
            ("oauth_consumer_key", creds.consumer_key),
            ("oauth_timestamp", str(int(self.now()))),
            ("oauth_nonce", secrets.token_hex(16)),
            ("oauth_signature_method", "HMAC-SHA256"),
        ]
        signed = parse_php_query([*query, *oauth])
        base = oauth_base_string(
            method, oauth_signing_url(self.site_url, urlsplit(url).path), signed
        )
        signature = oauth_signature(base, creds.consumer_secret, "HMAC-SHA256")
        return [*query, *oauth, ("oauth_signature", signature)]

    async def close(self) -> None:
        await self.client.aclose()


def _joined(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


# --------------------------------------------------------------------------- receivers
class LocalReceiver:
    """A webhook receiver on loopback port 0 that keeps every request it gets."""

    def __init__(self) -> None:
        self.got: list[Delivery] = []
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0, public_url: str = "") -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[-1][1]
        self.url = public_url or f"http://{host}:{bound}/parity-hook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append(Delivery({k.lower(): v for k, v in request.headers.items()}, body))
        self.arrived.set()
        return web.json_response({"ok": True})

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class LogReceiver:
    """Deliveries written as JSON lines by a receiver the store can reach (one
    object ``{"headers": [[name, value], ...], "body": "..."}`` per request)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[Delivery]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            record = json.loads(line)
            headers = {name.lower(): value for name, value in record["headers"]}
            out.append(Delivery(headers, record["body"].encode()))
        return out


# --------------------------------------------------------------------------- a real store
class RealStore(HttpStore):
    """A real WooCommerce store: deliveries land at a receiver it can reach; its queue is
    run by a command (``run_queue_command``) or, without one, by requesting
    ``/wp-cron.php`` until the deliveries stop coming."""

    def __init__(
        self,
        *,
        hook_url: str,
        hook_log: Path | None,
        hook_bind: str | None,
        run_queue_command: str | None,
        queue_deadline: float = 150.0,
        **http: Any,
    ) -> None:
        super().__init__(**http)
        self.hook_url = hook_url
        self.log = LogReceiver(hook_log) if hook_log is not None else None
        self.local: LocalReceiver | None = None
        self.hook_bind = hook_bind
        self.run_queue_command = run_queue_command
        self.queue_deadline = queue_deadline

    async def start(self) -> None:
        """Serve the receiver on ``hook_bind`` when deliveries are not read from a log."""
        if self.hook_bind and self.log is None:
            host, _, port = self.hook_bind.rpartition(":")
            self.local = LocalReceiver()
            await self.local.start(host or "127.0.0.1", int(port), public_url=self.hook_url)

    def _all(self) -> list[Delivery]:
        if self.log is not None:
            return self.log.lines()
        return list(self.local.got) if self.local is not None else []

    def deliveries_mark(self) -> int:
        return len(self._all())

    def deliveries_since(self, mark: int) -> list[Delivery]:
        return self._all()[mark:]

    async def run_queue(self, expected: int) -> None:
        mark = self.deliveries_mark()
        if self.run_queue_command:
            # A run can miss an action queued in the same second as the run before it:
            # run again (up to three times) until the expected deliveries are in.
            for _ in range(3):
                process = await asyncio.create_subprocess_exec(
                    *shlex.split(self.run_queue_command),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                if await process.wait() != 0:
                    raise RuntimeError(f"the queue command failed: {self.run_queue_command}")
                await self._settle(mark, expected, quiet=1.0, deadline=5.0)
                if self.deliveries_mark() - mark >= expected:
                    return
            return
        # WP-Cron runs Action Scheduler once a minute, and only on traffic: knock until
        # the expected deliveries are in, or nothing new came for a while after a minute.
        start = time.monotonic()
        while time.monotonic() - start < self.queue_deadline:
            await self.client.get(f"{self.site_url}/wp-cron.php")
            before = self.deliveries_mark()
            if before - mark >= expected and time.monotonic() - start > 5:
                break
            await asyncio.sleep(5)
        await self._settle(mark, expected, quiet=5.0, deadline=30.0)

    async def _settle(self, mark: int, expected: int, *, quiet: float, deadline: float) -> None:
        """Wait until ``expected`` deliveries are in and nothing more came for ``quiet`` s."""
        end = time.monotonic() + deadline
        last, since = self.deliveries_mark(), time.monotonic()
        while time.monotonic() < end:
            await asyncio.sleep(0.2)
            now = self.deliveries_mark()
            if now != last:
                last, since = now, time.monotonic()
            elif now - mark >= expected and time.monotonic() - since >= quiet:
                return

    async def close(self) -> None:
        await super().close()
        if self.local is not None:
            await self.local.close()


# --------------------------------------------------------------------------- the fake
#: The fake's frozen instant: a winter day, so New York is at -05:00 like most recordings.
FAKE_START = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
#: Store-clock seconds a change waits in the fake's queue before it is sent: the
#: scenario's changes before a queue run must all be pending together, as on a real store.
FAKE_QUEUE_DELAY = 60.0


class FakeStore(HttpStore):
    """The project's fake store in this process: New York, frozen clock, its queue run by
    advancing the clock; deliveries go to a local receiver."""

    def __init__(self, *, oauth: bool) -> None:
        self.sim = Simulator(
            Settings(timezone="America/New_York", https_auth=not oauth),
            clock=Clock(FAKE_START, frozen=True),
        )
        self.server = SimulatorServer(self.sim)
        self.receiver = LocalReceiver()
        self.hook_url = ""
        self._oauth_mode = oauth

    async def start(self) -> None:
        await self.server.start("127.0.0.1", 0)
        await self.receiver.start()
        self.hook_url = self.receiver.url
        service = self.sim.webhooks
        service.options.delay = FAKE_QUEUE_DELAY
        await service.start()
        keys = self.sim.keys
        read_only = next(k for k in keys.all() if k.permissions == "read")
        super().__init__(
            name="fake-oauth" if self._oauth_mode else "fake-basic",
            site_url=self.server.site_url,
            rw=Credentials(keys.default.consumer_key, keys.default.consumer_secret),
            ro=Credentials(read_only.consumer_key, read_only.consumer_secret),
        )
        # The fake over plain http: signing decides the auth, as for a real http store.
        self.oauth = self._oauth_mode
        self.now = self.sim.clock.timestamp

    def deliveries_mark(self) -> int:
        return len(self.receiver.got)

    def deliveries_since(self, mark: int) -> list[Delivery]:
        return self.receiver.got[mark:]

    async def run_queue(self, expected: int) -> None:
        engine = self.sim.webhooks.engine
        await self.sim.clock.advance_async(FAKE_QUEUE_DELAY)
        deadline = time.monotonic() + 10
        while engine.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await super().close()
        await self.sim.webhooks.close()
        await self.receiver.close()
        await self.server.stop()


# --------------------------------------------------------------------------- live configuration
ENV_PREFIX = "WOOSIM_PARITY_"


def real_stores_from_env(env: dict[str, str] | None = None) -> dict[str, RealStore]:
    """The live store(s) named by ``WOOSIM_PARITY_*`` variables, by transport; empty when
    not configured.

    ``URL`` holds one or two site URLs separated by spaces: an https one is spoken to
    with Basic auth (``https-basic``), an http one with OAuth 1.0a (``http-oauth``).
    ``CK``/``CS`` (read/write key) are required; ``RO_CK``/``RO_CS`` add the read-only
    checks; ``CA_CERT`` verifies a private TLS certificate; ``HOOK_URL`` is where the
    store can reach a receiver, read back from ``HOOK_LOG`` (JSON lines, one per
    request) or served by this process on ``HOOK_BIND`` (host:port); ``RUN_QUEUE`` is a
    command that runs the store's queue now (else ``/wp-cron.php`` is requested until
    the deliveries are in).
    """
    env = dict(os.environ if env is None else env)

    def get(name: str) -> str | None:
        return env.get(ENV_PREFIX + name) or None

    urls, ck, cs = (get("URL") or "").split(), get("CK"), get("CS")
    if not (urls and ck and cs):
        return {}
    ro = Credentials(get("RO_CK") or "", get("RO_CS") or "") if get("RO_CK") else None
    ca = get("CA_CERT")
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
    hook_log = get("HOOK_LOG")
    stores = {}
    for url in urls:
        transport = "https-basic" if url.startswith("https://") else "http-oauth"
        stores[transport] = RealStore(
            name=transport,
            site_url=url,
            rw=Credentials(ck, cs),
            ro=ro,
            verify=verify,
            hook_url=get("HOOK_URL") or "",
            hook_log=Path(hook_log) if hook_log else None,
            hook_bind=get("HOOK_BIND"),
            run_queue_command=get("RUN_QUEUE"),
        )
        # One store behind several URLs (https and http) names itself by any of them.
        stores[transport].site_urls = [u.rstrip("/") for u in urls]
    return stores
