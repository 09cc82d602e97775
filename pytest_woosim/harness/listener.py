"""A loopback HTTP endpoint that takes POSTs: what both test receivers are built on.

:class:`~pytest_woosim.harness.receiver.Receiver` (Cloud Elements notifications) and
:class:`~pytest_woosim.harness.webhook_receiver.WebhookReceiver` (WooCommerce
webhooks) differ in what they check and record; serving, on the caller's loop or on
a loop thread of their own, is this class.
"""

from __future__ import annotations

from typing import Any, Self

from aiohttp import web

from simulator.loops import LoopThread


class PostListener:
    """Serves :meth:`_handle` for every POST on ``host:port`` (port 0: any free port)."""

    #: What the listener is called in errors and in its thread's name.
    kind = "listener"

    def __init__(self, *, host: str, port: int, path: str, max_body_size: int) -> None:
        self.host = host
        self.port = port
        self.path = path if path.startswith("/") else "/" + path
        self.max_body_size = max_body_size
        self._runner: web.AppRunner | None = None
        self._thread: LoopThread | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError(f"the {self.kind} is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def _runner_options(self) -> dict[str, Any]:
        """Extra keyword arguments for the aiohttp ``AppRunner``."""
        return {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=self.max_body_size)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, **self._runner_options())
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self) -> None:
        """Serve from a private event loop on a daemon thread (for sync callers)."""
        if self._thread is not None:
            return
        name = "woosim-" + self.kind.replace(" ", "-")
        self._thread = LoopThread.started(name, self.start(), timeout=30)

    def stop_in_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.close_after(self.stop(), timeout=30)

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_in_thread()


__all__ = ["PostListener"]
