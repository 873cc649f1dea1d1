"""The Bulk API emulation: submission (202 + Location), states over the clock, per-object results, the
documented 400/404/429, and the effect of every bulk operation read back through the core API."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.__main__ import config_from_args
from airflow_provider_360learning.emulator.handlers import HANDLERS
from tests.unit.emulator.conftest import Api, api_error, send

UNKNOWN = "0123456789abcdef01234567"


def submit(raw: Api, method: str, path: str, items: list[dict[str, Any]]) -> str:
    """Submit a bulk operation; its id, from the ``Location`` header of the 202."""
    response = send(raw, method, f"/api/v2/bulk{path}", json={"input": items})
    assert response.status_code == 202 and not response.content, response.text
    location = response.headers["location"]
    assert location.startswith(f"{raw.server.url}/api/v2/bulk/operations/")
    return location.rsplit("/", 1)[1]


def finish(emulator: Any, hook: Any, oid: str) -> list[dict[str, Any]]:
    """Let the operation run to its end (3 states of 1 s) and return its results."""
    emulator.state.advance_time(3)
    assert hook.call_action("get_bulk_operation", bulkOperationId=oid)["status"] == "completed"
    return hook.call_action("get_bulk_operation_results", bulkOperationId=oid)  # type: ignore[no-any-return]


def run(
    raw: Api, emulator: Any, hook: Any, method: str, path: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return finish(emulator, hook, submit(raw, method, path, items))


def course_item(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "externalId": external_id,
        "name": f"Course {external_id}",
        "defaultLang": "en",
        "sources": [{"name": "Acme"}],
        "launchUrl": f"https://lms.example.com/{external_id}",
        "subjects": ["Data"],
        "duration": 30,
        **fields,
    }


def integration(emulator: Any, i: int = 0) -> dict[str, Any]:
    state = emulator.state
    return state.get_row("integrations", state.collection("integrations").object_id(i))  # type: ignore[no-any-return]


def test_every_bulk_and_webhook_action_has_a_handler() -> None:
    bulk = {a.name for a in ACTIONS.values() if a.api == "bulk"}
    webhook = {a.name for a in ACTIONS.values() if a.api == "webhook"}
    assert (len(bulk), len(webhook)) == (23, 10) and not (bulk | webhook) - set(HANDLERS)


def test_cli_flag_sets_the_speed() -> None:
    assert config_from_args([]).bulk_seconds_per_state == 1
    assert config_from_args(["--bulk-seconds-per-state", "0"]).bulk_seconds_per_state == 0
    with pytest.raises(SystemExit):
        config_from_args(["--bulk-seconds-per-state", "-1"])


def test_states_follow_the_clock(hook: Any, emulator: Any, raw: Api) -> None:
    emulator.state.freeze_time()  # only advance_time moves the clock: a slow machine cannot skip a state
    integration_id = integration(emulator)["_id"]
    oid = submit(raw, "PUT", f"/integrations/{integration_id}/courses", [course_item("c-1"), course_item("c-2")])
    pending = hook.call_action("get_bulk_operation", bulkOperationId=oid)
    assert (pending["status"], pending["type"]) == ("pending", "importExternalCourses") and "queuedAt" not in pending
    assert api_error(hook, "get_bulk_operation_results", bulkOperationId=oid).code == "bulkOperationNotRun"
    assert api_error(hook, "get_external_course", integrationId=integration_id, externalId="c-1").code == (
        "courseNotBelongToIntegration"
    ), "no effect before the operation ends"
    emulator.state.advance_time(1)
    assert hook.call_action("get_bulk_operation", bulkOperationId=oid)["status"] == "queued"
    emulator.state.advance_time(1.5)
    running = hook.call_action("get_bulk_operation", bulkOperationId=oid)
    assert running["status"] == "running" and running["progress"]["index"] == 0 and "startedAt" in running
    assert [o["_id"] for o in hook.iter_action("get_bulk_operations", status={"eq": "running"})] == [oid]
    emulator.state.advance_time(0.5)
    done = hook.call_action("get_bulk_operation", bulkOperationId=oid)
    assert done["status"] == "completed" and done["progress"]["index"] == 1
    assert done["createdAt"] <= done["queuedAt"] <= done["startedAt"] <= done["endedAt"]
    results = hook.call_action("get_bulk_operation_results", bulkOperationId=oid)
    assert [(r["status"], r["input"]["externalId"]) for r in results] == [("success", "c-1"), ("success", "c-2")]
    assert [o["_id"] for o in hook.iter_action("get_bulk_operations", type={"eq": "importExternalCourses"})] == [oid]
    assert not list(hook.iter_action("get_bulk_operations", type={"eq": "deleteGroups"}))
    assert api_error(hook, "get_bulk_operation", bulkOperationId=UNKNOWN).code == "bulkOperationNotFound"


def test_zero_seconds_per_state_completes_at_the_first_read(emulator_factory: Any, make_api: Any) -> None:
    from tests.conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET

    server = emulator_factory(bulk_seconds_per_state=0)
    raw = make_api(server, client_id=TEST_CLIENT_ID, secret=TEST_CLIENT_SECRET)
    group = server.state.tenant.groups.object_id(2)
    oid = submit(
        raw,
        "POST",
        "/groups/memberships",
        [{"userId": server.state.tenant.users.object_id(5), "groupId": group, "role": "coach"}],
    )
    operation = raw.get(f"/api/v2/bulk/operations/{oid}").json()
    assert operation["status"] == "completed" and operation["createdAt"] == operation["endedAt"]


def test_external_courses_upsert_archive_and_their_catalogs(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    seeded = integration(emulator)
    base = f"/integrations/{seeded['_id']}/courses"
    items = [course_item("x-1", description="Intro"), course_item("x-2", authorId=UNKNOWN), course_item("x-3")]
    results = run(raw, emulator, hook, "PUT", base, items)
    assert [r["status"] for r in results] == ["success", "error", "success"]
    assert UNKNOWN in results[1]["errorMessage"] and results[1]["input"] == items[1]
    external = hook.call_action("get_external_course", integrationId=seeded["_id"], externalId="x-1")
    course_id = results[0]["resourceId"]
    assert external["courseId"] == course_id and external["authorId"] == seeded["authorId"]
    assert external["launchUrl"] == items[0]["launchUrl"] and external["description"] == "Intro"
    course = hook.call_action("get_course", courseId=course_id)
    assert (course["type"], course["externalPlatform"], course["groupId"], course["status"]) == (
        "external",
        seeded["externalPlatform"],
        seeded["groupId"],
        "published",
    )
    assert course_id in {c["_id"] for c in hook.iter_action("list_courses", type={"eq": "external"})}
    catalog = set(hook.iter_action("list_group_catalog_content_ids", groupId=seeded["groupId"], contentType="course"))
    library = set(hook.iter_action("list_group_library_content_ids", groupId=seeded["groupId"], contentType="course"))
    assert course_id in catalog and course_id in library
    # Skills set in 360Learning (control interface) survive an upsert that renames the course.
    skill = state.collection("skills").object_id(0)
    assert raw.http.put(f"/_emulator/courses/{course_id}/skills", json={"skillIds": [skill]}).status_code == 200
    again = run(raw, emulator, hook, "PUT", base, [course_item("x-1", name="Intro, second edition")])
    assert again[0]["resourceId"] == course_id, "same externalId, same course"
    assert hook.call_action("get_course", courseId=course_id)["name"] == "Intro, second edition"
    assert raw.http.get(f"/_emulator/courses/{course_id}/skills").json()["skillIds"] == [skill]
    # Archiving: out of the catalog, still in the library and readable; unknown ids are per-object errors.
    archived = run(raw, emulator, hook, "DELETE", base, [{"externalId": "x-1"}, {"externalId": "nope"}])
    assert [r["status"] for r in archived] == ["success", "error"] and "nope" in archived[1]["errorMessage"]
    assert hook.call_action("get_course", courseId=course_id)["status"] == "archived"
    assert course_id not in set(
        hook.iter_action("list_group_catalog_content_ids", groupId=seeded["groupId"], contentType="course")
    )
    assert course_id in set(
        hook.iter_action("list_group_library_content_ids", groupId=seeded["groupId"], contentType="course")
    )
    assert (
        hook.call_action("get_external_course", integrationId=seeded["_id"], externalId="x-1")["courseId"] == course_id
    )
    run(raw, emulator, hook, "PUT", base, [course_item("x-1")])
    assert hook.call_action("get_course", courseId=course_id)["status"] == "published", "an upsert publishes again"
    # A seeded external course is replaced in place.
    seeded_ext = next(c for c in state.rows("courses") if c.get("externalPlatform") == seeded["externalPlatform"])
    index = state.tenant.courses.index_of(seeded_ext["_id"])
    replaced = run(raw, emulator, hook, "PUT", base, [course_item(f"LIL-{index}", name="Renamed")])
    assert replaced[0]["resourceId"] == seeded_ext["_id"]
    assert (
        hook.call_action("get_external_course", integrationId=seeded["_id"], externalId=f"LIL-{index}")["name"]
        == "Renamed"
    )


def test_statistics_attach_to_users_and_courses(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    seeded = integration(emulator)
    run(raw, emulator, hook, "PUT", f"/integrations/{seeded['_id']}/courses", [course_item("s-1")])
    course_id = hook.call_action("get_external_course", integrationId=seeded["_id"], externalId="s-1")["courseId"]
    user = state.get_row("users", state.tenant.users.object_id(3))
    by_mail = {"type": "mail", "value": user["mail"]}
    stat = {
        "courseIdentifier": {"type": "externalId", "value": "s-1"},
        "userIdentifier": by_mail,
        "progress": 40,
        "timeSpent": 60_000,
        "firstActivityAt": "2026-03-01T10:00:00.000Z",
        "lastActivityAt": "2026-03-01T11:00:00.000Z",
    }
    stats_path = f"/integrations/{seeded['_id']}/stats"

    def attempts() -> list[dict[str, Any]]:
        return list(hook.iter_action("list_courses_statistics", courseId={"eq": course_id}))

    first = run(
        raw, emulator, hook, "POST", stats_path, [stat, {**stat, "userIdentifier": {"type": "mail", "value": "x@y.z"}}]
    )
    assert [r["status"] for r in first] == ["success", "error"]
    [attempt] = attempts()
    assert (attempt["_id"], attempt["userId"], attempt["progress"]) == (first[0]["resourceId"], user["_id"], 40)
    # Same firstActivityAt again, forceNew or not: the same attempt, updated, never a second one.
    done = {**stat, "progress": 100, "score": 90, "lastActivityAt": "2026-03-02T09:00:00.000Z"}
    run(raw, emulator, hook, "POST", stats_path, [done, {**done, "forceNew": True}])
    [attempt] = attempts()
    assert (attempt["progress"], attempt["score"], attempt["completedAt"]) == (100, 90, "2026-03-02T09:00:00.000Z")
    # Starting after every attempt ended: a new attempt; forceNew: another one; by internal ids too.
    later = {
        **stat,
        "courseIdentifier": {"type": "internalId", "value": course_id},
        "userIdentifier": {"type": "internalId", "value": user["_id"]},
        "firstActivityAt": "2026-04-01T10:00:00.000Z",
        "lastActivityAt": "2026-04-01T10:30:00.000Z",
    }
    run(raw, emulator, hook, "POST", stats_path, [later])
    run(
        raw,
        emulator,
        hook,
        "POST",
        stats_path,
        [{**later, "forceNew": True, "firstActivityAt": "2026-03-01T10:30:00.000Z"}],
    )
    assert len(attempts()) == 3
    # Overlapping, not forced: updates the unfinished attempts it overlaps.
    run(
        raw,
        emulator,
        hook,
        "POST",
        stats_path,
        [
            {
                **later,
                "firstActivityAt": "2026-04-01T10:10:00.000Z",
                "progress": 70,
                "lastActivityAt": "2026-04-01T10:40:00.000Z",
            }
        ],
    )
    assert len(attempts()) == 3 and 70 in {a["progress"] for a in attempts()}
    assert {a["_id"] for a in hook.iter_action("list_courses_statistics", userId={"eq": user["_id"]})} >= {
        a["_id"] for a in attempts()
    }
    other = run(
        raw, emulator, hook, "POST", stats_path, [{**stat, "courseIdentifier": {"type": "externalId", "value": "zz"}}]
    )
    assert other[0]["status"] == "error" and "zz" in other[0]["errorMessage"]


def test_operation_whose_integration_vanished_ends_in_error(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    created = hook.call_action(
        "create_integration",
        body={
            "externalPlatform": "Pluralsight",
            "authorId": tenant.users.object_id(0),
            "groupId": tenant.groups.object_id(3),
        },
    )
    oid = submit(raw, "PUT", f"/integrations/{created['_id']}/courses", [course_item("p-1")])
    hook.call_action("delete_integration", integrationId=created["_id"])
    emulator.state.advance_time(3)
    failed = hook.call_action("get_bulk_operation", bulkOperationId=oid)
    assert failed["status"] == "error" and created["_id"] in failed["errorMessage"]
    [result] = hook.call_action("get_bulk_operation_results", bulkOperationId=oid)
    assert result["status"] == "error" and result["errorMessage"] == failed["errorMessage"]
    missing = send(raw, "PUT", f"/api/v2/bulk/integrations/{UNKNOWN}/courses", json={"input": []})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "integrationNotFound"


def test_group_catalog_library_memberships_and_deletion(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    tenant = state.tenant
    target = tenant.groups.object_id(5)
    course = next(c for c in state.rows("courses") if c["groupId"] != target and c["status"] == "published")
    path = tenant.paths.object_id(1)
    session = tenant.path_sessions.object_id(1)

    def ids(kind: str, content_type: str) -> set[str]:
        return set(hook.iter_action(f"list_group_{kind}_content_ids", groupId=target, contentType=content_type))

    added = run(
        raw,
        emulator,
        hook,
        "POST",
        "/groups/catalog",
        [
            {"groupId": target, "contentType": "course", "contentId": course["_id"]},
            {"groupId": target, "contentType": "path-session", "contentId": session},
            {"groupId": UNKNOWN, "contentType": "course", "contentId": course["_id"]},
            {"groupId": target, "contentType": "course", "contentId": UNKNOWN},
        ],
    )
    assert [r["status"] for r in added] == ["success", "success", "error", "error"] and added[0]["resourceId"] == target
    assert course["_id"] in ids("catalog", "course") and session in ids("catalog", "path-session")
    run(
        raw,
        emulator,
        hook,
        "DELETE",
        "/groups/catalog",
        [{"groupId": target, "contentType": "course", "contentId": course["_id"]}],
    )
    assert course["_id"] not in ids("catalog", "course") and session in ids("catalog", "path-session")
    run(
        raw,
        emulator,
        hook,
        "POST",
        "/groups/library",
        [
            {"groupId": target, "contentType": "path", "contentId": path},
            {"groupId": target, "contentType": "course", "contentId": course["_id"]},
        ],
    )
    assert path in ids("library", "path") and course["_id"] in ids("library", "course")
    run(
        raw,
        emulator,
        hook,
        "DELETE",
        "/groups/library",
        [{"groupId": target, "contentType": "path", "contentId": path}],
    )
    assert path not in ids("library", "path")
    own_courses = [c for c in state.rows("courses") if c["groupId"] == target]
    assert {c["_id"] for c in own_courses if c["status"] != "deleted"} <= ids("library", "course")
    assert not {c["_id"] for c in own_courses if c["status"] == "deleted"} & ids("library", "course")
    for own in sorted(ids("library", "course") - {course["_id"]}):  # the group's own courses can leave it too
        run(
            raw,
            emulator,
            hook,
            "DELETE",
            "/groups/library",
            [{"groupId": target, "contentType": "course", "contentId": own}],
        )
    assert ids("library", "course") == {course["_id"]}

    # Memberships: a learner removed from a group also leaves its public subgroups.
    user = tenant.users.object_id(7)
    child = hook.call_action("create_group", body={"name": "Public child", "public": True, "parentId": target})
    joined = run(
        raw,
        emulator,
        hook,
        "POST",
        "/groups/memberships",
        [
            {"userId": user, "groupId": target, "role": "learner"},
            {"userId": user, "groupId": child["_id"], "role": "learner"},
            {"userId": user, "groupId": target, "role": "coach"},
            {"userId": UNKNOWN, "groupId": target, "role": "learner"},
        ],
    )
    assert [r["status"] for r in joined] == ["success", "success", "success", "error"]
    roles = {(r["groupId"], r["role"]) for r in hook.iter_action("get_user_roles_in_groups", userId=user)}
    assert {(target, "learner"), (child["_id"], "learner"), (target, "coach")} <= roles
    assert {"userId": user, "role": "coach"} in list(hook.iter_action("list_group_memberships", groupId=target))
    left = run(
        raw,
        emulator,
        hook,
        "DELETE",
        "/groups/memberships",
        [{"userId": user, "groupId": target, "role": "learner"}, {"userId": user, "groupId": target, "role": "admin"}],
    )
    assert [r["status"] for r in left] == ["success", "error"]
    roles = {(r["groupId"], r["role"]) for r in hook.iter_action("get_user_roles_in_groups", userId=user)}
    assert (target, "coach") in roles and (target, "learner") not in roles and (child["_id"], "learner") not in roles

    # Deleting groups takes their subtrees and courses; the root and unknown groups are per-object errors.
    doomed_course = next(c for c in state.rows("courses") if c["groupId"] == target and c["status"] != "deleted")
    deleted = run(
        raw,
        emulator,
        hook,
        "DELETE",
        "/groups",
        [{"groupId": target}, {"groupId": tenant.groups.object_id(0)}, {"groupId": UNKNOWN}],
    )
    assert [r["status"] for r in deleted] == ["success", "error", "error"]
    assert api_error(hook, "get_group", groupId=target).code == "groupNotFound"
    assert api_error(hook, "get_group", groupId=child["_id"]).code == "groupNotFound"
    assert hook.call_action("get_course", courseId=doomed_course["_id"])["status"] == "deleted"


def test_skills_framework(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    tenant = state.tenant
    [library] = run(raw, emulator, hook, "PUT", "/skills/libraries", [{"externalId": "lib-dev", "name": "Development"}])
    results = run(
        raw,
        emulator,
        hook,
        "PUT",
        "/skills",
        [
            {"externalId": "sk-py", "name": "Python", "parentExternalIds": ["lib-dev"]},
            {
                "externalId": "sk-async",
                "name": "Asyncio",
                "parentExternalIds": ["sk-py"],
                "translations": [{"lang": "fr", "translatedFields": {"name": "Asynchronisme"}}],
            },
            {"externalId": "sk-bad", "name": "Orphan", "parentExternalIds": ["nowhere"]},
        ],
    )
    assert [r["status"] for r in results] == ["success", "success", "error"]
    skills = {s["externalId"]: s for s in hook.iter_action("get_skills") if "externalId" in s}
    assert skills["sk-py"]["parents"] == [{"_id": library["resourceId"], "externalId": "lib-dev"}]
    assert skills["sk-async"]["parents"][0]["_id"] == skills["sk-py"]["_id"] and skills["sk-async"]["translations"]
    run(raw, emulator, hook, "PUT", "/skills", [{"externalId": "sk-py", "name": "Python 3", "parentExternalIds": []}])
    assert {s["externalId"]: s["name"] for s in hook.iter_action("get_skills") if "externalId" in s}[
        "sk-py"
    ] == "Python 3"
    # Jobs: upserted ones are usable by the core replace_user_jobs; job skills; users' jobs by status.
    jobs = run(
        raw,
        emulator,
        hook,
        "PUT",
        "/skills/jobs",
        [{"externalId": "job-sre", "name": "SRE"}, {"externalId": "job-x", "name": "X", "parentExternalId": "nope"}],
    )
    assert [r["status"] for r in jobs] == ["success", "error"]
    user = tenant.users.object_id(4)
    assert hook.call_action("replace_user_jobs", userId=user, body={"jobIds": ["job-sre"]}) == ["job-sre"]
    run(
        raw,
        emulator,
        hook,
        "PUT",
        "/skills/jobs-skills",
        [{"jobId": "job-sre", "skillId": "sk-py"}, {"jobId": "job-sre", "skillId": "sk-async"}],
    )
    assert [s["skillId"] for s in state.relation("job_skills")["job-sre"]] == [
        skills["sk-py"]["_id"],
        skills["sk-async"]["_id"],
    ]
    users_jobs = run(
        raw,
        emulator,
        hook,
        "PUT",
        "/skills/users/jobs",
        [
            {"userId": user, "currentJobIds": [], "targetJobIds": ["job-sre"]},
            {"userId": user, "targetJobIds": ["job-none"]},
        ],
    )
    assert [r["status"] for r in users_jobs] == ["success", "error"]
    assert state.relation("user_jobs")[user] == [] and state.relation("user_jobs_by_status")[user] == {
        "target": ["job-sre"]
    }
    # Reviews give, validate and remove skills of users (powers).
    reviewer = tenant.users.object_id(0)
    review = {"userId": user, "assessorId": reviewer, "skillId": "sk-py"}
    run(raw, emulator, hook, "POST", "/skills/reviews", [{**review, "actionType": "skillAdded"}])
    [power] = hook.iter_action("get_powers", userId={"eq": user}, skillId={"eq": skills["sk-py"]["_id"]})
    assert power["status"] == "toAssess"
    run(raw, emulator, hook, "POST", "/skills/reviews", [{**review, "actionType": "skillAssessed", "comment": "Good"}])
    assert (
        next(hook.iter_action("get_powers", userId={"eq": user}, skillId={"eq": skills["sk-py"]["_id"]}))["status"]
        == "validated"
    )
    removed = run(
        raw,
        emulator,
        hook,
        "POST",
        "/skills/reviews",
        [{**review, "actionType": "skillDeleted"}, {**review, "actionType": "skillDeleted"}],
    )
    assert [r["status"] for r in removed] == ["success", "error"]
    assert not list(hook.iter_action("get_powers", userId={"eq": user}, skillId={"eq": skills["sk-py"]["_id"]}))
    # Deletions.
    assert [
        r["status"]
        for r in run(raw, emulator, hook, "DELETE", "/skills/jobs", [{"externalId": "job-sre"}, {"externalId": "no"}])
    ] == ["success", "error"]
    assert (
        api_error(hook, "replace_user_jobs", userId=user, body={"jobIds": ["job-sre"]}).code == "jobExternalIdNotFound"
    )
    run(raw, emulator, hook, "DELETE", "/skills", [{"externalId": "sk-async"}])
    assert "sk-async" not in {s.get("externalId") for s in hook.iter_action("get_skills")}
    assert (
        run(raw, emulator, hook, "DELETE", "/skills/libraries", [{"externalId": "lib-dev"}])[0]["status"] == "success"
    )
    assert "lib-dev" not in state.relation("skill_libraries")


def test_notification_subscriptions_by_mail(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    user = state.get_row("users", state.tenant.users.object_id(2))
    results = run(
        raw,
        emulator,
        hook,
        "POST",
        "/notifications/subscriptions",
        [{"mail": user["mail"], "type": "deactivation"}, {"mail": "nobody@example.org", "type": "activation"}],
    )
    assert [r["status"] for r in results] == ["success", "error"] and results[0]["resourceId"] == user["_id"]
    assert state.relation("notification_subscriptions")[user["_id"]] is False


def test_hook_submits_and_the_operation_is_listed(hook: Any, emulator: Any) -> None:
    user, group = emulator.state.tenant.users.object_id(9), emulator.state.tenant.groups.object_id(4)
    oid = hook.submit_bulk(
        "add_users_to_groups", body={"input": [{"userId": user, "groupId": group, "role": "editor"}]}
    )
    assert [o["_id"] for o in hook.iter_action("get_bulk_operations")] == [oid]
    finish(emulator, hook, oid)
    assert {"groupId": group, "role": "editor"} in list(hook.iter_action("get_user_roles_in_groups", userId=user))


# -- the documented 400s, 429, and objects outside the item schema (raw requests outside the contract) ----------
def test_input_too_long_and_invalid_input(api: Api, learning360_emulator: Any) -> None:
    group, course = (
        learning360_emulator.state.tenant.groups.object_id(1),
        learning360_emulator.state.tenant.courses.object_id(0),
    )
    item = {"groupId": group, "contentType": "course", "contentId": course}
    limits = {
        "/groups/catalog": 20_000,
        "/groups": 2_000,
        f"/integrations/{learning360_emulator.state.collection('integrations').object_id(0)}/courses": 1_000,
    }
    for path, limit in limits.items():
        too_long = send(api, "DELETE", f"/api/v2/bulk{path}", json={"input": [item] * (limit + 1)})
        assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "inputTooLong", path
        assert f"{limit:,}" in too_long.json()["error"]["message"]
    for body in ({"input": {"a": 1}}, {"items": []}, [], {"input": [1, 2]}):
        invalid = send(api, "POST", "/api/v2/bulk/groups/catalog", json=body)
        assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "invalidInput"
    at_limit = send(api, "POST", "/api/v2/bulk/groups/catalog", json={"input": [item] * 20_000})
    assert at_limit.status_code == 202


def test_objects_outside_the_item_schema_are_per_object_errors(api: Api, learning360_emulator: Any) -> None:
    group = learning360_emulator.state.tenant.groups.object_id(1)
    response = send(
        api,
        "POST",
        "/api/v2/bulk/groups/memberships",
        json={
            "input": [
                {"userId": learning360_emulator.state.tenant.users.object_id(1), "groupId": group, "role": "learner"},
                {"userId": "not-an-id", "groupId": group, "role": "learner"},
                {"groupId": group, "role": "king"},
                {
                    "userId": learning360_emulator.state.tenant.users.object_id(2),
                    "groupId": group,
                    "role": "learner",
                    "rank": 1,
                },
            ]
        },
    )
    oid = response.headers["location"].rsplit("/", 1)[1]
    learning360_emulator.state.advance_time(3)
    results = api.get(f"/api/v2/bulk/operations/{oid}/results").json()
    assert [r["status"] for r in results] == ["success", "error", "error", "error"]
    assert all(r["errorMessage"].startswith("Invalid object") for r in results[1:])
    assert "'rank'" in results[3]["errorMessage"]


def test_too_many_unfinished_operations_get_429(api: Api, learning360_emulator: Any) -> None:
    from airflow_provider_360learning.emulator.handlers.bulk.operations import MAX_UNFINISHED

    def post() -> Any:
        return send(api, "POST", "/api/v2/bulk/groups/catalog", json={"input": []})

    assert all(post().status_code == 202 for _ in range(MAX_UNFINISHED))
    refused = post()
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "bulkOperationsConcurrencyLimitReached"
    assert int(refused.headers["retry-after"]) >= 1
    learning360_emulator.state.advance_time(3)
    assert post().status_code == 202


def test_ten_thousand_external_courses_in_one_operation(hook: Any, emulator: Any, raw: Api) -> None:
    integration_id = integration(emulator)["_id"]
    items = [course_item(f"big-{i}") for i in range(10_000)]
    oid = submit(raw, "PUT", f"/integrations/{integration_id}/courses", items)
    operation = emulator.state.relation("bulk_operations")[oid]
    assert len(operation.body) < 200_000, "the input is kept compressed"
    results = finish(emulator, hook, oid)
    assert len(results) == 10_000 and all(r["status"] == "success" for r in results)
    assert (
        hook.call_action("get_external_course", integrationId=integration_id, externalId="big-9999")["name"]
        == "Course big-9999"
    )
