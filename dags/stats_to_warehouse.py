"""Daily: land 360Learning's learning data in a warehouse, incrementally; then build reports from it.

Two DAGs: ``360learning_stats_to_warehouse`` loads the tables, ``360learning_reporting`` is scheduled
on their Assets and rebuilds the reporting tables (completion per path and per group, overdue learners,
time spent) with SQL in the warehouse: ``sql/reports/*.sql``, written once in PostgreSQL's dialect and
compiled by sqlglot for the warehouse's own, so the task's memory stays flat as the warehouse grows.

One task per table, each an Airflow Asset. Statistics and entities with a ``completedAt`` /
``modifiedAt`` filter load incrementally from a watermark kept in the warehouse (minus an overlap);
users and groups, which the API cannot filter, load in full. Every Sunday, or when the ``full_refresh``
param is set, every table is reloaded in full: in-progress statistics change without a
``completedAt``, and deleted objects vanish, which only a full load can see.

The warehouse is the connection named by the ``warehouse_conn_id`` param; when that connection is not
defined, the load goes to an embedded database file in ``$AIRFLOW_HOME`` (no server needed).

Per-session user stats (``/paths/{pathId}/sessions/{sessionId}/user-stats``) are not loaded
separately: the tenant-wide ``GET /api/v2/paths/stats`` returns the same rows with their ``pathId`` and
``sessionId``, so one ``path_stats`` table serves every per-session report with one paginated stream
instead of one mapped task (and its token and requests) per session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import Asset, Param, dag

from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import (
    ThreeSixtyLearningToSqlOperator,
    destination_hook,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context

WAREHOUSE_CONN_ID = "360learning_warehouse"
TABLE_PREFIX = "learning360_"
STREAMS: dict[str, str] = {
    "users": "list_users",
    "groups": "list_groups",
    "courses": "list_courses",
    "course_stats": "list_courses_statistics",
    "paths": "list_paths",
    "path_sessions": "get_all_path_sessions",
    "path_stats": "get_path_stats",
}
FULL_REFRESH_WEEKDAY = 6  # Sunday (pendulum/ISO: Monday is 0)


def table_asset(table: str) -> Asset:
    """The Asset a loaded table is known by (the reporting DAG is scheduled on these)."""
    return Asset(name=f"{TABLE_PREFIX}{table}", uri=f"360learning-warehouse://tables/{TABLE_PREFIX}{table}")


ASSETS = {table: table_asset(table) for table in STREAMS}


MODE_TEMPLATE = (
    "{{ 'full' if params.full_refresh or dag_run.run_after.weekday() == params.full_refresh_weekday "
    "else 'incremental' }}"
)


@dag(
    dag_id="360learning_stats_to_warehouse",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "example", "warehouse"],
    doc_md=__doc__,
    params={
        "warehouse_conn_id": Param(WAREHOUSE_CONN_ID, type="string", description="SQL connection of the warehouse"),
        "full_refresh": Param(False, type="boolean", description="reload every table in full"),
        "allow_mass_delete": Param(
            False,
            type="boolean",
            description="let a full refresh delete more than 10% of a table (rows the API no longer returns)",
        ),
        "full_refresh_weekday": Param(
            FULL_REFRESH_WEEKDAY,
            type="integer",
            minimum=-1,
            maximum=6,
            description="weekday (0 = Monday) of the periodic full refresh; -1 for none",
        ),
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
)
def stats_to_warehouse() -> None:
    for table, action in STREAMS.items():
        ThreeSixtyLearningToSqlOperator(
            task_id=f"load_{table}",
            action=action,
            table=f"{TABLE_PREFIX}{table}",
            destination_conn_id="{{ params.warehouse_conn_id }}",
            mode=MODE_TEMPLATE,
            allow_mass_delete="{{ params.allow_mass_delete }}",
            embedded_default_path=embedded_warehouse_path(),
            outlets=[ASSETS[table]],
        )


stats_to_warehouse()


# --- Reporting: rebuilt in the warehouse whenever the loads above update their Assets --------------
REPORT_PREFIX = "report_360learning_"
REPORT_SQL = Path(__file__).parent / "sql" / "reports"
FACTS = "path_stats_facts"  # the per-statistic facts every report selects from (path_stats_facts.sql)
# Report -> its SQL file and the placeholder columns it fills (completion.sql serves paths and groups).
REPORTS: dict[str, tuple[str, dict[str, str]]] = {
    "path_completion": ("completion", {"dimension_id": "path_id", "dimension_name": "path_name"}),
    "group_completion": ("completion", {"dimension_id": "group_id", "dimension_name": "group_name"}),
    "overdue_learners": ("overdue_learners", {}),
    "time_spent": ("time_spent", {}),
}
SOURCE_DIALECT = "postgres"  # the dialect the .sql files are written in
# How each engine rebuilds the reports atomically. Transactional DDL: every report is built under a new
# name, then the old tables are dropped and the new ones renamed, all in one transaction, so a reader sees
# the previous set or the new set, never a half-built table. These are the statements that open it (the
# PostgreSQL, Redshift and SQL Server drivers open it themselves; SQLite's and DuckDB's Python drivers do
# not before DDL). SQLite waits for a load's write lock instead of failing after 5 s.
BEGIN_TRANSACTION: dict[str, list[str]] = {
    "postgres": [],
    "redshift": [],
    "tsql": [],
    "duckdb": ["BEGIN TRANSACTION"],
    "sqlite": ["PRAGMA busy_timeout = 600000", "BEGIN IMMEDIATE"],
}
# CREATE OR REPLACE TABLE ... AS is one atomic statement here (and DDL is not transactional in BigQuery).
REPLACE_IN_ONE_STATEMENT = ("snowflake", "bigquery")
BUILDING_SUFFIX = "__building"


def sql_dialect(hook: Any, override: str | None = None) -> str:
    """The sqlglot dialect the reports are compiled for: the transfer's dialect of the hook, or ``override``
    (a dialect name the transfer accepts: ``postgresql``, ``mssql``, ...)."""
    from airflow_provider_360learning.transfers.dialects import detect, dialect_class

    name = override or detect(hook)
    if name is None:
        raise ValueError(
            f"No SQL dialect known for the warehouse hook {type(hook).__name__}: set the reporting operator's "
            "dialect (postgresql, duckdb, sqlite, snowflake, bigquery, mysql, mssql or redshift)"
        )
    return dialect_class(name).sqlglot_dialect


def _parse(name: str) -> Any:
    import sqlglot

    return sqlglot.parse_one((REPORT_SQL / f"{name}.sql").read_text(), read=SOURCE_DIALECT)


def _bind_now(tree: Any, dialect: str, now: dt.datetime) -> Any:
    """Put the run's logical time where the SQL says ``:now``, as a timestamp literal of the dialect.

    SQLite stores timestamps as ISO-8601 text, which compares as text only in one exact format; both sides
    of the comparison go through ``julianday()``, which reads any ISO-8601 form (millisecond precision).
    """
    from sqlglot import exp

    literal = exp.Literal.string(now.astimezone(dt.UTC).isoformat())
    for placeholder in list(tree.find_all(exp.Placeholder)):
        if placeholder.name != "now":
            raise ValueError(f"Report SQL has an unknown parameter :{placeholder.name}; only :now is bound")
        comparison = placeholder.parent
        if dialect == "sqlite":
            if not isinstance(comparison, exp.Binary):
                raise ValueError(f"Report SQL uses :now outside a comparison ({comparison.sql(SOURCE_DIALECT)})")
            placeholder.replace(literal.copy())
            for side in ("this", "expression"):
                comparison.set(side, exp.func("julianday", comparison.args[side]))
        else:
            placeholder.replace(exp.cast(literal.copy(), exp.DataType.build("timestamptz")))
    return tree


def report_select(report: str, dialect: str, now: dt.datetime) -> Any:
    """The SELECT of one report (a sqlglot tree): its file, with the facts as a derived table and the
    logical time bound. A derived table rather than a CTE: every engine accepts one in CREATE TABLE AS."""
    from sqlglot import exp

    file, columns = REPORTS[report]
    tree = _parse(file)
    if columns:
        tree = tree.transform(
            lambda node: (
                exp.column(columns[node.name], node.table)
                if isinstance(node, exp.Column) and node.name in columns
                else node
            )
        )
    facts = _bind_now(_parse(FACTS), dialect, now)
    for table in list(tree.find_all(exp.Table)):
        if table.name == FACTS:
            table.replace(exp.Subquery(this=facts.copy(), alias=exp.TableAlias(this=exp.to_identifier(table.alias))))
    return tree


def rebuild_statements(dialect: str, now: dt.datetime) -> list[str]:
    """The statements that rebuild every report table in ``dialect``, atomically where the engine allows.

    Transactional DDL (see ``BEGIN_TRANSACTION``): build each as ``<report>__building``, then drop and
    rename, in one transaction. Snowflake and BigQuery: ``CREATE OR REPLACE TABLE ... AS``, atomic per
    report. Other engines (MySQL: DDL commits at once): the same build-then-rename without a transaction;
    a reader never sees a half-built table, but may find none during the rename.
    """
    import sqlglot
    from sqlglot import exp

    def sql(node: exp.Expr) -> str:
        return node.sql(dialect, comments=False)

    def create(name: str, select: exp.Expr, replace: bool = False) -> str:
        return sql(exp.Create(this=exp.to_table(name), kind="TABLE", replace=replace, expression=select))

    def drop(name: str) -> str:
        return sql(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True))

    statements: list[str] = []
    swaps: list[str] = []
    for report in REPORTS:
        name = f"{REPORT_PREFIX}{report}"
        select = report_select(report, dialect, now)
        if dialect in REPLACE_IN_ONE_STATEMENT:
            statements.append(create(name, select, replace=True))
            continue
        building = f"{name}{BUILDING_SUFFIX}"
        statements += [drop(building), create(building, select)]
        swaps += [drop(name), sql(sqlglot.parse_one(f"ALTER TABLE {building} RENAME TO {name}", read=SOURCE_DIALECT))]
    if dialect in BEGIN_TRANSACTION:
        return [*BEGIN_TRANSACTION[dialect], *statements, *swaps, sql(exp.Commit())]
    return statements + swaps


def report_time(context: Any) -> dt.datetime:
    """The run's logical time: the end of its data interval, else when it was due to run (asset-triggered)."""
    moment = context.get("data_interval_end") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone("UTC")


