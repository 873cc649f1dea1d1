"""Hardening rules 1 to 7 of issue 14 for the 360Learning hooks, sync and async, against a hostile server.

Each test asserts what the servers received: the foreign server (the attacker's target) nothing at all, the
hostile server (the connection's origin) only the requests the rule allows, the client secret only in the
token request and a token only in ``Authorization`` headers. Messages, exception attributes and logs
carry neither the secret nor a token.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import math
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningAPIError,
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningInvalidResponseError,
    ThreeSixtyLearningOriginError,
    ThreeSixtyLearningPaginationLoopError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningRedirectError,
    ThreeSixtyLearningResponseTooLargeError,
    ThreeSixtyLearningTimeoutError,
)
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook, ThreeSixtyLearningHook
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
    large_json_array,
    large_reply,
    leaks,
    page_360,
    redirect,
    trickle_body,
    trickle_head,
)

pytestmark = pytest.mark.timeout(60)

USERS = "/api/v2/users"
TOKEN = "/api/v2/oauth2/token"
OBJECT_ID = "5f0c8a2b9d3e4f1a2b3c4d5e"
TOKEN_LINE = f"POST {TOKEN}"
FIRST_PAGE = [{"_id": "1", "mail": "one@example.com"}]
MEMORY_CEILING = 50 * 1024 * 1024
"""Peak of Python allocations allowed while a 200 MB bomb is refused (the issue saw RSS grow by 400 MB)."""


# --- driving the hooks -----------------------------------------------------------------------------------
def sync_rows(action: str = "list_users", into: list[Any] | None = None, **params: Any) -> list[Any]:
    rows = [] if into is None else into
    for row in ThreeSixtyLearningHook().iter_action(action, **params):
        rows.append(row)
    return rows


async def async_rows(action: str = "list_users", into: list[Any] | None = None, **params: Any) -> list[Any]:
    rows = [] if into is None else into
    async with ThreeSixtyLearningAsyncHook() as hook:
        async for row in hook.aiter_action(action, **params):
            rows.append(row)
    return rows


def sync_call(action: str = "list_users", **params: Any) -> Any:
    return ThreeSixtyLearningHook().call_action(action, **params)


async def async_call(action: str = "list_users", **params: Any) -> Any:
    async with ThreeSixtyLearningAsyncHook() as hook:
        return await hook.acall_action(action, **params)


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """``[peak]`` of traced Python allocations (all threads) inside the block."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def assert_only(server: HostileServer, *lines: str) -> None:
    """``server`` received exactly these requests, each on its own connection, and nothing else."""
    assert server.lines() == list(lines)
    assert server.connections == len(lines), f"{server.connections} connections for {len(lines)} requests"


# --- rule 1: origin pinning ------------------------------------------------------------------------------
def _link_to(api: Service, url: str) -> None:
    api.server.route(USERS, page_360(FIRST_PAGE, raw_link=f'<{url}>; rel="next"'))


def _check_refused_link(
    api: Service, foreign: HostileServer, exc: ThreeSixtyLearningOriginError, rows: list[Any]
) -> None:
    assert foreign.host in exc.host
    assert_exception_clean(exc, api.credentials())
    assert_untouched(foreign)
    assert rows in ([], FIRST_PAGE)  # no foreign row came back as data (the page with the bad link may be held back)
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")
    assert_credentials_only_where_due(api)


@pytest.mark.parametrize("form", ["absolute", "scheme-relative"])
def test_link_to_another_origin_is_refused_sync(api: Service, foreign: HostileServer, form: str) -> None:
    _link_to(api, _foreign_url(foreign, form))
    rows: list[Any] = []
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        sync_rows(into=rows)
    _check_refused_link(api, foreign, caught.value, rows)


@pytest.mark.parametrize("form", ["absolute", "scheme-relative"])
async def test_link_to_another_origin_is_refused_async(api: Service, foreign: HostileServer, form: str) -> None:
    _link_to(api, _foreign_url(foreign, form))
    rows: list[Any] = []
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        await async_rows(into=rows)
    _check_refused_link(api, foreign, caught.value, rows)


def _foreign_url(foreign: HostileServer, form: str) -> str:
    url = f"{foreign.url}{USERS}?cursor=x"
    return url.removeprefix("http:") if form == "scheme-relative" else url


