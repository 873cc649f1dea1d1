"""The edX emulator over HTTP: token endpoint, field names and types of ``edx-api.md``, paging, error shapes,
deterministic data, the awkward cases and the day-to-day catalog change."""

from __future__ import annotations

import json
import re
from typing import Any

import jwt
import pytest

from airflow_provider_360learning.emulator.__main__ import config_from_args
from airflow_provider_360learning.emulator.edx import AWKWARD, LEARNER_SUMMARY, UNKNOWN_LEARNER_EMAIL
from tests.unit.edx.conftest import Edx

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
COURSE_KEY = re.compile(r"^[A-Za-z]+\+[A-Z]+\d+x$")
RUN_KEY = re.compile(r"^course-v1:[A-Za-z]+\+[A-Z]+\d+x\+[123]T\d{4}$")
LIST_KEYS = {"count", "next", "previous", "results"}
STR, INT, FLOAT, BOOL, NONE = str, int, float, bool, type(None)
CATALOG_FIELDS: dict[str, tuple[type, ...]] = {
    "uuid": (STR,),
    "title": (STR,),
    "enterprise_customer": (STR,),
    "catalog_query_uuid": (STR, NONE),
    "content_last_modified": (STR, NONE),
    "catalog_modified": (STR,),
    "query_title": (STR, NONE),
}
COURSE_FIELDS: dict[str, tuple[type, ...]] = {
    "content_type": (STR,),
    "key": (STR,),
    "uuid": (STR,),
    "title": (STR,),
    "short_description": (STR, NONE),
    "full_description": (STR, NONE),
    "image": (dict, NONE),
    "level_type": (STR,),
    "languages": (list,),
    "skill_names": (list,),
    "skills": (list,),
    "subjects": (list,),
    "owners": (list,),
    "organizations": (list,),
    "course_runs": (list,),
    "advertised_course_run_uuid": (STR,),
    "marketing_url": (STR,),
    "enrollment_url": (STR,),
    "content_last_modified": (STR,),
    "parent_content_key": (NONE,),
    "active": (BOOL,),
    "entitlements": (list,),
    "seat_types": (list,),
    "course_type": (STR,),
    "modified": (STR,),
    "xapi_activity_id": (STR,),
    "normalized_metadata": (dict,),
    "card_image_url": (STR,),
}
RUN_FIELDS: dict[str, tuple[type, ...]] = {
    "key": (STR,),
    "uuid": (STR,),
    "start": (STR,),
    "end": (STR,),
    "availability": (STR,),
    "pacing_type": (STR,),
    "status": (STR,),
    "is_enrollable": (BOOL,),
    "is_marketable": (BOOL,),
    "weeks_to_complete": (INT,),
    "min_effort": (INT,),
    "max_effort": (INT,),
    "estimated_hours": (FLOAT,),
    "content_language": (STR,),
    "seats": (list,),
    "parent_content_key": (STR,),
    "enrollment_url": (STR,),
}
LEARNER_FIELDS: dict[str, tuple[type, ...]] = {
    "enterprise_enrollment_id": (INT,),
    "enrollment_id": (INT,),
    "is_consent_granted": (BOOL,),
    "course_key": (STR,),
    "courserun_key": (STR,),
    "has_passed": (BOOL,),
    "passed_date": (STR, NONE),
    "last_activity_date": (STR, NONE),
    "progress_status": (STR, NONE),
    "course_progress": (FLOAT, NONE),
    "course_passing_grade": (FLOAT, NONE),
    "current_grade": (FLOAT, NONE),
    "user_email": (STR, NONE),
    "enterprise_sso_uid": (STR, NONE),
    "enterprise_user_id": (INT, NONE),
    "unenrollment_date": (STR, NONE),
    "created": (STR,),
    "course_api_url": (STR,),
    "paid_by": (STR, NONE),
    "user_current_enrollment_mode": (STR, NONE),
    "seat_delivery_method": (STR, NONE),
    "offer_id": (STR, NONE),
    "course_title": (STR, NONE),
    "course_pacing_type": (STR, NONE),
    "letter_grade": (STR, NONE),
    "user_username": (STR, NONE),
    "user_first_name": (STR, NONE),
    "user_last_name": (STR, NONE),
    "user_country_code": (STR, NONE),
    "enterprise_name": (STR, NONE),
    "enterprise_customer_uuid": (STR, NONE),
    "course_product_line": (STR, NONE),
    "enrollment_date": (STR,),
    "unenrollment_end_within_date": (STR, NONE),
    "course_start_date": (STR, NONE),
    "course_end_date": (STR, NONE),
    "user_account_creation_date": (STR, NONE),
    "course_list_price": (FLOAT, NONE),
    "amount_learner_paid": (FLOAT, NONE),
    "course_duration_weeks": (INT, NONE),
    "course_max_effort": (INT, NONE),
    "course_min_effort": (INT, NONE),
    "total_learning_time_hours": (FLOAT,),
    "is_refunded": (BOOL, NONE),
    "is_subsidy": (BOOL,),
}
LEARNER_DATES = (
    "passed_date",
    "last_activity_date",
    "unenrollment_date",
    "enrollment_date",
    "unenrollment_end_within_date",
    "course_start_date",
    "course_end_date",
)
CONSENT_NULLS = (
    "last_activity_date",
    "progress_status",
    "passed_date",
    "current_grade",
    "letter_grade",
    "enterprise_user_id",
    "user_email",
    "user_account_creation_date",
    "user_country_code",
    "user_username",
    "user_first_name",
    "user_last_name",
)


