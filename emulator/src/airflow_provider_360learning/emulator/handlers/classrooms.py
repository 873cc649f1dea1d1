"""Classrooms, their slots, registrations to slots, waitlists of full slots and attendance sheets.

A slot of a path session accepts the session's learners only; registering fills it up to its
``maxCapacity``, after which learners can join its waitlist (a slot without capacity has none).
An attendance sheet lists the slot's registered learners.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    documents,
    fail,
    handler,
    ok,
    page_items,
    require,
    require_param,
)
from airflow_provider_360learning.emulator.handlers.crud import (
    Parent,
    Resource,
    check_references,
    create_row,
    crud,
    get_row,
    update_row,
)
from airflow_provider_360learning.emulator.handlers.sessions import enrollment
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.tenant import mix, parse_iso

CLASSROOMS = crud(
    Resource(
        "classrooms",
        "classroomId",
        "classroomNotFound",
        "classroom",
        stamps=True,
        defaults=lambda ctx: {"mediaIds": []},
    ),
    list="list_classrooms",
    get="get_classroom",
    create="create_classroom",
    update="edit_classroom",
)
SLOTS = crud(
    Resource(
        "classroom_slots",
        "classroomSlotId",
        "classroomSlotNotFound",
        "classroom slot",
        stamps=True,
        parent=Parent("classroomId", "classroomId", "classrooms", "classroomNotFound", "classroom"),
        defaults=lambda ctx: {"trainerIds": [], "mediaIds": []},
    ),
    list="list_classroom_slots",
    delete="delete_classroom_slot",
)
IN_SLOT = Parent("classroomSlotId", "classroomSlotId", "classroom_slots", "classroomSlotNotFound", "classroom slot")
REGISTRATIONS = crud(
    Resource(
        "slot_registrations", "slotRegistrationId", "slotRegistrationNotFound", "slot registration", parent=IN_SLOT
    ),
    list="list_slot_registrations",
)
SHEETS = crud(
    Resource("attendance_sheets", "attendanceSheetId", "attendanceSheetNotFound", "attendance sheet", parent=IN_SLOT),
    list="list_attendance_sheets",
)
MAX_SHEETS = 10


def _slot(ctx: RequestContext) -> Row:
    """The slot of the URL; some operations report an unknown slot as ``classroomNotFound``."""
    code = "classroomSlotNotFound" if documents(ctx, "classroomSlotNotFound") else "classroomNotFound"
    return require_param(ctx, "classroom_slots", "classroomSlotId", code, "classroom slot")


def _slot_fields(ctx: RequestContext, current: Row | None) -> dict[str, Any]:
    """Dates normalised and ordered, inside the dates of the slot's path session; the context must exist."""
    fields = {k: v for k, v in ctx.fields.items() if k != "notification"}
    check_references(ctx, fields)
    for name in ("startDate", "endDate"):
        if name in fields:
            fields[name] = parse_datetime(fields[name])
    merged = {**(current or {}), **fields}
    if merged["endDate"] <= merged["startDate"]:
        raise fail(ctx, "invalidStartOrEndDate", f"The end date {merged['endDate']} is not after the start date.")
    context = merged["context"]
    if context["type"] == "path":
        context["_id"] = context["_id"].lower()
        session = require(ctx, "path_sessions", context["_id"], "pathSessionNotFound", "path session", "context._id")
        ends = session.get("endDate")
        if merged["startDate"] < session["startDate"] or (ends is not None and merged["endDate"] > ends):
            raise fail(ctx, "outOfPathSessionDates", f"The slot is outside the dates of the session {session['_id']}.")
    return fields


@handler("create_classroom_slot")
def create_classroom_slot(ctx: RequestContext) -> Reply:
    get_row(ctx, CLASSROOMS)
    return ok(ctx, create_row(ctx, SLOTS, _slot_fields(ctx, None)))


@handler("update_classroom_slot")
def update_classroom_slot(ctx: RequestContext) -> Reply:
    slot = get_row(ctx, SLOTS)
    return ok(ctx, update_row(ctx, SLOTS, slot, _slot_fields(ctx, slot)))


# -- registrations -------------------------------------------------------------------------------
def registrations(ctx: RequestContext, slot_ids: set[str]) -> list[Row]:
    return [
        r
        for r in ctx.state.rows("slot_registrations")
        if r["classroomSlotId"] in slot_ids and r["status"] == "published"
    ]


