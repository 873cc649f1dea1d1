"""The generic router and parameter parser, without a server."""

from __future__ import annotations

import re

import pytest

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.emulator.errors import ApiError
from airflow_provider_360learning.emulator.routing import (
    ActionRouter,
    Filter,
    check_path_params,
    parse_datetime,
    parse_query,
)

ROUTER = ActionRouter(ACTIONS.values())
OID = "507f1f77bcf86cd799439011"


def _sample_path(action: Action) -> str:
    """The action's path with a valid value for each parameter (first enum value, else an ObjectId)."""
    schemas = {p.name: p.schema for p in action.path_parameters}

    def value(match: re.Match[str]) -> str:
        enum = schemas.get(match.group(1), {}).get("enum")
        return str(enum[0]) if enum else OID

    return re.sub(r"\{([^{}]+)\}", value, action.path)


@pytest.mark.parametrize(
    "method,path,name",
    [
        ("GET", "/api/v2/paths/stats", "get_path_stats"),
        ("GET", "/api/v2/paths/sessions", "get_all_path_sessions"),
        ("GET", f"/api/v2/paths/{OID}", "get_path"),
        ("GET", "/api/v2/courses/stats", "list_courses_statistics"),
        ("GET", f"/api/v2/courses/{OID}", "get_course"),
        ("GET", f"/api/v2/groups/{OID}/catalog/course-ids", "list_group_catalog_content_ids"),
        ("POST", f"/api/v2/groups/{OID}/learner/{OID}", "add_user_role"),
    ],
)
def test_literal_segments_win_over_templates(method: str, path: str, name: str) -> None:
    match, _ = ROUTER.match(method, path)
    assert match is not None and match.action.name == name


def test_every_action_routes_back_to_itself() -> None:
    for action in ACTIONS.values():
        match, _ = ROUTER.match(action.method, _sample_path(action))
        assert match is not None and match.action.name == action.name, action.describe()
        assert check_path_params(action, match.path_params).keys() == {p.name for p in action.path_parameters}


def test_partial_template_segment_is_captured() -> None:
    match, _ = ROUTER.match("GET", f"/api/v2/groups/{OID}/catalog/path-session-ids")
    assert match is not None and match.path_params == {"groupId": OID, "contentType": "path-session"}


def test_other_methods_are_reported() -> None:
    match, allowed = ROUTER.match("PUT", "/api/v2/users")
    assert match is None and set(allowed) == {"GET", "POST"}
    assert ROUTER.match("GET", "/api/v2/users/") == (None, ())


def test_path_ids_are_validated_and_lowered() -> None:
    action = ACTIONS["get_user"]
    assert check_path_params(action, {"userId": OID.upper()}) == {"userId": OID}
    with pytest.raises(ApiError) as info:
        check_path_params(action, {"userId": "123"})
    assert info.value.status == 400 and "userId" in info.value.body["error"]["message"]


def test_repeated_and_comma_separated_lists_are_equivalent() -> None:
    action = ACTIONS["list_courses_statistics"]
    a, b = OID, "0" * 24
    repeated = parse_query(action, [("userId[in]", a), ("userId[in]", b)])
    commas = parse_query(action, [("userId[in]", f"{a},{b}")])
    assert repeated.filters == commas.filters == [Filter("userId", "in", frozenset({a, b}))]


def test_dates_are_normalised_to_utc_milliseconds() -> None:
    action = ACTIONS["list_courses_statistics"]
    parsed = parse_query(
        action, [("completedAt[gte]", "2024-01-01T01:00:00+01:00"), ("completedAt[lt]", "2025-01-01T00:00:00.000Z")]
    )
    assert parsed.filters == [
        Filter("completedAt", "gte", "2024-01-01T00:00:00.000Z"),
        Filter("completedAt", "lt", "2025-01-01T00:00:00.000Z"),
    ]
    assert parse_datetime("2024-02-30T00:00:00Z") is None
    assert parse_datetime("2024-01-01") is None


@pytest.mark.parametrize(
    "pairs,named",
    [
        ([("foo", "1")], "'foo'"),
        ([("completedAt[gt]", "2024-01-01T00:00:00.000Z")], "'gt'"),
        ([("completedAt[gte]", "yesterday")], "completedAt[gte]"),
        ([("userId[eq]", "xyz")], "userId[eq]"),
        ([("userId", OID)], "'userId'"),
        ([("userId[eq]", OID), ("userId[eq]", OID)], "userId[eq]"),
        ([("userId[in]", f"{OID},")], "userId[in]"),
    ],
    ids=["unknown", "operator", "date", "id", "no-bracket", "repeated-scalar", "empty-item"],
)
def test_invalid_query_names_the_parameter(pairs: list[tuple[str, str]], named: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_query(ACTIONS["list_courses_statistics"], pairs)
    assert info.value.status == 400
    assert info.value.body["error"]["code"] == "invalidQueryParameter"
    assert named in info.value.body["error"]["message"]


def test_enum_and_boolean_filters() -> None:
    courses = ACTIONS["list_courses"]
    parsed = parse_query(courses, [("type[eq]", "elearning standard"), ("collaborativeLearning[eq]", "true")])
    assert parsed.filters == [Filter("type", "eq", "elearning standard"), Filter("collaborativeLearning", "eq", True)]
    for bad in ([("type[eq]", "video")], [("collaborativeLearning[eq]", "yes")]):
        with pytest.raises(ApiError):
            parse_query(courses, bad)


def test_next_is_only_accepted_on_paginated_actions() -> None:
    assert parse_query(ACTIONS["list_users"], [("next", "abc")]).next == "abc"
    with pytest.raises(ApiError):
        parse_query(ACTIONS["get_user"], [("next", "abc")])
