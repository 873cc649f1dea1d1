"""The page cache: encoded list pages served again until the data changes; every request still checked and counted."""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.page_cache import PageCache
from tests.unit.emulator.conftest import Api

STATS = "/api/v2/courses/stats"
USERS = "/api/v2/users"


def _walk(api: Api, path: str) -> list[tuple[bytes, str | None]]:
    """Every page's raw body and Link header."""
    out = []
    response = api.get(path)
    while True:
        assert response.status_code == 200, response.text
        out.append((response.content, response.headers.get("link")))
        url = response.links.get("next", {}).get("url")
        if url is None:
            return out
        response = api.http.get(url, headers=api.headers())


def test_a_second_read_is_served_from_the_cache_byte_for_byte_and_still_counted(
    api: Api, learning360_emulator: Any
) -> None:
    state = learning360_emulator.state
    first = _walk(api, STATS)  # pages of the seeded data may be cached already (an earlier test read them)
    hits, misses = state.page_cache.hits, state.page_cache.misses
    assert hits + misses == 3
    second = _walk(api, STATS)
    assert second == first
    assert (state.page_cache.hits, state.page_cache.misses) == (hits + 3, misses)
    assert state.requests["list_courses_statistics"] == 6  # hits are requests like any other


def test_a_write_or_a_reset_makes_the_next_read_fresh(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    first_page = api.get(USERS).json()
    target = first_page[1]["_id"]
    assert api.get(USERS).json() == first_page  # cached
    state.patch_row("users", target, {"firstName": "Zoë"})  # the path of every API write
    changed = api.get(USERS).json()
    assert next(u for u in changed if u["_id"] == target)["firstName"] == "Zoë"
    state.reset(keep_tokens=True)  # the seeded data again: its cached page is valid again
    assert api.get(USERS).json() == first_page and state.page_cache.hits == 1


def test_an_api_write_invalidates(api: Api, learning360_emulator: Any) -> None:
    before = api.get(USERS).json()
    target = before[2]["_id"]
    answer = api.http.patch(f"{USERS}/{target}", json={"firstName": "Ada"}, headers=api.headers())
    assert answer.status_code in (200, 204), answer.text
    after = api.get(USERS).json()
    assert next(u for u in after if u["_id"] == target)["firstName"] == "Ada"


def test_a_cached_page_still_needs_a_token_and_the_rate_limit(api: Api, learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    assert api.get(STATS).status_code == 200
    unauthenticated = api.http.get(STATS, headers={"360-api-version": "v2.0", "Authorization": "Bearer nope"})
    assert unauthenticated.status_code == 401
    state.update_config(rate_limit=1)
    statuses = [api.get(STATS).status_code for _ in range(4)]
    assert 429 in statuses and state.rate_limited >= 1
    assert state.page_cache.hits >= 1


def test_size_zero_turns_the_cache_off(learning360_emulator_factory: Any) -> None:
    server = learning360_emulator_factory(response_cache_mb=0)
    api = Api(server)
    try:
        assert _walk(api, STATS) == _walk(api, STATS)
    finally:
        api.close()
    assert (server.state.page_cache.hits, server.state.page_cache.bytes) == (0, 0)


def test_the_cache_is_bounded_in_bytes_least_recently_used_first() -> None:
    cache = PageCache(max_bytes=10)
    cache.put("a", b"1234", {})
    cache.put("b", b"5678", {"Link": "x"})
    assert cache.get("a") == (b"1234", {})  # "a" is now the most recent
    cache.put("c", b"90ab", {})
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.bytes == 8
    cache.put("huge", b"x" * 11, {})  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.bytes == 8
