"""Authentication, scopes, the API version header and routing errors, in the order the emulator checks them."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from tests.unit.emulator.conftest import API_VERSION, Api, schema_errors


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic ZW11bGF0b3I6c2VjcmV0"],
    ids=["missing", "empty", "unknown", "basic"],
)
def test_missing_or_unknown_token_is_401(api: Api, authorization: str | None) -> None:
    headers = dict(API_VERSION)
    if authorization is not None:
        headers["Authorization"] = authorization
    response = api.http.get("/api/v2/users", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}
    assert schema_errors(ACTIONS["list_users"], 401, response.json()) == []


def test_missing_scope_is_403_naming_scope_and_action(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(scopes=("users:read", "paths:read"))
    api = make_api(server)
    assert api.get("/api/v2/users").status_code == 200
    response = api.get("/api/v2/paths/stats")
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "invalid_scope"
    assert "pathStats:read" in body["error"]["message"] and "get_path_stats" in body["error"]["message"]
    assert schema_errors(ACTIONS["get_path_stats"], 403, body) == []


def test_scopes_change_at_run_time(api: Api) -> None:
    assert api.get("/api/v2/groups").status_code == 200
    changed = api.http.post("/_emulator/config", json={"scopes": ["users:read"]})
    assert changed.status_code == 200 and changed.json()["scopes"] == ["users:read"]
    denied = api.get("/api/v2/groups")
    assert denied.status_code == 403 and "groups:read" in denied.json()["error"]["message"]
    api.http.post("/_emulator/reset")
    assert api.get("/api/v2/groups").status_code == 401, "reset drops tokens"


@pytest.mark.parametrize("version", [None, "v1", "2.0"])
def test_bad_api_version_is_400_after_auth(api: Api, version: str | None) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    if version is not None:
        headers["360-api-version"] = version
    response = api.http.get("/api/v2/users", headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalidApiVersion" and "360-api-version" in error["message"]
    unauthenticated = api.http.get("/api/v2/users", headers={k: v for k, v in headers.items() if k != "Authorization"})
    assert unauthenticated.status_code == 401, "authentication is checked before the version header"


def test_unknown_route_and_method(api: Api) -> None:
    missing = api.get("/api/v2/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "notFound"
    wrong = api.http.put("/api/v2/users", headers=api.headers())
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "POST"}


def test_unimplemented_action_is_501_naming_it(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_360learning.emulator.handlers import HANDLERS

    monkeypatch.delitem(HANDLERS, "get_subscriptions")  # every action has a handler: pretend one does not
    response = api.get("/api/v2/webhooks/subscriptions")
    assert response.status_code == 501
    error = response.json()["error"]
    assert error["code"] == "notImplemented" and "get_subscriptions" in error["message"]


def test_unimplemented_actions_still_check_auth_and_parameters(api: Api) -> None:
    assert api.http.get("/api/v2/webhooks/subscriptions", headers=API_VERSION).status_code == 401
    bad = api.get("/api/v2/webhooks/subscriptions/not-an-id")
    assert bad.status_code == 400 and "subscriptionId" in bad.json()["error"]["message"]
