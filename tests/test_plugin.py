"""The pytest plugin as users see it: the switch, options, marker, reset, clock (via pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ASYNC_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture(autouse=True)
def quiet_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNC_INI)


def test_without_the_flag_woosim_tests_are_skipped_naming_the_flag(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.woosim
        def test_marked(woosim):
            raise AssertionError("must not run")

        def test_fixture_only(woosim):
            raise AssertionError("must not run")

        def test_plain():
            pass
        """
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*run pytest with --woosim*"])


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    zone = pytester.runpytest("--woosim", "--woosim-timezone", "Mars/Olympus")
    assert zone.ret == pytest.ExitCode.USAGE_ERROR
    zone.stderr.fnmatch_lines(["*--woosim-timezone*unknown time zone 'Mars/Olympus'*"])
    instance = pytester.runpytest("--woosim-instance", "x.json")
    assert instance.ret == pytest.ExitCode.USAGE_ERROR
    instance.stderr.fnmatch_lines(["*--woosim-instance runs the woosim checks: add --woosim*"])


def test_store_is_reset_before_each_test_and_marker_options_apply(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.woosim(customers=3, orders=5, seed="s", timezone="Asia/Tokyo")
        def test_first(woosim):
            assert woosim.client.get("orders").headers["X-WP-Total"] == "5"
            assert woosim.client.get("customers").headers["X-WP-Total"] == "3"
            zone = woosim.client.get("system_status").json()["settings"]["timezone"]
            assert zone == "Asia/Tokyo"
            woosim.create_customer(first_name="Left behind")

        def test_second_starts_empty_in_the_session_zone(woosim):
            assert woosim.client.get("orders").json() == []
            assert woosim.client.get("customers").headers["X-WP-Total"] == "0"
            zone = woosim.client.get("system_status").json()["settings"]["timezone"]
            assert zone == "Europe/Paris"

        @pytest.mark.woosim(orders="many")
        def test_bad_marker(woosim):
            pass
        """
    )
    result = pytester.runpytest(
        "--woosim", "--woosim-timezone", "Europe/Paris", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.woosim: orders must be a whole number >= 0*"])


def test_the_queued_reset_is_done_before_the_test_reads_the_store_any_way(
    pytester: pytest.Pytester,
) -> None:
    """The reset is queued on the store's loop, not awaited: whatever the test does
    first (a request, an async request, the in-process store) sees the store emptied."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(20))
        def test_leaves_records_then_reads_in_process(n, woosim):
            assert woosim.sim.store.orders == {}
            assert len(woosim.sim.store.customers) == 1  # the administrator stays
            woosim.create_customer(first_name=f"Left behind {n}")
            woosim.create_order(status="processing")

        @pytest.mark.parametrize("n", range(20))
        def test_leaves_records_then_reads_over_http(n, woosim):
            assert woosim.client.get("orders").json() == []
            assert woosim.client.get("customers").headers["X-WP-Total"] == "0"
            woosim.create_order(status="pending")

        @pytest.mark.parametrize("n", range(5))
        async def test_leaves_records_then_reads_async(n, woosim):
            async with woosim.async_client() as client:
                assert (await client.get("orders")).json() == []
            woosim.create_order(status="pending")
        """
    )
    result = pytester.runpytest("--woosim", "-p", "no:randomly")
    result.assert_outcomes(passed=45)


def test_ini_keys_set_the_session_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNC_INI + "woosim_timezone = America/New_York\nwoosim_seed = abc\n")
    pytester.makepyfile(
        """
        from simulator.keys import derive_key

        def test_zone_and_keys(woosim):
            status = woosim.client.get("system_status").json()
            assert status["settings"]["timezone"] == "America/New_York"
            assert woosim.consumer_key == derive_key("abc").consumer_key
        """
    )
    pytester.runpytest("--woosim").assert_outcomes(passed=1)


def test_clock_moves_the_store_and_freezes_the_process_then_lets_go(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import time
        from datetime import datetime, timedelta, timezone
        import pytest

        START = datetime(2024, 3, 10, 6, 0, tzinfo=timezone.utc)

        @pytest.mark.woosim(start="2024-03-10T06:00:00Z")
        def test_frozen(woosim, woosim_clock):
            assert woosim_clock.frozen and woosim_clock.now() == START
            assert datetime.now(timezone.utc) == START
            woosim_clock.advance(timedelta(minutes=5))
            assert time.time() == (START + timedelta(minutes=5)).timestamp()
            order = woosim.create_order()
            assert order["date_created_gmt"] == "2024-03-10T06:05:00"
            woosim_clock.set(datetime(2025, 1, 1))
            assert datetime.now(timezone.utc).year == 2025

        def test_running_again(woosim, woosim_clock):
            assert not woosim_clock.frozen
            assert datetime.now().year >= 2025 and abs(time.time() - woosim_clock.timestamp()) < 5
            woosim_clock.freeze()
            frozen_at = datetime.now(timezone.utc)
            assert frozen_at == woosim_clock.now().replace(microsecond=frozen_at.microsecond)
            woosim_clock.unfreeze()
            assert not woosim_clock.frozen

        def test_teardown_undid_freezegun():
            assert datetime.now().year >= 2025
        """
    )
    pytester.runpytest("--woosim", "-p", "no:randomly").assert_outcomes(passed=3)


