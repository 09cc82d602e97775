"""Run a :class:`~simulator.app.Simulator` over HTTP(S): in an event loop, or in a thread.

``start`` binds (port 0 picks a free port), then tells the simulator its public
URL, so links and OAuth base strings match what clients were given.
"""

from __future__ import annotations

import concurrent.futures
import secrets
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from simulator.app import Simulator
from simulator.loops import LoopThread
from simulator.wire.hosts import is_loopback_host
from simulator.wire.timeouts import IDLE_TIMEOUT

T = TypeVar("T")


def url_host(host: str) -> str:
    """The host as it goes into a URL: wildcards become loopback, IPv6 gets brackets."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def guard_control_plane(sim: Simulator, host: str) -> None:
    """Give the store a control token when it binds beyond loopback.

    Reachable from other machines, the control plane (reset, clock, faults) must
    not be open to them. The rule goes by bind address, not by who connects.
    """
    if not is_loopback_host(host) and sim.control_token is None:
        # Hex: a person pastes it after --control-token, where a leading "-" (which
        # token_urlsafe can give) would be read as an option.
        sim.control_token = secrets.token_hex(24)


class SimulatorServer:
    def __init__(
        self,
        sim: Simulator,
        *,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.sim = sim
        self.ssl_context = ssl_context
        #: Idle keep-alive connections, and clients that never finish their headers, are
        #: closed after this many seconds (the setting ``woosim listen`` uses).
        self.idle_timeout = idle_timeout
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._thread: LoopThread | None = None

    # ------------------------------------------------------------------ async
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        guard_control_plane(self.sim, host)
        if host:
            self.sim.allowed_hosts.add(host.lower().strip("[]"))
        runner = web.AppRunner(
            self.sim.app(),
            access_log=None,
            handle_signals=False,
            keepalive_timeout=self.idle_timeout,
            # After an early answer (408, 413) the rest of a body is read and dropped for
            # at most this long, then the connection closes.
            lingering_time=self.sim.body_timeout,
        )
        await runner.setup()
        server = runner.server
        assert server is not None
        # Kept answers of repeated reads are served before routing and middlewares.
        server.request_handler = self.sim.answers.front(server.request_handler)
        site = web.TCPSite(runner, host, port, ssl_context=self.ssl_context)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[-1][1])
        scheme = "https" if self.ssl_context is not None else "http"
        self.sim.set_site_url(f"{scheme}://{url_host(host)}:{self.port}")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ threaded
    def start_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve from a daemon thread with its own loop; returns once bound."""
        self._thread = LoopThread.started("woosim-server", self.start(host, port), timeout=30)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop and return its result (for sync callers)."""
        if self._thread is None:
            raise RuntimeError("the server is not running in a thread")
        return self._thread.run(coro)

    def call(self, function: Any, *args: Any) -> Any:
        """Call a plain function on the server's loop (store changes from a test thread)."""

        async def invoke() -> Any:
            return function(*args)

        return self.run(invoke())

    def submit(
        self, function: Callable[..., T], *args: Any, wake: bool = True
    ) -> concurrent.futures.Future[T]:
        """Call a plain function on the server's loop without waiting for it.

        Requests and :meth:`run`/:meth:`call` calls made afterwards run after it.
        ``wake=False``: see :meth:`LoopThread.submit`; :meth:`wake` before waiting on it.
        """
        if self._thread is None:
            raise RuntimeError("the server is not running in a thread")
        return self._thread.submit(function, *args, wake=wake)

    def wake(self) -> None:
        """Make the server's loop take a turn (see :meth:`submit`)."""
        if self._thread is None:
            raise RuntimeError("the server is not running in a thread")
        self._thread.wake()

    def stop_in_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.close_after(self.stop(), timeout=30)

    # ------------------------------------------------------------------ facts
    @property
    def site_url(self) -> str:
        return self.sim.settings.site_url

    @property
    def api_url(self) -> str:
        return self.sim.settings.api_url

    @property
    def consumer_key(self) -> str:
        return self.sim.keys.default.consumer_key

    @property
    def consumer_secret(self) -> str:
        return self.sim.keys.default.consumer_secret
