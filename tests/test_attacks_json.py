"""Hostile JSON everywhere we decode it: malformed, deeply nested (100k levels) and
just-allowed bodies on the store's REST and control routes, in ``woosim listen``, in the
relay's inbound endpoint and in ``woosim check-config``.

The store answers as a real WooCommerce 10.0.2 store does (``rest_invalid_json`` with
PHP's ``json_error_code`` and ``json_error_message``; PHP's ``json_decode`` refuses 512
nested arrays/objects); elsewhere a 400 or exit 2 with a clear message. Never a 500.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers import LiveStore
from reliability_helpers import woosim_executable

from pytest_woosim.config import ConfigError
from pytest_woosim.configload import load_instance_text
from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.relay.inbound import InboundRejected, parse_body
from simulator.wire import boundedjson

DEEP = 100_000


def nested(levels: int, inner: str = "1") -> bytes:
    return ("[" * levels + inner + "]" * levels).encode()


def deep_object(levels: int) -> bytes:
    return b'{"meta_data":' + nested(levels) + b"}"


# ---------------------------------------------------------------------- the primitive
def test_php_depth_rule_511_containers_pass_512_do_not() -> None:
    assert boundedjson.loads(nested(511)) is not None
    for levels in (512, 513, DEEP):
        with pytest.raises(boundedjson.JsonProblem) as caught:
            boundedjson.loads(nested(levels))
        assert (caught.value.php_code, caught.value.php_message) == (
            1,
            "Maximum stack depth exceeded",
        )
        assert caught.value.too_deep and caught.value.col == 512


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 5000, "b": "{" * 5000})
    assert boundedjson.loads(text) == {"a": "[" * 5000, "b": "{" * 5000}


@pytest.mark.parametrize(
    ("body", "php_code", "php_message"),
    [
        (b'{"a":', 4, "Syntax error"),
        (b'{"a":1} x', 4, "Syntax error"),
        (b"NaN", 4, "Syntax error"),
        (b" ", 4, "Syntax error"),
        (b'{"a":"\xff"}', 5, "Malformed UTF-8 characters, possibly incorrectly encoded"),
        (b'{"a":"\x01"}', 3, "Control character error, possibly incorrectly encoded"),
        (b'{"a":"\\ud800"}', 10, "Single unpaired UTF-16 surrogate in unicode escape"),
        (b'{"a":"\\udc00"}', 10, "Single unpaired UTF-16 surrogate in unicode escape"),
        (b'{"a":"\\u00eb\\uD800"}', 10, "Single unpaired UTF-16 surrogate in unicode escape"),
        (b'{"a":"\\uDC00 \\u2013"}', 10, "Single unpaired UTF-16 surrogate in unicode escape"),
        (b'{"a":"\\u00eb", "b":NaN}', 4, "Syntax error"),
    ],
)
def test_php_error_codes(body: bytes, php_code: int, php_message: str) -> None:
    with pytest.raises(boundedjson.JsonProblem) as caught:
        boundedjson.loads(body)
    assert (caught.value.php_code, caught.value.php_message) == (php_code, php_message)


def test_escapes_other_than_surrogates_decode() -> None:
    assert boundedjson.loads(b'{"a":"Zo\\u00eb \\u2013 \\/"}') == {"a": "Zo\u00eb \u2013 /"}
    pairs = boundedjson.loads(b'{"b":1,"a":2}', object_pairs_hook=list)
    assert pairs == [("b", 1), ("a", 2)]


def test_escaped_backslash_and_paired_surrogates_are_fine() -> None:
    assert boundedjson.loads(b'{"a":"\\\\ud800","b":"\\ud83d\\ude00"}') == {
        "a": "\\ud800",
        "b": "\U0001f600",
    }


# ---------------------------------------------------------------------- the store
WRITE_ROUTES = [
    ("POST", "orders"),
    ("PUT", "orders/1"),
    ("POST", "customers"),
    ("POST", "products"),
    ("POST", "webhooks"),
    ("POST", "orders/batch"),
]


@pytest.mark.parametrize(("method", "route"), WRITE_ROUTES)
async def test_store_answers_deep_json_as_the_real_store(
    store: LiveStore, method: str, route: str
) -> None:
    response = await store.client.request(
        method, route, content=deep_object(DEEP), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "rest_invalid_json",
        "message": "Invalid JSON body passed.",
        "data": {
            "status": 400,
            "json_error_code": 1,
            "json_error_message": "Maximum stack depth exceeded",
        },
    }


async def test_store_answers_malformed_json_with_phps_text(store: LiveStore) -> None:
    response = await store.client.post(
        "orders", content=b'{"a":', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["data"] == {
        "status": 400,
        "json_error_code": 4,
        "json_error_message": "Syntax error",
    }


async def test_store_takes_a_511_deep_value_without_a_500(store: LiveStore) -> None:
    body = b'{"meta_data":[{"key":"deep","value":' + nested(508) + b"}]}"
    response = await store.client.post(
        "customers", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("path", ["/_woosim/clock", "/_woosim/reset", "/_woosim/faults"])
async def test_control_plane_refuses_deep_json(store: LiveStore, path: str) -> None:
    async with httpx.AsyncClient(base_url=store.server.site_url) as client:
        response = await client.post(
            path, content=nested(DEEP), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["data"]["json_error_code"] == 1


# ---------------------------------------------------------------------- listen, relay
async def test_receiver_answers_400_to_deep_json() -> None:
    async with Receiver() as receiver:
        async with httpx.AsyncClient() as client:
            response = await client.post(receiver.url, content=nested(DEEP))
        assert response.status_code == 400
        (record,) = receiver.requests
        assert "nested more than 511 levels deep" in record.reason


def test_relay_inbound_refuses_deep_json_with_400() -> None:
    with pytest.raises(InboundRejected) as caught:
        parse_body(deep_object(DEEP))
    assert caught.value.status == 400
    assert "nested more than 511 levels deep" in str(caught.value)


# ---------------------------------------------------------------------- check-config
def test_check_config_deep_json_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"name": "x",\n "configuration": ' + nested(DEEP, "") + b"}")
    result = subprocess.run(
        [woosim_executable(), "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert f"{path}:2:" in output
    assert "arrays and objects nested more than 511 levels deep" in output
    assert sys.executable  # the CLI ran in this interpreter's environment


def test_a_deep_poller_configuration_string_is_a_problem_not_a_crash() -> None:
    data = json.loads(
        (
            Path(__file__).resolve().parent.parent
            / "fixtures"
            / "instances"
            / "recommended-polling.json"
        ).read_text(encoding="utf-8")
    )
    data["configuration"]["event.poller.configuration"] = "[" * DEEP
    with pytest.raises(ConfigError) as caught:
        load_instance_text(json.dumps(data))
    messages = [problem.message for problem in caught.value.problems]
    assert any("nested more than 511 levels deep" in message for message in messages), messages
