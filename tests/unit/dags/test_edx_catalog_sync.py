"""``360learning_edx_catalog_sync`` end to end with ``dag.test()`` against the edX and 360Learning emulators:
the catalog becomes the integration's external courses (in its group's catalog and library), a course that
leaves edX is archived, skills set in 360Learning survive, an unchanged catalog sends no write, a malformed
record is skipped with its key and reason, and bad credentials, UUID or scope stop the run at ``preflight``.
Every 360Learning request is checked against the official documents by the ``emulator_factory`` fixture."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.emulator.course_skills import course_skills
from airflow_provider_360learning.emulator.handlers.integrations import IMPORTED
from airflow_provider_360learning.hooks.edx import EdxHook
from tests.unit.dag_runs import run_dag
from tests.unit.dags.edx_env import CATALOG_DAG, STATS_DAG, EdxSync, dags, sync

__all__ = ["dags", "sync"]  # fixtures

OTHER_ENTERPRISE = "00000000-0000-4000-8000-000000000000"


def edx_course_keys() -> set[str]:
    hook = EdxHook(requests_per_second=0)
    return {
        c["key"] for catalog in hook.iter_catalogs() for c in hook.iter_catalog_courses(catalog["uuid"]) if c.get("key")
    }


def imported(sync: EdxSync, integration: dict[str, Any]) -> set[str]:
    """External ids of the integration's courses, read where the emulator keeps them (no endpoint lists them)."""
    return set(sync.server.state.relation(IMPORTED).get(integration["_id"], {}))


def test_catalog_becomes_external_courses_then_removal_archives_and_skills_survive(sync: EdxSync, dags: Any) -> None:
    hook, integration = sync.hook, sync.integration()
    group = integration["groupId"]
    keys = edx_course_keys()
    assert len(keys) == 50  # the second catalog is a subset of the first, the third is empty

    first = run_dag(dags[CATALOG_DAG])
    assert first.succeeded, first.states
    assert imported(sync, integration) == keys
    courses = {k: hook.call_action("get_external_course", integrationId=integration["_id"], externalId=k) for k in keys}
    ids = {c["courseId"] for c in courses.values()}
    assert ids <= set(hook.iter_action("list_group_catalog_content_ids", groupId=group, contentType="course"))
    assert ids <= set(hook.iter_action("list_group_library_content_ids", groupId=group, contentType="course"))
    assert sync.writes() == {
        "import_external_courses": 1,
        "archive_external_courses": 0,
        "import_external_statistics": 0,
    }
    assert first.xcom["report"]["counts"]["new"] == 50 and first.xcom["report"]["rejected"] == []

    # A 360Learning user adds skills to every course; then one course leaves the edX catalog.
    skills = [row["_id"] for row in sync.server.state.rows("skills")][:2]
    for course_id in ids:
        sync.control("PUT", f"/_emulator/courses/{course_id}/skills", {"skillIds": skills})
    gone = sync.control("POST", "/_emulator/edx/advance-day", {"days": 1})["retired_course_keys"]
    assert len(gone) == 1 and gone[0] in keys

    second = run_dag(dags[CATALOG_DAG])
    assert second.succeeded, second.states
    counts = second.xcom["report"]["counts"]
    assert (counts["archives"], counts["upserts"], counts["unchanged"]) == (1, 0, 49)
    archived = courses[gone[0]]["courseId"]
    assert hook.call_action("get_course", courseId=archived)["status"] == "archived"
    catalog = set(hook.iter_action("list_group_catalog_content_ids", groupId=group, contentType="course"))
    assert archived not in catalog and ids - {archived} <= catalog
    assert all(course_skills(sync.server.state, course_id) == skills for course_id in ids)
    assert sync.writes() == {
        "import_external_courses": 1,
        "archive_external_courses": 1,
        "import_external_statistics": 0,
    }

    third = run_dag(dags[CATALOG_DAG])  # nothing changed in edX: nothing is written
    assert third.succeeded, third.states
    assert sync.writes() == {
        "import_external_courses": 1,
        "archive_external_courses": 1,
        "import_external_statistics": 0,
    }
    assert third.xcom["report"]["counts"]["unchanged"] == 49

    resync = run_dag(dags[CATALOG_DAG], full_resync=True)  # every course upserted again: skills still there
    assert resync.succeeded, resync.states
    assert sync.writes()["import_external_courses"] == 2
    assert all(course_skills(sync.server.state, course_id) == skills for course_id in ids)


