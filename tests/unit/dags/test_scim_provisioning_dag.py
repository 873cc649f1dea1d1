"""``360learning_scim_provisioning`` end to end with ``dag.test()`` against the SCIM emulator."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.unit.scim.conftest import Scim

SAMPLE = REPO / "dags" / "data" / "hr_employees.csv"


@pytest.fixture(scope="module")
def dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "scim_provisioning.py"))
    assert bag.import_errors == {}
    return bag.get_dag("360learning_scim_provisioning")


def _run(dag: Any, **conf: Any) -> Any:
    # dag.test() keeps the previous run's conf in the DAG's params: give every param each time.
    defaults = {
        "users_source": str(SAMPLE),
        "memberships_source": "",
        "dry_run": False,
        "allow_mass_removal": False,
        "max_removal_percent": 10.0,
        "warehouse_conn_id": "",
    }
    return dag.test(run_conf={**defaults, **conf})


def _states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def _sample() -> list[dict[str, str]]:
    with SAMPLE.open() as handle:
        return list(csv.DictReader(handle))


def test_first_run_provisions_the_sample_and_a_second_run_changes_nothing(
    airflow_db: None, dag: Any, scim: Scim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.utils.state import DagRunState

    warehouse = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_SCIM_REPORT_DB", json.dumps({"conn_type": "sqlite", "host": str(warehouse)}))
    first = _run(dag, warehouse_conn_id="scim_report_db")
    assert first.state == DagRunState.SUCCESS, _states(first)
    sample = _sample()
    active = {r["email"] for r in sample if r["active"] == "true"}
    assert set(scim.users()) == active  # the inactive intern is not created
    assert scim.member_emails("Managers") == {r["email"] for r in sample if "Managers" in r["groups"]}
    writes = scim.writes()
    second = _run(dag, warehouse_conn_id="scim_report_db")
    assert second.state == DagRunState.SUCCESS and scim.writes() == writes
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    rows = SqliteHook(sqlite_conn_id="scim_report_db").get_records(
        "SELECT created, updated, deactivated, groups_created, members_added, errors FROM learning360_scim_provisioning_runs ORDER BY finished_at"
    )
    assert rows == [(len(active), 0, 0, 8, 23, 0), (0, 0, 0, 0, 0, 0)]


def test_the_dag_stops_a_truncated_export_before_writing(
    airflow_db: None, dag: Any, scim: Scim, tmp_path: Path
) -> None:
    from airflow.utils.state import DagRunState

    from airflow_provider_360learning.operators.scim_provisioning import ThreeSixtyLearningScimProvisioningOperator

    ThreeSixtyLearningScimProvisioningOperator(task_id="seed", users_source=str(SAMPLE)).execute({})  # type: ignore[arg-type]
    writes = scim.writes()
    truncated = tmp_path / "truncated.csv"
    truncated.write_text("".join(SAMPLE.read_text().splitlines(keepends=True)[:6]))
    run = _run(dag, users_source=str(truncated))
    assert run.state == DagRunState.FAILED
    states = _states(run)
    assert (
        states["plan"] == "success"
        and states["check_safety_limit"] == "failed"
        and states["apply"] == "upstream_failed"
    )
    assert scim.writes() == writes


def test_dry_run_param_writes_nothing(airflow_db: None, dag: Any, scim: Scim) -> None:
    from airflow.utils.state import DagRunState

    run = _run(dag, dry_run=True)
    assert run.state == DagRunState.SUCCESS and scim.writes() == {}
