"""Hardening rules of issue 14 that apply to the SCIM hook (a static bearer token, no token endpoint, no
``Link`` pagination), against a hostile server that serves the SCIM emulator's discovery documents. What
each server received is asserted: the foreign server nothing, the SCIM token only in ``Authorization``."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningInvalidResponseError,
    ThreeSixtyLearningOriginError,
    ThreeSixtyLearningResponseTooLargeError,
    ThreeSixtyLearningScimError,
    ThreeSixtyLearningTimeoutError,
)
from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
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
    redirect,
    scim_list,
    scim_user,
    trickle_body,
    trickle_head,
)

pytestmark = pytest.mark.timeout(60)

BASE = "/scim/v2"
USERS = f"{BASE}/Users"
DISCOVERY = {f"{BASE}/ServiceProviderConfig", f"{BASE}/ResourceTypes", f"{BASE}/Schemas"}
MEMORY_CEILING = 50 * 1024 * 1024


def list_users() -> list[Any]:
    hook = ThreeSixtyLearningScimHook()
    try:
        return list(hook.iter_resources(hook.user_model))
    finally:
        hook.close()


def paths(server: HostileServer) -> list[str]:
    return [request.path for request in server.received()]


def assert_discovered_then(server: HostileServer, *then: str) -> None:
    """The three discovery requests (in any order), then exactly ``then``; one connection per request."""
    seen = paths(server)
    assert set(seen[:3]) == DISCOVERY and seen[3:] == list(then), seen
    assert server.connections == len(seen)


def assert_token_only_in_authorization(scim: Service) -> None:
    assert_credentials_only_where_due(scim)
    assert all(request.credential == scim.static_token for request in scim.server.received())


# --- rule 1: origin pinning ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [302, 307])
def test_discovery_redirect_to_another_origin_is_refused(scim: Service, foreign: HostileServer, status: int) -> None:
    scim.server.route(f"{BASE}/ServiceProviderConfig", redirect(f"{foreign.url}{BASE}/ServiceProviderConfig", status))
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        list_users()
    assert foreign.host in caught.value.host
    assert_exception_clean(caught.value, scim.credentials())
    assert_untouched(foreign)
    assert set(paths(scim.server)) <= DISCOVERY
    assert_token_only_in_authorization(scim)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_api_redirect_to_another_origin_is_refused(scim: Service, foreign: HostileServer, status: int) -> None:
    scim.server.route(USERS, redirect(f"{foreign.url}{USERS}", status), method="GET")
    with pytest.raises(ThreeSixtyLearningOriginError) as caught:
        list_users()
    assert foreign.host in caught.value.host
    assert_exception_clean(caught.value, scim.credentials())
    assert_untouched(foreign)
    assert_discovered_then(scim.server, USERS)
    assert_token_only_in_authorization(scim)


def test_resource_type_endpoint_on_another_origin_is_refused(
    scim: Service, foreign: HostileServer, scim_discovery: dict[str, str]
) -> None:
    """A discovery document that moves ``/Users`` to the attacker's server: no request goes there."""
    document = json.loads(scim_discovery["/ResourceTypes"].replace("{hostile-base-url}", scim.server.url))
    for resource_type in document["Resources"]:
        resource_type["endpoint"] = f"{foreign.url}{BASE}{resource_type['endpoint']}"
    scim.server.route(f"{BASE}/ResourceTypes", json_reply(document, content_type="application/scim+json"))
    with pytest.raises(ThreeSixtyLearningError) as caught:
        list_users()
    assert_exception_clean(caught.value, scim.credentials())
    assert_untouched(foreign)
    assert set(paths(scim.server)) <= DISCOVERY


# --- rule 3: deadline ------------------------------------------------------------------------------------
@pytest.mark.timeout(30)
@pytest.mark.parametrize("slow", [trickle_body, trickle_head], ids=["body", "head"])
def test_trickling_server_hits_the_total_deadline(scim: Service, slow: Callable[..., Reply]) -> None:
    scim.server.route(USERS, slow(every=0.5, content_type="application/scim+json"), method="GET")
    scim.connect(total_timeout=2, timeout=5, max_retries=0)
    with pytest.raises(ThreeSixtyLearningTimeoutError) as caught:
        list_users()
    assert isinstance(caught.value, ThreeSixtyLearningConnectionError)
    assert_exception_clean(caught.value, scim.credentials())
    assert_discovered_then(scim.server, USERS)


