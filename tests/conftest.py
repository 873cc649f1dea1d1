"""Shared test set-up: an isolated Airflow home, an emulator with test credentials whose every exchange is
checked against the official contract, and a scan of all captured output for secrets and tokens."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Before anything imports Airflow: a throw-away home, no example DAGs.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-secret-7f3a9c1e"  # unique enough to find in any output
CONN_ENV = "AIRFLOW_CONN_360LEARNING_DEFAULT"

_ISSUED_TOKENS: set[str] = set()


def connection_json(url: str | None, *, client_id: str = TEST_CLIENT_ID, secret: str = TEST_CLIENT_SECRET, **extra: Any) -> str:
    conn: dict[str, Any] = {"conn_type": "360learning", "login": client_id, "password": secret, "extra": {"region": "eu", **extra}}
    if url:
        conn["host"] = url
    return json.dumps(conn)


def _contract_errors(state: Any) -> list[str]:
    from airflow_provider_360learning.testing.contract import ContractValidator

    validator = _validator()
    problems = []
    for exchange in state.exchanges:
        if exchange.url.split("?")[0].rstrip("/").endswith("/_emulator") or "/_emulator/" in exchange.url:
            continue
        headers = dict(exchange.request_headers)
        for error in validator.request_errors(exchange.method, exchange.url, headers, exchange.request_body or None):
            problems.append(f"request {exchange.method} {exchange.url}: {error}")
        # Injected faults and rate-limit answers are outside the contract (README: emulator assumptions).
        if exchange.fault or exchange.status == 429:
            continue
        for error in validator.response_errors(
            exchange.method, exchange.url, exchange.status, dict(exchange.response_headers), exchange.response_body or None
        ):
            problems.append(f"response {exchange.status} to {exchange.method} {exchange.url}: {error}")
    assert isinstance(validator, ContractValidator)
    return problems


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        from airflow_provider_360learning.testing.contract import ContractValidator

        _VALIDATOR = ContractValidator()
    return _VALIDATOR


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Any]]:
    """Start emulators with test credentials; at teardown every recorded exchange must satisfy the contract."""
    from airflow_provider_360learning.emulator.config import EmulatorConfig
    from airflow_provider_360learning.emulator.server import EmulatorServer

    servers: list[Any] = []

    def start(**changes: Any) -> Any:
        config = EmulatorConfig(
            port=0, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, record_exchanges=True
        ).with_changes(**changes)
        server = EmulatorServer(config)
        server.start()
        servers.append(server)
        return server

    yield start
    problems: list[str] = []
    for server in servers:
        _ISSUED_TOKENS.update(server.state.issued_token_values())
        problems.extend(_contract_errors(server.state))
        server.stop()
    assert not problems, "contract violations:\n" + "\n".join(problems[:20])


@pytest.fixture
def emulator(emulator_factory: Callable[..., Any]) -> Any:
    return emulator_factory()


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch, emulator: Any) -> str:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    return "360learning_default"


@pytest.fixture
def fast_retry() -> dict[str, float]:
    """Hook overrides that keep retry back-off short in tests (Retry-After is still honoured)."""
    return {"backoff_initial": 0.01, "backoff_max": 0.05, "requests_per_second": 0}


@pytest.fixture(autouse=True)
def no_secret_in_any_output(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Fail a test whose logs or output (any logger, DEBUG included) contain the secret or an issued token."""
    caplog.set_level("DEBUG")
    yield
    captured = capfd.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    texts.extend(str(record.args) for record in caplog.records)
    blob = "\n".join(texts)
    leaks = [TEST_CLIENT_SECRET] if TEST_CLIENT_SECRET in blob else []
    leaks += [f"token {t[:6]}..." for t in _ISSUED_TOKENS if t in blob]
    _ISSUED_TOKENS.clear()
    assert not leaks, f"secrets found in captured output: {leaks}"
