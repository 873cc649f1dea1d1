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
        "max_update_percent": 30.0,
        "allow_mass_update": False,
        "recreate_on_email_change": False,
        "missing_custom_fields": "fail",
        "conn_id": "360learning_default",
        "warehouse_conn_id": "360learning_warehouse",
    }
    return dag.test(run_conf={**defaults, **conf})


def _states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def _sample() -> list[dict[str, str]]:
    with SAMPLE.open() as handle:
        return list(csv.DictReader(handle))


def test_first_run_provisions_the_sample_and_a_second_run_changes_nothing(
    airflow_db: None, dag: Any, scim: Scim, connection: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    airflow_db: None, dag: Any, scim: Scim, connection: str, tmp_path: Path
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


def test_dry_run_param_writes_nothing(airflow_db: None, dag: Any, scim: Scim, connection: str) -> None:
    from airflow.utils.state import DagRunState

    run = _run(dag, dry_run=True)
    assert run.state == DagRunState.SUCCESS and scim.writes() == {}


def test_the_dag_stops_swapped_name_columns_before_writing(
    airflow_db: None, dag: Any, scim: Scim, connection: str, tmp_path: Path
) -> None:
    from airflow.utils.state import DagRunState

    assert _run(dag).state == DagRunState.SUCCESS
    writes = scim.writes()
    rows = _sample()
    for row in rows:
        row["given_name"], row["family_name"] = row["family_name"], row["given_name"]
    swapped = tmp_path / "swapped.csv"
    with swapped.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run = _run(dag, users_source=str(swapped))
    assert run.state == DagRunState.FAILED
    assert _states(run)["check_safety_limit"] == "failed" and _states(run)["apply"] == "upstream_failed"
    assert scim.writes() == writes
    forced = _run(dag, users_source=str(swapped), allow_mass_update=True)
    assert forced.state == DagRunState.SUCCESS
    assert scim.users()["alice.martin@example.com"]["name"] == {"givenName": "Martin", "familyName": "Alice"}


def test_an_email_change_is_reported_by_the_dag_and_the_account_kept(
    airflow_db: None, dag: Any, scim: Scim, connection: str, tmp_path: Path
) -> None:
    from airflow.utils.state import DagRunState

    assert _run(dag).state == DagRunState.SUCCESS
    accounts = {email: u["id"] for email, u in scim.users().items()}
    changed = tmp_path / "changed.csv"
    changed.write_text(SAMPLE.read_text().replace("chloe.bernard@example.com", "chloe.martin@example.com"))
    run = _run(dag, users_source=str(changed))
    assert run.state == DagRunState.SUCCESS
    report = next(ti for ti in run.get_task_instances() if ti.task_id == "report").xcom_pull(task_ids="report")
    assert [(c["old_email"], c["new_email"]) for c in report["email_changes"]] == [
        ("chloe.bernard@example.com", "chloe.martin@example.com")
    ]
    assert {email: u["id"] for email, u in scim.users().items()} == accounts
    assert all(u["active"] for u in scim.users().values())


def test_with_no_warehouse_connection_the_state_and_report_go_to_the_embedded_default(
    airflow_db: None, dag: Any, scim: Scim, connection: str
) -> None:
    from airflow.utils.state import DagRunState

    from airflow_provider_360learning.edx.sync_state import open_state
    from airflow_provider_360learning.scim.ownership import TABLE
    from airflow_provider_360learning.transfers.sql_writer import embedded_warehouse_path
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    undefined = "scim_dag_undefined_warehouse"
    run = _run(dag, warehouse_conn_id=undefined)
    assert run.state == DagRunState.SUCCESS, _states(run)
    state = open_state(undefined, TABLE, scim.url)
    try:
        owned = state.load()
    finally:
        state.close()
    active = [r for r in _sample() if r["active"] == "true"]
    assert sum(key.startswith("user\t") for key in owned) == len(active)
    hook = destination_hook(undefined, embedded_warehouse_path())
    rows = hook.get_records("SELECT created, errors FROM learning360_scim_provisioning_runs")
    assert (len(active), 0) in [tuple(r) for r in rows]
