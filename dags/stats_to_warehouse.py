"""Daily: land 360Learning's learning data in a warehouse, incrementally; then build reports from it.

Two DAGs: ``360learning_stats_to_warehouse`` loads the tables, ``360learning_reporting`` is scheduled
on their Assets and rebuilds the reporting tables (completion per path and per group, overdue learners,
time spent).

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

import json
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.sdk import Asset, Param, dag, task

from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import (
    ThreeSixtyLearningToSqlOperator,
    destination_hook,
)

if TYPE_CHECKING:  # pandas is imported by the reporting task, not when the DAG file is parsed
    import pandas as pd

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


# --- Reporting: rebuilt whenever the loads above update their Assets ----------------------------
REPORT_PREFIX = "report_360learning_"


def _read(hook: Any, table: str, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    rows = hook.get_records(f"SELECT {', '.join(columns)} FROM {TABLE_PREFIX}{table}")
    return pd.DataFrame(rows, columns=columns)


def _status_type(value: Any) -> str | None:
    if value is None:
        return None
    decoded = json.loads(value) if isinstance(value, str) else value
    return decoded.get("type") if isinstance(decoded, dict) else None


def _replace_table(hook: Any, name: str, frame: pd.DataFrame, types: dict[str, str]) -> int:
    """Drop and rebuild one small report table (portable SQL: PostgreSQL, SQLite, DuckDB)."""
    import pandas as pd

    columns = ", ".join(f"{column} {types[column]}" for column in frame.columns)
    hook.run([f"DROP TABLE IF EXISTS {name}", f"CREATE TABLE {name} ({columns})"], autocommit=True)
    records = [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]
    if records:
        hook.insert_rows(name, records, target_fields=list(frame.columns))
    return len(records)


def build_reports(hook: Any, now: pendulum.DateTime) -> dict[str, int]:
    import pandas as pd

    stats = _read(
        hook,
        "path_stats",
        ["path_id", "session_id", "user_id", "progress", "time_spent", "status", "completed_at", "due_date"],
    )
    paths = _read(hook, "paths", ["id", "name"]).rename(columns={"id": "path_id", "name": "path_name"})
    sessions = _read(hook, "path_sessions", ["id", "group_id"]).rename(columns={"id": "session_id"})
    groups = _read(hook, "groups", ["id", "name"]).rename(columns={"id": "group_id", "name": "group_name"})
    users = _read(hook, "users", ["id", "mail", "first_name", "last_name"]).rename(columns={"id": "user_id"})

    stats["completed"] = stats["completed_at"].notna() | (pd.to_numeric(stats["progress"]) >= 100)
    stats["hours"] = pd.to_numeric(stats["time_spent"]).fillna(0) / 3_600_000
    stats["status_type"] = stats["status"].map(_status_type)
    due = pd.to_datetime(stats["due_date"], utc=True, errors="coerce")
    stats["overdue"] = (stats["status_type"] == "late") | (
        ~stats["completed"] & due.notna() & (due < pd.Timestamp(now))
    )

    def completion(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        out = (
            frame.groupby(keys, dropna=False)
            .agg(enrolled=("user_id", "count"), completed=("completed", "sum"), hours_spent=("hours", "sum"))
            .reset_index()
        )
        out["completion_rate"] = (out["completed"] / out["enrolled"]).round(4)
        out["hours_spent"] = out["hours_spent"].round(2)
        return out

    per_path = completion(stats.merge(paths, on="path_id", how="left"), ["path_id", "path_name"])
    per_group = completion(
        stats.merge(sessions, on="session_id", how="left").merge(groups, on="group_id", how="left"),
        ["group_id", "group_name"],
    )
    overdue = stats[stats["overdue"]].merge(users, on="user_id", how="left").merge(paths, on="path_id", how="left")
    overdue = overdue[
        ["user_id", "mail", "first_name", "last_name", "path_id", "path_name", "session_id", "progress", "due_date"]
    ]
    time_spent = stats.groupby("user_id").agg(hours_spent=("hours", "sum"), paths=("path_id", "nunique")).reset_index()
    time_spent = time_spent.merge(users, on="user_id", how="left")[["user_id", "mail", "hours_spent", "paths"]]
    time_spent["hours_spent"] = time_spent["hours_spent"].round(2)

    text, number, integer = "TEXT", "DOUBLE PRECISION", "BIGINT"
    counts = {
        "path_completion": _replace_table(
            hook,
            f"{REPORT_PREFIX}path_completion",
            per_path,
            {
                "path_id": text,
                "path_name": text,
                "enrolled": integer,
                "completed": integer,
                "hours_spent": number,
                "completion_rate": number,
            },
        ),
        "group_completion": _replace_table(
            hook,
            f"{REPORT_PREFIX}group_completion",
            per_group,
            {
                "group_id": text,
                "group_name": text,
                "enrolled": integer,
                "completed": integer,
                "hours_spent": number,
                "completion_rate": number,
            },
        ),
        "overdue_learners": _replace_table(
            hook,
            f"{REPORT_PREFIX}overdue_learners",
            overdue.astype(object),
            {
                "user_id": text,
                "mail": text,
                "first_name": text,
                "last_name": text,
                "path_id": text,
                "path_name": text,
                "session_id": text,
                "progress": integer,
                "due_date": text,
            },
        ),
        "time_spent": _replace_table(
            hook,
            f"{REPORT_PREFIX}time_spent",
            time_spent,
            {"user_id": text, "mail": text, "hours_spent": number, "paths": integer},
        ),
    }
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
    @task
    def build(params: dict[str, Any] | None = None) -> dict[str, int]:
        conn_id = (params or {}).get("warehouse_conn_id") or WAREHOUSE_CONN_ID
        hook = destination_hook(conn_id, embedded_warehouse_path())
        counts = build_reports(hook, pendulum.now("UTC"))
        print("Reporting tables rebuilt:", counts)
        return counts

    build()


reporting()
