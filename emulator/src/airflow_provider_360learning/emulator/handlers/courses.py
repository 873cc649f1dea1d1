"""Courses: e-learning standard packages (multipart create and update), generation from a prompt, archive/restore."""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.bodies import Upload
from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import (
    Resource,
    check_references,
    create_row,
    crud,
    get_row,
    new_media,
    update_row,
)
from airflow_provider_360learning.emulator.pagination import Row

COURSES = crud(
    Resource(
        "courses",
        "courseId",
        "courseNotFound",
        "course",
        stamps=True,
        defaults=lambda ctx: {
            "coAuthorIds": [],
            "status": "published",
            "translations": [],
            "currentVersionNumber": 1,
            "tagIds": [],
        },
    ),
    list="list_courses",
    get="get_course",
)
crud(Resource("course_stats", "courseStatId", "courseStatNotFound", "course statistic"), list="list_courses_statistics")
ESTD = "elearning standard"


def _package_fields(ctx: RequestContext, current: Row | None) -> dict[str, Any]:
    """Body of an e-learning standard course: duration in minutes, a .zip package, author not co-author."""
    fields = ctx.fields
    package = fields.pop("estdFile", None)
    if isinstance(package, Upload) and not package.lower().endswith(".zip"):
        raise fail(ctx, "invalidFile", f"The package {package!r} is not a .zip e-learning standard package.")
    if isinstance(fields.pop("coverPicture", None), Upload):
        new_media(ctx.state, "image")
    if "duration" in fields:
        try:
            fields["duration"] = float(fields["duration"])
        except ValueError:
            fields["duration"] = -1.0
        if not fields["duration"] > 0:
            raise fail(
                ctx, "invalidCourseDuration", f"The duration {ctx.fields['duration']!r} is not a positive number."
            )
    check_references(ctx, fields)
    merged = {**(current or {}), **fields}
    if merged.get("authorId") in merged.get("coAuthorIds", []):
        raise fail(ctx, "mainAuthorAsCoAuthor", f"The author {merged['authorId']} cannot also be a co-author.")
    if current is not None and package is not None:
        fields["currentVersionNumber"] = current.get("currentVersionNumber", 1) + 1
    if "sourceLang" in fields and current is None:
        fields["defaultLang"] = fields["sourceLang"]
    return fields


@handler("create_e_learning_standard_course")
def create_e_learning_standard_course(ctx: RequestContext) -> Reply:
    fields = _package_fields(ctx, None)
    return ok(ctx, create_row(ctx, COURSES, {**fields, "type": ESTD, "originalAuthorId": fields["authorId"]}))


@handler("update_e_learning_standard_course")
def update_e_learning_standard_course(ctx: RequestContext) -> Reply:
    course = get_row(ctx, COURSES)
    if course["type"] != ESTD:
        raise fail(ctx, "courseNotEstd", f"The course {course['_id']} is not an e-learning standard course.")
    return ok(ctx, update_row(ctx, COURSES, course, _package_fields(ctx, course)))


@handler("generate_from_prompt")
def generate_from_prompt(ctx: RequestContext) -> Reply:
    """The generated course appears at once (the platform builds it asynchronously), named after the prompt."""
    state = ctx.state
    fields = ctx.fields
    author = state.get_row("users", fields["authorId"])
    if author is None or author["status"] == "deleted":
        raise fail(ctx, "userIsNotAnEditor", f"The user {fields['authorId']} cannot author courses.")
    check_references(ctx, {"groupId": fields.get("groupId")})
    group = (fields.get("groupId") or author.get("primaryGroupId") or state.tenant.groups.object_id(0)).lower()
    create_row(
        ctx,
        COURSES,
        {
            "name": fields["prompt"][:80],
            "sourceLang": author["lang"],
            "defaultLang": author["lang"],
            "authorId": author["_id"],
            "originalAuthorId": author["_id"],
            "groupId": group,
            "type": "native",
        },
    )
    return ok(ctx)


@handler("archive_restore_course")
def archive_restore_course(ctx: RequestContext) -> Reply:
    """``archived`` moves a course between ``published`` and ``archived``; a deleted course is gone for writes."""
    course = get_row(ctx, COURSES)
    if course["status"] == "deleted":
        raise fail(ctx, "courseNotFound", f"The given courseId {course['_id']} corresponds to a deleted course.")
    status = "archived" if ctx.fields["archived"] else "published"
    return ok(ctx, update_row(ctx, COURSES, course, {"status": status}))
