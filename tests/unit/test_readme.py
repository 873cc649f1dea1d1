"""The README says what the code does: connection form, action table, the two commands, CI."""

from __future__ import annotations

import re
import subprocess
import sys

from airflow_provider_360learning.get_provider_info import get_provider_info
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _connection_table() -> dict[str, str]:
    section = README[README.index("## The connection") :]
    rows = re.findall(r"^\| ([^|]+?) \| `?(login|password|host)`? \||^\| ([^|]+?) \| extra `(\w+)` \|", section, re.M)
    return {(attr or extra): (label or extra_label).strip() for label, attr, extra_label, extra in rows}


def test_connection_form_fields_are_what_the_readme_says() -> None:
    conn_type = get_provider_info()["connection-types"][0]
    documented = _connection_table()
    relabeled = conn_type["ui-field-behaviour"]["relabeling"]
    for attribute, label in relabeled.items():
        assert documented[attribute] == label, attribute
    for field, spec in conn_type["conn-fields"].items():
        assert documented[field] == spec["label"], field
    assert set(documented) == set(relabeled) | set(conn_type["conn-fields"])
    assert "`360learning_default`" in README and "AIRFLOW_CONN_360LEARNING_DEFAULT" in README


def test_action_table_is_generated_from_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "render_actions_table.py")], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() in README


def test_the_two_commands_exist_and_ci_runs_the_test_command() -> None:
    assert "make demo" in README and "make test" in README
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and "pytest -m e2e" in recipe.group(1), "make test must include the real-stack tests"


def test_emulator_flags_in_the_readme_match_the_cli() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "airflow_provider_360learning.emulator", "--help"], capture_output=True, text=True, check=True
    ).stdout
    cli_flags = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    section = README[README.index("## The emulator") :]
    documented = set(re.findall(r"`(--[a-z][a-z-]+)`", section))
    assert cli_flags <= documented, cli_flags - documented
