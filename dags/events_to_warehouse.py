"""Event-driven: a completion in 360Learning reaches the warehouse within seconds, with no public endpoint.

Two DAGs:

- ``360learning_event_subscriptions`` (daily, idempotent): one active webhook subscription per event type
  below, created the first time and found again afterwards (``EnsureWebhookSubscriptionsOperator``);
- ``360learning_events_to_warehouse``, scheduled on the Asset ``360learning-completion-events``, which two
  ``AssetWatcher`` s feed: a ``WebhookEventTrigger`` per subscription polls its recorded events in the
  triggerer and turns each batch into an asset event. On ``path.session.user.status.updated`` to
  ``successful`` it loads ``learning360_path_stats``, on ``course.attempt.closed`` ``learning360_course_stats``,
  incrementally, with the transfer operator of the daily DAG (same tables, same watermarks).

Exactly once in effect: the triggers deliver at least once (a restarted triggerer starts again from the
watermark this DAG advances, in the Variables ``360learning_events_watermark__<type>``, after it recorded
the events), and this DAG drops the event ids it has already recorded in the warehouse table
``_360learning_events``. The loads upsert on the statistic's id, so a statistic is never counted twice.
Runs do not overlap (``max_active_runs=1``): events that arrive during a run start the next one.
See ``docs/events.md``.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pendulum
from airflow.sdk import Asset, AssetWatcher, Param, dag, get_current_context, task
from airflow.sdk.bases.operator import chain

from airflow_provider_360learning.operators.webhook_subscriptions import (
    EnsureWebhookSubscriptionsOperator,
    subscription_name,
)
from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator
from airflow_provider_360learning.triggers.webhook_events import WebhookEventTrigger

WAREHOUSE_CONN_ID = "360learning_warehouse"
TABLE_PREFIX = "learning360_"
LEDGER = "_360learning_events"
"""Warehouse table of the event ids already handled: one row per event, never two."""
SUBSCRIPTION_PREFIX = "airflow-polling"
WATCHED_SINCE = "2026-01-01T00:00:00Z"  # constant: a trigger is identified by its arguments
POLL_INTERVAL = float(os.environ.get("AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL", "30"))
"""Seconds between two polls of each subscription (read when the file is parsed: one value per deployment)."""
BUDGET_SHARE = float(os.environ.get("AIRFLOW_360LEARNING_EVENTS_BUDGET_SHARE", "0.05"))
"""Share of the connection's read budget the polling may use."""
OVERLAP = dt.timedelta(hours=1)  # the transfer's default: an incremental load starts this far before its watermark


# event type -> (warehouse table, list action, the event's field that dates the statistic, the statuses that load)
EVENTS: dict[str, tuple[str, str, str, tuple[str, ...] | None]] = {
    "path.session.user.status.updated": ("path_stats", "get_path_stats", "updatedAt", ("successful",)),
    "course.attempt.closed": ("course_stats", "list_courses_statistics", "closedAt", None),
}


def watermark_variable(event_type: str) -> str:
    return "360learning_events_watermark__" + event_type.replace(".", "_")


COMPLETION_EVENTS = Asset(
    name="360learning-completion-events",
    uri="360learning-events://completions",
    watchers=[
        AssetWatcher(
            name=event_type.replace(".", "_"),
            trigger=WebhookEventTrigger(
                event_type=event_type,
                subscription_name=subscription_name(SUBSCRIPTION_PREFIX, event_type),
                since=WATCHED_SINCE,
                state_variable=watermark_variable(event_type),
                poll_interval=POLL_INTERVAL,
                budget_share=BUDGET_SHARE,
            ),
        )
        for event_type in EVENTS
    ],
)


@dag(
    dag_id="360learning_event_subscriptions",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["360learning", "example", "events"],
    doc_md=__doc__,
)
def event_subscriptions() -> None:
    EnsureWebhookSubscriptionsOperator(
        task_id="ensure_subscriptions", event_types=list(EVENTS), name=SUBSCRIPTION_PREFIX
    )


event_subscriptions()


# --- the consuming DAG --------------------------------------------------------------------------
def triggering_events(context: Any) -> list[dict[str, Any]]:
    """The 360Learning events the run's triggering asset events carry (their trigger payloads), each once,
    oldest first, with the asset event that brought it and its watermark Variable."""
    events: dict[str, dict[str, Any]] = {}
    for asset_events in context["triggering_asset_events"].values():
        for asset_event in asset_events:
            payload = (asset_event.extra or {}).get("payload") or {}
            for event in payload.get("events", ()):
                events.setdefault(
                    event["_id"],
                    {
                        **event,
                        "_asset_event": asset_event.timestamp.isoformat(),
                        "_subscription_id": payload.get("subscription_id"),
                        "_state_variable": payload.get("state_variable"),
                    },
                )
    return sorted(events.values(), key=lambda e: e["createdAt"])


def _ledger(hook: Any) -> str:
    """The warehouse's sqlglot dialect, the ledger table created if missing."""
    import sqlglot

    from airflow_provider_360learning.transfers.dialects import detect, dialect_class

    dialect = dialect_class(detect(hook) or "postgres").sqlglot_dialect
    create = (
        f"CREATE TABLE IF NOT EXISTS {LEDGER} (event_id VARCHAR(64) PRIMARY KEY, event_type VARCHAR(64), "
        "subscription_id VARCHAR(32), created_at VARCHAR(32), statistic_id VARCHAR(32), run_id VARCHAR(250), "
        "recorded_at VARCHAR(32))"
    )
    hook.run(sqlglot.transpile(create, read="postgres", write=dialect)[0])
    return dialect


