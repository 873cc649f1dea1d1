"""Every operation of the core API runs through Airflow: one DAG, one named operator per step, run with
``dag.test()`` against the emulator, every request and response checked against the official spec (the
``emulator`` fixture's contract check). Ids flow between tasks through XCom templates, as in a real DAG;
the run's XComs then prove what the writes changed."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.three_sixty_learning import (
    operator_class_name,
    operator_module_name,
)
from tests.unit.dag_runs import DagResult, run_dag

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def x(task_id: str, *keys: str | int) -> str:
    """A template for a value an upstream task returned (``x("create_user", "_id")``)."""
    path = "".join(f"[{k!r}]" for k in keys)
    return f"{{{{ ti.xcom_pull(task_ids='{task_id}'){path} }}}}"


@dataclass
class Step:
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    task_id: str = ""
    output_path: str | None = None

    def __post_init__(self) -> None:
        self.task_id = self.task_id or self.action


def scenario(seeds: dict[str, Any], files: Path) -> list[Step]:
    """Every core operation once at least, in an order where each finds what it needs."""
    png, pdf, package = files / "face.png", files / "first-aid.pdf", files / "course.zip"
    u0, u1, u2, g0 = seeds["user0"], seeds["user1"], seeds["user2"], seeds["group0"]
    new_user, new_group, new_path = x("create_user", "_id"), x("create_group", "_id"), x("create_path", "_id")
    new_session, tag = x("create_path_session", "_id"), x("create_tag", "_id")
    user_field, content_field = x("create_custom_field", "_id"), x("create_custom_field__contents", "_id")
    link, outline = x("create_custom_link", "_id"), x("create_certificate_outline", "_id")
    classroom, slot = x("create_classroom", "_id"), x("create_classroom_slot", "_id")
    sheet, mapping, integration = (
        x("create_attendance_sheet", "_id"),
        x("create_external_id_mapping", "_id"),
        x("create_integration", "_id"),
    )
    course, certificate = x("create_e_learning_standard_course", "_id"), x("create_user_certificate", "_id")
    return [
        Step("generate_token"),
        # reads of the seeded tenant
        Step("list_users"),
        Step("list_groups"),
        Step("list_courses"),
        Step("list_paths"),
        Step("list_tags"),
        Step("get_skills"),
        Step("get_powers"),
        Step("get_projects"),
        Step("get_learning_needs"),
        Step("list_courses_statistics", {"completedAt": {"gte": "2025-01-01T00:00:00Z"}}),
        Step("get_path_stats"),
        Step("get_all_path_sessions"),
        # users
        Step(
            "create_user",
            {
                "body": {
                    "mail": "ada.lovelace@example.com",
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "membership": {"groupId": g0, "role": "learner"},
                }
            },
        ),
        Step("get_user", {"userId": new_user}),
        Step("edit_user", {"userId": new_user, "body": {"job": "Data analyst"}}),
        Step("get_user", {"userId": new_user}, task_id="get_user__edited"),
        Step("add_manager_to_user", {"userId": new_user, "managerId": u1}),
        Step("list_user_managers", {"userId": new_user}),
        Step("list_user_subordinates", {"userId": u1}),
        Step("remove_manager_from_user", {"userId": new_user, "managerId": u1}),
        Step("list_user_managers", {"userId": new_user}, task_id="list_user_managers__removed"),
        Step("get_user_roles_in_groups", {"userId": new_user}),
        Step("replace_user_jobs", {"userId": new_user, "body": {"jobIds": ["job-data-analyst"]}}),
        Step(
            "replace_user_password",
            {"userId": new_user, "body": {"password": "correct-horse-42", "passwordMustBeChanged": True}},
        ),
        Step("upload_user_media", {"userId": new_user, "body": {"profileImage": str(png)}}),
        # custom fields
        Step("list_custom_fields"),
        Step("create_custom_field", {"body": {"name": "Cost center", "targetType": "users", "type": "string"}}),
        Step(
            "create_custom_field",
            {"body": {"name": "Budget line", "targetType": "contents", "type": "string"}},
            task_id="create_custom_field__contents",
        ),
        Step("edit_custom_field", {"customFieldId": user_field, "body": {"name": "Cost centre"}}),
        Step(
            "replace_custom_field_authorized_values",
            {"customFieldId": user_field, "body": {"authorizedValues": ["FIN", "OPS"]}},
        ),
        Step("list_custom_field_authorized_values", {"customFieldId": user_field}),
        Step(
            "replace_user_custom_field_values",
            {
                "userId": new_user,
                "body": {"customValues": [{"customFieldId": user_field, "type": "string", "value": "FIN"}]},
            },
        ),
        Step("list_user_custom_field_values", {"userId": new_user}),
        # custom links
        Step("get_custom_links_by_company"),
        Step(
            "create_custom_link",
            {"body": {"name": "Team calendar", "order": 5, "type": "handbook", "iconName": "agenda"}},
        ),
        Step(
            "replace_custom_link",
            {"customLinkId": link, "body": {"name": "Team calendar 2026", "order": 5, "type": "handbook"}},
        ),
        Step(
            "create_custom_user_link",
            {"userId": new_user, "body": {"customLinkId": link, "url": "https://calendar.example.com/ada"}},
        ),
        Step("get_custom_user_links", {"userId": new_user}),
        Step(
            "update_custom_user_link",
            {
                "userId": new_user,
                "customUserLinkId": x("get_custom_user_links", 0, "_id"),
                "body": {"customLinkId": link, "url": "https://calendar.example.com/ada-2"},
            },
        ),
        Step("get_custom_user_links", {"userId": new_user}, task_id="get_custom_user_links__updated"),
        Step("delete_custom_user_link", {"userId": new_user, "customUserLinkId": x("get_custom_user_links", 0, "_id")}),
        Step("delete_custom_link", {"customLinkId": link}),
        # certificates
        Step("get_certificate_outlines"),
        Step(
            "create_certificate_outline",
            {"body": {"title": "Data literacy", "groupId": g0, "bodyHtml": "<p>Well done</p>"}},
        ),
        Step("update_certificate_outline", {"certificateOutlineId": outline, "body": {"subtitle": "2026 cohort"}}),
        Step(
            "create_user_certificate",
            {
                "userId": new_user,
                "body": {"title": "First aid", "deliveryDate": "2026-01-10T09:00:00.000Z", "file": str(pdf)},
            },
        ),
        Step("get_user_certificates", {"userId": new_user}),
        Step(
            "update_user_certificates_privacy_level",
            {"userId": new_user, "body": {"certificateIds": [certificate], "isPublic": True}},
        ),
        Step(
            "get_user_certificate_as_pdf",
            {"userId": new_user, "certificateId": certificate},
            output_path=str(files / "certificate.pdf"),
        ),
        # groups
        Step("create_group", {"body": {"name": "Data team", "public": False, "parentId": g0}}),
        Step("get_group", {"groupId": new_group}),
        Step("edit_group", {"groupId": new_group, "body": {"name": "Data and analytics"}}),
        Step("add_user_role", {"groupId": new_group, "role": "coach", "userId": new_user}),
        Step("list_group_memberships", {"groupId": new_group}),
        Step("remove_user_role", {"groupId": new_group, "role": "coach", "userId": new_user}),
        Step("list_group_memberships", {"groupId": new_group}, task_id="list_group_memberships__removed"),
        Step("list_group_catalog_content_ids", {"groupId": g0, "contentType": "course"}),
        Step("list_group_library_content_ids", {"groupId": g0, "contentType": "course"}),
        Step("upload_group_media", {"groupId": new_group, "body": {"authorId": u0, "logo": str(png)}}),
        Step("upsert_group_customization_colors", {"groupId": new_group, "body": {"colors": {"primary": "#0a1b2c"}}}),
        # tags
        Step("create_tag", {"body": {"name": "Data literacy 2026", "isMain": True}}),
        Step("get_tag", {"tagId": tag}),
        Step("replace_tag", {"tagId": tag, "body": {"name": "Data literacy", "isMain": True}}),
        # courses
        Step("get_course", {"courseId": seeds["course0"]}),
        Step("replace_course_tags", {"courseId": seeds["course0"], "body": {"tagIds": [tag]}}),
        Step("get_course_tags", {"courseId": seeds["course0"]}),
        Step(
            "update_course_custom_field_values",
            {
                "courseId": seeds["course0"],
                "body": {"customValues": [{"customFieldId": content_field, "type": "string", "value": "B-12"}]},
            },
        ),
        Step("get_course_custom_field_values", {"courseId": seeds["course0"]}),
        Step(
            "create_e_learning_standard_course",
            {
                "body": {
                    "name": "Spreadsheet basics",
                    "sourceLang": "en",
                    "authorId": u0,
                    "groupId": g0,
                    "estdFile": str(package),
                }
            },
        ),
        Step("update_e_learning_standard_course", {"courseId": course, "body": {"name": "Spreadsheet essentials"}}),
        Step("archive_restore_course", {"courseId": course, "body": {"archived": True}}),
        Step("generate_from_prompt", {"body": {"prompt": "Pivot tables for analysts", "authorId": u0}}),
        # paths
        Step("get_path", {"pathId": seeds["path0"]}),
        Step("create_path", {"body": {"authorId": u0, "groupId": g0, "name": "Data literacy", "coAuthorIds": [u2]}}),
        Step("edit_path", {"pathId": new_path, "body": {"description": "From spreadsheets to dashboards"}}),
        Step(
            "replace_path_steps",
            {
                "pathId": new_path,
                "body": {
                    "steps": [
                        {
                            "_id": seeds["course0"],
                            "type": "course",
                            "options": {"optional": False, "showCorrection": "onAnswer", "showForum": "onCompletion"},
                        }
                    ]
                },
            },
        ),
        Step("replace_path_tags", {"pathId": new_path, "body": {"tagIds": [tag]}}),
        Step("list_path_tags", {"pathId": new_path}),
        Step(
            "replace_path_translations",
            {
                "pathId": new_path,
                "body": {
                    "translations": [
                        {
                            "lang": "fr",
                            "published": True,
                            "translatorIds": [u2],
                            "translatedFields": {"name": "Culture des données"},
                        }
                    ]
                },
            },
        ),
        Step("add_tokens", {"body": {"authorId": u0, "groupId": g0, "numberTokensBought": 25, "pathId": new_path}}),
        # path sessions
        Step(
            "create_path_session",
            {
                "pathId": new_path,
                "body": {
                    "name": "February cohort",
                    "mainInstructorId": u0,
                    "registrationRequestValidation": "disabled",
                    "startDate": "2026-01-05T09:00:00.000Z",
                    "endDate": "2030-06-28T17:00:00.000Z",
                },
            },
        ),
        Step("list_path_sessions", {"pathId": new_path}),
        Step("get_path_session", {"pathId": new_path, "sessionId": new_session}),
        Step(
            "edit_path_session",
            {"pathId": new_path, "sessionId": new_session, "body": {"name": "February cohort (EU)"}},
        ),
        Step(
            "replace_path_session_audience",
            {
                "pathId": new_path,
                "sessionId": new_session,
                "body": {"mode": "manual", "filters": [{"type": "users", "ids": [new_user, u1]}]},
            },
        ),
        Step("get_path_session_audience", {"pathId": new_path, "sessionId": new_session}),
        Step("list_path_session_user_stats", {"pathId": new_path, "sessionId": new_session}),
        Step("get_path_session_metrics", {"pathId": new_path, "sessionId": new_session}),
        Step("list_path_enrollments", {"pathId": new_path}),
        Step(
            "update_path_session_custom_field_values",
            {
                "pathId": new_path,
                "sessionId": new_session,
                "body": {"customValues": [{"customFieldId": content_field, "type": "string", "value": "B-13"}]},
            },
        ),
        Step("get_path_session_custom_field_values", {"pathId": new_path, "sessionId": new_session}),
        Step(
            "archive_self_enrollment",
            {
                "pathId": seeds["self_enrolled"]["pathId"],
                "sessionId": seeds["self_enrolled"]["sessionId"],
                "userId": seeds["self_enrolled"]["userId"],
            },
        ),
        Step(
            "edit_child_path_session",
            {
                "pathId": seeds["child"]["pathId"],
                "childSessionId": seeds["child"]["_id"],
                "body": {"additionalInformation": "Room 4 for this site"},
            },
        ),
        # classrooms and attendance
        Step("list_classrooms"),
        Step("create_classroom", {"body": {"groupId": g0, "name": "Spreadsheet clinic"}}),
        Step("get_classroom", {"classroomId": classroom}),
        Step("edit_classroom", {"classroomId": classroom, "body": {"trainingObjective": "Pivot tables"}}),
        Step(
            "create_classroom_slot",
            {
                "classroomId": classroom,
                "body": {
                    "name": "Morning",
                    "startDate": "2030-03-04T09:00:00.000Z",
                    "endDate": "2030-03-04T12:00:00.000Z",
                    "reportedDuration": 180,
                    "selfRegistration": {"enabled": True},
                    "virtual": False,
                    "maxCapacity": 1,
                    "location": "Room 4",
                    "context": {"_id": new_session, "type": "path"},
                },
            },
        ),
        Step("list_classroom_slots", {"classroomId": classroom}),
        Step(
            "update_classroom_slot", {"classroomId": classroom, "classroomSlotId": slot, "body": {"location": "Room 5"}}
        ),
        Step("register_user_for_slot", {"classroomSlotId": slot, "userId": new_user}),
        Step("list_slot_registrations", {"classroomSlotId": slot}),
        Step("get_classroom_registrations", {"classroomId": classroom}),
        Step(
            "update_slot_registration",
            {
                "classroomSlotId": slot,
                "slotRegistrationId": x("register_user_for_slot", "_id"),
                "body": {"rsvp": {"going": True}},
            },
        ),
        Step("join_classroom_slot_waitlist", {"classroomSlotId": slot, "userId": u1}),
        Step("get_classroom_slot_waitlist", {"classroomSlotId": slot}),
        Step("leave_classroom_slot_waitlist", {"classroomSlotId": slot, "userId": u1}),
        Step("create_attendance_sheet", {"classroomSlotId": slot, "body": {"name": "Morning sheet"}}),
        Step("list_attendance_sheets", {"classroomSlotId": slot}),
        Step(
            "replace_attendance_sheet",
            {"classroomSlotId": slot, "attendanceSheetId": sheet, "body": {"name": "Signed sheet"}},
        ),
        Step("list_attendances", {"classroomSlotId": slot, "attendanceSheetId": sheet}),
        Step("delete_attendance_sheet", {"classroomSlotId": slot, "attendanceSheetId": sheet}),
        Step("delete_classroom_slot", {"classroomId": classroom, "classroomSlotId": slot}),
        # external ids
        Step(
            "create_external_id_mapping",
            {"body": {"platform": "workday", "targetType": "user", "targetId": new_user, "value": "W-1001"}},
        ),
        Step("list_external_id_mappings"),
        Step(
            "replace_external_id_mapping",
            {
                "mappingId": mapping,
                "body": {"platform": "workday", "targetType": "user", "targetId": new_user, "value": "W-2001"},
            },
        ),
        Step("delete_external_id_mapping", {"mappingId": mapping}),
        # integrations
        Step("get_integrations"),
        Step("get_external_course", {"integrationId": seeds["integration0"], "externalId": seeds["external_course"]}),
        Step("create_integration", {"body": {"externalPlatform": "Pluralsight", "authorId": u0, "groupId": new_group}}),
        Step("edit_integration", {"integrationId": integration, "body": {"defaultProgress": 50}}),
        Step("delete_integration", {"integrationId": integration}),
        # archive, delete, pseudonymize
        Step("delete_path_session", {"pathId": new_path, "sessionId": new_session}),
        Step("archive_restore_path", {"pathId": new_path, "body": {"archived": True}}),
        Step("get_path", {"pathId": new_path}, task_id="get_path__archived"),
        Step("delete_path", {"pathId": new_path}),
        Step("delete_tag", {"tagId": tag}),
        Step("delete_custom_field", {"customFieldId": user_field}),
        Step("delete_certificate_outline", {"certificateOutlineId": outline}),
        Step("delete_group", {"groupId": new_group}),
        Step("delete_user", {"userId": new_user}),
        Step("pseudonymize_user", {"userId": new_user}),
        Step(
            "create_user",
            {
                "sendInvitationEmail": True,
                "body": {"mail": "grace.hopper@example.com", "membership": {"groupId": g0, "role": "learner"}},
            },
            task_id="create_user__invited",
        ),
        Step("activate_user", {"userId": x("create_user__invited", "_id")}),
    ]


def discover_seeds(emulator: Any) -> dict[str, Any]:
    """Ids of the seeded tenant the scenario starts from (the DAG itself reads and writes the rest)."""
    hook = ThreeSixtyLearningHook()
    users = [u["_id"] for _, u in zip(range(3), hook.iter_action("list_users"), strict=False)]
    paths = list(hook.iter_action("list_paths"))
    stats = list(hook.iter_action("get_path_stats"))
    self_enrolled = next(s for s in stats if s.get("selfEnrolled"))
    first_course_of: dict[str, int] = {}
    for i, course in enumerate(hook.iter_action("list_courses")):
        first_course_of.setdefault(course.get("externalPlatform") or "", i)
    integration = next(i for i in hook.iter_action("get_integrations") if i["externalPlatform"] in first_course_of)
    platform = integration["externalPlatform"]
    index = first_course_of[platform]
    code = {"LinkedIn Learning": "LIL", "Coursera": "COURSERA", "Udemy": "UDEMY"}[platform]
    root = next(hook.iter_action("get_all_path_sessions"))
    child = emulator.state.add_row(
        "path_sessions",
        {  # only the control interface makes child sessions
            "pathId": root["pathId"],
            "rootSessionId": root["_id"],
            "endDate": "2030-12-31T00:00:00.000Z",
        },
    )
    return {
        "user0": users[0],
        "user1": users[1],
        "user2": users[2],
        "group0": next(hook.iter_action("list_groups"))["_id"],
        "course0": next(hook.iter_action("list_courses"))["_id"],
        "path0": paths[0]["_id"],
        "self_enrolled": self_enrolled,
        "child": child,
        "integration0": integration["_id"],
        "external_course": f"{code}-{index}",
    }


def build_dag(steps: list[Step], dag_of: Any) -> Any:
    def build() -> None:
        previous = None
        for step in steps:
            module = __import__(
                f"airflow_provider_360learning.operators.{operator_module_name(ACTIONS[step.action])}", fromlist=["_"]
            )
            cls = getattr(module, operator_class_name(ACTIONS[step.action]))
            task = cls(
                task_id=step.task_id, parameters=step.params, output_path=step.output_path, max_xcom_items=100_000
            )
            if previous is not None:
                previous >> task
            previous = task

    return dag_of(build)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    import zipfile

    (tmp_path / "face.png").write_bytes(PNG)
    (tmp_path / "first-aid.pdf").write_bytes(PDF)
    with zipfile.ZipFile(tmp_path / "course.zip", "w") as package:
        package.writestr("imsmanifest.xml", "<manifest/>")
    return tmp_path


def test_every_core_operation_runs_through_airflow_and_its_writes_read_back(
    dag_of: Any, emulator: Any, files: Path
) -> None:
    steps = scenario(discover_seeds(emulator), files)
    emulator.state.clear_exchanges()
    result = run_dag(build_dag(steps, dag_of))
    failed = {task: state for task, state in result.states.items() if state != "success"}
    assert failed == {}, failed
    core = {name for name, action in ACTIONS.items() if action.api == "core"}
    assert {s.action for s in steps} == core
    assert set(emulator.state.stats()["requests"]) | {"generate_token"} >= core

    xcom = result.xcom
    new_user, tag, u1 = xcom["create_user"]["_id"], xcom["create_tag"]["_id"], xcom["list_users"][1]["_id"]
    assert xcom["get_user"]["mail"] == "ada.lovelace@example.com"
    assert xcom["get_user__edited"]["job"] == "Data analyst"
    assert xcom["list_user_managers"] == [u1] and xcom["list_user_managers__removed"] == []
    assert [v["value"] for v in xcom["list_user_custom_field_values"]] == ["FIN"]
    assert [link["url"] for link in xcom["get_custom_user_links__updated"]] == ["https://calendar.example.com/ada-2"]
    assert {"userId": new_user, "role": "coach"} in xcom["list_group_memberships"]
    assert new_user not in {m["userId"] for m in xcom["list_group_memberships__removed"]}
    assert xcom["get_tag"]["name"] == "Data literacy 2026"
    assert [t["tagId"] for t in xcom["get_course_tags"]] == [tag] == [t["tagId"] for t in xcom["list_path_tags"]]
    assert {s["userId"] for s in xcom["list_path_session_user_stats"]} == {new_user, u1}
    assert [r["userId"] for r in xcom["list_slot_registrations"]] == [new_user]
    assert xcom["get_path__archived"]["status"] == "archived"
    assert xcom["get_user_certificate_as_pdf"]["bytes"] == len(PDF)
    assert (files / "certificate.pdf").read_bytes() == PDF
    assert xcom["pseudonymize_user"]["status"] == "deleted" and "mail" not in xcom["pseudonymize_user"]
    assert xcom["activate_user"]["status"] == "active"
    # The password never reached XCom, nor the rendered template fields the UI shows.
    assert "correct-horse-42" not in str(xcom)
    rendered = rendered_fields(result, "replace_user_password")
    assert rendered and "correct-horse-42" not in str(rendered)


def rendered_fields(result: DagResult, task_id: str) -> Any:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalars(
            select(RenderedTaskInstanceFields).where(
                RenderedTaskInstanceFields.task_id == task_id, RenderedTaskInstanceFields.run_id == result.run_id
            )
        ).first()
        return row.rendered_fields if row else None
