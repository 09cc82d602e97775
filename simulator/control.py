"""The control plane under ``{site}/_woosim/``: reset, clock, data generation, untrash, settings.

JSON in, JSON out. A malformed body or a bad field is a 400 naming the field;
nothing changes unless the whole request is valid.

A store bound to a non-loopback address has a control token: every
``/_woosim`` request must then present it (``Authorization: Bearer <token>``,
``?token=<token>``, or the cookie a ``?token=`` request sets so the inspector's
own fetches work). Loopback-bound stores need none. The rule is by bind
address, not by peer: a store on 0.0.0.0 wants the token from 127.0.0.1 too.

Web pages on other sites must not drive it through the visitor's browser, so
every ``/_woosim`` request (control plane and inspector) passes the cross-site
guard first (:mod:`simulator.wire.crosssite`, shared with the relay): a foreign
``Host`` name is answered 421 (DNS rebinding), a cross-site state change or a
form / text body 403; the names allowed are the bound host and ``--allowed-host``.

``POST /_woosim/generate`` makes at most :data:`MAX_GENERATE_PER_REQUEST`
records a request (each record costs memory for the life of the store).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import RestError, invalid_json
from simulator.generate import GenerationInterrupted, generate_async
from simulator.params import as_boolean
from simulator.phpjson import dumps
from simulator.settings import load_timezone
from simulator.wcdates import parse_iso_instant
from simulator.wire import boundedjson
from simulator.wire.crosssite import cross_site_middleware

if TYPE_CHECKING:
    from simulator.app import Simulator

PREFIX = "/_woosim"
#: The sorted indexes pack dates into int64; keep the clock well inside that range.
MIN_YEAR, MAX_YEAR = 1971, 2150
MAX_GENERATE = 1_000_000
#: Customers + orders + products one generate request may make (about 150 MB of store).
MAX_GENERATE_PER_REQUEST = 100_000
#: Set after a ``?token=`` request so the inspector page's relative fetches carry the token.
TOKEN_COOKIE = "woosim_control_token"


def _refusal(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        body=dumps({"code": code, "message": message, "data": {"status": status}}),
        status=status,
        content_type="application/json",
    )


def make_cross_site_middleware(sim: Simulator) -> Any:
    """Refuse foreign Host names and cross-site state changes on ``/_woosim``."""
    return cross_site_middleware(sim.allowed_hosts, server="this store", refuse=_refusal)


def _presented_token(request: web.Request) -> tuple[str | None, bool]:
    """The token the request carries, and whether it came in the query string."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    if "token" in request.query:
        return request.query["token"], True
    return request.cookies.get(TOKEN_COOKIE), False


def make_control_token_middleware(sim: Simulator) -> Any:
    """Guard ``/_woosim`` with ``sim.control_token`` when it is set (read per request)."""

    @web.middleware
    async def control_token_middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        expected = sim.control_token
        if expected is None:
            return await handler(request)
        given, from_query = _presented_token(request)
        if given is None or not hmac.compare_digest(
            given.encode("utf-8", "replace"), expected.encode("utf-8")
        ):
            problem = "missing" if given is None else "wrong"
            return web.Response(
                body=dumps(
                    {
                        "code": "woosim_control_token",
                        "message": f"Control token {problem}: this store listens beyond loopback; "
                        "send Authorization: Bearer <token> or ?token=<token> "
                        "(woosim serve printed it).",
                        "data": {"status": 401},
                    }
                ),
                status=401,
                content_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="woosim control plane"'},
            )
        response = await handler(request)
        if from_query and not response.prepared:
            response.set_cookie(
                TOKEN_COOKIE, expected, path=PREFIX, httponly=True, samesite="Strict"
            )
        return response

    return control_token_middleware


def bad_request(field: str, problem: str) -> RestError:
    return RestError("woosim_invalid_request", f"{field}: {problem}", 400, field=field)


def reply(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(payload), status=status, content_type="application/json")


async def json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = boundedjson.loads(raw)
    except boundedjson.JsonProblem as problem:
        raise invalid_json(problem) from None
    if not isinstance(value, dict):
        raise bad_request("body", "must be a JSON object")
    return value


