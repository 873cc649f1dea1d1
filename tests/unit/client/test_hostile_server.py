"""The hostile server and fixtures themselves, checked with plain ``requests`` and raw sockets, then each hook
against a well-behaved hostile server (a positive control: the fixtures serve what the hooks expect)."""

from __future__ import annotations

import json
import socket
import time
import zlib

import jwt
import pytest
import requests

from tests.unit.client.hostile import (
    HostileServer,
    Reply,
    Service,
    assert_credentials_only_where_due,
    assert_no_secret,
    assert_untouched,
    bomb_reply,
    compressed_zeros,
    echo_credentials_error,
    exception_texts,
    json_reply,
    large_reply,
    leaks,
    page_360,
    page_edx,
    redirect,
    scim_list,
    scim_user,
    trickle_body,
    trickle_head,
)

pytestmark = pytest.mark.timeout(60)


def raw_exchange(server: HostileServer, request: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_records_every_request_and_answers_by_route(hostile: HostileServer) -> None:
    hostile.route("/a", json_reply({"a": 1}), method="GET")
    hostile.route("/a?x=1", json_reply({"a": "with query"}))
    hostile.route("/b", [json_reply({"n": 1}), json_reply({"n": 2})], method="POST")
    assert requests.get(hostile.url + "/a", headers={"Authorization": "Bearer t0k"}, timeout=5).json() == {"a": 1}
    assert requests.get(hostile.url + "/a?x=1", timeout=5).json() == {"a": "with query"}
    assert [requests.post(hostile.url + "/b", json={"k": i}, timeout=5).json()["n"] for i in range(3)] == [1, 2, 2]
    assert requests.get(hostile.url + "/nowhere", timeout=5).status_code == 404
    assert hostile.lines() == ["GET /a", "GET /a?x=1", "POST /b", "POST /b", "POST /b", "GET /nowhere"]
    first = hostile.received()[0]
    assert first.authorization == "Bearer t0k" and first.credential == "t0k" and first.header("authorization")
    assert [r.json() for r in hostile.received("POST", "/b")] == [{"k": 0}, {"k": 1}, {"k": 2}]
    assert hostile.received(path="/a")[1].query == {"x": ["1"]}
    assert hostile.connections == 6 and hostile.count("POST") == 3


def test_reads_a_chunked_request_body(hostile: HostileServer) -> None:
    hostile.route("/upload", json_reply({}), method="PUT")
    requests.put(hostile.url + "/upload", data=iter([b"abc", b"def"]), timeout=5)
    (received,) = hostile.received()
    assert received.body == b"abcdef" and received.header("Transfer-Encoding") == "chunked"


def test_headers_go_out_exactly_as_written(hostile: HostileServer) -> None:
    hostile.route("/r", redirect("HTTP://Elsewhere.example:80/x?y=1", 307))
    hostile.route("/p", page_360([{"_id": "1"}], raw_link='<//127.0.0.9/next>;rel=next, <x>; rel="prev"'))
    answer = raw_exchange(hostile, b"GET /r HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 307 Temporary Redirect\r\n")
    assert b"\r\nLocation: HTTP://Elsewhere.example:80/x?y=1\r\n" in answer
    answer = raw_exchange(hostile, b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b'\r\nLink: <//127.0.0.9/next>;rel=next, <x>; rel="prev"\r\n' in answer
    assert answer.endswith(b'[{"_id": "1"}]')


def test_an_unanswered_connection_is_counted(hostile: HostileServer) -> None:
    with socket.create_connection((hostile.host, hostile.port), timeout=5):
        pass
    deadline = time.monotonic() + 5
    while hostile.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hostile.connections == 1 and hostile.requests == []
    with pytest.raises(AssertionError, match="must receive nothing"):
        assert_untouched(hostile)


def test_trickles_the_body_then_the_head(hostile: HostileServer) -> None:
    hostile.route("/body", trickle_body(every=0.01, size=20))
    hostile.route("/head", trickle_head(every=0.005, size=20))
    started = time.monotonic()
    response = requests.get(hostile.url + "/body", timeout=5)
    assert response.content == b"[" + b" " * 18 + b"]" and time.monotonic() - started >= 0.15
    answer = raw_exchange(hostile, b"GET /head HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"[" + b" " * 18 + b"]")


def test_a_slow_trickle_really_is_slow(hostile: HostileServer) -> None:
    hostile.route("/slow", trickle_body(every=0.5))
    with requests.get(hostile.url + "/slow", stream=True, timeout=5) as response:
        assert response.headers["Content-Length"] == "400"
        started = time.monotonic()
        assert response.raw.read(3) == b"[  "
        assert time.monotonic() - started >= 1.0


def test_large_answers_with_and_without_a_length(hostile: HostileServer) -> None:
    hostile.route("/sized", large_reply(3))
    hostile.route("/unsized", large_reply(3, chunked=True))
    sized = requests.get(hostile.url + "/sized", timeout=10)
    unsized = requests.get(hostile.url + "/unsized", timeout=10)
    assert int(sized.headers["Content-Length"]) > 3_000_000 and "Transfer-Encoding" not in sized.headers
    assert unsized.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in unsized.headers
    assert sized.content == unsized.content and len(json.loads(sized.content)) > 2000


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_inflates_to_its_size(hostile: HostileServer, encoding: str) -> None:
    assert len(compressed_zeros(200, encoding)) < 1_000_000  # 200 MB of zeros, under 1 MB on the wire
    hostile.route("/bomb", bomb_reply(8, encoding=encoding))
    with requests.get(hostile.url + "/bomb", stream=True, timeout=10) as response:
        assert response.headers["Content-Encoding"] == encoding
        wire = response.raw.read(decode_content=False)
    inflated = zlib.decompressobj({"gzip": 31, "deflate": 15}[encoding]).decompress(wire)
    assert len(inflated) == 8 * 1024 * 1024 and not inflated.strip(b"\0")


def test_echoes_the_credential_it_received(hostile: HostileServer) -> None:
    hostile.route("/e", echo_credentials_error(400, "the-secret"))
    hostile.route("/long", echo_credentials_error(500, "the-secret", code_length=100_000))
    body = requests.get(hostile.url + "/e", headers={"Authorization": "Bearer tok-123"}, timeout=5).json()
    assert body["error"]["code"] == "tok-123" and "tok-123" in body["error"]["message"]
    assert "the-secret" in body["error"]["message"]
    long = requests.get(hostile.url + "/long", headers={"Authorization": "Bearer tok-123"}, timeout=5)
    assert long.status_code == 500 and len(long.json()["error"]["code"]) == 100_000


def test_token_endpoints(api: Service, hostile: HostileServer) -> None:
    answer = requests.post(hostile.url + "/api/v2/oauth2/token", json={"client_id": "x"}, timeout=5).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    assert api.tokens == [answer["access_token"]]


def test_edx_token_endpoint_issues_a_jwt(edx: Service, hostile: HostileServer) -> None:
    answer = requests.post(hostile.url + "/oauth2/v1/access_token", data={"client_id": "x"}, timeout=5).json()
    assert answer["token_type"] == "jwt"
    assert jwt.decode(answer["access_token"], options={"verify_signature": False})["exp"] > time.time()
    assert edx.tokens == [answer["access_token"]]


def test_the_foreign_server_answers_everything(foreign: HostileServer) -> None:
    assert foreign.host in ("127.0.0.1", "127.0.0.2")
    assert requests.get(foreign.url + "/api/v2/users", timeout=5).json() == [{"_id": "foreign-row"}]
    assert requests.post(foreign.url + "/oauth2/v1/access_token", timeout=5).json()["access_token"]
    assert foreign.lines() == ["GET /api/v2/users", "POST /oauth2/v1/access_token"]


def test_secret_scans(api: Service, hostile: HostileServer) -> None:
    hostile.route("/x", json_reply({}))
    requests.post(hostile.url + "/api/v2/oauth2/token", json={"client_secret": api.secret}, timeout=5)
    token = api.tokens[0]
    requests.get(hostile.url + "/x", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert_credentials_only_where_due(api)
    with pytest.raises(AssertionError, match="received credentials"):
        assert_no_secret(hostile, api.secret, api.tokens)
    requests.get(hostile.url + f"/x?t={token}", timeout=5)
    with pytest.raises(AssertionError, match="outside Authorization"):
        assert_credentials_only_where_due(api)
    requests.post(hostile.url + "/x", data={"s": api.secret}, timeout=5)
    with pytest.raises(AssertionError, match="client secret in POST /x"):
        assert_credentials_only_where_due(api)


def test_exception_texts_cover_the_chain_and_attributes() -> None:
    class Carrying(Exception):
        def __init__(self) -> None:
            super().__init__("outer")
            self.code = "in-attribute"

    try:
        try:
            raise ValueError("in-cause")
        except ValueError as inner:
            raise Carrying() from inner
    except Carrying as exc:
        text = exception_texts(exc)
    assert "in-cause" in text and "in-attribute" in text and "outer" in text
    assert leaks(text, {"in-cause", "absent"}) == ["in-cause..."]


def test_a_handler_error_is_reported(hostile: HostileServer) -> None:
    def broken(request: object) -> Reply:
        raise RuntimeError("fixture bug")

    hostile.route("/broken", broken)
    assert requests.get(hostile.url + "/broken", timeout=5).status_code == 599
    assert hostile.errors == ["GET /broken: RuntimeError: fixture bug"]
    hostile.errors.clear()  # expected here; the fixture fails a test that leaves one


# --- positive controls: the hooks against well-behaved hostile servers -----------------------------------
def test_control_360_sync_follows_two_pages(api: Service, hostile: HostileServer) -> None:
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hostile.route("/api/v2/users", page_360([{"_id": "1"}], hostile.url + "/api/v2/users?cursor=2"))
    hostile.route("/api/v2/users?cursor=2", page_360([{"_id": "2"}]))
    assert [u["_id"] for u in ThreeSixtyLearningHook().iter_action("list_users")] == ["1", "2"]
    assert hostile.lines() == ["POST /api/v2/oauth2/token", "GET /api/v2/users", "GET /api/v2/users?cursor=2"]
    token_request = hostile.received("POST")[0].json()
    assert token_request["client_secret"] == api.secret and token_request["client_id"] == api.client_id
    assert all(r.credential == api.tokens[0] for r in hostile.received("GET"))
    assert_credentials_only_where_due(api)


async def test_control_360_async_follows_two_pages(api: Service, hostile: HostileServer) -> None:
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook

    hostile.route("/api/v2/users", page_360([{"_id": "1"}], hostile.url + "/api/v2/users?cursor=2"))
    hostile.route("/api/v2/users?cursor=2", page_360([{"_id": "2"}]))
    hook = ThreeSixtyLearningAsyncHook()
    assert [u["_id"] async for u in hook.aiter_action("list_users")] == ["1", "2"]
    assert hostile.lines() == ["POST /api/v2/oauth2/token", "GET /api/v2/users", "GET /api/v2/users?cursor=2"]
    assert_credentials_only_where_due(api)


def test_control_edx_follows_two_pages(edx: Service, hostile: HostileServer) -> None:
    from airflow_provider_360learning.hooks.edx import EdxHook

    path = "/enterprise/v2/enterprise-catalogs"
    hostile.route(
        f"{path}?page=1&page_size=100", page_edx([{"uuid": "1"}], f"{hostile.url}{path}?page=2&page_size=100", count=2)
    )
    hostile.route(f"{path}?page=2&page_size=100", page_edx([{"uuid": "2"}], None, count=2))
    assert [c["uuid"] for c in EdxHook().iter_catalogs()] == ["1", "2"]
    assert hostile.lines() == [
        "POST /oauth2/v1/access_token",
        f"GET {path}?page=1&page_size=100",
        f"GET {path}?page=2&page_size=100",
    ]
    form = hostile.received("POST")[0].body.decode()
    assert "token_type=jwt" in form and "client_secret=" in form
    assert all(r.authorization == f"JWT {edx.tokens[0]}" for r in hostile.received("GET"))
    assert_credentials_only_where_due(edx)


def test_control_scim_discovers_and_lists(scim: Service, hostile: HostileServer) -> None:
    from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook

    hostile.route("/scim/v2/Users", scim_list([scim_user(1), scim_user(2)]))
    hook = ThreeSixtyLearningScimHook()
    assert [u.user_name for u in hook.iter_resources(hook.user_model)] == ["user1@example.com", "user2@example.com"]
    paths = [r.path for r in hostile.received()]
    assert sorted(paths[:3]) == ["/scim/v2/ResourceTypes", "/scim/v2/Schemas", "/scim/v2/ServiceProviderConfig"]
    assert paths[3:] == ["/scim/v2/Users"]
    assert all(r.credential == scim.static_token for r in hostile.received())
    hook.close()


def test_the_route_registered_last_wins(hostile: HostileServer) -> None:
    hostile.route("/t", json_reply({"by": "fixture"}), method="POST")
    hostile.route("/t", json_reply({"by": "test"}))
    hostile.route("/t?q=1", json_reply({"by": "query"}), method="GET")
    assert requests.post(hostile.url + "/t", timeout=5).json() == {"by": "test"}
    assert requests.post(hostile.url + "/t?q=1", timeout=5).json() == {"by": "test"}  # GET-only exact target
    assert requests.get(hostile.url + "/t?q=1", timeout=5).json() == {"by": "query"}
    hostile.route("/t", json_reply({"by": "again"}), method="POST")
    assert requests.post(hostile.url + "/t", timeout=5).json() == {"by": "again"}
