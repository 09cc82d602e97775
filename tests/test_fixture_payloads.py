"""fixtures/payloads/: the recorder reproduces every committed file, and the files hold up.

Signatures are checked with hmac/base64 directly (not with our signing module),
using the secrets fixtures/README.md documents, as a reader of the files would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAYLOADS = FIXTURES / "payloads"
README = FIXTURES / "README.md"
WEBHOOK_SECRET = "example-webhook-secret"
SIGNATURE_KEY = "example-signature-key"
WEBHOOK_FILES = sorted(p for p in PAYLOADS.glob("webhook-*.http") if p.name != "webhook-ping.http")
NOTIFICATIONS = ("notification-polling", "notification-webhook")


def load_recorder() -> ModuleType:
    """fixtures/record_payloads.py by path (``fixtures`` is a folder, not an installed package)."""
    name = "woosim_fixture_recorder"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FIXTURES / "record_payloads.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def split_http(data: bytes) -> tuple[str, dict[str, str], bytes]:
    """(request line, headers, body) of a ``.http`` / ``.headers.txt`` file."""
    head, _, body = data.partition(b"\n\n")
    first, *lines = head.decode("latin-1").split("\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(": ")
        assert name not in headers, f"header {name} twice"
        headers[name] = value
    return first, headers, body


def b64_hmac_sha256(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


async def test_recorder_reproduces_the_committed_files(tmp_path: Path) -> None:
    recorder = load_recorder()
    written = await recorder.record(tmp_path)
    recorded = {path.name: path.read_bytes() for path in written}
    committed = {path.name: path.read_bytes() for path in PAYLOADS.iterdir() if path.is_file()}
    assert sorted(recorded) == sorted(committed)
    for name, data in committed.items():
        assert recorded[name] == data, f"{name} differs from a fresh recording"


def test_readme_documents_the_example_secrets() -> None:
    text = README.read_text(encoding="utf-8")
    assert f"`{WEBHOOK_SECRET}`" in text
    assert f"`{SIGNATURE_KEY}`" in text


def test_every_expected_file_is_there() -> None:
    names = {path.name for path in PAYLOADS.iterdir()}
    expected = {
        "customer.json",
        "order.json",
        "product.json",
        "orders-page.headers.txt",
        "webhook-order.created.http",
        "webhook-order.updated.http",
        "webhook-order.deleted.http",
        "webhook-customer.created.http",
        "webhook-ping.http",
        "notification-polling.json",
        "notification-polling.headers.txt",
        "notification-webhook.json",
        "notification-webhook.headers.txt",
        "error-invalid-param.json",
        "error-no-route.json",
        "error-invalid-signature.json",
    }
    assert expected <= names


@pytest.mark.parametrize("path", WEBHOOK_FILES, ids=lambda p: p.name)
def test_webhook_delivery_signature_verifies(path: Path) -> None:
    request_line, headers, body = split_http(path.read_bytes())
    assert request_line == "POST /events HTTP/1.1"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("WooCommerce/")
    assert " Hookshot (WordPress/" in headers["User-Agent"]
    topic = path.name.removeprefix("webhook-").removesuffix(".http")
    resource, event = topic.split(".")
    assert headers["X-WC-Webhook-Topic"] == topic
    assert headers["X-WC-Webhook-Resource"] == resource
    assert headers["X-WC-Webhook-Event"] == event
    assert headers["X-WC-Webhook-Source"] == "http://127.0.0.1:8000/"
    assert len(headers["X-WC-Webhook-Delivery-ID"]) == 32
    assert headers["X-WC-Webhook-Signature"] == b64_hmac_sha256(WEBHOOK_SECRET, body)
    assert headers["X-WC-Webhook-Signature"] != b64_hmac_sha256(WEBHOOK_SECRET, body + b" ")
    payload = json.loads(body)
    if event == "deleted":
        assert list(payload) == ["id"]
    else:
        assert payload["_links"]["self"][0]["href"].startswith("http://127.0.0.1:8000/")
        # PHP's json_encode: slashes escaped on the wire.
        assert b"http:\\/\\/127.0.0.1:8000\\/" in body


def test_ping_is_a_form_body_without_signature() -> None:
    request_line, headers, body = split_http((PAYLOADS / "webhook-ping.http").read_bytes())
    assert request_line == "POST /events HTTP/1.1"
    assert body == b"webhook_id=1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert not any(name.startswith("X-WC-Webhook-") for name in headers)


@pytest.mark.parametrize("stem", NOTIFICATIONS)
def test_notification_signature_verifies(stem: str) -> None:
    body = (PAYLOADS / f"{stem}.json").read_bytes()
    request_line, headers, rest = split_http((PAYLOADS / f"{stem}.headers.txt").read_bytes())
    assert rest == b""
    assert request_line == "POST /events HTTP/1.1"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Elements-Webhook-Signature"] == "sha256=" + b64_hmac_sha256(SIGNATURE_KEY, body)
    message = json.loads(body)["message"]
    assert headers["Elements-Webhook-Id"] == message["eventId"]
    assert message["elementKey"] == "woocommercerest"
    assert message["events"], "a notification carries at least one event"
    for event in message["events"]:
        assert set(event) == {"objectType", "objectId", "eventType", "elementKey", "date"}
        assert event["date"].endswith("Z")


def test_polling_notification_has_the_polling_raw_shape() -> None:
    message = json.loads((PAYLOADS / "notification-polling.json").read_bytes())["message"]
    raw = message["raw"]
    assert raw["objectType"] == "customers"
    assert raw["instance_id"] == message["instance_id"]
    assert [r["id"] for r in raw["customers"]] == [int(e["objectId"]) for e in message["events"]]
    assert sorted(e["eventType"] for e in message["events"]) == ["CREATED", "UPDATED"]


def test_webhook_notification_carries_the_woocommerce_body() -> None:
    message = json.loads((PAYLOADS / "notification-webhook.json").read_bytes())["message"]
    (event,) = message["events"]
    assert (event["objectType"], event["eventType"]) == ("customers", "CREATED")
    assert str(message["raw"]["id"]) == event["objectId"]


@pytest.mark.parametrize("name", ["customer.json", "order.json", "product.json"])
def test_rest_bodies_show_local_and_gmt_dates(name: str) -> None:
    body = (PAYLOADS / name).read_bytes()
    record: dict[str, Any] = json.loads(body)
    assert b"\\/" in body  # PHP JSON, exactly as sent
    # America/New_York in June is UTC-4: the local date differs from the GMT one.
    assert record["date_created"] != record["date_created_gmt"]
    assert "+" not in record["date_created"] and not record["date_created"].endswith("Z")


def test_orders_page_headers() -> None:
    status, headers, rest = split_http((PAYLOADS / "orders-page.headers.txt").read_bytes())
    assert status == "HTTP/1.1 200 OK" and rest == b""
    assert headers["X-WP-Total"] == "5"
    assert headers["X-WP-TotalPages"] == "3"
    link = headers["Link"]  # one header (split_http refuses repeats)
    assert 'page=1&status%5B0%5D=any&dp=2&context=view>; rel="prev"' in link
    assert 'page=3&status%5B0%5D=any&dp=2&context=view>; rel="next"' in link


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [
        ("error-invalid-param.json", "rest_invalid_param", 400),
        ("error-no-route.json", "rest_no_route", 404),
        ("error-invalid-id.json", "woocommerce_rest_shop_order_invalid_id", 404),
        ("error-invalid-signature.json", "woocommerce_rest_authentication_error", 401),
    ],
)
def test_error_bodies(name: str, code: str, status: int) -> None:
    error = json.loads((PAYLOADS / name).read_bytes())
    assert error["code"] == code
    assert error["message"]
    assert error["data"]["status"] == status


def test_every_json_file_parses() -> None:
    for path in PAYLOADS.glob("*.json"):
        assert isinstance(json.loads(path.read_bytes()), dict), path.name