def _typed(record: dict[str, Any], fields: dict[str, tuple[type, ...]]) -> list[str]:
    """Fields missing or of another type than documented (a bool is not an int here)."""
    wrong = []
    for name, types in fields.items():
        value = record.get(name, "<missing>")
        if name not in record or not isinstance(value, types) or (isinstance(value, bool) and BOOL not in types):
            wrong.append(f"{name}={value!r}")
    return wrong


def _all(edx: Edx, path: str, size: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = edx.get(path, page=page, page_size=size).json()
        rows.extend(body["results"])
        if not body["next"]:
            return rows
        page += 1


def _summary(edx: Edx) -> list[dict[str, Any]]:
    return _all(edx, edx.summary_path(), 1000)


# -- token ---------------------------------------------------------------------------------------
def test_token_endpoint_issues_a_jwt_with_enterprise_roles(edx: Edx) -> None:
    response = edx.token_response()
    body = response.json()
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "JWT" and body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert f"enterprise_admin:{edx.enterprise}" in claims["roles"]
    assert {"aud", "exp", "iat", "iss", "scopes", "preferred_username", "email"} <= set(claims)
    assert (
        edx.http.post(
            "/oauth2/access_token",
            data={"grant_type": "client_credentials", "client_id": "test-edx-client-id", "client_secret": "x"},
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("form", "status", "body"),
    [
        ({"client_secret": "wrong"}, 401, {"error": "invalid_client"}),
        ({"client_id": "someone-else"}, 401, {"error": "invalid_client"}),
        ({"grant_type": "password"}, 400, {"error": "unsupported_grant_type"}),
        (
            {"grant_type": None},
            400,
            {"error": "invalid_request", "error_description": "Missing grant_type or client_id."},
        ),
    ],
)
def test_token_errors_have_the_oauth_shape(edx: Edx, form: dict[str, Any], status: int, body: dict[str, Any]) -> None:
    response = edx.token_response(**form)
    assert (response.status_code, response.json()) == (status, body)


def test_token_endpoint_refuses_get(edx: Edx) -> None:
    response = edx.http.get("/oauth2/v1/access_token")
    assert response.status_code == 405 and "detail" in response.json()


def test_without_token_type_jwt_the_token_is_opaque_and_refused(edx: Edx) -> None:
    opaque = edx.token_response(token_type=None).json()
    assert opaque["token_type"] == "Bearer"
    response = edx.get("/enterprise/v2/enterprise-catalogs", token=opaque["access_token"])
    assert (response.status_code, response.json()) == (401, {"detail": "Error decoding signature."})
    header = edx.http.post(
        "/oauth2/v1/access_token",
        headers={"X-Token-Type": "jwt"},
        data={
            "grant_type": "client_credentials",
            "client_id": "test-edx-client-id",
            "client_secret": edx.state.client_secret,
        },
    ).json()
    assert header["token_type"] == "JWT"


def test_bearer_prefix_is_refused(edx: Edx) -> None:
    response = edx.get("/enterprise/v2/enterprise-catalogs", scheme="Bearer")
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})


