"""The README and the pages of docs/ say what the code does: connection form, action table, the two commands,
CI, emulator flags; and they hold together: every page linked, every relative link resolving, nothing outside
the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_360learning.get_provider_info import get_provider_info
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def _page(name: str) -> str:
    return (DOCS / name).read_text()


def _section(text: str, start: str, end: str | None = None) -> str:
    section = text[text.index(start) :]
    return section[: section.index(end)] if end else section


def _connection_table() -> dict[str, str]:
    section = _section(_page("connections.md"), "## 360Learning: `360learning`", "\n## ")
    rows = re.findall(r"^\| ([^|]+?) \| `?(login|password|host)`? \||^\| ([^|]+?) \| extra `(\w+)` \|", section, re.M)
    return {(attr or extra): (label or extra_label).strip() for label, attr, extra_label, extra in rows}


def test_connection_form_fields_are_what_the_docs_say() -> None:
    conn_type = get_provider_info()["connection-types"][0]
    assert conn_type["connection-type"] == "360learning"
    documented = _connection_table()
    relabeled = conn_type["ui-field-behaviour"]["relabeling"]
    for attribute, label in relabeled.items():
        assert documented[attribute] == label, attribute
    for field, spec in conn_type["conn-fields"].items():
        assert documented[field] == spec["label"], field
    assert set(documented) == set(relabeled) | set(conn_type["conn-fields"])
    connections = _page("connections.md")
    assert "`360learning_default`" in connections and "AIRFLOW_CONN_360LEARNING_DEFAULT" in connections
    assert "`360learning_default`" in README and "AIRFLOW_CONN_360LEARNING_DEFAULT" in README


def test_action_table_is_generated_from_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "render_actions_table.py")], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() in _page("operators.md")


def test_the_two_commands_exist_and_ci_runs_the_test_command() -> None:
    assert "make demo" in README and "make test" in README
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and "pytest -m e2e" in recipe.group(1), "make test must include the real-stack tests"


def test_emulator_flags_in_the_docs_match_the_cli() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "airflow_provider_360learning.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cli_flags = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    documented = set(re.findall(r"`(--[a-z][a-z-]+)`", _page("emulator.md")))
    assert cli_flags <= documented, cli_flags - documented


def test_the_readme_dag_builds() -> None:
    from airflow.sdk import DAG

    block = _section(README, "## A DAG", "\n## ")
    code = re.findall(r"```python\n(.*?)```", block, re.S)
    assert len(code) == 1 and len(code[0].splitlines()) <= 25
    namespace: dict[str, object] = {}
    exec(compile(code[0], "README.md", "exec"), namespace)
    dag = namespace["learning360_quickstart"]()  # type: ignore[operator]
    assert isinstance(dag, DAG)
    assert {"load_path_stats", "completed_courses"} <= set(dag.task_dict)


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 250


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(REPO / target).resolve() for target in re.findall(r"\]\(([^)#\s]+)", README)}
    assert PAGES and {page.resolve() for page in PAGES} <= linked, {p.name for p in PAGES} - {p.name for p in linked}
    assert (REPO / "benchmarks" / "README.md").resolve() in linked


@pytest.mark.parametrize("path", [REPO / "README.md", *PAGES], ids=lambda p: p.name)
def test_relative_links_resolve_and_nothing_points_outside_the_repository(path: Path) -> None:
    text = path.read_text()
    assert "../shared" not in text and "shared/research" not in text and "shared/spec" not in text
    repo = REPO.resolve()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(repo), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"


def test_anchors_of_links_between_pages_exist() -> None:
    def anchors(page: Path) -> set[str]:
        headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
        return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}

    for path in [REPO / "README.md", *PAGES]:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", path.read_text()):
            page = (path.parent / target).resolve() if target else path
            assert anchor in anchors(page), f"{path.name}: {target}#{anchor}"


def test_every_connection_type_has_its_section_in_the_connections_page() -> None:
    page = _page("connections.md")
    for conn_type in get_provider_info()["connection-types"]:
        name, label = conn_type["connection-type"], conn_type["hook-name"]
        assert re.search(rf"^## .+: `{name}`$", page, re.M), name
        assert f"Connection type **{label}** (`{name}`)" in page, name
    assert "type `edx` keep working" in page
