"""Daily: publish an edX enterprise customer's catalogs in 360Learning as the edX integration's external courses.

``preflight`` checks both sides first (edX credentials and enterprise customer, the 360Learning
integration, found by its external platform, and the scopes the run reads with) and stops the run with
a message naming the problem. ``plan`` reads the selected catalogs, maps each course to an external course
(external id = the edX course key), rejects malformed records with their key and the reason, and compares
the rest with the sync state: new and changed courses are upserted (``import_courses``, through the Bulk
API: the upsert itself puts a new course in the integration group's catalog and library), courses that
left the catalogs are archived (``archive_courses``, 1,000 per request). ``record`` writes the sync state
for the objects 360Learning accepted (failed ones are sent again by the next run); ``report`` says what
happened and fails when any object failed. A run with no change in edX sends no write. When ``record``
succeeds it updates the Asset ``360learning_edx_external_courses``, on which the learner-statistics sync
is scheduled.

The sync state is a table (``_360learning_edx_courses``) of the warehouse connection; when that connection is
not defined, of the embedded default warehouse in ``$AIRFLOW_HOME``. With several edX integrations in
360Learning, the param ``integration_id`` selects one (none given: the run stops and lists them).
360Learning owns what its users add to a course (skills, tags, co-authors): no request of this DAG
touches them.
"""

from __future__ import annotations

import json
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_360learning.edx.assets import EXTERNAL_COURSES
from airflow_provider_360learning.edx.catalog_plan import plan_catalog
from airflow_provider_360learning.edx.preflight import CATALOG_PROBES, preflight_from_params, sync_params
from airflow_provider_360learning.edx.records import content_hash, read_jsonl, run_work_dir, write_jsonl
from airflow_provider_360learning.edx.sync_state import COURSES_TABLE, open_state, succeeded
from airflow_provider_360learning.operators.generated.bulk_actions import (
    ArchiveExternalCoursesOperator,
    ImportExternalCoursesOperator,
)

REPORTED = 100
"""Rejected records and failed objects listed in the XCom and the log (all of them are in the run's files)."""
BULK_ARGS: dict[str, Any] = {
    "integrationId": "{{ ti.xcom_pull(task_ids='preflight')['integration_id'] }}",
    "fail_on_object_errors": False,  # ``record`` keeps what succeeded; ``report`` fails the run afterwards
    "poll_interval": 5,
}


def _external_id(item: Any) -> str:
    return str(item.get("externalId"))