def test_expired_token(edx: Edx) -> None:
    token = edx.token
    edx.server.state.advance_time(3601)
    response = edx.get("/enterprise/v2/enterprise-catalogs", token=token)
    assert (response.status_code, response.json()) == (401, {"detail": "Signature has expired."})


# -- shapes and types ----------------------------------------------------------------------------
def test_catalog_list_fields(edx: Edx) -> None:
    body = edx.get("/enterprise/v2/enterprise-catalogs/").json()
    assert set(body) == LIST_KEYS and body["count"] == 3 and body["next"] is None
    for catalog in body["results"]:
        assert set(catalog) == set(CATALOG_FIELDS) and _typed(catalog, CATALOG_FIELDS) == []
        assert UUID.match(catalog["uuid"]) and catalog["enterprise_customer"] == edx.enterprise
        assert catalog["content_last_modified"] is None or DATETIME.match(catalog["content_last_modified"])


def test_catalog_content_fields(edx: Edx) -> None:
    items = _all(edx, f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}", 100)
    courses = [i for i in items if i["content_type"] == "course"]
    programs = [i for i in items if i["content_type"] == "program"]
    assert (len(courses), len(programs)) == (50, 2)
    assert len({c["key"] for c in courses}) == 50
    for course in courses:
        assert _typed(course, COURSE_FIELDS) == [], course["key"]
        assert COURSE_KEY.match(course["key"]) and UUID.match(course["uuid"])
        (run,) = course["course_runs"]
        assert (
            _typed(run, RUN_FIELDS) == [] and RUN_KEY.match(run["key"]) and run["parent_content_key"] == course["key"]
        )
        assert run["uuid"] == course["advertised_course_run_uuid"]
        assert DATETIME.match(course["content_last_modified"]) and DATETIME.match(run["start"])
        assert "utm_source=acme-corporation" in course["enrollment_url"]
    assert all(p["enrollment_url"] is None and p["courses"] for p in programs)


def test_learner_summary_fields_and_order(edx: Edx) -> None:
    rows = _summary(edx)
    assert len(rows) == 250
    for row in rows:
        assert _typed(row, LEARNER_FIELDS) == [], row["enterprise_enrollment_id"]
        assert all(row[d] is None or DATE.match(row[d]) for d in LEARNER_DATES)
        assert RUN_KEY.match(row["courserun_key"]) and row["courserun_key"].startswith(
            f"course-v1:{row['course_key']}+"
        )
        assert row["enterprise_customer_uuid"] == edx.enterprise
        if row["has_passed"]:
            assert row["progress_status"] == "Passed" and row["passed_date"] and row["course_progress"] == 1.0
    dates = [r["last_activity_date"] for r in rows]
    active = [d for d in dates if d is not None]
    assert active == sorted(active, reverse=True) and dates[len(active) :] == [None] * (len(dates) - len(active))


def test_page_sizes_default_and_clamped(edx: Edx) -> None:
    catalog = f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}"
    assert len(edx.get(catalog).json()["results"]) == 10
    assert len(edx.get(catalog, page_size=500).json()["results"]) == 52  # 52 items: one page of at most 100
    big = edx.get(edx.summary_path(), page_size=5000).json()
    assert len(big["results"]) == 250 and big["next"] is None
    assert len(edx.get("/enterprise/v2/enterprise-catalogs", page_size=2).json()["results"]) == 2


def test_next_is_a_gateway_url_keeping_the_query(edx_factory: Any) -> None:
    edx = edx_factory(scale=3)
    body = edx.get(f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}/", page_size=1000, ignored="x").json()
    assert len(body["results"]) == 100, "clamped to 100"
    assert (
        body["next"]
        == f"{edx.url}/enterprise/v2/enterprise-catalogs/{edx.main_catalog}?page=2&page_size=1000&ignored=x"
    )
    second = edx.get(f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}", page=2, page_size=1000).json()
    assert second["previous"].endswith("?page=1&page_size=1000") and second["next"] is None
    assert len(second["results"]) == 56


