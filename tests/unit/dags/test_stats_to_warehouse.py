"""``360learning_stats_to_warehouse`` end to end with ``dag.test()``: into the real PostgreSQL of this
machine and into the embedded default; counts, idempotency, increments, faults and rejects."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REPO

WAREHOUSE_ENV = "AIRFLOW_CONN_360LEARNING_WAREHOUSE"
TABLES = ("users", "groups", "courses", "course_stats", "paths", "path_sessions", "path_stats")
SCALE1 = {
    "users": 200,
    "groups": 10,
    "courses": 60,
    "course_stats": 1250,
    "paths": 5,
    "path_sessions": 12,
    "path_stats": 732,
}


@pytest.fixture(scope="module")
def dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag("360learning_stats_to_warehouse")


@pytest.fixture
def postgres_warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh database on the machine's PostgreSQL, as the connection ``360learning_warehouse``."""
    import psycopg2

    name = f"l360_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv(
        WAREHOUSE_ENV,
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": name}),
    )
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    yield PostgresHook(postgres_conn_id="360learning_warehouse")
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def _run(dag: Any, **conf: Any) -> Any:
    from airflow.utils.state import DagRunState

    run = dag.test(run_conf={"full_refresh_weekday": -1, **conf})
    assert run.state == DagRunState.SUCCESS
    return run


def _dump(hook: Any, table: str) -> list[dict[str, Any]]:
    """Table content without the bookkeeping columns, ordered by key."""
    columns = [c for c in _columns(hook, f"learning360_{table}") if not c.startswith("_")]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = hook.get_records(f'SELECT {quoted} FROM learning360_{table} ORDER BY "id"')
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _columns(hook: Any, table: str) -> list[str]:
    rows = hook.get_records(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        parameters=(table,),
    )
    return [r[0] for r in rows]


def _counts(hook: Any) -> dict[str, int]:
    return {t: hook.get_first(f"SELECT COUNT(*) FROM learning360_{t}")[0] for t in TABLES}


def test_loads_every_table_into_postgres_and_a_second_run_changes_nothing(
    airflow_db: None, dag: Any, emulator: Any, connection: str, postgres_warehouse: Any
) -> None:
    _run(dag)
    assert _counts(postgres_warehouse) == SCALE1
    first = {t: _dump(postgres_warehouse, t) for t in TABLES}
    _run(dag)
    assert {t: _dump(postgres_warehouse, t) for t in TABLES} == first
    loads = postgres_warehouse.get_records("SELECT table_name, rows_loaded, mode FROM _360learning_loads")
    assert len(loads) == 2 * len(TABLES)
    assert (
        postgres_warehouse.get_first("SELECT to_regclass('_360learning_rejects')")[0] is None
    )  # created on first reject
    assert {mode for _, _, mode in loads} == {"full", "incremental"}  # users and groups have no filter: full


def test_incremental_run_picks_up_exactly_the_change(
    airflow_db: None, dag: Any, emulator: Any, connection: str, postgres_warehouse: Any
) -> None:
    _run(dag)
    before = {t: _dump(postgres_warehouse, t) for t in TABLES}
    stat = emulator.state.add_row("course_stats", {"completedAt": "2026-01-01T00:00:00.000Z", "progress": 100})
    course_id = before["courses"][0]["id"]
    emulator.state.patch_row(
        "courses", course_id, {"name": "Renamed by the test", "modifiedAt": "2026-01-01T00:00:00.000Z"}
    )
    _run(dag)
    after = {t: _dump(postgres_warehouse, t) for t in TABLES}
    assert len(after["course_stats"]) == len(before["course_stats"]) + 1
    assert stat["_id"] in {row["id"] for row in after["course_stats"]}
    changed = [row for row in after["courses"] if row not in before["courses"]]
    assert len(changed) == 1 and changed[0]["id"] == course_id and changed[0]["name"] == "Renamed by the test"
    for table in ("users", "groups", "paths", "path_sessions", "path_stats"):
        assert after[table] == before[table], table


