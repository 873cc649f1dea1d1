"""Request building: parameters are checked against the registry before any request is sent."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pendulum
import pytest

from airflow_provider_360learning.actions.requests import ApiRequest, build_request, next_page_url, render_datetime
from airflow_provider_360learning.client.retry import retry_after_seconds
from airflow_provider_360learning.client.services import ThreeSixtyLearningService
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningNotFoundError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningPermissionError,
)
from airflow_provider_360learning.hooks.three_sixty_learning import call_of


def api_error(request: ApiRequest, status: int, body: bytes) -> Exception:
    service = ThreeSixtyLearningService()
    return service.http_error(call_of(request), status, *service.parse_error_body(body))


PATH_ID = "5f1e2d3c4b5a69788796a5b4"
SESSION_ID = "6a1b2c3d4e5f60718293a4b5"


def _query(target: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(target).query)


def test_bracket_filters_and_path_params_are_rendered_as_the_spec_says() -> None:
    request = build_request(
        "list_path_session_user_stats",
        {
            "pathId": PATH_ID,
            "sessionId": SESSION_ID,
            "completedAt": {
                "gte": pendulum.datetime(2024, 3, 1, 12, 0, 5, 750_000, tz="Europe/Paris"),
                "lt": "2024-04-01T00:00:00Z",
            },
            "userId": {"in": [PATH_ID, SESSION_ID]},
        },
    )
    assert request.path == f"/api/v2/paths/{PATH_ID}/sessions/{SESSION_ID}/user-stats"
    assert _query(request.target) == [
        ("completedAt[gte]", "2024-03-01T11:00:05.000Z"),
        ("completedAt[lt]", "2024-04-01T00:00:00.000Z"),
        ("userId[in]", PATH_ID),
        ("userId[in]", SESSION_ID),
    ]


def test_lt_is_ceiled_and_gte_floored_to_the_second() -> None:
    moment = dt.datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)
    assert render_datetime(moment, operator="gte", action="a", parameter="p") == "2024-01-01T00:00:00.000Z"
    assert render_datetime(moment, operator="lt", action="a", parameter="p") == "2024-01-01T00:00:01.000Z"
    assert render_datetime(dt.date(2024, 5, 6), operator="lt", action="a", parameter="p") == "2024-05-06T00:00:00.000Z"


def test_a_bare_value_means_eq() -> None:
    request = build_request("list_users", {"mail": "ada@example.com"})
    assert _query(request.target) == [("mail[eq]", "ada@example.com")]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"pathId": "not-an-id", "sessionId": SESSION_ID}, "'pathId'"),
        ({"sessionId": SESSION_ID}, "'pathId' is required"),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "since": "x"}, "'since' is not a parameter"),
        (
            {"pathId": PATH_ID, "sessionId": SESSION_ID, "completedAt": {"gt": "2024-01-01T00:00:00Z"}},
            "'completedAt' has no operator 'gt'",
        ),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "completedAt": {"gte": "last tuesday"}}, "'completedAt[gte]'"),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "completedAt": {"gte": dt.datetime(2024, 1, 1)}}, "naive"),
        (
            {"pathId": PATH_ID, "sessionId": SESSION_ID, "completedAt": "2024-01-01T00:00:00Z"},
            "'completedAt' is a bracket filter",
        ),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "userId": {"in": ["nope"]}}, "'userId'"),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "userId": {"in": PATH_ID}}, "'userId[in]' expects a list"),
        ({"pathId": PATH_ID, "sessionId": SESSION_ID, "body": {}}, "'body' is not accepted"),
    ],
)
def test_bad_parameters_are_rejected_naming_action_and_parameter(params: dict, named: str) -> None:
    with pytest.raises(ThreeSixtyLearningParameterError) as info:
        build_request("list_path_session_user_stats", params)
    message = str(info.value)
    assert "list_path_session_user_stats" in message
    assert named in message


def test_body_is_validated_against_the_request_schema() -> None:
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"create_user.*'body'.*required property"):
        build_request("create_user", {"body": {"mail": "ada@example.com"}})
    with pytest.raises(ThreeSixtyLearningParameterError, match="'body' is required"):
        build_request("create_user", {})


def test_unknown_action_is_named() -> None:
    with pytest.raises(ThreeSixtyLearningParameterError, match="action 'list_userz' is not a 360Learning action"):
        build_request("list_userz", {})


def test_next_page_url_is_resolved_against_the_current_url() -> None:
    current = "http://127.0.0.1:8360/api/v2/courses"
    assert next_page_url(current, None) is None
    assert (
        next_page_url(current, '<http://h/api/v2/courses?next=abc>; rel="next"') == "http://h/api/v2/courses?next=abc"
    )
    assert (
        next_page_url(current, '</api/v2/courses?next=x>; rel="next"') == "http://127.0.0.1:8360/api/v2/courses?next=x"
    )
    assert next_page_url(current, '<http://h/p>; rel="prev"') is None


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_errors_name_scope_and_ids() -> None:
    request = build_request("list_path_session_user_stats", {"pathId": PATH_ID, "sessionId": SESSION_ID})
    forbidden = api_error(request, 403, b'{"error": {"code": "invalid_scope", "message": "nope"}}')
    assert isinstance(forbidden, ThreeSixtyLearningPermissionError)
    assert forbidden.scope == "pathStats:read"
    assert "pathStats:read" in str(forbidden) and "GET /api/v2/paths/{pathId}/sessions/{sessionId}/user-stats" in str(
        forbidden
    )
    missing = api_error(request, 404, b'{"error": {"code": "pathNotFound", "message": "Path not found"}}')
    assert isinstance(missing, ThreeSixtyLearningNotFoundError)
    assert PATH_ID in str(missing) and "pathNotFound" in str(missing)
