"""The SCIM hook against the emulator: discovery, paging, errors that name the cause and never the token."""

from __future__ import annotations

import json

import pytest

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConflictError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
)
from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
from airflow_provider_360learning.scim.apply import new_user
from airflow_provider_360learning.scim.source import DesiredUser
from tests.unit.scim.conftest import SCIM_CONN_ENV, Scim


def person(email: str) -> DesiredUser:
    return DesiredUser(
        email=email,
        given_name="Ada",
        family_name="Lovelace",
        active=True,
        attributes={"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"},
        row=1,
    )


def test_creates_pages_and_finds_users(scim: Scim) -> None:
    hook = ThreeSixtyLearningScimHook()
    for i in range(7):
        hook.create(new_user(hook, person(f"p{i}@example.com")))
    listed = list(hook.iter_resources(hook.user_model, page_size=3))
    assert len({u.id for u in listed}) == 7
    assert scim.state.stats()["requests"]["GET /Users"] == 3  # pages of 3, 3 and 1
    found = hook.find_one(hook.user_model, 'userName eq "p4@example.com"')
    assert found is not None and found.name.given_name == "Ada"  # type: ignore[attr-defined]
    stored = scim.users()["p4@example.com"]
    assert stored["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == {"department": "R&D"}
    assert stored["emails"] == [{"value": "p4@example.com", "type": "work", "primary": True}]
    with pytest.raises(ThreeSixtyLearningScimConflictError, match="409 uniqueness"):
        hook.create(new_user(hook, person("P4@example.com")))
    assert hook.request_count >= 3 + 7 + 3
    hook.close()


def test_a_revoked_token_fails_clearly_without_the_token(scim: Scim) -> None:
    hook = ThreeSixtyLearningScimHook()
    token = scim.token
    scim.new_token()  # generating a new token in 360Learning revokes the connection's one
    with pytest.raises(ThreeSixtyLearningScimAuthenticationError) as caught:
        hook.get_conn()
    message = str(caught.value)
    assert "HTTP 401" in message and "revoked" in message and "Generate a token in 360Learning" in message
    assert token not in message and scim.token not in message


def test_test_connection_says_what_is_wrong(scim: Scim, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ThreeSixtyLearningScimHook().test_connection() == (True, f"Connected to the SCIM endpoint {scim.url}")
    scim.new_token()
    ok, message = ThreeSixtyLearningScimHook().test_connection()
    assert not ok and "HTTP 401" in message
    monkeypatch.setenv(
        SCIM_CONN_ENV,
        json.dumps(
            {
                "conn_type": "360learning_scim",
                "host": "http://127.0.0.1:9/scim/v2",
                "password": scim.token,
                "extra": {"max_retries": 0},
            }
        ),
    )
    with pytest.raises(ThreeSixtyLearningScimConnectionError, match="could not reach"):
        ThreeSixtyLearningScimHook().get_conn()
    monkeypatch.setenv(SCIM_CONN_ENV, json.dumps({"conn_type": "360learning_scim", "host": scim.url}))
    with pytest.raises(ThreeSixtyLearningScimError, match="no password"):
        ThreeSixtyLearningScimHook().get_conn()


def test_the_connection_type_is_registered() -> None:
    from airflow_provider_360learning.get_provider_info import get_provider_info

    (entry,) = [e for e in get_provider_info()["connection-types"] if e["connection-type"] == "360learning_scim"]
    assert entry["hook-class-name"] == "airflow_provider_360learning.hooks.scim.ThreeSixtyLearningScimHook"
    assert entry["ui-field-behaviour"]["relabeling"] == {"host": "Endpoint URL", "password": "SCIM token"}
    assert ThreeSixtyLearningScimHook.default_conn_name == "360learning_scim_default"
    assert ThreeSixtyLearningScimHook.conn_type == "360learning_scim"