def test_link_to_another_name_of_this_host_is_refused_sync(api: Service) -> None:
    """``localhost`` reaches the same socket, but it is not the connection's host: another origin."""
    _link_to(api, f"http://localhost:{api.server.port}{USERS}?cursor=x")
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        sync_rows()
    assert "localhost" in caught.value.host
    assert_exception_clean(caught.value, api.credentials())
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")


async def test_link_to_another_name_of_this_host_is_refused_async(api: Service) -> None:
    _link_to(api, f"http://localhost:{api.server.port}{USERS}?cursor=x")
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        await async_rows()
    assert "localhost" in caught.value.host
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")


def test_link_that_changes_the_scheme_is_refused_sync(api: Service) -> None:
    """``https`` on the connection's host and port is another origin too (and no TLS hello is sent)."""
    _link_to(api, f"https://{api.server.netloc}{USERS}?cursor=x")
    with pytest.raises(ThreeSixtyLearningOriginError):
        sync_rows()
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")


async def test_link_that_changes_the_scheme_is_refused_async(api: Service) -> None:
    _link_to(api, f"https://{api.server.netloc}{USERS}?cursor=x")
    with pytest.raises(ThreeSixtyLearningOriginError):
        await async_rows()
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")


def _two_pages(server: HostileServer, next_url: str) -> None:
    server.route(USERS, page_360(FIRST_PAGE, raw_link=f'<{next_url}>; rel="next"'))
    server.route(f"{USERS}?cursor=2", page_360([{"_id": "2"}]))


def _check_followed(api: Service, rows: list[Any]) -> None:
    assert [row["_id"] for row in rows] == ["1", "2"]
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}", f"GET {USERS}?cursor=2")
    assert api.server.received(path=USERS)[1].credential == api.tokens[0]
    assert_credentials_only_where_due(api)


def test_scheme_in_capitals_is_the_same_origin_sync(api: Service) -> None:
    _two_pages(api.server, f"HTTP://{api.server.netloc}{USERS}?cursor=2")
    _check_followed(api, sync_rows())


async def test_scheme_in_capitals_is_the_same_origin_async(api: Service) -> None:
    _two_pages(api.server, f"HTTP://{api.server.netloc}{USERS}?cursor=2")
    _check_followed(api, await async_rows())


DEFAULT_PORT_CASES = [
    ("http://127.0.0.1", "http://127.0.0.1:80"),
    ("http://127.0.0.1:80", "http://127.0.0.1"),
    ("http://127.0.0.1:80", "HTTP://127.0.0.1:80"),
]


@pytest.mark.parametrize(("host", "link_base"), DEFAULT_PORT_CASES)
def test_default_port_equals_an_absent_one_sync(api80: Service, host: str, link_base: str) -> None:
    api80.connect(host=host)
    _two_pages(api80.server, f"{link_base}{USERS}?cursor=2")
    _check_followed(api80, sync_rows())


@pytest.mark.parametrize(("host", "link_base"), DEFAULT_PORT_CASES)
async def test_default_port_equals_an_absent_one_async(api80: Service, host: str, link_base: str) -> None:
    api80.connect(host=host)
    _two_pages(api80.server, f"{link_base}{USERS}?cursor=2")
    _check_followed(api80, await async_rows())


def _check_refused_redirect(api: Service, foreign: HostileServer, exc: ThreeSixtyLearningOriginError) -> None:
    assert foreign.host in exc.host
    assert_exception_clean(exc, api.credentials())
    assert_untouched(foreign)
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")
    assert_credentials_only_where_due(api)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_api_redirect_to_another_origin_is_refused_sync(api: Service, foreign: HostileServer, status: int) -> None:
    api.server.route(USERS, redirect(f"{foreign.url}{USERS}", status))
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        sync_call()
    _check_refused_redirect(api, foreign, caught.value)


