"""Fixtures of the hostile-server tests: the hostile server (the connection's origin), a foreign server (the
attacker's target, on another host or another port), and each hook's connection pointing at the hostile
server with a token endpoint, or for SCIM the service discovery documents the SCIM emulator serves.

Every token served is handed to the suite-wide output scan (``tests/conftest.py``), next to the test
client secrets the connections use.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import _ISSUED_TOKENS, TEST_CLIENT_SECRET, TEST_EDX_CLIENT_SECRET
from tests.unit.client.hostile import (
    HostileServer,
    Reply,
    Service,
    json_reply,
    oauth_360,
    oauth_edx,
    page_edx,
)

TOKEN_PATH_360 = "/api/v2/oauth2/token"
TOKEN_PATH_EDX = "/oauth2/v1/access_token"
SCIM_BASE_PATH = "/scim/v2"
SCIM_DISCOVERY = ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas")
BASE_PLACEHOLDER = "{hostile-base-url}"


def _started(name: str, *, host: str = "127.0.0.1", port: int = 0) -> HostileServer:
    return HostileServer(name, host=host, port=port)


def _finish(server: HostileServer) -> None:
    server.stop()
    _ISSUED_TOKENS.update(server.issued_tokens)
    assert not server.errors, f"a route handler of {server.name} failed (a fixture bug): {server.errors}"


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """The connection's origin: a hostile server on 127.0.0.1, a free port."""
    server = _started("hostile")
    yield server
    _finish(server)


@pytest.fixture(params=["other-host", "other-port"])
def foreign(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    """The attacker's server: on 127.0.0.2 (another host), or on 127.0.0.1 at another port (another origin
    all the same). It answers everything with data, a token or a page, so a client that follows gets somewhere."""
    server = _started("foreign", host="127.0.0.2" if request.param == "other-host" else "127.0.0.1")

    def answer(received: Any) -> Any:
        if received.method == "POST":
            return json_reply({"access_token": "foreign-token", "expires_in": 3600, "token_type": "jwt"})
        if "enterprise" in received.path:
            return page_edx([{"uuid": "foreign-row"}])
        return json_reply([{"_id": "foreign-row"}])

    server.default = answer
    yield server
    _finish(server)


@pytest.fixture
def port80() -> Iterator[HostileServer]:
    """A hostile server on 127.0.0.1:80 (the default port), for "a default port equals an absent one";
    skipped where port 80 cannot be bound (not root, or taken)."""
    try:
        server = _started("hostile-80", port=80)
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.1:80 ({exc})")
    yield server
    _finish(server)


def _service_360(server: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    server.route(TOKEN_PATH_360, oauth_360(server), method="POST")
    service = Service(
        name="360learning",
        server=server,
        setenv=monkeypatch.setenv,
        env="AIRFLOW_CONN_360LEARNING_DEFAULT",
        conn_type="360learning",
        client_id="hostile-client-id",
        secret=TEST_CLIENT_SECRET,
        token_path=TOKEN_PATH_360,
    )
    service.connect()
    return service


@pytest.fixture
def api(hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    """``360learning_default`` against the hostile server, which serves the OAuth token endpoint."""
    return _service_360(hostile, monkeypatch)


@pytest.fixture
def api80(port80: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    return _service_360(port80, monkeypatch)


def _service_edx(server: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    server.route(TOKEN_PATH_EDX, oauth_edx(server), method="POST")
    service = Service(
        name="edx",
        server=server,
        setenv=monkeypatch.setenv,
        env="AIRFLOW_CONN_EDX_DEFAULT",
        conn_type="360learning_edx",
        client_id="hostile-edx-client-id",
        secret=TEST_EDX_CLIENT_SECRET,
        token_path=TOKEN_PATH_EDX,
    )
    service.connect()
    return service


@pytest.fixture
def edx(hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    """``edx_default`` against the hostile server, which serves the JWT token endpoint."""
    return _service_edx(hostile, monkeypatch)


@pytest.fixture
def edx80(port80: HostileServer, monkeypatch: pytest.MonkeyPatch) -> Service:
    return _service_edx(port80, monkeypatch)


@pytest.fixture(scope="session")
def scim_discovery() -> dict[str, str]:
    """The SCIM emulator's discovery documents (its base URL replaced by a placeholder), fetched once."""
    from airflow_provider_360learning.emulator.server import EmulatorServer

    server = EmulatorServer(service="scim")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            token = http.post("/_emulator/scim/token", json={"token": f"discovery-{secrets.token_hex(8)}"}).json()[
                "token"
            ]
            documents = {}
            for path in SCIM_DISCOVERY:
                response = http.get(SCIM_BASE_PATH + path, headers={"Authorization": f"Bearer {token}"})
                response.raise_for_status()
                documents[path] = response.text.replace(server.url, BASE_PLACEHOLDER)
    finally:
        server.stop()
    return documents


@pytest.fixture
def scim(hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, scim_discovery: dict[str, str]) -> Service:
    """``360learning_scim_default`` against the hostile server (``/scim/v2``), which serves the emulator's
    discovery documents; the SCIM token is the connection's password."""
    for path, text in scim_discovery.items():
        body = text.replace(BASE_PLACEHOLDER, hostile.url).encode()
        hostile.route(
            SCIM_BASE_PATH + path, Reply(200, [("Content-Type", "application/scim+json")], body), method="GET"
        )
    token = f"hostile-scim-{secrets.token_hex(16)}"
    _ISSUED_TOKENS.add(token)
    service = Service(
        name="scim",
        server=hostile,
        setenv=monkeypatch.setenv,
        env="AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT",
        conn_type="360learning_scim",
        client_id=None,
        secret=token,
        token_path=None,
        base_path=SCIM_BASE_PATH,
        static_token=token,
    )
    service.connect()
    return service