def _classroom_slot_ids(ctx: RequestContext, slot: Row) -> set[str]:
    return {s["_id"] for s in ctx.state.rows("classroom_slots") if s["classroomId"] == slot["classroomId"]}


def _is_full(ctx: RequestContext, slot: Row) -> bool:
    return "maxCapacity" in slot and len(registrations(ctx, {slot["_id"]})) >= slot["maxCapacity"]


def _check_learner(ctx: RequestContext, slot: Row, user_id: str) -> None:
    """A slot of a path session takes the session's enrolled learners only."""
    context = slot["context"]
    if context["type"] == "path":
        row = enrollment(ctx.state, context["_id"], user_id)
        if row is None or "unenrolledAt" in row:
            raise fail(
                ctx,
                "userNotEnrolledInPathSession",
                f"The user {user_id} is not enrolled in the session {context['_id']}.",
            )


@handler("register_user_for_slot")
def register_user_for_slot(ctx: RequestContext) -> Reply:
    state = ctx.state
    slot = _slot(ctx)
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    for row in registrations(ctx, _classroom_slot_ids(ctx, slot)):
        if row["userId"] == user["_id"]:
            code = (
                "userAlreadyRegistered"
                if row["classroomSlotId"] == slot["_id"]
                else "userAlreadyRegisteredInAnotherNonMissedSlot"
            )
            raise fail(ctx, code, f"The user {user['_id']} is already registered in the slot {row['classroomSlotId']}.")
    if _is_full(ctx, slot):
        raise fail(ctx, "classroomSlotFull", f"The slot {slot['_id']} is full ({slot['maxCapacity']} learners).")
    _check_learner(ctx, slot, user["_id"])
    now = ctx.now()
    row = {
        "classroomSlotId": slot["_id"],
        "userId": user["_id"],
        "status": "published",
        "createdAt": now,
        "modifiedAt": now,
    }
    if slot["context"]["type"] == "path":
        session = state.get_row("path_sessions", slot["context"]["_id"])
        if session is not None:
            row["pathId"] = session["pathId"]
    with state.lock:
        waitlist = state.relation("waitlists").get(slot["_id"], [])
        waitlist[:] = [w for w in waitlist if w["userId"] != user["_id"]]
        return ok(ctx, state.add_row("slot_registrations", row, fill=False))


@handler("update_slot_registration")
def update_slot_registration(ctx: RequestContext) -> Reply:
    slot = _slot(ctx)
    row = require_param(
        ctx, "slot_registrations", "slotRegistrationId", "slotRegistrationNotFound", "slot registration"
    )
    if row["classroomSlotId"] != slot["_id"]:
        raise fail(
            ctx, "slotRegistrationNotFound", f"The registration {row['_id']} is not one of the slot {slot['_id']}."
        )
    changes: dict[str, Any] = {"modifiedAt": ctx.now()}
    if "rsvp" in ctx.fields:  # ``null`` (the field is nullable) removes the answer
        rsvp = ctx.fields["rsvp"]
        changes["rsvp"] = None if rsvp is None else {"going": rsvp["going"], "lastUpdatedAt": ctx.now()}
    return ok(ctx, ctx.state.patch_row("slot_registrations", row["_id"], changes))


@handler("get_classroom_registrations")
def get_classroom_registrations(ctx: RequestContext) -> Reply:
    classroom = get_row(ctx, CLASSROOMS)
    slots = {s["_id"] for s in ctx.state.rows("classroom_slots") if s["classroomId"] == classroom["_id"]}
    return page_items(ctx, [r for r in ctx.state.rows("slot_registrations") if r["classroomSlotId"] in slots])


# -- waitlists -----------------------------------------------------------------------------------
def _waitlist(ctx: RequestContext) -> tuple[Row, list[dict[str, str]]]:
    slot = _slot(ctx)
    if "maxCapacity" not in slot:
        raise fail(ctx, "classroomSlotWaitlistNotFound", f"The slot {slot['_id']} has no capacity, hence no waitlist.")
    with ctx.state.lock:
        return slot, ctx.state.relation("waitlists").setdefault(slot["_id"], [])


@handler("get_classroom_slot_waitlist")
def get_classroom_slot_waitlist(ctx: RequestContext) -> Reply:
    return ok(ctx, list(_waitlist(ctx)[1]))


