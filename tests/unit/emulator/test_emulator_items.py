"""Single-item reads: documented 404 bodies naming the id, and sessions that belong to another path."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from tests.unit.emulator.conftest import Api, schema_errors

UNKNOWN = "0123456789abcdef01234567"


@pytest.mark.parametrize(
    "list_path,get_name,code",
    [
        ("/api/v2/users", "get_user", "userNotFound"),
        ("/api/v2/groups", "get_group", "groupNotFound"),
        ("/api/v2/courses", "get_course", "courseNotFound"),
        ("/api/v2/paths", "get_path", "pathNotFound"),
    ],
)
def test_get_matches_the_list_and_unknown_ids_are_404(api: Api, list_path: str, get_name: str, code: str) -> None:
    rows = api.all(list_path)
    for row in (rows[0], rows[-1]):
        response = api.get(f"{list_path}/{row['_id']}")
        assert response.status_code == 200 and response.json() == row
    upper = api.get(f"{list_path}/{rows[0]['_id'].upper()}")
    assert upper.json() == rows[0], "ids are case-insensitive hex"
    missing = api.get(f"{list_path}/{UNKNOWN}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == code and UNKNOWN in missing.json()["error"]["message"]
    assert schema_errors(ACTIONS[get_name], 404, missing.json()) == []


def test_ids_of_another_collection_are_unknown(api: Api, learning360_emulator: Any) -> None:
    course_id = learning360_emulator.state.tenant.courses.object_id(0)
    assert api.get(f"/api/v2/users/{course_id}").status_code == 404
    past_the_end = learning360_emulator.state.tenant.users.object_id(len(learning360_emulator.state.tenant.users))
    assert api.get(f"/api/v2/users/{past_the_end}").status_code == 404


def test_path_sessions(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    sessions = api.all("/api/v2/paths/sessions")
    assert 2 * len(tenant.paths) <= len(sessions) <= 3 * len(tenant.paths)
    assert all("translations" not in s for s in sessions), "the all-sessions list omits translations"
    session = sessions[3]
    in_path = api.all(f"/api/v2/paths/{session['pathId']}/sessions")
    assert 2 <= len(in_path) <= 3 and all("translations" in s for s in in_path)
    one = api.get(f"/api/v2/paths/{session['pathId']}/sessions/{session['_id']}")
    assert one.status_code == 200 and one.json() == next(s for s in in_path if s["_id"] == session["_id"])
    assert {k: v for k, v in one.json().items() if k != "translations"} == session


@pytest.mark.parametrize("suffix", ["", "/user-stats"])
def test_session_errors(api: Api, learning360_emulator: Any, suffix: str) -> None:
    tenant = learning360_emulator.state.tenant
    action = ACTIONS["get_path_session" if not suffix else "list_path_session_user_stats"]
    path0, path1 = tenant.path_ids[0], tenant.path_ids[1]
    session_of_0 = tenant.session_ids[0]
    foreign = api.get(f"/api/v2/paths/{path1}/sessions/{session_of_0}{suffix}")
    assert foreign.status_code == 400
    assert foreign.json()["error"]["code"] == "sessionNotBelongToPath"
    assert session_of_0 in foreign.json()["error"]["message"]
    assert schema_errors(action, 400, foreign.json()) == []
    no_path = api.get(f"/api/v2/paths/{UNKNOWN}/sessions/{session_of_0}{suffix}")
    assert no_path.status_code == 404 and no_path.json()["error"]["code"] == "pathNotFound"
    assert UNKNOWN in no_path.json()["error"]["message"]
    no_session = api.get(f"/api/v2/paths/{path0}/sessions/{UNKNOWN}{suffix}")
    assert no_session.status_code == 404 and no_session.json()["error"]["code"] == "sessionNotFound"
    assert UNKNOWN in no_session.json()["error"]["message"]
    assert schema_errors(action, 404, no_session.json()) == []


def test_sessions_of_an_unknown_path_are_404(api: Api) -> None:
    response = api.get(f"/api/v2/paths/{UNKNOWN}/sessions")
    assert response.status_code == 404 and UNKNOWN in response.json()["error"]["message"]


def test_path_stats_are_the_session_user_stats(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    every = api.all("/api/v2/paths/stats")
    rebuilt = []
    for plan in tenant.sessions:
        path_id, session_id = tenant.path_ids[plan.path], tenant.session_ids[plan.index]
        for row in api.all(f"/api/v2/paths/{path_id}/sessions/{session_id}/user-stats"):
            assert "pathId" not in row and "sessionId" not in row
            rebuilt.append({**row, "pathId": path_id, "sessionId": session_id})
    assert sorted(every, key=lambda r: r["_id"]) == sorted(rebuilt, key=lambda r: r["_id"])
    users = {u["_id"] for u in api.all("/api/v2/users")}
    assert {r["userId"] for r in every} <= users
    onboarding = tenant.session_ids[tenant.onboarding.index]
    assert sum(1 for r in every if r["sessionId"] == onboarding) == len(users), "onboarding enrols every user"


def test_course_stats_reference_existing_rows(api: Api) -> None:
    stats = api.all("/api/v2/courses/stats")
    users = {u["_id"] for u in api.all("/api/v2/users")}
    courses = {c["_id"] for c in api.all("/api/v2/courses")}
    sessions = {s["_id"]: s["pathId"] for s in api.all("/api/v2/paths/sessions")}
    assert {s["userId"] for s in stats} <= users
    assert {s["courseId"] for s in stats} <= courses
    in_path = [s for s in stats if "pathSessionId" in s]
    assert in_path and all(sessions[s["pathSessionId"]] == s["pathId"] for s in in_path)
    paths = {p["_id"]: p for p in api.all("/api/v2/paths")}
    assert all(any(step["_id"] == s["courseId"] for step in paths[s["pathId"]]["steps"]) for s in in_path)
