"""The README's DAG, as written, runs to success against the emulator (its build and size are checked in
tests/unit/test_readme.py)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.unit.dag_runs import run_dag

README = (REPO / "README.md").read_text()


def test_the_readme_dag_runs_against_the_emulator(
    airflow_db: None, connection: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The README's DAG, as written, runs to success against the emulator, ``my_warehouse`` being a SQLite
    connection here: the transfer loads the path statistics, the hook task counts."""
    warehouse = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_MY_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(warehouse)}))
    code = re.findall(r"```python\n(.*?)```", README[README.index("## A DAG") :], re.S)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = run_dag(namespace["learning360_quickstart"]())  # type: ignore[operator]
    assert result.succeeded, result.states
    assert isinstance(result.xcom["completed_courses"], int)
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT count(*) FROM learning360_path_stats").fetchone()[0] > 0
