"""OAuth2 client-credentials flow of the emulator: ``POST /api/v2/oauth2/token`` and token lifetime."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from tests.unit.emulator.conftest import Api, schema_errors

TOKEN = ACTIONS["generate_token"]


def test_good_credentials_give_a_bearer_token(api: Api, learning360_emulator: Any) -> None:
    response = api.token_request()
    assert response.status_code == 200
    body = response.json()
    assert schema_errors(TOKEN, 200, body) == []
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert api.token_request().json()["access_token"] != body["access_token"], "tokens are random"
    ok = api.http.get(
        "/api/v2/groups", headers={"Authorization": f"Bearer {body['access_token']}", "360-api-version": "v2.0"}
    )
    assert ok.status_code == 200
    stats = learning360_emulator.state.stats()
    assert stats["token_requests"] == 2 and stats["tokens_issued"] == 2
    assert "generate_token" not in stats["requests"], "token requests have their own counter"


@pytest.mark.parametrize("field,value", [("client_id", "someone-else"), ("client_secret", "wrong-secret")])
def test_wrong_credentials_are_invalid_client(api: Api, field: str, value: str) -> None:
    body = {"grant_type": "client_credentials", "client_id": api.client_id, "client_secret": api.secret, field: value}
    response = api.token_request(body)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert schema_errors(TOKEN, 401, response.json()) == []


def test_unsupported_grant_type(api: Api) -> None:
    response = api.token_request({"grant_type": "password", "client_id": api.client_id, "client_secret": api.secret})
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": b"not json", "headers": {"Content-Type": "application/json"}},
        {"json": ["client_credentials"]},
        {"json": {"grant_type": "client_credentials", "client_id": "emulator-client-id"}},
        {"json": {"grant_type": "client_credentials", "client_id": 1, "client_secret": "x"}},
        {"json": {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b", "scope": "all"}},
        {
            "data": {
                "grant_type": "client_credentials",
                "client_id": "emulator-client-id",
                "client_secret": "emulator-client-secret",
            }
        },  # form bodies are not documented
    ],
    ids=["not-json", "array", "missing-secret", "wrong-type", "unknown-field", "form-encoded"],
)
def test_malformed_bodies_are_invalid_request(api: Api, kwargs: dict[str, Any]) -> None:
    response = api.token_request(**kwargs)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}
    assert schema_errors(TOKEN, 400, response.json()) == []


def test_unknown_user_id_is_non_existing_user(api: Api, learning360_emulator: Any) -> None:
    body = {"grant_type": "client_credentials", "client_id": api.client_id, "client_secret": api.secret}
    assert api.token_request({**body, "user_id": "0" * 24}).json() == {"error": "non_existing_user"}
    user = learning360_emulator.state.tenant.users.object_id(3)
    assert api.token_request({**body, "user_id": user}).status_code == 200


def test_token_expires_after_its_ttl(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(token_ttl=1)
    server.state.freeze_time()  # the one second of validity belongs to the test, not to the machine's speed
    api = make_api(server)
    response = api.token_request()
    assert response.json()["expires_in"] == 1
    assert api.get("/api/v2/groups").status_code == 200
    server.state.advance_time(1.1)
    expired = api.get("/api/v2/groups")
    assert expired.status_code == 401 and expired.json() == {"error": "invalid_token"}


def test_advance_time_expires_tokens_without_sleeping(api: Api, learning360_emulator: Any) -> None:
    learning360_emulator.state.freeze_time()  # a slow machine cannot eat the last second of the token
    assert api.get("/api/v2/groups").status_code == 200
    learning360_emulator.state.advance_time(3599)
    assert api.get("/api/v2/groups").status_code == 200
    learning360_emulator.state.advance_time(2)
    assert api.get("/api/v2/groups").status_code == 401


def test_revoked_tokens_are_rejected(api: Api, learning360_emulator: Any) -> None:
    assert api.get("/api/v2/groups").status_code == 200
    revoked = api.http.post("/_emulator/tokens/revoke").json()
    assert revoked == {"revoked": 1}
    assert api.get("/api/v2/groups").json() == {"error": "invalid_token"}
    fresh = Api(learning360_emulator)
    assert fresh.get("/api/v2/groups").status_code == 200
    learning360_emulator.state.revoke_tokens()
    assert fresh.get("/api/v2/groups").status_code == 401
    fresh.close()


def test_one_token_serves_a_multi_page_run(api: Api, learning360_emulator: Any) -> None:
    pages = api.pages("/api/v2/courses/stats")
    stats = learning360_emulator.state.stats()
    assert len(pages) == 3
    assert stats["token_requests"] == 1
    assert stats["requests"]["list_courses_statistics"] == 3


def test_tokens_and_secret_never_reach_the_exchange_log(api: Api, learning360_emulator: Any) -> None:
    api.get("/api/v2/groups")
    api.token_request(
        {"grant_type": "client_credentials", "client_id": api.client_id, "client_secret": "typo-" + api.secret}
    )
    blob = repr(learning360_emulator.state.exchanges) + api.http.get("/_emulator/exchanges").text
    assert api.token not in blob
    assert api.secret not in blob
    assert "<redacted>" in blob
