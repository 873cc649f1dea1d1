"""Hardening rules 1 to 7 of issue 14 for the edX hook (sync only: it has no async twin), against a hostile
server that plays the edX API gateway. What each server received is asserted: the foreign server nothing,
the gateway only what the rule allows, the client secret only in the token request, the JWT only in
``Authorization`` headers."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_360learning.exceptions import (
    EdxAPIError,
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningInvalidResponseError,
    ThreeSixtyLearningOriginError,
    ThreeSixtyLearningPaginationLoopError,
    ThreeSixtyLearningRedirectError,
    ThreeSixtyLearningResponseTooLargeError,
    ThreeSixtyLearningTimeoutError,
)
from airflow_provider_360learning.hooks.edx import EdxHook
from tests.unit.client.hostile import (
    HostileServer,
    Reply,
    Service,
    assert_credentials_only_where_due,
    assert_exception_clean,
    assert_untouched,
    bomb_reply,
    echo_credentials_error,
    exception_texts,
    json_reply,
    large_reply,
    leaks,
    page_edx,
    redirect,
    trickle_body,
    trickle_head,
)

pytestmark = pytest.mark.timeout(60)

CATALOGS = "/enterprise/v2/enterprise-catalogs"
TOKEN = "/oauth2/v1/access_token"
TOKEN_LINE = f"POST {TOKEN}"
PAGE_1 = f"{CATALOGS}?page=1&page_size=100"
PAGE_2 = f"{CATALOGS}?page=2&page_size=100"
CATALOG_1 = {"uuid": "11111111-1111-4111-8111-111111111111", "title": "One"}
CATALOG_2 = {"uuid": "22222222-2222-4222-8222-222222222222", "title": "Two"}
MEMORY_CEILING = 50 * 1024 * 1024


def catalogs(into: list[Any] | None = None) -> list[Any]:
    rows = [] if into is None else into
    for row in EdxHook().iter_catalogs():
        rows.append(row)
    return rows


def assert_only(server: HostileServer, *lines: str) -> None:
    assert server.lines() == list(lines)
    assert server.connections == len(lines), f"{server.connections} connections for {len(lines)} requests"


def _first_page_links_to(edx: Service, next_url: str) -> None:
    """Page 1 of 2 (``count`` 2, so the hook wants the next page) whose ``next`` is ``next_url``."""
    edx.server.route(PAGE_1, page_edx([CATALOG_1], next_url, count=2), method="GET")


# --- rule 1: origin pinning ------------------------------------------------------------------------------
def test_next_on_another_origin_is_refused(edx: Service, foreign: HostileServer) -> None:
    """No more re-rooting of a foreign ``next`` onto the base URL: it is an error naming the foreign host."""
    _first_page_links_to(edx, f"{foreign.url}{PAGE_2}")
    edx.server.route(PAGE_2, page_edx([CATALOG_2], None, count=2), method="GET")  # what re-rooting would reach
    rows: list[Any] = []
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        catalogs(rows)
    assert foreign.host in caught.value.host
    assert_exception_clean(caught.value, edx.credentials())
    assert_untouched(foreign)
    assert rows in ([], [CATALOG_1])
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}")
    assert_credentials_only_where_due(edx)


def test_next_on_another_name_of_this_host_is_refused(edx: Service) -> None:
    _first_page_links_to(edx, f"http://localhost:{edx.server.port}{PAGE_2}")
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        catalogs()
    assert "localhost" in caught.value.host
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}")


def test_next_that_changes_the_scheme_is_refused(edx: Service) -> None:
    _first_page_links_to(edx, f"https://{edx.server.netloc}{PAGE_2}")
    with pytest.raises(ThreeSixtyLearningOriginError):
        catalogs()
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}")


def _two_pages(server: HostileServer, next_url: str) -> None:
    server.route(PAGE_1, page_edx([CATALOG_1], next_url, count=2), method="GET")
    server.route(PAGE_2, page_edx([CATALOG_2], None, count=2), method="GET")


def _check_followed(edx: Service, rows: list[Any]) -> None:
    assert rows == [CATALOG_1, CATALOG_2]
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}", f"GET {PAGE_2}")
    assert edx.server.received(path=CATALOGS)[1].authorization == f"JWT {edx.tokens[0]}"
    assert_credentials_only_where_due(edx)


def test_next_with_its_scheme_in_capitals_is_followed(edx: Service) -> None:
    """``HTTP://`` is the connection's origin: pagination goes on (it used to stop silently)."""
    _two_pages(edx.server, f"HTTP://{edx.server.netloc}{PAGE_2}")
    _check_followed(edx, catalogs())


