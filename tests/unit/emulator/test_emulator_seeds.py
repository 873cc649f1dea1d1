"""The seeded tenant holds at every seed: every id a seeded row names resolves to a live row, and every one of the
161 operations finds data to act on (issue 17: with ``--seed 7`` the integrations' author was a deleted user and no
path session had a child).

A tenant is built in-process (a few milliseconds) and requests go through the emulator's ASGI app without a server.
Each operation gets path parameters found in the seeded rows by the rule its documented errors state (an invited
user to activate, a child session to edit, a full slot to wait for...), then the request is sent: an operation
without a body must succeed, and so must one with the smallest valid body below (bulk imports excepted: their
items are the bulk tests' subject). Two operations act on what another creates (a bulk operation, a waitlist
entry): the test creates it first, since no client finds those in a fresh tenant either.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.emulator.app import create_app
from airflow_provider_360learning.emulator.config import EmulatorConfig
from airflow_provider_360learning.emulator.handlers.memberships import managers
from airflow_provider_360learning.emulator.state import EmulatorState

Row = dict[str, Any]
USER_REFS = ("userId", "authorId", "originalAuthorId", "mainInstructorId", "instructorIds", "coAuthorIds")
REFERENCES: dict[str, str] = {
    **dict.fromkeys(USER_REFS, "users"),
    **dict.fromkeys(("trainerIds", "translatorIds", "suggestedExpertIds", "volunteerIds"), "users"),
    **dict.fromkeys(("groupId", "parentId", "primaryGroupId"), "groups"),
    **dict.fromkeys(("pathSessionId", "sessionId", "rootSessionId"), "path_sessions"),
    "courseId": "courses",
    "pathId": "paths",
    "tagIds": "tags",
    "classroomId": "classrooms",
    "classroomSlotId": "classroom_slots",
    "customLinkId": "custom_links",
    "skillId": "skills",
}
"""Row field -> the collection its ids name (``targetId``, ``steps`` and ``context`` depend on a type field)."""
HISTORY = {("path_session_user_stats", "userId")}
"""References that may name a soft-deleted user: a session's learners keep their statistics after deletion, as
360Learning keeps a deleted user's history. Every other user reference names a user who is not deleted."""
CERTIFICATE_OF = {"paths": "certificate_outlines"}
"""``certificateId`` names an outline in a path; in path statistics it is the learner's path certificate (checked
by ``get_user_certificate_as_pdf`` below)."""


# -- references ----------------------------------------------------------------------------------
def live(state: EmulatorState, collection: str, oid: Any, *, history: bool = False) -> bool:
    """Whether ``oid`` names a row the API serves and may act on (users and courses: not ``deleted``)."""
    row = state.get_row(collection, oid) if isinstance(oid, str) else None
    if row is None:
        return False
    if collection in ("users", "courses") and row["status"] == "deleted":
        return history
    return True


