"""The handle's keep-alive httpx transport against raw TCP servers answering in every legal way."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, BinaryIO

import httpx
import pytest

from pytest_woosim.harness.keepalive import KeepAliveTransport
from pytest_woosim.harness.store import SessionClients


class Scripted:
    """A raw loopback server: each request gets the next scripted answer.

    An answer is bytes, or None to close the connection without answering (as when
    none is left); ``close_after`` closes each connection after that many answers.
    Each request is kept (head and body as received), and each connection counted.
    """

    def __init__(self, answers: list[bytes | None], *, close_after: int = 0) -> None:
        self.answers = answers
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a close alone does not)
        self._listener.close()
        for sock in self._open:
            sock.close()
        self._thread.join(10)

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(sock)
            threading.Thread(target=self._handle, args=(sock,), daemon=True).start()

    def _handle(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        answered = 0
        try:
            while True:
                request = self._read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                answer = self.answers.pop(0) if self.answers else None
                if answer is None:
                    return
                sock.sendall(answer)
                answered += 1
                if answered == self.close_after:
                    return
        except OSError:
            return
        finally:
            sock.close()

    @staticmethod
    def _read_request(reader: BinaryIO) -> bytes | None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                return None
            head += line
        lowered = head.lower()
        if b"transfer-encoding: chunked" in lowered:
            body = b""
            while not body.endswith(b"0\r\n\r\n"):
                body += reader.readline()
            return head + body
        length = 0
        for line in lowered.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return head + reader.read(length)


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    started: list[Scripted] = []
    yield started
    for server in started:
        server.close()


def serve(started: list[Scripted], answers: list[bytes | None], **options: int) -> Scripted:
    server = Scripted(answers, **options)
    started.append(server)
    return server


def client_for(server: Scripted, **options: Any) -> httpx.Client:
    return httpx.Client(base_url=server.url, transport=KeepAliveTransport(server.url), **options)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Total: 7\r\n\r\nok"


def test_keep_alive_answers_reuse_one_connection_and_headers_reach_httpx(
    scripted: list[Scripted],
) -> None:
    server = serve(scripted, [OK, OK, OK])
    with client_for(server, auth=("ck", "cs")) as client:
        answers = [client.get("/orders", params={"page": n}) for n in (1, 2, 3)]
    assert [(a.status_code, a.text, a.headers["x-total"]) for a in answers] == [
        (200, "ok", "7")
    ] * 3
    assert answers[0].http_version == "HTTP/1.1" and answers[0].reason_phrase == "OK"
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"GET /orders?page=1 HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Basic Y2s6Y3M=\r\n" in first
    assert b"\r\nHost: 127.0.0.1:" in first


def test_bodies_go_whole_with_their_length_and_iterators_go_chunked(
    scripted: list[Scripted],
) -> None:
    server = serve(scripted, [OK, OK])
    with client_for(server) as client:
        client.post("/orders", json={"status": "paid"})
        client.post("/orders", content=iter([b"ab", b"cd"]))
    assert b"\r\nContent-Length: 17\r\n" in server.requests[0]
    assert server.requests[0].endswith(b'\r\n\r\n{"status":"paid"}')
    assert b"\r\nTransfer-Encoding: chunked\r\n" in server.requests[1]
    assert server.requests[1].endswith(b"\r\n\r\n4\r\nabcd\r\n0\r\n\r\n")


def test_chunked_answers_with_extensions_and_trailers(scripted: list[Scripted]) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    server = serve(scripted, [chunked, OK])
    with client_for(server) as client:
        assert client.get("/a").text == "abcde"
        assert client.get("/b").text == "ok"  # in step after the trailer
    assert server.connections == 1


def test_interim_answers_are_skipped_and_bodiless_answers_read_no_body(
    scripted: list[Scripted],
) -> None:
    server = serve(
        scripted,
        [
            b"HTTP/1.1 100 Continue\r\n\r\n" + OK,
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",  # HEAD: the length, no body
            OK,
        ],
    )
    with client_for(server) as client:
        assert client.get("/a").text == "ok"
        assert client.delete("/b").status_code == 204
        head = client.head("/c")
        assert (head.status_code, head.headers["content-length"], head.content) == (200, "99", b"")
        assert client.get("/d").text == "ok"
    assert server.connections == 1


def test_answers_that_end_the_connection_are_not_reused(scripted: list[Scripted]) -> None:
    server = serve(
        scripted,
        [
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
            OK,
        ],
        close_after=1,
    )
    with client_for(server) as client:
        assert [client.get("/").text for _ in range(3)] == ["ok", "ok", "ok"]
    assert server.connections == 3


def test_a_body_delimited_by_the_close(scripted: list[Scripted]) -> None:
    server = serve(scripted, [b"HTTP/1.1 200 OK\r\n\r\nuntil the end", OK], close_after=1)
    with client_for(server) as client:
        assert client.get("/").text == "until the end"
        assert client.get("/").text == "ok"
    assert server.connections == 2


def test_a_kept_connection_the_server_closed_is_replaced(scripted: list[Scripted]) -> None:
    server = serve(scripted, [OK, OK], close_after=1)
    with client_for(server) as client:
        assert client.get("/").text == "ok"
        # The server closes the idle connection after its one answer; the next request
        # goes on a fresh one whether or not the close has arrived yet.
        assert client.get("/").text == "ok"
    assert server.connections == 2
    assert len(server.requests) == 2


def test_broken_answers_raise_httpx_errors(scripted: list[Scripted]) -> None:
    server = serve(
        scripted,
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"NOT HTTP\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            None,
        ],
        close_after=1,
    )
    with client_for(server) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            client.get("/truncated")
        with pytest.raises(httpx.RemoteProtocolError, match=r"not an HTTP/1\.x response"):
            client.get("/garbage")
        with pytest.raises(httpx.RemoteProtocolError, match="bad chunk size"):
            client.get("/bad-chunk")
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get("/no-answer")  # a fresh connection closed unanswered: not sent again
    assert len(server.requests) == 4


def test_a_silent_server_times_out_as_httpx_does(scripted: list[Scripted]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with (
            httpx.Client(transport=KeepAliveTransport(url), timeout=0.2) as client,
            pytest.raises(httpx.ReadTimeout),
        ):
            client.get(url + "/")
    finally:
        listener.close()


def test_refused_connections_and_bad_headers(scripted: list[Scripted]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    refused = httpx.Client(transport=KeepAliveTransport(url))
    with refused, pytest.raises(httpx.ConnectError):
        refused.get(url + "/")
    server = serve(scripted, [OK])
    with client_for(server) as client:
        with pytest.raises(httpx.LocalProtocolError, match="X-Evil"):
            client.get("/", headers={"X-Evil": "a\r\nInjected: yes"})
        assert client.get("/").text == "ok"
    assert len(server.requests) == 1 and b"Injected" not in server.requests[0]


def test_other_origins_go_through_httpx_own_transport(scripted: list[Scripted]) -> None:
    ours = serve(scripted, [OK])
    other = serve(scripted, [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nother"])
    calls: list[int] = []

    def fallback() -> httpx.BaseTransport:
        calls.append(1)
        return httpx.HTTPTransport()

    transport = KeepAliveTransport(ours.url, fallback=fallback)
    with httpx.Client(base_url=ours.url, transport=transport) as client:
        assert client.get(other.url + "/x").text == "other"
        assert client.get("/y").text == "ok"
    assert calls == [1]
    assert (len(ours.requests), len(other.requests)) == (1, 1)


def test_threads_share_the_transport(scripted: list[Scripted]) -> None:
    server = serve(scripted, [OK] * 40)
    results: list[str] = []
    with client_for(server) as client:

        def fetch() -> None:
            for _ in range(10):
                results.append(client.get("/").text)

        threads = [threading.Thread(target=fetch) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert results == ["ok"] * 40
    assert len(server.requests) == 40


def test_only_plain_http_origins() -> None:
    with pytest.raises(ValueError, match="plain http"):
        KeepAliveTransport("https://127.0.0.1:1")


def test_the_handle_clients_keep_cookies_that_answers_set(scripted: list[Scripted]) -> None:
    server = serve(
        scripted,
        [
            OK,
            b"HTTP/1.1 200 OK\r\nSet-Cookie: token=abc; Path=/\r\nContent-Length: 2\r\n\r\nok",
            OK,
        ],
    )
    backend = SimpleNamespace(site_url=server.url, control_headers={})
    clients = SessionClients(backend)  # type: ignore[arg-type]
    try:
        clients.control.get("state")
        assert not clients.control.cookies  # an answer without a cookie leaves none
        clients.control.get("state")
        assert clients.control.cookies["token"] == "abc"
        clients.control.get("state")
    finally:
        clients.close()
    assert b"\r\nCookie: token=abc\r\n" in server.requests[2]
    assert server.connections == 1  # through the keep-alive transport