@handler("join_classroom_slot_waitlist")
def join_classroom_slot_waitlist(ctx: RequestContext) -> Reply:
    """Learners wait for a full slot that has not started, at most as many as the slot holds."""
    slot, waitlist = _waitlist(ctx)
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    if parse_iso(slot["startDate"]) <= ctx.state.today():
        raise fail(ctx, "classroomSlotAlreadyStarted", f"The slot {slot['_id']} has started.")
    if not _is_full(ctx, slot):
        raise fail(ctx, "classroomSlotNotFull", f"The slot {slot['_id']} has free seats: register instead.")
    if any(r["userId"] == user["_id"] for r in registrations(ctx, _classroom_slot_ids(ctx, slot))):
        raise fail(
            ctx, "userAlreadyRegisteredInAClassroomSlot", f"The user {user['_id']} is registered in this classroom."
        )
    _check_learner(ctx, slot, user["_id"])
    if all(w["userId"] != user["_id"] for w in waitlist):
        if len(waitlist) >= slot["maxCapacity"]:
            raise fail(ctx, "classroomSlotWaitlistFull", f"The waitlist of the slot {slot['_id']} is full.")
        waitlist.append({"userId": user["_id"], "requestedAt": ctx.now()})
    return ok(ctx)


@handler("leave_classroom_slot_waitlist")
def leave_classroom_slot_waitlist(ctx: RequestContext) -> Reply:
    slot, waitlist = _waitlist(ctx)
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    if all(w["userId"] != user["_id"] for w in waitlist):
        raise fail(
            ctx, "userNotInClassroomSlotWaitlist", f"The user {user['_id']} is not on the waitlist of {slot['_id']}."
        )
    waitlist[:] = [w for w in waitlist if w["userId"] != user["_id"]]
    return ok(ctx)


# -- attendance sheets ---------------------------------------------------------------------------
def _sheet(ctx: RequestContext) -> Row:
    """The sheet of the URL: 404 naming it when unknown, 400 when it belongs to another slot."""
    sheet = require_param(ctx, "attendance_sheets", "attendanceSheetId", "attendanceSheetNotFound", "attendance sheet")
    if sheet["classroomSlotId"] != ctx.path_params["classroomSlotId"]:
        raise fail(
            ctx,
            "attendanceSheetNotBelongToClassroomSlot",
            f"The sheet {sheet['_id']} belongs to the slot {sheet['classroomSlotId']}.",
        )
    return sheet


@handler("create_attendance_sheet")
def create_attendance_sheet(ctx: RequestContext) -> Reply:
    slot = _slot(ctx)
    sheets = [s for s in ctx.state.rows("attendance_sheets") if s["classroomSlotId"] == slot["_id"]]
    if len(sheets) >= MAX_SHEETS:
        raise fail(ctx, "maxAttendanceSheetsReached", f"A slot has at most {MAX_SHEETS} attendance sheets.")
    if any(s["name"] == ctx.fields["name"] for s in sheets):
        raise fail(
            ctx, "attendanceSheetCreationConflict", f"The slot already has a sheet named {ctx.fields['name']!r}."
        )
    code = f"{mix(int(slot['_id'], 16) + len(sheets)) % 900_000 + 100_000}"
    return ok(ctx, create_row(ctx, SHEETS, {**ctx.fields, "status": "open", "checkInCode": code}))


@handler("replace_attendance_sheet")
def replace_attendance_sheet(ctx: RequestContext) -> Reply:
    return ok(ctx, ctx.state.patch_row("attendance_sheets", _sheet(ctx)["_id"], {"name": ctx.fields["name"]}))


@handler("delete_attendance_sheet")
def delete_attendance_sheet(ctx: RequestContext) -> Reply:
    ctx.state.delete_row("attendance_sheets", _sheet(ctx)["_id"])
    return ok(ctx)


@handler("list_attendances")
def list_attendances(ctx: RequestContext) -> Reply:
    """One attendance per learner registered in the sheet's slot: present once marked as attended."""
    state = ctx.state
    sheet = _sheet(ctx)
    out = []
    for row in registrations(ctx, {sheet["classroomSlotId"]}):
        user = state.get_row("users", row["userId"]) or {}
        out.append(
            {
                "_id": row["_id"],
                "userId": row["userId"],
                "firstName": user.get("firstName", ""),
                "lastName": user.get("lastName", ""),
                "status": "present" if row.get("hasAttended") else "attendancePending",
            }
        )
    return page_items(ctx, out)
