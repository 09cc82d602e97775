"""``--woosim-instance PATH`` with a file in another project leaves pytest's rootdir alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# pytest-asyncio, installed here, warns about an ini file that does not set its loop scope.
QUIET = "asyncio_default_fixture_loop_scope = function\n"
INSTANCE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "instances" / "recommended-polling.json"
)


@pytest.fixture
def projects(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A user's project (the working directory) and another project holding the instance file."""
    mine, other = pytester.path / "mine", pytester.path / "other"
    (mine / "tests").mkdir(parents=True)
    (mine / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n" + QUIET)
    (mine / "tests" / "test_mine.py").write_text("def test_mine():\n    pass\n")
    (other / "configs").mkdir(parents=True)
    (other / "pytest.ini").write_text("[pytest]\naddopts = -p no:terminal\n" + QUIET)
    shutil.copy(INSTANCE, other / "configs" / "instance.json")
    monkeypatch.chdir(mine)
    return mine, other / "configs" / "instance.json"


def test_a_separate_value_that_would_move_the_rootdir_is_stopped_with_the_fix(
    pytester: pytest.Pytester, projects: tuple[Path, Path]
) -> None:
    _, instance = projects
    result = pytester.runpytest("--woosim", "--woosim-instance", str(instance))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--woosim-instance {instance}: pytest read this path as a test path*"]
    )
    result.stderr.fnmatch_lines([f"*Write --woosim-instance={instance} (one argument)*"])


@pytest.mark.parametrize("form", ["equals", "ini"])
def test_the_one_token_form_and_the_ini_key_keep_the_users_rootdir(
    pytester: pytest.Pytester, projects: tuple[Path, Path], form: str
) -> None:
    mine, instance = projects
    args = ["--woosim", "--collect-only", "-q"]
    if form == "equals":
        args.append(f"--woosim-instance={instance}")
    else:
        ini = f"[pytest]\ntestpaths = tests\nwoosim_instance = {instance}\n{QUIET}"
        (mine / "pytest.ini").write_text(ini)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tests/test_mine.py::test_mine", "*woosim::signatures"])
    result.stdout.no_fnmatch_line("*../*")


def test_a_separate_value_inside_the_project_is_fine(
    pytester: pytest.Pytester, projects: tuple[Path, Path]
) -> None:
    mine, instance = projects
    shutil.copy(instance, mine / "instance.json")
    result = pytester.runpytest(
        "--woosim", "--collect-only", "-q", "--woosim-instance", "instance.json"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tests/test_mine.py::test_mine"])