@pytest.mark.parametrize("status", [302, 307])
def test_api_redirect_to_another_origin_is_refused_by_iter_action_sync(
    api: Service, foreign: HostileServer, status: int
) -> None:
    api.server.route(USERS, redirect(f"{foreign.url}{USERS}", status))
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        sync_rows()
    _check_refused_redirect(api, foreign, caught.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_api_redirect_to_another_origin_is_refused_async(
    api: Service, foreign: HostileServer, status: int
) -> None:
    api.server.route(USERS, redirect(f"{foreign.url}{USERS}", status))
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        await async_call()
    _check_refused_redirect(api, foreign, caught.value)


@pytest.mark.parametrize("status", [302, 307])
async def test_api_redirect_to_another_origin_is_refused_by_aiter_action(
    api: Service, foreign: HostileServer, status: int
) -> None:
    api.server.route(USERS, redirect(f"{foreign.url}{USERS}", status))
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        await async_rows()
    _check_refused_redirect(api, foreign, caught.value)


def _check_token_redirect(api: Service, exc: ThreeSixtyLearningRedirectError) -> None:
    assert "redirect" in str(exc).lower()
    assert_exception_clean(exc, api.credentials())
    assert_only(api.server, TOKEN_LINE)  # the secret went out once, to the token endpoint only
    assert_credentials_only_where_due(api)


@pytest.mark.parametrize("status", [302, 307, 308])
def test_token_redirect_to_another_origin_is_an_error_sync(api: Service, foreign: HostileServer, status: int) -> None:
    api.server.route(TOKEN, redirect(f"{foreign.url}{TOKEN}", status), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError) as caught:
        sync_call()
    _check_token_redirect(api, caught.value)
    assert_untouched(foreign)


@pytest.mark.parametrize("status", [302, 307, 308])
async def test_token_redirect_to_another_origin_is_an_error_async(
    api: Service, foreign: HostileServer, status: int
) -> None:
    api.server.route(TOKEN, redirect(f"{foreign.url}{TOKEN}", status), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError) as caught:
        await async_call()
    _check_token_redirect(api, caught.value)
    assert_untouched(foreign)


@pytest.mark.parametrize("location", ["absolute", "relative"])
def test_token_redirect_within_the_origin_is_an_error_too_sync(api: Service, location: str) -> None:
    target = f"{TOKEN}/elsewhere"
    api.server.route(TOKEN, redirect(api.server.url + target if location == "absolute" else target, 307), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError) as caught:
        sync_call()
    _check_token_redirect(api, caught.value)


@pytest.mark.parametrize("location", ["absolute", "relative"])
async def test_token_redirect_within_the_origin_is_an_error_too_async(api: Service, location: str) -> None:
    target = f"{TOKEN}/elsewhere"
    api.server.route(TOKEN, redirect(api.server.url + target if location == "absolute" else target, 307), method="POST")
    with pytest.raises(ThreeSixtyLearningRedirectError) as caught:
        await async_call()
    _check_token_redirect(api, caught.value)


# --- rule 2: loops ---------------------------------------------------------------------------------------
LOOPS = {
    "A-A": ["A", "A"],
    "A-B-A": ["A", "B", "A"],
    "A-B-C-B": ["A", "B", "C", "B"],
}


def _loop(api: Service, cycle: list[str], *, relative: bool = False) -> list[str]:
    """Pages linked in ``cycle`` order (A is the first page); each URL answers pages at most three times,
    then an empty last page, so a client without loop detection ends (and fails the assertions)."""
    targets = {name: USERS if name == "A" else f"{USERS}?cursor={name}" for name in cycle}
    following = dict(itertools.pairwise(cycle))
    for name, target in targets.items():
        visits = [0]

        def answer(request: Any, name: str = name, visits: list[int] = visits) -> Reply:
            visits[0] += 1
            if visits[0] > 3:
                return page_360([])
            link = targets[following[name]]
            return page_360([{"_id": name}], link if relative else api.server.url + link)

        api.server.route(target, answer, method="GET")
    return list(dict.fromkeys(targets[name] for name in cycle))


def _check_loop(api: Service, exc: ThreeSixtyLearningPaginationLoopError, targets: list[str]) -> None:
    assert_exception_clean(exc, api.credentials())
    assert_only(api.server, TOKEN_LINE, *(f"GET {target}" for target in targets))  # each URL once


@pytest.mark.parametrize("cycle", list(LOOPS), ids=list(LOOPS))
def test_link_loop_is_an_error_sync(api: Service, cycle: str) -> None:
    targets = _loop(api, LOOPS[cycle])
    with pytest.raises(ThreeSixtyLearningPaginationLoopError) as caught:
        sync_rows()
    _check_loop(api, caught.value, targets)


@pytest.mark.parametrize("cycle", list(LOOPS), ids=list(LOOPS))
async def test_link_loop_is_an_error_async(api: Service, cycle: str) -> None:
    targets = _loop(api, LOOPS[cycle])
    with pytest.raises(ThreeSixtyLearningPaginationLoopError) as caught:
        await async_rows()
    _check_loop(api, caught.value, targets)


def test_link_loop_with_relative_links_is_an_error_sync(api: Service) -> None:
    targets = _loop(api, LOOPS["A-B-A"], relative=True)
    with pytest.raises(ThreeSixtyLearningPaginationLoopError) as caught:
        sync_rows()
    _check_loop(api, caught.value, targets)


async def test_link_loop_with_relative_links_is_an_error_async(api: Service) -> None:
    targets = _loop(api, LOOPS["A-B-A"], relative=True)
    with pytest.raises(ThreeSixtyLearningPaginationLoopError) as caught:
        await async_rows()
    _check_loop(api, caught.value, targets)


# --- rule 3: deadline ------------------------------------------------------------------------------------
SLOW = {
    "body": (USERS, trickle_body),
    "head": (USERS, trickle_head),
    "token-body": (TOKEN, trickle_body),
}
DEADLINE_EXTRAS = {"total_timeout": 2, "timeout": 5, "max_retries": 0}


def _slow(api: Service, case: str) -> str:
    path, reply = SLOW[case]
    api.server.route(path, reply(every=0.5), method="POST" if path == TOKEN else "GET")
    api.connect(**DEADLINE_EXTRAS)
    return path


def _check_deadline(api: Service, exc: ThreeSixtyLearningTimeoutError, path: str) -> None:
    assert isinstance(exc, ThreeSixtyLearningConnectionError)
    assert_exception_clean(exc, api.credentials())
    expected = [TOKEN_LINE] if path == TOKEN else [TOKEN_LINE, f"GET {USERS}"]
    assert api.server.lines() == expected  # max_retries 0: one attempt


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(SLOW))
def test_trickling_server_hits_the_total_deadline_sync(api: Service, case: str) -> None:
    path = _slow(api, case)
    with pytest.raises(ThreeSixtyLearningTimeoutError) as caught:
        sync_rows()
    _check_deadline(api, caught.value, path)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(SLOW))
