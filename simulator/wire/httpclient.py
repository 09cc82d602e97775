"""A lean keep-alive HTTP/1.1 POST client: the store's webhook deliveries and the relay's callbacks.

Both senders post many small bodies to the same few URLs, so the cost of one POST
bounds their throughput. aiohttp's client spends about 300 microseconds of CPU on a
keep-alive POST; this one, on asyncio's protocol layer, a fraction of that. It does
only what those senders need:

* ``POST`` with a body already in memory, over a pool of keep-alive connections per
  origin (TLS for ``https``); no redirects, no cookies, no proxies;
* answers delimited by Content-Length, chunked encoding, or the connection closing;
  interim ``1xx`` answers skipped; ``Connection: close`` and HTTP/1.0 honoured;
* the status and up to ``max_body`` bytes of the answer's body;
* a request met by a kept-alive connection that the server had already closed (no
  byte of an answer came back) is sent once more, on a fresh connection, never again.
  The server may in rare cases have read it before closing, so it can arrive twice:
  webhook deliveries and notifications each carry their own id, which receivers
  deduplicate on;
* header names and values with CR, LF or NUL are refused (they would let a value
  write headers of its own), as are URLs with whitespace or control characters.

It lives in :mod:`simulator.wire` beside the signing module: a building block that
both the store and the integrator's side post with; it knows nothing of either.

Errors: :class:`InvalidRequest` (nothing was sent), :class:`ConnectFailed` (its
``cause`` is the ``OSError``, e.g. a refused connection or a certificate that fails
verification), :class:`EmptyReply`, :class:`ProtocolError`, another ``OSError`` when
the connection broke mid-answer, ``TimeoutError``, and :class:`ClientClosed`.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote, urlsplit

#: Default limit on the body bytes kept from an answer (the rest is read and dropped).
MAX_BODY = 1 << 20
#: Largest response head (status line and headers), and largest chunk-size line.
MAX_HEAD = 64 * 1024
#: Idle connections kept per origin by default.
DEFAULT_MAX_IDLE = 100
_NO_BODY_STATUSES = frozenset((204, 304))
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class InvalidRequest(ValueError):
    """The URL or a header cannot be sent; nothing went out."""


class InvalidURL(InvalidRequest):
    """Not an absolute http(s) URL, or one with whitespace or control characters."""


class InvalidHeader(InvalidRequest):
    """A header name or value that would break the request's framing."""


class ConnectFailed(ConnectionError):
    """No connection to the origin: refused, unresolvable, or the TLS handshake failed."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(f"cannot connect to {host}:{port}: {cause}")
        self.host = host
        self.port = port
        self.cause = cause


class EmptyReply(ConnectionError):
    """The connection closed before any byte of an answer arrived."""


class ProtocolError(Exception):
    """The server answered something that is not an HTTP/1.x response."""


class ClientClosed(RuntimeError):
    """``post`` after ``close``."""


#: (status, body): at most the client's ``max_body`` bytes of the answer's body.
#: A plain tuple: a named one costs a microsecond per request.
Reply = tuple[int, bytes]
#: ``post_soon``'s callback: ``(reply, None)`` or ``(None, error)``.
Settle = Callable[[Reply | None, BaseException | None], None]


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    #: The Host header value.
    authority: str
    #: Path and query, as sent on the request line.
    path: bytes
    #: The request line and the Host header, ready to send.
    prefix: bytes

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@lru_cache(maxsize=1024)
def target(url: str) -> Target:
    """Split a URL once: senders post to the same few URLs over and over."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidURL("whitespace or control characters in the URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidURL(f"not a valid host name: {host!r}") from None
    default = 443 if scheme == "https" else 80
    port = port or default
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    authority = shown if port == default else f"{shown}:{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if not path.isascii():
        # As browsers and HTTP libraries do: UTF-8, percent-encoded.
        path = "".join(ch if ch.isascii() else quote(ch) for ch in path)
    prefix = f"POST {path} HTTP/1.1\r\nHost: {authority}\r\n".encode("ascii")
    return Target(scheme, host, port, authority, path.encode("ascii"), prefix)


#: Header names already seen to be tokens (a few per sender: checked once each).
_TOKEN_NAMES: set[str] = set()


def _all_tokens(names: Iterable[str]) -> bool:
    for name in names:
        if name not in _TOKEN_NAMES:
            if _HEADER_NAME.fullmatch(name) is None:
                return False
            if len(_TOKEN_NAMES) < 1024:
                _TOKEN_NAMES.add(name)
    return True


