"""Fixtures of the edX tests: emulators with test credentials whose issued JWTs the suite-wide secret scan
(``tests/conftest.py``) looks for in every output, a raw HTTP client, and the ``edx_default`` connection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.emulator.edx import EdxState, edx_state
from airflow_provider_360learning.hooks.edx import EdxHook
from tests.conftest import _ISSUED_TOKENS, TEST_EDX_CLIENT_SECRET

TEST_EDX_CLIENT_ID = "test-edx-client-id"
EDX_CONN_ENV = "AIRFLOW_CONN_EDX_DEFAULT"


class Edx:
    """A running emulator as an edX test sees it: its edX state, a raw client and a JWT."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url: str = server.url
        self.state: EdxState = edx_state(server.state)
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self._token: str | None = None

    def token_response(self, **form: str) -> httpx.Response:
        fields = {
            "grant_type": "client_credentials",
            "client_id": TEST_EDX_CLIENT_ID,
            "client_secret": TEST_EDX_CLIENT_SECRET,
            "token_type": "jwt",
            **form,
        }
        return self.http.post("/oauth2/v1/access_token", data={k: v for k, v in fields.items() if v is not None})

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.token_response().json()["access_token"]
        return self._token

    def get(self, path: str, *, scheme: str = "JWT", token: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"{scheme} {token or self.token}"})

    def info(self) -> dict[str, Any]:
        return self.http.get("/_emulator/edx/info").json()

    @property
    def enterprise(self) -> str:
        return self.state.data.enterprise_uuid

    @property
    def main_catalog(self) -> str:
        return self.state.data.catalogs[0].uuid

    def summary_path(self, enterprise: str | None = None) -> str:
        return f"/enterprise/v3/enterprise-customer/{enterprise or self.enterprise}/learner-summary"


@pytest.fixture
def edx_factory(learning360_emulator_factory: Callable[..., Any]) -> Iterator[Callable[..., Edx]]:
    """``factory(**config)``: an emulator accepting the test edX credentials (other flags as given)."""
    started: list[Edx] = []

    def start(**changes: Any) -> Edx:
        config = {"edx_client_id": TEST_EDX_CLIENT_ID, "edx_client_secret": TEST_EDX_CLIENT_SECRET, **changes}
        edx = Edx(learning360_emulator_factory(**config))
        started.append(edx)
        return edx

    yield start
    for edx in started:
        _ISSUED_TOKENS.update(edx.state.issued_token_values())
        edx.http.close()


@pytest.fixture
def edx(edx_factory: Callable[..., Edx]) -> Edx:
    return edx_factory()


def edx_connection_json(url: str, *, secret: str = TEST_EDX_CLIENT_SECRET, **extra: Any) -> str:
    return json.dumps(
        {"conn_type": "360learning_edx", "login": TEST_EDX_CLIENT_ID, "password": secret, "host": url, "extra": extra}
    )


@pytest.fixture
def edx_conn(monkeypatch: pytest.MonkeyPatch, edx: Edx) -> Edx:
    """``edx_default`` pointing at the emulator; the UUID left empty (discovered)."""
    monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(edx.url))
    return edx


def make_hook(**overrides: Any) -> EdxHook:
    """A hook with short back-off and no client-side rate limit (the emulator's is tested on purpose)."""
    return EdxHook(**{"backoff_initial": 0.01, "backoff_max": 0.05, "requests_per_second": 0, **overrides})