async def test_trickling_server_hits_the_total_deadline_async(api: Service, case: str) -> None:
    path = _slow(api, case)
    with pytest.raises(ThreeSixtyLearningTimeoutError) as caught:
        await async_rows()
    _check_deadline(api, caught.value, path)


# --- rule 4: size cap ------------------------------------------------------------------------------------
BIG: dict[str, tuple[str, Callable[[], Reply]]] = {
    "3MB-with-length": (USERS, lambda: large_reply(3)),
    "3MB-chunked": (USERS, lambda: large_reply(3, chunked=True)),
    "gzip-bomb": (USERS, lambda: bomb_reply(200)),
    "deflate-bomb": (USERS, lambda: bomb_reply(200, encoding="deflate")),
    "token-gzip-bomb": (TOKEN, lambda: bomb_reply(200)),
}


def _big(api: Service, case: str) -> str:
    path, reply = BIG[case]
    api.server.route(path, reply(), method="POST" if path == TOKEN else "GET")
    api.connect(max_response_mb=1)
    return path


def _check_too_large(api: Service, exc: ThreeSixtyLearningResponseTooLargeError, path: str, peak: int) -> None:
    assert peak < MEMORY_CEILING, f"peak of Python allocations {peak / 2**20:.0f} MB while refusing the answer"
    assert_exception_clean(exc, api.credentials())
    expected = [TOKEN_LINE] if path == TOKEN else [TOKEN_LINE, f"GET {USERS}"]
    assert api.server.lines() == expected


@pytest.mark.parametrize("case", list(BIG))
def test_answer_above_the_size_cap_is_refused_sync(api: Service, case: str) -> None:
    path = _big(api, case)
    with peak_memory() as peak, pytest.raises(ThreeSixtyLearningResponseTooLargeError) as caught:
        sync_rows()
    _check_too_large(api, caught.value, path, peak[0])


@pytest.mark.parametrize("case", list(BIG))
async def test_answer_above_the_size_cap_is_refused_async(api: Service, case: str) -> None:
    path = _big(api, case)
    with peak_memory() as peak, pytest.raises(ThreeSixtyLearningResponseTooLargeError) as caught:
        await async_rows()
    _check_too_large(api, caught.value, path, peak[0])


def _under_the_cap(api: Service) -> int:
    body = large_json_array(0.6)
    api.server.route(
        USERS, Reply(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], gzip.compress(body))
    )
    api.connect(max_response_mb=1)
    return body.count(b'"_id"')


