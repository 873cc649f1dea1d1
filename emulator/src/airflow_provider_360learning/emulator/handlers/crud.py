"""Generic create/list/get/update/replace/delete over a collection, driven by one small table per resource.

Most families are plain CRUD: create answers the body's fields plus a generated ``_id`` (and
timestamps), list pages at the action's size with its bracket filters, get answers the documented 404
naming the id, PATCH merges (``null`` removes an optional field), PUT replaces, DELETE removes.
Every write first checks the ids its body names (:data:`REFERENCES`) and the resource's unique fields,
with the codes the operation documents. Family modules hand-write only the real side effects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.registry import resolve
from airflow_provider_360learning.emulator.bodies import JSON, MULTIPART
from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    documents,
    fail,
    handler,
    ok,
    page,
    page_items,
    require_param,
)
from airflow_provider_360learning.emulator.pagination import Row, View
from airflow_provider_360learning.emulator.routing import Filter
from airflow_provider_360learning.emulator.state import EmulatorState

SEEDED_MEDIA = 10
"""Media ids ``media_id(0..9)`` exist from the start (the platform's image library)."""


@dataclass(frozen=True)
class Parent:
    """The object a resource hangs under: its path parameter, the row field naming it, its 404."""

    param: str
    field: str
    collection: str
    missing: str
    label: str


@dataclass(frozen=True)
class Resource:
    collection: str
    param: str
    missing: str
    label: str
    parent: Parent | None = None
    stamps: bool = False
    """``createdAt`` and ``modifiedAt`` are set by writes."""
    unique: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    """Field combinations that no two rows share, with the codes that refuse a duplicate (the first the
    operation documents)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    defaults: Callable[[RequestContext], Row] = lambda ctx: {}


# -- references named in bodies ------------------------------------------------------------------
REFERENCES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "groupId": ("groups", ("groupNotFound",), "group"),
    "parentId": ("groups", ("parentGroupNotFound",), "group"),
    "authorId": ("users", ("userNotFound", "usersNotFound"), "user"),
    "coAuthorIds": ("users", ("usersNotFound",), "user"),
    "mainInstructorId": ("users", ("usersNotFound",), "user"),
    "instructorIds": ("users", ("usersNotFound",), "user"),
    "trainerIds": ("users", ("usersNotFound",), "user"),
    "certificateId": ("certificate_outlines", ("certificateOutlineNotFound",), "certificate outline"),
    "certificateOutlineId": ("certificate_outlines", ("certificateOutlineNotFound",), "certificate outline"),
    "customLinkId": ("custom_links", ("customLinkNotFound",), "custom link"),
    "tagIds": ("tags", ("tagNotFound",), "tag"),
    "pathId": ("paths", ("pathNotFound",), "path"),
}
"""Body field -> collection it names, the 404 codes that may report a missing id, and its label.

A reference is checked only when the operation documents one of the codes (``primaryGroupId`` of a
user, for instance, is checked by the users module against the user's memberships instead).
"""
MEDIA_FIELDS = (
    "mediaIds",
    "profileImageId",
    "bannerImageId",
    "backgroundImageId",
    "faviconImageId",
    "logoImageId",
    "coverPicture",
)


def media_exists(state: EmulatorState, oid: str) -> bool:
    tenant = state.tenant
    return oid in state.relation("media") or any(oid == tenant.media_id(i) for i in range(SEEDED_MEDIA))


def new_media(state: EmulatorState, kind: str) -> str:
    """Register an uploaded file as a media and return its id."""
    with state.lock:
        media = state.relation("media")
        oid = state.tenant.media_id(SEEDED_MEDIA + len(media))
        media[oid] = kind
        return oid


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v.lower() for v in values if isinstance(v, str) and len(v) == 24]


def check_references(ctx: RequestContext, fields: Mapping[str, Any]) -> None:
    """The documented 404 (or 400) for the first id of the body that names no existing object."""
    state = ctx.state
    for name, value in fields.items():
        if name in REFERENCES and value is not None:
            collection, codes, label = REFERENCES[name]
            code = next((c for c in codes if documents(ctx, c)), None)
            missing = [oid for oid in _ids(value) if state.get_row(collection, oid) is None]
            if code is not None and missing:
                raise fail(
                    ctx, code, f"The given {name} {', '.join(missing)} does not correspond to any existing {label}."
                )
        elif name in MEDIA_FIELDS and value is not None and documents(ctx, "mediaNotFound"):
            missing = [oid for oid in _ids(value) if not media_exists(state, oid)]
            if missing:
                raise fail(ctx, "mediaNotFound", f"The given {name} {', '.join(missing)} is not an existing media.")


def check_unique(ctx: RequestContext, resource: Resource, row: Mapping[str, Any], rows: Iterable[Row]) -> None:
    rows = list(rows)
    for names, codes in resource.unique:
        code = next((c for c in codes if documents(ctx, c)), None)
        if code is None or any(row.get(n) is None for n in names):
            continue
        key = tuple(row[n] for n in names)
        for other in rows:
            if other["_id"] != row.get("_id") and tuple(other.get(n) for n in names) == key:
                shown = ", ".join(f"{n} {row[n]!r}" for n in names)
                raise fail(ctx, code, f"Another {resource.label} already has {shown}.")


@cache
def request_properties(action_name: str) -> frozenset[str]:
    """Fields the request body schema of an action declares (what a PUT replaces)."""
    action: Action = ACTIONS[action_name]
    media = JSON if JSON in action.body_content_types else MULTIPART
    parts = ("paths", action.path, action.method.lower(), "requestBody", "content", media, "schema")
    pointer = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
    return frozenset(resolve(action.document.contents, pointer).get("properties", {}))


# -- the verbs -----------------------------------------------------------------------------------
def get_row(ctx: RequestContext, resource: Resource) -> Row:
    """The row of the URL (under its parent when it has one), or the documented 404 naming it."""
    parent = resource.parent
    if parent is not None:
        owner = require_param(ctx, parent.collection, parent.param, parent.missing, parent.label)
        row = require_param(ctx, resource.collection, resource.param, resource.missing, resource.label)
        if row.get(parent.field) != owner["_id"]:
            raise fail(
                ctx,
                resource.missing,
                f"The given {resource.param} {row['_id']} does not belong to the {parent.label} {owner['_id']}.",
            )
        return row
    return require_param(ctx, resource.collection, resource.param, resource.missing, resource.label)


def list_rows(ctx: RequestContext, resource: Resource) -> Reply:
    state = ctx.state
    fixed: list[Filter] = []
    if resource.parent is not None:
        parent = resource.parent
        owner = require_param(ctx, parent.collection, parent.param, parent.missing, parent.label)
        fixed.append(Filter(parent.field, "eq", owner["_id"]))
    if ctx.action.page_size is None:
        rows = [r for r in state.rows(resource.collection) if all(r.get(f.name) == f.value for f in fixed)]
        return page_items(ctx, rows, resource.aliases)
    view = View.whole(
        state.collection(resource.collection), state.overlay(resource.collection), aliases=resource.aliases
    )
    return page(ctx, view, extra=fixed)


def create_row(ctx: RequestContext, resource: Resource, fields: Mapping[str, Any] | None = None) -> Row:
    """Insert a row built from the body (or ``fields``), the resource's defaults, its parent and stamps."""
    state = ctx.state
    given = dict(ctx.fields if fields is None else fields)
    check_references(ctx, given)
    row = {**resource.defaults(ctx), **{k: v for k, v in given.items() if v is not None}}
    if resource.parent is not None:
        parent = resource.parent
        row[parent.field] = require_param(ctx, parent.collection, parent.param, parent.missing, parent.label)["_id"]
    if resource.stamps:
        row["createdAt"] = row["modifiedAt"] = ctx.now()
    with state.lock:
        if resource.unique:
            check_unique(ctx, resource, row, state.rows(resource.collection))
        return state.add_row(resource.collection, row, fill=False)


def update_row(ctx: RequestContext, resource: Resource, row: Row, changes: Mapping[str, Any]) -> Row:
    """Merge changes into a row (``None`` removes a field), after the reference and uniqueness checks."""
    state = ctx.state
    check_references(ctx, changes)
    changes = dict(changes)
    if resource.stamps:
        changes["modifiedAt"] = ctx.now()
    with state.lock:
        if resource.unique:
            merged = {k: v for k, v in {**row, **changes}.items() if v is not None}
            check_unique(ctx, resource, merged, state.rows(resource.collection))
        return state.patch_row(resource.collection, row["_id"], changes)


def replacement(ctx: RequestContext, row: Row) -> dict[str, Any]:
    """Changes of a PUT: the body, and removal of the declared fields it leaves out."""
    body = ctx.fields
    return {**{k: None for k in request_properties(ctx.action.name) if k in row and k not in body}, **body}


def delete_row(ctx: RequestContext, resource: Resource) -> Reply:
    row = get_row(ctx, resource)
    ctx.state.delete_row(resource.collection, row["_id"])
    return ok(ctx)


VERBS: dict[str, Callable[[RequestContext, Resource], Reply]] = {
    "list": list_rows,
    "get": lambda ctx, r: ok(ctx, get_row(ctx, r)),
    "create": lambda ctx, r: ok(ctx, create_row(ctx, r)),
    "update": lambda ctx, r: ok(ctx, update_row(ctx, r, get_row(ctx, r), ctx.fields)),
    "replace": lambda ctx, r: ok(ctx, update_row(ctx, r, (row := get_row(ctx, r)), replacement(ctx, row))),
    "delete": delete_row,
}
CRUD: dict[str, tuple[str, Resource]] = {}
"""Action name -> (verb, resource), filled by the family modules with :func:`crud`."""


def crud(resource: Resource, **actions: str) -> Resource:
    """Serve ``actions`` (verb -> action name) of a resource with the generic verbs."""
    for verb, name in actions.items():
        CRUD[name] = (verb, resource)
        handler(name)(serve)
    return resource


def serve(ctx: RequestContext) -> Reply:
    verb, resource = CRUD[ctx.action.name]
    return VERBS[verb](ctx, resource)