@pytest.mark.parametrize(
    ("host", "next_base"),
    [("http://127.0.0.1", "http://127.0.0.1:80"), ("http://127.0.0.1:80", "http://127.0.0.1")],
)
def test_default_port_equals_an_absent_one(edx80: Service, host: str, next_base: str) -> None:
    edx80.connect(host=host)
    _two_pages(edx80.server, f"{next_base}{PAGE_2}")
    _check_followed(edx80, catalogs())


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_api_redirect_to_another_origin_is_refused(edx: Service, foreign: HostileServer, status: int) -> None:
    edx.server.route(PAGE_1, redirect(f"{foreign.url}{PAGE_1}", status), method="GET")
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        catalogs()
    assert foreign.host in caught.value.host
    assert_exception_clean(caught.value, edx.credentials())
    assert_untouched(foreign)
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}")


@pytest.mark.parametrize("status", [302, 307, 308])
def test_token_redirect_to_another_origin_is_an_error(edx: Service, foreign: HostileServer, status: int) -> None:
    edx.server.route(TOKEN, redirect(f"{foreign.url}{TOKEN}", status), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError) as caught:
        catalogs()
    assert "redirect" in str(caught.value).lower()
    assert_exception_clean(caught.value, edx.credentials())
    assert_untouched(foreign)  # the form with client_secret was not posted again
    assert_only(edx.server, TOKEN_LINE)


def test_token_redirect_within_the_origin_is_an_error_too(edx: Service) -> None:
    edx.server.route(TOKEN, redirect(f"{edx.server.url}/oauth2/access_token", 307), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError):
        catalogs()
    assert_only(edx.server, TOKEN_LINE)
    assert_credentials_only_where_due(edx)


# --- rule 2: loops ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cycle", [["1", "1"], ["1", "2", "1"], ["1", "2", "3", "2"]], ids=["A-A", "A-B-A", "A-B-C-B"])
def test_next_loop_is_an_error(edx: Service, cycle: list[str]) -> None:
    """Pages whose ``next`` cycle; ``count`` says there are many more rows. Each URL answers at most three
    times, then a last page, so a client without loop detection ends (and fails the assertions)."""
    following = dict(itertools.pairwise(cycle))
    for page in dict.fromkeys(cycle):
        visits = [0]

        def answer(request: Any, page: str = page, visits: list[int] = visits) -> Reply:
            visits[0] += 1
            if visits[0] > 3:
                return page_edx([], None, count=1000)
            next_url = f"{edx.server.url}{CATALOGS}?page={following[page]}&page_size=100"
            return page_edx([{"uuid": page}], next_url, count=1000)

        edx.server.route(f"{CATALOGS}?page={page}&page_size=100", answer, method="GET")
    with pytest.raises(ThreeSixtyLearningPaginationLoopError) as caught:
        catalogs()
    assert_exception_clean(caught.value, edx.credentials())
    pages = list(dict.fromkeys(cycle))
    assert_only(edx.server, TOKEN_LINE, *(f"GET {CATALOGS}?page={page}&page_size=100" for page in pages))


# --- rule 3: deadline ------------------------------------------------------------------------------------
SLOW = {"body": (PAGE_1, trickle_body), "head": (PAGE_1, trickle_head), "token-body": (TOKEN, trickle_body)}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(SLOW))
def test_trickling_server_hits_the_total_deadline(edx: Service, case: str) -> None:
    target, reply = SLOW[case]
    edx.server.route(target, reply(every=0.5), method="POST" if target == TOKEN else "GET")
    edx.connect(total_timeout=2, timeout=5, max_retries=0)
    with pytest.raises(ThreeSixtyLearningTimeoutError) as caught:
        catalogs()
    assert isinstance(caught.value, ThreeSixtyLearningConnectionError)
    assert_exception_clean(caught.value, edx.credentials())
    assert edx.server.lines() == ([TOKEN_LINE] if target == TOKEN else [TOKEN_LINE, f"GET {PAGE_1}"])


# --- rule 4: size cap ------------------------------------------------------------------------------------
BIG: dict[str, tuple[str, Callable[[], Reply]]] = {
    "3MB-with-length": (PAGE_1, lambda: large_reply(3)),
    "3MB-chunked": (PAGE_1, lambda: large_reply(3, chunked=True)),
    "gzip-bomb": (PAGE_1, lambda: bomb_reply(200)),
    "token-gzip-bomb": (TOKEN, lambda: bomb_reply(200)),
}


