"""``woosim listen`` as a real subprocess: printed URL, one line per event, clean exit."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pytest_woosim.cli import main
from pytest_woosim.cli.listen import SIGNATURE_KEY_ENV, add_arguments, event_lines, signature_key
from pytest_woosim.harness.receiver import ReceivedNotification
from pytest_woosim.outbox.notifications import Event, build_notifications

KEY = "listen-secret-key"
WHEN = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
LINE_TIMEOUT = 20.0


class Listener:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.url = ""
        self.seen: list[str] = []

    async def line(self) -> str:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), LINE_TIMEOUT)
        assert raw, "woosim listen closed its output"
        text = raw.decode("utf-8").rstrip("\n")
        self.seen.append(text)
        return text

    async def json_lines(self, n: int) -> list[dict[str, Any]]:
        return [json.loads(await self.line()) for _ in range(n)]

    async def finish(self, signum: int) -> tuple[int, str]:
        self.proc.send_signal(signum)
        _, err = await asyncio.wait_for(self.proc.communicate(), LINE_TIMEOUT)
        return self.proc.returncode or 0, err.decode("utf-8", "replace")


async def _start(args: Sequence[str], env: dict[str, str] | None = None) -> Listener:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest_woosim.cli",
        "listen",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    listener = Listener(proc)
    listener.url = await listener.line()
    return listener


@pytest.fixture
async def signed() -> AsyncIterator[Listener]:
    listener = await _start(["--port", "0", "--signature-key", KEY])
    yield listener
    if listener.proc.returncode is None:
        listener.proc.kill()
        await listener.proc.wait()


def _notification(*ids: int) -> tuple[bytes, dict[str, str], str]:
    events = [Event("customers", i, "CREATED", WHEN) for i in ids]
    (note,) = build_notifications(events, {"objectType": "customers"}, instance_id=5, max_events=20)
    return note.body, note.headers(KEY), note.id


async def test_signed_forged_and_garbage_are_printed_and_answered(signed: Listener) -> None:
    assert signed.url.startswith("http://127.0.0.1:") and signed.url.endswith("/events")
    async with httpx.AsyncClient(trust_env=False, timeout=LINE_TIMEOUT) as http:
        body, headers, note_id = _notification(11, 12)
        assert (await http.post(signed.url, content=body, headers=headers)).status_code == 200
        first, second = await signed.json_lines(2)
        assert first == {
            "eventId": note_id,
            "objectType": "customers",
            "objectId": "11",
            "eventType": "CREATED",
            "date": "2024-03-10T06:00:00Z",
            "verified": True,
        }
        assert second["objectId"] == "12" and second["verified"] is True

        forged_body, forged_headers, forged_id = _notification(13)
        forged_headers["Elements-Webhook-Signature"] = "sha256=AAAA"
        response = await http.post(signed.url, content=forged_body, headers=forged_headers)
        assert response.status_code == 401
        (forged,) = await signed.json_lines(1)
        assert forged["eventId"] == forged_id and forged["objectId"] == "13"
        assert forged["verified"] is False
        assert "mismatch" in forged["reason"]

        response = await http.post(signed.url, content=b"not json")
        assert response.status_code == 401  # unsigned, so refused before the body matters
        (garbage,) = await signed.json_lines(1)
        assert garbage["eventId"] is None and garbage["objectId"] is None
        assert garbage["verified"] is False

    code, err = await signed.finish(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err
    assert all(KEY not in line for line in signed.seen) and KEY not in err


async def test_without_key_verified_is_null_and_sigint_exits_cleanly() -> None:
    listener = await _start([], env={"WOOSIM_SIGNATURE_KEY": ""})
    async with httpx.AsyncClient(trust_env=False, timeout=LINE_TIMEOUT) as http:
        body, headers, _ = _notification(1)
        assert (await http.post(listener.url, content=body, headers=headers)).status_code == 200
        (line,) = await listener.json_lines(1)
        assert line["verified"] is None and "reason" not in line
        assert (await http.post(listener.url, content=b"{}")).status_code == 400
        (bad,) = await listener.json_lines(1)
        assert bad["verified"] is None and "not a notification" in bad["reason"]
    code, err = await listener.finish(signal.SIGINT)
    assert code == 0 and "Traceback" not in err


def test_key_from_option_then_environment() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert signature_key(parser.parse_args([]), {SIGNATURE_KEY_ENV: KEY}) == KEY
    assert signature_key(parser.parse_args([]), {}) is None
    given = parser.parse_args(["--signature-key", "k2"])
    assert signature_key(given, {SIGNATURE_KEY_ENV: KEY}) == "k2"
    assert (
        signature_key(parser.parse_args(["--signature-key", ""]), {SIGNATURE_KEY_ENV: KEY}) is None
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--port", "70000"], "--port must be 0..65535"), (["--path", "x"], "--path must start")],
)
def test_bad_options_are_clear_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["listen", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err


def test_event_lines_for_a_record_without_events() -> None:
    record = ReceivedNotification(b"x", {}, None, "body is not valid JSON", None, 400)
    assert event_lines(record) == [
        {
            "eventId": None,
            "objectType": None,
            "objectId": None,
            "eventType": None,
            "date": None,
            "verified": None,
            "reason": "body is not valid JSON",
        }
    ]
