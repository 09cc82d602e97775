"""HTTP for the notification sender: the shared keep-alive poster, and httpx over aiohttp.

The sender posts many small notifications to one callback URL, so the cost of a
single request bounds its throughput.

* :class:`KeepAlivePoster` is the sender's fast path: the shared
  :class:`~simulator.wire.httpclient.KeepAliveClient` (a POST costs about a quarter
  of the CPU of aiohttp's client), with only the status code back and every
  failure a :class:`PostFailed` that says why.
* :class:`AiohttpTransport` is an httpx transport over aiohttp, for callers that
  speak httpx (aiohttp's client does a keep-alive request on loopback roughly three
  times faster than httpx's own transport).
* :func:`sender_client` gives the httpx client a sender should get; the sender
  notices it and posts through its :class:`KeepAlivePoster` instead.

Redirects are not followed.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
import httpx

from simulator.wire.httpclient import (
    ClientClosed,
    ConnectFailed,
    InvalidRequest,
    KeepAliveClient,
    ProtocolError,
)

#: Connections kept per callback host; the sender's own limit on concurrent
#: posts is what really bounds them.
DEFAULT_CONNECTION_LIMIT = 64


class PostFailed(Exception):
    """A POST got no HTTP answer; ``str()`` says why (no secrets, no body)."""


#: Idle connections kept per origin.
MAX_IDLE_PER_ORIGIN = 64


class KeepAlivePoster:
    """The sender's fast path: :class:`~simulator.wire.httpclient.KeepAliveClient`, status only.

    Every failure becomes a :class:`PostFailed` whose message says what went wrong,
    in the words the sender logs and records for an attempt.
    """

    def __init__(self, *, max_idle: int = MAX_IDLE_PER_ORIGIN) -> None:
        # The callback's answer body is never looked at: keep none of it.
        self._client = KeepAliveClient(max_idle_per_host=max_idle, max_body=0)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST ``body``; the status code, or PostFailed when there is no answer."""
        try:
            status, _ = await self._client.post(url, headers, body, timeout=timeout)
        except ClientClosed:
            raise PostFailed("the poster is closed") from None
        except InvalidRequest as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from None
        except ConnectFailed as exc:
            raise PostFailed(f"ConnectError: {exc}") from None
        except TimeoutError:
            raise PostFailed(f"timeout after {timeout:g}s") from None
        except ProtocolError as exc:
            raise PostFailed(f"RemoteProtocolError: {exc}") from None
        except OSError as exc:  # EmptyReply, or the connection broke mid-answer
            reason = f": {exc}" if str(exc) else ""
            raise PostFailed(f"ConnectionClosed: no complete answer{reason}") from None
        return status

    async def aclose(self) -> None:
        await self._client.close()


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
        self.poster = KeepAlivePoster(max_idle=limit)
        # trust_env off: a proxy from the environment must not swallow loopback callbacks.
        super().__init__(transport=self.aiohttp_transport, timeout=timeout, trust_env=False)

    async def aclose(self) -> None:
        await self.poster.aclose()
        await super().aclose()


def sender_client(timeout: float, *, limit: int = DEFAULT_CONNECTION_LIMIT) -> SenderClient:
    """The httpx client to give a sender (no proxies from the environment)."""
    return SenderClient(timeout=timeout, limit=limit)


__all__ = [
    "DEFAULT_CONNECTION_LIMIT",
    "AiohttpTransport",
    "KeepAlivePoster",
    "PostFailed",
    "SenderClient",
    "sender_client",
]
