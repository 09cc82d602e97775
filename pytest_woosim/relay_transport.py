"""HTTP for the notification sender: aiohttp's keep-alive client, behind httpx or directly.

The sender posts many small notifications to one callback URL, so the cost of a
single request bounds its throughput. aiohttp's client does a keep-alive POST on
loopback roughly three times faster than httpx's own transport, and skipping the
httpx request/response objects altogether saves as much again.

* :class:`AiohttpTransport` is an httpx transport over aiohttp, for callers that
  speak httpx. It also offers :meth:`AiohttpTransport.post`, the sender's fast
  path: one POST, the status code back, nothing else built.
* :func:`sender_client` gives the httpx client a sender should get; the sender
  notices its transport and takes the fast path.

Only what the sender uses is supported: a request with a body, a response read
whole. Redirects are not followed.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
import httpx

#: Connections kept per callback host; the sender's own limit on concurrent
#: posts is what really bounds them.
DEFAULT_CONNECTION_LIMIT = 64


class PostFailed(Exception):
    """A POST got no HTTP answer; ``str()`` says why (no secrets, no body)."""


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AiohttpTransport())``: requests go through aiohttp."""

    def __init__(self, *, limit: int = DEFAULT_CONNECTION_LIMIT) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit),
                auto_decompress=False,
                # Timeouts are given per request; no cookies kept.
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST ``body`` and return the status code; PostFailed when there is no answer."""
        try:
            async with self._get_session().post(
                url,
                data=body,
                headers=dict(headers),
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                # Read the answer so the connection goes back to the pool.
                await response.read()
                return response.status
        except TimeoutError as exc:
            raise PostFailed(f"timeout after {timeout:g}s") from exc
        except aiohttp.ClientConnectorError as exc:
            raise PostFailed(f"ConnectError: {exc}") from exc
        except (aiohttp.ClientError, aiohttp.InvalidURL, ValueError, OSError) as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        total = timeouts.get("read") or timeouts.get("pool")
        body = await request.aread()
        try:
            async with self._get_session().request(
                request.method,
                str(request.url),
                data=body,
                headers=list(request.headers.multi_items()),
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=total),
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=list(response.raw_headers),
                    content=content,
                    request=request,
                )
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"no answer within {total}s", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(
                f"{type(exc).__name__}: {exc}", request=request
            ) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class SenderClient(httpx.AsyncClient):
    """An httpx client over :class:`AiohttpTransport` whose fast path the sender can use."""

    def __init__(self, *, timeout: float, limit: int = DEFAULT_CONNECTION_LIMIT) -> None:
        self.aiohttp_transport = AiohttpTransport(limit=limit)
        # trust_env off: a proxy from the environment must not swallow loopback callbacks.
        super().__init__(transport=self.aiohttp_transport, timeout=timeout, trust_env=False)


def sender_client(timeout: float, *, limit: int = DEFAULT_CONNECTION_LIMIT) -> SenderClient:
    """The httpx client to give a sender (no proxies from the environment)."""
    return SenderClient(timeout=timeout, limit=limit)


__all__ = [
    "DEFAULT_CONNECTION_LIMIT",
    "AiohttpTransport",
    "PostFailed",
    "SenderClient",
    "sender_client",
]
