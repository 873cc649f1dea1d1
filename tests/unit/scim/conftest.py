"""Fixtures of the SCIM tests: one SCIM emulator for the module, reset before each test, with a fresh
token per test that the suite-wide secret scan (``tests/conftest.py``) looks for in every output, and a fresh
provisioning ownership state per test (``360learning_warehouse`` on a SQLite file of the test's folder)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from airflow_provider_360learning.emulator.scim import ScimState, scim_state
from airflow_provider_360learning.emulator.server import EmulatorServer

SCIM_CONN_ENV = "AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT"
STATE_CONN_ENV = "AIRFLOW_CONN_360LEARNING_WAREHOUSE"


class Scim:
    """The running SCIM emulator as a test sees it: URLs, its state, an HTTP client with the token."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.url = f"{server.url}/scim/v2"
        self.state: ScimState = scim_state(server.state)
        self.token = ""
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def new_token(self) -> str:
        """Issue a token through the control interface (revokes the previous one) and register it as a secret."""
        from tests.conftest import _ISSUED_TOKENS

        wanted = f"scim-test-{secrets.token_hex(12)}"
        response = self.http.post("/_emulator/scim/token", json={"token": wanted})
        assert response.status_code == 201
        self.token = response.json()["token"]
        _ISSUED_TOKENS.add(self.token)
        return self.token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/scim+json"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/scim/v2{path}", params=params, headers=self.headers())

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        content = None if body is None else json.dumps(body)
        return self.http.request(method, f"/scim/v2{path}", content=content, headers=self.headers())

    def users(self) -> dict[str, dict[str, Any]]:
        """Every user, by lower-cased userName."""
        listed = self.get("/Users", count=1000).json()
        return {u["userName"].lower(): u for u in listed.get("Resources", [])}

    def group(self, name: str) -> dict[str, Any] | None:
        found = self.get("/Groups", filter=f'displayName eq "{name}"').json().get("Resources", [])
        return found[0] if found else None

    def member_emails(self, name: str) -> set[str]:
        group = self.group(name) or {}
        by_id = {u["id"]: email for email, u in self.users().items()}
        return {by_id.get(m["value"], m["value"]) for m in group.get("members", [])}

    def writes(self) -> dict[str, int]:
        """Requests that change something, by method and endpoint."""
        return {k: v for k, v in self.state.stats()["requests"].items() if not k.startswith("GET")}


@pytest.fixture(scope="module")
def scim_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(service="scim")
    yield server
    server.stop()


@pytest.fixture
def scim(scim_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Scim]:
    """A clean SCIM emulator, a fresh token, ``360learning_scim_default`` pointing at both, and an empty
    ownership state."""
    helper = Scim(scim_server)
    helper.state.reset()
    helper.new_token()
    state_db = tmp_path / "scim-state.db"
    monkeypatch.setenv(STATE_CONN_ENV, json.dumps({"conn_type": "sqlite", "host": str(state_db)}))
    monkeypatch.setenv(
        SCIM_CONN_ENV,
        json.dumps(
            {
                "conn_type": "360learning_scim",
                "host": helper.url,
                "password": helper.token,
                "extra": {"backoff_initial": 0.01},
            }
        ),
    )
    yield helper
    helper.http.close()


def write_csv(tmp_path: Path, rows: list[dict[str, Any]], name: str = "hr.csv") -> str:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def employee(n: int, **changes: Any) -> dict[str, Any]:
    row = {
        "email": f"employee{n:03d}@example.com",
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "active": "true",
        "title": "Engineer",
        "department": "Engineering",
        "groups": "",
    }
    row.update(changes)
    return row
