"""Keep web pages on other sites from driving a local server through the visitor's browser.

One guard for the store's control plane (``/_woosim``) and the relay's routes.
A loopback server without a token is reachable by any page the user opens: a
no-cors ``fetch`` or an HTML form can send it state changes, and a DNS-rebound
name can read its answers. So every request is checked first:

* the ``Host`` header names this server: an IP address, ``localhost`` (or a
  ``*.localhost`` name), or a name the server was told about (its bound host,
  ``--allowed-host``); any other name is a DNS-rebinding attempt and is answered
  421;
* a state change (any method but GET/HEAD/OPTIONS) comes from no browser or
  from this server's own pages: a ``Sec-Fetch-Site`` other than ``same-origin``
  or ``none``, an ``Origin`` other than the server's own, or a body type an HTML
  form or a no-cors ``fetch`` can send (form, multipart, text/plain) is
  answered 403 and reaches no handler.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from aiohttp import web
from yarl import URL

#: Host names that always mean this machine (RFC 6761 reserves ``.localhost``).
LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Body types a cross-site HTML form or no-cors fetch can send without a preflight.
SIMPLE_CONTENT_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
HOST_NOT_ALLOWED: Final = "woosim_host_not_allowed"
CROSS_SITE_REQUEST: Final = "woosim_cross_site_request"

#: Builds the refusal in the server's own error format: (status, code, message).
Refuse = Callable[[int, str, str], web.StreamResponse]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_allowed(name: str, allowed: Collection[str]) -> bool:
    """May a request naming ``name`` in its Host header be answered?

    An IP address cannot be rebound by DNS; a name can, so only the loopback
    names and the ones this server was told about pass.
    """
    name = name.lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in allowed:
        return True
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _same_origin(origin: str, request: web.Request) -> bool:
    """Is ``origin`` (an Origin header) the origin this request was sent to?"""
    try:
        sent_from = URL(origin)
        sent_to = URL.build(scheme=request.scheme, authority=request.host)
    except ValueError:
        return False
    return (sent_from.scheme, sent_from.host, sent_from.port) == (
        sent_to.scheme,
        sent_to.host,
        sent_to.port,
    )


def cross_site_problem(request: web.Request) -> str | None:
    """Why a state-changing request looks like a browser sent it from another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"a {fetch_site} request (Sec-Fetch-Site)"
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin, request):
        return f"sent from another origin ({origin})"
    if request.content_type in SIMPLE_CONTENT_TYPES:
        return f"a {request.content_type} body (send JSON: Content-Type: application/json)"
    return None


def cross_site_middleware(
    allowed_hosts: Collection[str],
    *,
    server: str,
    refuse: Refuse,
    unguarded_prefixes: tuple[str, ...] = (),
) -> Any:
    """A middleware refusing foreign Host names (421) and cross-site state changes (403).

    ``allowed_hosts`` is read on every request, so a set filled in later (the
    bound host, once known) counts. ``server`` names the server in messages
    ("this store"); paths under ``unguarded_prefixes`` carry their own
    authentication (signed deliveries) and pass unchecked.
    """

    @web.middleware
    async def cross_site_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if unguarded_prefixes and request.path.startswith(unguarded_prefixes):
            return await handler(request)
        host = request.url.host
        if host is None or not host_allowed(host, allowed_hosts):
            return refuse(
                421,
                HOST_NOT_ALLOWED,
                f"Host {request.host!r} is not a name of {server} (DNS rebinding?); "
                "use its address, localhost, or start it with --allowed-host NAME.",
            )
        if request.method not in SAFE_METHODS:
            problem = cross_site_problem(request)
            if problem is not None:
                return refuse(
                    403,
                    CROSS_SITE_REQUEST,
                    f"Refused: {problem}. Only {server}'s own pages and non-browser clients "
                    "may change state here.",
                )
        return await handler(request)

    return cross_site_guard


__all__ = [
    "CROSS_SITE_REQUEST",
    "HOST_NOT_ALLOWED",
    "LOOPBACK_NAMES",
    "cross_site_middleware",
    "cross_site_problem",
    "host_allowed",
]
