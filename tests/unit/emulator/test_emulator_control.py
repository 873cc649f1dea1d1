"""The ``/_emulator`` control interface and the matching ``state`` methods."""

from __future__ import annotations

from typing import Any

from tests.unit.emulator.conftest import Api


def test_reset_drops_overlay_tokens_and_counters(api: Api, learning360_emulator: Any) -> None:
    user = api.all("/api/v2/users")[0]
    api.http.patch(f"/_emulator/rows/users/{user['_id']}", json={"job": "Astronaut"})
    assert api.get(f"/api/v2/users/{user['_id']}").json()["job"] == "Astronaut"
    assert api.http.post("/_emulator/reset").json() == {"reset": True}
    stats = api.http.get("/_emulator/stats").json()
    assert stats["requests_total"] == 0 and stats["token_requests"] == 0
    assert api.get("/api/v2/users").status_code == 401, "tokens are dropped"
    fresh = Api(learning360_emulator)
    assert fresh.get(f"/api/v2/users/{user['_id']}").json() == user
    fresh.close()


def test_stats_count_requests_per_action(api: Api) -> None:
    api.pages("/api/v2/courses/stats")
    api.get("/api/v2/users")
    api.get("/api/v2/nothing")
    stats = api.http.get("/_emulator/stats").json()
    assert stats["requests"] == {"list_courses_statistics": 3, "list_users": 1, "(unrouted)": 1}
    assert stats["statuses"] == {"200": 4, "404": 1}
    assert stats["token_requests"] == 1 and stats["faults_total"] == 0 and stats["rate_limited"] == 0


def test_added_rows_appear_in_lists_and_gets(api: Api) -> None:
    before = api.all("/api/v2/users")
    created = api.http.post("/_emulator/rows/users", json={"mail": "new.hire@example.com", "status": "invited"})
    assert created.status_code == 201
    row = created.json()
    after = api.all("/api/v2/users")
    assert after[:-1] == before and after[-1] == row, "added rows come after the generated ones"
    assert api.get(f"/api/v2/users/{row['_id']}").json() == row
    assert api.all("/api/v2/users", {"mail[eq]": "new.hire@example.com"}) == [row]


def test_invalid_rows_are_rejected(api: Api) -> None:
    bad_enum = api.http.post("/_emulator/rows/users", json={"status": "sleeping"})
    assert bad_enum.status_code == 400 and "status" in bad_enum.json()["error"]["message"]
    unknown_field = api.http.post("/_emulator/rows/users", json={"shoeSize": 43})
    assert unknown_field.status_code == 400 and "shoeSize" in unknown_field.json()["error"]["message"]
    unknown_collection = api.http.post("/_emulator/rows/unicorns", json={})
    assert unknown_collection.status_code == 404
    missing = api.http.patch(f"/_emulator/rows/users/{'0' * 24}", json={"job": "x"})
    assert missing.status_code == 404


def test_patches_are_visible_to_filters(api: Api) -> None:
    active = api.all("/api/v2/users", {"status[eq]": "active"})
    target = active[0]
    patched = api.http.patch(f"/_emulator/rows/users/{target['_id']}", json={"status": "deleted"}).json()
    assert patched["status"] == "deleted"
    assert target["_id"] not in {u["_id"] for u in api.all("/api/v2/users", {"status[eq]": "active"})}
    assert target["_id"] in {u["_id"] for u in api.all("/api/v2/users", {"status[eq]": "deleted"})}
    removed = api.http.patch(f"/_emulator/rows/users/{target['_id']}", json={"job": None}).json()
    assert "job" not in removed and "job" not in api.get(f"/api/v2/users/{target['_id']}").json()


def test_deleted_rows_disappear(api: Api) -> None:
    courses = api.all("/api/v2/courses")
    victim = courses[10]["_id"]
    assert api.http.delete(f"/_emulator/rows/courses/{victim}").status_code == 204
    assert api.get(f"/api/v2/courses/{victim}").status_code == 404
    assert [c["_id"] for c in api.all("/api/v2/courses")] == [c["_id"] for c in courses if c["_id"] != victim]
    assert api.http.delete(f"/_emulator/rows/courses/{victim}").status_code == 404