def test_faulty_run_equals_clean_run(
    airflow_db: None, dag: Any, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, postgres_warehouse: Any
) -> None:
    from tests.conftest import CONN_ENV, connection_json

    clean = emulator_factory()
    monkeypatch.setenv(CONN_ENV, connection_json(clean.url))
    _run(dag)
    reference = {t: _dump(postgres_warehouse, t) for t in TABLES}
    for table in TABLES:
        postgres_warehouse.run(f"DROP TABLE learning360_{table}")
    postgres_warehouse.run("DROP TABLE _360learning_loads")

    faulty = emulator_factory(fault_rate=0.1, token_ttl=2, latency_ms=5)
    monkeypatch.setenv(CONN_ENV, connection_json(faulty.url, backoff_initial=0.05, backoff_max=0.2))
    _run(dag)
    assert faulty.state.stats()["faults_total"] > 0
    assert {t: _dump(postgres_warehouse, t) for t in TABLES} == reference


def test_loads_into_the_embedded_default_with_no_warehouse_connection(
    airflow_db: None, dag: Any, emulator: Any, connection: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    from airflow_provider_360learning.transfers.embedded import embedded_hook, embedded_warehouse_path

    _run(dag)
    hook = embedded_hook(embedded_warehouse_path())
    assert {t: hook.get_first(f"SELECT COUNT(*) FROM learning360_{t}")[0] for t in TABLES} == SCALE1


def test_a_malformed_row_is_quarantined_not_fatal(
    airflow_db: None, dag: Any, emulator: Any, connection: str, postgres_warehouse: Any
) -> None:
    bad = emulator.state.add_row("course_stats", {"progress": "not a number"}, validate=False)
    _run(dag)
    rejects = postgres_warehouse.get_records("SELECT table_name, row_key, reason FROM _360learning_rejects")
    assert [(t, k) for t, k, _ in rejects] == [("learning360_course_stats", bad["_id"])]
    assert "progress" in rejects[0][2]
    assert _counts(postgres_warehouse)["course_stats"] == SCALE1["course_stats"]  # the good rows stand
    # The emulator served an out-of-contract row on purpose: the contract check must see it, then the
    # log is cleared so the suite-wide check does not count this deliberate violation.
    from tests.conftest import contract_errors

    assert any("progress" in problem for problem in contract_errors(emulator.state, requests_must_validate=True))
    emulator.state.clear_exchanges()


# --- Reporting: 360learning_reporting on what the load DAG wrote ---------------------------------------------
def _run_reporting() -> Any:
    """One run of the reporting DAG; returns the logical time its reports are as of."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState

    run = DagBag(dag_folder=str(REPO / "dags" / "stats_to_warehouse.py")).get_dag("360learning_reporting").test()
    assert run.state == DagRunState.SUCCESS
    return pendulum.instance(run.data_interval_end or run.run_after)


def test_reports_in_postgres_equal_the_former_pandas_reports_and_a_rerun_replaces_them(
    airflow_db: None, dag: Any, emulator: Any, connection: str, postgres_warehouse: Any
) -> None:
    from tests.unit.dags.reports_reference import reference_reports, warehouse_reports

    _run(dag)
    now = _run_reporting()
    reports = warehouse_reports(postgres_warehouse)
    assert reports == reference_reports(postgres_warehouse, now)
    assert sum(row["enrolled"] for row in reports["path_completion"]) == SCALE1["path_stats"]
    assert reports["overdue_learners"] and reports["group_completion"]  # the emulator's data reaches both
    now = _run_reporting()
    assert warehouse_reports(postgres_warehouse) == reference_reports(postgres_warehouse, now)


def test_reports_in_the_embedded_default_with_no_warehouse_connection(
    airflow_db: None, dag: Any, emulator: Any, connection: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    from airflow_provider_360learning.transfers.embedded import embedded_hook, embedded_warehouse_path
    from tests.unit.dags.reports_reference import reference_reports, warehouse_reports

    _run(dag)
    now = _run_reporting()
    hook = embedded_hook(embedded_warehouse_path())
    assert warehouse_reports(hook) == reference_reports(hook, now)
