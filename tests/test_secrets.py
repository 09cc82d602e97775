"""Secrets (consumer secrets, webhook secrets, signature keys) never appear in logs (captured
at DEBUG), error messages, ``check-config`` output, the inspector and its feeds, the delivery
journal or any ``/_woosim/*`` JSON — while everything that could mention them runs: good and
bad deliveries, failing callbacks, refused credentials, invalid configurations.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from reliability_helpers import wait_until

from pytest_woosim.cli import check_config as checkconfig
from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.instance.load import load_instance
from pytest_woosim.outbox.state import State
from pytest_woosim.relay.registration import KV_SECRET
from pytest_woosim.relay.relay import RelayOptions, WebhookRelay
from simulator.app import Simulator, default_keys
from simulator.keys import ApiKey
from simulator.server import SimulatorServer

INSTANCES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
CONSUMER_SECRET = "cs_SECRETconsumer0000000000000000000000001"
SIGNATURE_KEY = "SECRET-signature-key-0001"
MANUAL_WEBHOOK_SECRET = "SECRET-manual-webhook-0001"


def keys_with_secret() -> list[ApiKey]:
    keys = default_keys(0)
    first = keys[0]
    keys[0] = ApiKey(
        key_id=first.key_id,
        user_id=first.user_id,
        consumer_key=first.consumer_key,
        consumer_secret=CONSUMER_SECRET,
        permissions="read_write",
        description=first.description,
    )
    return keys


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s and s in text]


async def test_no_secret_reaches_logs_answers_or_the_control_plane(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim = Simulator(keys=keys_with_secret())
    service = sim.webhooks
    server = SimulatorServer(sim)
    await server.start()
    await service.start()
    receiver = Receiver(SIGNATURE_KEY)
    await receiver.start()
    config = load_instance(INSTANCES / "recommended-webhook.json").repointed(
        store_url=server.site_url,
        callback_url=receiver.url,
        api_key=server.consumer_key,
        api_secret=CONSUMER_SECRET,
        signature_key=SIGNATURE_KEY,
    )
    state = State(tmp_path / "relay.sqlite3", clock=sim.clock)
    relay = WebhookRelay.from_config(
        config, state=state, clock=sim.clock, options=RelayOptions(retry_schedule=(0.01,))
    )
    seen: list[str] = []
    try:
        await relay.start()
        webhook_secret = await state.kv_get(relay.instance, KV_SECRET)
        secrets = [CONSUMER_SECRET, SIGNATURE_KEY, MANUAL_WEBHOOK_SECRET, webhook_secret]
        auth = (server.consumer_key, CONSUMER_SECRET)
        async with httpx.AsyncClient(base_url=server.site_url, timeout=30) as http:
            api = "/wp-json/wc/v3/"
            manual = await http.post(
                api + "webhooks",
                auth=auth,
                json={
                    "topic": "order.created",
                    "delivery_url": receiver.url,
                    "secret": MANUAL_WEBHOOK_SECRET,
                },
            )
            assert manual.status_code == 201
            seen.append(manual.text)
            # Genuine traffic, a failing callback (retried), and a forged delivery.
            receiver.fail_next(1)
            created = await http.post(api + "customers", auth=auth, json={"email": "s@example.com"})
            await http.post(api + "orders", auth=auth, json={})
            await wait_until(lambda: len(receiver.events) >= 2, what="two events")
            forged = await http.post(
                relay.delivery_url,
                content=b'{"id": 1}',
                headers={"X-WC-Webhook-Topic": "customer.created", "X-WC-Webhook-Signature": "x"},
            )
            assert forged.status_code == 401
            seen.append(forged.text)
            # Refused credentials: the answers must not echo what was sent.
            for attempt in (
                http.get(api + "customers", auth=(server.consumer_key, CONSUMER_SECRET + "x")),
                http.get(api + "customers", auth=("ck_wrong", CONSUMER_SECRET)),
            ):
                refused = await attempt
                assert refused.status_code == 401
                seen.append(refused.text)
            seen.append(created.text)
            # Query-string keys, sent with aiohttp: httpx itself logs request URLs at INFO.
            async with aiohttp.ClientSession() as session:
                url = f"{server.site_url}{api}customers"
                query = {"consumer_key": "ck_wrong", "consumer_secret": CONSUMER_SECRET}
                async with session.get(url, params=query) as answer:
                    assert answer.status == 401
                    seen.append(await answer.text())
            # Every control-plane page and feed.
            customer_id = created.json()["id"]
            for path in [
                "/_woosim/",
                "/_woosim/settings",
                "/_woosim/clock",
                "/_woosim/deliveries",
                "/_woosim/faults",
                "/_woosim/inspector/live",
                "/_woosim/inspector/state",
                "/_woosim/inspector/customers",
                "/_woosim/inspector/orders",
                "/_woosim/inspector/deliveries",
                "/_woosim/inspector/webhooks",
                "/_woosim/inspector/faults",
                f"/_woosim/inspector/customers/{customer_id}",
            ] + [f"/_woosim/inspector/deliveries/{n}" for n in range(1, 4)]:
                page = await http.get(path)
                assert page.status_code in (200, 404), (path, page.status_code)
                seen.append(page.text)
            listed = await http.get(api + "webhooks", auth=auth, params={"context": "edit"})
            seen.append(listed.text)
            for route in ("/stats", "/healthz"):
                seen.append((await http.get(relay.url + route)).text)
        seen.extend(repr(x) for x in (config, relay, receiver, sim.keys.default, state))
        seen.extend(str(entry.to_json()) for entry in service.deliveries())
    finally:
        await relay.stop()
        await state.close()
        await receiver.stop()
        await service.close()
        await server.stop()
    logs = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__.get('fields', '')}"
        for record in caplog.records
    )
    assert len(caplog.records) > 5  # the run did log: warnings, deliveries, retries
    for record in caplog.records:
        line = f"{record.name} {record.getMessage()} {record.__dict__.get('fields', '')}"
        assert leaked(line, secrets) == [], line[:400]
    assert leaked(logs, secrets) == []
    for text in seen:
        assert leaked(text, secrets) == [], text[:300]


def run_check_config(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    checkconfig.add_arguments(parser)
    code = checkconfig.run(parser.parse_args([str(path)]))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def configuration(**changes: object) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (INSTANCES / "recommended-polling.json").read_text(encoding="utf-8")
    )
    document["configuration"].update(
        {
            "oauth.api.secret": CONSUMER_SECRET,
            "event.notification.signature.key": SIGNATURE_KEY,
            **changes,
        }
    )
    return document


def test_check_config_never_prints_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = [CONSUMER_SECRET, SIGNATURE_KEY]
    good = tmp_path / "good.json"
    good.write_text(json.dumps(configuration()), encoding="utf-8")
    code, output = run_check_config(good, capsys)
    assert code == 0 and output
    assert leaked(output, secrets) == []

    # Invalid in ways that make the checker talk about the fields next to the secrets.
    invalid = configuration(**{"event.poller.refresh_interval": 0, "store.url": "nope"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(invalid, indent=2), encoding="utf-8")
    code, output = run_check_config(bad, capsys)
    assert code != 0 and "refresh_interval" in output
    assert leaked(output, secrets) == []

    # Secrets of the wrong type are named by field, not shown.
    typed = configuration(
        **{"oauth.api.secret": [CONSUMER_SECRET], "event.notification.signature.key": 12345.5}
    )
    wrong_type = tmp_path / "wrong-type.json"
    wrong_type.write_text(json.dumps(typed), encoding="utf-8")
    code, output = run_check_config(wrong_type, capsys)
    assert code != 0
    assert leaked(output, [*secrets, "12345.5"]) == []

    # Malformed JSON right after a secret: the position is given, the line is not echoed.
    text = json.dumps(configuration(), indent=2).replace(
        f'"{SIGNATURE_KEY}",', f'"{SIGNATURE_KEY}",,', 1
    )
    broken = tmp_path / "broken.json"
    broken.write_text(text, encoding="utf-8")
    code, output = run_check_config(broken, capsys)
    assert code != 0 and "broken.json:" in output
    assert leaked(output, secrets) == []
