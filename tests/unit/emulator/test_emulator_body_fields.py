"""Body fields the operation's schema does not declare: refused by the emulator (400 naming the field), as by
the hook before any request (a typo such as ``fistName`` must not be silently dropped)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError
from tests.unit.emulator.conftest import send


def test_the_emulator_refuses_an_undeclared_body_field(raw: Any) -> None:
    group = send(raw, "GET", "/api/v2/groups").json()[0]["_id"]
    body = {"mail": "typo@example.com", "fistName": "Ada", "membership": {"groupId": group, "role": "learner"}}
    answer = send(raw, "POST", "/api/v2/users", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "badRequest" and "'fistName'" in error["message"]
    assert not send(raw, "GET", "/api/v2/users", params={"mail[eq]": "typo@example.com"}).json()


def test_the_hook_refuses_it_before_any_request(hook: Any, emulator: Any) -> None:
    with pytest.raises(
        ThreeSixtyLearningParameterError, match=r"'create_user': parameter 'body\.fistName' is not a field"
    ):
        hook.call_action(
            "create_user",
            body={
                "mail": "a@example.com",
                "fistName": "Ada",
                "membership": {"groupId": "507f1f77bcf86cd799439011", "role": "learner"},
            },
        )
    assert sum(emulator.state.stats()["requests"].values()) == 0
