"""WordPress's HTTP API as webhook deliveries meet it: which URLs it refuses, how a ping
posts, and how a failed request reads in its log (cURL's words)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

import aiohttp

from simulator.wire.httpclient import ConnectFailed, EmptyReply, ProtocolError

#: wp_http_validate_url(): the only ports wp_safe_remote_request() will talk to.
SAFE_PORTS = (80, 443, 8080)


class DeliveryRefused(Exception):
    """wp_safe_remote_request() refused the URL before any connection was made."""


async def check_safe_url(url: str, site_url: str) -> None:
    """wp_http_validate_url(), as wp_safe_remote_request() applies it."""
    refused = DeliveryRefused("A valid URL was not provided.")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise refused
    if any(c in host for c in ":#?[]"):
        raise refused  # IPv6 literals included, as WordPress refuses them too
    home = urlsplit(site_url)
    same_host = (home.hostname or "").lower() == host.lower()
    if not same_host:
        address = await _ipv4_of(host)
        if address is None or _is_wp_private(address):
            raise refused
    port = parts.port
    if port is None or port in SAFE_PORTS:
        return
    if same_host and home.port == port:
        return
    raise refused


async def _ipv4_of(host: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, family=socket.AF_INET)
    except OSError:
        return None
    return ipaddress.IPv4Address(infos[0][4][0]) if infos else None


def _is_wp_private(address: ipaddress.IPv4Address) -> bool:
    """wp_http_validate_url()'s private ranges: 0/8, 10/8, 127/8, 172.16/12, 192.168/16."""
    first, second = address.packed[0], address.packed[1]
    return (
        first in (0, 10, 127)
        or (first == 172 and 16 <= second <= 31)
        or (first == 192 and second == 168)
    )


async def ping_post(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> tuple[int, bytes]:
    """wp_safe_remote_post() for a ping: redirects followed, as WordPress does by default."""
    async with session.post(
        url,
        data=body,
        headers=headers,
        allow_redirects=True,  # wp_safe_remote_post()'s default 'redirection' => 5
        max_redirects=5,
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        return response.status, await response.read()


def describe_error(exc: BaseException, url: str, timeout: float, elapsed: float) -> str:
    """The WP_Error message WordPress would log, in cURL's words where they are well known."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if isinstance(exc, ConnectFailed):
        exc = exc.cause  # described by what stopped the connection
    if isinstance(exc, DeliveryRefused):
        return str(exc)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return (
            f"cURL error 28: Operation timed out after {int(elapsed * 1000)} milliseconds "
            "with 0 bytes received"
        )
    if isinstance(exc, ssl.SSLCertVerificationError | aiohttp.ClientConnectorCertificateError):
        # WordPress verifies certificates ('sslverify' => true): self-signed ones fail.
        cause = getattr(exc, "certificate_error", exc)
        reason = getattr(cause, "verify_message", None) or str(cause)
        return f"cURL error 60: SSL certificate problem: {reason}"
    if isinstance(exc, ssl.SSLError):
        return f"cURL error 35: {exc}"
    if isinstance(exc, ConnectionRefusedError | aiohttp.ClientConnectorError):
        return f"cURL error 7: Failed to connect to {host} port {port}: Connection refused"
    if isinstance(exc, EmptyReply | aiohttp.ServerDisconnectedError):
        return "cURL error 52: Empty reply from server"
    if isinstance(exc, ProtocolError | aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return f"cURL error 8: Weird server reply ({exc})"
    if isinstance(exc, socket.gaierror):
        return f"cURL error 6: Could not resolve host: {host}"
    if isinstance(exc, ConnectionError | aiohttp.ClientOSError):
        return "cURL error 56: Recv failure: Connection reset by peer"
    return f"{exc.__class__.__name__}: {exc}"
