"""The docs' examples, copied verbatim from the markdown, pass in a fresh project.

The wheel is built from this checkout and installed into a new virtualenv
outside the repository, with nothing else: no pytest-asyncio, no ini file, no
conftest. Then ``pytest --woosim -W error`` runs the examples there.

Kept fast and offline: the wheel is built without build isolation (setuptools
comes with the ``test`` extra), and the new virtualenv sees the dependencies of
pytest-woosim, and only those, through links to this environment's installed
copies (a ``.pth`` file), so nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: What the wheel is built from.
SOURCES = ("pyproject.toml", "README.md", "simulator", "pytest_woosim")

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
NAMED = re.compile(r"^# (test_\w+\.py)\n")


def doc_examples() -> dict[str, str]:
    """Test files from the docs: file name -> code, exactly as printed.

    Every example of the first-ten-minutes and webhook-handler pages, and every
    async example of the plugin page (the examples that use the repository's own
    files are left to the repository's suite).
    """
    files: dict[str, str] = {}
    for page in ("first-ten-minutes.md", "webhook-handler.md", "plugin.md"):
        for number, code in enumerate(PYTHON_BLOCK.findall((DOCS / page).read_text())):
            if "def test_" not in code or "Path(__file__)" in code:
                continue
            if page == "plugin.md" and "async def test_" not in code:
                continue
            named = NAMED.match(code)
            stem = page.removesuffix(".md").replace("-", "_")
            name = named.group(1) if named else f"test_{stem}_{number}.py"
            files[name] = code
    return files


def dependency_closure(name: str) -> list[metadata.Distribution]:
    """The installed distributions ``name`` needs to run (its runtime requirements, recursively)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [name]
    while pending:
        dist = metadata.distribution(pending.pop())
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return [dist for key, dist in seen.items() if key != name]


def link_dependencies(target: Path, dists: list[metadata.Distribution]) -> None:
    """Links to each distribution's top-level files (packages, modules, dist-info) in ``target``."""
    target.mkdir()
    for dist in dists:
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            source = base / top
            if source.exists() and not (target / top).exists() and top != "__pycache__":
                (target / top).symlink_to(source)


def fresh_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV", "COV_"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_docs_examples_find_their_files() -> None:
    files = doc_examples()
    assert {"test_webhooks.py", "test_polling.py", "test_async.py"} <= set(files)
    assert any("async def test_" in code for name, code in files.items() if "plugin" in name)
    handler = [code for name, code in files.items() if "handler" in name]
    assert any("woosim_webhook_receiver" in code for code in handler)


def test_the_docs_examples_pass_in_a_fresh_project_with_only_the_wheel(tmp_path: Path) -> None:
    source, dist, venv, project = (tmp_path / n for n in ("source", "dist", "venv", "project"))
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-q", "-w", dist, source, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("pytest_woosim-*.whl")

    made = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    purelib = venv / "lib" / version / "site-packages"
    assert purelib.is_dir()
    link_dependencies(tmp_path / "deps", dependency_closure("pytest-woosim"))
    (purelib / "woosim-test-deps.pth").write_text(str(tmp_path / "deps") + "\n")
    installed = run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "-q", wheel, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    project.mkdir()
    for name, code in doc_examples().items():
        (project / name).write_text(code)
    result = run(python, "-m", "pytest", "--woosim", "-W", "error", cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The wheel's plugin ran (the linked dependencies do not include this checkout's), and
    # it was the only plugin: pytest-asyncio was not there to help.
    assert (purelib / "pytest_woosim" / "plugin.py").is_file()
    assert not (tmp_path / "deps" / "pytest_woosim").exists()
    assert "\nplugins: woosim-" in output and "asyncio" not in output
    assert f"rootdir: {project}" in output
    tests = sum(code.count("\ndef test_") + code.count("\nasync def test_")
                for code in doc_examples().values())  # fmt: skip
    assert re.search(rf"\b{tests} passed in\b", output), output
    assert "warning" not in output.lower() and "skipped" not in output, output
