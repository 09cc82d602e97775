"""Text meant to fool a human: control characters in callback URLs (configuration) and
in the fields ``woosim listen`` prints (bidi overrides, escape sequences)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from reliability_helpers import start_woosim, wait_until

from pytest_woosim.cli.listen import terminal_safe_json
from pytest_woosim.config import ConfigError
from pytest_woosim.configload import load_instance_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
CALLBACK = 'configuration."event.notification.callback.url"'


@pytest.mark.parametrize(
    ("inserted", "named"),
    [
        ("\r\nX-Injected: 1", "U+000D"),
        ("\n", "U+000A"),
        ("\x00", "U+0000"),
        ("\x1b[31m", "U+001B"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\u202e", "U+202E"),
        ("\u200b", "U+200B"),
    ],
)
def test_callback_urls_with_control_characters_are_refused(inserted: str, named: str) -> None:
    data = json.loads((FIXTURES / "recommended-polling.json").read_text(encoding="utf-8"))
    data["configuration"]["event.notification.callback.url"] = (
        f"http://127.0.0.1:9/events{inserted}/more"
    )
    with pytest.raises(ConfigError) as caught:
        load_instance_text(json.dumps(data))
    problems = {problem.path: problem.message for problem in caught.value.problems}
    assert CALLBACK in problems, problems
    assert f"contains a control character ({named} at character 26)" in problems[CALLBACK]


def test_terminal_safe_json_escapes_what_would_rewrite_a_terminal() -> None:
    value = {"a": "x\u202ey\x1b[2J\x7f\x9b\u2028\u200f\U000e0001 é 日本"}
    line = terminal_safe_json(value)
    assert json.loads(line) == value
    assert line.isascii() is False  # printable text stays readable
    for char in "\u202e\x1b\x7f\x9b\u2028\u200f\U000e0001":
        assert char not in line
    assert "\\u202e" in line and "\\u001b" in line and "é 日本" in line


async def test_listen_prints_bidi_and_escape_sequences_escaped(tmp_path: Path) -> None:
    listen = await start_woosim(tmp_path, "listen", "--port", "0", name="listen")
    try:
        body = json.dumps(
            {
                "message": {
                    "eventId": "e\u202e1",
                    "events": [
                        {
                            "objectType": "customers\u202e",
                            "objectId": "\x1b[2J\x1b]0;owned\x07 7",
                            "eventType": "UPDATED\x9b",
                            "date": "2024-06-03T09:00:00Z\u2028",
                        }
                    ],
                }
            },
            ensure_ascii=False,
        ).encode()
        async with httpx.AsyncClient() as client:
            response = await client.post(
                listen.lines[0], content=body, headers={"Content-Type": "application/json"}
            )
        assert response.status_code == 200
        await wait_until(lambda: len(listen.stdout().splitlines()) >= 2, what="a printed line")
    finally:
        assert listen.terminate() == 0
    printed = listen.stdout().splitlines()[1]
    for char in "\u202e\x1b\x07\x9b\u2028":
        assert char not in printed
    event = json.loads(printed)
    assert event["objectType"] == "customers\u202e"  # the same value, shown escaped
    assert event["objectId"] == "\x1b[2J\x1b]0;owned\x07 7"
