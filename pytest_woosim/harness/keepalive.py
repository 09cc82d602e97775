"""The transport under the handle's ``httpx.Client``: HTTP/1.1 over kept-alive sockets.

A test's request through httpx's own transport (httpcore and h11) costs about four
times the CPU of the store's answer to it, and every woosim test makes at least one.
This transport does the same exchange with little per-request work, for the one
origin the handle talks to: the request is written in one ``sendall`` and the answer
read into one buffer. The client above it is still ``httpx.Client``, so auth,
cookies, redirects, timeouts, decoding and the ``Response`` are httpx's own.

What it does, for plain ``http`` to its origin:

* one request at a time per connection; idle connections are kept (a few) and
  reused, from any thread;
* answers delimited by Content-Length, chunked encoding or the connection closing;
  interim ``1xx`` answers skipped; no body for ``HEAD``, 204 and 304;
  ``Connection: close`` and HTTP/1.0 honoured;
* a kept connection that turns out readable before it is reused (the server
  closed it, or sent bytes nobody asked for) is dropped, not used; a request
  that meets a kept connection closed in between (no byte of an answer came
  back) is sent once more on a fresh one;
* errors are httpx's: ``ConnectError``/``ConnectTimeout``, ``WriteError``,
  ``ReadError``/``ReadTimeout``, ``RemoteProtocolError`` for a broken answer,
  ``LocalProtocolError`` for a header that would break the request's framing.

Any other URL (``https``, another host or port) goes through httpx's own transport.
"""

from __future__ import annotations

import re
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx

#: Largest response head (status line and headers), and largest chunk-size line.
MAX_HEAD = 64 * 1024
#: Idle connections kept; more only while requests overlap (threads).
MAX_IDLE = 4
_RECV_SIZE = 256 * 1024
_NO_BODY_STATUSES = frozenset((204, 304))
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class _Unanswered(Exception):
    """A kept connection was closed before any byte of an answer came back."""


class _Connection:
    """One TCP connection and the bytes read from it that are not used yet."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.timeout: float | None = None
        self.reusable = True

    def set_timeout(self, timeout: float | None) -> None:
        if timeout != self.timeout:
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def stale(self) -> bool:
        """Readable while idle: closed by the server, or bytes nobody asked for."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def close(self) -> None:
        self.reusable = False
        self.sock.close()

    # ------------------------------------------------------------------ reading
    def more(self) -> bool:
        data = self.sock.recv(_RECV_SIZE)
        if not data:
            return False
        self.buffer += data
        return True

    def read_until(self, marker: bytes, what: str) -> bytes:
        """The bytes before ``marker`` (dropped from the buffer with it)."""
        buffer = self.buffer
        start = 0
        while True:
            end = buffer.find(marker, start)
            if end >= 0:
                found = bytes(buffer[:end])
                del buffer[: end + len(marker)]
                return found
            if len(buffer) > MAX_HEAD:
                raise httpx.RemoteProtocolError(f"{what} too large")
            start = max(0, len(buffer) - len(marker) + 1)
            if not self.more():
                raise httpx.RemoteProtocolError(
                    f"the server closed the connection in the middle of the {what}"
                )

    def read_exactly(self, count: int) -> bytes:
        buffer = self.buffer
        while len(buffer) < count:
            if not self.more():
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body: "
                    f"received {len(buffer)} bytes, expected {count}"
                )
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    def read_to_close(self) -> bytes:
        while self.more():
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        self.reusable = False
        return data

    def read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self.read_until(b"\r\n", "chunk size line")
            size_text = line.split(b";", 1)[0].strip()
            if _CHUNK_SIZE.fullmatch(size_text) is None:
                raise httpx.RemoteProtocolError("bad chunk size")
            size = int(size_text, 16)
            if size == 0:
                while self.read_until(b"\r\n", "chunked trailer"):
                    pass  # trailer lines, up to the empty one
                return b"".join(parts)
            parts.append(self.read_exactly(size))
            if self.read_exactly(2) != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk does not end with CRLF")


def _head_of(request: httpx.Request, target: bytes) -> bytes:
    """The request line and headers, refusing what would break the framing."""
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        if _TOKEN.fullmatch(name) is None or b"\r" in value or b"\n" in value or b"\0" in value:
            raise httpx.LocalProtocolError(f"invalid header {name!r}")
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


