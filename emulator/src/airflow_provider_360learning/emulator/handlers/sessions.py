"""Path sessions and what they expose: enrolments, user statistics, metrics, audiences, self-enrolments.

A session's learners are its user statistics rows (generated per session plan, plus rows added when an
audience enrols users), so enrolments, statistics and metrics always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    fail,
    handler,
    ok,
    page,
    require_param,
)
from airflow_provider_360learning.emulator.handlers.crud import check_references
from airflow_provider_360learning.emulator.pagination import Row, Segment, View, scan_page
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import parse_iso

STATS = "path_session_user_stats"
STATUS_TYPES = (
    "awaitingCorrection",
    "late",
    "notYetStarted",
    "onTime",
    "sessionNotOpened",
    "successful",
    "toRetake",
    "unsuccessful",
)


# -- lookups -------------------------------------------------------------------------------------
def session_in_path(ctx: RequestContext, param: str = "sessionId") -> tuple[Row, Row]:
    """The path and session of the URL, with the documented 404s and the 400 for a foreign session."""
    path = require_param(ctx, "paths", "pathId", "pathNotFound", "path")
    session = require_param(ctx, "path_sessions", param, "sessionNotFound", "path session")
    if session["pathId"] != path["_id"]:
        raise fail(
            ctx,
            "sessionNotBelongToPath",
            f"The given {param} {session['_id']} does not belong to the path {path['_id']}.",
        )
    return path, session


def is_open(session: Row, now: int) -> bool:
    """Whether a session has not ended at ``now`` (no end date: never ends)."""
    return "endDate" not in session or parse_iso(session["endDate"]) > now


def check_writable(ctx: RequestContext, session: Row, *, child_ok: bool = False) -> None:
    """The 400s of writes to a session: a child session follows its root, an ended session is frozen."""
    if not child_ok and "rootSessionId" in session:
        raise fail(ctx, "childPathSession", f"The session {session['_id']} is a child session: edit its root session.")
    if not is_open(session, ctx.state.today()):
        raise fail(ctx, "sessionEnded", f"The session {session['_id']} has ended.")


def enrollment(state: EmulatorState, session_id: str, user_id: str) -> Row | None:
    """The statistics row of a user in a session (generated: by arithmetic on the plan; added: by scan)."""
    tenant = state.tenant
    s, u = tenant.path_sessions.index_of(session_id), tenant.users.index_of(user_id)
    if s is not None and s < len(tenant.sessions) and u is not None:
        plan = tenant.sessions[s]
        j, rest = divmod(u - plan.offset, plan.stride)
        if u >= plan.offset and rest == 0 and j < plan.count:
            row = state.get_row(STATS, tenant.enrollments.object_id(plan.first + j))
            if row is not None and row["userId"] == user_id:
                return row
    for _, row in state.overlay(STATS).added.values():
        if row["sessionId"] == session_id and row["userId"] == user_id:
            return row
    return None


def enroll(ctx: RequestContext, session: Row, user_id: str, *, self_enrolled: bool = False) -> None:
    """Enrol a learner (or enrol again after an unenrolment): a statistics row at progress 0."""
    state = ctx.state
    current = enrollment(state, session["_id"], user_id)
    if current is not None:
        if "unenrolledAt" in current:
            state.patch_row(STATS, current["_id"], {"unenrolledAt": None})
        return
    opened = parse_iso(session["startDate"]) <= state.today()
    state.add_row(
        STATS,
        {
            "userId": user_id,
            "pathId": session["pathId"],
            "sessionId": session["_id"],
            "selfEnrolled": self_enrolled,
            "enrolledAt": ctx.now(),
            "progress": 0,
            "timeSpent": 0,
            "status": {"type": "notYetStarted" if opened else "sessionNotOpened"},
        },
        fill=False,
    )


def unenroll(ctx: RequestContext, session: Row, user_id: str) -> bool:
    row = enrollment(ctx.state, session["_id"], user_id)
    if row is None or "unenrolledAt" in row:
        return False
    ctx.state.patch_row(STATS, row["_id"], {"unenrolledAt": ctx.now()})
    return True


# -- lists ---------------------------------------------------------------------------------------
def _session_segments(state: EmulatorState, path_index: int | None) -> list[Segment]:
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
    view = View(
        state.collection("path_sessions"),
        state.overlay("path_sessions"),
        _session_segments(state, None),
        aliases={"sessionId": "_id"},
    )
    return page(ctx, view)


@handler("list_path_sessions")
def list_path_sessions(ctx: RequestContext) -> Reply:
    state = ctx.state
    path = require_param(ctx, "paths", "pathId", "pathNotFound", "path")
    index = state.tenant.paths.index_of(path["_id"])
    segments = _session_segments(state, index) if index is not None and index < len(state.tenant.paths) else []

    def added(row: Row) -> Mapping[str, Any] | None:
        return {} if row.get("pathId") == path["_id"] else None

    return page(ctx, View(state.collection("path_sessions"), state.overlay("path_sessions"), segments, added))


@handler("get_path_session")
def get_path_session(ctx: RequestContext) -> Reply:
    return ok(ctx, session_in_path(ctx)[1])


def stat_segments(
    state: EmulatorState, only_session: str | None = None, only_path: str | None = None
) -> tuple[list[Segment], Callable[[Row], Mapping[str, Any] | None]]:
    """Segments of the statistics: one per live session, with its path id, session id and path status."""
    tenant = state.tenant
    segments = []
    for plan in tenant.sessions:
        session_id = tenant.session_ids[plan.index]
        if (only_session is not None and session_id != only_session) or (
            only_path is not None and tenant.path_ids[plan.path] != only_path
        ):
            continue
        session = state.get_row("path_sessions", session_id)
        path = state.get_row("paths", session["pathId"]) if session else None
        if session is None or path is None:
            continue
        attrs = {"pathId": path["_id"], "sessionId": session_id, "status": path["status"]}
        segments.append(Segment(plan.first, plan.first + plan.count, attrs))

    def added(row: Row) -> Mapping[str, Any] | None:
        if (only_session is not None and row.get("sessionId") != only_session) or (
            only_path is not None and row.get("pathId") != only_path
        ):
            return None
        path = state.get_row("paths", row["pathId"])
        if path is None or state.get_row("path_sessions", row["sessionId"]) is None:
            return None
        return {"pathId": path["_id"], "sessionId": row["sessionId"], "status": path["status"]}

    return segments, added


def _stats_view(state: EmulatorState, session_id: str) -> View:
    segments, added = stat_segments(state, session_id)
    # Within one session the path and session ids are fixed; only ``status`` must stay a row field here.
    return View(
        state.collection(STATS),
        state.overlay(STATS),
        [Segment(s.start, s.end, {}) for s in segments],
        lambda row: {} if added(row) is not None else None,
    )


@handler("get_path_stats")
def get_path_stats(ctx: RequestContext) -> Reply:
    state = ctx.state
    segments, added = stat_segments(state)
    return page(ctx, View(state.collection(STATS), state.overlay(STATS), segments, added))


@handler("list_path_session_user_stats")
def list_path_session_user_stats(ctx: RequestContext) -> Reply:
    return page(ctx, _stats_view(ctx.state, session_in_path(ctx)[1]["_id"]))


def as_enrollment(row: Row) -> Row:
    """A path enrolment (``PathEnrollmentDTO``) seen from its statistics row; unenrolled means archived."""
    out = {
        "_id": row["_id"],
        "userId": row["userId"],
        "sessionId": row["sessionId"],
        "isSelfEnrolled": row["selfEnrolled"],
        "createdAt": row["enrolledAt"],
        "modifiedAt": row.get("unenrolledAt", row["enrolledAt"]),
        "status": "archived" if "unenrolledAt" in row else "published",
    }
    if "unenrolledAt" in row:
        out["archivedAt"] = row["unenrolledAt"]
    return out


@handler("list_path_enrollments")
def list_path_enrollments(ctx: RequestContext) -> Reply:
    state = ctx.state
    path = require_param(ctx, "paths", "pathId", "pathNotFound", "path")
    segments, added = stat_segments(state, only_path=path["_id"])
    segments = [Segment(s.start, s.end, {"sessionId": s.attrs["sessionId"]}) for s in segments]
    view = View(
        state.collection(STATS),
        state.overlay(STATS),
        segments,
        lambda row: None if added(row) is None else {"sessionId": row["sessionId"]},
        transform=as_enrollment,
    )
    return page(ctx, view)


def session_stats(state: EmulatorState, session_id: str) -> Iterator[Row]:
    """Every statistics row of one session (for counts; sessions are bounded by the user count)."""
    view = _stats_view(state, session_id)
    position: int | None = 0
    while position is not None:
        rows, position = scan_page(view, position, (), 10_000)
        yield from rows


@handler("get_path_session_metrics")
def get_path_session_metrics(ctx: RequestContext) -> Reply:
    _, session = session_in_path(ctx)
    counts: Counter[str] = Counter()
    certificates = 0
    with ctx.state.lock:
        for row in session_stats(ctx.state, session["_id"]):
            if "unenrolledAt" not in row:
                counts[row["status"]["type"]] += 1
                certificates += "certificateId" in row
    return ok(ctx, {"certificates": certificates, "usersCountByStatus": {k: counts[k] for k in STATUS_TYPES}})


# -- writes --------------------------------------------------------------------------------------
def _dates(ctx: RequestContext, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Dates normalised to the API's format; 400 ``invalidStartOrEndDate`` when the end is not after the start."""
    out = {
        k: (parse_datetime(v) if k in ("startDate", "endDate") and isinstance(v, str) else v) for k, v in fields.items()
    }
    start, end = out.get("startDate"), out.get("endDate")
    if isinstance(start, str) and isinstance(end, str) and end <= start:
        raise fail(
            ctx,
            "invalidStartOrEndDate",
            f"The end date {out['endDate']} is not after the start date {out['startDate']}.",
        )
    return out


