"""Handlers of the implemented 360Learning actions, registered by action name.

Handlers only say *what* to read: which collection, which slice of it (a path's sessions, a
session's user statistics) and which documented error applies. Paging, filtering, cursors and the
projection onto the documented response schema are generic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.emulator.errors import documented, undocumented
from airflow_provider_360learning.emulator.pagination import (
    Row,
    Segment,
    View,
    decode_cursor,
    encode_cursor,
    link_header,
    scan_page,
)
from airflow_provider_360learning.emulator.routing import ParsedQuery, parse_query
from airflow_provider_360learning.emulator.state import EmulatorState


@dataclass
class RequestContext:
    """What a handler needs from the request, already routed and validated."""

    action: Action
    state: EmulatorState
    path: str
    path_params: Mapping[str, Any]
    query: ParsedQuery
    base_url: str


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[RequestContext], Reply]
HANDLERS: dict[str, Handler] = {}


def handler(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for actions (checked against :data:`ACTIONS` at import time)."""

    def register(fn: Handler) -> Handler:
        for name in names:
            if name not in ACTIONS:
                raise KeyError(f"no action named {name!r} in ACTIONS")
            HANDLERS[name] = fn
        return fn

    return register


# -- generic projection and paging -------------------------------------------------------------
@cache
def _response_properties(action_name: str) -> frozenset[str] | None:
    """Properties of the documented success item schema (rows lose hidden or foreign keys)."""
    action = ACTIONS[action_name]
    ok = action.success_response
    if ok is None or ok.schema_pointer is None:
        return None
    doc = action.document.contents
    node = resolve(doc, ok.schema_pointer)
    if node.get("type") == "array":
        node = deref(doc, node.get("items", {}))
    props = node.get("properties")
    return frozenset(props) if props else None


def project(action: Action, row: Row) -> Row:
    allowed = _response_properties(action.name)
    if allowed is None or row.keys() <= allowed:
        return row
    return {k: v for k, v in row.items() if k in allowed}


def page(ctx: RequestContext, view: View) -> Reply:
    """One page of a list action: cursor in, rows out, ``Link`` to the next page if there is one."""
    action, state = ctx.action, ctx.state
    position, query = 0, ctx.query
    if query.next is not None:
        position, pairs = decode_cursor(state.cursor_key, query.next, action.name, ctx.path)
        carried = parse_query(action, pairs, allow_next=False)
        if query.filter_pairs and sorted(query.filter_pairs) != sorted(pairs):
            raise undocumented(
                "invalidQueryParameter",
                "query parameter 'next' already carries the filters of the first request; "
                "send the Link URL as is, without other filters",
            )
        query = carried
    assert action.page_size is not None
    with state.lock:
        rows, next_position = scan_page(view, position, query.filters, action.page_size)
    body = [project(action, r) for r in rows]
    headers = {}
    if next_position is not None:
        token = encode_cursor(state.cursor_key, action.name, ctx.path, next_position, query.filter_pairs)
        headers["Link"] = link_header(ctx.base_url, ctx.path, token)
    return Reply(200, body, headers)


def _require(ctx: RequestContext, collection: str, param: str, code: str, label: str) -> Row:
    oid = ctx.path_params[param]
    row = ctx.state.get_row(collection, oid)
    if row is None:
        raise documented(ctx.action, 404, code, f"The given {param} {oid} does not correspond to any existing {label}.")
    return row


# -- simple collections ------------------------------------------------------------------------
_LISTS = {
    "list_users": "users",
    "list_groups": "groups",
    "list_courses": "courses",
    "list_courses_statistics": "course_stats",
    "list_paths": "paths",
}
_GETS = {
    "get_user": ("users", "userId", "userNotFound", "user"),
    "get_group": ("groups", "groupId", "groupNotFound", "group"),
    "get_course": ("courses", "courseId", "courseNotFound", "course"),
    "get_path": ("paths", "pathId", "pathNotFound", "path"),
}


@handler(*_LISTS)
def list_collection(ctx: RequestContext) -> Reply:
    name = _LISTS[ctx.action.name]
    state = ctx.state
    return page(ctx, View.whole(state.collection(name), state.overlay(name)))


@handler(*_GETS)
def get_item(ctx: RequestContext) -> Reply:
    collection, param, code, label = _GETS[ctx.action.name]
    return Reply(200, project(ctx.action, _require(ctx, collection, param, code, label)))