def _count(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(name, f"must be a whole number, not {json.dumps(value)}")
    if not 0 <= value <= MAX_GENERATE:
        raise bad_request(name, f"must be between 0 and {MAX_GENERATE}")
    return value


class ControlRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        # Generation runs in steps on the loop (see generate); a reset or a second
        # generation waits for the running one instead of interleaving with it.
        self._changing = asyncio.Lock()

    async def reset(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        unknown = set(body) - {"timezone"}
        if unknown:
            raise bad_request(sorted(unknown)[0], "unknown field (use timezone)")
        timezone = body.get("timezone")
        if timezone is not None:
            if not isinstance(timezone, str):
                raise bad_request("timezone", "must be an IANA zone name such as Europe/Paris")
            try:
                load_timezone(timezone)
            except ValueError as exc:
                raise bad_request("timezone", str(exc)) from None
        async with self._changing:
            self.sim.reset(timezone=timezone)
        return reply({"reset": True, "clock": self.sim.clock.state()})

    async def clock_get(self, request: web.Request) -> web.Response:
        return reply(self.sim.clock.state())

    async def clock_post(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        unknown = set(body) - {"set", "advance", "frozen"}
        if unknown:
            raise bad_request(sorted(unknown)[0], "unknown field (use set, advance, frozen)")
        target = None
        if "set" in body:
            if not isinstance(body["set"], str):
                raise bad_request("set", "must be an ISO-8601 date-time string")
            try:
                target = parse_iso_instant(body["set"])
            except ValueError:
                raise bad_request("set", f"not an ISO-8601 date-time: {body['set']!r}") from None
            if not MIN_YEAR <= target.astimezone(UTC).year <= MAX_YEAR:
                raise bad_request("set", f"must be between {MIN_YEAR} and {MAX_YEAR}")
        advance = body.get("advance", 0)
        if isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0:
            raise bad_request("advance", "must be a non-negative number of seconds")
        frozen = None
        if "frozen" in body:
            frozen = as_boolean(body["frozen"])
            if frozen is None or not isinstance(body["frozen"], bool):
                raise bad_request("frozen", "must be true or false")
        clock = self.sim.clock
        if frozen:
            clock.freeze()
        if target is not None:
            delta = target.timestamp() - clock.timestamp()
            if delta > 0:
                await clock.advance_async(delta)  # wake sleepers in order, as a step
            else:
                clock.set(target, step=False)
        if advance:
            await clock.advance_async(float(advance))
        if frozen is False:
            clock.unfreeze()
        return reply(clock.state())

    async def generate(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        unknown = set(body) - {"customers", "orders", "products", "seed", "days", "emit"}
        if unknown:
            raise bad_request(sorted(unknown)[0], "unknown field")
        counts = {name: _count(body, name) for name in ("customers", "orders", "products")}
        if sum(counts.values()) > MAX_GENERATE_PER_REQUEST:
            raise bad_request(
                "orders",
                f"customers + orders + products must be at most {MAX_GENERATE_PER_REQUEST} "
                "a request (send several requests for a larger store)",
            )
        days = body.get("days", 90)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise bad_request("days", "must be a whole number between 1 and 3650")
        seed = body.get("seed", self.sim.seed)
        if not isinstance(seed, str | int) or isinstance(seed, bool):
            raise bad_request("seed", "must be a string or an integer")
        emit = body.get("emit", True)
        if not isinstance(emit, bool):
            raise bad_request("emit", "must be true or false")
        # In steps of a few thousand records, yielding to the loop between steps:
        # other requests (reads, clock moves, webhook deliveries) are answered
        # meanwhile and see a consistent, growing store. A worker thread would
        # not block less (the GIL) and would need every handler to take a lock.
        try:
            async with self._changing:
                made = await generate_async(
                    self.sim.store,
                    seed,
                    customers=counts["customers"],
                    orders=counts["orders"],
                    products=counts["products"],
                    days=days,
                    emit=emit,
                )
        except ValueError as exc:
            raise bad_request("orders", str(exc)) from None
        except GenerationInterrupted as exc:
            raise RestError("woosim_generation_interrupted", str(exc), 409) from None
        return reply(made.summary())

    async def restore_order(self, request: web.Request) -> web.Response:
        order = self.sim.store.restore_order(int(request.match_info["id"]))
        return reply(self.sim.renderer.order(order))

    async def restore_product(self, request: web.Request) -> web.Response:
        product = self.sim.store.restore_product(int(request.match_info["id"]))
        return reply(self.sim.renderer.product(product))

    async def settings_post(self, request: web.Request) -> web.Response:
        """Change a store setting a shop owner may change at any time: ``taxes``."""
        body = await json_object(request)
        unknown = set(body) - {"taxes"}
        if unknown:
            raise bad_request(sorted(unknown)[0], "unknown field (use taxes)")
        if "taxes" in body:
            taxes = body["taxes"]
            if not isinstance(taxes, bool):
                raise bad_request("taxes", "must be true or false")
            async with self._changing:
                # Like switching woocommerce_calc_taxes: saved orders keep their taxes.
                self.sim.settings.taxes_enabled = taxes
        return await self.settings(request)

    async def settings(self, request: web.Request) -> web.Response:
        return reply(
            {
                **self.sim.settings.public(),
                # No seed: it derives every key (the unprinted read and write ones too).
                "keys": [key.masked() for key in self.sim.keys.all()],
            }
        )


def setup(app: web.Application, sim: Simulator) -> None:
    routes = ControlRoutes(sim)
    router = app.router
    router.add_post("/reset", routes.reset)
    router.add_get("/clock", routes.clock_get)
    router.add_post("/clock", routes.clock_post)
    router.add_post("/generate", routes.generate)
    router.add_post(r"/orders/{id:\d+}/restore", routes.restore_order)
    router.add_post(r"/products/{id:\d+}/restore", routes.restore_product)
    router.add_get("/settings", routes.settings)
    router.add_post("/settings", routes.settings_post)