@pytest.mark.parametrize("page", ["0", "3", "x"])
def test_invalid_pages(edx: Edx, page: str) -> None:
    response = edx.get(edx.summary_path(), page=page, page_size=200)
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


def test_error_shapes(edx: Edx) -> None:
    other = "00000000-0000-4000-8000-000000000000"
    cases = {
        edx.summary_path(other): (403, {"detail": "You do not have permission to perform this action."}),
        edx.summary_path("acme"): (404, {"detail": "Not found."}),
        f"/enterprise/v2/enterprise-catalogs/{other}": (404, {"detail": "Not found."}),
        f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}/courses/NoX+NOPE": (404, {"detail": "Not found."}),
        "/enterprise/v2/enterprise-customers": (403, {"message": "Missing Authentication Token"}),
    }
    for path, expected in cases.items():
        response = edx.get(path)
        assert (response.status_code, response.json()) == expected, path


def test_rate_limit_and_fault_shapes(edx_factory: Any) -> None:
    edx = edx_factory(rate_limit=1)
    edx.get("/enterprise/v2/enterprise-catalogs")
    throttled = edx.get("/enterprise/v2/enterprise-catalogs")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    assert throttled.json() == {"detail": "Request was throttled. Expected available in 1 seconds."}
    faulty = edx_factory(fault_rate=1.0, fault_kinds=("502",))
    response = faulty.get("/enterprise/v2/enterprise-catalogs")
    assert (response.status_code, response.json()) == (502, {"message": "Internal server error"})


# -- data ----------------------------------------------------------------------------------------
def test_data_is_deterministic(edx_factory: Any) -> None:
    first, second, other = edx_factory(), edx_factory(), edx_factory(seed=7)
    path = f"/enterprise/v2/enterprise-catalogs/{first.main_catalog}"
    assert first.get(path, page_size=100).content == second.get(path, page_size=100).content
    assert first.get(first.summary_path()).json()["results"] == second.get(second.summary_path()).json()["results"]
    assert first.enterprise != other.enterprise


def test_counts_grow_with_the_scale(edx_factory: Any) -> None:
    info = edx_factory(scale=200).info()
    assert info["catalogs"][0]["count"] == 10_000 + 400  # courses + programs
    assert info["learner_summary_count"] == 50_000
    big = edx_factory(scale=200)
    last = big.get(big.summary_path(), page=50, page_size=1000).json()
    assert len(last["results"]) == 1000 and last["next"] is None


def test_learners_are_360learning_users(edx: Edx) -> None:
    users = edx.server.state.tenant.users
    mails = {users.item(i)["mail"] for i in range(len(users))}
    rows = _summary(edx)
    emails = [r["user_email"] for r in rows if r["user_email"] is not None]
    assert sum(e in mails for e in emails) >= 0.95 * len(emails)
    other_case = rows[AWKWARD["learner_row_email_other_case"]]["user_email"]
    assert other_case not in mails and other_case.lower() in mails
    unknown = rows[AWKWARD["learner_row_unknown_to_360learning"]]["user_email"]
    assert unknown == UNKNOWN_LEARNER_EMAIL and unknown.lower() not in {m.lower() for m in mails}


def test_awkward_learner_rows(edx: Edx) -> None:
    rows = _summary(edx)
    first, second = (rows[i] for i in AWKWARD["learner_rows_same_course_twice"])
    assert (first["user_email"], first["course_key"]) == (second["user_email"], second["course_key"])
    assert first["courserun_key"] != second["courserun_key"] and first["has_passed"] and not second["has_passed"]
    last = rows[-1]
    assert last["is_consent_granted"] is False and all(last[name] is None for name in CONSENT_NULLS)
    assert any(r["unenrollment_date"] for r in rows)
    items = _all(edx, f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}", 100)
    assert {r["course_key"] for r in rows} <= {c["key"] for c in items if c["content_type"] == "course"}