# -- paths and sessions ------------------------------------------------------------------------
def _session_in_path(ctx: RequestContext) -> tuple[Row, Row]:
    """The path and session of the URL, with the documented 404s and the 400 for a foreign session."""
    path = _require(ctx, "paths", "pathId", "pathNotFound", "path")
    session = _require(ctx, "path_sessions", "sessionId", "sessionNotFound", "path session")
    if session["pathId"] != path["_id"]:
        raise documented(
            ctx.action,
            400,
            "sessionNotBelongToPath",
            f"The given sessionId {session['_id']} does not belong to the path {path['_id']}.",
        )
    return path, session


def _path_session_segments(state: EmulatorState, path_index: int | None) -> list[Segment]:
    """Sessions of one path (or all), skipping sessions deleted through the control interface."""
    tenant = state.tenant
    ov = state.overlay("path_sessions")
    return [
        Segment(plan.index, plan.index + 1)
        for plan in tenant.sessions
        if (path_index is None or plan.path == path_index) and tenant.session_ids[plan.index] not in ov.deleted
    ]


@handler("get_all_path_sessions")
def get_all_path_sessions(ctx: RequestContext) -> Reply:
    state = ctx.state
    view = View(state.collection("path_sessions"), state.overlay("path_sessions"),
                _path_session_segments(state, None), aliases={"sessionId": "_id"})  # fmt: skip
    return page(ctx, view)


@handler("list_path_sessions")
def list_path_sessions(ctx: RequestContext) -> Reply:
    state = ctx.state
    path = _require(ctx, "paths", "pathId", "pathNotFound", "path")
    index = state.tenant.paths.index_of(path["_id"])
    segments = _path_session_segments(state, index) if index is not None and index < len(state.tenant.paths) else []

    def added(row: Row) -> Mapping[str, Any] | None:
        return {} if row.get("pathId") == path["_id"] else None

    return page(ctx, View(state.collection("path_sessions"), state.overlay("path_sessions"), segments, added))


@handler("get_path_session")
def get_path_session(ctx: RequestContext) -> Reply:
    _, session = _session_in_path(ctx)
    return Reply(200, project(ctx.action, session))


# -- path statistics ---------------------------------------------------------------------------
def _stat_segments(state: EmulatorState, only_session: str | None) -> tuple[list[Segment], Callable[[Row], Any]]:
    """Segments of the enrolment collection: one per live session, with its path id, session id and path status."""
    tenant = state.tenant
    segments = []
    for plan in tenant.sessions:
        session_id = tenant.session_ids[plan.index]
        if only_session is not None and session_id != only_session:
            continue
        session = state.get_row("path_sessions", session_id)
        path = state.get_row("paths", session["pathId"]) if session else None
        if session is None or path is None:
            continue
        attrs = {"pathId": path["_id"], "sessionId": session_id, "status": path["status"]}
        segments.append(Segment(plan.first, plan.first + plan.count, attrs))

    def added(row: Row) -> Mapping[str, Any] | None:
        if only_session is not None and row.get("sessionId") != only_session:
            return None
        path = state.get_row("paths", row["pathId"])
        if path is None or state.get_row("path_sessions", row["sessionId"]) is None:
            return None
        return {"pathId": path["_id"], "sessionId": row["sessionId"], "status": path["status"]}

    return segments, added


@handler("get_path_stats")
def get_path_stats(ctx: RequestContext) -> Reply:
    state = ctx.state
    segments, added = _stat_segments(state, None)
    view = View(state.collection("path_session_user_stats"), state.overlay("path_session_user_stats"), segments, added)
    return page(ctx, view)


@handler("list_path_session_user_stats")
def list_path_session_user_stats(ctx: RequestContext) -> Reply:
    state = ctx.state
    _, session = _session_in_path(ctx)
    segments, added = _stat_segments(state, session["_id"])
    # Within one session the path and session ids are fixed; only ``status`` must stay a row field here.
    segments = [Segment(s.start, s.end, {}) for s in segments]

    def added_rows(row: Row) -> Mapping[str, Any] | None:
        return {} if added(row) is not None else None

    view = View(state.collection("path_session_user_stats"), state.overlay("path_session_user_stats"), segments,
                added_rows)  # fmt: skip
    return page(ctx, view)
