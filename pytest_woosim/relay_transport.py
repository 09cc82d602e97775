"""HTTP for the notification sender: aiohttp's keep-alive client, behind httpx or directly.

The sender posts many small notifications to one callback URL, so the cost of a
single request bounds its throughput. aiohttp's client does a keep-alive POST on
loopback roughly three times faster than httpx's own transport, and skipping the
httpx request/response objects altogether saves as much again.

* :class:`AiohttpTransport` is an httpx transport over aiohttp, for callers that
  speak httpx. It also offers :meth:`AiohttpTransport.post`, the sender's fast
  path: one POST, the status code back, nothing else built.
* :class:`KeepAlivePoster` is the sender's fast path: a small HTTP/1.1 client on
  asyncio's protocol layer with a pool of keep-alive connections per origin. A POST
  costs about a quarter of the CPU of aiohttp's client, which matters when every
  notification is one request.
* :func:`sender_client` gives the httpx client a sender should get; the sender
  notices it and posts through :class:`KeepAlivePoster` instead.

Only what the sender uses is supported: a request with a body, a response read
whole. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp
import httpx

#: Connections kept per callback host; the sender's own limit on concurrent
#: posts is what really bounds them.
DEFAULT_CONNECTION_LIMIT = 64


class PostFailed(Exception):
    """A POST got no HTTP answer; ``str()`` says why (no secrets, no body)."""


#: Largest response head (status line and headers) accepted from a callback.
MAX_RESPONSE_HEAD = 64 * 1024
#: Idle connections kept per origin.
MAX_IDLE_PER_ORIGIN = 64
_NO_BODY_STATUSES = frozenset((204, 304))


class _Response(asyncio.Protocol):
    """One keep-alive connection; reads one response at a time (status code only)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._status = 0
        self._remaining: int | None = None  # body bytes still to come (Content-Length)
        self._chunked = False
        self._until_close = False
        self._in_body = False
        self.reusable = True
        self.received_any = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._in_body and self._until_close:
                waiter.set_result(self._status)
            else:
                reason = f": {exc}" if exc else ""
                waiter.set_exception(PostFailed(f"ConnectionClosed: no complete answer{reason}"))

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        if self._waiter is None or self._waiter.done():
            self.reusable = False  # bytes nobody asked for: do not trust this connection
            return
        self._buffer += data
        try:
            self._parse()
        except PostFailed as exc:
            self.reusable = False
            if not self._waiter.done():
                self._waiter.set_exception(exc)
            self.close()

    # -- use
    def request(self, payload: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._buffer.clear()
        self._in_body = self._chunked = self._until_close = False
        self._remaining = None
        self.received_any = False
        self.transport.write(payload)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # -- parsing
    def _parse(self) -> None:
        while not self._in_body:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_RESPONSE_HEAD:
                    raise PostFailed("RemoteProtocolError: response head too large")
                return
            head = bytes(self._buffer[:end]).decode("latin-1")
            del self._buffer[: end + 4]
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                raise PostFailed("RemoteProtocolError: not an HTTP/1.x response")
            status = int(parts[1])
            if 100 <= status < 200:
                continue  # interim answer (100 Continue): the real one follows
            self._start_body(status, parts[0], lines[1:])
        self._read_body()

    def _start_body(self, status: int, version: str, header_lines: list[str]) -> None:
        length: int | None = None
        chunked = False
        close = version == "HTTP/1.0"
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            if name == "content-length":
                if not value.isdigit():
                    raise PostFailed("RemoteProtocolError: bad Content-Length")
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                tokens = value.lower()
                close = "close" in tokens or (close and "keep-alive" not in tokens)
        self._status = status
        self._in_body = True
        if close:
            self.reusable = False
        if status in _NO_BODY_STATUSES:
            self._remaining = 0
        elif chunked:
            self._chunked = True
        elif length is not None:
            self._remaining = length
        else:
            self._until_close = True
            self.reusable = False

    def _read_body(self) -> None:
        assert self._waiter is not None
        if self._until_close:
            self._buffer.clear()
            return
        if self._chunked:
            self._read_chunks()
            return
        assert self._remaining is not None
        taken = min(self._remaining, len(self._buffer))
        self._remaining -= taken
        del self._buffer[:taken]
        if self._remaining == 0:
            if self._buffer:
                self.reusable = False
            self._waiter.set_result(self._status)

    def _read_chunks(self) -> None:
        assert self._waiter is not None
        while True:
            if self._remaining:  # inside a chunk (data plus its CRLF)
                taken = min(self._remaining, len(self._buffer))
                self._remaining -= taken
                del self._buffer[:taken]
                if self._remaining:
                    return
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                if len(self._buffer) > MAX_RESPONSE_HEAD:
                    raise PostFailed("RemoteProtocolError: bad chunk")
                return
            size_text = bytes(self._buffer[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise PostFailed("RemoteProtocolError: bad chunk size") from None
            if size == 0:
                # Trailers end with an empty line; the common case is none at all.
                trailer_end = self._buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return
                rest = len(self._buffer) - (trailer_end + 4)
                if rest:
                    self.reusable = False
                self._buffer.clear()
                self._waiter.set_result(self._status)
                return
            del self._buffer[: line_end + 2]
            self._remaining = size + 2


class KeepAlivePoster:
    """POSTs over pooled keep-alive HTTP/1.1 connections; only the status code comes back.

    Enough HTTP for a callback: Content-Length, chunked or read-to-close answers,
    interim 1xx answers skipped, ``Connection: close`` honoured, TLS for https. A
    request on a reused connection that the server had already closed is sent
    again once on a fresh connection (the server never saw it).
    """

    def __init__(self, *, max_idle: int = MAX_IDLE_PER_ORIGIN) -> None:
        self._max_idle = max_idle
        self._idle: dict[tuple[str, str, int], deque[_Response]] = {}
        self._targets: dict[str, tuple[tuple[str, str, int], bytes]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    def _target(self, url: str) -> tuple[tuple[str, str, int], bytes]:
        """(origin, request-line-and-Host prefix) for a URL, parsed once."""
        cached = self._targets.get(url)
        if cached is not None:
            return cached
        if any(ch.isspace() or ord(ch) < 32 for ch in url):
            raise PostFailed("InvalidURL: whitespace or control characters in the URL")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise PostFailed(f"InvalidURL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise PostFailed(f"InvalidURL: not an http(s) URL: {url!r}")
        host = parts.hostname
        port = port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rpartition("@")[2]
        prefix = f"POST {target} HTTP/1.1\r\nHost: {host_header}\r\n".encode("latin-1")
        entry = ((scheme, host, port), prefix)
        if len(self._targets) < 1024:
            self._targets[url] = entry
        return entry

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST ``body``; the status code, or PostFailed when there is no answer."""
        if self._closed:
            raise PostFailed("the poster is closed")
        origin, prefix = self._target(url)
        lines = [prefix]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise PostFailed(f"invalid header {name!r}")
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        lines.append(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii"))
        lines.append(body)
        payload = b"".join(lines)
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(origin, payload)
        except TimeoutError:
            raise PostFailed(f"timeout after {timeout:g}s") from None

    async def _exchange(self, origin: tuple[str, str, int], payload: bytes) -> int:
        while True:
            conn, reused = await self._acquire(origin)
            try:
                status = await conn.request(payload)
            except PostFailed:
                conn.close()
                if reused and not conn.received_any:
                    continue  # a stale keep-alive connection: try a fresh one
                raise
            except BaseException:
                conn.close()  # cancelled or timed out mid-answer: the connection is spent
                raise
            self._release(origin, conn)
            return status

    async def _acquire(self, origin: tuple[str, str, int]) -> tuple[_Response, bool]:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn, True
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                _Response, host, port, ssl=context, server_hostname=host if context else None
            )
        except OSError as exc:
            raise PostFailed(f"ConnectError: cannot connect to {host}:{port}: {exc}") from None
        return conn, False

    def _release(self, origin: tuple[str, str, int], conn: _Response) -> None:
        if not conn.reusable or conn.closed or self._closed:
            conn.close()
            return
        idle = self._idle.setdefault(origin, deque())
        if len(idle) >= self._max_idle:
            conn.close()
            return
        idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


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
