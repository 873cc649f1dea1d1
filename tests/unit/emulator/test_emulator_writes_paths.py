"""Writes to paths and path sessions, read back: create/edit (multipart), steps, tags, translations,
archive/restore, delete, tokens, sessions, audiences -> enrolments, statistics and metrics."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.emulator.conftest import Api, api_error, multipart, send

UNKNOWN = "0123456789abcdef01234567"


def _new_path(raw: Api, emulator: Any, **extra: Any) -> dict[str, Any]:
    tenant = emulator.state.tenant
    form = {
        "name": "Cloud basics",
        "authorId": tenant.users.object_id(1),
        "groupId": tenant.groups.object_id(2),
        "options": json.dumps({"linearProgression": True}),
        "coverPicture": tenant.media_id(0),
        **extra,
    }
    # A file cannot be sent: the documents pin coverPicture to the ObjectId pattern besides its oneOf.
    created = send(raw, "POST", "/api/v2/paths", files=multipart(form))
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def test_created_path_is_read_back_and_edited(hook: Any, emulator: Any, raw: Api) -> None:
    path = _new_path(raw, emulator)
    assert path["options"]["linearProgression"] is True and path["status"] == "published" and path["coverPicture"]
    assert hook.call_action("get_path", pathId=path["_id"]) == path
    assert path["_id"] in {p["_id"] for p in hook.iter_action("list_paths")}
    edited = send(raw, "PATCH", f"/api/v2/paths/{path['_id']}", files=multipart({"name": "Cloud essentials"}))
    assert edited.status_code == 200, edited.text
    assert hook.call_action("get_path", pathId=path["_id"])["name"] == "Cloud essentials"
    bad = send(
        raw,
        "POST",
        "/api/v2/paths",
        files=multipart({"name": "x", "authorId": UNKNOWN, "groupId": emulator.state.tenant.groups.object_id(0)}),
    )
    assert (
        bad.status_code == 404
        and bad.json()["error"]["code"] == "usersNotFound"
        and UNKNOWN in bad.json()["error"]["message"]
    )


def test_steps_tags_translations_and_tokens(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    path = _new_path(raw, emulator)["_id"]
    step = {
        "_id": tenant.courses.object_id(3),
        "type": "course",
        "options": {"optional": False, "showCorrection": "never", "showForum": "never"},
    }
    assert hook.call_action("replace_path_steps", pathId=path, body={"steps": [step]}) == [step]
    assert hook.call_action("get_path", pathId=path)["steps"] == [step]
    missing = api_error(hook, "replace_path_steps", pathId=path, body={"steps": [{**step, "_id": UNKNOWN}]})
    assert (missing.status, missing.code) == (404, "courseStepNotFound") and UNKNOWN in missing.api_message
    assert api_error(hook, "replace_path_steps", pathId=path, body={"steps": [step, step]}).code == "duplicatedStep"
    tags = [tenant.tag_id(1), tenant.tag_id(18)]
    assert hook.call_action("replace_path_tags", pathId=path, body={"tagIds": tags}) == tags
    assert list(hook.iter_action("list_path_tags", pathId=path)) == [
        {"tagId": tags[0], "source": "native"},
        {"tagId": tags[1], "source": "integration"},
    ]
    assert api_error(hook, "replace_path_tags", pathId=path, body={"tagIds": [UNKNOWN]}).code == "tagNotFound"
    hook.call_action("delete_tag", tagId=tags[0])
    assert [t["tagId"] for t in hook.iter_action("list_path_tags", pathId=path)] == [tags[1]]
    translation = {"lang": "fr", "published": True, "translatorIds": [], "translatedFields": {"name": "Bases du cloud"}}
    assert hook.call_action("replace_path_translations", pathId=path, body={"translations": [translation]}) == [
        translation
    ]
    assert hook.call_action("get_path", pathId=path)["translations"] == [translation]
    twice = api_error(hook, "replace_path_translations", pathId=path, body={"translations": [translation, translation]})
    assert twice.code == "nonUniqueLangEntries"
    hook.call_action(
        "add_tokens",
        body={
            "pathId": path,
            "groupId": tenant.groups.object_id(0),
            "authorId": tenant.users.object_id(0),
            "numberTokensBought": 5,
        },
    )
    assert emulator.state.relation("path_tokens")[(path, tenant.groups.object_id(0))] == 5


def test_archive_restore_and_delete(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    path = _new_path(raw, emulator)["_id"]
    assert hook.call_action("archive_restore_path", pathId=path, body={"archived": True}) is None
    assert path in {p["_id"] for p in hook.iter_action("list_paths", status={"eq": "archived"})}
    assert api_error(hook, "replace_path_tags", pathId=path, body={"tagIds": []}).code == "pathArchived"
    hook.call_action("archive_restore_path", pathId=path, body={"archived": False})
    assert hook.call_action("get_path", pathId=path)["status"] == "published"
    running = api_error(hook, "archive_restore_path", pathId=tenant.path_ids[0], body={"archived": True})
    assert running.code == "pathHasRunningSessions"
    outer = _new_path(raw, emulator)["_id"]
    step = {"_id": path, "type": "path", "options": {"optional": False}}
    hook.call_action("replace_path_steps", pathId=outer, body={"steps": [step]})
    used = api_error(hook, "delete_path", pathId=path)
    assert (used.status, used.code) == (409, "pathIsUsedAsATraining")
    hook.call_action("delete_path", pathId=outer)
    gone = api_error(hook, "get_path", pathId=outer)
    assert (gone.status, gone.code) == (404, "pathNotFound") and outer in gone.api_message


def test_session_audience_enrols_and_shows_in_stats_enrollments_and_metrics(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    path = _new_path(raw, emulator)["_id"]
    body = {
        "name": "Spring",
        "mainInstructorId": tenant.users.object_id(1),
        "registrationRequestValidation": "disabled",
        "startDate": "2026-02-01T09:00:00.000Z",
        "endDate": "2099-01-01T00:00:00.000Z",
    }
    session = hook.call_action("create_path_session", pathId=path, body=body)
    assert hook.call_action("get_path_session", pathId=path, sessionId=session["_id"]) == session
    assert [s["_id"] for s in hook.iter_action("list_path_sessions", pathId=path)] == [session["_id"]]
    assert session["_id"] in {s["_id"] for s in hook.iter_action("get_all_path_sessions", pathId={"eq": path})}
    edited = hook.call_action("edit_path_session", pathId=path, sessionId=session["_id"], body={"name": "Spring 2026"})
    assert (
        hook.call_action("get_path_session", pathId=path, sessionId=session["_id"])["name"]
        == edited["name"]
        == "Spring 2026"
    )
    learners = [tenant.users.object_id(i) for i in (2, 3, 4)]
    audience = {
        "mode": "manual",
        "filters": [{"type": "users", "ids": learners}, {"type": "excludedLearners", "ids": [learners[2]]}],
    }
    assert (
        hook.call_action("replace_path_session_audience", pathId=path, sessionId=session["_id"], body=audience)
        == audience
    )
    assert hook.call_action("get_path_session_audience", pathId=path, sessionId=session["_id"]) == audience
    stats = list(hook.iter_action("list_path_session_user_stats", pathId=path, sessionId=session["_id"]))
    assert [s["userId"] for s in stats] == learners[:2] and stats[0]["status"] == {"type": "notYetStarted"}
    assert {s["userId"] for s in hook.iter_action("get_path_stats", pathId={"eq": path})} == set(learners[:2])
    enrollments = list(hook.iter_action("list_path_enrollments", pathId=path, status={"eq": "published"}))
    assert [e["userId"] for e in enrollments] == learners[:2]
    metrics = hook.call_action("get_path_session_metrics", pathId=path, sessionId=session["_id"])
    assert metrics["usersCountByStatus"]["notYetStarted"] == 2
    hook.call_action(
        "replace_path_session_audience",
        pathId=path,
        sessionId=session["_id"],
        body={"mode": "manual", "filters": [{"type": "excludedLearners", "ids": [learners[0]]}]},
    )
    archived = list(hook.iter_action("list_path_enrollments", pathId=path, status={"eq": "archived"}))
    assert [e["userId"] for e in archived] == [learners[0]] and archived[0]["archivedAt"]
    unknown = {"mode": "manual", "filters": [{"type": "groups", "ids": [UNKNOWN]}]}
    assert (
        api_error(hook, "replace_path_session_audience", pathId=path, sessionId=session["_id"], body=unknown).code
        == "groupsNotFound"
    )
    hook.call_action("delete_path_session", pathId=path, sessionId=session["_id"])
    assert api_error(hook, "get_path_session", pathId=path, sessionId=session["_id"]).code == "sessionNotFound"


def test_self_enrollment_archive_and_session_errors(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    path, session = tenant.path_ids[0], tenant.session_ids[0]
    stats = list(hook.iter_action("list_path_session_user_stats", pathId=path, sessionId=session))
    self_enrolled = next(s for s in stats if s["selfEnrolled"] and "unenrolledAt" not in s)
    imposed = next(s for s in stats if not s["selfEnrolled"])
    hook.call_action("archive_self_enrollment", pathId=path, sessionId=session, userId=self_enrolled["userId"])
    enrollment = next(
        e
        for e in hook.iter_action("list_path_enrollments", pathId=path, sessionId={"eq": session})
        if e["userId"] == self_enrolled["userId"]
    )
    assert enrollment["status"] == "archived"
    again = api_error(hook, "archive_self_enrollment", pathId=path, sessionId=session, userId=self_enrolled["userId"])
    assert (again.status, again.code) == (404, "learnerNotEnrolled")
    assert (
        api_error(hook, "archive_self_enrollment", pathId=path, sessionId=session, userId=imposed["userId"]).code
        == "learnerNotSelfEnrolled"
    )
    foreign = api_error(hook, "get_path_session_audience", pathId=tenant.path_ids[1], sessionId=session)
    assert foreign.code == "sessionNotBelongToPath"
    assert (
        api_error(hook, "get_path_session_audience", pathId=tenant.path_ids[1], sessionId=tenant.session_ids[3]).code
        == "sessionIsNotAudienceBuilder"
    )
    audience = hook.call_action("get_path_session_audience", pathId=path, sessionId=session)
    assert audience["mode"] == "dynamic"


def test_child_session_and_session_custom_field_values(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    path, root = tenant.path_ids[0], tenant.session_ids[0]
    assert (
        api_error(hook, "edit_child_path_session", pathId=path, childSessionId=root, body={}).code == "rootPathSession"
    )
    child = emulator.state.add_row(
        "path_sessions", {"pathId": path, "rootSessionId": root, "endDate": "2099-01-01T00:00:00.000Z"}
    )
    edited = hook.call_action(
        "edit_child_path_session",
        pathId=path,
        childSessionId=child["_id"],
        body={"additionalInformation": "Bring a laptop"},
    )
    assert (
        hook.call_action("get_path_session", pathId=path, sessionId=child["_id"])["additionalInformation"]
        == edited["additionalInformation"]
    )
    assert (
        api_error(hook, "edit_path_session", pathId=path, sessionId=child["_id"], body={"name": "x"}).code
        == "childPathSession"
    )
    owner = next(f for f in hook.call_action("list_custom_fields") if f["targetType"] == "contents")
    values = [{"customFieldId": owner["_id"], "type": "string", "value": "Jane"}]
    assert (
        hook.call_action(
            "update_path_session_custom_field_values", pathId=path, sessionId=root, body={"customValues": values}
        )
        == values
    )
    assert hook.call_action("get_path_session_custom_field_values", pathId=path, sessionId=root) == values