def references(collection: str, row: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """``(field, collection, id)`` of every id a row names, nested ones included."""
    for name, value in row.items():
        if name in REFERENCES:
            for oid in value if isinstance(value, list) else [value]:
                yield name, REFERENCES[name], oid
        elif name == "certificateId" and collection in CERTIFICATE_OF:
            yield name, CERTIFICATE_OF[collection], value
        elif name == "targetId" and row.get("targetType") == "user":
            yield name, "users", value
        elif name == "steps":
            yield from (("steps", "courses", s["_id"]) for s in value if s["type"] == "course")
        elif name == "context" and value["type"] == "path":
            yield name, "path_sessions", value["_id"]
        elif name == "translations":
            for translation in value:
                yield from references(collection, translation)


def broken_references(state: EmulatorState) -> list[str]:
    problems = []
    for name, coll in state.tenant.collections.items():
        for i in range(len(coll)):
            row = coll.item(i)
            for ref, target, oid in references(name, row):
                if not live(state, target, oid, history=(name, ref) in HISTORY):
                    problems.append(f"{name}[{i}].{ref} = {oid!r}: no live {target} row")
            if row.get("authorId") in row.get("coAuthorIds", ()):
                problems.append(f"{name}[{i}]: the author {row['authorId']} is also a co-author")
    for user in state.rows("users"):
        problems += [
            f"manager {m} of {user['_id']} is not live" for m in managers(state, user) if not live(state, "users", m)
        ]
    return problems


# -- targets of every operation ------------------------------------------------------------------
class Seeded:
    """Finds, in the seeded rows, the ids an operation's path needs (failing with what is missing)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def first(self, collection: str, what: str, test: Callable[[Row], bool] = lambda r: True) -> Row:
        row = next((r for r in self.state.rows(collection) if test(r)), None)
        assert row is not None, f"seed {self.state.config.seed}: no seeded {what}"
        return row

    def user(self, status: str = "active", other_than: tuple[str, ...] = ()) -> Row:
        owner = self.state.tenant.users.object_id(0)
        return self.first(
            "users",
            f"{status} user",
            lambda u: u["status"] == status and u["_id"] != owner and u["_id"] not in other_than,
        )

    def session(self, test: Callable[[Row], bool], what: str) -> Row:
        now = self.state.today()
        from airflow_provider_360learning.emulator.handlers.sessions import is_open

        return self.first("path_sessions", what, lambda s: is_open(s, now) and test(s))

    def enrolment(self, session: Row, test: Callable[[Row], bool], what: str) -> Row:
        from airflow_provider_360learning.emulator.handlers.sessions import session_stats

        row = next((r for r in session_stats(self.state, session["_id"]) if test(r)), None)
        assert row is not None, f"seed {self.state.config.seed}: no {what} in session {session['_id']}"
        return row

    def params(self, action: Action) -> dict[str, str]:
        """Path parameters of ``action`` naming seeded rows it may act on."""
        state, name = self.state, action.name
        out: dict[str, str] = {}
        wanted = {p.name for p in action.path_parameters}
        if "userId" in wanted:
            status = {"activate_user": "invited", "pseudonymize_user": "deleted"}.get(name, "active")
            out["userId"] = self.user(status)["_id"]
        if "groupId" in wanted:
            with_integration = {r["groupId"] for r in state.rows("integrations")}
            out["groupId"] = self.first(
                "groups", "group without integration", lambda g: "parentId" in g and g["_id"] not in with_integration
            )["_id"]
        if name in ("add_user_role", "remove_user_role"):
            user = state.get_row("users", out["userId"])
            assert user is not None
            out["role"] = "learner" if name == "remove_user_role" else "coach"
            out["groupId"] = user["primaryGroupId"] if name == "remove_user_role" else out["groupId"]
        if "contentType" in wanted:
            out["contentType"] = "course"
        if "managerId" in wanted:
            if name == "remove_manager_from_user":
                user = self.first(
                    "users", "managed user", lambda u: u["status"] != "deleted" and bool(managers(state, u))
                )
                out["userId"], out["managerId"] = user["_id"], managers(state, user)[0]
            else:
                out["managerId"] = self.user(
                    other_than=(out["userId"], *managers(state, state.get_row("users", out["userId"]) or {}))
                )["_id"]
        if "courseId" in wanted:
            kind = "elearning standard" if name == "update_e_learning_standard_course" else None
            out["courseId"] = self.first(
                "courses", f"{kind or 'live'} course", lambda c: c["status"] != "deleted" and kind in (None, c["type"])
            )["_id"]
        if "pathId" in wanted:
            out["pathId"] = self.first("paths", "published path", lambda p: p["status"] == "published")["_id"]
        if "sessionId" in wanted:
            audience = "audience" in action.path
            session = self.session(
                lambda s: "rootSessionId" not in s and (not audience or s["isAudienceBuilder"]), "open root session"
            )
            out["pathId"], out["sessionId"] = session["pathId"], session["_id"]
            if name == "archive_self_enrollment":
                row = self.enrolment(session, lambda r: r["selfEnrolled"] and "unenrolledAt" not in r, "self-enrolment")
                out["userId"] = row["userId"]
        if "childSessionId" in wanted:
            child = self.session(lambda s: "rootSessionId" in s, "open child session")
            out["pathId"], out["childSessionId"] = child["pathId"], child["_id"]
        if "certificateOutlineId" in wanted:
            used = {p.get("certificateId") for p in state.rows("paths")}
            test = (lambda o: o["_id"] not in used) if name == "delete_certificate_outline" else (lambda o: True)
            out["certificateOutlineId"] = self.first("certificate_outlines", "unused certificate outline", test)["_id"]
        if "classroomSlotId" in wanted:
            full = name in ("join_classroom_slot_waitlist", "leave_classroom_slot_waitlist")
            registered = {r["userId"] for r in state.rows("slot_registrations")}
            counts = {s["_id"]: 0 for s in state.rows("classroom_slots")}
            for r in state.rows("slot_registrations"):
                counts[r["classroomSlotId"]] += 1
            slot = self.first(
                "classroom_slots",
                "full slot" if full else "slot with free seats",
                lambda s: (counts[s["_id"]] >= s.get("maxCapacity", 1 << 30)) == full,
            )
            out["classroomSlotId"], out["classroomId"] = slot["_id"], slot["classroomId"]
            if "userId" in wanted:  # a learner of the slot's session, in none of the classroom's slots
                session = state.get_row("path_sessions", slot["context"]["_id"])
                assert session is not None
                out["userId"] = self.enrolment(
                    session,
                    lambda r: (
                        "unenrolledAt" not in r and r["userId"] not in registered and live(state, "users", r["userId"])
                    ),
                    "enrolled learner",
                )["userId"]
        elif "classroomId" in wanted:
            out["classroomId"] = self.first("classrooms", "classroom")["_id"]
        if "slotRegistrationId" in wanted:
            row = self.first("slot_registrations", "slot registration")
            out["slotRegistrationId"], out["classroomSlotId"] = row["_id"], row["classroomSlotId"]
            slot = state.get_row("classroom_slots", row["classroomSlotId"])
            assert slot is not None
            out["classroomId"] = slot["classroomId"]
        if "attendanceSheetId" in wanted:
            row = self.first("attendance_sheets", "attendance sheet")
            out["attendanceSheetId"], out["classroomSlotId"] = row["_id"], row["classroomSlotId"]
        simple = {
            "customFieldId": "custom_fields",
            "customLinkId": "custom_links",
            "mappingId": "external_ids",
            "tagId": "tags",
        }
        for param, collection in simple.items():
            if param in wanted:
                out[param] = self.first(collection, collection)["_id"]
        if "subscriptionId" in wanted:  # events are retried on active subscriptions only
            test = (lambda r: r["status"] == "active") if name.startswith("retry_event") else (lambda r: True)
            out["subscriptionId"] = self.first("webhook_subscriptions", "active subscription", test)["_id"]
        if "customUserLinkId" in wanted:
            link = self.first("user_custom_links", "user custom link", lambda r: live(state, "users", r["userId"]))
            out["customUserLinkId"], out["userId"] = link["_id"], link["userId"]
        if "certificateId" in wanted or name == "update_user_certificates_privacy_level":
            certificate = self.first(
                "user_certificates", "user certificate", lambda r: live(state, "users", r["userId"])
            )
            out["certificateId"], out["userId"] = certificate["_id"], certificate["userId"]
        if "integrationId" in wanted:
            out.update(self.external_course() if name == "get_external_course" else {})
            out.setdefault("integrationId", self.first("integrations", "integration")["_id"])
        assert set(out) >= wanted, (name, wanted - set(out))
        return {k: v for k, v in out.items() if k in wanted}

    def external_course(self) -> dict[str, str]:
        """An integration and the external id of one of its platform's seeded external courses."""
        from airflow_provider_360learning.emulator.handlers.integrations import PLATFORM_CODES
        from airflow_provider_360learning.emulator.tenant import EXTERNAL_PLATFORMS

        courses = self.state.tenant.courses
        for i in range(len(courses)):
            course = courses.item(i)
            if course["type"] == "external" and course["status"] == "published":
                platform: str = course["externalPlatform"]
                integration = next(r for r in self.state.rows("integrations") if r["externalPlatform"] == platform)
                code = PLATFORM_CODES[EXTERNAL_PLATFORMS.index(platform)]
                return {"integrationId": integration["_id"], "externalId": f"{code}-{i}"}
        raise AssertionError(f"seed {self.state.config.seed}: no published external course")


NOW = "2025-06-01T00:00:00.000Z"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Multipart:
    """A ``multipart/form-data`` body: text fields and files (none of either: the close delimiter alone)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        if not self.fields and not self.files:
            return {"content": b"--empty--\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=empty"}}
        return {"data": self.fields, "files": self.files}


def _row(state: EmulatorState, collection: str, oid: str) -> Row:
    row = state.get_row(collection, oid)
    assert row is not None, (collection, oid)
    return row


BODIES: dict[str, Callable[[EmulatorState, dict[str, str]], Any]] = {
    "replace_external_id_mapping": lambda state, p: {
        **{k: _row(state, "external_ids", p["mappingId"])[k] for k in ("platform", "targetId", "targetType")},
        "value": "EMP-99999",
    },
    "replace_path_steps": lambda state, p: {"steps": _row(state, "paths", p["pathId"])["steps"]},
    "create_classroom_slot": lambda state, p: {
        "startDate": "2027-03-01T09:00:00.000Z",
        "endDate": "2027-03-01T12:00:00.000Z",
        "reportedDuration": 180,
        "selfRegistration": {"enabled": False},
        "virtual": True,
        "name": "Extra slot",
        "context": {"_id": state.tenant.session_ids[0], "type": "path"},
        "location": "Room 9",
    },
    "create_custom_user_link": lambda state, p: {
        "customLinkId": state.tenant.collections["custom_links"].object_id(0),
        "url": "https://agenda.example.com/new",
    },
    "create_path_session": lambda state, p: {
        "mainInstructorId": state.tenant.staff_id(1),
        "registrationRequestValidation": "disabled",
        "startDate": "2027-01-01T00:00:00.000Z",
        "name": "Extra cohort",
    },
    "upload_user_media": lambda state, p: Multipart(files={"profileImage": ("face.png", PNG, "image/png")}),
    "upload_group_media": lambda state, p: Multipart(
        {"authorId": state.tenant.staff_id(0)}, {"logo": ("logo.png", PNG, "image/png")}
    ),
    "create_user_certificate": lambda state, p: Multipart(
        {"deliveryDate": NOW, "title": "Forklift licence"}, {"file": ("licence.pdf", PDF, "application/pdf")}
    ),
    "edit_path": lambda state, p: Multipart(),
    "update_e_learning_standard_course": lambda state, p: Multipart(),
    "archive_restore_course": lambda state, p: {"archived": True},
    "archive_restore_path": lambda state, p: {"archived": False},
    "replace_course_tags": lambda state, p: {"tagIds": [state.tenant.tag_id(0)]},
    "replace_path_tags": lambda state, p: {"tagIds": [state.tenant.tag_id(0)]},
    "update_course_custom_field_values": lambda state, p: {"customValues": []},
    "update_path_session_custom_field_values": lambda state, p: {"customValues": []},
    "replace_user_custom_field_values": lambda state, p: {"customValues": []},
    "edit_custom_field": lambda state, p: {"name": "Renamed field"},
    "replace_custom_field_authorized_values": lambda state, p: {"authorizedValues": ["A", "B"]},
    "replace_custom_link": lambda state, p: {"name": "Renamed link", "order": 9, "type": "agenda"},
    "replace_tag": lambda state, p: {"isMain": False, "name": "Renamed tag"},
    "replace_attendance_sheet": lambda state, p: {"name": "Renamed sheet"},
    "create_attendance_sheet": lambda state, p: {"name": "Second sheet"},
    "replace_user_password": lambda state, p: {"password": "correct-horse-42", "passwordMustBeChanged": True},
    "replace_user_jobs": lambda state, p: {"jobIds": ["job-data-analyst"]},
    "replace_path_translations": lambda state, p: {"translations": []},
    "replace_path_session_audience": lambda state, p: {"mode": "manual", "filters": []},
    "update_custom_user_link": lambda state, p: {
        "customLinkId": state.get_row("user_custom_links", p["customUserLinkId"])["customLinkId"],
        "url": "https://agenda.example.com/renamed",
    },
    "update_user_certificates_privacy_level": lambda state, p: {
        "certificateIds": [r["_id"] for r in state.rows("user_certificates") if r["userId"] == p["userId"]],
        "isPublic": True,
    },
    "retry_event_failures": lambda state, p: {"startDate": NOW, "endDate": "2025-06-02T00:00:00.000Z"},
    "retry_event_successes": lambda state, p: {"startDate": NOW, "endDate": "2025-06-02T00:00:00.000Z"},
    "archive_external_courses": lambda state, p: {"input": [{"externalId": "NONE-1"}]},
}
"""The smallest valid body of the operations on seeded rows whose body has required fields (others get ``{}``)."""
UNSENT = {"import_external_courses", "import_external_statistics"}
"""Bulk imports: their integration is found (and a bulk submission to it is sent for ``get_bulk_operation``); the
items' content is the bulk tests' subject, not the seeded data's."""


def client_for(state: EmulatorState) -> TestClient:
    client = TestClient(create_app(state=state), raise_server_exceptions=True)
    config = state.config
    token = client.post(
        "/api/v2/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": config.client_id, "client_secret": config.client_secret},
    ).json()["access_token"]
    client.headers.update({"Authorization": f"Bearer {token}", "360-api-version": "v2.0"})
    return client


