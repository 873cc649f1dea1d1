"""The edX hook against the edX emulator (no mocks): JWT, token cache, paging, retries, rate limit, errors."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from airflow_provider_360learning.emulator.edx import LEARNER_SUMMARY
from airflow_provider_360learning.exceptions import (
    EdxAuthenticationError,
    EdxConnectionConfigError,
    EdxConnectionError,
    EdxNotFoundError,
    EdxPermissionError,
)
from tests.conftest import TEST_EDX_CLIENT_SECRET
from tests.unit.edx.conftest import EDX_CONN_ENV, Edx, edx_connection_json, make_hook

OTHER_ENTERPRISE = "00000000-0000-4000-8000-000000000000"


def _use(monkeypatch: pytest.MonkeyPatch, edx: Edx, **kwargs: Any) -> None:
    monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(edx.url, **kwargs))


def test_token_is_a_jwt_with_the_enterprise_roles(edx_conn: Edx) -> None:
    hook = make_hook()
    claims = hook.token_claims()
    assert f"enterprise_admin:{edx_conn.enterprise}" in claims["roles"]
    assert hook.get_token().lifetime == 3600
    assert edx_conn.state.opaque_tokens == set(), "the hook asked for token_type=jwt"


def test_one_token_and_the_largest_page_sizes_for_a_whole_sync(
    edx_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    edx = edx_factory(scale=5)  # 250 courses + 10 programs; 1,250 learner rows
    _use(monkeypatch, edx)
    hook = make_hook()
    content = list(hook.iter_catalog_content(edx.main_catalog))
    rows = list(hook.iter_learner_summary())
    catalogs = list(hook.iter_catalogs())
    stats = edx.state.stats()
    assert (len(content), len(rows), len(catalogs)) == (260, 1250, 3)
    assert stats["token_requests"] == 1
    assert stats["requests"] == {"catalog": 3, "learner_summary": 2, "catalogs": 1}  # 100 and 1000 a page
    assert len({r["enterprise_enrollment_id"] for r in rows}) == 1250


def test_catalog_courses_leave_programs_out(edx_conn: Edx) -> None:
    courses = list(make_hook().iter_catalog_courses(edx_conn.main_catalog))
    assert len(courses) == 50
    assert {c["content_type"] for c in courses} == {"course"}


def test_429_waits_retry_after_and_every_record_arrives(edx_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    edx = edx_factory(rate_limit=1, scale=3)
    _use(monkeypatch, edx)
    hook = make_hook()
    content = [list(hook.iter_catalog_content(edx.main_catalog)) for _ in range(2)]
    stats = edx.state.stats()
    assert stats["statuses"].get("429", 0) >= 1
    assert stats["requests"]["catalog"] == 4 + stats["statuses"]["429"]
    assert content[0] == content[1] and len(content[0]) == 156


def test_client_side_rate_limit_keeps_under_the_gateway_limit(
    edx_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    edx = edx_factory(rate_limit=3, scale=3)
    _use(monkeypatch, edx)
    hook = make_hook(requests_per_second=2)
    for _ in range(3):
        list(hook.iter_catalog_content(edx.main_catalog))
    assert edx.state.stats()["statuses"].get("429", 0) == 0


@pytest.mark.parametrize("kind", ["500", "502", "503", "drop"])
def test_each_fault_kind_is_retried(edx_factory: Any, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    edx = edx_factory(fault_rate=0.5, seed=7, fault_kinds=(kind,), scale=3)
    _use(monkeypatch, edx)
    hook = make_hook()
    counts = [
        len(list(hook.iter_catalogs())),
        len(list(hook.iter_catalog_content(edx.main_catalog))),
        len(list(hook.iter_learner_summary())),
    ]
    assert counts == [3, 156, 750]
    assert edx.state.stats()["statuses"].get(kind if kind != "drop" else "0", 0) >= 1


def test_server_errors_beyond_the_retries_are_typed(edx_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_360learning.exceptions import EdxServerError

    edx = edx_factory(fault_rate=1.0, fault_kinds=("503",))
    _use(monkeypatch, edx)
    with pytest.raises(EdxServerError, match=r"edX catalog list \(GET /enterprise/v2/enterprise-catalogs\).*HTTP 503"):
        list(make_hook(max_retries=2).iter_catalogs())


def test_wrong_credentials_name_the_problem_without_the_secret(edx: Edx, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, edx, secret="not-the-secret-4e1d")
    with pytest.raises(EdxAuthenticationError) as caught:
        list(make_hook().iter_catalogs())
    message = str(caught.value)
    assert "bad credentials" in message and "client ID / client secret" in message and "invalid_client" in message
    assert "not-the-secret-4e1d" not in message and TEST_EDX_CLIENT_SECRET not in message
    ok, text = make_hook().test_connection()
    assert not ok and "bad credentials" in text


def test_wrong_enterprise_uuid_names_both_uuids(edx: Edx, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, edx, enterprise_customer_uuid=OTHER_ENTERPRISE)
    hook = make_hook()
    with pytest.raises(EdxPermissionError) as caught:
        list(hook.iter_learner_summary())
    message = str(caught.value)
    assert "Wrong enterprise customer UUID" in message
    assert OTHER_ENTERPRISE in message and edx.enterprise in message and "enterprise_customer_uuid" in message
    ok, text = make_hook().test_connection()
    assert not ok and "Wrong enterprise customer UUID" in text


def test_malformed_enterprise_uuid_is_a_connection_error(edx: Edx, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, edx, enterprise_customer_uuid="acme")
    with pytest.raises(EdxConnectionConfigError, match="'enterprise_customer_uuid' must be a UUID"):
        make_hook().get_enterprise_customer_uuid()


def test_enterprise_uuid_from_the_connection_first(edx: Edx, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, edx, enterprise_customer_uuid=edx.enterprise.upper())
    assert make_hook().get_enterprise_customer_uuid() == edx.enterprise
    assert edx.state.stats()["token_requests"] == 0, "a configured UUID needs no request"


def test_enterprise_uuid_discovered_from_the_token(edx_conn: Edx) -> None:
    hook = make_hook()
    assert hook.get_enterprise_customer_uuid() == edx_conn.enterprise
    assert edx_conn.state.stats()["requests"] == {}


def test_enterprise_uuid_discovered_from_the_first_catalog(edx_conn: Edx, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = make_hook()
    monkeypatch.setattr(hook, "token_claims", lambda: {})  # a token without enterprise roles
    assert hook.get_enterprise_customer_uuid() == edx_conn.enterprise
    assert edx_conn.state.stats()["requests"] == {"catalogs": 1}


def test_token_refreshed_before_expiry_mid_pagination(
    edx_factory: Any, monkeypatch: pytest.MonkeyPatch, shift_clocks: Any
) -> None:
    edx = edx_factory(scale=4)  # one-hour JWTs, three pages of 100
    _use(monkeypatch, edx)
    clocks = shift_clocks(edx.server.state)
    content = []
    for index, item in enumerate(make_hook().iter_catalog_content(edx.main_catalog)):
        content.append(item)
        if index == 0:
            clocks.advance(3000)  # page 2 still goes out with the first token
        elif index == 100:
            assert edx.state.stats()["token_requests"] == 1
            clocks.advance(550)  # 50 s left: inside the refresh lead, still valid at edX
    stats = edx.state.stats()
    assert len(content) == 208
    assert stats["token_requests"] == 2 and stats["statuses"].get("401", 0) == 0


def test_token_rejected_mid_pagination_is_refreshed_once(edx_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    edx = edx_factory(scale=3)
    _use(monkeypatch, edx)
    seen = []
    for index, item in enumerate(make_hook().iter_catalog_content(edx.main_catalog)):
        seen.append(item)
        if index == 0:
            edx.state.revoke_tokens()  # key rotation: the cached JWT no longer decodes
    stats = edx.state.stats()
    assert len(seen) == 156
    assert stats["statuses"]["401"] == 1 and stats["token_requests"] == 2


def test_expires_in_as_a_string_and_an_empty_next(edx_conn: Edx) -> None:
    edx_conn.http.post("/_emulator/edx/options", json={"expires_in_as_string": True, "empty_next": True})
    hook = make_hook()
    assert hook.get_token().lifetime == 3600
    assert len(list(hook.iter_catalog_content(edx_conn.main_catalog))) == 52


def test_learner_rows_are_deduplicated_across_pages(edx_conn: Edx) -> None:
    first = make_hook().iter_learner_summary().__next__()
    edx_conn.http.post(f"/_emulator/edx/rows/{LEARNER_SUMMARY}", json=first)  # the same row again, later
    assert len(list(make_hook().iter_learner_summary())) == 250
    assert len(list(make_hook().iter_learner_summary(dedupe=False))) == 251


def test_malformed_records_reach_the_caller_raw(edx_conn: Edx) -> None:
    broken = {"key": "BrokenX+NOPE", "title": None}  # no content_type, a null title
    edx_conn.http.post(f"/_emulator/edx/rows/{edx_conn.main_catalog}", json=[broken, {"content_type": "program"}])
    edx_conn.http.post(f"/_emulator/edx/rows/{LEARNER_SUMMARY}", json={"user_email": 42})
    courses = list(make_hook().iter_catalog_courses(edx_conn.main_catalog))
    rows = list(make_hook().iter_learner_summary())
    assert courses[-1] == broken and len(courses) == 51
    assert rows[-1] == {"user_email": 42}


def test_a_course_leaves_the_catalog_the_next_day(edx_conn: Edx) -> None:
    hook = make_hook()
    today = {c["key"] for c in hook.iter_catalog_courses(edx_conn.main_catalog)}
    retired = edx_conn.http.post("/_emulator/edx/advance-day").json()["retired_course_keys"]
    tomorrow = {c["key"] for c in hook.iter_catalog_courses(edx_conn.main_catalog)}
    assert today - tomorrow == set(retired) and len(retired) == 1 and tomorrow < today
    assert hook.get_catalog_course(edx_conn.main_catalog, sorted(tomorrow)[0])["key"] == sorted(tomorrow)[0]
    with pytest.raises(EdxNotFoundError):
        hook.get_catalog_course(edx_conn.main_catalog, retired[0])


def test_unknown_catalog_is_not_found_with_a_hint(edx_conn: Edx) -> None:
    with pytest.raises(EdxNotFoundError, match=r"No catalog .* is visible to these credentials"):
        list(make_hook().iter_catalog_content(OTHER_ENTERPRISE))


def test_connection_test_succeeds_against_the_emulator(edx_conn: Edx) -> None:
    ok, text = make_hook().test_connection()
    assert ok and edx_conn.enterprise in text


def test_unreachable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(f"http://127.0.0.1:{port}"))
    with pytest.raises(EdxConnectionError, match="could not reach"):
        make_hook(max_retries=1).get_token()
    ok, text = make_hook().test_connection()
    assert not ok and "Unreachable host" in text


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EDX_CONN_ENV, '{"conn_type": "edx", "login": "id"}')
    with pytest.raises(EdxConnectionConfigError, match="password"):
        make_hook().get_token()
