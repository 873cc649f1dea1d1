"""``360learning_edx_learner_stats_sync`` end to end with ``dag.test()`` against the edX and 360Learning
emulators: run first on a fresh tenant it defers every statistic and succeeds; after the catalog sync the
imported statistics match the learner summary for the matched learners (checked here from the raw rows,
independently of the DAG's mapping), unmatched learners, deferred courses, left enrollments and a malformed
row are reported, re-runs create no second attempt, and a missing scope stops the run at ``preflight``.
The DAG is scheduled on the Asset the catalog sync's ``record`` task updates. Every 360Learning request is checked against the official documents by the fixtures."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from airflow_provider_360learning.emulator.edx import LEARNER_SUMMARY
from airflow_provider_360learning.emulator.edx.data import UNKNOWN_LEARNER_EMAIL
from airflow_provider_360learning.hooks.edx import EdxHook
from tests.unit.dag_runs import run_dag
from tests.unit.dags.edx_env import CATALOG_DAG, STATS_DAG, EdxSync, dags, sync

__all__ = ["dags", "sync"]  # fixtures


def counted(row: dict[str, Any]) -> bool:
    """Whether the sync imports a row: consent given, and not an enrollment left without passing."""
    return bool(row.get("is_consent_granted")) and (not row.get("unenrollment_date") or row["has_passed"] is True)


def expected_statistics(
    sync: EdxSync, rows: list[dict[str, Any]], course_ids: dict[str, str]
) -> dict[tuple[str, str], Any]:
    """(user id, course id) -> (progress, first activity day, last activity day), straight from the summary rows."""
    users = {u["mail"].lower(): u["_id"] for u in sync.hook.iter_action("list_users") if u["status"] != "deleted"}
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        email = (row.get("user_email") or "").lower()
        if counted(row) and email in users and row.get("course_key") in course_ids:
            grouped[(users[email], course_ids[row["course_key"]])].append(row)
    expected = {}
    for key, group in grouped.items():
        passed = [r for r in group if r["has_passed"]]
        progress = 100 if passed else round(max(r["course_progress"] or 0 for r in group) * 100)
        first = min(r["enrollment_date"] for r in group)
        if passed:
            last = min(r["passed_date"] for r in passed)
        else:
            last = max(
                [
                    *(r["enrollment_date"] for r in group),
                    *(r["last_activity_date"] for r in group if r["last_activity_date"]),
                ]
            )
        expected[key] = (progress, first, last)
    return expected


def imported_attempts(sync: EdxSync, course_ids: dict[str, str]) -> dict[tuple[str, str], list[Any]]:
    attempts: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for stat in sync.hook.iter_action("list_courses_statistics", courseId={"in": sorted(set(course_ids.values()))}):
        attempts[(stat["userId"], stat["courseId"])].append(
            (stat["progress"], stat["firstActivityAt"][:10], stat["lastActivityAt"][:10])
        )
    return attempts


def test_statistics_first_defer_then_match_the_summary_unmatched_are_reported_and_reruns_add_no_attempt(
    sync: EdxSync, dags: Any
) -> None:
    hook = sync.hook
    summary = list(EdxHook(requests_per_second=0).iter_learner_summary())
    active = {u["mail"].lower() for u in hook.iter_action("list_users") if u["status"] != "deleted"}
    base = next(r for r in summary if counted(r) and r["user_email"].lower() in active)
    some_course = base["course_key"]
    sync.control(
        "POST",
        f"/_emulator/edx/rows/{LEARNER_SUMMARY}",
        [
            {**base, "enterprise_enrollment_id": 9_000_001, "course_key": "UnknownX+NotInCatalog1"},
            {**base, "enterprise_enrollment_id": 9_000_002, "enrollment_date": "soon"},
            {**base, "enterprise_enrollment_id": 9_000_003, "user_email": None, "course_key": some_course},
            {**base, "enterprise_enrollment_id": 9_000_004, "course_progress": float("nan")},
        ],
    )

    # A fresh tenant, statistics before any catalog sync: every statistic deferred, nothing sent, success.
    early = run_dag(dags[STATS_DAG])
    assert early.succeeded, early.states
    assert sync.writes()["import_external_statistics"] == 0
    deferred_early = early.xcom["report"]["counts"]

    assert run_dag(dags[CATALOG_DAG]).succeeded
    integration = sync.integration()
    course_ids = {
        key: hook.call_action("get_external_course", integrationId=integration["_id"], externalId=key)["courseId"]
        for key in {r["course_key"] for r in summary}
    }

    first = run_dag(dags[STATS_DAG])  # the deferred statistics are sent now
    assert first.succeeded, first.states
    report = first.xcom["report"]
    counts = report["counts"]
    assert sync.writes()["import_external_statistics"] == 1  # 250 rows: one request
    assert (deferred_early["statistics"], deferred_early["to_send"]) == (0, 0)
    assert deferred_early["deferred"] == counts["statistics"] + counts["deferred"] > 200
    expected = expected_statistics(sync, summary, course_ids)
    attempts = imported_attempts(sync, course_ids)
    assert {k: v for k, v in attempts.items() if k in expected} == {k: [v] for k, v in expected.items()}
    assert set(attempts) == set(expected)
    assert counts["statistics"] == counts["to_send"] == len(expected)
    unknown = {r["user_email"].lower() for r in summary if counted(r) and r["user_email"].lower() not in active}
    assert set(report["unmatched_learners"]) == unknown and UNKNOWN_LEARNER_EMAIL in unknown  # others: deleted users
    assert report["deferred_courses"] == {"UnknownX+NotInCatalog1": 1} and counts["deferred"] == 1
    assert {r["id"]: r["reason"] for r in report["rejected"]} == {
        "enterprise_enrollment_id 9000002": "enrollment_date is 'soon', expected a YYYY-MM-DD date",
        "enterprise_enrollment_id 9000003": "user_email is None, expected an email address",
        "enterprise_enrollment_id 9000004": "course_progress is nan, expected a finite number within 0..1",
    }
    assert counts["without_consent"] == sum(1 for r in summary if r["is_consent_granted"] is False) > 0
    left = sum(1 for r in summary if r["is_consent_granted"] and r["unenrollment_date"] and not r["has_passed"])
    assert counts["unenrolled"] == left > 0
    other_case = summary[0]["user_email"]
    assert other_case != other_case.lower() and other_case.lower() not in report["unmatched_learners"]
    with sqlite3.connect(sync.warehouse) as db:
        table = set(
            db.execute("SELECT kind, value, edx_rows FROM learning360_edx_unmatched WHERE run_id = ?", (first.run_id,))
        )
    assert table == {
        ("deferred_courses", "UnknownX+NotInCatalog1", 1),
        *(("learners", e, n) for e, n in report["unmatched_learners"].items()),
    }

    again = run_dag(dags[STATS_DAG])  # the same day, nothing changed: nothing sent, no second attempt
    assert again.succeeded and again.xcom["report"]["counts"]["to_send"] == 0
    assert sync.writes()["import_external_statistics"] == 1
    resent = run_dag(dags[STATS_DAG], full_resync=True)  # everything sent again: the same attempts are updated
    assert resent.succeeded and sync.writes()["import_external_statistics"] == 2
    assert imported_attempts(sync, course_ids) == attempts


def test_statistics_are_scheduled_on_the_asset_the_catalog_sync_updates(dags: Any) -> None:
    outlets = [(t.task_id, o) for t in dags[CATALOG_DAG].tasks for o in t.outlets]
    assert [(task, o.name) for task, o in outlets] == [("record", "360learning_edx_external_courses")]
    assert dags[STATS_DAG].timetable.asset_condition == outlets[0][1]


def test_a_missing_users_scope_stops_the_run_at_preflight(sync: EdxSync, dags: Any) -> None:
    scopes = sorted(sync.server.state.config.granted_scopes - {"users:read"})
    sync.control("POST", "/_emulator/config", {"scopes": scopes})
    result = run_dag(dags[STATS_DAG])
    assert result.state == "failed" and result.states["preflight"] == "failed"
    assert {t for t, s in result.states.items() if s != "upstream_failed"} == {"preflight"}
    assert sync.edx.stats()["requests"].get("learner_summary", 0) == 1  # the access check's one-row read
