"""The lean delivery client against raw TCP servers that answer in every legal way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from simulator.webhooks.wire import EmptyReply, ProtocolError, WireClient, target

Reply = Callable[[int], bytes | None]  # request number -> raw answer (None = just close)


async def serve(reply: Reply, *, keep_open: bool = True) -> tuple[asyncio.Server, str, list[bytes]]:
    requests: list[bytes] = []
    connections: list[int] = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                requests.append(head + body)
                answer = reply(len(requests))
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if not keep_open:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/hook?x=1", requests


@pytest.fixture
async def client() -> AsyncIterator[WireClient]:
    wire = WireClient()
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
    client: WireClient, answer: bytes, status: int, body: bytes
) -> None:
    server, url, requests = await serve(lambda n: answer)
    try:
        for _ in range(2):  # the second request reuses the connection
            assert await client.post(url, {"X-A": "1"}, b'{"id":1}', timeout=5) == (status, body)
        first = requests[0]
        assert first.startswith(b"POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"\r\nX-A: 1\r\n" in first and first.endswith(b'\r\n\r\n{"id":1}')
        assert b"Content-Length: 8\r\n" in first
    finally:
        server.close()
        await server.wait_closed()


async def test_body_until_close(client: WireClient) -> None:
    answer = b"HTTP/1.0 500 Oops\r\n\r\nsomething broke"
    server, url, _ = await serve(lambda n: answer, keep_open=False)
    try:
        assert await client.post(url, {}, b"x", timeout=5) == (500, b"something broke")
        assert await client.post(url, {}, b"x", timeout=5) == (500, b"something broke")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_stale_keep_alive_connection_is_replaced(client: WireClient) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    # The server answers once per connection, then closes it silently.
    server, url, requests = await serve(lambda n: ok, keep_open=False)
    try:
        assert (await client.post(url, {}, b"a", timeout=5))[0] == 200
        await asyncio.sleep(0.05)  # let the close reach the client
        assert (await client.post(url, {}, b"b", timeout=5))[0] == 200
        assert len(requests) == 2
    finally:
        server.close()
        await server.wait_closed()


async def test_errors(client: WireClient) -> None:
    server, url, _ = await serve(lambda n: None)
    try:
        with pytest.raises(EmptyReply):
            await client.post(url, {}, b"x", timeout=5)
    finally:
        server.close()
        await server.wait_closed()
    server, url, _ = await serve(lambda n: b"SSH-2.0-OpenSSH\r\n\r\n")
    try:
        with pytest.raises(ProtocolError):
            await client.post(url, {}, b"x", timeout=5)
    finally:
        server.close()
        await server.wait_closed()
    server, url, _ = await serve(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    try:
        with pytest.raises(TimeoutError):
            await client.post(url, {}, b"x", timeout=0.2)
    finally:
        server.close()
        await server.wait_closed()