def _check_session_fields(ctx: RequestContext, path: Row, fields: Mapping[str, Any]) -> None:
    check_references(ctx, fields)
    if fields.get("automaticReenrollment") and "certificateId" not in path:
        raise fail(ctx, "missingCertificate", f"Automatic re-enrolment needs a certificate on the path {path['_id']}.")


@handler("create_path_session")
def create_path_session(ctx: RequestContext) -> Reply:
    state = ctx.state
    path = require_param(ctx, "paths", "pathId", "pathNotFound", "path")
    if path["status"] == "archived":
        raise fail(ctx, "pathArchived", f"The path {path['_id']} is archived: it takes no new session.")
    fields = _dates(ctx, ctx.fields)
    _check_session_fields(ctx, path, fields)
    now = ctx.now()
    row = {
        "instructorIds": [],
        **fields,
        "pathId": path["_id"],
        "groupId": path["groupId"],
        "isAudienceBuilder": True,
        "translations": [],
        "createdAt": now,
        "modifiedAt": now,
    }
    return ok(ctx, state.add_row("path_sessions", row, fill=False))


def _edit(ctx: RequestContext, param: str, *, child: bool) -> Reply:
    path, session = session_in_path(ctx, param)
    if child and "rootSessionId" not in session:
        raise fail(ctx, "rootPathSession", f"The session {session['_id']} is a root session: use edit_path_session.")
    check_writable(ctx, session, child_ok=child)
    fields = ctx.fields
    merged = _dates(ctx, {**session, **{k: v for k, v in fields.items() if v is not None}})
    _check_session_fields(ctx, path, fields)
    changes = {**fields, **{k: merged[k] for k in ("startDate", "endDate") if fields.get(k)}, "modifiedAt": ctx.now()}
    return ok(ctx, ctx.state.patch_row("path_sessions", session["_id"], changes))