REPORT_INPUTS = [f"{TABLE_PREFIX}{table}" for table in ("path_stats", "paths", "path_sessions", "groups", "users")]
"""The loaded tables the reports read."""


def table_exists(hook: Any, table: str) -> bool:
    """Whether ``table`` exists in the warehouse (a query of no rows; any engine)."""
    try:
        hook.get_first(f"SELECT 1 FROM {table} WHERE 1 = 0")
    except Exception:
        return False
    return True


class WarehouseReportsOperator(SQLExecuteQueryOperator):
    """Rebuild the report tables with SQL in the warehouse: the task reads no table, so its memory does not
    grow with the warehouse (an in-process DuckDB computes within its ``memory_limit``).

    The SQL is written once (``sql/reports``, PostgreSQL dialect) and compiled with sqlglot when the task
    runs, for the dialect of the connection it then finds; with no connection defined, the embedded default.
    Returns the row count of each report.

    :param conn_id: the warehouse connection (templated); when it is not defined, the embedded default.
    :param embedded_default_path: the embedded default's file.
    :param dialect: the warehouse's dialect when it cannot be told from its hook, as the transfer's
        ``dialect`` (``postgresql``, ``duckdb``, ``sqlite``, ``snowflake``, ``bigquery``, ``mysql``, ``mssql``,
        ``redshift``).
    """

    def __init__(
        self,
        *,
        conn_id: str,
        embedded_default_path: str | None = None,
        dialect: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(sql=[], conn_id=conn_id, autocommit=False, return_last=False, **kwargs)
        self.embedded_default_path = embedded_default_path
        self.dialect = dialect
        self._db_hook: DbApiHook | None = None

    def get_db_hook(self) -> DbApiHook:
        if self._db_hook is None:
            self._db_hook = destination_hook(self.conn_id or WAREHOUSE_CONN_ID, self.embedded_default_path)
        return self._db_hook

    def execute(self, context: Context) -> dict[str, int]:
        from airflow.sdk.exceptions import AirflowSkipException

        hook = self.get_db_hook()
        missing = [table for table in REPORT_INPUTS if not table_exists(hook, table)]
        if missing:  # run by hand before any load: nothing to report yet, which is not a failure
            raise AirflowSkipException(
                f"Nothing to report yet: the warehouse has no {', '.join(missing)}; "
                "run 360learning_stats_to_warehouse first"
            )
        now = report_time(context)
        self.sql = rebuild_statements(sql_dialect(hook, self.dialect), now)
        super().execute(context)
        counts = {report: hook.get_first(f"SELECT COUNT(*) FROM {REPORT_PREFIX}{report}")[0] for report in REPORTS}
        self.log.info("Reporting tables rebuilt as of %s: %s", now.isoformat(), counts)
        return counts


@dag(
    dag_id="360learning_reporting",
    schedule=list(ASSETS.values()),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["360learning", "example", "warehouse"],
    doc_md=__doc__,
    params={"warehouse_conn_id": Param(WAREHOUSE_CONN_ID, type="string")},
)
def reporting() -> None:
    WarehouseReportsOperator(
        task_id="build_reports",
        conn_id="{{ params.warehouse_conn_id }}",
        embedded_default_path=embedded_warehouse_path(),
    )


reporting()
