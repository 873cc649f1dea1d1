"""Tests of the OpenAPI contract validator against the real 360Learning documents.

Every "bad" case changes exactly one thing in an otherwise conforming exchange and
asserts that exactly that problem is reported, so each test fails if the check it
covers is removed or goes blind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_360learning.testing.contract import ContractValidator, ContractViolation

OID = "507f1f77bcf86cd799439011"
OID2 = "507f1f77bcf86cd799439012"
BASE = "http://127.0.0.1:8360"
USER_STATS = f"/api/v2/paths/{OID}/sessions/{OID2}/user-stats"
VERSION = {"360-api-version": "v2.0", "Authorization": "Bearer t0k3n", "User-Agent": "tests"}
JSON_HEADERS = {**VERSION, "Content-Type": "application/json"}
STATUS_TYPES = [
    "awaitingCorrection",
    "late",
    "notYetStarted",
    "onTime",
    "sessionNotOpened",
    "successful",
    "toRetake",
    "unsuccessful",
]


@pytest.fixture(scope="module")
def contract() -> ContractValidator:
    return ContractValidator()


def session_user_stat(i: int) -> dict[str, Any]:
    """One SessionUserStatDTO, written by hand from the core document."""
    return {
        "_id": f"{i:024x}",
        "progress": i % 101,
        "status": {"type": STATUS_TYPES[i % len(STATUS_TYPES)]},
        "timeSpent": 1234.5,
        "userId": f"{i + 1:024x}",
        "enrolledAt": "2024-01-01T00:00:00.000Z",
        "completedAt": "2024-02-01T10:30:26.000Z",
        "score": 80,
        "selfEnrolled": i % 2 == 0,
        "startedAt": "2024-01-02T08:00:00.000Z",
        "certificateId": OID,
        "dueDate": "2024-03-01T00:00:00.000Z",
    }


def user(i: int) -> dict[str, Any]:
    """One UserDTO, written by hand from the core document."""
    return {
        "_id": f"{i:024x}",
        "mail": f"user{i}@example.com",
        "status": "active",
        "lang": "en",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "deletedAt": [],
        "primaryGroupId": OID,
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def only(errors: list[str], *needles: str) -> str:
    """Assert exactly one error was reported and that it names every needle."""
    assert len(errors) == 1, errors
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


# --------------------------------------------------------------------------- routing


def test_literal_segment_beats_template(contract: ContractValidator) -> None:
    stats = contract.find_operation("GET", "/api/v2/paths/stats")
    assert stats is not None
    assert stats.path_template == "/api/v2/paths/stats"
    assert stats.operation_id == "v2.paths.GetPathStatsController_getPathStats"
    assert stats.path_params == {}

    one_path = contract.find_operation("GET", f"/api/v2/paths/{OID}")
    assert one_path is not None
    assert one_path.path_template == "/api/v2/paths/{pathId}"
    assert one_path.path_params == {"pathId": OID}


def test_literal_segment_beats_template_deeper_in_the_path(contract: ContractValidator) -> None:
    sessions = contract.find_operation("GET", "/api/v2/paths/sessions")
    assert sessions is not None and sessions.path_template == "/api/v2/paths/sessions"
    catalog = contract.find_operation("POST", f"/api/v2/groups/{OID}/learner/{OID2}")
    assert catalog is not None and catalog.path_template == "/api/v2/groups/{groupId}/{role}/{userId}"
    ids = contract.find_operation("GET", f"/api/v2/groups/{OID}/catalog/course-ids")
    assert ids is not None
    assert ids.path_template == "/api/v2/groups/{groupId}/catalog/{contentType}-ids"
    assert ids.path_params == {"groupId": OID, "contentType": "course"}


def test_find_operation_reports_document_and_ignores_query(contract: ContractValidator) -> None:
    bulk = contract.find_operation("get", f"/api/v2/bulk/operations/{OID}?ignored=1")
    assert bulk is not None
    assert bulk.document == "360learning-bulk-api.json"
    assert bulk.method == "GET"
    assert contract.find_operation("GET", "/api/v2/does-not-exist") is None
    assert contract.find_operation("PUT", "/api/v2/users") is None


# --------------------------------------------------------------------------- requests


def test_good_request_passes(contract: ContractValidator) -> None:
    url = f"{BASE}{USER_STATS}?completedAt[gte]=2024-01-01T00:00:00.000Z"
    assert contract.request_errors("GET", url, VERSION, None) == []
    contract.validate_request("GET", url, VERSION, None)


def test_good_request_with_every_filter_form_passes(contract: ContractValidator) -> None:
    url = (
        f"{USER_STATS}?completedAt%5Bgte%5D=2024-01-01T00%3A00%3A00.000Z&completedAt[lt]=2024-02-01T00:00:00%2B01:00"
        f"&userId[in]={OID}&userId[in]={OID2}&userId[nin][0]={OID}&userId[nin][1]={OID2}&userId[ne]={OID}"
    )
    assert contract.request_errors("GET", url, VERSION, None) == []


BAD_REQUESTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    # id, method, url, (needles the single error must contain)
    (
        "unknown query parameter",
        "GET",
        f"{USER_STATS}?completedAt[gte]=2024-01-01T00:00:00.000Z&limit=10",
        ("unknown query parameter 'limit'", "user-stats"),
    ),
    (
        "malformed ObjectId in path",
        "GET",
        f"/api/v2/paths/not-an-id/sessions/{OID2}/user-stats",
        ("path parameter 'pathId'", "'not-an-id'"),
    ),
    (
        "bad date in bracket filter",
        "GET",
        f"{USER_STATS}?completedAt[gte]=2024-13-01T00:00:00.000Z",
        ("completedAt[gte]", "date-time"),
    ),
    (
        "date without offset in bracket filter",
        "GET",
        f"{USER_STATS}?completedAt[lt]=2024-01-01T00:00:00",
        ("completedAt[lt]", "date-time"),
    ),
    (
        "unencoded + in an offset turns into a space",
        "GET",
        f"{USER_STATS}?completedAt[lt]=2024-01-01T00:00:00+01:00",
        ("completedAt[lt]", "date-time"),
    ),
    (
        "unknown bracket operator",
        "GET",
        f"{USER_STATS}?completedAt[eq]=2024-01-01T00:00:00.000Z",
        ("completedAt[eq]", "unknown operator 'eq'", "gte, lt"),
    ),
    (
        "bad ObjectId inside a deepObject array",
        "GET",
        f"{USER_STATS}?userId[in]={OID}&userId[in]=nope",
        ("userId[in][1]", "'nope'"),
    ),
    (
        "comma-joined array is not split",
        "GET",
        f"{USER_STATS}?userId[in]={OID},{OID2}",
        ("userId[in][0]",),
    ),
    (
        "single-valued operator repeated",
        "GET",
        f"{USER_STATS}?completedAt[gte]=2024-01-01T00:00:00Z&completedAt[gte]=2024-01-02T00:00:00Z",
        ("completedAt[gte]", "given 2 times"),
    ),
    (
        "deepObject parameter without brackets",
        "GET",
        f"{USER_STATS}?completedAt=2024-01-01T00:00:00Z",
        ("'completedAt'", "without brackets"),
    ),
    (
        "boolean filter that is not true/false",
        "GET",
        "/api/v2/courses?collaborativeLearning[eq]=yes",
        ("collaborativeLearning[eq]", "boolean"),
    ),
    (
        "enum filter outside the enum",
        "GET",
        "/api/v2/users?status[eq]=sleeping",
        ("status[eq]", "'sleeping'"),
    ),
    (
        "pagination cursor on an operation that is not paginated",
        "GET",
        f"/api/v2/users/{OID}?next=abc",
        ("unknown query parameter 'next'",),
    ),
    (
        "undocumented path",
        "GET",
        "/api/v2/learners",
        ("GET /api/v2/learners", "no operation is documented"),
    ),
    (
        "undocumented method on a documented path",
        "PUT",
        "/api/v2/users",
        ("PUT /api/v2/users", "documented methods for this path: GET, POST"),
    ),
]


@pytest.mark.parametrize(("method", "url", "needles"), [c[1:] for c in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request_is_flagged(contract: ContractValidator, method: str, url: str, needles: tuple[str, ...]) -> None:
    only(contract.request_errors(method, f"{BASE}{url}", VERSION, None), *needles)


def test_missing_api_version_header_is_flagged(contract: ContractValidator) -> None:
    url = f"{USER_STATS}?completedAt[gte]=2024-01-01T00:00:00.000Z"
    headers = {"Authorization": "Bearer t0k3n"}
    only(contract.request_errors("GET", url, headers, None), "header '360-api-version' is required but missing")


def test_api_version_header_is_case_insensitive_and_checked(contract: ContractValidator) -> None:
    assert contract.request_errors("GET", "/api/v2/users", {"360-API-Version": "v2.0"}, None) == []
    only(contract.request_errors("GET", "/api/v2/users", {"360-api-version": "v2.1"}, None), "'v2.1'", "v2.0")


def test_token_endpoint_is_an_ordinary_core_operation(contract: ContractValidator) -> None:
    body = dumps({"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"})
    headers = {"Content-Type": "application/json"}
    assert contract.request_errors("POST", "/api/v2/oauth2/token", headers, body) == []
    bad = dumps({"grant_type": "password", "client_id": "id", "client_secret": "secret"})
    only(contract.request_errors("POST", "/api/v2/oauth2/token", headers, bad), "$.grant_type", "'password'")
    token = dumps({"token_type": "Bearer", "access_token": "abc", "expires_in": 3600})
    assert contract.response_errors("POST", "/api/v2/oauth2/token", 200, headers, token) == []


def test_request_body_is_validated(contract: ContractValidator) -> None:
    good = {"mail": "ada@example.com", "membership": {"groupId": OID, "role": "learner"}}
    assert contract.request_errors("POST", "/api/v2/users", JSON_HEADERS, dumps(good)) == []

    missing = {"mail": "ada@example.com"}
    only(
        contract.request_errors("POST", "/api/v2/users", JSON_HEADERS, dumps(missing)),
        "POST /api/v2/users",
        "'membership' is a required property",
    )
    wrong_role = {**good, "membership": {"groupId": OID, "role": "boss"}}
    only(
        contract.request_errors("POST", "/api/v2/users", JSON_HEADERS, dumps(wrong_role)), "$.membership.role", "'boss'"
    )


def test_request_body_presence_and_media_type(contract: ContractValidator) -> None:
    good = dumps({"membership": {"groupId": OID, "role": "learner"}})
    only(contract.request_errors("POST", "/api/v2/users", JSON_HEADERS, None), "request body is required")
    only(contract.request_errors("POST", "/api/v2/users", JSON_HEADERS, b"{nope"), "not valid JSON")
    only(contract.request_errors("POST", "/api/v2/users", VERSION, good), "Content-Type (missing)")
    only(contract.request_errors("GET", "/api/v2/users", JSON_HEADERS, b"{}"), "declares none")
    form_headers = {**VERSION, "Content-Type": "application/x-www-form-urlencoded"}
    only(contract.request_errors("POST", "/api/v2/users", form_headers, good), "application/x-www-form-urlencoded")


def test_plain_query_parameter_is_validated(contract: ContractValidator) -> None:
    good = dumps({"mail": "ada@example.com", "membership": {"groupId": OID, "role": "learner"}})
    assert contract.request_errors("POST", "/api/v2/users?sendInvitationEmail=false", JSON_HEADERS, good) == []
    only(
        contract.request_errors("POST", "/api/v2/users?sendInvitationEmail=no", JSON_HEADERS, good),
        "sendInvitationEmail",
        "'no'",
    )


def test_nullable_fields_accept_null_but_keep_their_type(contract: ContractValidator) -> None:
    url = f"/api/v2/users/{OID}"
    cleared = dumps({"firstName": None, "primaryGroupId": None, "toBeDeactivatedAt": None})
    assert contract.request_errors("PATCH", url, JSON_HEADERS, cleared) == []
    only(contract.request_errors("PATCH", url, JSON_HEADERS, dumps({"firstName": 3})), "$.firstName", "3")
    only(contract.request_errors("PATCH", url, JSON_HEADERS, dumps({"primaryGroupId": "x"})), "$.primaryGroupId")


def test_pagination_cursor_is_accepted_on_paginated_operations(contract: ContractValidator) -> None:
    assert contract.request_errors("GET", "/api/v2/users?next=opaque%2Btoken", VERSION, None) == []
    only(contract.request_errors("GET", "/api/v2/users?next=", VERSION, None), "'next'", "empty")


def multipart(*parts: tuple[str, bytes, str | None]) -> tuple[dict[str, str], bytes]:
    """(name, payload, filename) parts -> headers, body."""
    boundary = "contract-test-boundary"
    body = b""
    for name, payload, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + payload + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return {**VERSION, "Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def test_multipart_upload_requires_a_file_part(contract: ContractValidator) -> None:
    url = f"/api/v2/users/{OID}/media"
    headers, body = multipart(("profileImage", b"\x89PNG\r\n\x1a\n....", "me.png"))
    assert contract.request_errors("POST", url, headers, body) == []
    headers, body = multipart(("profileImage", b"just text", None))
    only(contract.request_errors("POST", url, headers, body), "$.profileImage", "binary")
    headers, body = multipart(("somethingElse", b"x", None))
    only(contract.request_errors("POST", url, headers, body), "'profileImage' is a required property")


def test_multipart_fields_are_coerced_and_validated(contract: ContractValidator) -> None:
    fields = [
        ("name", b"Onboarding", None),
        ("sourceLang", b"en", None),
        ("authorId", OID.encode(), None),
        ("groupId", OID.encode(), None),
        ("coAuthorIds", OID.encode(), None),
        ("coAuthorIds", OID2.encode(), None),
        ("estdFile", b"PK\x03\x04...", "course.zip"),
    ]
    headers, body = multipart(*fields)
    assert contract.request_errors("POST", "/api/v2/courses/elearning-standard", headers, body) == []
    headers, body = multipart(*fields, ("coAuthorIds", b"bad", None))
    only(contract.request_errors("POST", "/api/v2/courses/elearning-standard", headers, body), "$.coAuthorIds[2]")


def test_validate_request_raises_with_every_problem(contract: ContractValidator) -> None:
    url = "/api/v2/paths/nope/sessions/nope/user-stats?completedAt[eq]=x&foo=1"
    with pytest.raises(ContractViolation) as raised:
        contract.validate_request("GET", url, {}, None)
    message = str(raised.value)
    for needle in ("'pathId'", "'sessionId'", "completedAt[eq]", "'foo'", "360-api-version"):
        assert needle in message
    assert len(raised.value.errors) == 5
    assert isinstance(raised.value, AssertionError)


# --------------------------------------------------------------------------- responses


def list_response(
    items: list[dict[str, Any]], link: str | None = None, status: int = 200
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if link is not None:
        headers["Link"] = link
    return status, headers, dumps(items)


def test_good_list_response_passes(contract: ContractValidator) -> None:
    link = f'<{BASE}{USER_STATS}?next=b64cursor>; rel="next"'
    status, headers, body = list_response([session_user_stat(i) for i in range(3)], link)
    assert contract.response_errors("GET", f"{BASE}{USER_STATS}", status, headers, body) == []
    contract.validate_response("GET", f"{BASE}{USER_STATS}", status, headers, body)

    status, headers, body = list_response([user(i) for i in range(3)])
    assert contract.response_errors("GET", "/api/v2/users?status[eq]=active", status, headers, body) == []


def _drop_status(item: dict[str, Any]) -> None:
    del item["selfEnrolled"]


def _wrong_type(item: dict[str, Any]) -> None:
    item["progress"] = "50%"


def _bad_date(item: dict[str, Any]) -> None:
    item["enrolledAt"] = "2024-01-01 00:00:00"


def _unknown_status(item: dict[str, Any]) -> None:
    item["status"] = {"type": "sleeping"}


def _out_of_range(item: dict[str, Any]) -> None:
    item["score"] = 101


BAD_ITEMS: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    ("missing required field", _drop_status, ("$[1]", "'selfEnrolled' is a required property")),
    ("wrong type", _wrong_type, ("$[1].progress", "'50%' is not of type 'integer'")),
    ("date-time without T and offset", _bad_date, ("$[1].enrolledAt", "date-time")),
    ("oneOf matches no branch", _unknown_status, ("$[1].status",)),
    ("maximum exceeded", _out_of_range, ("$[1].score", "101")),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in BAD_ITEMS], ids=[c[0] for c in BAD_ITEMS])
def test_bad_list_item_is_flagged(
    contract: ContractValidator, mutate: Callable[[dict[str, Any]], None], needles: tuple[str, ...]
) -> None:
    items = [session_user_stat(i) for i in range(3)]
    mutate(items[1])
    status, headers, body = list_response(items)
    only(contract.response_errors("GET", USER_STATS, status, headers, body), "-> 200", "response body", *needles)


def test_undocumented_status_is_flagged(contract: ContractValidator) -> None:
    _, headers, body = list_response([])
    only(contract.response_errors("GET", USER_STATS, 201, headers, body), "status 201 is not documented")
    error = only(contract.response_errors("GET", USER_STATS, 500, headers, b'{"error": "boom"}'), "status 500")
    assert "200, 400, 401, 403, 404, 429" in error


def test_error_response_bodies_are_validated(contract: ContractValidator) -> None:
    headers = {"Content-Type": "application/json"}
    not_found = dumps({"error": {"code": "sessionNotFound", "message": "no such session"}})
    assert contract.response_errors("GET", USER_STATS, 404, headers, not_found) == []
    wrong_code = dumps({"error": {"code": "userNotFound", "message": "no such user"}})
    only(contract.response_errors("GET", USER_STATS, 404, headers, wrong_code), "-> 404")
    assert contract.response_errors("GET", USER_STATS, 429, headers, dumps({"error": "tooManyRequests"})) == []


@pytest.mark.parametrize(
    "link",
    [
        f"<{BASE}{USER_STATS}?next=abc>",
        f"<{BASE}{USER_STATS}?next=abc>; rel=next",
        f'<{BASE}{USER_STATS}?next=abc>; rel="prev"',
        f'{BASE}{USER_STATS}?next=abc; rel="next"',
        f'<{BASE}{USER_STATS}?next=abc>; rel="next", <{BASE}/x>; rel="last"',
    ],
)
def test_malformed_link_header_is_flagged(contract: ContractValidator, link: str) -> None:
    status, headers, body = list_response([session_user_stat(0)], link)
    only(contract.response_errors("GET", USER_STATS, status, headers, body), "Link header", 'rel="next"\'')


def test_link_header_must_point_at_the_same_operation(contract: ContractValidator) -> None:
    status, headers, body = list_response([session_user_stat(0)], '</api/v2/users?next=abc>; rel="next"')
    only(contract.response_errors("GET", USER_STATS, status, headers, body), "Link header points to '/api/v2/users'")
    relative = f'<{USER_STATS}?next=abc>; rel="next"'
    status, headers, body = list_response([session_user_stat(0)], relative)
    assert contract.response_errors("GET", f"{BASE}{USER_STATS}", status, headers, body) == []


def test_response_media_type_and_json_are_checked(contract: ContractValidator) -> None:
    body = dumps([session_user_stat(0)])
    only(contract.response_errors("GET", USER_STATS, 200, {"Content-Type": "text/html"}, body), "text/html")
    only(
        contract.response_errors("GET", USER_STATS, 200, {"Content-Type": "application/json"}, b"[{"), "not valid JSON"
    )
    nan = b'[{"progress": NaN}]'
    only(contract.response_errors("GET", USER_STATS, 200, {"Content-Type": "application/json"}, nan), "not valid JSON")


def test_no_content_responses(contract: ContractValidator) -> None:
    assert contract.response_errors("DELETE", f"/api/v2/users/{OID}", 204, {}, b"") == []
    assert contract.response_errors("DELETE", f"/api/v2/users/{OID}", 204, {}, None) == []
    only(contract.response_errors("DELETE", f"/api/v2/users/{OID}", 204, {}, b"{}"), "without content", "2 bytes")


def test_pdf_response(contract: ContractValidator) -> None:
    url = f"/api/v2/users/{OID}/certificates/{OID2}/pdf"
    assert contract.response_errors("GET", url, 200, {"Content-Type": "application/pdf"}, b"%PDF-1.7\n...") == []
    only(contract.response_errors("GET", url, 200, {"Content-Type": "application/json"}, b"{}"), "application/pdf")


def test_bulk_accepted_response(contract: ContractValidator) -> None:
    location = {"Location": f"https://app.360learning.com/api/v2/bulk/operations/{OID}"}
    assert contract.response_errors("POST", "/api/v2/bulk/groups/memberships", 202, location, None) == []
    # 503 is documented by the bulk document, so its body is checked like any other.
    headers = {"Content-Type": "application/json"}
    only(contract.response_errors("POST", "/api/v2/bulk/groups/memberships", 503, headers, b"{}"), "-> 503")


def test_validate_response_raises(contract: ContractValidator) -> None:
    items = [session_user_stat(0)]
    items[0]["progress"] = -1
    status, headers, body = list_response(items, "<nowhere>")
    with pytest.raises(ContractViolation) as raised:
        contract.validate_response("GET", USER_STATS, status, headers, body)
    assert len(raised.value.errors) == 2
    assert "$[0].progress" in str(raised.value) and "Link header" in str(raised.value)


# --------------------------------------------------------------------------- full pages (timing lives in benchmarks/)


def test_full_page_of_2000_items_validates_and_a_late_error_is_found(contract: ContractValidator) -> None:
    link = f'<{USER_STATS}?next=cursor>; rel="next"'
    status, headers, body = list_response([session_user_stat(i) for i in range(2000)], link)
    assert contract.response_errors("GET", USER_STATS, status, headers, body) == []

    items = [session_user_stat(i) for i in range(2000)]
    items[1999]["userId"] = "x"
    status, headers, body = list_response(items)
    only(contract.response_errors("GET", USER_STATS, status, headers, body), "$[1999].userId")
