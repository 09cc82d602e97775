"""Snapshots, the allowlist, and the check-by-check comparison.

Snapshots: ``fixtures/parity/<transport>/<area>.json``, a folder per way of
talking to the store (``https-basic``, ``http-oauth``) and a file per area, each
``{"store", "transport", "area", "checks", "skipped"}`` with checks sorted by id.

Allowlist: ``fixtures/parity/allowlist.json``, groups of check ids sharing one
reason. A mismatch not listed fails; a listed check that now matches in every
transport fails as stale, so the list only shrinks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import area_of

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "parity"
ALLOWLIST = FIXTURES / "allowlist.json"
TRANSPORTS = ("https-basic", "http-oauth")
#: What a store recorded by this suite claims to be (written into each snapshot).
STORE = "WooCommerce 10.0.2 on WordPress 6.8.8, America/New_York"
MISSING = "<check not made>"
NEW_GROUP = "not yet explained: compare the two values and write the reason"


def snapshot_dir(transport: str, directory: Path | None = None) -> Path:
    return (directory or FIXTURES) / transport


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def write_snapshot(
    transport: str,
    checks: dict[str, Any],
    skipped: list[str],
    directory: Path | None = None,
    *,
    areas: Sequence[str] | None = None,
) -> Path:
    """One file per area, so an area recorded alone replaces only its own file.

    ``areas``: the areas this recording ran; their files are rewritten (an area that
    made no check loses its file), the others are left as they are.
    """
    folder = snapshot_dir(transport, directory)
    folder.mkdir(parents=True, exist_ok=True)
    by_area: dict[str, dict[str, Any]] = {}
    skipped_by_area: dict[str, list[str]] = {}
    for check, value in checks.items():
        by_area.setdefault(area_of(check), {})[check] = value
    for step in skipped:
        skipped_by_area.setdefault(area_of(step), []).append(step)
    ran = set(areas) if areas is not None else {p.stem for p in folder.glob("*.json")}
    ran |= set(by_area) | set(skipped_by_area)
    for area in sorted(ran):
        path = folder / f"{area}.json"
        if area not in by_area and area not in skipped_by_area:
            path.unlink(missing_ok=True)
            continue
        data = {
            "store": STORE,
            "transport": transport,
            "area": area,
            "checks": dict(sorted(by_area.get(area, {}).items())),
            "skipped": sorted(skipped_by_area.get(area, [])),
        }
        path.write_text(dump_json(data), encoding="utf-8")
    return folder


def load_snapshot(transport: str, areas: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"checks", "skipped"}`` of every area file of ``transport`` (or of ``areas``)."""
    checks: dict[str, Any] = {}
    skipped: list[str] = []
    for path in sorted(snapshot_dir(transport).glob("*.json")):
        if areas is not None and path.stem not in areas:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        checks.update(data["checks"])
        skipped.extend(data["skipped"])
    return {"checks": checks, "skipped": skipped}


# --------------------------------------------------------------------------- allowlist
@dataclass
class Allowlist:
    groups: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = ALLOWLIST) -> Allowlist:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(list(data.get("groups", [])))

    def reasons(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for group in self.groups:
            for check in group["checks"]:
                out[check] = group["reason"]
        return out

    def save(self, path: Path = ALLOWLIST) -> None:
        groups = [g for g in self.groups if g["checks"]]
        for group in groups:
            group["checks"] = sorted(set(group["checks"]))
        header = (
            "Differences between the fake and a real WooCommerce 10.0.2 store that CI accepts "
            "for now, grouped by reason. Regenerate with: python -m tests.parity.record "
            "--rewrite-allowlist"
        )
        path.write_text(dump_json({"about": header, "groups": groups}), encoding="utf-8")


# --------------------------------------------------------------------------- comparison
@dataclass
class Mismatch:
    check: str
    real: Any
    fake: Any


@dataclass
class Comparison:
    transport: str
    total: int
    matched: int
    per_area: dict[str, tuple[int, int]]
    mismatches: list[Mismatch]

    def line(self) -> str:
        return f"parity [{self.transport}]: {self.matched}/{self.total} checks match"


def compare(transport: str, real: dict[str, Any], fake: dict[str, Any]) -> Comparison:
    """Every check either side made, compared by value."""
    ids = sorted(set(real) | set(fake))
    totals: Counter[str] = Counter()
    good: Counter[str] = Counter()
    mismatches = []
    for check in ids:
        area = area_of(check)
        totals[area] += 1
        want, got = real.get(check, MISSING), fake.get(check, MISSING)
        if want == got:
            good[area] += 1
        else:
            mismatches.append(Mismatch(check, want, got))
    per_area = {area: (good[area], totals[area]) for area in sorted(totals)}
    return Comparison(transport, len(ids), len(ids) - len(mismatches), per_area, mismatches)


def report(comparisons: list[Comparison]) -> str:
    total = sum(c.total for c in comparisons)
    matched = sum(c.matched for c in comparisons)
    lines = [f"parity: {matched}/{total} checks match"]
    for comparison in comparisons:
        lines.append(comparison.line())
        for area, (ok, all_) in comparison.per_area.items():
            lines.append(f"  {area:<11} {ok}/{all_}")
    return "\n".join(lines)


def short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def judge(comparisons: list[Comparison], allowlist: Allowlist) -> tuple[list[str], list[str]]:
    """(unexpected mismatches as printable lines, stale allowlist entries)."""
    reasons = allowlist.reasons()
    unexpected = []
    mismatched: set[str] = set()
    for comparison in comparisons:
        for m in comparison.mismatches:
            mismatched.add(m.check)
            if m.check not in reasons:
                unexpected.append(
                    f"[{comparison.transport}] {m.check}\n"
                    f"    real store: {short(m.real)}\n    fake:       {short(m.fake)}"
                )
    stale = sorted(check for check in reasons if check not in mismatched)
    return unexpected, stale


def rewrite_allowlist(comparisons: list[Comparison], allowlist: Allowlist) -> Allowlist:
    """Today's mismatches, each kept under its existing reason; new ones in one group."""
    mismatched = {m.check for c in comparisons for m in c.mismatches}
    known: set[str] = set()
    groups = []
    for group in allowlist.groups:
        keep = [c for c in group["checks"] if c in mismatched]
        known.update(keep)
        groups.append({"reason": group["reason"], "checks": keep})
    new = sorted(mismatched - known)
    if new:
        target = next((g for g in groups if g["reason"] == NEW_GROUP), None)
        if target is None:
            target = {"reason": NEW_GROUP, "checks": []}
            groups.append(target)
        target["checks"].extend(new)
    return Allowlist(groups)