def _parse_head(
    head: bytes,
) -> tuple[int, bytes, list[tuple[bytes, bytes]], int | None, bool, bool]:
    """(status, reason, headers, Content-Length, chunked, keep-alive) of a response head."""
    lines = head.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    status_text, _, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(status_text) != 3 or not status_text.isdigit():
        raise httpx.RemoteProtocolError("not an HTTP/1.x response")
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    coded = chunked = False
    connection: set[bytes] = set()
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise httpx.RemoteProtocolError("a response header line has no colon")
        name = name.strip()
        value = value.strip()
        headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length":
            if not value.isdigit() or (length is not None and length != int(value)):
                raise httpx.RemoteProtocolError("bad Content-Length")
            length = int(value)
        elif lowered == b"transfer-encoding":
            coded = True
            chunked = value.lower().endswith(b"chunked")
        elif lowered == b"connection":
            connection.update(token.strip().lower() for token in value.split(b","))
    if coded:
        length = None  # a transfer coding wins over any Content-Length
    keep_alive = b"close" not in connection and (
        version == b"HTTP/1.1" or b"keep-alive" in connection
    )
    return int(status_text), reason, headers, length, chunked, keep_alive


class KeepAliveTransport(httpx.BaseTransport):
    """``httpx.Client(transport=KeepAliveTransport(url, ...))``: see the module's docstring."""

    def __init__(
        self, origin: str, fallback: Callable[[], httpx.BaseTransport] | None = None
    ) -> None:
        url = httpx.URL(origin)
        if url.scheme != "http":
            raise ValueError(f"KeepAliveTransport speaks plain http only, not {origin!r}")
        self._host = url.host
        self._port = url.port or 80
        self._make_fallback = fallback or httpx.HTTPTransport
        self._fallback: httpx.BaseTransport | None = None
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ httpx
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http" or url.host != self._host or (url.port or 80) != self._port:
            return self._other(request)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        body = request.read()
        if request.headers.get("transfer-encoding", "").lower() == "chunked":
            # A body of unknown length (an iterator): read now, it goes as one chunk.
            body = (b"%x\r\n%b\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        payload = _head_of(request, url.raw_path) + body
        connection, reused = self._take(timeouts.get("connect"))
        try:
            try:
                answer = self._exchange(connection, request, payload, timeouts, reused)
            except _Unanswered:
                # A kept connection the server closed just before the request: once more.
                connection.close()
                connection = self._connect(timeouts.get("connect"))
                answer = self._exchange(connection, request, payload, timeouts, False)
        except BaseException:
            connection.close()
            raise
        self._give_back(connection)
        return answer

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        if self._fallback is not None:
            self._fallback.close()

    # ------------------------------------------------------------------ connections
    def _other(self, request: httpx.Request) -> httpx.Response:
        if self._fallback is None:
            self._fallback = self._make_fallback()
        return self._fallback.handle_request(request)

    def _take(self, connect_timeout: float | None) -> tuple[_Connection, bool]:
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the transport is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(connect_timeout), False
            if connection.stale():
                connection.close()
                continue
            return connection, True

    def _connect(self, timeout: float | None) -> _Connection:
        try:
            sock = socket.create_connection((self._host, self._port), timeout=timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(sock)
        connection.timeout = timeout
        return connection

    def _give_back(self, connection: _Connection) -> None:
        if connection.reusable and not connection.buffer:
            with self._lock:
                if not self._closed and len(self._idle) < MAX_IDLE:
                    self._idle.append(connection)
                    return
        connection.close()

    # ------------------------------------------------------------------ one exchange
    def _exchange(
        self,
        connection: _Connection,
        request: httpx.Request,
        payload: bytes,
        timeouts: dict[str, Any],
        reused: bool,
    ) -> httpx.Response:
        connection.set_timeout(timeouts.get("write"))
        try:
            connection.sock.sendall(payload)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            if reused:
                raise _Unanswered from exc
            raise httpx.WriteError(str(exc)) from exc
        connection.set_timeout(timeouts.get("read"))
        try:
            if not connection.buffer:
                try:
                    answered = connection.more()
                except ConnectionResetError:
                    answered = False
                if not answered:
                    if reused:
                        raise _Unanswered
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
            return self._answer(connection, request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from exc

    @staticmethod
    def _answer(connection: _Connection, request: httpx.Request) -> httpx.Response:
        while True:
            head = connection.read_until(b"\r\n\r\n", "response head")
            status, reason, headers, length, chunked, keep_alive = _parse_head(head)
            if not 100 <= status < 200:
                break  # interim answers (100 Continue...) come before the real one
        if not keep_alive:
            connection.reusable = False
        if request.method == "HEAD" or status in _NO_BODY_STATUSES:
            body = b""
        elif chunked:
            body = connection.read_chunked()
        elif length is not None:
            body = connection.read_exactly(length)
        else:
            body = connection.read_to_close()
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )


__all__ = ["KeepAliveTransport"]
