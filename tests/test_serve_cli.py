"""``woosim serve`` as a subprocess: printed lines, options, clean shutdown."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

STARTUP_DEADLINE = 60.0


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    values: dict[str, str] = field(default_factory=dict)
    returncode: int | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.returncode = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.returncode = self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_serve(*options: str) -> ServeProcess:
    """Run ``woosim serve`` and wait (with a deadline) for its four lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_woosim.cli", "serve", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    served = ServeProcess(process)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while len(served.values) < 4:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            served.stop()
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"woosim serve did not start: {stderr}")
        try:
            line = lines.get(timeout=min(remaining, 1.0))
        except queue.Empty:
            continue
        name, _, value = line.strip().partition("=")
        served.values[name] = value
    return served


def test_prints_urls_and_keys_and_serves_demo_data() -> None:
    served = start_serve(
        "--port", "0", "--seed", "7", "--customers", "4", "--orders", "9",
        "--timezone", "Europe/Paris", "--frozen", "--start", "2024-06-01T10:00:00Z",
    )  # fmt: skip
    try:
        values = served.values
        assert list(values) == ["site_url", "api_url", "consumer_key", "consumer_secret"]
        assert values["site_url"].startswith("http://127.0.0.1:")
        assert values["api_url"] == values["site_url"] + "/wp-json/wc/v3"
        assert values["consumer_key"].startswith("ck_") and len(values["consumer_key"]) == 43
        auth = (values["consumer_key"], values["consumer_secret"])
        orders = httpx.get(values["api_url"] + "/orders", auth=auth, params={"per_page": 100})
        assert orders.headers["X-WP-Total"] == "9"
        clock = httpx.get(values["site_url"] + "/_woosim/clock").json()
        assert clock["frozen"] is True and clock["now"] == "2024-06-01T10:00:00Z"
        settings = httpx.get(values["site_url"] + "/_woosim/settings").json()
        assert settings["timezone"] == "Europe/Paris"
        assert (
            values["consumer_secret"]
            not in httpx.get(values["site_url"] + "/_woosim/settings").text
        )
    finally:
        served.stop()
    assert served.returncode == 0


def test_strict_http_auth_ignores_basic() -> None:
    served = start_serve("--port", "0", "--http-auth", "strict", "--consumer-key", "ck_" + "a" * 40,
                         "--consumer-secret", "cs_" + "b" * 40)  # fmt: skip
    try:
        assert served.values["consumer_key"] == "ck_" + "a" * 40
        response = httpx.get(
            served.values["api_url"] + "/orders", auth=("ck_" + "a" * 40, "cs_" + "b" * 40)
        )
        assert response.status_code == 401
        assert response.json()["code"] == "woocommerce_rest_cannot_view"
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--orders", "-3"], "must be >= 0"),
        (["--start", "yesterday"], "not an ISO-8601"),
        (["--port", "70000"], "between 0 and 65535"),
    ],
)
def test_bad_options_are_clear_errors(options: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_woosim.cli", "serve", *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_tls_serves_https() -> None:
    served = start_serve("--port", "0", "--tls")
    try:
        assert served.values["site_url"].startswith("https://127.0.0.1:")
        response = httpx.get(
            served.values["api_url"] + "/orders",
            auth=(served.values["consumer_key"], served.values["consumer_secret"]),
            verify=False,
        )
        assert response.status_code == 200
    finally:
        served.stop()
