"""Hostile input against ``woosim listen`` and the callback receiver: forged and altered
notifications, replays, oversized bodies, stalling clients and many connections.

Every refusal is answered (401/400/413/408) and printed with its reason, nothing forged
is printed as verified, and genuine notifications keep getting through.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from reliability_helpers import (
    WoosimProcess,
    json_lines,
    open_stalled,
    raw_post,
    read_until_closed,
    start_woosim,
    wait_until,
)

from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.outbox.notifications import Event, build_notifications
from simulator.wire.signing import CE_ID_HEADER, CE_SIGNATURE_HEADER, sign_elements

KEY = "listen-attack-key"
TIMEOUT = 0.5


def notification(object_id: int) -> tuple[bytes, dict[str, str]]:
    """A genuine signed notification for one customer: body and headers."""
    (note,) = build_notifications(
        [Event("customers", str(object_id), "UPDATED", "2024-06-03T09:00:00Z")],
        {"id": object_id, "email": f"c{object_id}@example.com"},
        instance_id=7,
        element_key="woocommercerest",
        max_events=10,
    )
    body = note.body
    headers = {
        "Content-Type": "application/json",
        CE_ID_HEADER: note.id,
        CE_SIGNATURE_HEADER: sign_elements(KEY, body),
    }
    return body, headers


def b64_hmac(key: str, body: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key.encode(), body, digest).digest()).decode()


def forgeries(body: bytes, headers: dict[str, str]) -> list[tuple[str, bytes, dict[str, str]]]:
    """(name, body, headers) that must be answered 401 and printed unverified."""
    good = headers[CE_SIGNATURE_HEADER]
    digest = good.removeprefix("sha256=")
    unsigned = {k: v for k, v in headers.items() if k != CE_SIGNATURE_HEADER}
    altered = body.replace(b'"UPDATED"', b'"DELETED"', 1)
    assert altered != body

    def signed(value: str, payload: bytes = body) -> tuple[bytes, dict[str, str]]:
        return payload, {**unsigned, CE_SIGNATURE_HEADER: value}

    return [
        ("missing signature", body, unsigned),
        ("empty signature", *signed("")),
        ("no prefix", *signed(digest)),
        ("wrong prefix", *signed("sha1=" + digest)),
        ("upper-case prefix", *signed("SHA256=" + digest)),
        ("wrong key", *signed("sha256=" + b64_hmac("guessed-key", body))),
        ("truncated signature", *signed(good[:-3])),
        ("prefix only", *signed("sha256=")),
        ("hex digest", *signed("sha256=" + hmac.new(KEY.encode(), body, "sha256").hexdigest())),
        ("sha1 digest", *signed("sha256=" + b64_hmac(KEY, body, "sha1"))),
        ("non-ascii signature", *signed("sha256=" + "\u00e9" * 44)),
        ("altered body", altered, headers),
        ("body with trailing space", body + b" ", headers),
        ("truncated body", body[:-2], headers),
        ("empty body", b"", headers),
        ("signature of another body", *signed(sign_elements(KEY, b'{"message":{}}'))),
    ]


@pytest.fixture
async def listen(tmp_path: Path) -> AsyncIterator[WoosimProcess]:
    # The key comes from the environment, so it is not in the process list either.
    process = await start_woosim(
        tmp_path, "listen", "--port", "0", env={"WOOSIM_SIGNATURE_KEY": KEY}, name="listen"
    )
    yield process
    assert process.terminate() == 0
    output = process.stdout() + process.stderr()
    assert KEY not in output


def printed(process: WoosimProcess) -> list[dict[str, object]]:
    return list(json_lines(process.stdout()))


async def test_forged_notifications_are_refused_and_printed_unverified(
    listen: WoosimProcess,
) -> None:
    url = listen.lines[0]
    body, headers = notification(1)
    attempts = forgeries(body, headers)
    for name, forged_body, forged_headers in attempts:
        status, answer = await raw_post(url, forged_body, forged_headers)
        assert status == 401, (name, status, answer)
    status, _ = await raw_post(url, body, headers)
    assert status == 200
    await wait_until(lambda: len(printed(listen)) >= len(attempts) + 1, what="printed lines")
    lines = printed(listen)
    assert [line["verified"] for line in lines] == [False] * len(attempts) + [True]
    assert all(line["reason"] for line in lines[:-1])
    print(f"\nlisten: {len(attempts)} forged notifications tried, all answered 401")


async def test_garbage_and_oversized_bodies(listen: WoosimProcess) -> None:
    url = listen.lines[0]
    for garbage in (b"not json", b"[]", b'{"message": []}', b"\xff\xfe", b"{" * 10000):
        status, _ = await raw_post(url, garbage, {CE_SIGNATURE_HEADER: sign_elements(KEY, garbage)})
        assert status == 400, garbage[:20]
    huge = b'{"message":{"pad":"' + b"x" * (11 * 1024 * 1024) + b'"}}'
    async with httpx.AsyncClient(timeout=60) as client:
        answer = await client.post(
            url, content=huge, headers={CE_SIGNATURE_HEADER: sign_elements(KEY, huge)}
        )
    assert answer.status_code == 413
    body, headers = notification(2)
    assert (await raw_post(url, body, headers))[0] == 200


async def test_replay_is_answered_but_marked_duplicate(listen: WoosimProcess) -> None:
    url = listen.lines[0]
    body, headers = notification(3)
    statuses = [(await raw_post(url, body, headers))[0] for _ in range(4)]
    assert statuses == [200] * 4
    await wait_until(lambda: len(printed(listen)) >= 4, what="four lines")
    lines = printed(listen)
    assert [line.get("duplicate", False) for line in lines] == [False, True, True, True]
    assert {line["objectId"] for line in lines} == {"3"}


async def test_stalled_clients_and_a_crowd_do_not_stop_it(listen: WoosimProcess) -> None:
    url = listen.lines[0]
    path = "/" + url.split("/", 3)[3]
    stalled = await open_stalled(
        url,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n".encode() + b"{",
    )
    idle = [await open_stalled(url, b"") for _ in range(200)]
    body, headers = notification(4)
    forged = {**headers, CE_SIGNATURE_HEADER: "sha256=" + b64_hmac("nope", body)}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        answers = await asyncio.gather(
            *(client.post(url, content=body, headers=forged) for _ in range(200))
        )
        assert {a.status_code for a in answers} == {401}
        assert (await client.post(url, content=body, headers=headers)).status_code == 200
    for _, writer in [stalled, *idle]:
        writer.close()
    await wait_until(lambda: len(printed(listen)) >= 201, what="201 lines")
    verified = [line for line in printed(listen) if line["verified"]]
    assert [line["objectId"] for line in verified] == ["4"]


async def test_receiver_cuts_off_stalled_and_idle_connections() -> None:
    async with Receiver(KEY, read_timeout=TIMEOUT, idle_timeout=TIMEOUT) as receiver:
        path = "/events"
        stalled = await open_stalled(
            receiver.url,
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n".encode() + b"{",
        )
        half_headers = await open_stalled(receiver.url, b"POST /events HTTP/1.1\r\nHost")
        silent = await open_stalled(receiver.url, b"")
        body, headers = notification(5)
        status, _ = await raw_post(receiver.url, body, headers)
        assert status == 200
        answer = await read_until_closed(stalled[0], TIMEOUT * 10)
        assert answer.startswith(b"HTTP/1.1 408")
        assert await read_until_closed(half_headers[0], TIMEOUT * 10) == b""
        assert await read_until_closed(silent[0], TIMEOUT * 10) == b""
        for _, writer in (stalled, half_headers, silent):
            writer.close()
        # The genuine one was served while the stalled one was still waiting.
        assert [r.status for r in receiver.requests] == [200, 408]
        assert [e["objectId"] for e in receiver.events] == ["5"]


async def test_receiver_replay_keeps_events_once() -> None:
    async with Receiver(KEY) as receiver:
        body, headers = notification(6)
        for _ in range(3):
            assert (await raw_post(receiver.url, body, headers))[0] == 200
        assert [r.duplicate for r in receiver.requests] == [False, True, True]
        assert len(receiver.events) == 1
        # A forged copy is not a duplicate: it is refused.
        forged = {**headers, CE_SIGNATURE_HEADER: "sha256=" + b64_hmac("x", body)}
        assert (await raw_post(receiver.url, body, forged))[0] == 401
        assert json.loads(receiver.requests[0].body)["message"]["eventId"] == headers[CE_ID_HEADER]


def test_hmac_helper_matches_signing_module() -> None:
    body = b'{"message":{}}'
    assert "sha256=" + b64_hmac(KEY, body) == sign_elements(KEY, body)
    assert hashlib.sha256(body).digest_size == 32