def url(action: Action, params: Mapping[str, str]) -> str:
    path = action.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


def chained(client: TestClient, state: EmulatorState, seeded: Seeded, action: Action) -> dict[str, str]:
    """Targets that a fresh tenant holds only after another operation: a bulk operation, a waitlist entry."""
    if action.name.startswith("get_bulk_operation"):
        integration = seeded.external_course()["integrationId"]
        submitted = client.request(
            "DELETE", f"/api/v2/bulk/integrations/{integration}/courses", json={"input": [{"externalId": "NONE-1"}]}
        )
        assert submitted.status_code == 202, submitted.text
        state.advance_time(60)  # the operation runs to its end (its results exist then)
        return {"bulkOperationId": submitted.headers["Location"].rstrip("/").rsplit("/", 1)[-1]}
    params = seeded.params(action)
    if action.name == "leave_classroom_slot_waitlist":
        join = client.post(url(ACTIONS["join_classroom_slot_waitlist"], params))
        assert join.status_code < 300, join.text
    return params


def check_operations(state: EmulatorState) -> list[str]:
    """Every operation on seeded rows (fresh state each): its targets exist and, when sent, it succeeds."""
    seeded, problems = Seeded(state), []
    with client_for(state) as client:
        for action in ACTIONS.values():
            if not action.path_parameters and action.method != "GET":
                continue  # a creation: it acts on no seeded row (the ids its body names are the schemathesis test's)
            state.reset(keep_tokens=True)
            params = chained(client, state, seeded, action)
            if action.name in UNSENT:
                continue
            body = BODIES[action.name](state, params) if action.name in BODIES else ({} if action.has_body else None)
            sent = body.request() if isinstance(body, Multipart) else {"json": body}
            response = client.request(action.method, url(action, params), **sent)
            if response.status_code >= 300:
                problems.append(f"{action.name} {params}: {response.status_code} {response.text[:300]}")
    state.reset()
    return problems


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
@example(seed=7)
@example(seed=42)
def test_seeded_references_resolve_and_every_operation_has_its_data(seed: int) -> None:
    state = EmulatorState(EmulatorConfig(seed=seed, response_cache_mb=0))
    assert broken_references(state) == []
    assert check_operations(state) == []


def test_seed_7_integrations_author_and_child_session() -> None:
    """The two cases of issue 17: at seed 7 the integrations' author was deleted and no session had a child."""
    state = EmulatorState(EmulatorConfig(seed=7))
    for integration in state.rows("integrations"):
        assert live(state, "users", integration["authorId"]), integration
    children = [s for s in state.rows("path_sessions") if "rootSessionId" in s]
    assert children and all(live(state, "path_sessions", s["rootSessionId"]) for s in children)


@pytest.mark.parametrize("field", ["authorId", "mainInstructorId", "trainerIds", "userId"])
def test_the_reference_check_sees_a_deleted_user(field: str) -> None:
    """The checker is not blind: a row naming a deleted user is reported (but a learner's statistics may)."""
    state = EmulatorState(EmulatorConfig(seed=7))
    deleted = Seeded(state).user("deleted")["_id"]
    row = {field: [deleted] if field.endswith("Ids") else deleted}
    assert not all(live(state, target, oid) for _, target, oid in references("courses", row))
    assert all(live(state, t, oid, history=True) for _, t, oid in references("path_session_user_stats", row))
