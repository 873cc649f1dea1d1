"""``Link`` pagination: page sizes from ACTIONS, no duplicates or gaps, opaque ``next`` cursors."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from airflow_provider_360learning.actions import ACTIONS
from tests.unit.emulator.conftest import Api


def test_course_stats_pages_cover_the_collection_exactly(api: Api, learning360_emulator: Any) -> None:
    pages = api.pages("/api/v2/courses/stats")
    assert [len(p) for p in pages] == [500, 500, 250]
    ids = [row["_id"] for page in pages for row in page]
    coll = learning360_emulator.state.tenant.course_stats
    assert ids == [coll.object_id(i) for i in range(len(coll))], "no duplicates, no gaps, scan order"


def test_link_header_is_absolute_same_path_and_only_next(api: Api, learning360_emulator: Any) -> None:
    response = api.get("/api/v2/courses/stats", {"completedAt[gte]": "2024-01-01T00:00:00.000Z"})
    link = response.headers["link"]
    assert link.startswith("<") and link.endswith('>; rel="next"')
    url = urlsplit(response.links["next"]["url"])
    assert f"{url.scheme}://{url.netloc}" == learning360_emulator.url
    assert url.path == "/api/v2/courses/stats"
    query = parse_qs(url.query)
    assert list(query) == ["next"] and len(query["next"]) == 1
    assert all(c.isalnum() or c in "-_." for c in query["next"][0]), "URL-safe token"
    last = api.http.get(response.links["next"]["url"], headers=api.headers())
    while "link" in last.headers:
        last = api.http.get(last.links["next"]["url"], headers=api.headers())
    assert last.status_code == 200 and last.json(), "the last page is not empty and has no Link"


def test_forwarded_headers_shape_the_link(api: Api) -> None:
    response = api.get("/api/v2/courses/stats", **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lms.example.com"})
    assert response.links["next"]["url"].startswith("https://lms.example.com/api/v2/courses/stats?next=")


def test_a_single_page_has_no_link(api: Api) -> None:
    response = api.get("/api/v2/groups")
    assert response.status_code == 200 and len(response.json()) == 10
    assert "link" not in response.headers


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJhIjoiIn0.0000000000000000", ""],
    ids=["garbage", "forged-mac", "empty"],
)
def test_bad_next_token_is_400_naming_next(api: Api, token: str) -> None:
    response = api.get("/api/v2/courses/stats", {"next": token})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalidQueryParameter" and "'next'" in error["message"]


def test_next_token_is_bound_to_its_request(api: Api) -> None:
    url = api.get("/api/v2/courses/stats").links["next"]["url"]
    token = parse_qs(urlsplit(url).query)["next"][0]
    other = api.get("/api/v2/users", {"next": token})
    assert other.status_code == 400 and "'next'" in other.json()["error"]["message"]
    tampered = api.get("/api/v2/courses/stats", {"next": token[:-1] + ("0" if token[-1] != "0" else "1")})
    assert tampered.status_code == 400
    conflicting = api.get("/api/v2/courses/stats", {"next": token, "userId[eq]": "0" * 24})
    assert conflicting.status_code == 400 and "'next'" in conflicting.json()["error"]["message"]


def test_cursor_carries_the_filters(api: Api) -> None:
    since = "2025-01-01T00:00:00.000Z"
    first = api.get("/api/v2/courses/stats", {"completedAt[gte]": "2000-01-01T00:00:00.000Z"})
    assert "link" in first.headers
    pages = api.pages("/api/v2/courses/stats", {"completedAt[gte]": since})
    rows = [r for p in pages for r in p]
    assert rows and all(r.get("completedAt", "") >= since for r in rows)


def test_every_implemented_list_uses_its_documented_page_size(learning360_emulator_factory: Any, make_api: Any) -> None:
    """At scale 12 every list with a fixed-size collection fills at least one full page, or adds rows to do so."""
    server = learning360_emulator_factory(scale=12, record_exchanges=False)
    state = server.state
    tenant = state.tenant
    for _ in range(ACTIONS["list_paths"].page_size + 1 - len(tenant.paths)):  # type: ignore[operator]
        state.add_row("paths", {})
    onboarding = tenant.onboarding
    path_id, session_id = tenant.path_ids[onboarding.path], tenant.session_ids[onboarding.index]
    for _ in range(ACTIONS["list_path_sessions"].page_size + 1):  # type: ignore[operator]
        state.add_row("path_sessions", {"pathId": path_id})
    api = make_api(server)
    lists = {
        "list_users": "/api/v2/users",
        "list_courses": "/api/v2/courses",
        "list_courses_statistics": "/api/v2/courses/stats",
        "list_paths": "/api/v2/paths",
        "list_path_sessions": f"/api/v2/paths/{path_id}/sessions",
        "get_path_stats": "/api/v2/paths/stats",
        "list_path_session_user_stats": f"/api/v2/paths/{path_id}/sessions/{session_id}/user-stats",
    }
    for name, path in lists.items():
        size = ACTIONS[name].page_size
        first = api.get(path)
        assert first.status_code == 200, (name, first.text)
        assert len(first.json()) == size, name
        second = api.http.get(first.links["next"]["url"], headers=api.headers())
        assert second.status_code == 200 and 0 < len(second.json()) <= size, name  # type: ignore[operator]
        assert not {r["_id"] for r in first.json()} & {r["_id"] for r in second.json()}, name


def test_onboarding_user_stats_pages_of_2000(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(scale=11, record_exchanges=False)
    tenant = server.state.tenant
    plan = tenant.onboarding
    api = make_api(server)
    pages = api.pages(
        f"/api/v2/paths/{tenant.path_ids[plan.path]}/sessions/{tenant.session_ids[plan.index]}/user-stats"
    )
    assert [len(p) for p in pages] == [2000, 200]
    users = [r["userId"] for p in pages for r in p]
    assert users == [tenant.users.object_id(i) for i in range(len(tenant.users))], "every user, once"
