"""Groups: the tree (create, edit, delete re-parents children), branding, media, and content ids.

A group's library holds the courses and paths (not deleted) whose ``groupId`` is the group; its catalog
offers its published courses and the path sessions whose ``groupId`` is the group, plus what the bulk API
added to them (:func:`set_content`), minus what it removed.
"""

from __future__ import annotations

from collections.abc import Callable

from airflow_provider_360learning.emulator.bodies import Upload
from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok, page
from airflow_provider_360learning.emulator.handlers.crud import (
    Resource,
    check_references,
    crud,
    get_row,
    new_media,
    update_row,
)
from airflow_provider_360learning.emulator.pagination import Row, View
from airflow_provider_360learning.emulator.routing import Filter
from airflow_provider_360learning.emulator.state import EmulatorState

GROUPS = crud(
    Resource("groups", "groupId", "groupNotFound", "group", unique=((("subdomain",), ("subdomainUnavailable",)),)),
    list="list_groups",
    get="get_group",
    create="create_group",
)
MEDIA_PARTS = {
    "banner": "bannerImageId",
    "background": "backgroundImageId",
    "favicon": "faviconImageId",
    "logo": "logoImageId",
}


def ancestors(state: EmulatorState, group: Row) -> list[str]:
    out: list[str] = []
    while "parentId" in group and group["parentId"] not in out:
        out.append(group["parentId"])
        parent = state.get_row("groups", group["parentId"])
        if parent is None:
            break
        group = parent
    return out


@handler("edit_group")
def edit_group(ctx: RequestContext) -> Reply:
    state = ctx.state
    group = get_row(ctx, GROUPS)
    fields = ctx.fields
    if "parentId" not in group and fields.get("public") is False:
        raise fail(ctx, "rootGroupNotPublic", f"The root group {group['_id']} stays public.")
    parent_id = fields.get("parentId")
    if parent_id is not None:
        parent_id = fields["parentId"] = parent_id.lower()
        check_references(ctx, {"parentId": parent_id})
        parent = state.get_row("groups", parent_id)
        if parent is not None and (parent_id == group["_id"] or group["_id"] in ancestors(state, parent)):
            raise fail(
                ctx,
                "parentGroupNotDescendantOrSelf",
                f"The group {parent_id} is {group['_id']} or one of its descendants.",
            )
    return ok(ctx, update_row(ctx, GROUPS, group, fields))


@handler("delete_group")
def delete_group(ctx: RequestContext) -> Reply:
    """The root group stays, so does a group with integrations; the children move up to the parent."""
    state = ctx.state
    group = get_row(ctx, GROUPS)
    if "parentId" not in group:
        raise fail(ctx, "groupIsRoot", f"The group {group['_id']} is the root group.")
    if any(i["groupId"] == group["_id"] for i in state.rows("integrations")):
        raise fail(ctx, "hasActiveIntegrationsOrLtiConnectors", f"The group {group['_id']} has active integrations.")
    with state.lock:
        for child in list(state.rows("groups")):
            if child.get("parentId") == group["_id"]:
                state.patch_row("groups", child["_id"], {"parentId": group["parentId"]})
        state.delete_row("groups", group["_id"])
    return ok(ctx)


@handler("upload_group_media")
def upload_group_media(ctx: RequestContext) -> Reply:
    group = get_row(ctx, GROUPS)
    fields = ctx.fields
    check_references(ctx, {"authorId": fields["authorId"]})
    files = {MEDIA_PARTS[k]: v for k, v in fields.items() if k in MEDIA_PARTS and isinstance(v, Upload)}
    if not files:
        raise fail(ctx, "noFilesProvided", "Send at least one of banner, background, favicon or logo.")
    changes = {name: new_media(ctx.state, "image") for name in files}
    return ok(ctx, update_row(ctx, GROUPS, group, changes))


@handler("upsert_group_customization_colors")
def upsert_group_customization_colors(ctx: RequestContext) -> Reply:
    """Colors merge into the group's branding; ``null`` resets one (``"colors": null`` all)."""
    group = get_row(ctx, GROUPS)
    with ctx.state.lock:
        colors = ctx.state.relation("branding").setdefault(group["_id"], {})
        if "colors" in ctx.fields and ctx.fields["colors"] is None:
            colors.clear()
        for name, value in (ctx.fields.get("colors") or {}).items():
            if value is None:
                colors.pop(name, None)
            else:
                colors[name] = value
        return ok(ctx, {"colors": dict(colors)})


_NOT_DELETED = Filter("status", "ne", "deleted")
_CONTENTS = {  # (action, contentType) -> collection and the extra row filters
    ("list_group_library_content_ids", "course"): ("courses", (_NOT_DELETED,)),
    ("list_group_library_content_ids", "path"): ("paths", (_NOT_DELETED,)),
    ("list_group_catalog_content_ids", "course"): ("courses", (Filter("status", "eq", "published"),)),
    ("list_group_catalog_content_ids", "path-session"): ("path_sessions", ()),
}


def set_content(
    state: EmulatorState, kind: str, content_type: str, content_id: str, group_id: str, present: bool
) -> None:
    """Add a content to (or take it out of) a group's ``catalog`` or ``library``, beyond its own group's (bulk API)."""
    with state.lock:
        state.relation(f"group_{kind}").setdefault(content_type, {}).setdefault(content_id, {})[group_id] = present


def _in_groups(changes: dict[str, dict[str, bool]]) -> Callable[[Row], Row]:
    """Rows gain ``inGroups``: their own group and the groups bulk writes added them to, minus removals."""

    def transform(row: Row) -> Row:
        groups = {row["groupId"]: True, **changes.get(row["_id"], {})}
        return {**row, "inGroups": [g for g, present in groups.items() if present]}

    return transform


@handler("list_group_catalog_content_ids", "list_group_library_content_ids")
def list_group_content_ids(ctx: RequestContext) -> Reply:
    state = ctx.state
    group = get_row(ctx, GROUPS)
    content_type = ctx.path_params["contentType"]
    collection, filters = _CONTENTS[ctx.action.name, content_type]
    kind = "catalog" if ctx.action.name == "list_group_catalog_content_ids" else "library"
    changes = state.relation(f"group_{kind}").get(content_type)
    view = View.whole(
        state.collection(collection), state.overlay(collection), transform=_in_groups(changes) if changes else None
    )
    mine = Filter("inGroups" if changes else "groupId", "eq", group["_id"])
    return page(ctx, view, out=lambda row: row["_id"], extra=[mine, *filters])