def header_block(headers: Mapping[str, str]) -> bytes:
    """``Name: value\\r\\n`` lines; InvalidHeader for what would break the framing."""
    # No CR, LF or NUL in any value, names that are tokens: else find the culprit.
    # (One scan of the joined values: counting CRs in the block costs four times more.)
    values = "".join(headers.values())
    if (
        "\r" in values
        or "\n" in values
        or "\0" in values
        or not (_TOKEN_NAMES.issuperset(headers) or _all_tokens(headers))
    ):
        for name, value in headers.items():
            if not _all_tokens((name,)) or any(c in value for c in "\r\n\0"):
                raise InvalidHeader(f"invalid header {name!r}")
    try:
        return "".join([f"{name}: {value}\r\n" for name, value in headers.items()]).encode(
            "latin-1"
        )
    except UnicodeEncodeError:
        for name, value in headers.items():
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise InvalidHeader(f"header {name!r} has characters outside Latin-1") from None
        raise  # unreachable: names are tokens, so one of the values failed


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection carrying one request at a time."""

    def __init__(self, max_body: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        #: False once anything makes the connection unfit for another request.
        self.reusable = True
        self.received_any = False
        self._max_body = max_body
        self._buffer = bytearray()
        #: Who waits for the current answer: a future (``request``) or a callback
        #: (``request_then``); at most one of them, and only until the answer is settled.
        self._waiter: asyncio.Future[Reply] | None = None
        self._then: Settle | None = None
        #: The current request's deadline (loop time) and the one timer that enforces it.
        #: The timer is armed once and re-armed lazily when it fires early: requests on a
        #: kept-alive connection follow each other, and a timer per request cost more than
        #: the rest of the request's bookkeeping.
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._in_body = False
        self._until_close = False
        self._chunked = False
        self._remaining = 0  # Content-Length bytes still to come
        self._chunk_left = 0  # data bytes of the current chunk still to come
        self._chunk_crlf = False  # the current chunk's closing CRLF still to come
        self._body = bytearray()

    # ------------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's are not asyncio.Transport subclasses).
        self.transport = cast(asyncio.Transport, transport)

    def _awaited(self) -> bool:
        """Whether someone still waits for the current answer."""
        if self._then is not None:
            return True
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _settle(self, reply: Reply | None, error: BaseException | None) -> None:
        """Hand the answer (or the error) to whoever waits; call it last, since a callback
        may at once send the next request on this very connection."""
        then = self._then
        if then is not None:
            self._then = None
            then(reply, error)
            return
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if error is not None:
            waiter.set_exception(error)
        else:
            assert reply is not None
            waiter.set_result(reply)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        if not self._awaited():
            self.reusable = False  # bytes nobody asked for: do not trust this connection
            return
        self._buffer += data
        try:
            self._parse()
        except ProtocolError as exc:
            self._fail(exc)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost finishes the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._awaited():
            return
        if self._in_body and self._until_close:
            self._complete()  # a body delimited by the connection closing
        elif not self.received_any:
            self._settle(None, EmptyReply("Empty reply from server"))
        elif exc is not None:
            self._settle(None, exc)
        else:
            self._settle(
                None, ConnectionResetError("the connection closed in the middle of the answer")
            )

    # ------------------------------------------------------------------ use
    @property
    def idle_and_open(self) -> bool:
        return (
            self.reusable
            and not self.closed
            and self.transport is not None
            and not self.transport.is_closing()
        )

    def request(self, payload: bytes, deadline: float) -> asyncio.Future[Reply]:
        """Send ``payload``; its answer, or TimeoutError once the loop's clock passes
        ``deadline`` (the connection is then aborted)."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        self._send(loop, payload, deadline)
        return waiter

    def request_then(self, payload: bytes, deadline: float, then: Settle) -> None:
        """:meth:`request` with a callback: ``then(reply, None)`` or ``then(None, error)``
        is called from the connection's own read (or its deadline), no task woken."""
        self._waiter = None
        self._then = then
        self._send(asyncio.get_running_loop(), payload, deadline)

    def _send(self, loop: asyncio.AbstractEventLoop, payload: bytes, deadline: float) -> None:
        assert self.transport is not None
        self._buffer.clear()
        self.received_any = False
        self._reset()
        self._deadline = deadline
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._check_deadline)
        self.transport.write(payload)

    def _check_deadline(self) -> None:
        self._timer = None
        if not self._awaited():
            return  # idle: the next request arms the timer again
        loop = asyncio.get_running_loop()
        if loop.time() >= self._deadline:
            self.abort()
            self._settle(None, TimeoutError())
        else:  # a later request on this connection: wait for its own deadline
            self._timer = loop.call_at(self._deadline, self._check_deadline)

    def abort(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # ------------------------------------------------------------------ parsing
    def _fail(self, exc: BaseException) -> None:
        self.abort()
        self._settle(None, exc)

    def _complete(self) -> None:
        self._settle((self._status, bytes(self._body)), None)

    def _keep(self, count: int) -> None:
        """Keep up to ``count`` bytes from the front of the buffer as body (within the cap)."""
        room = self._max_body - len(self._body)
        if room > 0:
            self._body += self._buffer[: min(room, count)]

    def _parse(self) -> None:
        buffer = self._buffer
        while not self._in_body:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) >= 5 and not buffer.startswith(b"HTTP/"):
                    raise ProtocolError("not an HTTP/1.x response")
                if len(buffer) > MAX_HEAD:
                    raise ProtocolError("response headers too large")
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            self._read_head(head)
        if self._chunked:
            self._read_chunks()
        elif self._until_close:
            self._keep(len(buffer))
            buffer.clear()
        else:
            taken = min(self._remaining, len(buffer))
            if taken:
                self._keep(taken)
                del buffer[:taken]
                self._remaining -= taken
            if self._remaining == 0:
                if buffer:
                    self.reusable = False  # more than the answer: out of step
                self._complete()

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        version = status_line[0]
        if (
            len(status_line) < 2
            or not version.startswith(b"HTTP/1.")
            or len(status_line[1]) != 3
            or not status_line[1].isdigit()
        ):
            raise ProtocolError("not an HTTP/1.x response")
        status = int(status_line[1])
        if 100 <= status < 200:
            return  # interim answer (100 Continue...): the real one follows
        length: int | None = None
        transfer_encoding = False
        chunked = False
        connection: set[bytes] = set()
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise ProtocolError("a response header line has no colon")
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                if not value.isdigit():
                    raise ProtocolError("Content-Length is not a number")
                if length is not None and length != int(value):
                    raise ProtocolError("conflicting Content-Length headers")
                length = int(value)
            elif name == b"transfer-encoding":
                transfer_encoding = True
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"connection":
                # A comma-separated list of tokens (RFC 9110 §7.6.1); several lines add up.
                connection.update(token.strip().lower() for token in value.split(b","))
        if b"close" in connection:
            keep_alive = False
        else:
            keep_alive = version == b"HTTP/1.1" or b"keep-alive" in connection
        self._status = status
        self._in_body = True
        if not keep_alive:
            self.reusable = False
        if status in _NO_BODY_STATUSES:
            self._remaining = 0
        elif chunked:
            self._chunked = True
        elif length is not None and not transfer_encoding:
            self._remaining = length
        else:
            # No length, or a transfer coding other than chunked: the body ends at close.
            self._until_close = True
            self.reusable = False

    def _read_chunks(self) -> None:
        buffer = self._buffer
        while True:
            if self._chunk_left:
                taken = min(self._chunk_left, len(buffer))
                self._keep(taken)
                del buffer[:taken]
                self._chunk_left -= taken
                if self._chunk_left:
                    return
            if self._chunk_crlf:
                if len(buffer) < 2:
                    return
                if buffer[:2] != b"\r\n":
                    raise ProtocolError("a chunk does not end with CRLF")
                del buffer[:2]
                self._chunk_crlf = False
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                if len(buffer) > MAX_HEAD:
                    raise ProtocolError("bad chunk size line")
                return
            size_text = bytes(buffer[:line_end]).split(b";", 1)[0].strip()
            if _CHUNK_SIZE.fullmatch(size_text) is None:
                raise ProtocolError("bad chunk size")
            size = int(size_text, 16)
            if size == 0:
                # Optional trailer lines, then an empty line (found at once when none).
                end = buffer.find(b"\r\n\r\n", line_end)
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise ProtocolError("response trailers too large")
                    return
                if len(buffer) > end + 4:
                    self.reusable = False  # more than the answer: out of step
                buffer.clear()
                self._complete()
                return
            del buffer[: line_end + 2]
            self._chunk_left = size
            self._chunk_crlf = True


