"""Driving an already running ``woosim serve`` through its control plane (``--woosim-url``).

Credentials: ``--woosim-consumer-key``/``--woosim-consumer-secret`` when given.
Otherwise they are derived from the store's seed, which ``GET /_woosim/settings``
shows (keys are a deterministic function of it), and checked against the last
seven characters of the key the store lists; a store started with its own
``--consumer-key`` needs the options.

The store's clock lives in the other process. Pollers, relays and the receiver
of this process sleep on a local mirror: every move goes to the store first
(``POST /_woosim/clock``, which steps its deliveries), then to the mirror (which
steps the pollers). Changes the store makes inside a step are therefore all
written before a poller of this process looks at that instant.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from simulator.app import default_keys
from simulator.clock import Clock, to_utc
from simulator.loops import LoopThread

T = TypeVar("T")
#: ``woosim serve``'s default seed: its keys are the ones a store without --seed has.
DEFAULT_SEED = "0"


class RemoteStoreError(RuntimeError):
    """The store at ``--woosim-url`` cannot be used; says why and what to do."""


def _iso(instant: datetime) -> str:
    return to_utc(instant).isoformat().replace("+00:00", "Z")


def _instant(state: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(state["timestamp"]), UTC)


def _credentials(settings: dict[str, Any], url: str) -> tuple[str, str]:
    """The key of a store started with the default seed (the store never shows its seed)."""
    derived = default_keys(DEFAULT_SEED)[0]
    listed = [k for k in settings.get("keys", []) if k.get("permissions") == "read_write"]
    if listed and listed[0].get("truncated_key") == derived.consumer_key[-7:]:
        return derived.consumer_key, derived.consumer_secret
    raise RemoteStoreError(
        f"the store at {url} was started with its own API key or --seed: pass "
        "--woosim-consumer-key and --woosim-consumer-secret (as woosim serve printed them)"
    )


class RemoteStore:
    """A ``woosim serve`` elsewhere, as a :class:`~pytest_woosim.harness.store.StoreBackend`."""

    def __init__(
        self,
        url: str,
        *,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        control_token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.site_url = url.rstrip("/")
        # A store bound beyond loopback guards /_woosim with the token `woosim serve` printed.
        self.control_headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self._control = httpx.Client(
            base_url=self.site_url + "/_woosim/", headers=self.control_headers, timeout=timeout
        )
        try:
            response = self._control.get("settings")
        except httpx.HTTPError as exc:
            self._control.close()
            raise RemoteStoreError(
                f"no woosim store answers at {self.site_url} ({exc}): start one with "
                "`woosim serve` or fix --woosim-url"
            ) from None
        if response.status_code == 401 and "woosim_control_token" in response.text:
            self._control.close()
            raise RemoteStoreError(
                f"the store at {self.site_url} guards its control plane: pass "
                "--woosim-control-token (as woosim serve printed it)"
            )
        if response.status_code != 200:
            self._control.close()
            raise RemoteStoreError(
                f"{self.site_url} is not a woosim store: GET /_woosim/settings answered "
                f"HTTP {response.status_code}"
            )
        settings: dict[str, Any] = response.json()
        self.api_url = str(settings.get("api_url") or self.site_url + "/wp-json/wc/v3")
        if bool(consumer_key) != bool(consumer_secret):
            self._control.close()
            raise RemoteStoreError("--woosim-consumer-key and --woosim-consumer-secret go together")
        if consumer_key and consumer_secret:
            self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        else:
            try:
                self.consumer_key, self.consumer_secret = _credentials(settings, self.site_url)
            except RemoteStoreError:
                self._control.close()
                raise
        state = self._control.get("clock").json()
        self.clock = Clock(_instant(state), frozen=bool(state["frozen"]))
        self._loop = LoopThread("woosim-remote-components")

    def __repr__(self) -> str:
        return f"RemoteStore(site_url={self.site_url!r})"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self._loop.run(coro, timeout)

    def reset(self, timezone: str) -> None:
        response = self._control.post("reset", json={"timezone": timezone})
        if response.status_code != 200:
            raise RemoteStoreError(
                f"POST {self.site_url}/_woosim/reset answered HTTP {response.status_code}: "
                f"{response.text[:300]} (is the store older than this plugin?)"
            )

    def _clock_body(
        self, set_to: datetime | None, advance: float, frozen: bool | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if set_to is not None:
            body["set"] = _iso(set_to)
        if advance:
            body["advance"] = advance
        if frozen is not None:
            body["frozen"] = frozen
        return body

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise RemoteStoreError(
                f"POST {self.site_url}/_woosim/clock answered HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )
        state: dict[str, Any] = response.json()
        return state

    def _mirror(self, state: dict[str, Any]) -> None:
        """Bring the local clock to the store's, stepping the pollers through the way."""
        frozen = bool(state["frozen"])
        if frozen and not self.clock.frozen:
            self.clock.freeze()
        target = _instant(state)
        self.clock.set(target, step=target.timestamp() > self.clock.timestamp())
        if not frozen and self.clock.frozen:
            self.clock.unfreeze()

    def move_clock(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        body = self._clock_body(set_to, advance, frozen)
        self._mirror(self._check(self._control.post("clock", json=body)))

    async def move_clock_async(
        self, *, set_to: datetime | None = None, advance: float = 0.0, frozen: bool | None = None
    ) -> None:
        body = self._clock_body(set_to, advance, frozen)
        # A client per call: an async client belongs to the loop of the test that made it.
        async with httpx.AsyncClient(
            base_url=self.site_url + "/_woosim/",
            headers=self.control_headers,
            timeout=self._control.timeout,
        ) as control:
            state = self._check(await control.post("clock", json=body))
        if bool(state["frozen"]) and not self.clock.frozen:
            self.clock.freeze()
        delta = float(state["timestamp"]) - self.clock.timestamp()
        if delta > 0:
            await self.clock.advance_async(delta)
        else:
            self.clock.set(_instant(state), step=False)
        if not state["frozen"] and self.clock.frozen:
            self.clock.unfreeze()

    def settle(self) -> None:
        """A remote reset is done when its request was answered."""

    def close(self) -> None:
        self._loop.close()
        self._control.close()


__all__ = ["RemoteStore", "RemoteStoreError"]
