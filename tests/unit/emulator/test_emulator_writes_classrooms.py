"""Writes to classrooms, slots, registrations, waitlists and attendance sheets, read back."""

from __future__ import annotations

from typing import Any

from tests.unit.emulator.conftest import api_error

UNKNOWN = "0123456789abcdef01234567"


def _slot_body(emulator: Any, **extra: Any) -> dict[str, Any]:
    session = emulator.state.tenant.session_ids[0]
    return {
        "name": "Kick-off",
        "startDate": "2028-03-01T09:00:00.000Z",
        "endDate": "2028-03-01T12:00:00.000Z",
        "reportedDuration": 180,
        "selfRegistration": {"enabled": False},
        "virtual": False,
        "location": "Paris",
        "context": {"_id": session, "type": "path"},
        **extra,
    }


def test_classroom_and_slot_crud(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    classroom = hook.call_action("create_classroom", body={"groupId": tenant.groups.object_id(1), "name": "Pitch lab"})
    assert classroom["mediaIds"] == [] and hook.call_action("get_classroom", classroomId=classroom["_id"]) == classroom
    assert classroom["_id"] in {
        c["_id"] for c in hook.iter_action("list_classrooms", groupId={"eq": tenant.groups.object_id(1)})
    }
    hook.call_action(
        "edit_classroom", classroomId=classroom["_id"], body={"name": "Pitch lab II", "mediaIds": [tenant.media_id(1)]}
    )
    assert hook.call_action("get_classroom", classroomId=classroom["_id"])["mediaIds"] == [tenant.media_id(1)]
    assert (
        api_error(hook, "edit_classroom", classroomId=classroom["_id"], body={"mediaIds": [UNKNOWN]}).code
        == "mediaNotFound"
    )
    slot = hook.call_action(
        "create_classroom_slot", classroomId=classroom["_id"], body=_slot_body(emulator, maxCapacity=1)
    )
    assert [s["_id"] for s in hook.iter_action("list_classroom_slots", classroomId=classroom["_id"])] == [slot["_id"]]
    hook.call_action(
        "update_classroom_slot", classroomId=classroom["_id"], classroomSlotId=slot["_id"], body={"location": "Lyon"}
    )
    assert next(hook.iter_action("list_classroom_slots", classroomId=classroom["_id"]))["location"] == "Lyon"
    late = _slot_body(emulator, endDate="2028-03-01T08:00:00.000Z")
    assert (
        api_error(hook, "create_classroom_slot", classroomId=classroom["_id"], body=late).code
        == "invalidStartOrEndDate"
    )
    lost = _slot_body(emulator, context={"_id": UNKNOWN, "type": "path"})
    error = api_error(hook, "create_classroom_slot", classroomId=classroom["_id"], body=lost)
    assert (error.status, error.code) == (404, "pathSessionNotFound") and UNKNOWN in error.api_message
    hook.call_action("delete_classroom_slot", classroomId=classroom["_id"], classroomSlotId=slot["_id"])
    assert list(hook.iter_action("list_classroom_slots", classroomId=classroom["_id"])) == []
    missing = api_error(hook, "get_classroom", classroomId=UNKNOWN)
    assert (missing.status, missing.code) == (404, "classroomNotFound") and UNKNOWN in missing.api_message


def test_registrations_waitlist_and_attendance(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    classroom = tenant.collections["classrooms"].object_id(1)
    slot = hook.call_action("create_classroom_slot", classroomId=classroom, body=_slot_body(emulator, maxCapacity=1))[
        "_id"
    ]
    first, second, third = (tenant.users.object_id(i) for i in (30, 31, 32))
    registration = hook.call_action("register_user_for_slot", classroomSlotId=slot, userId=first)
    assert registration["pathId"] == tenant.path_ids[0]
    assert [r["userId"] for r in hook.iter_action("list_slot_registrations", classroomSlotId=slot)] == [first]
    assert {"classroomSlotId": slot, "userId": first}.items() <= next(
        r for r in hook.iter_action("get_classroom_registrations", classroomId=classroom) if r["userId"] == first
    ).items()
    assert api_error(hook, "register_user_for_slot", classroomSlotId=slot, userId=first).code == "userAlreadyRegistered"
    assert api_error(hook, "register_user_for_slot", classroomSlotId=slot, userId=second).code == "classroomSlotFull"
    hook.call_action(
        "update_slot_registration",
        classroomSlotId=slot,
        slotRegistrationId=registration["_id"],
        body={"rsvp": {"going": True}},
    )
    assert next(hook.iter_action("list_slot_registrations", classroomSlotId=slot))["rsvp"]["going"] is True
    hook.call_action("join_classroom_slot_waitlist", classroomSlotId=slot, userId=second)
    assert [w["userId"] for w in hook.call_action("get_classroom_slot_waitlist", classroomSlotId=slot)] == [second]
    assert (
        api_error(hook, "join_classroom_slot_waitlist", classroomSlotId=slot, userId=third).code
        == "classroomSlotWaitlistFull"
    )
    hook.call_action("leave_classroom_slot_waitlist", classroomSlotId=slot, userId=second)
    assert hook.call_action("get_classroom_slot_waitlist", classroomSlotId=slot) == []
    assert (
        api_error(hook, "leave_classroom_slot_waitlist", classroomSlotId=slot, userId=second).code
        == "userNotInClassroomSlotWaitlist"
    )
    sheet = hook.call_action("create_attendance_sheet", classroomSlotId=slot, body={"name": "Morning"})
    assert sheet["status"] == "open" and sheet["checkInCode"]
    assert [s["_id"] for s in hook.iter_action("list_attendance_sheets", classroomSlotId=slot)] == [sheet["_id"]]
    conflict = api_error(hook, "create_attendance_sheet", classroomSlotId=slot, body={"name": "Morning"})
    assert (conflict.status, conflict.code) == (409, "attendanceSheetCreationConflict")
    hook.call_action(
        "replace_attendance_sheet", classroomSlotId=slot, attendanceSheetId=sheet["_id"], body={"name": "AM"}
    )
    assert next(hook.iter_action("list_attendance_sheets", classroomSlotId=slot))["name"] == "AM"
    attendances = list(hook.iter_action("list_attendances", classroomSlotId=slot, attendanceSheetId=sheet["_id"]))
    assert [(a["userId"], a["status"]) for a in attendances] == [(first, "attendancePending")]
    seeded_slot = tenant.collections["classroom_slots"].object_id(0)
    foreign = api_error(hook, "list_attendances", classroomSlotId=seeded_slot, attendanceSheetId=sheet["_id"])
    assert foreign.code == "attendanceSheetNotBelongToClassroomSlot"
    hook.call_action("delete_attendance_sheet", classroomSlotId=slot, attendanceSheetId=sheet["_id"])
    assert list(hook.iter_action("list_attendance_sheets", classroomSlotId=slot)) == []


def test_seeded_full_slot_has_a_joinable_waitlist(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    slot = tenant.collections["classroom_slots"].object_id(0)
    assert len(list(hook.iter_action("list_slot_registrations", classroomSlotId=slot))) == 2
    user = tenant.users.object_id(50)
    hook.call_action("join_classroom_slot_waitlist", classroomSlotId=slot, userId=user)
    assert hook.call_action("get_classroom_slot_waitlist", classroomSlotId=slot)[0]["userId"] == user
    other = tenant.collections["classroom_slots"].object_id(1)
    assert (
        api_error(hook, "join_classroom_slot_waitlist", classroomSlotId=other, userId=user).code
        == "classroomSlotNotFull"
    )