@handler("edit_path_session")
def edit_path_session(ctx: RequestContext) -> Reply:
    return _edit(ctx, "sessionId", child=False)


@handler("edit_child_path_session")
def edit_child_path_session(ctx: RequestContext) -> Reply:
    return _edit(ctx, "childSessionId", child=True)


@handler("delete_path_session")
def delete_path_session(ctx: RequestContext) -> Reply:
    _, session = session_in_path(ctx)
    ctx.state.delete_row("path_sessions", session["_id"])
    return ok(ctx)


def _audience(ctx: RequestContext, session: Row) -> dict[str, Any]:
    if not session.get("isAudienceBuilder"):
        raise fail(ctx, "sessionIsNotAudienceBuilder", f"The session {session['_id']} has no audience builder.")
    stored = ctx.state.relation("audiences").get(session["_id"])
    if stored is not None:
        return dict(stored)
    if session["_id"] == ctx.state.tenant.session_ids[0]:  # the onboarding session: everyone, dynamically
        return {"mode": "dynamic", "filters": [{"type": "groups", "ids": [ctx.state.tenant.groups.object_id(0)]}]}
    return {"mode": "manual", "filters": []}


@handler("get_path_session_audience")
def get_path_session_audience(ctx: RequestContext) -> Reply:
    return ok(ctx, _audience(ctx, session_in_path(ctx)[1]))


