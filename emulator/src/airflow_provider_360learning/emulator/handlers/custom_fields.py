"""Custom fields, their authorized values, and the values users, courses and path sessions hold.

A value must name an existing field of the right target (users for users, contents for courses and
path sessions), have the field's type, be one of its authorized values when it has any, and appear
once per field. Deleting a field drops its values everywhere (they are filtered when read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import Resource, create_row, crud, get_row, update_row
from airflow_provider_360learning.emulator.handlers.sessions import session_in_path
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.routing import parse_datetime

FIELDS = crud(
    Resource(
        "custom_fields",
        "customFieldId",
        "customFieldNotFound",
        "custom field",
        unique=((("name", "targetType"), ("nameAlreadyTaken",)),),
    ),
    list="list_custom_fields",
    delete="delete_custom_field",
)
MAX_FIELDS = 100
"""Custom fields a company may define (``customFieldLimitReached`` beyond)."""
_OWNERS = {  # action -> (owner collection, path parameter, 404 code, label, target type)
    "list_user_custom_field_values": ("users", "userId", "userNotFound", "user", "users"),
    "replace_user_custom_field_values": ("users", "userId", "userNotFound", "user", "users"),
    "get_course_custom_field_values": ("courses", "courseId", "courseNotFound", "course", "contents"),
    "update_course_custom_field_values": ("courses", "courseId", "courseNotFound", "course", "contents"),
    "get_path_session_custom_field_values": (
        "path_sessions",
        "sessionId",
        "sessionNotFound",
        "path session",
        "contents",
    ),
    "update_path_session_custom_field_values": (
        "path_sessions",
        "sessionId",
        "sessionNotFound",
        "path session",
        "contents",
    ),
}


def _check_name(ctx: RequestContext) -> None:
    if not ctx.fields.get("name", "x").strip():
        raise fail(ctx, "invalidName", "A custom field needs a non-blank name.")


@handler("create_custom_field")
def create_custom_field(ctx: RequestContext) -> Reply:
    _check_name(ctx)
    if sum(1 for _ in ctx.state.rows("custom_fields")) >= MAX_FIELDS:
        raise fail(ctx, "customFieldLimitReached", f"A company has at most {MAX_FIELDS} custom fields.")
    return ok(ctx, create_row(ctx, FIELDS))


@handler("edit_custom_field")
def edit_custom_field(ctx: RequestContext) -> Reply:
    _check_name(ctx)
    return ok(ctx, update_row(ctx, FIELDS, get_row(ctx, FIELDS), ctx.fields))


def authorized_values(ctx: RequestContext, field: Row) -> list[str]:
    return ctx.state.authorized_values(field["_id"])  # in the core: SCIM's custom values obey it too


@handler("list_custom_field_authorized_values")
def list_custom_field_authorized_values(ctx: RequestContext) -> Reply:
    return ok(ctx, authorized_values(ctx, get_row(ctx, FIELDS)))


def _values_in_use(ctx: RequestContext, field_id: str) -> set[str]:
    return {
        v["value"]
        for values in ctx.state.relation("custom_values").values()
        for v in values
        if v["customFieldId"] == field_id
    }


@handler("replace_custom_field_authorized_values")
def replace_custom_field_authorized_values(ctx: RequestContext) -> Reply:
    field = get_row(ctx, FIELDS)
    values: list[str] = ctx.fields["authorizedValues"]
    if field["type"] == "date" and not all(_is_date(v) for v in values):
        raise fail(ctx, "authorizedValuesTypeMismatch", f"The field {field['_id']} takes dates (YYYY-MM-DD).")
    dropped = _values_in_use(ctx, field["_id"]) - set(values)
    if values and dropped:
        raise fail(
            ctx, "customFieldValuesConflict", f"Values still in use would no longer be authorized: {sorted(dropped)}."
        )
    ctx.state.relation("authorized_values")[field["_id"]] = list(values)
    return ok(ctx, values)


def _owner(ctx: RequestContext) -> tuple[tuple[str, str], str]:
    collection, param, code, label, target = _OWNERS[ctx.action.name]
    if collection == "path_sessions":
        _, owner = session_in_path(ctx)
    else:
        owner = get_row(ctx, Resource(collection, param, code, label))
    return (collection, owner["_id"]), target


def current_values(ctx: RequestContext, key: tuple[str, str]) -> list[dict[str, Any]]:
    values = ctx.state.relation("custom_values").get(key, [])
    return [v for v in values if ctx.state.get_row("custom_fields", v["customFieldId"]) is not None]


@handler("list_user_custom_field_values", "get_course_custom_field_values", "get_path_session_custom_field_values")
def get_custom_field_values(ctx: RequestContext) -> Reply:
    key, _ = _owner(ctx)
    return ok(ctx, current_values(ctx, key))


def _is_date(value: str) -> bool:
    """A date value is ``YYYY-MM-DD``, as the documents describe it (a date-time also matches the string variant)."""
    return parse_datetime(f"{value}T00:00:00Z") is not None or parse_datetime(value) is not None


def _check_values(ctx: RequestContext, target: str, values: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for value in values:
        field_id = value["customFieldId"].lower()
        field = ctx.state.get_row("custom_fields", field_id)
        if field is None or field["targetType"] != target:
            raise fail(
                ctx,
                "customFieldNotFound",
                f"The given customFieldId {field_id} does not correspond to any existing custom field of {target}.",
            )
        if field_id in seen:
            raise fail(ctx, "multipleValuesForSingleCustomField", f"The custom field {field_id} is given twice.")
        seen.add(field_id)
        if value["type"] != field["type"] or (field["type"] == "date" and not _is_date(value["value"])):
            raise fail(ctx, "wrongTypeValue", f"The custom field {field_id} takes {field['type']} values.")
        allowed = authorized_values(ctx, field)
        if allowed and value["value"] not in allowed:
            raise fail(ctx, "unauthorizedValue", f"{value['value']!r} is not an authorized value of {field_id}.")
        out.append({**value, "customFieldId": field_id})
    return out


@handler(
    "replace_user_custom_field_values", "update_course_custom_field_values", "update_path_session_custom_field_values"
)
def replace_custom_field_values(ctx: RequestContext) -> Reply:
    key, target = _owner(ctx)
    values = _check_values(ctx, target, ctx.fields["customValues"])
    ctx.state.relation("custom_values")[key] = values
    return ok(ctx, values)
