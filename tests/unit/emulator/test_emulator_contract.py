"""Every implemented action answers what the official documents describe, on first and later pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.handlers import HANDLERS
from airflow_provider_360learning.emulator.server import EmulatorServer
from tests.unit.emulator.conftest import Api, exchange_errors, schema_errors

READS = [
    "list_users",
    "get_user",
    "list_groups",
    "get_group",
    "list_courses",
    "get_course",
    "list_courses_statistics",
    "list_paths",
    "get_path",
    "get_all_path_sessions",
    "list_path_sessions",
    "get_path_session",
    "get_path_stats",
    "list_path_session_user_stats",
]


@pytest.fixture(scope="module")
def server() -> Any:
    """Scale 12 plus added groups, paths and sessions, so that every list has a second page."""
    with EmulatorServer(scale=12, record_exchanges=True) as srv:
        state = srv.state
        tenant = state.tenant
        for name, collection, extra in [
            ("list_groups", "groups", {}),
            ("list_paths", "paths", {}),
            ("get_all_path_sessions", "path_sessions", {"pathId": tenant.path_ids[1]}),
        ]:
            for _ in range(ACTIONS[name].page_size + 1 - len(tenant.collections[collection])):  # type: ignore[operator]
                state.add_row(collection, extra)
        yield srv


def _path_for(name: str, server: EmulatorServer, *, unknown: bool = False) -> str:
    """A path of the action with existing ids, or with an unknown id in its last path parameter."""
    tenant = server.state.tenant
    plan = tenant.sessions[1]
    values = {
        "userId": tenant.users.object_id(1),
        "groupId": tenant.groups.object_id(2),
        "courseId": tenant.courses.object_id(3),
        "pathId": tenant.path_ids[plan.path],
        "sessionId": tenant.session_ids[plan.index],
    }
    if name in ("list_path_sessions", "list_path_session_user_stats"):
        values["pathId"] = tenant.path_ids[1] if name == "list_path_sessions" else tenant.path_ids[0]
        values["sessionId"] = tenant.session_ids[tenant.onboarding.index]
    if unknown:
        values[ACTIONS[name].path_parameters[-1].name] = "f" * 24
    return ACTIONS[name].path.format(**values)


def test_the_brief_reads_are_all_implemented() -> None:
    assert set(READS) <= set(HANDLERS)


@pytest.mark.parametrize("name", READS)
def test_first_and_later_pages_satisfy_the_documented_schema(name: str, server: EmulatorServer) -> None:
    action = ACTIONS[name]
    api = Api(server)
    response = api.get(_path_for(name, server))
    assert response.status_code == 200, response.text
    body = response.json()
    assert schema_errors(action, 200, body) == []
    if action.is_paginated:
        assert len(body) == action.page_size, "the first page is full"
        later = api.http.get(response.links["next"]["url"], headers=api.headers())
        assert later.status_code == 200
        assert later.json() and schema_errors(action, 200, later.json()) == []
    api.close()


@pytest.mark.parametrize("name", READS)
def test_documented_error_bodies(name: str, server: EmulatorServer) -> None:
    action = ACTIONS[name]
    api = Api(server)
    path = _path_for(name, server)
    unauthorized = api.http.get(path, headers={"360-api-version": "v2.0"})
    assert unauthorized.status_code == 401 and schema_errors(action, 401, unauthorized.json()) == []
    if action.path_parameters:
        missing = api.get(_path_for(name, server, unknown=True))
        assert missing.status_code == 404, missing.text
        assert schema_errors(action, 404, missing.json()) == []
    api.close()


def test_every_recorded_exchange_satisfies_the_contract(server: EmulatorServer) -> None:
    server.state.reset()
    api = Api(server)
    for name in READS:
        api.get(_path_for(name, server))
    api.get("/api/v2/users", {"status[eq]": "invited"})
    api.http.get("/api/v2/users", headers={"360-api-version": "v2.0"})
    assert len(server.state.exchanges) == len(READS) + 3
    assert exchange_errors(server) == []
    api.close()


def test_recorded_exchanges_are_complete(server: EmulatorServer) -> None:
    server.state.reset()
    api = Api(server)
    response = api.get("/api/v2/groups")
    exchange = server.state.exchanges[-1]
    assert exchange.method == "GET" and exchange.url == f"{server.url}/api/v2/groups"
    assert exchange.status == 200 and exchange.action == "list_groups"
    assert json.loads(exchange.response_body) == response.json()
    assert ("content-type", "application/json") in exchange.response_headers
    assert dict(exchange.request_headers)["authorization"] == "Bearer <redacted>"
    api.close()