def test_path_statistics_follow_sessions(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    total = len(api.all("/api/v2/paths/stats"))
    session_id = tenant.session_ids[1]
    user_id = tenant.users.object_id(199)
    added = api.http.post("/_emulator/rows/path_session_user_stats", json={"sessionId": session_id, "userId": user_id})
    assert added.status_code == 201, added.text
    assert added.json()["pathId"] == tenant.path_ids[0]
    stats = api.all("/api/v2/paths/stats")
    assert len(stats) == total + 1 and stats[-1]["_id"] == added.json()["_id"]
    user_stats = api.all(f"/api/v2/paths/{tenant.path_ids[0]}/sessions/{session_id}/user-stats")
    assert user_stats[-1]["userId"] == user_id and "sessionId" not in user_stats[-1]
    in_session = tenant.sessions[1].count + 1
    assert api.http.delete(f"/_emulator/rows/path_sessions/{session_id}").status_code == 204
    assert len(api.all("/api/v2/paths/stats")) == total + 1 - in_session, "a deleted session takes its stats along"
    assert api.get(f"/api/v2/paths/{tenant.path_ids[0]}/sessions/{session_id}").status_code == 404


def test_archiving_a_path_moves_its_stats(api: Api, learning360_emulator: Any) -> None:
    tenant = learning360_emulator.state.tenant
    archived_before = len(api.all("/api/v2/paths/stats", {"status[eq]": "archived"}))
    learning360_emulator.state.patch_row("paths", tenant.path_ids[2], {"status": "archived"})
    archived_after = api.all("/api/v2/paths/stats", {"status[eq]": "archived"})
    moved = [r for r in archived_after if r["pathId"] == tenant.path_ids[2]]
    assert moved and len(archived_after) == archived_before + len(moved)


def test_state_methods_match_the_http_interface(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    row = state.add_row("groups", {"name": "Pilots", "public": False})
    assert api.get(f"/api/v2/groups/{row['_id']}").json() == row
    state.patch_row("groups", row["_id"], {"name": "Test pilots"})
    assert api.get(f"/api/v2/groups/{row['_id']}").json()["name"] == "Test pilots"
    assert api.http.get(f"/_emulator/rows/groups/{row['_id']}").json()["name"] == "Test pilots"
    state.delete_row("groups", row["_id"])
    assert api.get(f"/api/v2/groups/{row['_id']}").status_code == 404
    state.update_config(rate_limit=1)
    assert api.http.get("/_emulator/config").json()["rate_limit"] == 1


def test_config_endpoint_validates(api: Api) -> None:
    assert api.http.post("/_emulator/config", json={"token_ttl": 0}).status_code == 400
    assert api.http.post("/_emulator/config", json={"seed": 3}).status_code == 400
    assert api.http.post("/_emulator/config", json={"fault_kinds": ["418"]}).status_code == 400
    ok = api.http.post("/_emulator/config", json={"token_ttl": 5, "latency_ms": 1, "rate_limit": 100})
    assert ok.status_code == 200 and ok.json()["token_ttl"] == 5
    assert api.token_request().json()["expires_in"] == 5


def test_exchange_log_is_bounded_and_readable(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(exchange_log_size=5)
    api = make_api(server)
    for _ in range(8):
        api.get("/api/v2/groups")
    log = api.http.get("/_emulator/exchanges").json()
    assert len(log) == 5 and len(server.state.exchanges) == 5
    assert all(e["action"] == "list_groups" and e["status"] == 200 for e in log)
    assert api.http.get("/_emulator/exchanges", params={"limit": 2}).json() == log[-2:]
    assert api.token not in str(log)


def test_exchanges_are_off_by_default(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(record_exchanges=False)
    make_api(server).get("/api/v2/groups")
    assert server.state.exchanges == []


def test_info_describes_the_tenant(api: Api) -> None:
    info = api.http.get("/_emulator/info").json()
    assert info["tenant"]["counts"]["users"] == 200
    assert info["tenant"]["onboarding"]["users"] == 200
    assert "list_users" in info["implemented_actions"]
    assert "client_secret" not in info and api.secret not in str(info)
