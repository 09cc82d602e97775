"""``--woosim-instance`` checks, ``--woosim-url`` and xdist, through pytester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_woosim.harness.checks import DateRole, explain_date
from simulator.app import Simulator
from simulator.clock import Clock
from simulator.server import SimulatorServer
from simulator.settings import Settings

pytest_plugins = ["pytester"]

INSTANCES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def quiet_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def run_checks(pytester: pytest.Pytester, fixture: str, *extra: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--woosim",
        # One argument: pytest reads a separate value as a test path (and its rootdir).
        f"--woosim-instance={INSTANCES / fixture}",
        "--woosim-timezone",
        "America/New_York",
        "-v",
        *extra,
    )


def test_recommended_polling_passes_every_check_on_a_new_york_store(
    pytester: pytest.Pytester,
) -> None:
    result = run_checks(pytester, "recommended-polling.json")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines_random(
        [
            "*woosim::events_enabled PASSED*",
            "*woosim::dates?customers? PASSED*",
            "*woosim::dates?orders? PASSED*",
            "*woosim::polling?customers? PASSED*",
            "*woosim::polling?orders? PASSED*",
            "*woosim::signatures PASSED*",
        ]
    )


def test_seed_polling_fails_the_date_check_with_the_cause_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    result = run_checks(pytester, "seed-polling-corrected.json")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*_ woosim::dates?customers? _*",
            "dates[[]customers] on a store in America/New_York:",
            "*updatedDateField 'date_modified' = '2024-01-16T15:34:56' read with updatedDateFormat"
            " \"yyyy-MM-dd'T'HH:mm:ss\" in GMT gives 2024-01-16T15:34:56Z, but the store wrote it"
            " at 2024-01-16T20:34:56Z (5 h early). date_modified is the store's local time"
            " (America/New_York), not GMT. Fix: set updatedDateField to date_modified_gmt*",
        ]
    )
    # The item's failure is the explanation alone: no traceback of the plugin's code.
    failures = result.stdout.str().split("= FAILURES =")[1].split("warnings summary")[0]
    assert "checks.py" not in failures and "Traceback" not in failures
    result.stdout.fnmatch_lines(
        ["*polling?customers?*", "*see woosim::dates?customers? for the fix*"]
    )
    result.stdout.fnmatch_lines(
        ["*the poller marked the instance unhealthy (woosim relay's /healthz answers 503)*"]
    )
    # The published example never sets event.notification.enabled: Cloud Elements sends nothing.
    result.stdout.fnmatch_lines(
        [
            "*_ woosim::events_enabled _*",
            '*events_enabled: "event.notification.enabled" is false or missing*',
        ]
    )


def test_webhook_instance_runs_the_relay_check(pytester: pytest.Pytester) -> None:
    result = run_checks(pytester, "recommended-webhook.json")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines_random(["*woosim::signatures PASSED*", "*woosim::relay PASSED*"])


def test_an_invalid_instance_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run_checks(pytester, "seed-polling-as-published.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*seed-polling-as-published.json:27:3: missing '}'*"])


def test_explain_date_names_the_zone_fix_for_a_gmt_field_read_elsewhere() -> None:
    from datetime import UTC, datetime

    role = DateRole("updated", "date_modified_gmt", "yyyy-MM-dd'T'HH:mm:ss", "America/New_York")
    truth = datetime(2024, 7, 16, 20, 34, 56, tzinfo=UTC)
    message = explain_date(
        "orders", role, {"date_modified_gmt": "2024-07-16T20:34:56"}, truth, "UTC"
    )
    assert message is not None
    assert "Fix: set updatedDateTimezone to GMT" in message and "4 h late" in message
    good = DateRole("updated", "date_modified_gmt", "yyyy-MM-dd'T'HH:mm:ss", "GMT")
    assert (
        explain_date("orders", good, {"date_modified_gmt": "2024-07-16T20:34:56"}, truth, "UTC")
        is None
    )


@pytest.fixture
def running_store() -> Iterator[SimulatorServer]:
    """A store in a thread, as ``woosim serve --timezone Europe/Berlin`` runs it."""
    sim = Simulator(Settings(timezone="Europe/Berlin"), clock=Clock())
    server = SimulatorServer(sim)
    server.start_in_thread("127.0.0.1", 0)
    yield server
    server.stop_in_thread()


def test_woosim_url_drives_a_running_store_through_its_control_plane(
    pytester: pytest.Pytester, running_store: SimulatorServer
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.woosim(orders=2, timezone="Asia/Tokyo", start="2024-06-03T09:00:00Z")
        def test_first(woosim, woosim_clock, woosim_instance, woosim_poller, woosim_receiver):
            assert woosim.client.get("orders").headers["X-WP-Total"] == "2"
            zone = woosim.client.get("system_status").json()["settings"]["timezone"]
            assert zone == "Asia/Tokyo"
            poller = woosim_poller(woosim_instance(resources=["orders"], refresh_interval=5))
            woosim_clock.advance(10)
            order = woosim.create_order()
            assert order["date_created_gmt"] == "2024-06-03T09:00:10"
            woosim_clock.advance(300)
            assert woosim_receiver.wait_for_events(1)[0]["objectId"] == str(order["id"])
            assert poller.stats["polls"] == 2

        def test_second(woosim):
            assert woosim.client.get("orders").json() == []
            zone = woosim.client.get("system_status").json()["settings"]["timezone"]
            assert zone == "UTC"
        """
    )
    result = pytester.runpytest(
        "--woosim", "--woosim-url", running_store.site_url, "-p", "no:randomly"
    )
    result.assert_outcomes(passed=2)
    assert running_store.sim.settings.timezone == "UTC"