@handler("replace_path_session_audience")
def replace_path_session_audience(ctx: RequestContext) -> Reply:
    """Store the audience; ``users`` filters enrol their users, ``excludedLearners`` unenrol theirs."""
    state = ctx.state
    path, session = session_in_path(ctx)
    _audience(ctx, session)
    if path["status"] == "archived":
        raise fail(ctx, "pathArchived", f"The path {path['_id']} is archived.")
    check_writable(ctx, session)
    audience = {
        "mode": ctx.fields["mode"],
        "filters": [{"type": f["type"], "ids": [i.lower() for i in f["ids"]]} for f in ctx.fields["filters"]],
    }
    for f in audience["filters"]:
        collection, code = ("groups", "groupsNotFound") if f["type"] == "groups" else ("users", "usersNotFound")
        missing = [i for i in f["ids"] if state.get_row(collection, i) is None]
        if missing:
            raise fail(ctx, code, f"The given {f['type']} ids {', '.join(missing)} do not exist.")
    with state.lock:
        excluded = {i for f in audience["filters"] if f["type"] == "excludedLearners" for i in f["ids"]}
        for f in audience["filters"]:
            if f["type"] == "users":
                for user_id in f["ids"]:
                    if user_id not in excluded:
                        enroll(ctx, session, user_id)
        for user_id in excluded:
            unenroll(ctx, session, user_id)
        state.relation("audiences")[session["_id"]] = audience
    return ok(ctx, audience)


@handler("archive_self_enrollment")
def archive_self_enrollment(ctx: RequestContext) -> Reply:
    _, session = session_in_path(ctx)
    check_writable(ctx, session)
    user_id = ctx.path_params["userId"]
    row = enrollment(ctx.state, session["_id"], user_id)
    if row is None or "unenrolledAt" in row:
        raise fail(ctx, "learnerNotEnrolled", f"The user {user_id} is not enrolled in the session {session['_id']}.")
    if not row["selfEnrolled"]:
        raise fail(
            ctx,
            "learnerNotSelfEnrolled",
            f"The user {user_id} did not enrol in the session {session['_id']} themselves.",
        )
    unenroll(ctx, session, user_id)
    return ok(ctx)