def recorded_ids(hook: Any, ids: list[str]) -> set[str]:
    """Which of ``ids`` the ledger already holds."""
    dialect = _ledger(hook)
    from sqlglot import exp

    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = [exp.Literal.string(i) for i in ids[start : start + 500]]
        query = exp.select("event_id").from_(LEDGER).where(exp.column("event_id").isin(*chunk))
        found.update(str(row[0]) for row in hook.get_records(query.sql(dialect)))
    return found


def _statistic_id(event: dict[str, Any]) -> str | None:
    data = event["payload"].get("data", {})
    return data.get("enrollmentId") or data.get("attemptId")


def warehouse(conn_id: str) -> Any:
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    return destination_hook(conn_id, embedded_warehouse_path())


@dag(
    dag_id="360learning_events_to_warehouse",
    schedule=COMPLETION_EVENTS,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "example", "events", "warehouse"],
    doc_md=__doc__,
    params={
        "warehouse_conn_id": Param(WAREHOUSE_CONN_ID, type="string", description="SQL connection of the warehouse")
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=30)},
)
def events_to_warehouse() -> None:
    @task.branch
    def plan_loads(params: dict[str, Any]) -> list[str]:
        """Read the events the run was triggered with, drop those already recorded, choose the loads."""
        from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
        from airflow_provider_360learning.triggers.webhook_events import _instant

        context = get_current_context()
        events = triggering_events(context)
        hook = warehouse(params["warehouse_conn_id"])
        done = recorded_ids(hook, [e["_id"] for e in events])
        new = [e for e in events if e["_id"] not in done]
        modes: dict[str, str] = {}
        watermarks: dict[str, dt.datetime | None] = {}
        for event in new:
            table, _, dated_by, statuses = EVENTS[event["payload"]["type"]]
            data = event["payload"]["data"]
            if statuses is not None and data.get("status") not in statuses:
                continue  # recorded, nothing to load (a status other than a completion)
            if table not in watermarks:
                writer = SqlTableWriter(hook, TABLE_PREFIX + table)
                try:
                    watermarks[table] = writer.last_watermark(TABLE_PREFIX + table)
                finally:
                    writer.close()
            watermark = watermarks[table]
            # Dated before the incremental window (a back-dated import): only a full load sees it.
            late = watermark is not None and _instant(data[dated_by]) < watermark - OVERLAP
            modes[table] = "full" if late or modes.get(table) == "full" else "incremental"
        asset_events = sorted({e["_asset_event"] for e in events})
        plan = {"asset_events": asset_events, "events": len(events), "new": len(new), "modes": modes}
        context["ti"].xcom_push(key="plan", value={**plan, "new_events": new})
        print(
            f"Triggered by {len(asset_events)} asset event(s) at {asset_events}: {len(events)} 360Learning event(s), "
            f"{len(new)} not recorded yet; loads: {modes or 'none'}"
        )
        return ["record_events", *(f"load_{table}" for table in modes)]

    plan = plan_loads()
    loads = [
        ThreeSixtyLearningToSqlOperator(
            task_id=f"load_{table}",
            action=action,
            table=TABLE_PREFIX + table,
            destination_conn_id="{{ params.warehouse_conn_id }}",
            mode=f"{{{{ ti.xcom_pull(task_ids='plan_loads', key='plan')['modes']['{table}'] }}}}",
            embedded_default_path=embedded_warehouse_path(),
        )
        for table, action, _, _ in EVENTS.values()
    ]

    @task(trigger_rule="none_failed")
    def record_events(params: dict[str, Any]) -> dict[str, Any]:
        """After the loads: the new events into the ledger, then each watcher's watermark past them."""
        import sqlglot
        from sqlglot import exp

        from airflow_provider_360learning.triggers.webhook_events import advance_watermark

        context = get_current_context()
        plan = context["ti"].xcom_pull(task_ids="plan_loads", key="plan")
        hook = warehouse(params["warehouse_conn_id"])
        dialect = _ledger(hook)
        new = [
            e for e in plan["new_events"] if e["_id"] not in recorded_ids(hook, [e["_id"] for e in plan["new_events"]])
        ]
        now = dt.datetime.now(dt.UTC).isoformat()
        for start in range(0, len(new), 500):
            rows = [
                exp.Tuple(
                    expressions=[
                        exp.Literal.string(str(value)) if value is not None else exp.null()
                        for value in (
                            e["_id"],
                            e["payload"]["type"],
                            e.get("_subscription_id"),
                            e["createdAt"],
                            _statistic_id(e),
                            context["run_id"],
                            now,
                        )
                    ]
                )
                for e in new[start : start + 500]
            ]
            columns = "event_id, event_type, subscription_id, created_at, statistic_id, run_id, recorded_at"
            statement = exp.insert(exp.Values(expressions=rows), f"{LEDGER} ({columns})")
            hook.run(sqlglot.transpile(statement.sql("postgres"), read="postgres", write=dialect)[0])
        events = triggering_events(context)
        watermarks = {}
        for variable in sorted({e["_state_variable"] for e in events if e["_state_variable"]}):
            stored = advance_watermark(variable, [e for e in events if e["_state_variable"] == variable])
            watermarks[variable] = stored.isoformat() if stored else None
        return {"recorded": len(new), "watermarks": watermarks}

    recorded = record_events()
    chain(plan, loads, recorded)
    plan >> recorded


events_to_warehouse()