def test_answer_under_the_size_cap_is_read_sync(api: Service) -> None:
    expected = _under_the_cap(api)
    assert len(sync_rows()) == expected


async def test_answer_under_the_size_cap_is_read_async(api: Service) -> None:
    expected = _under_the_cap(api)
    assert len(await async_rows()) == expected


# --- rule 5: redaction -----------------------------------------------------------------------------------
def _check_redacted(
    api: Service, exc: BaseException, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    credentials = api.credentials()
    assert api.tokens, "a token was issued"
    assert isinstance(exc, ThreeSixtyLearningAPIError)
    assert_exception_clean(exc, credentials)
    for value in (exc.code, exc.api_message, *exc.args):
        assert not leaks(str(value), credentials)
    assert "***" in str(exc)
    captured = capfd.readouterr()
    logged = "\n".join([caplog.text, *(str(record.args) for record in caplog.records), captured.out, captured.err])
    assert not leaks(logged, credentials), "credentials in the logs or output"


@pytest.mark.parametrize("status", [400, 500])
def test_error_echoing_the_token_is_redacted_sync(
    api: Service, status: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    api.server.route(USERS, echo_credentials_error(status, api.secret))
    with pytest.raises(ThreeSixtyLearningAPIError) as caught:
        sync_call()
    _check_redacted(api, caught.value, caplog, capfd)
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}")


@pytest.mark.parametrize("status", [400, 500])
async def test_error_echoing_the_token_is_redacted_async(
    api: Service, status: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    api.server.route(USERS, echo_credentials_error(status, api.secret))
    with pytest.raises(ThreeSixtyLearningAPIError) as caught:
        await async_rows()
    _check_redacted(api, caught.value, caplog, capfd)


def test_error_echoing_the_token_is_redacted_when_retries_give_up(
    api: Service, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """The retry warnings logged on the way are redacted as well."""
    caplog.set_level("DEBUG")
    api.server.route(USERS, echo_credentials_error(503, api.secret))
    api.connect(max_retries=2)
    with pytest.raises(ThreeSixtyLearningAPIError) as caught:
        sync_rows()
    _check_redacted(api, caught.value, caplog, capfd)
    assert api.server.count("GET", USERS) == 3


def _check_truncated(api: Service, exc: ThreeSixtyLearningAPIError) -> None:
    assert len(str(exc)) < 1000, f"message of {len(str(exc))} characters"
    assert len(exc.code or "") <= 1000 and len(exc.api_message or "") <= 1000
    assert_exception_clean(exc, api.credentials())


def test_long_error_code_is_truncated_sync(api: Service) -> None:
    api.server.route(USERS, echo_credentials_error(400, api.secret, code_length=100_000))
    with pytest.raises(ThreeSixtyLearningAPIError) as caught:
        sync_call()
    _check_truncated(api, caught.value)


async def test_long_error_code_is_truncated_async(api: Service) -> None:
    api.server.route(USERS, echo_credentials_error(400, api.secret, code_length=100_000))
    with pytest.raises(ThreeSixtyLearningAPIError) as caught:
        await async_call()
    _check_truncated(api, caught.value)


TOKEN_ERRORS = {
    "401-description": lambda secret: json_reply(
        {"error": "invalid_client", "error_description": f"bad secret {secret}"}, 401
    ),
    "400-code": lambda secret: json_reply({"error": secret}, 400),
    "500-message": lambda secret: json_reply({"error": {"code": secret, "message": f"secret {secret}"}}, 500),
    "401-plain-text": lambda secret: Reply(401, [("Content-Type", "text/plain")], f"client_secret={secret}".encode()),
}


@pytest.mark.parametrize("case", list(TOKEN_ERRORS))
def test_token_error_echoing_the_secret_is_redacted_sync(
    api: Service, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    api.server.route(TOKEN, TOKEN_ERRORS[case](api.secret), method="POST")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        sync_call()
    assert_exception_clean(caught.value, {api.secret})
    assert not leaks(caplog.text, {api.secret})
    assert_only(api.server, TOKEN_LINE)


@pytest.mark.parametrize("case", list(TOKEN_ERRORS))
async def test_token_error_echoing_the_secret_is_redacted_async(
    api: Service, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    api.server.route(TOKEN, TOKEN_ERRORS[case](api.secret), method="POST")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        await async_call()
    assert_exception_clean(caught.value, {api.secret})
    assert not leaks(caplog.text, {api.secret})
    assert_only(api.server, TOKEN_LINE)


# --- rule 6: typed errors only ---------------------------------------------------------------------------
FAR_FUTURE = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)


def test_date_near_year_9999_is_a_parameter_error_sync(api: Service) -> None:
    with pytest.raises(ThreeSixtyLearningParameterError) as caught:
        sync_rows("list_courses", createdAt={"lt": FAR_FUTURE})
    assert "createdAt" in str(caught.value)
    with pytest.raises(ThreeSixtyLearningParameterError):
        sync_call("list_courses", createdAt={"lt": FAR_FUTURE})
    assert api.server.count("GET") == 0


async def test_date_near_year_9999_is_a_parameter_error_async(api: Service) -> None:
    with pytest.raises(ThreeSixtyLearningParameterError) as caught:
        await async_rows("list_courses", createdAt={"lt": FAR_FUTURE})
    assert "createdAt" in str(caught.value)
    with pytest.raises(ThreeSixtyLearningParameterError):
        await async_call("list_courses", createdAt={"lt": FAR_FUTURE})
    assert api.server.count("GET") == 0


NOT_NUMBERS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
SLOT = {"classroomId": OBJECT_ID, "classroomSlotId": OBJECT_ID}


@pytest.mark.parametrize("value", list(NOT_NUMBERS))
def test_nan_in_a_body_is_a_parameter_error_sync(api: Service, value: str) -> None:
    with pytest.raises(ThreeSixtyLearningParameterError) as caught:
        sync_call("update_classroom_slot", **SLOT, body={"maxCapacity": NOT_NUMBERS[value]})
    assert "body" in str(caught.value)
    assert api.server.count("PATCH") == 0


@pytest.mark.parametrize("value", list(NOT_NUMBERS))
async def test_nan_in_a_body_is_a_parameter_error_async(api: Service, value: str) -> None:
    with pytest.raises(ThreeSixtyLearningParameterError) as caught:
        await async_call("update_classroom_slot", **SLOT, body={"maxCapacity": NOT_NUMBERS[value]})
    assert "body" in str(caught.value)
    assert api.server.count("PATCH") == 0


NOT_JSON = {
    "html": lambda: Reply(200, [("Content-Type", "text/html")], b"<html><body>Sign in</body></html>"),
    "garbage-labelled-json": lambda: Reply(200, [("Content-Type", "application/json")], b'[{"_id": "1"'),
    "no-content-type": lambda: Reply(200, [], b"<html></html>"),
}
NOT_A_PAGE = {
    **NOT_JSON,
    "object-instead-of-array": lambda: json_reply({"users": []}),
}


@pytest.mark.parametrize("case", list(NOT_A_PAGE))
def test_success_that_is_not_a_page_is_an_invalid_response_sync(api: Service, case: str) -> None:
    api.server.route(USERS, NOT_A_PAGE[case]())
    with pytest.raises(ThreeSixtyLearningInvalidResponseError) as caught:
        sync_rows()
    assert caught.value.status == 200 and caught.value.action == "list_users"


@pytest.mark.parametrize("case", list(NOT_A_PAGE))
async def test_success_that_is_not_a_page_is_an_invalid_response_async(api: Service, case: str) -> None:
    api.server.route(USERS, NOT_A_PAGE[case]())
    with pytest.raises(ThreeSixtyLearningInvalidResponseError) as caught:
        await async_rows()
    assert caught.value.status == 200 and caught.value.action == "list_users"


@pytest.mark.parametrize("case", list(NOT_JSON))
def test_success_that_is_not_json_is_an_invalid_response_for_call_action_sync(api: Service, case: str) -> None:
    api.server.route(f"{USERS}/{OBJECT_ID}", NOT_JSON[case]())
    with pytest.raises(ThreeSixtyLearningInvalidResponseError) as caught:
        sync_call("get_user", userId=OBJECT_ID)
    assert caught.value.action == "get_user"


@pytest.mark.parametrize("case", list(NOT_JSON))
async def test_success_that_is_not_json_is_an_invalid_response_for_call_action_async(api: Service, case: str) -> None:
    api.server.route(f"{USERS}/{OBJECT_ID}", NOT_JSON[case]())
    with pytest.raises(ThreeSixtyLearningInvalidResponseError) as caught:
        await async_call("get_user", userId=OBJECT_ID)
    assert caught.value.action == "get_user"


BAD_EXTRAS = [("timeout", 0), ("timeout", "soon"), ("total_timeout", -1), ("max_response_mb", -1), ("max_retries", -1)]


@pytest.mark.parametrize(("key", "value"), BAD_EXTRAS)
def test_bad_extra_value_is_a_config_error_naming_it_sync(api: Service, key: str, value: Any) -> None:
    api.connect(**{key: value})
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=key):
        sync_rows()
    assert_untouched(api.server)


@pytest.mark.parametrize(("key", "value"), BAD_EXTRAS)
async def test_bad_extra_value_is_a_config_error_naming_it_async(api: Service, key: str, value: Any) -> None:
    api.connect(**{key: value})
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=key):
        await async_rows()
    assert_untouched(api.server)


def test_unknown_extra_is_a_config_error_naming_it_sync(api: Service) -> None:
    api.connect(timout=30)
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="timout"):
        sync_rows()
    assert_untouched(api.server)


async def test_unknown_extra_is_a_config_error_naming_it_async(api: Service) -> None:
    api.connect(timout=30)
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="timout"):
        await async_rows()
    assert_untouched(api.server)


