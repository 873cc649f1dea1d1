"""Every third-party module the production package imports comes from a distribution its pyproject declares.

The walk reads the sources with ``ast`` (nothing is imported), over the provider package without the emulator
and the testing tools, which ship in their own distribution. A lazy import inside a function counts like a
top-level one: it runs in production too. The one exception is a driver imported only for the connection in
hand (``psycopg``/``psycopg2``: a PostgreSQL connection object exists only when the ``[postgres]`` extra's
provider, which requires them, is installed).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "airflow_provider_360learning"
NOT_PRODUCTION = {"emulator", "testing"}
# module -> the extra whose declared distribution brings it (imported lazily, only for that extra's connections)
FROM_EXTRAS = {"psycopg": "postgres", "psycopg2": "postgres", "google": "bigquery"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _production_modules() -> list[Path]:
    return [
        path for path in sorted(PACKAGE.rglob("*.py")) if not NOT_PRODUCTION & set(path.relative_to(PACKAGE).parts[:-1])
    ]


def _imports() -> list[tuple[str, str, bool]]:
    """(dotted module, file, imported at module level) for every absolute import of the production modules."""
    found = []
    for path in _production_modules():
        tree = ast.parse(path.read_text(), str(path))
        module_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(name, str(path.relative_to(REPO)), id(node) in module_level) for name in names]
    return found


def _third_party_imports() -> dict[str, list[tuple[str, bool]]]:
    """Top-level module name -> [(file, imported at module level)], standard library and the package left out."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for name, file, top_level in _imports():
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in ("airflow_provider_360learning", "__future__"):
            continue
        found.setdefault(top, []).append((file, top_level))
    return found


def test_the_walk_sees_the_production_package() -> None:
    files = {str(path.relative_to(PACKAGE)) for path in _production_modules()}
    assert "hooks/three_sixty_learning.py" in files and "get_provider_info.py" in files
    assert not any(part in NOT_PRODUCTION for name in files for part in Path(name).parts[:-1])
    imports = _third_party_imports()
    assert {"airflow", "aiohttp", "msgspec", "scim2_client"} <= set(imports)


def test_every_runtime_import_is_declared() -> None:
    project = _project()
    declared = {_name(requirement) for requirement in project["dependencies"]}
    extras = {extra: {_name(r) for r in reqs} for extra, reqs in project["optional-dependencies"].items()}
    distributions = importlib.metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for module, places in sorted(_third_party_imports().items()):
        provided_by = {_name(dist) for dist in distributions.get(module, [])}
        assert provided_by, f"{module} (imported by {places[0][0]}) is not installed: no distribution provides it"
        if module == "airflow":
            # the airflow namespace: apache-airflow itself and the providers; those imported must be declared
            continue
        if provided_by & declared:
            continue
        if module in FROM_EXTRAS:
            extra = FROM_EXTRAS[module]
            assert extra in extras, f"{module}: extra [{extra}] is not declared"
            lazy_only = [file for file, top_level in places if top_level]
            assert not lazy_only, f"{module} must be imported lazily (inside a function), not at the top of {lazy_only}"
            continue
        missing[f"{module} ({', '.join(sorted(provided_by))})"] = sorted({file for file, _ in places})
    assert not missing, f"imported but not declared in [project].dependencies: {missing}"


def test_every_airflow_provider_imported_is_declared() -> None:
    """``from airflow.providers.<name>`` needs apache-airflow-providers-<name> among the dependencies, or among an
    extra's when the import is lazy (the openlineage provider: only when lineage is collected)."""
    project = _project()
    declared = {_name(requirement) for requirement in project["dependencies"]}
    in_extras = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    undeclared: dict[str, set[str]] = {}
    for name, file, top_level in _imports():
        parts = name.split(".")
        if parts[:2] != ["airflow", "providers"] or len(parts) < 3:
            continue
        provider = f"common-{parts[3]}" if parts[2] == "common" and len(parts) > 3 else parts[2]
        distribution = f"apache-airflow-providers-{provider.replace('_', '-')}"
        if distribution in declared or (distribution in in_extras and not top_level):
            continue
        undeclared.setdefault(distribution, set()).add(file)
    assert not undeclared, {d: sorted(f) for d, f in undeclared.items()}


def test_the_readme_names_every_runtime_dependency() -> None:
    readme = (REPO / "README.md").read_text()
    install = readme[readme.index("## Install") :]
    install = install[: install.index("\n## ")]
    named = {word.lower() for word in re.findall(r"`([^`\s]+)`", install)}
    unnamed = []
    for requirement in _project()["dependencies"]:
        name = _name(requirement)
        if name.removeprefix("apache-airflow-providers-") not in named and name not in named:
            unnamed.append(name)
    assert not unnamed, f"the README's install section leaves out {unnamed}"
