"""The response cache: answers of GET list actions served again until the state changes; every request still
checked and counted. And the encoder of every answer (msgspec, the bytes json.dumps would write)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.emulator.handlers.base import encode_json
from airflow_provider_360learning.emulator.page_cache import CachedAnswer, PageCache
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import Tenant
from tests.unit.emulator.conftest import Api, send

STATS = "/api/v2/courses/stats"
USERS = "/api/v2/users"


def _walk(api: Api, path: str) -> list[httpx.Response]:
    """Every page's answer, following ``Link`` headers."""
    out = []
    response = api.get(path)
    while True:
        assert response.status_code == 200, response.text
        out.append(response)
        url = response.links.get("next", {}).get("url")
        if url is None:
            return out
        response = api.http.get(url, headers=api.headers())


def _seen(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """What a client sees of an answer, but for the ``date`` header."""
    return response.status_code, response.content, [(k, v) for k, v in response.headers.items() if k != "date"]


def _compact(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def test_a_hit_answers_what_the_miss_answered_and_is_still_counted_and_recorded(
    api: Api, learning360_emulator: Any
) -> None:
    state = learning360_emulator.state
    state.page_cache.clear()  # the session's emulator may hold pages of the seeded data already
    first = _walk(api, STATS)
    assert (state.page_cache.hits, state.page_cache.misses, len(state.page_cache)) == (0, 3, 3)
    second = _walk(api, STATS)
    assert [_seen(r) for r in second] == [_seen(r) for r in first]
    assert (state.page_cache.hits, state.page_cache.misses) == (3, 3)
    assert (
        state.requests["list_courses_statistics"] == 6 and state.statuses[200] == 6
    )  # hits are requests like any other
    assert state.exchanges[-1].response_body == second[-1].content and state.exchanges[-1].status == 200
    assert all(r.content == _compact(r.json()) for r in second)  # json.dumps's compact bytes


def test_api_writes_invalidate(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    before = api.get(USERS).json()
    assert api.get(USERS).json() == before and state.page_cache.hits >= 1  # cached
    group = state.tenant.groups.object_id(2)
    created = send(
        api,
        "POST",
        USERS,
        json={
            "mail": "ada.lovelace@example.org",
            "firstName": "Ada",
            "membership": {"groupId": group, "role": "learner"},
        },
    )
    assert created.status_code == 200, created.text  # as documented
    assert created.json()["_id"] in {u["_id"] for u in api.get(USERS).json()}
    target = before[2]["_id"]
    updated = send(api, "PATCH", f"{USERS}/{target}", json={"firstName": "Grace"})
    assert updated.status_code in (200, 204), updated.text
    assert next(u for u in api.get(USERS).json() if u["_id"] == target)["firstName"] == "Grace"


def test_control_writes_and_resets_invalidate(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    first_page = api.get(USERS).json()
    added = api.http.post("/_emulator/rows/users", json={"mail": "new.one@example.com"})
    assert added.status_code == 201, added.text
    assert added.json()["_id"] in {u["_id"] for u in api.get(USERS).json()}
    state.patch_row("users", first_page[1]["_id"], {"firstName": "Zoë"})  # what tests do in Python
    assert api.get(USERS).json()[1]["firstName"] == "Zoë"
    assert api.http.post("/_emulator/reset").status_code == 200
    api._token = None  # the reset revoked it
    hits = state.page_cache.hits
    assert api.get(USERS).json() == first_page  # the seeded data again: its answer was cached before the writes
    assert state.page_cache.hits == hits + 1


def test_a_hit_still_goes_through_token_scope_version_faults_rate_limit_and_latency(
    api: Api, learning360_emulator: Any
) -> None:
    state = learning360_emulator.state
    assert api.get(STATS).status_code == 200
    hits = state.page_cache.hits
    assert api.http.get(STATS, headers={"360-api-version": "v2.0", "Authorization": "Bearer nope"}).status_code == 401
    assert api.http.get(STATS, headers={"Authorization": f"Bearer {api.token}"}).status_code == 400  # no version
    state.update_config(scopes=[])
    assert api.get(STATS).status_code == 403
    state.update_config(scopes=sorted(state.config.granted_scopes), fault_rate=1, fault_kinds=["503"])
    assert api.get(STATS).status_code == 503
    state.update_config(fault_rate=0, latency_ms=300)
    started = time.perf_counter()
    assert api.get(STATS).status_code == 200
    assert time.perf_counter() - started >= 0.3
    state.update_config(latency_ms=0, rate_limit=1)
    statuses = [api.get(STATS).status_code for _ in range(4)]
    assert 429 in statuses and state.rate_limited == statuses.count(429)
    assert state.page_cache.hits == hits + 1 + statuses.count(200)  # only answers that reached the handler's turn
    assert state.requests["list_courses_statistics"] == 6 + 4  # the 401, 400, 403 and 503 included
    assert state.statuses[401] == 1 and state.statuses[403] == 1 and state.statuses[503] == 1


def test_answers_that_read_the_clock_or_a_side_table_are_not_kept(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    kept = len(state.page_cache)
    for _ in range(2):  # bulk operations: their status follows the clock
        assert api.get("/api/v2/bulk/operations").status_code == 200
        group = state.tenant.groups.object_id(2)  # memberships: a side table
        assert api.get(f"/api/v2/groups/{group}/roles").status_code == 200
    assert len(state.page_cache) == kept and state.page_cache.hits == 0


def test_every_mutation_moves_the_version_and_a_reset_brings_back_the_seeded_one() -> None:
    state = EmulatorState()
    user = state.tenant.users.object_id(3)
    versions = [state.data_version]
    for mutate in (
        lambda: state.add_row("users", {"mail": "x@example.com"}),
        lambda: state.patch_row("users", user, {"firstName": "Ada"}),
        lambda: state.delete_row("users", user),
        lambda: state.advance_time(5),
        state.freeze_time,
        state.changed,  # API writes and bulk operations that settle
    ):
        mutate()
        versions.append(state.data_version)
    assert versions[0] == 0 and len(set(versions)) == len(versions)
    state.update_config(latency_ms=5, rate_limit=3)  # acts on requests, never on answers
    assert state.data_version == versions[-1]
    state.reset()
    assert state.data_version == 0


def test_watch_tells_whether_a_handler_read_only_rows() -> None:
    state = EmulatorState()
    mark = state.watch()
    state.get_row("users", state.tenant.users.object_id(1))
    list(state.rows("groups"))
    assert state.unchanged_since(mark)
    for read in (state.now, lambda: state.relation("media"), lambda: state.add_row("users", {})):
        mark = state.watch()
        read()
        assert not state.unchanged_since(mark)


def test_a_bulk_operation_that_settles_moves_the_version(learning360_emulator_factory: Any) -> None:
    server = learning360_emulator_factory(bulk_seconds_per_state=0)
    api = Api(server)
    try:
        tenant = server.state.tenant
        item = {"userId": tenant.users.object_id(5), "groupId": tenant.groups.object_id(2), "role": "coach"}
        submitted = send(api, "POST", "/api/v2/bulk/groups/memberships", json={"input": [item]})
        assert submitted.status_code == 202, submitted.text
        version = server.state.data_version
        assert api.get(USERS).status_code == 200  # the operation settles first
        assert server.state.data_version != version
    finally:
        api.close()


def test_size_zero_turns_the_cache_off(learning360_emulator_factory: Any) -> None:
    server = learning360_emulator_factory(response_cache_mb=0)
    api = Api(server)
    try:
        assert [_seen(r) for r in _walk(api, STATS)] == [_seen(r) for r in _walk(api, STATS)]
    finally:
        api.close()
    cache = server.state.page_cache
    assert (cache.hits, cache.misses, cache.bytes, len(cache)) == (0, 0, 0, 0)


def test_the_cache_is_bounded_in_bytes_least_recently_used_first() -> None:
    size = CachedAnswer(200, b"1234", (), "application/json").size
    cache = PageCache(max_bytes=2 * size + 1)
    cache.put("a", 200, b"1234", {}, "application/json")
    cache.put("b", 200, b"5678", {}, "application/json")
    assert cache.get("a") == (200, b"1234", (), "application/json")  # "a" is now the most recent
    cache.put("c", 200, b"90ab", {}, "application/json")
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.bytes == 2 * size and len(cache) == 2
    cache.put("huge", 200, b"x" * (2 * size), {}, "application/json")  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.bytes == 2 * size
    cache.put("a", 200, b"1", {}, None)  # replaced: counted once
    assert len(cache) == 2 and cache.bytes == size + CachedAnswer(200, b"1", (), None).size


@pytest.mark.parametrize("collection", sorted(Tenant(scale=1).collections))
def test_answers_are_encoded_as_json_dumps_would(collection: str) -> None:
    rows = Tenant(scale=1).collections[collection]
    page = [rows.item(i) for i in range(min(len(rows), 200))]
    assert encode_json(page) == _compact(page)


def test_what_msgspec_cannot_encode_goes_through_json_dumps() -> None:
    assert encode_json({None: 1, True: "é"}) == _compact({None: 1, True: "é"}) == '{"null":1,"true":"é"}'.encode()
