"""The hook against the emulator (no mocks): tokens, paging, retries, rate limits and errors."""

from __future__ import annotations

import socket
import time
from typing import Any

import pendulum
import pytest

from airflow_provider_360learning.client import services as connection_settings
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningNotFoundError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningPermissionError,
    ThreeSixtyLearningServerError,
)
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook, ThreeSixtyLearningHook
from tests.conftest import CONN_ENV, TEST_CLIENT_SECRET, connection_json

UNKNOWN_ID = "0123456789abcdef01234567"


def _hook(**overrides: Any) -> ThreeSixtyLearningHook:
    return ThreeSixtyLearningHook(
        **{"backoff_initial": 0.01, "backoff_max": 0.05, "requests_per_second": 0, **overrides}
    )


def test_one_token_for_a_multi_page_run(emulator: Any, connection: str) -> None:
    hook = _hook()
    stats = list(hook.iter_action("list_courses_statistics"))
    users = list(hook.iter_action("list_users"))
    hook.call_action("get_user", userId=users[0]["_id"])
    counters = emulator.state.stats()
    assert len(stats) > 2 * 500  # three pages or more
    assert counters["requests"]["list_courses_statistics"] == -(-len(stats) // 500)
    assert counters["token_requests"] == 1
    assert len({s["_id"] if "_id" in s else (s["courseId"], s["userId"]) for s in stats}) == len(stats)


def test_pages_follow_link_headers_and_match_the_page_size(emulator: Any, connection: str) -> None:
    hook = _hook()
    pages = list(hook.iter_pages("list_courses_statistics"))
    assert [len(p) for p in pages[:-1]] == [500] * (len(pages) - 1)
    assert 0 < len(pages[-1]) <= 500


def test_page_bodies_are_the_raw_pages_and_decode_to_the_items(emulator: Any, connection: str) -> None:
    from airflow_provider_360learning.actions import ACTIONS
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningAPIError
    from airflow_provider_360learning.hooks.three_sixty_learning import decode_page

    hook = _hook()
    bodies = list(hook.iter_page_bodies("list_courses_statistics"))
    assert all(isinstance(body, bytes) for body in bodies)
    action = ACTIONS["list_courses_statistics"]
    assert [decode_page(action, body) for body in bodies] == list(hook.iter_pages("list_courses_statistics"))
    with pytest.raises(
        ThreeSixtyLearningAPIError, match=r"list_courses_statistics.*expected a JSON array page, got dict"
    ):
        decode_page(action, b'{"not": "a page"}')


def test_token_refreshed_before_expiry_mid_pagination(emulator: Any, connection: str, shift_clocks: Any) -> None:
    clocks = shift_clocks(emulator.state)
    pages = 0
    for pages, _page in enumerate(_hook().iter_pages("list_courses_statistics"), start=1):
        if pages == 1:
            clocks.advance(3000)  # page 2 still goes out with the first one-hour token
        elif pages == 2:
            assert emulator.state.stats()["token_requests"] == 1
            clocks.advance(550)  # 50 s left: inside the refresh lead, still valid at the server
    counters = emulator.state.stats()
    assert pages >= 3
    assert counters["token_requests"] == 2, "the token is refreshed once, inside the lead before expiry"
    assert counters["statuses"].get("401", 0) == 0, "the hook refreshes before expiry, not after a 401"


def test_token_revoked_mid_pagination_is_refreshed_once_and_paging_resumes(emulator: Any, connection: str) -> None:
    hook = _hook()
    expected = [s for s in hook.iter_action("list_courses_statistics")]
    emulator.state.reset(keep_tokens=True)
    seen = []
    for index, item in enumerate(hook.iter_action("list_courses_statistics")):
        seen.append(item)
        if index == 0:
            emulator.state.revoke_tokens()  # the server forgets the token between page 1 and 2
    counters = emulator.state.stats()
    assert seen == expected
    assert counters["statuses"].get("401") == 1
    assert counters["token_requests"] == 1  # the cached token was refreshed exactly once after reset


@pytest.mark.parametrize("kind", ["500", "502", "503", "drop"])
def test_each_injected_fault_kind_is_retried(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    emulator = emulator_factory(fault_rate=0.5, seed=7, fault_kinds=(kind,))
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    reference = emulator_factory(seed=7)
    stats = list(_hook(max_retries=10).iter_action("list_courses_statistics"))
    counters = emulator.state.stats()
    assert counters["faults"].get(kind, 0) >= 1
    assert set(counters["faults"]) == {kind}
    monkeypatch.setenv(CONN_ENV, connection_json(reference.url))
    assert stats == list(_hook().iter_action("list_courses_statistics"))


def test_faults_beyond_the_retry_budget_raise_a_typed_error(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulator_factory(fault_rate=1.0, fault_kinds=("503",))
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    with pytest.raises(ThreeSixtyLearningServerError) as info:
        _hook(max_retries=2).call_action("list_users")
    assert "'list_users' (GET /api/v2/users) failed: HTTP 503" in str(info.value)
    assert emulator.state.stats()["requests"]["list_users"] == 3


def test_retry_after_is_honoured(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = emulator_factory(rate_limit=1)
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    hook = _hook(backoff_initial=0.01, backoff_max=0.01, max_retries=3)
    started = time.monotonic()
    for _ in range(3):
        hook.call_action("list_groups")
    elapsed = time.monotonic() - started
    # With a 0.01 s backoff, ignoring Retry-After: 1 would hit the limit again and again and run out of
    # retries; honouring it costs one 429 per call after the first and about a second each.
    assert emulator.state.stats()["rate_limited"] == 2
    assert elapsed >= 2.0


def test_client_side_rate_limit_avoids_429(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = emulator_factory(rate_limit=5)
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    hook = _hook(requests_per_second=4)
    for _ in range(8):
        hook.call_action("list_groups")
    assert emulator.state.stats()["rate_limited"] == 0


def test_403_names_the_missing_scope(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = emulator_factory(scopes=("users:read", "paths:read"))
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    hook = _hook()
    session = next(hook.iter_action("get_all_path_sessions"))
    with pytest.raises(ThreeSixtyLearningPermissionError) as info:
        list(hook.iter_action("list_path_session_user_stats", pathId=session["pathId"], sessionId=session["_id"]))
    assert info.value.scope == "pathStats:read"
    assert "pathStats:read" in str(info.value)
    assert "list_path_session_user_stats" in str(info.value)


def test_bad_credentials(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url, secret="wrong-secret-1b2c"))
    with pytest.raises(ThreeSixtyLearningAuthenticationError) as info:
        _hook().call_action("list_users")
    assert "bad credentials" in str(info.value)
    assert "wrong-secret-1b2c" not in str(info.value)
    assert emulator.state.stats()["requests_total"] == 0


def test_unknown_id_is_a_404_naming_it(emulator: Any, connection: str) -> None:
    with pytest.raises(ThreeSixtyLearningNotFoundError) as info:
        _hook().call_action("get_user", userId=UNKNOWN_ID)
    assert info.value.status == 404
    assert UNKNOWN_ID in str(info.value)


def test_bad_filter_values_are_rejected_before_any_request(emulator: Any, connection: str) -> None:
    hook = _hook()
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"'completedAt\[gte\]'"):
        list(hook.iter_action("list_courses_statistics", completedAt={"gte": "not a date"}))
    with pytest.raises(ThreeSixtyLearningParameterError, match="'userId'"):
        list(hook.iter_action("list_courses_statistics", userId={"eq": "xyz"}))
    counters = emulator.state.stats()
    assert counters["requests_total"] == 0 and counters["token_requests"] == 0


def test_completed_at_filter_agrees_with_a_full_scan(emulator: Any, connection: str) -> None:
    hook = _hook()
    every = list(hook.iter_action("list_courses_statistics"))
    dated = sorted(s["completedAt"] for s in every if s.get("completedAt"))
    since = pendulum.parse(dated[len(dated) // 2])
    filtered = list(hook.iter_action("list_courses_statistics", completedAt={"gte": since}))
    assert filtered == [s for s in every if s.get("completedAt") and pendulum.parse(s["completedAt"]) >= since]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_test_connection_success_and_failures(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = emulator_factory()
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    ok, message = ThreeSixtyLearningHook().test_connection()
    assert ok, message

    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url, secret="nope-secret"))
    ok, message = ThreeSixtyLearningHook().test_connection()
    assert not ok and message.startswith("Bad credentials")

    monkeypatch.setenv(CONN_ENV, connection_json(f"http://127.0.0.1:{_free_port()}"))
    ok, message = ThreeSixtyLearningHook().test_connection()
    assert not ok and message.startswith("Unreachable host")


def test_test_connection_detects_the_wrong_region(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    eu = emulator_factory(client_id="someone-else", client_secret="other-secret-99")
    us = emulator_factory()
    monkeypatch.setitem(connection_settings.REGION_HOSTS, "eu", eu.url)
    monkeypatch.setitem(connection_settings.REGION_HOSTS, "us", us.url)
    monkeypatch.setenv(CONN_ENV, connection_json(None))  # no base URL: the region decides
    ok, message = ThreeSixtyLearningHook().test_connection()
    assert not ok
    assert message.startswith("Wrong region") and "'us'" in message


def test_test_connection_reports_a_missing_scope_but_succeeds(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulator_factory(scopes=("courses:read",))
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    ok, message = ThreeSixtyLearningHook().test_connection()
    assert ok and "users:read" in message


def test_unreachable_host_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json(f"http://127.0.0.1:{_free_port()}"))
    with pytest.raises(ThreeSixtyLearningConnectionError, match="could not reach"):
        _hook(max_retries=1).call_action("list_users")


async def test_async_hook_matches_the_sync_hook(emulator: Any, connection: str) -> None:
    expected = list(_hook().iter_action("list_courses_statistics"))
    async with ThreeSixtyLearningAsyncHook(backoff_initial=0.01, requests_per_second=0) as hook:
        got = [item async for item in hook.aiter_action("list_courses_statistics")]
        with pytest.raises(ThreeSixtyLearningNotFoundError, match=UNKNOWN_ID):
            await hook.acall_action("get_user", userId=UNKNOWN_ID)
    assert got == expected


def test_secret_never_in_error_messages(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = emulator_factory(scopes=("courses:read",))
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    hook = _hook()
    with pytest.raises(ThreeSixtyLearningPermissionError) as info:
        hook.call_action("list_users")
    token = hook.get_token().value
    assert TEST_CLIENT_SECRET not in str(info.value) and token not in str(info.value)
    assert token not in repr(hook.get_token()) and TEST_CLIENT_SECRET not in repr(hook.settings)