# --- rule 4: size cap ------------------------------------------------------------------------------------
BIG: dict[str, tuple[str, Callable[[], Reply]]] = {
    "3MB-with-length": (USERS, lambda: large_reply(3)),
    "3MB-chunked": (USERS, lambda: large_reply(3, chunked=True)),
    "gzip-bomb": (USERS, lambda: bomb_reply(200, content_type="application/scim+json")),
    "discovery-gzip-bomb": (f"{BASE}/Schemas", lambda: bomb_reply(200, content_type="application/scim+json")),
}


@pytest.mark.parametrize("case", list(BIG))
def test_answer_above_the_size_cap_is_refused(scim: Service, case: str) -> None:
    path, reply = BIG[case]
    scim.server.route(path, reply(), method="GET")
    scim.connect(max_response_mb=1)
    tracemalloc.start()
    try:
        with pytest.raises(ThreeSixtyLearningResponseTooLargeError) as caught:
            list_users()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CEILING, f"peak of Python allocations {peak / 2**20:.0f} MB while refusing the answer"
    assert_exception_clean(caught.value, scim.credentials())
    if path == USERS:
        assert_discovered_then(scim.server, USERS)
    else:
        assert set(paths(scim.server)) <= DISCOVERY


# --- rule 5: redaction -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [400, 500])
def test_error_echoing_the_token_is_redacted(
    scim: Service, status: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    scim.server.route(USERS, echo_credentials_error(status, "no-secret-in-scim", shape="scim"), method="GET")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        list_users()
    credentials = scim.credentials()
    assert_exception_clean(caught.value, credentials)
    for name in ("detail", "scim_type", "code", "api_message"):
        assert not leaks(str(getattr(caught.value, name, "")), credentials)
    assert "***" in str(caught.value)
    captured = capfd.readouterr()
    logged = "\n".join([caplog.text, *(str(r.args) for r in caplog.records), captured.out, captured.err])
    assert not leaks(logged, credentials)
    assert_discovered_then(scim.server, USERS)


def test_long_error_fields_are_truncated(scim: Service) -> None:
    scim.server.route(USERS, echo_credentials_error(400, "x", shape="scim", code_length=100_000), method="GET")
    with pytest.raises(ThreeSixtyLearningError) as caught:
        list_users()
    assert len(str(caught.value)) < 1000, f"message of {len(str(caught.value))} characters"
    assert_exception_clean(caught.value, scim.credentials())


# --- rule 6: typed errors only ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, [("Content-Type", "text/html")], b"<html>Sign in</html>"),
        Reply(200, [("Content-Type", "application/scim+json")], b'{"schemas": ['),
    ],
    ids=["html", "garbage-labelled-json"],
)
def test_success_that_is_not_json_is_a_typed_error(scim: Service, reply: Reply) -> None:
    scim.server.route(USERS, reply, method="GET")
    with pytest.raises((ThreeSixtyLearningInvalidResponseError, ThreeSixtyLearningScimError)):
        list_users()


BAD_EXTRAS = [("timeout", 0), ("timeout", "soon"), ("total_timeout", -1), ("max_response_mb", -1), ("max_retries", -1)]


@pytest.mark.parametrize(("key", "value"), BAD_EXTRAS)
def test_bad_extra_value_is_a_config_error_naming_it(scim: Service, key: str, value: Any) -> None:
    scim.connect(**{key: value})
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=key):
        list_users()
    assert_untouched(scim.server)


def test_unknown_extra_is_a_config_error_naming_it(scim: Service) -> None:
    scim.connect(timout=30)
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="timout"):
        list_users()
    assert_untouched(scim.server)


# --- rule 7: userinfo in the host ------------------------------------------------------------------------
USERINFO_PASSWORD = "userinfo-pw-51f0c7"


@pytest.mark.parametrize("userinfo", [f"someone:{USERINFO_PASSWORD}@", "someone@"], ids=["user-and-password", "user"])
def test_host_with_userinfo_is_refused(scim: Service, userinfo: str) -> None:
    scim.connect(host=f"http://{userinfo}{scim.server.netloc}{BASE}")
    with pytest.raises(ThreeSixtyLearningConnectionConfigError) as caught:
        list_users()
    assert USERINFO_PASSWORD not in exception_texts(caught.value)
    assert_untouched(scim.server)


# --- 429 without Retry-After -----------------------------------------------------------------------------
def test_429_without_retry_after_is_retried(scim: Service) -> None:
    busy = json_reply(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "429", "detail": "Too many requests"},
        429,
        content_type="application/scim+json",
    )
    scim.server.route(USERS, [busy, scim_list([scim_user(1)])], method="GET")
    scim.connect(max_retries=2)
    assert [user.user_name for user in list_users()] == ["user1@example.com"]  # type: ignore[attr-defined]
    assert_discovered_then(scim.server, USERS, USERS)
    assert_token_only_in_authorization(scim)
