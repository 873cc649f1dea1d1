"""After each catalog sync: import edX learners' progress into 360Learning as statistics of the edX integration's
external courses.

The DAG is scheduled on the Asset ``360learning_edx_external_courses``, which the catalog sync's ``record``
task updates (the catalog sync runs daily, so this one does too): a statistic needs its external course in
360Learning, so it runs after the courses are there, not on a clock of its own. It can also be triggered
by hand, before any catalog sync: then every statistic is deferred (below) and the run succeeds.

``preflight`` checks both sides (edX credentials and enterprise customer, the integration, the scopes)
and stops the run with a message naming the problem. ``build`` reads the learner summary once, skips rows
without consent, rejects unreadable rows with their id and the reason, aggregates the rest per (learner,
course), matches learners to 360Learning users by email ignoring case (one listing of the users: about
one request per 500 users, whatever the number of learners) and courses to the external ids the catalog
sync imported, and maps each pair to a statistic. Statistics of a course the catalog sync has not imported
yet are deferred: counted and reported, not sent, and sent by a later run once the course is there.
Enrollments the learner left without passing are counted, not imported (mapping:
``airflow_provider_360learning/edx/statistics.py`` and docs/edx-sync.md).
Dates come from edX's enrollment, activity and completion dates, never from the run's clock, and
``forceNew`` is never set, so re-running the same day updates the same attempts. Statistics identical to
what an earlier run imported are not sent again. ``import_statistics`` sends them through the Bulk API
(10,000 per request); ``record`` keeps what 360Learning accepted; ``report`` lists the unmatched learners
and the deferred courses (also in the table ``learning360_edx_unmatched`` of the warehouse) and fails when
360Learning refused any statistic. Rules and reasons: docs/edx-sync.md.
"""

from __future__ import annotations

import json
from typing import Any

import pendulum
from airflow.sdk import ObjectStoragePath, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_360learning.edx.assets import EXTERNAL_COURSES
from airflow_provider_360learning.edx.preflight import STATISTICS_PROBES, preflight_from_params, sync_params
from airflow_provider_360learning.edx.records import content_hash, read_jsonl, run_work_dir, write_jsonl
from airflow_provider_360learning.edx.statistics import plan_statistics, statistic_key
from airflow_provider_360learning.edx.sync_state import (
    COURSES_TABLE,
    STATISTICS_TABLE,
    SyncState,
    needs_sending,
    open_state,
    succeeded,
)
from airflow_provider_360learning.operators.generated.bulk_actions import ImportExternalStatisticsOperator
from airflow_provider_360learning.transfers.tabular import Column

UNMATCHED_TABLE = "learning360_edx_unmatched"
UNMATCHED_COLUMNS = (
    Column("run_id", "run_id", "text", True),
    Column("kind", "kind", "text", True),
    Column("value", "value", "text", True),
    Column("edx_rows", "edx_rows", "integer"),
)
REPORTED = 100


def _state(table: str, integration_id: str) -> SyncState:
    return open_state(get_current_context()["params"]["warehouse_conn_id"], table, integration_id)


