"""``woosim check-config``: every fixture through the installed console script, broken files too."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_woosim.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"


def woosim_script() -> str:
    beside = Path(sys.executable).parent / "woosim"
    found = str(beside) if beside.exists() else shutil.which("woosim")
    assert found, "the woosim console script is not installed"
    return found


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command run in this process (quicker), with the same outputs."""
    code = main(["check-config", *args])
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def check_config(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [woosim_script(), "check-config", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_fixture_is_covered() -> None:
    assert {path.name for path in FIXTURES.glob("*.json")} == {
        "seed-webhook.json",
        "seed-polling-as-published.json",
        "seed-polling-corrected.json",
        "recommended-polling.json",
        "recommended-webhook.json",
    }


@pytest.mark.parametrize("name", ["recommended-polling.json", "recommended-webhook.json"])
def test_recommended_fixtures_pass_cleanly(name: str) -> None:
    result = check_config(str(FIXTURES / name))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    normalised = json.loads(result.stdout)
    original = json.loads((FIXTURES / name).read_text())
    conf = normalised["configuration"]
    assert conf["oauth.api.secret"] == "****"
    assert conf["event.notification.signature.key"] == "****"
    assert original["configuration"]["event.notification.signature.key"] not in result.stdout
    assert original["configuration"]["oauth.api.secret"] not in result.stdout
    assert conf["event.notification.enabled"] is True
    assert conf["event.poller.refresh_interval"] == 15
    if name == "recommended-polling.json":
        poller = conf["event.poller.configuration"]
        assert sorted(poller) == ["customers", "orders"]
        assert poller["orders"]["datesConfiguration"]["updatedDateField"] == "date_modified_gmt"


def test_seed_polling_as_published_fails_at_the_missing_brace() -> None:
    path = FIXTURES / "seed-polling-as-published.json"
    result = check_config(str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{path}:27:3: missing '}}' before \"tags\"")


def test_seed_polling_corrected_passes_with_warnings() -> None:
    path = FIXTURES / "seed-polling-corrected.json"
    result = check_config(str(path))
    assert result.returncode == 0
    dates = (
        f'{path}: warning: configuration."event.poller.configuration".customers.datesConfiguration'
    )
    lines = result.stderr.splitlines()
    assert (
        f"{dates}.updatedDateField: date_modified with time zone GMT is right only for a store"
        in "\n".join(lines)
    )
    assert any("events are not enabled" in line for line in lines)
    assert "123456" not in result.stdout + result.stderr  # the seed's signature key
    assert json.loads(result.stdout)["name"] == "WooCommerceForDocs"


def test_seed_webhook_passes_with_warnings() -> None:
    path = FIXTURES / "seed-webhook.json"
    result = check_config(str(path))
    assert result.returncode == 0
    assert (
        f'{path}: warning: configuration."event.notification.enabled": events are not enabled'
        in result.stderr
    )
    assert json.loads(result.stdout)["configuration"]["event.vendor.type"] == "webhook"


def test_semantic_problems_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads((FIXTURES / "recommended-polling.json").read_text())
    conf = data["configuration"]
    conf["event.vendor.type"] = "webhooks"
    conf["event.poller.refresh_interval"] = "0"
    conf["event.notification.callback.url"] = "mailto:me@example.com"
    conf["event.poller.configuration"]["customers"]["datesConfiguration"]["updatedDateFormat"] = (
        "yyyy-MM-dd'T'HH:mm:ss'"
    )
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, indent=2))
    result = in_process(capsys, str(path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert (
        f'{path}: configuration."event.vendor.type": use "webhook" (singular): '
        '"webhooks" is not a vendor type' in lines
    )
    assert (
        f'{path}: configuration."event.poller.refresh_interval": must be at least 1 minute (got 0)'
        in lines
    )
    assert any(
        line.startswith(f'{path}: configuration."event.notification.callback.url": must be an http')
        for line in lines
    )
    assert any(
        "customers.datesConfiguration.updatedDateFormat" in line and "stray quote" in line
        for line in lines
    )
    assert len(lines) == 4
    assert conf["event.notification.signature.key"] not in result.stderr


def test_stdin_quiet_and_missing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (FIXTURES / "recommended-webhook.json").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    result = in_process(capsys, "-", "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    monkeypatch.setattr(sys, "stdin", io.StringIO("[1]"))
    result = in_process(capsys, "-")
    assert result.returncode == 2
    assert result.stderr.strip() == "<stdin>: the instance configuration must be a JSON object"
    missing = tmp_path / "nope.json"
    result = in_process(capsys, str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{missing}: cannot read the file: No such file or directory"
    assert "Traceback" not in result.stderr


def test_a_cut_off_file_gets_a_complete_message(tmp_path: Path) -> None:
    text = (FIXTURES / "recommended-polling.json").read_text()
    cut = text.index('"', text.index('"configuration"') + 20)  # inside a string, mid-file
    path = tmp_path / "cut.json"
    path.write_text(text[: cut + 4])
    line = text.count("\n", 0, cut) + 1
    col = cut - text.rfind("\n", 0, cut)
    result = check_config(str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}:{line}:{col}: invalid JSON: Unterminated string starting at line {line}, "
        f"col {col} (the file ends inside it: is it cut off?)"
    ]
    path.write_text(text[: text.index("{", 1)])
    result = check_config(str(path))
    assert result.stderr.strip().endswith("(the file ends there: is it cut off?)")


def test_an_unknown_time_zone_is_one_line_naming_the_file(tmp_path: Path) -> None:
    text = (FIXTURES / "recommended-polling.json").read_text()
    assert '"updatedDateTimezone": "GMT"' in text
    path = tmp_path / "zone.json"
    path.write_text(text.replace('"updatedDateTimezone": "GMT"', '"updatedDateTimezone": "Mars/X"'))
    result = check_config("--quiet", str(path))
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"{path}: warning: ") for line in lines), lines
    assert any("unknown time zone id 'Mars/X'" in line for line in lines)


@pytest.mark.parametrize("given", ["1e17", "1e308", "1" + "0" * 400, '"2000000000"'])
def test_out_of_range_refresh_interval_is_a_configuration_error(given: str) -> None:
    text = (FIXTURES / "recommended-polling.json").read_text(encoding="utf-8")
    data = json.loads(text)
    data["configuration"]["event.poller.refresh_interval"] = "@@"
    broken = json.dumps(data).replace('"@@"', given)
    result = check_config("-", stdin=broken)
    assert result.returncode == 2, result.stderr
    assert 'configuration."event.poller.refresh_interval": must be at most' in result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr


def test_disabled_events_are_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "recommended-polling.json").read_text(encoding="utf-8"))
    del data["configuration"]["event.notification.enabled"]
    path = tmp_path / "disabled.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = in_process(capsys, str(path), "-q")
    assert result.returncode == 0
    assert "events are not enabled (false or missing)" in result.stderr
    assert "neither polls nor registers webhooks" in result.stderr
