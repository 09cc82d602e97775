"""The relay's operational routes behind a token, by the store control plane's rule.

A relay bound beyond loopback has a control token (``--control-token``, the
``WOOSIM_RELAY_CONTROL_TOKEN`` environment variable, or a random one printed
once at start). Every operational request (``/healthz``, ``/stats``, ``/poll``,
``/redeliver``, the instance API and the page) must then present it as
``Authorization: Bearer <token>`` or ``?token=<token>`` (which also sets a
cookie for the page's own fetches). Loopback-bound relays need none. The rule
is by bind address, not by peer, as for ``woosim serve``. The store's inbound
deliveries (``/events/...``) are authenticated by their signatures instead.

A token alone does not stop web pages: a loopback relay has none, so the
service puts the cross-site guard (:mod:`simulator.wire.crosssite`) in front of
this middleware wherever it is bound: foreign Host names (DNS rebinding) get
421, cross-site state changes and form / text bodies 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from aiohttp import web

from simulator.wire.crosssite import cross_site_middleware
from simulator.wire.hosts import is_loopback_host

TOKEN_COOKIE: Final = "woosim_relay_token"
TOKEN_ENV: Final = "WOOSIM_RELAY_CONTROL_TOKEN"
#: Paths that carry their own authentication (signed webhook deliveries).
UNGUARDED_PREFIX: Final = "/events/"


def token_for(host: str, given: str | None) -> tuple[str | None, bool]:
    """The token to require, and whether it was generated (so it must be printed)."""
    if given is not None:
        return given, False
    if is_loopback_host(host):
        return None, False
    # Hex, never starting with "-": it is pasted after --control-token.
    return secrets.token_hex(24), True


def _presented(request: web.Request) -> tuple[str | None, bool]:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    if "token" in request.query:
        return request.query["token"], True
    return request.cookies.get(TOKEN_COOKIE), False


def token_middleware(token: str | None) -> Any:
    """Guard every route but the signed inbound deliveries with ``token`` (None: open)."""

    @web.middleware
    async def relay_token_middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if token is None or request.path.startswith(UNGUARDED_PREFIX):
            return await handler(request)
        given, from_query = _presented(request)
        if given is None or not hmac.compare_digest(
            given.encode("utf-8", "replace"), token.encode("utf-8")
        ):
            problem = "missing" if given is None else "wrong"
            return web.json_response(
                {
                    "status": "error",
                    "reason": f"control token {problem}: this relay listens beyond loopback; "
                    "send Authorization: Bearer <token> or ?token=<token> "
                    "(woosim relay printed it)",
                },
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="woosim relay"'},
            )
        response = await handler(request)
        if from_query and not response.prepared:
            response.set_cookie(TOKEN_COOKIE, token, path="/", httponly=True, samesite="Strict")
        return response

    return relay_token_middleware


def _refusal(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"status": "error", "reason": message, "code": code}, status=status)


def route_guards(token: str | None, allowed_hosts: Collection[str]) -> list[Any]:
    """The middlewares in front of the relay's routes: the cross-site guard, then the token.

    The guard comes first so that a page on another site is refused whether or not
    a token is needed; ``allowed_hosts`` are the names answered besides IP addresses
    and localhost (read per request).
    """
    guard = cross_site_middleware(
        allowed_hosts, server="this relay", refuse=_refusal, unguarded_prefixes=(UNGUARDED_PREFIX,)
    )
    return [guard, token_middleware(token)]


__all__ = ["TOKEN_COOKIE", "TOKEN_ENV", "route_guards", "token_for", "token_middleware"]