def test_woosim_and_woosim_clock_set_the_clock_once_whichever_comes_first(
    pytester: pytest.Pytester,
) -> None:
    """``woosim`` sets the clock up itself; with ``woosim_clock`` too, in either order,
    the second one must not set it back (a move made in between stays)."""
    pytester.makepyfile(
        """
        from datetime import datetime, timedelta, timezone
        import pytest

        START = datetime(2024, 3, 10, 6, 0, tzinfo=timezone.utc)
        HOUR = timedelta(hours=1)
        at_start = pytest.mark.woosim(start="2024-03-10T06:00:00Z", orders=3, seed="s")

        @pytest.fixture
        def clock_moved(woosim_clock):
            woosim_clock.advance(HOUR)

        @pytest.fixture
        def store_then_moved(woosim):
            woosim.clock.advance(HOUR)

        @at_start
        def test_woosim_alone_freezes_the_process_and_dates_the_data(woosim):
            assert woosim.clock.frozen and datetime.now(timezone.utc) == START
            dates = [order["date_created_gmt"] for order in woosim.client.get("orders").json()]
            assert len(dates) == 3 and max(dates) <= "2024-03-10T06:00:00"

        @at_start
        def test_clock_first(clock_moved, woosim):
            assert woosim.clock.now() == START + HOUR
            assert datetime.now(timezone.utc) == START + HOUR
            assert woosim.client.get("orders").headers["X-WP-Total"] == "3"

        @at_start
        def test_store_first(store_then_moved, woosim_clock):
            assert woosim_clock.now() == START + HOUR
            assert datetime.now(timezone.utc) == START + HOUR

        @at_start
        def test_clock_alone(woosim_clock):
            assert woosim_clock.frozen and datetime.now(timezone.utc) == START

        def test_teardown_undid_freezegun(woosim):
            assert not woosim.clock.frozen and datetime.now().year >= 2025

        def test_and_without_the_fixtures():
            assert datetime.now().year >= 2025
        """
    )
    pytester.runpytest("--woosim", "-p", "no:randomly").assert_outcomes(passed=6)


def test_async_tests_use_the_same_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.woosim(start="2024-03-10T06:00:00Z")
        async def test_async(woosim, woosim_clock):
            async with woosim.async_client() as client:
                created = await client.post("customers", json={"email": "a@example.com"})
            assert created.status_code == 201
            await woosim_clock.advance_async(90)
            assert woosim_clock.now().isoformat() == "2024-03-10T06:01:30+00:00"
        """
    )
    pytester.runpytest("--woosim").assert_outcomes(passed=1)


def test_receiver_is_cleared_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        from simulator.wire.signing import sign_elements, CE_SIGNATURE_HEADER

        def post(receiver, body, key):
            headers = {"Content-Type": "application/json"}
            if key:
                headers[CE_SIGNATURE_HEADER] = sign_elements(key, body)
            return httpx.post(receiver.url, content=body, headers=headers)

        BODY = b'{"message": {"events": [{"objectType": "orders", "objectId": "7"}]}}'

        def test_one(woosim_receiver):
            woosim_receiver.fail_next(1, status=503)
            assert post(woosim_receiver, BODY, woosim_receiver.signature_key).status_code == 503
            assert post(woosim_receiver, BODY, woosim_receiver.signature_key).status_code == 200
            assert post(woosim_receiver, BODY, "wrong").status_code == 401
            assert woosim_receiver.wait_for_events(1)[0]["objectId"] == "7"
            assert [n.verified for n in woosim_receiver.notifications] == [True, False]
            woosim_receiver.fail_next(5)

        def test_two(woosim_receiver):
            assert woosim_receiver.events == [] and woosim_receiver.notifications == []
            assert post(woosim_receiver, BODY, woosim_receiver.signature_key).status_code == 200
        """
    )
    pytester.runpytest("--woosim", "-p", "no:randomly").assert_outcomes(passed=2)


def test_the_docs_show_every_example_as_it_runs_in_ci() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent
    docs = "\n".join(page.read_text() for page in (root.parent / "docs").glob("*.md"))
    examples = sorted((root / "examples").glob("test_howto_*.py"))
    assert examples
    for example in examples:
        assert example.read_text().rstrip() in docs, f"docs/ are out of date: {example.name}"