@dag(
    dag_id="360learning_edx_learner_stats_sync",
    schedule=EXTERNAL_COURSES,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "edx"],
    doc_md=__doc__,
    params=sync_params(state="the sync state and the unmatched table", resync="import every statistic, changed or not"),
)
def edx_learner_stats_sync() -> None:
    @task
    def preflight_checks() -> dict[str, Any]:
        """Stop here, naming the problem, if either side's credentials, enterprise, integration or scopes are wrong."""
        return preflight_from_params(get_current_context()["params"], STATISTICS_PROBES)

    @task
    def build(target: dict[str, Any]) -> dict[str, Any]:
        """One pass over the learner summary: match, map, and write the statistics to send as JSON Lines."""
        from airflow_provider_360learning.hooks.edx import EdxHook
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        context = get_current_context()
        params = context["params"]
        users = {
            str(u["mail"]).lower(): u["_id"]
            for u in ThreeSixtyLearningHook().iter_action("list_users")
            if u.get("mail") and u.get("status") != "deleted"
        }
        courses_state = _state(COURSES_TABLE, target["integration_id"])
        statistics_state = _state(STATISTICS_TABLE, target["integration_id"])
        try:
            synced_courses = set(courses_state.load())  # empty before the first catalog sync: all deferred
            sent = statistics_state.load()
        finally:
            courses_state.close()
            statistics_state.close()
        rows = EdxHook().iter_learner_summary(target["enterprise_customer_uuid"])
        result = plan_statistics(rows, users, synced_courses)
        to_send = [
            s
            for s in result.statistics.values()
            if needs_sending(statistic_key(s), content_hash(s), sent, full_resync=params["full_resync"])
        ]
        folder = run_work_dir(params["work_dir"], context["dag"].dag_id, context["run_id"])
        unmatched = {
            "learners": dict(result.unmatched_learners.most_common()),
            "deferred_courses": dict(result.deferred.most_common()),
        }
        ObjectStoragePath(f"{folder}/unmatched.json").write_text(json.dumps(unmatched, ensure_ascii=False, indent=1))
        write_jsonl(f"{folder}/rejected.jsonl", (r.as_dict() for r in result.rejected))
        return {
            "folder": folder,
            "statistics_path": f"{folder}/statistics.jsonl",
            "counts": {
                "rows": result.rows,
                "without_consent": result.without_consent,
                "unenrolled": result.unenrolled,
                "rejected": len(result.rejected),
                "unmatched_learners": len(result.unmatched_learners),
                "deferred": result.deferred_statistics,
                "deferred_courses": len(result.deferred),
                "statistics": len(result.statistics),
                "unchanged": len(result.statistics) - len(to_send),
                "to_send": write_jsonl(f"{folder}/statistics.jsonl", to_send),
            },
            "unmatched_learners": dict(result.unmatched_learners.most_common(REPORTED)),
            "deferred_courses": dict(result.deferred.most_common(REPORTED)),
            "rejected": [r.as_dict() for r in result.rejected[:REPORTED]],
        }

    import_statistics = ImportExternalStatisticsOperator(
        task_id="import_statistics",
        integrationId="{{ ti.xcom_pull(task_ids='preflight')['integration_id'] }}",
        items_path="{{ ti.xcom_pull(task_ids='build')['statistics_path'] }}",
        failures_path="{{ ti.xcom_pull(task_ids='build')['folder'] }}/failures.jsonl",
        fail_on_object_errors=False,
        poll_interval=5,
    )

    @task
    def record(target: dict[str, Any], built: dict[str, Any]) -> int:
        """Remember the statistics 360Learning accepted, so that the next run sends only what changed."""
        state = _state(STATISTICS_TABLE, target["integration_id"])
        try:
            failed = (f.get("input") for f in read_jsonl(f"{built['folder']}/failures.jsonl"))
            accepted = succeeded(read_jsonl(built["statistics_path"]), failed, statistic_key)
            return state.save(
                ((key, content_hash(item), "active") for key, item in accepted), get_current_context()["run_id"]
            )
        finally:
            state.close()

    @task
    def report(built: dict[str, Any], imported: dict[str, Any], recorded: int) -> dict[str, Any]:
        """Unmatched learners and courses, rejected rows and refused statistics, readable in the task log."""
        import pandas as pd

        from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
        from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
        from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

        context = get_current_context()
        counts, failed = built["counts"], int(imported.get("failed", 0))
        unmatched = json.loads(ObjectStoragePath(f"{built['folder']}/unmatched.json").read_text())
        lines = [
            f"edX learner statistics: {counts['rows']} learner-summary rows, {counts['statistics']} statistics "
            f"(learner x course); imported {recorded} of {counts['to_send']} sent, {counts['unchanged']} unchanged "
            f"since the last run",
            f"  rows without consent (not imported): {counts['without_consent']}",
            f"  enrollments left without passing (not imported): {counts['unenrolled']}",
            f"  unmatched learners (no 360Learning user with that email, or a deleted one): {counts['unmatched_learners']}",
            *(f"    {email} ({n} row(s))" for email, n in built["unmatched_learners"].items()),
            f"  deferred statistics (course not imported by the catalog sync yet; sent by a later run): "
            f"{counts['deferred']} in {counts['deferred_courses']} course(s)",
            *(f"    {key} ({n} row(s))" for key, n in built["deferred_courses"].items()),
            f"  rejected rows: {counts['rejected']}",
            *(f"    {r['id']}: {r['reason']}" for r in built["rejected"]),
            f"  statistics 360Learning refused: {failed}",
            *(
                f"    {f['reason']}: {json.dumps(f['input'], ensure_ascii=False)[:200]}"
                for f in imported.get("failures", [])
            ),
            f"  files: {built['folder']}",
        ]
        print("\n".join(lines))
        rows = [
            (context["run_id"], kind, value, n)
            for kind in ("learners", "deferred_courses")
            for value, n in unmatched[kind].items()
        ]
        writer = SqlTableWriter(
            destination_hook(context["params"]["warehouse_conn_id"], embedded_warehouse_path()),
            UNMATCHED_TABLE,
            key=("run_id", "kind", "value"),
        )
        try:
            writer.ensure_table(UNMATCHED_COLUMNS)
            writer.upsert(pd.DataFrame(rows, columns=[c.name for c in UNMATCHED_COLUMNS]), context["run_id"])
        finally:
            writer.close()
        if failed:
            raise AirflowFailException(
                f"360Learning refused {failed} statistic(s) (the others stand and were recorded; "
                "the next run sends these again):\n" + "\n".join(lines)
            )
        return {
            "counts": counts,
            "recorded": recorded,
            "failed": failed,
            "unmatched_learners": built["unmatched_learners"],
            "deferred_courses": built["deferred_courses"],
            "rejected": built["rejected"],
        }

    target = preflight_checks.override(task_id="preflight")()
    built = build(target)
    built >> import_statistics
    recorded = record(target, built)
    import_statistics >> recorded
    report(built, import_statistics.output, recorded)


edx_learner_stats_sync()
