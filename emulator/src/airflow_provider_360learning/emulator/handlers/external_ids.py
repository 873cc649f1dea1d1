"""External id mappings: a platform's id for an object of the platform (one per platform and object)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import Resource, create_row, crud, get_row, update_row

MAPPINGS = crud(
    Resource(
        "external_ids",
        "mappingId",
        "mappingIdNotFound",
        "external id mapping",
        aliases={"type": "targetType"},
        unique=(
            (("platform", "targetType", "targetId"), ("mappingAlreadyExists", "targetAlreadyMapped")),
            (("platform", "targetType", "value"), ("valueAlreadyUsed",)),
        ),
    ),
    list="list_external_id_mappings",
)
RESERVED_PLATFORMS = frozenset({"360learning"})
"""Platform names the API keeps for itself (compared case-insensitively)."""
TARGETS = {
    "user": "users",
    "group": "groups",
    "course": "courses",
    "path": "paths",
    "pathSession": "path_sessions",
    "pathEnrollment": "path_session_user_stats",
    "classroom": "classrooms",
    "classroomSlot": "classroom_slots",
    "classroomSlotRegistration": "slot_registrations",
    "classroomAttendanceSheet": "attendance_sheets",
    "learningNeed": "learning_needs",
}
"""Target types backed by a collection; the others (attempts, trackings...) are not emulated and accepted as given."""


def _checked(ctx: RequestContext) -> Mapping[str, Any]:
    fields = {**ctx.fields, "targetId": ctx.fields["targetId"].lower()}
    if fields["platform"].lower() in RESERVED_PLATFORMS:
        raise fail(ctx, "reservedPlatformName", f"The platform name {fields['platform']!r} is reserved.")
    collection = TARGETS.get(fields["targetType"])
    if collection is not None and ctx.state.get_row(collection, fields["targetId"]) is None:
        raise fail(
            ctx,
            "resourceNotFound",
            f"The given targetId {fields['targetId']} does not correspond to any existing {fields['targetType']}.",
        )
    return fields


@handler("create_external_id_mapping")
def create_mapping(ctx: RequestContext) -> Reply:
    return ok(ctx, create_row(ctx, MAPPINGS, _checked(ctx)))


@handler("replace_external_id_mapping")
def replace_mapping(ctx: RequestContext) -> Reply:
    row = get_row(ctx, MAPPINGS)
    return ok(ctx, update_row(ctx, MAPPINGS, row, _checked(ctx)))


@handler("delete_external_id_mapping")
def delete_mapping(ctx: RequestContext) -> Reply:
    row = get_row(ctx, MAPPINGS)
    if row["platform"].lower() in RESERVED_PLATFORMS:
        raise fail(ctx, "reservedPlatformName", f"Mappings of the platform {row['platform']!r} cannot be deleted.")
    ctx.state.delete_row("external_ids", row["_id"])
    return ok(ctx)


def delete_mappings_of(ctx: RequestContext, target_id: str) -> None:
    """Remove every mapping of an object (pseudonymizing a user with ``deleteExternalIds=true``)."""
    state = ctx.state
    with state.lock:
        for row in list(state.rows("external_ids")):
            if row["targetId"] == target_id and row["platform"].lower() not in RESERVED_PLATFORMS:
                state.delete_row("external_ids", row["_id"])