def test_a_malformed_record_is_reported_with_its_key_and_the_rest_syncs(sync: EdxSync, dags: Any) -> None:
    catalog = sync.edx.data.catalogs[0].uuid
    sync.control(
        "POST",
        f"/_emulator/edx/rows/{catalog}",
        [
            {
                "content_type": "course",
                "key": "BrokenX+NoTitle101",
                "title": "  ",
                "enrollment_url": "https://e.example/x",
            },
            {"content_type": "course", "title": "A course without a key"},
            {
                "content_type": "course",
                "key": "BrokenX+BadUrl102",
                "title": "Bad URL",
                "enrollment_url": "javascript:x",
            },
        ],
    )
    result = run_dag(dags[CATALOG_DAG])
    assert result.succeeded, result.states
    rejected = {r["id"]: r["reason"] for r in result.xcom["report"]["rejected"]}
    assert rejected == {
        "BrokenX+NoTitle101": "no title",
        "title 'A course without a key'": "no course key (`key`)",
        "BrokenX+BadUrl102": "no enrollment_url or marketing_url to launch the course with",
    }
    assert imported(sync, sync.integration()) == edx_course_keys() - {"BrokenX+NoTitle101", "BrokenX+BadUrl102"}


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("edx_secret", "bad credentials"),
        (
            "enterprise",
            f"Wrong enterprise customer UUID: these credentials cannot read enterprise customer {OTHER_ENTERPRISE}",
        ),
        ("scope", "lacks the OAuth scope 'integrations:read'"),
        ("integration", "360Learning has no integration with external platform 'Coursera+'"),
    ],
)
def test_bad_configuration_stops_the_run_at_preflight(
    sync: EdxSync,
    dags: Any,
    problem: str,
    message: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    conf: dict[str, Any] = {}
    if problem == "edx_secret":
        sync.use_edx_secret("not-the-secret")
    elif problem == "enterprise":
        sync.use_edx(enterprise_customer_uuid=OTHER_ENTERPRISE)
    elif problem == "scope":
        scopes = sorted(sync.server.state.config.granted_scopes - {"integrations:read"})
        sync.control("POST", "/_emulator/config", {"scopes": scopes})
    else:
        conf["external_platform"] = "Coursera+"
    result = run_dag(dags[CATALOG_DAG], **conf)
    assert result.state == "failed"
    assert result.states["preflight"] == "failed"
    assert {t for t, s in result.states.items() if s != "upstream_failed"} == {"preflight"}
    assert sync.writes() == dict.fromkeys(sync.writes(), 0)
    assert sync.edx.stats()["requests"].get("catalog", 0) == 0
    out = capfd.readouterr()
    print(out.out)  # back for the suite's secret scan
    assert message in out.out + out.err + caplog.text


def test_several_edx_integrations_stop_the_run_naming_them_and_the_param_selects_one(sync: EdxSync, dags: Any) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_360learning.edx.preflight import find_integration

    hook, first = sync.hook, sync.integration()
    other_group = next(g["_id"] for g in hook.iter_action("list_groups") if g["_id"] != first["groupId"])
    body = {"externalPlatform": "edX", "authorId": first["authorId"], "groupId": other_group}  # one per group
    second = hook.call_action("create_integration", body=body)["_id"]
    with pytest.raises(AirflowFailException) as refused:
        find_integration(hook, "", "edX")
    message = str(refused.value)
    assert "2 integrations with external platform 'edX'" in message and "integration_id" in message
    assert f"{first['_id']} (group {first['groupId']}" in message and f"{second} (group {other_group}" in message
    for dag_id in (CATALOG_DAG, STATS_DAG):  # both DAGs stop at preflight, before any read in bulk or write
        result = run_dag(dags[dag_id])
        assert result.state == "failed" and result.states["preflight"] == "failed", dag_id
        assert {t for t, s in result.states.items() if s != "upstream_failed"} == {"preflight"}
    assert sync.writes() == dict.fromkeys(sync.writes(), 0)

    chosen = run_dag(dags[CATALOG_DAG], integration_id=second)
    assert chosen.succeeded, chosen.states
    assert imported(sync, {"_id": second}) == edx_course_keys() and imported(sync, first) == set()
