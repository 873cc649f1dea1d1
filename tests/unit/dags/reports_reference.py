"""The reports as the former pandas reporting code computed them, from a warehouse's load tables: the reference
the SQL reports are checked against (tests/unit/dags/test_reports_sql.py, test_stats_to_warehouse.py).

An independent computation of the semantics (completed = a completion date or progress >= 100; hours = time spent
in ms / 3,600,000; overdue = status type 'late', or not completed and due before the logical time; rounding to
2 and 4 decimals), in pandas, reading whole tables: fine for a test's few rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

REPORT_PREFIX = "report_360learning_"
REPORTS = ("path_completion", "group_completion", "overdue_learners", "time_spent")
STATS_COLUMNS = ["path_id", "session_id", "user_id", "progress", "time_spent", "status", "completed_at", "due_date"]


def reference_reports(hook: Any, now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    import pandas as pd

    def read(table: str, columns: list[str]) -> pd.DataFrame:
        rows = hook.get_records(f"SELECT {', '.join(columns)} FROM learning360_{table}")
        return pd.DataFrame([list(r) for r in rows], columns=columns)

    def status_type(value: Any) -> Any:
        """The object's "type"; None for anything else (psycopg hands a JSON string over decoded)."""
        try:
            decoded = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return None
        return decoded.get("type") if isinstance(decoded, dict) else None

    stats = read("path_stats", STATS_COLUMNS)
    paths = read("paths", ["id", "name"]).rename(columns={"id": "path_id", "name": "path_name"})
    sessions = read("path_sessions", ["id", "group_id"]).rename(columns={"id": "session_id"})
    groups = read("groups", ["id", "name"]).rename(columns={"id": "group_id", "name": "group_name"})
    users = read("users", ["id", "mail", "first_name", "last_name"]).rename(columns={"id": "user_id"})

    stats["completed"] = stats["completed_at"].notna() | (pd.to_numeric(stats["progress"]) >= 100)
    stats["hours"] = pd.to_numeric(stats["time_spent"]).fillna(0) / 3_600_000
    due = pd.to_datetime(stats["due_date"], utc=True, errors="coerce")
    late = stats["status"].map(status_type) == "late"
    stats["overdue"] = late | (~stats["completed"] & due.notna() & (due < pd.Timestamp(now)))

    def completion(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        out = (
            frame.groupby(keys, dropna=False)
            .agg(enrolled=("user_id", "count"), completed=("completed", "sum"), hours_spent=("hours", "sum"))
            .reset_index()
        )
        out["completion_rate"] = (out["completed"] / out["enrolled"]).round(4)
        out["hours_spent"] = out["hours_spent"].round(2)
        return out

    with_groups = stats.merge(sessions, on="session_id", how="left").merge(groups, on="group_id", how="left")
    overdue = stats[stats["overdue"]].merge(users, on="user_id", how="left").merge(paths, on="path_id", how="left")
    time_spent = stats.groupby("user_id").agg(hours_spent=("hours", "sum"), paths=("path_id", "nunique")).reset_index()
    time_spent["hours_spent"] = time_spent["hours_spent"].round(2)
    frames = {
        "path_completion": completion(stats.merge(paths, on="path_id", how="left"), ["path_id", "path_name"]),
        "group_completion": completion(with_groups, ["group_id", "group_name"]),
        "overdue_learners": overdue[
            ["user_id", "mail", "first_name", "last_name", "path_id", "path_name", "session_id", "progress", "due_date"]
        ],
        "time_spent": time_spent.merge(users, on="user_id", how="left")[["user_id", "mail", "hours_spent", "paths"]],
    }
    return {name: _normalised(frame.to_dict("records")) for name, frame in frames.items()}


def _value(value: Any) -> Any:
    """One cell in a form every engine's answer and pandas agree on."""
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp) or (isinstance(value, str) and value[:2] == "20"):
        return pd.Timestamp(value).tz_convert("UTC") if pd.Timestamp(value).tzinfo else pd.Timestamp(value, tz="UTC")
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = [{k: _value(v) for k, v in row.items()} for row in rows]
    return sorted(cleaned, key=lambda row: [str(v) for v in row.values()])


def warehouse_reports(hook: Any) -> dict[str, list[dict[str, Any]]]:
    from airflow.providers.common.sql.hooks.handlers import fetch_all_handler

    out = {}
    for report in REPORTS:
        rows = hook.run(f"SELECT * FROM {REPORT_PREFIX}{report}", handler=fetch_all_handler)
        columns = [d[0] for d in hook.descriptions[-1]]
        out[report] = _normalised([dict(zip(columns, row, strict=True)) for row in rows])
    return out