@pytest.mark.parametrize("case", list(BIG))
def test_answer_above_the_size_cap_is_refused(edx: Service, case: str) -> None:
    target, reply = BIG[case]
    edx.server.route(target, reply(), method="POST" if target == TOKEN else "GET")
    edx.connect(max_response_mb=1)
    tracemalloc.start()
    try:
        with pytest.raises(ThreeSixtyLearningResponseTooLargeError) as caught:
            catalogs()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CEILING, f"peak of Python allocations {peak / 2**20:.0f} MB while refusing the answer"
    assert_exception_clean(caught.value, edx.credentials())
    assert edx.server.lines() == ([TOKEN_LINE] if target == TOKEN else [TOKEN_LINE, f"GET {PAGE_1}"])


# --- rule 5: redaction -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [400, 403, 500])
def test_error_echoing_the_token_is_redacted(
    edx: Service, status: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    edx.server.route(PAGE_1, echo_credentials_error(status, edx.secret, shape="edx"), method="GET")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        catalogs()
    credentials = edx.credentials()
    assert edx.tokens
    assert_exception_clean(caught.value, credentials)
    for name in ("code", "api_message"):
        assert not leaks(str(getattr(caught.value, name, "")), credentials)
    assert "***" in str(caught.value)
    captured = capfd.readouterr()
    logged = "\n".join([caplog.text, *(str(r.args) for r in caplog.records), captured.out, captured.err])
    assert not leaks(logged, credentials)
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}")


def test_long_error_code_is_truncated(edx: Service) -> None:
    edx.server.route(PAGE_1, echo_credentials_error(400, edx.secret, shape="edx", code_length=100_000), method="GET")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        catalogs()
    assert len(str(caught.value)) < 1000, f"message of {len(str(caught.value))} characters"
    assert len(getattr(caught.value, "code", None) or "") <= 1000
    assert_exception_clean(caught.value, edx.credentials())


@pytest.mark.parametrize("status", [400, 401])
def test_token_error_echoing_the_secret_is_redacted(
    edx: Service, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    answer = json_reply({"error": edx.secret, "error_description": f"client_secret {edx.secret} is wrong"}, status)
    edx.server.route(TOKEN, answer, method="POST")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        catalogs()
    assert_exception_clean(caught.value, {edx.secret})
    assert not leaks(caplog.text, {edx.secret})
    assert_only(edx.server, TOKEN_LINE)


# --- rule 6: typed errors only ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, [("Content-Type", "text/html")], b"<html>Sign in</html>"),
        Reply(200, [("Content-Type", "application/json")], b'{"count": 1, "results": ['),
    ],
    ids=["html", "garbage-labelled-json"],
)
def test_success_that_is_not_json_is_a_typed_error(edx: Service, reply: Reply) -> None:
    edx.server.route(PAGE_1, reply, method="GET")
    with pytest.raises((ThreeSixtyLearningInvalidResponseError, EdxAPIError)) as caught:
        catalogs()
    assert caught.value.status == 200


BAD_EXTRAS = [("timeout", 0), ("timeout", "soon"), ("total_timeout", -1), ("max_response_mb", -1), ("max_retries", -1)]


@pytest.mark.parametrize(("key", "value"), BAD_EXTRAS)
def test_bad_extra_value_is_a_config_error_naming_it(edx: Service, key: str, value: Any) -> None:
    edx.connect(**{key: value})
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=key):
        catalogs()
    assert_untouched(edx.server)


def test_unknown_extra_is_a_config_error_naming_it(edx: Service) -> None:
    edx.connect(timout=30)
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="timout"):
        catalogs()
    assert_untouched(edx.server)


# --- rule 7: userinfo in the host ------------------------------------------------------------------------
USERINFO_PASSWORD = "userinfo-pw-8e2a4b"


@pytest.mark.parametrize("userinfo", [f"someone:{USERINFO_PASSWORD}@", "someone@"], ids=["user-and-password", "user"])
def test_host_with_userinfo_is_refused(edx: Service, userinfo: str) -> None:
    edx.connect(host=f"http://{userinfo}{edx.server.netloc}")
    with pytest.raises(ThreeSixtyLearningConnectionConfigError) as caught:
        catalogs()
    assert USERINFO_PASSWORD not in exception_texts(caught.value)
    assert_untouched(edx.server)


# --- 429 without Retry-After -----------------------------------------------------------------------------
def test_429_without_retry_after_is_retried(edx: Service) -> None:
    busy = json_reply({"detail": "Request was throttled."}, 429)
    edx.server.route(PAGE_1, [busy, page_edx([CATALOG_1], None)], method="GET")
    edx.connect(max_retries=2)
    assert catalogs() == [CATALOG_1]
    assert_only(edx.server, TOKEN_LINE, f"GET {PAGE_1}", f"GET {PAGE_1}")