class KeepAliveClient:
    """POSTs over pooled keep-alive HTTP/1.1 connections. One instance per event loop.

    ``max_body`` bounds the answer bytes kept (0 keeps none: only the status matters);
    ``extra_headers`` go on every request after the caller's; ``ssl_context`` replaces
    the default verifying context for ``https``.
    """

    def __init__(
        self,
        *,
        max_idle_per_host: int = DEFAULT_MAX_IDLE,
        max_body: int = MAX_BODY,
        extra_headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._max_idle = max_idle_per_host
        self._max_body = max_body
        # The fixed headers and the blank line that ends the head.
        self._extra_and_end = header_block(extra_headers or {}) + b"\r\n"
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._all: set[_Connection] = set()
        #: post_soon's retries on a fresh connection (kept so they are not collected).
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, *, timeout: float
    ) -> Reply:
        """Send one POST; its answer. Raises as the module docstring says."""
        if self._closed:
            raise ClientClosed("the client is closed")
        where = target(url)
        payload = self._payload(where, headers, body)
        # The connection enforces the deadline on its exchange (no timer per request);
        # connecting, which is rare, is bounded here.
        deadline = asyncio.get_running_loop().time() + timeout
        connection = self._take_idle(where.key)
        if connection is not None:
            try:
                return await self._exchange(where.key, connection, payload, deadline)
            except EmptyReply:
                pass  # the server closed it while idle: once more, on a fresh connection
        async with asyncio.timeout_at(deadline):
            connection = await self._connect(where)
        return await self._exchange(where.key, connection, payload, deadline)

    def post_soon(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        timeout: float,
        then: Settle,
    ) -> bool:
        """:meth:`post` on an idle kept-alive connection, answered through a callback:
        ``then(reply, None)`` or ``then(None, error)`` (the errors :meth:`post` raises) is
        called from the connection's read, so no task wakes up between one answer and the
        caller's next request. False, and nothing sent, when no connection is idle or the
        request cannot be sent as given: call :meth:`post` instead, which says why.
        """
        if self._closed:
            return False
        try:
            where = target(url)
            payload = self._payload(where, headers, body)
        except InvalidRequest:
            return False
        key = where.key
        connection = self._take_idle(key)
        if connection is None:
            return False
        deadline = asyncio.get_running_loop().time() + timeout

        def settle(reply: Reply | None, error: BaseException | None) -> None:
            if error is None:
                assert reply is not None
                self._put_back(key, connection)
                then(reply, None)
            elif isinstance(error, EmptyReply) and not self._closed:
                # The server closed it while idle: once more, on a fresh connection.
                self._discard(connection)
                self._spawn(self._post_fresh(where, payload, deadline, then))
            else:
                self._discard(connection)
                then(None, error)

        connection.request_then(payload, deadline, settle)
        return True

    async def _post_fresh(
        self, where: Target, payload: bytes, deadline: float, then: Settle
    ) -> None:
        try:
            if self._closed:
                raise ClientClosed("the client is closed")
            async with asyncio.timeout_at(deadline):
                connection = await self._connect(where)
            reply = await self._exchange(where.key, connection, payload, deadline)
        except Exception as error:
            then(None, error)
        else:
            then(reply, None)

    def _payload(self, where: Target, headers: Mapping[str, str], body: bytes) -> bytes:
        return b"".join(
            (
                where.prefix,
                header_block(headers),
                b"Content-Length: %d\r\n" % len(body),
                self._extra_and_end,
                body,
            )
        )

    async def _exchange(
        self, key: tuple[str, str, int], connection: _Connection, payload: bytes, deadline: float
    ) -> Reply:
        try:
            reply = await connection.request(payload, deadline)
        except BaseException:
            # Failed, timed out or cancelled mid-answer: the connection is spent.
            self._discard(connection)
            raise
        self._put_back(key, connection)
        return reply

    def _put_back(self, key: tuple[str, str, int], connection: _Connection) -> None:
        """An answered connection: kept idle for the next request, or closed."""
        if connection.idle_and_open and not self._closed:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append(connection)
                return
        self._discard(connection)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.idle_and_open:
                return connection
            self._discard(connection)
        return None

    async def _connect(self, where: Target) -> _Connection:
        context: ssl.SSLContext | None = None
        if where.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        loop = asyncio.get_running_loop()
        try:
            transport, connection = await loop.create_connection(
                lambda: _Connection(self._max_body),
                where.host,
                where.port,
                ssl=context,
                server_hostname=where.host if context else None,
            )
        except OSError as exc:
            raise ConnectFailed(where.host, where.port, exc) from exc
        if connection.transport is None:
            # Loops that call connection_made later than asyncio's (uvloop) have
            # handed the transport over already.
            connection.connection_made(transport)
        self._all.add(connection)
        return connection

    def _discard(self, connection: _Connection) -> None:
        connection.abort()
        self._all.discard(connection)

    async def close(self) -> None:
        """Close every connection, idle or busy; later posts raise ClientClosed."""
        self._closed = True
        for connection in list(self._all):
            connection.abort()
        self._all.clear()
        self._idle.clear()


__all__ = [
    "DEFAULT_MAX_IDLE",
    "MAX_BODY",
    "ClientClosed",
    "ConnectFailed",
    "EmptyReply",
    "InvalidHeader",
    "InvalidRequest",
    "InvalidURL",
    "KeepAliveClient",
    "ProtocolError",
    "Reply",
    "Settle",
    "Target",
    "header_block",
    "target",
]