# --- rule 7: userinfo in the host ------------------------------------------------------------------------
USERINFO_PASSWORD = "userinfo-pw-3c9d1f"
USERINFO = [f"someone:{USERINFO_PASSWORD}@", "someone@"]


@pytest.mark.parametrize("userinfo", USERINFO, ids=["user-and-password", "user"])
def test_host_with_userinfo_is_refused_sync(api: Service, userinfo: str) -> None:
    api.connect(host=f"http://{userinfo}{api.server.netloc}")
    with pytest.raises(ThreeSixtyLearningConnectionConfigError) as caught:
        sync_rows()
    assert USERINFO_PASSWORD not in exception_texts(caught.value)
    assert_untouched(api.server)


@pytest.mark.parametrize("userinfo", USERINFO, ids=["user-and-password", "user"])
async def test_host_with_userinfo_is_refused_async(api: Service, userinfo: str) -> None:
    api.connect(host=f"http://{userinfo}{api.server.netloc}")
    with pytest.raises(ThreeSixtyLearningConnectionConfigError) as caught:
        await async_rows()
    assert USERINFO_PASSWORD not in exception_texts(caught.value)
    assert_untouched(api.server)


# --- 429 without Retry-After -----------------------------------------------------------------------------
def _busy_then_ok(api: Service) -> None:
    busy = json_reply({"error": {"code": "tooManyRequests", "message": "slow down"}}, 429)
    api.server.route(USERS, [busy, page_360(FIRST_PAGE)], method="GET")
    api.connect(max_retries=2)


