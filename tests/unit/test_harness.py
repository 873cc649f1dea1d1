"""The suite's own safety nets can fail: the secret scan finds leaks, the contract check finds violations."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from tests.conftest import TEST_CLIENT_SECRET, contract_errors, find_leaks


def test_find_leaks_reports_secrets_without_repeating_them() -> None:
    blob = f"GET /api/v2/users Authorization: Bearer tok-abcdef123 secret={TEST_CLIENT_SECRET}"
    leaks = find_leaks(blob, {TEST_CLIENT_SECRET, "tok-abcdef123", "never-seen"})
    assert leaks == ["test-c...", "tok-ab..."]
    assert find_leaks("nothing here", {TEST_CLIENT_SECRET}) == []


def test_tokens_are_registered_with_airflows_secret_masker(emulator: Any, connection: str) -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    hook = ThreeSixtyLearningHook()
    token = hook.get_token().value
    assert token not in str(redact(f"Bearer {token}"))
    assert TEST_CLIENT_SECRET not in repr(hook.settings)


class _Tampered:
    def __init__(self, exchanges: list[Any]) -> None:
        self.exchanges = exchanges


def test_contract_check_flags_a_bad_request_and_a_bad_response(emulator: Any, connection: str) -> None:
    ThreeSixtyLearningHook(requests_per_second=0).call_action("list_groups")
    good = next(e for e in emulator.state.exchanges if "/api/v2/groups" in e.url)
    assert contract_errors(_Tampered([good]), requests_must_validate=True) == []

    bad_request = dataclasses.replace(good, url=good.url + "?colour=blue")
    bad_response = dataclasses.replace(good, response_body=b'[{"_id": "not-an-object-id"}]')
    problems = contract_errors(_Tampered([bad_request, bad_response]), requests_must_validate=True)
    assert any(p.startswith("request") and "colour" in p for p in problems)
    assert any(p.startswith("response") and "_id" in p for p in problems)


@pytest.mark.parametrize("leak", ["secret", "token"])
def test_a_leaking_log_line_would_be_caught(emulator: Any, connection: str, leak: str, capfd: Any) -> None:
    hook = ThreeSixtyLearningHook()
    value = TEST_CLIENT_SECRET if leak == "secret" else hook.get_token().value
    print(f"oops {value}")
    out = capfd.readouterr().out
    assert find_leaks(out, {TEST_CLIENT_SECRET, value}) != []
