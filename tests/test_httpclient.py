"""The shared keep-alive POST client against raw TCP servers that answer in every legal way."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import pytest

from simulator.tls import self_signed
from simulator.wire.httpclient import (
    ClientClosed,
    ConnectFailed,
    EmptyReply,
    InvalidHeader,
    InvalidURL,
    KeepAliveClient,
    ProtocolError,
    header_block,
    target,
)


class Scripted:
    """A raw server: each request gets the next scripted answer; counts its connections.

    An answer is bytes (written whole, or one byte at a time with ``trickle``), or
    None to close the connection without answering (as when none is left);
    ``close_after`` closes each connection after that many answers; ``slow`` holds
    the answers to the requests it names (0 is the first) for that many seconds.
    """

    def __init__(
        self,
        answers: list[bytes | None],
        *,
        trickle: bool = False,
        close_after: int = 0,
        slow: dict[int, float] | None = None,
    ) -> None:
        self.answers = answers
        self.trickle = trickle
        self.close_after = close_after
        self.slow = slow or {}
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        #: Set each time the server has closed a connection.
        self.closed = asyncio.Event()

    async def __aenter__(self) -> Scripted:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?x=1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        answered = 0
        try:
            while True:  # after its last answer the connection stays open, silent
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                hold = self.slow.get(len(self.requests) - 1)
                if hold:
                    await asyncio.sleep(hold)  # a receiver that takes its time
                answer = self.answers.pop(0) if self.answers else None
                if answer is None:
                    break
                if self.trickle:
                    for i in range(len(answer)):
                        writer.write(answer[i : i + 1])
                        await writer.drain()
                else:
                    writer.write(answer)
                    await writer.drain()
                answered += 1
                if answered == self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)
            self.closed.set()


@pytest.fixture
async def client() -> AsyncIterator[KeepAliveClient]:
    wire = KeepAliveClient()
    yield wire
    await wire.close()


def test_target_splits_once() -> None:
    where = target("http://127.0.0.1:8080/a/b?c=d")
    assert (where.host, where.port, where.authority, where.path) == (
        "127.0.0.1",
        8080,
        "127.0.0.1:8080",
        b"/a/b?c=d",
    )
    assert target("https://example.com").authority == "example.com"
    assert target("https://example.com").port == 443


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, b"ok"),
        (b"HTTP/1.1 201\r\nContent-Length: 0\r\n\r\n", 201, b""),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n",
            200,
            b"Wikipedia",
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\nyes",
            202,
            b"yes",
        ),
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b""),
    ],
)
async def test_response_framings(
    client: KeepAliveClient, answer: bytes, status: int, body: bytes
) -> None:
    async with Scripted([answer, answer]) as server:
        url, requests = server.url, server.requests
        for _ in range(2):  # the second request reuses the connection
            assert await client.post(url, {"X-A": "1"}, b'{"id":1}', timeout=5) == (status, body)
        first = requests[0]
        assert first.startswith(b"POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"\r\nX-A: 1\r\n" in first and first.endswith(b'\r\n\r\n{"id":1}')
        assert b"Content-Length: 8\r\n" in first


async def test_body_until_close(client: KeepAliveClient) -> None:
    answer = b"HTTP/1.0 500 Oops\r\n\r\nsomething broke"
    async with Scripted([answer, answer], close_after=1) as server:
        url = server.url
        assert await client.post(url, {}, b"x", timeout=5) == (500, b"something broke")
        assert await client.post(url, {}, b"x", timeout=5) == (500, b"something broke")


async def test_a_stale_keep_alive_connection_is_replaced(client: KeepAliveClient) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    # The server answers once per connection, then closes it silently.
    async with Scripted([ok, ok], close_after=1) as server:
        url, requests = server.url, server.requests
        assert (await client.post(url, {}, b"a", timeout=5))[0] == 200
        await asyncio.wait_for(server.closed.wait(), 5)  # the server dropped the connection
        assert (await client.post(url, {}, b"b", timeout=5))[0] == 200
        assert len(requests) == 2


async def test_errors(client: KeepAliveClient) -> None:
    async with Scripted([None]) as server:
        with pytest.raises(EmptyReply):
            await client.post(server.url, {}, b"x", timeout=5)
    async with Scripted([b"SSH-2.0-OpenSSH\r\n\r\n"]) as server:
        with pytest.raises(ProtocolError):
            await client.post(server.url, {}, b"x", timeout=5)
    async with Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"]) as server:
        with pytest.raises(TimeoutError):
            await client.post(server.url, {}, b"x", timeout=0.2)


# ---------------------------------------------------------------------- more of the client
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_an_answer_in_one_byte_pieces_is_read_whole(client: KeepAliveClient) -> None:
    answers: list[bytes | None] = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
    ]
    async with Scripted(answers, trickle=True) as server:
        assert await client.post(server.url, {}, b"a", timeout=5) == (201, b"hello")
        assert await client.post(server.url, {}, b"b", timeout=5) == (200, b"abcde")
        assert server.connections == 1  # both framings leave the connection reusable


async def test_max_body_keeps_only_the_front_and_the_connection() -> None:
    small = KeepAliveClient(max_body=4)
    answers: list[bytes | None] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"6\r\nabcdef\r\n3\r\nghi\r\n0\r\n\r\n",
        b"HTTP/1.0 500 Oops\r\n\r\nsomething broke",
    ]
    try:
        async with Scripted(answers, close_after=3) as server:
            assert await small.post(server.url, {}, b"", timeout=5) == (200, b"0123")
            assert await small.post(server.url, {}, b"", timeout=5) == (200, b"abcd")
            assert await small.post(server.url, {}, b"", timeout=5) == (500, b"some")
            assert server.connections == 1
    finally:
        await small.close()


async def test_connection_close_and_http_1_0_are_honoured(client: KeepAliveClient) -> None:
    answers: list[bytes | None] = [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        OK,
    ]
    async with Scripted(answers) as server:
        for _ in range(4):
            assert (await client.post(server.url, {}, b"", timeout=5))[0] == 200
        # close -> new; HTTP/1.0 without keep-alive -> new; HTTP/1.0 keep-alive -> reused.
        assert server.connections == 3


@pytest.mark.parametrize(
    ("version", "connection_lines", "reused"),
    [
        # Tokens are compared whole and case-insensitively, in a comma-separated list.
        (b"HTTP/1.1", [b"Connection: Keep-Alive, Close"], False),
        (b"HTTP/1.1", [b"Connection: upgrade,CLOSE"], False),
        (b"HTTP/1.1", [b"Connection: x-not-closed"], True),
        (b"HTTP/1.0", [b"Connection: x-keep-alive-hint"], False),
        (b"HTTP/1.0", [b"Connection: TE, keep-alive"], True),
        # Several Connection lines form one list: close wins wherever it stands.
        (b"HTTP/1.1", [b"Connection: close", b"Connection: keep-alive"], False),
    ],
)
async def test_connection_tokens_are_parsed_not_searched(
    client: KeepAliveClient, version: bytes, connection_lines: list[bytes], reused: bool
) -> None:
    answer = b"\r\n".join([version + b" 200 OK", *connection_lines, b"Content-Length: 0", b"", b""])
    async with Scripted([answer, OK]) as server:
        for _ in range(2):
            assert (await client.post(server.url, {}, b"", timeout=5))[0] == 200
        assert server.connections == (1 if reused else 2)


async def test_bytes_beyond_the_answer_spoil_the_connection(client: KeepAliveClient) -> None:
    answers: list[bytes | None] = [OK + b"HTTP/1.1 200 OK\r\n", OK]
    async with Scripted(answers) as server:
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        assert server.connections == 2


async def test_the_request_on_the_wire() -> None:
    extra = KeepAliveClient(extra_headers={"Accept": "*/*"})
    try:
        async with Scripted([OK]) as server:
            url = f"http://127.0.0.1:{server.port}/caf\u00e9?q=1"
            await extra.post(url, {"X-Sig": "abc"}, b"{}", timeout=5)
            [request] = server.requests
            assert (
                request
                == (
                    f"POST /caf%C3%A9?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                    "X-Sig: abc\r\nContent-Length: 2\r\nAccept: */*\r\n\r\n{}"
                ).encode()
            )
    finally:
        await extra.close()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "1\r\nInjected: yes"},
        {"X-A": "1\nInjected: yes"},
        {"X-A": "a\x00b"},
        {"X-A: b": "1"},
        {"": "1"},
        {"X-A": "\u20ac"},
    ],
)
async def test_headers_that_break_the_framing_are_refused(
    client: KeepAliveClient, headers: dict[str, str]
) -> None:
    async with Scripted([OK]) as server:
        with pytest.raises(InvalidHeader, match=r"'X-A|''"):
            await client.post(server.url, headers, b"", timeout=5)
        assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "http:///nohost",
        "http://127.0.0.1/a b",
        "http://h/\x7f",
        "http://h:x/",
    ],
)
async def test_bad_urls_are_refused(client: KeepAliveClient, url: str) -> None:
    with pytest.raises(InvalidURL):
        await client.post(url, {}, b"", timeout=5)


def test_header_block_keeps_latin_1() -> None:
    assert header_block({"X-A": "caf\u00e9"}) == b"X-A: caf\xe9\r\n"


async def test_a_stale_connection_is_retried_once_only(client: KeepAliveClient) -> None:
    # First answer fine; then the server closes every connection without answering.
    async with Scripted([OK, None, None, None]) as server:
        assert (await client.post(server.url, {}, b"1", timeout=5))[0] == 200
        with pytest.raises(EmptyReply):
            await client.post(server.url, {}, b"2", timeout=5)
        assert len(server.requests) == 3  # the first, the stale try, one fresh try
        assert server.connections == 2


async def test_no_retry_after_part_of_an_answer(client: KeepAliveClient) -> None:
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    async with Scripted([OK, partial, OK], close_after=2) as server:
        await client.post(server.url, {}, b"1", timeout=5)
        with pytest.raises(ConnectionResetError):
            await client.post(server.url, {}, b"2", timeout=5)
        assert len(server.requests) == 2


async def test_a_fresh_connection_that_closes_is_not_retried(client: KeepAliveClient) -> None:
    async with Scripted([None, OK]) as server:
        with pytest.raises(EmptyReply):
            await client.post(server.url, {}, b"1", timeout=5)
        assert len(server.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Big: " + b"a" * (70 * 1024),
    ],
)
async def test_malformed_answers_are_protocol_errors(
    client: KeepAliveClient, answer: bytes
) -> None:
    async with Scripted([answer]) as server:
        with pytest.raises(ProtocolError):
            await client.post(server.url, {}, b"", timeout=5)


async def test_connect_failures_carry_their_cause(client: KeepAliveClient) -> None:
    async with Scripted([]) as server:
        url = server.url
    with pytest.raises(ConnectFailed) as caught:
        await client.post(url, {}, b"", timeout=5)
    assert isinstance(caught.value.cause, ConnectionRefusedError)
    assert caught.value.host == "127.0.0.1"
    assert str(caught.value).startswith("cannot connect to 127.0.0.1:")


async def test_tls_with_a_trusted_and_an_untrusted_certificate(client: KeepAliveClient) -> None:
    server_context, pem = self_signed()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    trusting = KeepAliveClient(ssl_context=ssl.create_default_context(cadata=pem.decode()))
    try:
        assert await trusting.post(url, {}, b"{}", timeout=5) == (200, b"ok")
        assert await trusting.post(url, {}, b"{}", timeout=5) == (200, b"ok")
        with pytest.raises(ConnectFailed) as caught:
            await client.post(url, {}, b"{}", timeout=5)  # the default context verifies
        assert isinstance(caught.value.cause, ssl.SSLCertVerificationError)
    finally:
        await trusting.close()
        server.close()
        await server.wait_closed()


async def test_a_timeout_spends_the_connection(client: KeepAliveClient) -> None:
    slow = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"
    async with Scripted([OK, slow, OK]) as server:
        await client.post(server.url, {}, b"", timeout=5)
        with pytest.raises(TimeoutError):
            await client.post(server.url, {}, b"", timeout=0.2)
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        assert server.connections == 2


async def test_a_deadline_is_the_request_s_own_on_a_reused_connection(
    client: KeepAliveClient,
) -> None:
    # The connection arms one timer for the first request's short deadline; when it fires
    # during the next, slower request, that request's own (longer) deadline holds.
    async with Scripted([OK, OK, OK], slow={1: 0.5}) as server:
        assert await client.post(server.url, {}, b"", timeout=0.1) == (200, b"ok")
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        # And a shorter deadline than the armed timer's is kept too.
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        assert server.connections == 1


async def test_a_short_deadline_after_a_long_one_still_fires(client: KeepAliveClient) -> None:
    async with Scripted([OK, OK], slow={1: 5}) as server:
        assert await client.post(server.url, {}, b"", timeout=30) == (200, b"ok")
        with pytest.raises(TimeoutError):
            await client.post(server.url, {}, b"", timeout=0.2)


async def test_after_close_posts_are_refused() -> None:
    closing = KeepAliveClient()
    async with Scripted([OK]) as server:
        await closing.post(server.url, {}, b"", timeout=5)
        await closing.close()
        with pytest.raises(ClientClosed):
            await closing.post(server.url, {}, b"", timeout=5)


def test_posts_on_uvloop() -> None:
    # uvloop calls connection_made after create_connection returns, and its
    # transports are not asyncio.Transport subclasses: both must still work.
    uvloop = pytest.importorskip("uvloop")
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def exchange() -> list[tuple[int, bytes]]:
        wire = KeepAliveClient()
        try:
            async with Scripted([ok, ok]) as server:
                return [await wire.post(server.url, {}, b"x", timeout=5) for _ in range(2)]
        finally:
            await wire.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(exchange()) == [(200, b"ok"), (200, b"ok")]


class Answers:
    """post_soon's callback: what it was called with, and an event once it was."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, bytes] | None, BaseException | None]] = []
        self.called = asyncio.Event()

    def __call__(self, reply: tuple[int, bytes] | None, error: BaseException | None) -> None:
        self.calls.append((reply, error))
        self.called.set()

    async def one(self) -> tuple[tuple[int, bytes] | None, BaseException | None]:
        await asyncio.wait_for(self.called.wait(), 5)
        self.called.clear()
        return self.calls.pop(0)


