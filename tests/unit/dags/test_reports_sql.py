"""The reporting DAG's SQL, on the real engines: PostgreSQL (this machine's server), DuckDB, SQLite and the
embedded default (a DuckDB file under its lock).

A small data set with every awkward case (nulls, a ``late`` status on a completed stat, due dates before,
at and after the logical time, progress 100 without ``completedAt``, learners without paths, stats whose
session has no group or is unknown, a status that is not an object) is written into the load tables with
each engine's column types (those the writer gives them). The reports the SQL builds must equal an
independent pandas computation of the former reporting code's semantics. Re-runs replace the reports, a
failed rebuild leaves the previous ones whole, and every generated statement parses in 8 dialects.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import REPO

if str(REPO / "dags") not in sys.path:
    sys.path.insert(0, str(REPO / "dags"))

import stats_to_warehouse as dag_module  # the DAG file, from the dags folder above

from tests.unit.dags.reports_reference import reference_reports, warehouse_reports

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DIALECTS = ("postgres", "duckdb", "sqlite", "snowflake", "bigquery", "mysql", "tsql", "redshift")

# Load tables: column -> kind (the writer's typing rule), then rows.
SCHEMA: dict[str, dict[str, str]] = {
    "paths": {"id": "text", "name": "text"},
    "groups": {"id": "text", "name": "text"},
    "path_sessions": {"id": "text", "path_id": "text", "group_id": "text"},
    "users": {"id": "text", "mail": "text", "first_name": "text", "last_name": "text"},
    "path_stats": {
        "id": "text",
        "path_id": "text",
        "session_id": "text",
        "user_id": "text",
        "progress": "integer",
        "time_spent": "float",
        "status": "json",
        "completed_at": "timestamp",
        "due_date": "timestamp",
    },
}
TYPES = {
    "postgres": {"text": "text", "integer": "bigint", "float": "double precision", "json": "jsonb"},
    "duckdb": {"text": "VARCHAR", "integer": "BIGINT", "float": "DOUBLE", "json": "JSON"},
    "sqlite": {"text": "TEXT", "integer": "INTEGER", "float": "REAL", "json": "TEXT", "timestamp": "TEXT"},
}


def _at(days: float = 0, seconds: float = 0) -> dt.datetime:
    return NOW + dt.timedelta(days=days, seconds=seconds)


def _status(kind: str | None) -> str:
    return json.dumps({"type": kind, "progress": 3} if kind else {})


ROWS: dict[str, list[tuple[Any, ...]]] = {
    "paths": [("p1", "Onboarding"), ("p2", "Security")],  # p3 has stats but is not in the warehouse
    "groups": [("g1", "Sales"), ("g2", "Tech"), ("g3", "Nobody's")],
    "path_sessions": [("s1", "p1", "g1"), ("s2", "p1", "g2"), ("s3", "p2", None)],  # s3: no group; s4 unknown
    "users": [
        ("u1", "ada@example.com", "Ada", "Lovelace"),
        ("u2", "alan@example.com", "Alan", "Turing"),
        ("u3", "grace@example.com", None, "Hopper"),
        ("u4", None, "Edsger", "Dijkstra"),
        ("u6", "nopath@example.com", "No", "Path"),  # a learner without any path
    ],  # u5 has stats but is not in the warehouse
    # id, path, session, user, progress, time spent (ms), status, completed at, due date
    "path_stats": [
        ("a", "p1", "s1", "u1", 100, 3_600_000.0, _status("completed"), _at(-3), _at(-1)),
        ("b", "p1", "s1", "u2", 100, 1_234_567.0, _status("inProgress"), None, _at(-1)),  # 100 without date
        ("c", "p1", "s2", "u3", 40, 5_400_000.0, _status("late"), None, None),  # late, no due date
        ("d", "p1", "s2", "u4", 10, 60_000.0, _status("inProgress"), None, _at(-2)),  # past due
        ("e", "p2", "s3", "u1", None, None, None, None, _at(5)),  # nulls, due later
        ("f", "p2", "s3", "u2", 50, 7_777_777.0, _status("late"), _at(-1), None),  # late although completed
        ("g", "p3", "s4", "u5", 99, 100.0, _status("inProgress"), None, _at(0)),  # due exactly now: not past
        ("h", "p2", "s3", "u3", 0, 2_000_001.0, _status("notStarted"), None, _at(seconds=-1)),  # 1 s past
        ("i", "p1", "s1", "u4", 100, 1_800_000.0, _status("completed"), _at(-10), _at(30)),
        ("j", "p3", "s4", "u1", 20, 0.0, '"late"', None, _at(1)),  # a status that is not an object
        ("k", "p1", None, "u2", 30, 999_999.0, _status(None), None, _at(-4)),  # no session; status without type
    ],
}


def _create_load_tables(hook: Any, dialect: str) -> None:
    types = TYPES[dialect]
    for table, columns in SCHEMA.items():
        ddl = ", ".join(
            f"{c} {types.get(kind, 'timestamptz')}{' PRIMARY KEY' if c == 'id' else ''}" for c, kind in columns.items()
        )
        hook.run(f"CREATE TABLE learning360_{table} ({ddl})")
        rows = ROWS[table]
        if dialect == "sqlite":  # the writer's text form of a timestamp: ISO-8601 UTC with microseconds
            rows = [
                tuple(v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(v, dt.datetime) else v for v in row)
                for row in rows
            ]
        hook.insert_rows(f"learning360_{table}", rows, target_fields=list(columns))


def _tables(hook: Any, dialect: str) -> set[str]:
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "duckdb": "SELECT table_name FROM information_schema.tables",
        "postgres": "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    }[dialect]
    return {row[0] for row in hook.get_records(query)}


# --- The engines ------------------------------------------------------------------------------------------
def _define(monkeypatch: pytest.MonkeyPatch, backend: str, connection: dict[str, Any]) -> str:
    """A connection of its own per engine (Airflow caches connections by id)."""
    conn_id = f"reports_test_{backend}"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    return conn_id


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str | None]]:
    import psycopg2

    name = f"l360_reports_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    conn = {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": name}
    yield _define(monkeypatch, "postgres", conn), None
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def duckdb(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> tuple[str, str | None]:
    return _define(monkeypatch, "duckdb", {"conn_type": "duckdb", "host": str(tmp_path / "warehouse.duckdb")}), None


@pytest.fixture
def sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> tuple[str, str | None]:
    return _define(monkeypatch, "sqlite", {"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}), None


@pytest.fixture
def embedded(tmp_path: Any) -> tuple[str, str | None]:
    """The embedded default (a DuckDB file under its lock): the warehouse connection is not defined."""
    return "reports_test_undefined", str(tmp_path / "embedded.duckdb")


ENGINES = {"postgres": "postgres", "duckdb": "duckdb", "sqlite": "sqlite", "embedded": "duckdb"}


@pytest.fixture(params=list(ENGINES))
def warehouse(request: pytest.FixtureRequest) -> tuple[str, Any, Callable[..., Any]]:
    """(dialect, the warehouse's hook with the load tables filled, a function running the reporting task)."""
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    dialect = ENGINES[request.param]
    conn_id, embedded = request.getfixturevalue(request.param)
    hook = destination_hook(conn_id, embedded)
    assert dag_module.sql_dialect(hook) == dialect
    _create_load_tables(hook, dialect)

    def build(now: dt.datetime = NOW) -> dict[str, int]:
        operator = dag_module.WarehouseReportsOperator(
            task_id="build_reports", conn_id=conn_id, embedded_default_path=embedded
        )
        context: Any = {"data_interval_end": now, "dag_run": None}  # what the operator reads of a context
        return operator.execute(context)

    return dialect, hook, build


def test_the_sql_reports_equal_the_pandasreference_reports(warehouse: tuple[str, Any, Callable[..., Any]]) -> None:
    dialect, hook, build = warehouse
    counts = build()
    expected = reference_reports(hook, NOW)
    assert warehouse_reports(hook) == expected, dialect
    assert counts == {name: len(rows) for name, rows in expected.items()}
    # The data set reaches the cases it is meant to (a reference that agrees on nothing would prove little).
    overdue = {(row["user_id"], row["path_id"]) for row in expected["overdue_learners"]}
    assert overdue == {("u3", "p1"), ("u4", "p1"), ("u2", "p2"), ("u3", "p2"), ("u2", "p1")}
    groups = {row["group_id"]: row for row in expected["group_completion"]}
    assert set(groups) == {"g1", "g2", None} and groups[None]["enrolled"] == 6
    assert {row["path_id"]: row["completion_rate"] for row in expected["path_completion"]} == {
        "p1": 0.5,
        "p2": 0.3333,
        "p3": 0,
    }


def test_the_logical_time_decides_what_is_overdue(warehouse: tuple[str, Any, Callable[..., Any]]) -> None:
    dialect, hook, build = warehouse
    later = NOW + dt.timedelta(days=2)
    build(later)
    assert warehouse_reports(hook) == reference_reports(hook, later), dialect
    overdue = {(row["user_id"], row["path_id"]) for row in warehouse_reports(hook)["overdue_learners"]}
    assert ("u5", "p3") in overdue and ("u1", "p3") in overdue  # due at NOW and NOW + 1 day: past by then


def test_a_rerun_replaces_the_reports_and_leaves_no_building_table(
    warehouse: tuple[str, Any, Callable[..., Any]],
) -> None:
    dialect, hook, build = warehouse
    first = build()
    before = warehouse_reports(hook)
    assert build() == first
    assert warehouse_reports(hook) == before
    hook.run("DELETE FROM learning360_path_stats WHERE id IN ('a', 'b')")
    build()
    assert warehouse_reports(hook) == reference_reports(hook, NOW)
    assert not [t for t in _tables(hook, dialect) if t.endswith(dag_module.BUILDING_SUFFIX)], dialect


def test_a_failed_rebuild_keeps_the_previous_reports_whole(warehouse: tuple[str, Any, Callable[..., Any]]) -> None:
    dialect, hook, build = warehouse
    build()
    before = warehouse_reports(hook)
    hook.run("DROP TABLE learning360_users")  # the overdue and time-spent reports cannot be built now
    with pytest.raises(Exception, match=r"(?i)learning360_users"):
        build()
    assert warehouse_reports(hook) == before, (
        dialect
    )  # the path and group reports built before the failure are not swapped
    assert not [t for t in _tables(hook, dialect) if t.endswith(dag_module.BUILDING_SUFFIX)], dialect


# --- Every dialect -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_statement_parses_in_its_dialect(dialect: str) -> None:
    import sqlglot
    from sqlglot import exp

    statements = dag_module.rebuild_statements(dialect, NOW)
    creates = 0
    for statement in statements:
        tree = sqlglot.parse_one(statement, read=dialect)
        assert not isinstance(tree, exp.Command), (dialect, statement)  # understood, not passed through
        if isinstance(tree, exp.Create) or tree.args.get("into"):  # CREATE TABLE AS, or SQL Server's SELECT INTO
            creates += 1
            assert "2026-03-01T12:00:00" in statement and ":now" not in statement, (dialect, statement)
    assert creates == len(dag_module.REPORTS), (dialect, statements)


def test_sqlite_compares_due_dates_as_times_not_text() -> None:
    statements = dag_module.rebuild_statements("sqlite", NOW)
    assert all(
        "JULIANDAY(facts.due_date) < JULIANDAY('2026-03-01T12:00:00+00:00')" in s
        for s in statements
        if "AS SELECT" in s
    )


@pytest.mark.parametrize(
    ("facts", "dialect", "message"),
    [
        ("SELECT s.* FROM learning360_path_stats AS s WHERE s.due_date < :later", "postgres", ":later"),
        ("SELECT s.*, COALESCE(s.due_date, :now) AS due FROM learning360_path_stats AS s", "sqlite", "outside"),
    ],
)
def test_report_sql_that_cannot_be_bound_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, facts: str, dialect: str, message: str
) -> None:
    (tmp_path / "path_stats_facts.sql").write_text(facts)
    for name in ("completion", "overdue_learners", "time_spent"):
        (tmp_path / f"{name}.sql").write_text((dag_module.REPORT_SQL / f"{name}.sql").read_text())
    monkeypatch.setattr(dag_module, "REPORT_SQL", tmp_path)
    with pytest.raises(ValueError, match=message):
        dag_module.rebuild_statements(dialect, NOW)


def test_a_hook_of_no_known_dialect_is_refused_with_a_clear_message() -> None:
    class Hook:
        dialect_name = "nosuchdb"
        conn_type = "nosuchdb"

    with pytest.raises(ValueError, match="set the reporting operator's dialect"):
        dag_module.sql_dialect(Hook())
    assert dag_module.sql_dialect(Hook(), "mssql") == "tsql"  # the override, in the transfer's names
    Hook.dialect_name = "postgresql+psycopg"
    assert dag_module.sql_dialect(Hook()) == "postgres"


def test_reports_before_any_load_are_skipped_naming_the_tables_to_load(tmp_path: Any) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    operator = dag_module.WarehouseReportsOperator(
        task_id="build_reports", conn_id="undefined_warehouse", embedded_default_path=str(tmp_path / "wh.duckdb")
    )
    with pytest.raises(AirflowSkipException, match=r"learning360_path_stats.*360learning_stats_to_warehouse first"):
        operator.execute({"data_interval_end": NOW, "dag_run": None})  # type: ignore[arg-type]
