"""``async def`` woosim tests: run by the plugin, or by pytest-asyncio when it is in charge."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ASYNC_TESTS = """
import asyncio

import pytest

LOOPS = []


@pytest.mark.woosim(start="2024-03-10T06:00:00Z")
async def test_marked(woosim, woosim_clock):
    LOOPS.append(asyncio.get_running_loop())
    await woosim_clock.advance_async(90)
    async with woosim.async_client() as client:
        created = (await client.post("orders", json={})).json()
    assert created["date_created_gmt"] == "2024-03-10T06:01:30"


async def test_fixture_only(woosim_receiver):
    LOOPS.append(asyncio.get_running_loop())
    assert await woosim_receiver.wait_for_events_async(0) == []


def test_each_ran_on_a_loop_of_its_own():
    assert len(LOOPS) == 2 and LOOPS[0] is not LOOPS[1]
"""


def run(pytester: pytest.Pytester, ini: str, *args: str) -> pytest.RunResult:
    pytester.makeini(ini)
    pytester.makepyfile(ASYNC_TESTS)
    return pytester.runpytest("--woosim", "-p", "no:randomly", "-W", "error", *args)


def test_async_tests_run_without_any_async_plugin(pytester: pytest.Pytester) -> None:
    # A fresh project: no pytest-asyncio, no ini settings.
    result = run(pytester, "[pytest]\n", "-p", "no:asyncio")
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("*warning*")


def test_pytest_asyncio_in_auto_mode_keeps_running_them(pytester: pytest.Pytester) -> None:
    ini = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    result = run(pytester, ini)
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("*warning*")


def test_pytest_asyncio_in_strict_mode_leaves_unmarked_ones_to_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    ini = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    pytester.makeconftest(
        """
        import pytest_asyncio

        @pytest_asyncio.fixture
        async def answer():
            return 42
        """
    )
    pytester.makepyfile(
        test_marked_asyncio="""
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.woosim
        async def test_pytest_asyncio_runs_it(woosim, answer):
            assert answer == 42
            async with woosim.async_client() as client:
                assert (await client.get("orders")).json() == []
        """
    )
    result = run(pytester, ini)
    result.assert_outcomes(passed=4)
    result.stdout.no_fnmatch_line("*warning*")


def test_async_tests_that_are_not_woosim_tests_are_left_to_pytest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile("async def test_plain():\n    pass\n")
    result = pytester.runpytest("--woosim", "-p", "no:asyncio")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
