"""The engine's import graph has no cycle, between modules or between its packages.

Every import counts: module level, inside `if TYPE_CHECKING:` and inside functions (a cycle hidden in a function
body still couples the two modules). Importing a package for one of its submodules is an edge to the submodule,
as grimp (import-linter) counts it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import cql_like

ROOT = Path(cql_like.__file__).parent
Graph = dict[str, set[str]]


def _module_name(path: Path) -> str:
    parts = ["cql_like", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:
                    yield submodule
                elif target in known:
                    yield target


def import_graph() -> Graph:
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) - {name} for name, path in modules.items()}


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _group(module: str) -> str:
    """The package a module belongs to (cql_like.compile.stages -> compile); top-level modules are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    assert "cql_like.compile.stages" in graph and graph["cql_like.compile.stages"], "the graph was not read"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_packages_are_layered() -> None:
    """syntax, runtime, fhir, ops, codegen, compile, ... import each other in one direction only."""
    groups: Graph = {}
    for module, targets in import_graph().items():
        if module == "cql_like":  # the public API re-exports from every layer
            continue
        groups.setdefault(_group(module), set()).update(_group(t) for t in targets if _group(t) != _group(module))
    assert find_cycle(groups) is None, " -> ".join(find_cycle(groups) or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_emitters_see_the_compiler_only_through_the_host_protocol() -> None:
    """No emitter module imports the modules that drive it (expressions, stages, dispatch)."""
    graph = import_graph()
    drivers = {"cql_like.compile.expressions", "cql_like.compile.stages", "cql_like.compile.dispatch"}
    emitters = ["operators", "queries", "selectors", "type_ops", "timing", "fastpath", "members", "host"]
    for name in emitters:
        assert not graph[f"cql_like.compile.{name}"] & drivers, name


def test_public_api_is_unchanged() -> None:
    from cql_like import CqlError, LocalTerminology, PatientRecord, load_library

    assert callable(load_library) and isinstance(CqlError, type)
    assert PatientRecord.__module__ == "cql_like.fhir.record"
    assert LocalTerminology.__module__ == "cql_like.terminology"
