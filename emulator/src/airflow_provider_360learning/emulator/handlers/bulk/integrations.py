"""Bulk writes to an integration: external courses (upsert, archive) and the statistics of learners on them.

An imported external course is a course of type ``external`` in the integration's group (so in that
group's library, and in its catalog while published), authored by the item's ``authorId`` or the
integration's. Upserting replaces the fields the import gives and publishes the course again; what
360Learning keeps for itself (tags, skills, co-authors, creation date) stays.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.events import emit
from airflow_provider_360learning.emulator.handlers.bulk.operations import (
    ObjectError,
    OperationError,
    Row,
    Run,
    api_date,
    bulk,
)
from airflow_provider_360learning.emulator.handlers.integrations import external_course, store_external_course
from airflow_provider_360learning.emulator.handlers.users import find_user

_ANSWER_FIELDS = (
    "externalId",
    "name",
    "defaultLang",
    "launchUrl",
    "mobileLaunchUrl",
    "sources",
    "subjects",
    "contentType",
    "description",
    "difficultyLevel",
    "duration",
    "imageUrl",
    "translations",
)


def _integration(run: Run) -> None:
    """The whole operation fails when its integration is gone by the time it runs."""
    integration_id = run.op.params["integrationId"]
    integration = run.state.get_row("integrations", integration_id)
    if integration is None:
        raise OperationError(f"The integration {integration_id} was deleted before the operation ran.")
    run.cache["integration"] = integration


def _author(run: Run, item: Row) -> str:
    author_id = str(item.get("authorId") or run.cache["integration"]["authorId"]).lower()
    author = run.state.get_row("users", author_id)
    if author is None or author["status"] == "deleted":
        raise ObjectError(f"The authorId {author_id} does not correspond to any existing user.")
    return author_id


@bulk("import_external_courses", "importExternalCourses", prepare=_integration)
def import_external_course(run: Run, item: Row) -> str:
    state, integration = run.state, run.cache["integration"]
    author = _author(run, item)
    fields: dict[str, Any] = {
        "name": item["name"],
        "defaultLang": item["defaultLang"],
        "authorId": author,
        "status": "published",
        "modifiedAt": run.now,
        "description": item.get("description"),
        "duration": item.get("duration"),
    }
    existing = external_course(state, integration, item["externalId"])
    if existing is not None:
        course = state.patch_row("courses", existing["courseId"], fields)
    else:
        course = state.add_row(
            "courses",
            {
                **{k: v for k, v in fields.items() if v is not None},
                "sourceLang": item["defaultLang"],
                "groupId": integration["groupId"],
                "coAuthorIds": [],
                "createdAt": run.now,
                "translations": [],
                "type": "external",
                "externalPlatform": integration["externalPlatform"],
                "currentVersionNumber": 1,
                "originalAuthorId": author,
                "tagIds": [],
            },
            fill=False,
            validate=False,
        )
    answer = {k: item[k] for k in _ANSWER_FIELDS if k in item}
    store_external_course(
        state, integration["_id"], {"translations": [], **answer, "authorId": author, "courseId": course["_id"]}
    )
    return str(course["_id"])


@bulk("archive_external_courses", "archiveExternalCourses", prepare=_integration)
def archive_external_course(run: Run, item: Row) -> str:
    """The course becomes ``archived`` (out of catalogs, still readable); archiving twice changes nothing."""
    answer = external_course(run.state, run.cache["integration"], item["externalId"])
    if answer is None:
        raise ObjectError(
            f"The external course {item['externalId']} does not belong to the integration "
            f"{run.cache['integration']['_id']}."
        )
    course = run.state.get_row("courses", answer["courseId"])
    if course is None or course["status"] == "deleted":
        raise ObjectError(f"The external course {item['externalId']} was deleted.")
    if course["status"] != "archived":
        run.state.patch_row("courses", course["_id"], {"status": "archived"})
    return str(course["_id"])


# -- statistics ----------------------------------------------------------------------------------
def _course(run: Run, identifier: Row) -> Row:
    state, integration = run.state, run.cache["integration"]
    value = identifier["value"]
    if identifier["type"] == "externalId":
        answer = external_course(state, integration, value)
        course = state.get_row("courses", answer["courseId"]) if answer is not None else None
    else:
        course = state.get_row("courses", value) if len(value) == 24 else None
        if course is not None and course.get("externalPlatform") != integration["externalPlatform"]:
            course = None
    if course is None or course["status"] == "deleted":
        raise ObjectError(
            f"The course {identifier['type']} {value} does not belong to the integration {integration['_id']}."
        )
    return course


def _learner(run: Run, identifier: Row) -> Row:
    value = identifier["value"]
    if identifier["type"] == "mail":
        user = find_user(run.state, "mail", value)
    else:
        user = run.state.get_row("users", value) if len(value) == 24 else None
    if user is None or user["status"] == "deleted":
        raise ObjectError(f"The user {identifier['type']} {value} does not correspond to any existing user.")
    return user


def _attempts(run: Run, course_id: str, user_id: str) -> list[Row]:
    """Current attempts of a learner on a course: generated statistics (indexed once per run) and imported ones."""
    state = run.state
    generated: dict[tuple[str, str], list[str]] | None = run.cache.get("generated")
    if generated is None:
        stats = state.tenant.course_stats
        generated = run.cache["generated"] = {}
        for i in range(len(stats)):
            row = stats.item(i)
            generated.setdefault((row["courseId"], row["userId"]), []).append(row["_id"])
    ids = [*generated.get((course_id, user_id), ()), *state.relation("imported_attempts").get((course_id, user_id), ())]
    return [row for row in (state.get_row("course_stats", i) for i in ids) if row is not None]


def _closed(run: Run, attempt: Row) -> None:
    if "completedAt" in attempt:
        emit(
            run.state,
            "course.attempt.closed",
            {
                "attemptId": attempt["_id"],
                "closedAt": attempt["completedAt"],
                "userId": attempt["userId"],
                "courseId": attempt["courseId"],
                "reason": "learnerFinished",
                "context": {},
            },
            run.at,
        )


@bulk("import_external_statistics", "importExternalStatistics", prepare=_integration)
def import_external_statistic(run: Run, item: Row) -> str:
    """An attempt is created when ``forceNew``, when the learner has none, or when it starts after all of them
    end; otherwise the unfinished attempts it overlaps are updated. The same attempt imported again (same
    ``firstActivityAt``) is never created twice, ``forceNew`` or not."""
    state = run.state
    course, user = _course(run, item["courseIdentifier"]), _learner(run, item["userIdentifier"])
    first, last = api_date(item["firstActivityAt"]), api_date(item["lastActivityAt"])
    if last < first:
        raise ObjectError("lastActivityAt is before firstActivityAt.")
    fields: dict[str, Any] = {
        "progress": round(item["progress"]),
        "timeSpent": item["timeSpent"],
        "lastActivityAt": last,
    }
    if "score" in item:
        fields["score"] = round(item["score"])
    if fields["progress"] >= 100:
        fields["completedAt"] = last
    attempts = _attempts(run, course["_id"], user["_id"])
    same = next((a for a in attempts if a.get("firstActivityAt") == first), None)
    ends = [a.get("completedAt") or a.get("lastActivityAt") or "" for a in attempts]
    if same is None and (item.get("forceNew") or not attempts or all(first > end for end in ends)):
        attempt = state.add_row(
            "course_stats",
            {
                **fields,
                "courseId": course["_id"],
                "userId": user["_id"],
                "firstActivityAt": first,
                "lang": item.get("lang", course["defaultLang"]),
                "versionNumber": course.get("currentVersionNumber", 1),
            },
            fill=False,
            validate=False,
        )
        state.relation("imported_attempts").setdefault((course["_id"], user["_id"]), []).append(attempt["_id"])
        _closed(run, attempt)
        return str(attempt["_id"])
    targets = (
        [same]
        if same is not None
        else [a for a, end in zip(attempts, ends, strict=True) if "completedAt" not in a and first < end]
    )
    for attempt in targets:
        if "completedAt" not in attempt:
            _closed(run, state.patch_row("course_stats", attempt["_id"], fields))
    return str((targets or attempts)[0]["_id"])
