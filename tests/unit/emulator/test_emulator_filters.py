"""Bracket filters agree with client-side filtering of a full scan, across pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.emulator.conftest import Api


@pytest.fixture
def big(learning360_emulator_factory: Any, make_api: Any) -> Api:
    """Scale 3: 3,750 course stats, so filtered results still span several pages."""
    return make_api(learning360_emulator_factory(scale=3, record_exchanges=False))  # type: ignore[no-any-return]


def test_completed_at_window(big: Api) -> None:
    every = big.all("/api/v2/courses/stats")
    dates = sorted(r["completedAt"] for r in every if "completedAt" in r)
    assert 0.3 < len(dates) / len(every) < 0.9, "a realistic share of attempts is completed"
    low, high = dates[len(dates) // 10], dates[len(dates) * 9 // 10]
    expected = [r for r in every if "completedAt" in r and low <= r["completedAt"] < high]
    pages = big.pages("/api/v2/courses/stats", {"completedAt[gte]": low, "completedAt[lt]": high})
    assert len(pages) > 1
    assert [r for p in pages for r in p] == expected
    only_since = big.all("/api/v2/courses/stats", {"completedAt[gte]": low})
    assert only_since == [r for r in every if r.get("completedAt", "") >= low]


def test_id_operators(big: Api) -> None:
    every = big.all("/api/v2/courses/stats")
    a, b = every[0]["userId"], every[1]["userId"]
    assert big.all("/api/v2/courses/stats", {"userId[eq]": a}) == [r for r in every if r["userId"] == a]
    assert big.all("/api/v2/courses/stats", {"userId[ne]": a}) == [r for r in every if r["userId"] != a]
    both = [r for r in every if r["userId"] in (a, b)]
    assert big.all("/api/v2/courses/stats", [("userId[in]", a), ("userId[in]", b)]) == both
    assert big.all("/api/v2/courses/stats", {"userId[in]": f"{a},{b}"}) == both
    assert big.all("/api/v2/courses/stats", {"userId[nin]": f"{a},{b}"}) == [
        r for r in every if r["userId"] not in (a, b)
    ]
    course = every[2]["courseId"]
    assert big.all("/api/v2/courses/stats", {"courseId[eq]": course.upper()}) == [
        r for r in every if r["courseId"] == course
    ]


def test_user_filters(api: Api) -> None:
    every = api.all("/api/v2/users")
    for status in ("active", "invited", "deleted"):
        expected = [u for u in every if u["status"] == status]
        assert expected, status
        assert api.all("/api/v2/users", {"status[eq]": status}) == expected
    assert api.all("/api/v2/users", {"status[ne]": "active"}) == [u for u in every if u["status"] != "active"]
    assert api.all("/api/v2/users", {"mail[eq]": every[5]["mail"]}) == [every[5]]


def test_course_filters(api: Api) -> None:
    every = api.all("/api/v2/courses")
    checks: list[tuple[dict[str, str], Any]] = [
        ({"type[eq]": "native"}, lambda c: c["type"] == "native"),
        ({"status[eq]": "published"}, lambda c: c["status"] == "published"),
        ({"collaborativeLearning[eq]": "true"}, lambda c: c["collaborativeLearning"] is True),
        ({"sourceLang[in]": "fr,de"}, lambda c: c["sourceLang"] in ("fr", "de")),
        ({"authorId[eq]": every[0]["authorId"]}, lambda c: c["authorId"] == every[0]["authorId"]),
        ({"createdAt[gte]": every[10]["createdAt"]}, lambda c: c["createdAt"] >= every[10]["createdAt"]),
    ]
    for params, keep in checks:
        expected = [c for c in every if keep(c)]
        assert 0 < len(expected) < len(every), params
        assert api.all("/api/v2/courses", params) == expected, params
    co_authored = next(c for c in every if c["coAuthorIds"])
    got = api.all("/api/v2/courses", {"coAuthorIds[in]": co_authored["coAuthorIds"][0]})
    assert co_authored in got and all(co_authored["coAuthorIds"][0] in c["coAuthorIds"] for c in got)


def test_tag_filter_reads_fields_the_dto_does_not_show(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    tag = tenant.tag_id(3)
    expected = [
        tenant.courses.item(i)["_id"] for i in range(len(tenant.courses)) if tag in tenant.courses.item(i)["tagIds"]
    ]
    got = api.all("/api/v2/courses", {"tagIds[in]": tag})
    assert [c["_id"] for c in got] == expected and expected
    assert all("tagIds" not in c and "originalAuthorId" not in c for c in got)


def test_path_stats_status_filters_on_the_path(api: Api) -> None:
    every = api.all("/api/v2/paths/stats")
    archived = {p["_id"] for p in api.all("/api/v2/paths") if p["status"] == "archived"}
    assert archived
    assert api.all("/api/v2/paths/stats", {"status[eq]": "archived"}) == [r for r in every if r["pathId"] in archived]
    first_path = every[0]["pathId"]
    assert api.all("/api/v2/paths/stats", {"pathId[eq]": first_path}) == [r for r in every if r["pathId"] == first_path]
    user = every[-1]["userId"]
    assert api.all("/api/v2/paths/stats", {"userId[eq]": user}) == [r for r in every if r["userId"] == user]


def test_session_filters(api: Api) -> None:
    sessions = api.all("/api/v2/paths/sessions")
    one = sessions[4]
    assert api.all("/api/v2/paths/sessions", {"sessionId[eq]": one["_id"]}) == [one]
    assert api.all("/api/v2/paths/sessions", {"pathId[eq]": one["pathId"]}) == [
        s for s in sessions if s["pathId"] == one["pathId"]
    ]
    start = sorted(s["startDate"] for s in sessions)[len(sessions) // 2]
    assert api.all("/api/v2/paths/sessions", {"startDate[gte]": start}) == [
        s for s in sessions if s["startDate"] >= start
    ]
    in_path = api.all(f"/api/v2/paths/{one['pathId']}/sessions", {"endDate[lt]": "2030-01-01T00:00:00.000Z"})
    assert [s["_id"] for s in in_path] == [
        s["_id"] for s in sessions if s["pathId"] == one["pathId"] and "endDate" in s
    ]


def test_user_stats_filters(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    plan = tenant.onboarding
    path = f"/api/v2/paths/{tenant.path_ids[plan.path]}/sessions/{tenant.session_ids[plan.index]}/user-stats"
    every = api.all(path)
    since = sorted(r["completedAt"] for r in every if "completedAt" in r)[5]
    assert api.all(path, {"completedAt[gte]": since}) == [r for r in every if r.get("completedAt", "") >= since]
    assert api.all(path, {"userId[eq]": every[7]["userId"]}) == [every[7]]


def test_bad_filter_value_names_the_parameter(api: Api) -> None:
    response = api.get("/api/v2/courses/stats", {"completedAt[gte]": "2024-13-01T00:00:00.000Z"})
    assert response.status_code == 400
    assert "completedAt[gte]" in response.json()["error"]["message"]
    response = api.get("/api/v2/users", {"status[eq]": "sleeping"})
    assert response.status_code == 400 and "status[eq]" in response.json()["error"]["message"]
