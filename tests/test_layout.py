"""The shape of the code: one direction of knowledge between the packages, no import cycles.

The imports are read from the source (AST), so the test sees lazy imports inside
functions too. Imports under ``if TYPE_CHECKING:`` are left out of the cycle check
(they never run), but not out of the package rule: the store may not even name
the integrator's package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "pytest_woosim")

#: The lowest layer: imported by both sides, importing neither.
FOUNDATION = ("simulator.clock", "simulator.loops", "simulator.wire")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    return {
        _module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(module: str, path: Path, *, typing_only: bool) -> Iterable[str]:
    """Dotted names ``module`` imports; ``typing_only`` includes TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and _is_type_checking(node):
                skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module.
            yield from (f"{source}.{alias.name}" for alias in node.names)
            yield source


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(*, typing_only: bool = False) -> dict[str, set[str]]:
    """Each project module and the project modules it imports."""
    modules = _project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {
            _resolve(name, modules)
            for name in _imported_names(module, path, typing_only=typing_only)
        }
        graph[module] = {target for target in targets if target and target != module}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_the_store_imports_nothing_from_the_integrators_package() -> None:
    graph = import_graph(typing_only=True)
    crossing = {
        module: sorted(target for target in targets if _in(target, ["pytest_woosim"]))
        for module, targets in graph.items()
        if _in(module, ["simulator"])
    }
    assert {module: found for module, found in crossing.items() if found} == {}


def test_the_foundation_imports_only_itself() -> None:
    graph = import_graph(typing_only=True)
    outside = {
        module: sorted(target for target in targets if not _in(target, FOUNDATION))
        for module, targets in graph.items()
        if _in(module, FOUNDATION)
    }
    assert {module: found for module, found in outside.items() if found} == {}


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_subpackages() -> None:
    """Rooms depend on each other in one direction too (``relay`` → ``outbox``)."""

    def room(module: str) -> str:
        return ".".join(module.split(".")[:2])

    rooms: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        rooms.setdefault(room(module), set()).update(
            room(target) for target in targets if room(target) != room(module)
        )
    assert cycles(rooms) == []


#: What each room may import (besides itself), as docs/how-it-works.md draws it.
ALLOWED = {
    "foundation": set(),
    "simulator": {"foundation"},
    "instance": {"foundation"},
    "outbox": {"foundation"},
    "poller": {"outbox", "instance", "foundation"},
    "relay": {"poller", "outbox", "instance", "foundation"},
    "harness": {"relay", "poller", "outbox", "instance", "simulator", "foundation"},
    "cli": {"harness", "relay", "poller", "outbox", "instance", "simulator", "foundation"},
    "plugin": {"harness", "relay", "poller", "outbox", "instance", "simulator", "foundation"},
    # The documented import paths re-export their homes.
    "public paths": {"instance", "foundation"},
}


def _room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "simulator":
        return "foundation" if _in(module, FOUNDATION) else "simulator"
    if len(parts) == 1:
        return "public paths"
    if parts[1] in ("config", "configload", "javadate", "placeholders", "signing"):
        return "public paths"
    return parts[1]


def test_rooms_import_only_what_the_layout_allows() -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph(typing_only=True).items()
        for target in targets
        if _room(target) != _room(module) and _room(target) not in ALLOWED[_room(module)]
    )
    assert wrong == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert cycles(graph) == expected