def test_429_without_retry_after_is_retried_sync(api: Service) -> None:
    _busy_then_ok(api)
    assert sync_rows() == FIRST_PAGE
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}", f"GET {USERS}")


async def test_429_without_retry_after_is_retried_async(api: Service) -> None:
    _busy_then_ok(api)
    assert await async_rows() == FIRST_PAGE
    assert_only(api.server, TOKEN_LINE, f"GET {USERS}", f"GET {USERS}")


# --- a partial answer: the server promises more bytes than it sends, then hangs up --------------------------
def _cut_short(api: Service) -> None:
    body = b'[{"_id": "1", "mail": "one@exa'
    cut = Reply(headers=[("Content-Type", "application/json"), ("Content-Length", "5000")], body=body)
    api.server.route(USERS, cut, method="GET")
    api.connect(max_retries=1, backoff_initial=0.01, backoff_max=0.01)


def _check_cut_short(api: Service, exc: ThreeSixtyLearningConnectionError) -> None:
    assert "list_users" in str(exc) and "after retries" in str(exc)
    assert_exception_clean(exc, api.credentials())
    assert api.server.count("GET", USERS) == 2  # a GET is idempotent: retried once, then a typed error


def test_an_answer_cut_short_is_a_connection_error_sync(api: Service) -> None:
    _cut_short(api)
    with pytest.raises(ThreeSixtyLearningConnectionError) as caught:
        sync_rows()
    _check_cut_short(api, caught.value)


async def test_an_answer_cut_short_is_a_connection_error_async(api: Service) -> None:
    _cut_short(api)
    with pytest.raises(ThreeSixtyLearningConnectionError) as caught:
        await async_rows()
    _check_cut_short(api, caught.value)
