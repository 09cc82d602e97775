"""An httpx transport over aiohttp's client, for the relay's notification sender.

The sender posts one notification at a time (strict order per instance), so the
cost of a single request bounds the relay's throughput. aiohttp's client does a
keep-alive POST on loopback roughly three times faster than httpx's own transport;
this adapter gives the sender that speed while it keeps speaking httpx.

Only what the sender uses is supported: a request with a body, a response read
whole. Redirects are not followed (httpx decides that above the transport).
"""

from __future__ import annotations

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AiohttpTransport())``: requests go through aiohttp."""

    def __init__(self, *, limit: int = 16) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit),
                auto_decompress=False,
                # httpx applies its own timeout per request (below); no cookies kept.
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return self._session

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


def sender_client(timeout: float) -> httpx.AsyncClient:
    """The httpx client the relay gives its sender (no proxies from the environment)."""
    return httpx.AsyncClient(transport=AiohttpTransport(), timeout=timeout, trust_env=False)


__all__ = ["AiohttpTransport", "sender_client"]