def test_woosim_url_with_an_own_key_asks_for_the_credentials(
    pytester: pytest.Pytester, running_store: SimulatorServer
) -> None:
    from simulator.keys import ApiKey

    pytester.makepyfile("def test_x(woosim): pass")
    ring = running_store.sim.keys
    own = ApiKey(9, 1, "ck_" + "1" * 40, "cs_" + "2" * 40, "read_write", "own")
    ring._by_hash = {}  # a store started with --consumer-key holds only that key
    ring.add(own)
    refused = pytester.runpytest("--woosim", "--woosim-url", running_store.site_url)
    refused.assert_outcomes(errors=1)
    refused.stdout.fnmatch_lines(["*pass --woosim-consumer-key and --woosim-consumer-secret*"])
    accepted = pytester.runpytest(
        "--woosim",
        "--woosim-url",
        running_store.site_url,
        "--woosim-consumer-key",
        own.consumer_key,
        "--woosim-consumer-secret",
        own.consumer_secret,
    )
    accepted.assert_outcomes(passed=1)


def test_woosim_url_with_a_control_token(
    pytester: pytest.Pytester, running_store: SimulatorServer
) -> None:
    running_store.sim.control_token = "a-control-token-for-this-test"
    pytester.makepyfile(
        """
        def test_x(woosim, woosim_clock):
            woosim_clock.advance(60)
            assert woosim.faults.list() == []
        """
    )
    refused = pytester.runpytest("--woosim", "--woosim-url", running_store.site_url)
    refused.assert_outcomes(errors=1)
    refused.stdout.fnmatch_lines(["*--woosim-control-token*"])
    accepted = pytester.runpytest(
        "--woosim",
        "--woosim-url",
        running_store.site_url,
        "--woosim-control-token",
        "a-control-token-for-this-test",
    )
    accepted.assert_outcomes(passed=1)


def test_parallel_workers_each_have_their_own_servers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        @pytest.mark.woosim(start="2024-06-03T09:00:00Z")
        def test_isolated(n, woosim, woosim_receiver, woosim_clock, worker_id):
            assert woosim.client.get("customers").json() == []
            woosim.create_customer(email=f"{n}@example.com")
            woosim_clock.advance(n)
            assert woosim.client.get("customers").headers["X-WP-Total"] == "1"
            assert woosim_receiver.events == []
            print("SERVER", worker_id, woosim.site_url)
        """
    )
    result = pytester.runpytest_subprocess("--woosim", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