async def test_post_soon_answers_through_its_callback_on_an_idle_connection(
    client: KeepAliveClient,
) -> None:
    async with Scripted([OK, OK, OK]) as server:
        answers = Answers()
        # No idle connection yet: nothing is sent, the caller uses post().
        assert not client.post_soon(server.url, {}, b"", timeout=5, then=answers)
        assert server.requests == []
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        for body in (b"one", b"two"):
            assert client.post_soon(server.url, {"X-N": "1"}, body, timeout=5, then=answers)
            assert await answers.one() == ((200, b"ok"), None)
        assert server.connections == 1
        assert all(
            r.endswith(b) for r, b in zip(server.requests[1:], (b"one", b"two"), strict=True)
        )
        # What post() refuses is not sent by post_soon either.
        assert not client.post_soon("ftp://x/", {}, b"", timeout=5, then=answers)
        assert not client.post_soon(server.url, {"Bad\n": "x"}, b"", timeout=5, then=answers)
        assert len(server.requests) == 3


async def test_post_soon_retries_a_stale_connection_once_and_reports_errors(
    client: KeepAliveClient,
) -> None:
    # The kept connection is closed by the server when the request arrives, unanswered.
    async with Scripted([OK, None, OK]) as server:
        answers = Answers()
        assert (await client.post(server.url, {}, b"a", timeout=5))[0] == 200
        assert client.post_soon(server.url, {}, b"b", timeout=5, then=answers)
        assert await answers.one() == ((200, b"ok"), None)  # sent again on a fresh one
        assert len(server.requests) == 3 and server.connections == 2
    async with Scripted([OK, None, None, None]) as server:
        assert (await client.post(server.url, {}, b"1", timeout=5))[0] == 200
        assert client.post_soon(server.url, {}, b"2", timeout=5, then=answers)
        reply, error = await answers.one()
        assert reply is None and isinstance(error, EmptyReply)
        assert len(server.requests) == 3  # the first, the stale try, one fresh try


async def test_post_soon_times_out_through_its_callback(client: KeepAliveClient) -> None:
    slow = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"
    async with Scripted([OK, slow, OK]) as server:
        answers = Answers()
        await client.post(server.url, {}, b"", timeout=5)
        assert client.post_soon(server.url, {}, b"", timeout=0.2, then=answers)
        reply, error = await answers.one()
        assert reply is None and isinstance(error, TimeoutError)
        # The timed-out connection is spent: the next request needs a fresh one.
        assert not client.post_soon(server.url, {}, b"", timeout=5, then=answers)
        assert await client.post(server.url, {}, b"", timeout=5) == (200, b"ok")
        assert server.connections == 2