@dag(
    dag_id="360learning_edx_catalog_sync",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "edx"],
    doc_md=__doc__,
    params={
        **sync_params(state="the sync state", resync="upsert every course, changed or not"),
        "catalogs": Param(
            [],
            type="array",
            items={"type": "string"},
            description="edX catalogs to publish (UUIDs or titles); empty: every catalog of the customer",
        ),
        "default_lang": Param("en", type="string", description="language of a course whose language edX does not give"),
        "max_archive_percent": Param(
            10.0,
            type="number",
            minimum=0,
            maximum=100,
            description="largest share of the synced courses one run may archive",
        ),
        "allow_mass_archive": Param(False, type="boolean", description="override the archive limit"),
    },
)
def edx_catalog_sync() -> None:
    @task
    def preflight_checks() -> dict[str, Any]:
        """Stop here, naming the problem, if either side's credentials, enterprise, integration or scopes are wrong."""
        return preflight_from_params(get_current_context()["params"], CATALOG_PROBES, catalogs=True)

    @task
    def plan(target: dict[str, Any]) -> dict[str, Any]:
        """Map today's catalogs, diff them with the sync state, and write the upserts and archives as JSON Lines."""
        from airflow_provider_360learning.hooks.edx import EdxHook

        context = get_current_context()
        params = context["params"]
        edx = EdxHook()
        state = open_state(params["warehouse_conn_id"], COURSES_TABLE, target["integration_id"])
        try:
            synced = state.load()
        finally:
            state.close()
        records = ((c["title"], course) for c in target["catalogs"] for course in edx.iter_catalog_courses(c["uuid"]))
        result = plan_catalog(records, synced, default_lang=params["default_lang"], full_resync=params["full_resync"])
        verdict = result.archive_verdict(float(params["max_archive_percent"]))
        if verdict and not params["allow_mass_archive"]:
            raise AirflowFailException(verdict)
        folder = run_work_dir(params["work_dir"], context["dag"].dag_id, context["run_id"])
        for rejected in result.rejected[:REPORTED]:
            print(f"Skipped {rejected.id} ({rejected.source}): {rejected.reason}")
        write_jsonl(f"{folder}/rejected.jsonl", (r.as_dict() for r in result.rejected))
        return {
            "folder": folder,
            "counts": result.counts(),
            "upserts_path": f"{folder}/upserts.jsonl",
            "upserts": write_jsonl(f"{folder}/upserts.jsonl", result.upserts),
            "archives_path": f"{folder}/archives.jsonl",
            "archives": write_jsonl(f"{folder}/archives.jsonl", result.archives),
            "rejected": [r.as_dict() for r in result.rejected[:REPORTED]],
        }

    import_courses = ImportExternalCoursesOperator(
        task_id="import_courses",
        items_path="{{ ti.xcom_pull(task_ids='plan')['upserts_path'] }}",
        failures_path="{{ ti.xcom_pull(task_ids='plan')['folder'] }}/upsert_failures.jsonl",
        **BULK_ARGS,
    )
    archive_courses = ArchiveExternalCoursesOperator(
        task_id="archive_courses",
        items_path="{{ ti.xcom_pull(task_ids='plan')['archives_path'] }}",
        failures_path="{{ ti.xcom_pull(task_ids='plan')['folder'] }}/archive_failures.jsonl",
        **BULK_ARGS,
    )

    @task(outlets=[EXTERNAL_COURSES])
    def record(target: dict[str, Any], planned: dict[str, Any]) -> dict[str, int]:
        """Write the sync state of the objects 360Learning accepted; failed ones stay as they were (sent again)."""
        context = get_current_context()
        folder = planned["folder"]
        state = open_state(context["params"]["warehouse_conn_id"], COURSES_TABLE, target["integration_id"])
        try:
            synced = state.load()
            failed = (f.get("input") for f in read_jsonl(f"{folder}/upsert_failures.jsonl"))
            upserted = state.save(
                (
                    (key, content_hash(item), "active")
                    for key, item in succeeded(read_jsonl(planned["upserts_path"]), failed, _external_id)
                ),
                context["run_id"],
            )
            failed = (f.get("input") for f in read_jsonl(f"{folder}/archive_failures.jsonl"))
            archived = state.save(
                (
                    (key, synced[key].content_hash if key in synced else "", "archived")
                    for key, _ in succeeded(read_jsonl(planned["archives_path"]), failed, _external_id)
                ),
                context["run_id"],
            )
        finally:
            state.close()
        return {"upserted": upserted, "archived": archived}

    @task
    def report(
        planned: dict[str, Any], imported: dict[str, Any], archived: dict[str, Any], recorded: dict[str, int]
    ) -> dict[str, Any]:
        """What the run did, readable in the task log; fails when 360Learning refused any object."""
        counts = planned["counts"]
        failures = [*imported.get("failures", []), *archived.get("failures", [])]
        failed = int(imported.get("failed", 0)) + int(archived.get("failed", 0))
        lines = [
            f"edX catalog sync: {counts['courses']} course(s) in the selected catalogs ({counts['records']} records, "
            f"{counts['in_several_catalogs']} in several catalogs)",
            f"  upserted: {recorded['upserted']} of {counts['upserts']} ({counts['new']} new, {counts['changed']} changed); "
            f"unchanged: {counts['unchanged']}",
            f"  archived (left the catalogs): {recorded['archived']} of {counts['archives']}",
            f"  rejected edX records: {counts['rejected']}",
            *(f"    {r['id']} ({r['source']}): {r['reason']}" for r in planned["rejected"]),
            f"  objects 360Learning refused: {failed}",
            *(f"    {f['reason']}: {json.dumps(f['input'], ensure_ascii=False)[:200]}" for f in failures[:REPORTED]),
            f"  files: {planned['folder']}",
        ]
        print("\n".join(lines))
        summary = {
            "counts": counts,
            "recorded": recorded,
            "failed": failed,
            "rejected": planned["rejected"],
            "failures": failures[:REPORTED],
        }
        if failed:
            raise AirflowFailException(
                f"360Learning refused {failed} object(s) (the others stand and were recorded; "
                f"the next run sends these again):\n" + "\n".join(lines)
            )
        return summary

    target = preflight_checks.override(task_id="preflight")()
    planned = plan(target)
    planned >> [import_courses, archive_courses]
    recorded = record(target, planned)
    [import_courses, archive_courses] >> recorded
    report(planned, import_courses.output, archive_courses.output, recorded)


edx_catalog_sync()
