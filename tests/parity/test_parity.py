"""The fake against recorded real WooCommerce 10.0.2 behaviour, check by check.

``test_the_fake_matches_the_recordings`` runs in every ``pytest --woosim``;
``test_a_live_store_matches_the_fake`` runs when ``WOOSIM_PARITY_*`` name a real
store (docs/parity.md) and skips otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .backends import real_stores_from_env
from .compare import (
    TRANSPORTS,
    Allowlist,
    Comparison,
    compare,
    judge,
    load_snapshot,
    report,
    rewrite_allowlist,
    short,
    write_snapshot,
)
from .record import run_fake, run_real

pytestmark = pytest.mark.woosim

#: Mismatches printed in a failure (all of them: ``python -m tests.parity.record --fake -v``).
SHOWN = 60


def _verdict(comparisons: list[Comparison], *, stale_fails: bool) -> str:
    unexpected, stale = judge(comparisons, Allowlist.load())
    problems = []
    if unexpected:
        shown = unexpected[:SHOWN]
        more = len(unexpected) - len(shown)
        problems.append(
            f"{len(unexpected)} mismatches not in fixtures/parity/allowlist.json "
            "(fix the fake, or allowlist them with a reason):\n"
            + "\n".join(shown)
            + (f"\n... and {more} more: python -m tests.parity.record --fake -v" if more else "")
        )
    if stale and stale_fails:
        problems.append(
            f"{len(stale)} allowlist entries now match; remove them "
            "(python -m tests.parity.record --rewrite-allowlist):\n  " + "\n  ".join(stale)
        )
    return "\n\n".join(problems)


async def test_the_fake_matches_the_recordings(request: pytest.FixtureRequest) -> None:
    comparisons = []
    for transport in TRANSPORTS:
        recorded = load_snapshot(transport)["checks"]
        comparisons.append(compare(transport, recorded, (await run_fake(transport)).checks))
    summary = report(comparisons)
    request.node.user_properties.append(("parity", summary))
    problems = _verdict(comparisons, stale_fails=True)
    assert not problems, summary + "\n\n" + problems


async def test_a_live_store_matches_the_fake(request: pytest.FixtureRequest) -> None:
    stores = real_stores_from_env()
    if not stores:
        pytest.skip(
            "no live store: set WOOSIM_PARITY_URL, WOOSIM_PARITY_CK and WOOSIM_PARITY_CS "
            "(see docs/parity.md)"
        )
    side_by_side, against_recordings = [], []
    for transport, store in stores.items():
        real = (await run_real(store)).checks
        fake = (await run_fake(transport)).checks
        side_by_side.append(compare(transport, real, fake))
        against_recordings.append(compare(transport, load_snapshot(transport)["checks"], real))
    summary = (
        "live store vs fake\n"
        + report(side_by_side)
        + "\nlive store vs the recordings\n"
        + report(against_recordings)
    )
    drift = [
        f"[{c.transport}] {m.check}\n"
        f"    recorded:   {short(m.real)}\n    live store: {short(m.fake)}"
        for c in against_recordings
        for m in c.mismatches[:SHOWN]
    ]
    if drift:
        summary += "\nlive store differs from the recordings at:\n" + "\n".join(drift)
    request.node.user_properties.append(("parity", summary))
    # A live shop may differ from the recordings (settings, plugins), so only differences
    # between it and the fake that nobody has explained fail.
    problems = _verdict(side_by_side, stale_fails=False)
    assert not problems, summary + "\n\n" + problems


def test_the_comparison_reports_new_and_stale_differences() -> None:
    real = {"orders | get | status": 200, "orders | get | value $.total": "1.00", "x | y | z": 1}
    fake = {"orders | get | status": 200, "orders | get | value $.total": "2.00", "x | y | z": 1}
    comparison = compare("https-basic", real, fake)
    assert (comparison.matched, comparison.total) == (2, 3)
    assert comparison.per_area == {"orders": (1, 2), "x": (1, 1)}
    allowlist = Allowlist([{"reason": "taxes", "checks": ["x | y | z"]}])
    unexpected, stale = judge([comparison], allowlist)
    assert unexpected == [
        '[https-basic] orders | get | value $.total\n    real store: "1.00"\n    fake:       "2.00"'
    ]
    assert stale == ["x | y | z"]
    rewritten = rewrite_allowlist([comparison], allowlist)
    assert [g["checks"] for g in rewritten.groups] == [[], ["orders | get | value $.total"]]
    assert rewritten.groups[0]["reason"] == "taxes"


def test_recording_one_area_rewrites_only_that_areas_file(tmp_path: Path) -> None:
    checks = {"a | s | status": 200, "b | s | status": 201, "b | t | status": 404}
    folder = write_snapshot("https-basic", checks, ["c | ro"], tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["a.json", "b.json", "c.json"]
    # Area b alone again: its file is replaced, a and c stay; an area that ran and
    # made no check loses its file.
    write_snapshot("https-basic", {"b | s | status": 500}, [], tmp_path, areas=["b", "c"])
    assert sorted(p.name for p in folder.iterdir()) == ["a.json", "b.json"]
    b = json.loads((folder / "b.json").read_text(encoding="utf-8"))
    assert (b["area"], b["checks"]) == ("b", {"b | s | status": 500})
    a = json.loads((folder / "a.json").read_text(encoding="utf-8"))
    assert a["checks"] == {"a | s | status": 200}
