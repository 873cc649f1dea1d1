"""Operators for the 360Learning Classrooms actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateAttendanceSheetOperator",
    "CreateClassroomOperator",
    "CreateClassroomSlotOperator",
    "DeleteAttendanceSheetOperator",
    "DeleteClassroomSlotOperator",
    "EditClassroomOperator",
    "GetClassroomOperator",
    "GetClassroomRegistrationsOperator",
    "GetClassroomSlotWaitlistOperator",
    "JoinClassroomSlotWaitlistOperator",
    "LeaveClassroomSlotWaitlistOperator",
    "ListAttendanceSheetsOperator",
    "ListAttendancesOperator",
    "ListClassroomSlotsOperator",
    "ListClassroomsOperator",
    "ListSlotRegistrationsOperator",
    "RegisterUserForSlotOperator",
    "ReplaceAttendanceSheetOperator",
    "UpdateClassroomSlotOperator",
    "UpdateSlotRegistrationOperator",
]


class CreateAttendanceSheetOperator(ThreeSixtyLearningOperator):
    """Create an attendance sheet.

    ``POST /api/v2/classroom-slots/{classroomSlotId}/attendance-sheets``, scope ``attendanceSheets:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param body: Input Attendance Sheet, as a JSON object; required: name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_attendance_sheet"

    def __init__(
        self,
        *,
        classroomSlotId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomSlotId=classroomSlotId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreateClassroomOperator(ThreeSixtyLearningOperator):
    """Create a classroom.

    ``POST /api/v2/classrooms``, scope ``classrooms:write``.

    :param body: Input Classroom, as a JSON object; required: groupId, name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_classroom"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreateClassroomSlotOperator(ThreeSixtyLearningOperator):
    """Add a slot to a classroom.

    ``POST /api/v2/classrooms/{classroomId}/slots``, scope ``classrooms:write``.

    :param classroomId: The unique ID of the classroom. (path, required)
    :param body: Input Classroom Slot, as a JSON object; required: startDate, endDate, reportedDuration,
        selfRegistration, virtual, name, context, location (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_classroom_slot"

    def __init__(
        self,
        *,
        classroomId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomId=classroomId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteAttendanceSheetOperator(ThreeSixtyLearningOperator):
    """Delete an attendance sheet.

    ``DELETE /api/v2/classroom-slots/{classroomSlotId}/attendance-sheets/{attendanceSheetId}``, scope ``attendanceSheets:write``.

    :param attendanceSheetId: The unique ID of the attendance sheet. (path, required)
    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_attendance_sheet"

    def __init__(
        self,
        *,
        attendanceSheetId: str | None = None,
        classroomSlotId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            attendanceSheetId=attendanceSheetId,
            classroomSlotId=classroomSlotId,
        )
        super().__init__(parameters=parameters, **kwargs)


class DeleteClassroomSlotOperator(ThreeSixtyLearningOperator):
    """Remove a slot from a classroom.

    ``DELETE /api/v2/classrooms/{classroomId}/slots/{classroomSlotId}``, scope ``classrooms:write``.

    :param classroomId: The unique ID of the classroom. (path, required)
    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_classroom_slot"

    def __init__(
        self,
        *,
        classroomId: str | None = None,
        classroomSlotId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomId=classroomId,
            classroomSlotId=classroomSlotId,
        )
        super().__init__(parameters=parameters, **kwargs)


class EditClassroomOperator(ThreeSixtyLearningOperator):
    """Edit a classroom.

    ``PATCH /api/v2/classrooms/{classroomId}``, scope ``classrooms:write``.

    :param classroomId: The unique ID of the classroom. (path, required)
    :param body: Patch Classroom, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_classroom"

    def __init__(
        self,
        *,
        classroomId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomId=classroomId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetClassroomOperator(ThreeSixtyLearningOperator):
    """Retrieve a classroom.

    ``GET /api/v2/classrooms/{classroomId}``, scope ``classrooms:read``.

    :param classroomId: The unique ID of the classroom. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_classroom"

    def __init__(self, *, classroomId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomId=classroomId)
        super().__init__(parameters=parameters, **kwargs)


class GetClassroomRegistrationsOperator(ThreeSixtyLearningOperator):
    """List all registrations in a classroom.

    ``GET /api/v2/classrooms/{classroomId}/registrations``, scope ``classrooms:read``, pages of 2,000 (every page is read).

    :param classroomId: The unique ID of the classroom. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_classroom_registrations"

    def __init__(self, *, classroomId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomId=classroomId)
        super().__init__(parameters=parameters, **kwargs)


class GetClassroomSlotWaitlistOperator(ThreeSixtyLearningOperator):
    """List all waitlist requests in a classroom slot.

    ``GET /api/v2/classroom-slots/{classroomSlotId}/waitlist``, scope ``classrooms:read``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_classroom_slot_waitlist"

    def __init__(self, *, classroomSlotId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomSlotId=classroomSlotId)
        super().__init__(parameters=parameters, **kwargs)


class JoinClassroomSlotWaitlistOperator(ThreeSixtyLearningOperator):
    """Add a user to a classroom slot waitlist.

    ``POST /api/v2/classroom-slots/{classroomSlotId}/waitlist/{userId}``, scope ``classrooms:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "join_classroom_slot_waitlist"

    def __init__(self, *, classroomSlotId: str | None = None, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class LeaveClassroomSlotWaitlistOperator(ThreeSixtyLearningOperator):
    """Remove a user from a classroom slot waitlist.

    ``DELETE /api/v2/classroom-slots/{classroomSlotId}/waitlist/{userId}``, scope ``classrooms:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "leave_classroom_slot_waitlist"

    def __init__(self, *, classroomSlotId: str | None = None, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListAttendanceSheetsOperator(ThreeSixtyLearningOperator):
    """List all attendance sheets.

    ``GET /api/v2/classroom-slots/{classroomSlotId}/attendance-sheets``, scope ``attendanceSheets:read``, pages of 3,000 (every page is read).

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_attendance_sheets"

    def __init__(self, *, classroomSlotId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), classroomSlotId=classroomSlotId)
        super().__init__(parameters=parameters, **kwargs)


class ListAttendancesOperator(ThreeSixtyLearningOperator):
    """List all attendances.

    ``GET /api/v2/classroom-slots/{classroomSlotId}/attendance-sheets/{attendanceSheetId}/attendances``, scope ``attendanceSheets:read``, pages of 3,000 (every page is read).

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param attendanceSheetId: The unique ID of the attendance sheet. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_attendances"

    def __init__(
        self,
        *,
        classroomSlotId: str | None = None,
        attendanceSheetId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            attendanceSheetId=attendanceSheetId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListClassroomSlotsOperator(ThreeSixtyLearningOperator):
    """List all slots in a classroom.

    ``GET /api/v2/classrooms/{classroomId}/slots``, scope ``classrooms:read``, pages of 100 (every page is read).

    :param classroomId: The unique ID of the classroom. (path, required)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_classroom_slots"

    def __init__(
        self,
        *,
        classroomId: str | None = None,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomId=classroomId,
            createdAt=createdAt,
            modifiedAt=modifiedAt,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListClassroomsOperator(ThreeSixtyLearningOperator):
    """List all classrooms.

    ``GET /api/v2/classrooms``, scope ``classrooms:read``, pages of 500 (every page is read).

    :param groupId: Filter on **groupId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin
        to values)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_classrooms"

    def __init__(
        self,
        *,
        groupId: dict[str, Any] | None = None,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            groupId=groupId,
            createdAt=createdAt,
            modifiedAt=modifiedAt,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListSlotRegistrationsOperator(ThreeSixtyLearningOperator):
    """List all registrations in a classroom slot.

    ``GET /api/v2/classroom-slots/{classroomSlotId}/registrations``, scope ``classrooms:read``, pages of 2,000 (every page is read).

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param hasAttended: Filter on **hasAttended** property with LHS bracket notation. (filter: a mapping of eq to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param userId: Filter on **userId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_slot_registrations"

    def __init__(
        self,
        *,
        classroomSlotId: str | None = None,
        createdAt: dict[str, Any] | None = None,
        hasAttended: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        userId: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            createdAt=createdAt,
            hasAttended=hasAttended,
            modifiedAt=modifiedAt,
            userId=userId,
            status=status,
        )
        super().__init__(parameters=parameters, **kwargs)


class RegisterUserForSlotOperator(ThreeSixtyLearningOperator):
    """Register a user to a classroom slot.

    ``POST /api/v2/classroom-slots/{classroomSlotId}/registrations/{userId}``, scope ``classrooms:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "register_user_for_slot"

    def __init__(self, *, classroomSlotId: str | None = None, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ReplaceAttendanceSheetOperator(ThreeSixtyLearningOperator):
    """Replace an attendance sheet.

    ``PUT /api/v2/classroom-slots/{classroomSlotId}/attendance-sheets/{attendanceSheetId}``, scope ``attendanceSheets:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param attendanceSheetId: The unique ID of the attendance sheet. (path, required)
    :param body: Input Attendance Sheet, as a JSON object; required: name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_attendance_sheet"

    def __init__(
        self,
        *,
        classroomSlotId: str | None = None,
        attendanceSheetId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            attendanceSheetId=attendanceSheetId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)


class UpdateClassroomSlotOperator(ThreeSixtyLearningOperator):
    """Edit a classroom slot.

    ``PATCH /api/v2/classrooms/{classroomId}/slots/{classroomSlotId}``, scope ``classrooms:write``.

    :param classroomId: The unique ID of the classroom. (path, required)
    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param body: Patch Classroom Slot, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_classroom_slot"

    def __init__(
        self,
        *,
        classroomId: str | None = None,
        classroomSlotId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomId=classroomId,
            classroomSlotId=classroomSlotId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)


class UpdateSlotRegistrationOperator(ThreeSixtyLearningOperator):
    """Edit a classroom slot registration.

    ``PATCH /api/v2/classroom-slots/{classroomSlotId}/registrations/{slotRegistrationId}``, scope ``classrooms:write``.

    :param classroomSlotId: The unique ID of the classroom slot. (path, required)
    :param slotRegistrationId: The unique ID of the slot registration. (path, required)
    :param body: Patch Slot Registration, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_slot_registration"

    def __init__(
        self,
        *,
        classroomSlotId: str | None = None,
        slotRegistrationId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            classroomSlotId=classroomSlotId,
            slotRegistrationId=slotRegistrationId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)
