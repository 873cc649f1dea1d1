"""The emulator's layout: a shared core, then the 360Learning, edX and SCIM services side by side, and no import
cycle (lazy imports inside functions and imports for type checking count too).

- core: ``asgi`` (the services' ASGI pieces), ``config``, ``rate_limit``, ``page_cache``, ``tenant`` (the
  generated data), ``state``;
- the 360Learning API: ``learning`` (its pipeline) over ``routing``, ``bodies``, ``errors``, ``pagination``,
  ``events``, ``course_skills`` and ``handlers/``;
- the edX gateway (``edx/``) and the SCIM service (``scim/``) build on the core only;
- ``app`` mounts the services (nothing of the emulator imports it but the server and the CLI).
"""

from __future__ import annotations

import ast
from pathlib import Path

import airflow_provider_360learning.emulator as emulator_package

PACKAGE = "airflow_provider_360learning.emulator"
ROOT = Path(emulator_package.__file__).resolve().parent
CORE = {f"{PACKAGE}.{name}" for name in ("asgi", "config", "rate_limit", "page_cache", "tenant", "state")}
SIBLINGS = ("edx", "scim")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([PACKAGE, *parts])] = path
    return modules


def _graph() -> dict[str, set[str]]:
    """Module -> emulator modules it imports (anywhere in its body)."""
    modules = _modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else owner(node.module))
            elif isinstance(node, ast.Import):
                targets.update(owner(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{module}: relative import")
        graph[module] = {t for t in targets if t and t != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_core_modules_exist():
    assert set(_modules()) >= CORE


def test_edx_and_scim_build_on_the_core_only():
    graph = _graph()
    for sibling in SIBLINGS:
        prefix = f"{PACKAGE}.{sibling}"
        outside = {
            target
            for module, targets in graph.items()
            if module == prefix or module.startswith(prefix + ".")
            for target in targets
            if not (target == prefix or target.startswith(prefix + ".")) and target not in CORE
        }
        assert outside == set(), f"{sibling} imports {sorted(outside)}"


def test_core_imports_no_service():
    graph = _graph()
    services = (f"{PACKAGE}.learning", f"{PACKAGE}.app", *(f"{PACKAGE}.{s}" for s in SIBLINGS))
    for module in sorted(CORE):
        wrong = {t for t in graph[module] if t.startswith(services)}
        assert wrong == set(), f"{module} imports {sorted(wrong)}"


def test_only_the_server_and_the_cli_import_the_app():
    importers = {module for module, targets in _graph().items() if f"{PACKAGE}.app" in targets}
    assert importers <= {PACKAGE, f"{PACKAGE}.server", f"{PACKAGE}.__main__"}, importers