def test_awkward_courses(edx: Edx) -> None:
    items = _all(edx, f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}", 100)
    bare = items[AWKWARD["course_without_description"]]
    assert bare["short_description"] is None and bare["full_description"] == ""
    html = items[AWKWARD["course_with_html_description"]]
    assert "<strong>" in html["short_description"] and "&amp;" in html["full_description"]
    assert not items[AWKWARD["course_with_non_ascii_title"]]["title"].isascii()
    assert items[AWKWARD["course_without_image"]]["image"] is None
    assert sum(not i["title"].isascii() for i in items) >= 3
    raw = edx.get(f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}", page_size=3).content
    assert json.loads(raw)["results"][2]["title"].encode() in raw, "non-ASCII sent as UTF-8, not \\u escapes"


def test_second_catalog_overlaps_and_third_is_empty(edx: Edx) -> None:
    plans = edx.state.data.catalogs
    main = _all(edx, f"/enterprise/v2/enterprise-catalogs/{plans[0].uuid}", 100)
    picks = _all(edx, f"/enterprise/v2/enterprise-catalogs/{plans[1].uuid}", 100)
    keys = {c["key"] for c in main if c["content_type"] == "course"}
    assert {c["key"] for c in picks if c["content_type"] == "course"} < keys
    assert [c["content_type"] for c in picks].count("program") == 1
    empty = edx.get(f"/enterprise/v2/enterprise-catalogs/{plans[2].uuid}").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


# -- the day -------------------------------------------------------------------------------------
def test_one_course_leaves_each_day(edx: Edx) -> None:
    path = f"/enterprise/v2/enterprise-catalogs/{edx.main_catalog}"
    days = []
    for _ in range(3):
        days.append({c["key"] for c in _all(edx, path, 100) if c["content_type"] == "course"})
        edx.http.post("/_emulator/edx/advance-day")
    assert [len(d) for d in days] == [50, 49, 48]
    retired = edx.info()["retired_course_keys"]
    assert days[0] - days[1] == {retired[0]} and days[1] - days[2] == {retired[1]}
    gone = edx.get(f"{path}/courses/{retired[0]}")
    assert gone.status_code == 404
    still = sorted(days[2])[0]
    assert edx.get(f"{path}/courses/{still}").json()["key"] == still


def test_the_emulator_clock_moves_the_day_and_reset_goes_back(edx: Edx) -> None:
    assert edx.info()["day"] == 0
    edx.server.state.advance_time(86_400)
    assert edx.info()["day"] == 1
    assert edx.http.post("/_emulator/edx/advance-day", json={"days": 2}).json()["day"] == 3
    assert edx.http.post("/_emulator/edx/advance-day", json={"days": 0}).status_code == 400
    edx.http.post("/_emulator/edx/reset")
    assert edx.info()["day"] == 0 and edx.info()["retired_course_keys"] == []


def test_catalog_content_last_modified_moves_with_the_day(edx: Edx) -> None:
    before = edx.get("/enterprise/v2/enterprise-catalogs").json()["results"][0]["content_last_modified"]
    edx.http.post("/_emulator/edx/advance-day")
    after = edx.get("/enterprise/v2/enterprise-catalogs").json()["results"][0]["content_last_modified"]
    assert after > before


# -- control and CLI -----------------------------------------------------------------------------
def test_injected_rows_are_served_raw(edx: Edx) -> None:
    added = edx.http.post(f"/_emulator/edx/rows/{LEARNER_SUMMARY}", json=[{"x": 1}, "not even an object"])
    assert added.status_code == 201 and added.json()["extra_rows"] == 2
    body = edx.get(edx.summary_path(), page=2, page_size=126).json()
    assert body["count"] == 252 and body["results"][-2:] == [{"x": 1}, "not even an object"]
    assert edx.http.post("/_emulator/edx/rows/nothing", json={}).status_code == 404
    assert edx.http.post("/_emulator/edx/options", json={"nope": True}).status_code == 400


def test_cli_flags_and_service(edx_factory: Any) -> None:
    config = config_from_args(["--service", "edx", "--edx-client-id", "a", "--edx-client-secret", "b"])
    assert (config.service, config.edx_client_id, config.edx_client_secret) == ("edx", "a", "b")
    only = edx_factory(service="edx")
    assert only.http.get("/api/v2/users").status_code == 404
    assert only.get("/enterprise/v2/enterprise-catalogs").status_code == 200
    assert only.http.get("/_emulator/edx/stats").json()["token_requests"] == 1
