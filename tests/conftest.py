"""Shared test set-up: an isolated Airflow home, an emulator with test credentials whose every exchange is
checked against the official contract, and a scan of all captured output for secrets and tokens."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Before anything imports Airflow: a throw-away home per test process (each pytest-xdist worker has its
# own metadata database and embedded warehouse), no example DAGs.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
REPO = Path(__file__).resolve().parents[1]
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")

TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-secret-7f3a9c1e"  # unique enough to find in any output
TEST_EDX_CLIENT_SECRET = "test-edx-secret-5b8e2d4a"  # the edX emulator's, in tests/unit/edx
CONN_ENV = "AIRFLOW_CONN_360LEARNING_DEFAULT"

_ISSUED_TOKENS: set[str] = set()


def connection_json(
    url: str | None, *, client_id: str = TEST_CLIENT_ID, secret: str = TEST_CLIENT_SECRET, **extra: Any
) -> str:
    conn: dict[str, Any] = {
        "conn_type": "360learning",
        "login": client_id,
        "password": secret,
        "extra": {"region": "eu", **extra},
    }
    if url:
        conn["host"] = url
    return json.dumps(conn)


def contract_errors(state: Any, *, requests_must_validate: bool) -> list[str]:
    """Every recorded exchange checked against the official documents (control endpoints excluded).

    A response is checked whenever its request is within the contract (the documents say nothing of
    answers to requests they do not allow); injected faults, 429 answers and the emulator's listed
    undocumented error codes are our documented exceptions, and rows an armed anomaly broke on purpose are
    left out (the other rows of such an answer are checked). With ``requests_must_validate``, a request
    outside the contract is itself a problem: that is the rule for every request the hook sends.
    """
    from airflow_provider_360learning.testing.anomalies import without_broken_rows

    validator = _validator()
    problems = []
    for exchange in state.exchanges:
        if "/_emulator" in exchange.url:
            continue
        request_problems = validator.request_errors(
            exchange.method, exchange.url, dict(exchange.request_headers), exchange.request_body or None
        )
        if request_problems:
            if requests_must_validate:
                problems.extend(f"request {exchange.method} {exchange.url}: {e}" for e in request_problems)
            continue
        if exchange.fault or exchange.status == 429 or _undocumented_by_design(exchange):
            continue
        headers = dict(exchange.response_headers)
        body = without_broken_rows(headers, exchange.response_body)  # rows an armed anomaly broke on purpose
        for error in validator.response_errors(exchange.method, exchange.url, exchange.status, headers, body or None):
            problems.append(f"response {exchange.status} to {exchange.method} {exchange.url}: {error}")
    return problems


def _undocumented_by_design(exchange: Any) -> bool:
    """An answer the documents do not define, given where they are silent (README: emulator assumptions),
    e.g. 400 for a forged ``next`` cursor or 501 for an operation not emulated yet."""
    from airflow_provider_360learning.emulator.errors import UNDOCUMENTED_CODES, answer_outside_documents

    if answer_outside_documents(exchange.action, exchange.status, exchange.response_body):
        return True
    try:
        error = json.loads(exchange.response_body).get("error")
    except (ValueError, AttributeError):
        return False
    code = error.get("code") if isinstance(error, dict) else None
    return UNDOCUMENTED_CODES.get(code) == exchange.status


@functools.cache
def _validator() -> Any:
    from airflow_provider_360learning.testing.contract import ContractValidator

    return ContractValidator()


def _check_servers(servers: list[Any], *, requests_must_validate: bool) -> None:
    problems: list[str] = []
    for server in servers:
        _ISSUED_TOKENS.update(server.state.issued_token_values())
        problems.extend(contract_errors(server.state, requests_must_validate=requests_must_validate))
    assert not problems, "contract violations:\n" + "\n".join(problems[:20])


@pytest.fixture
def learning360_emulator(learning360_emulator: Any) -> Iterator[Any]:
    """The plugin's fixture, plus the contract check of every exchange at teardown."""
    yield learning360_emulator
    _check_servers([learning360_emulator], requests_must_validate=False)


@pytest.fixture
def learning360_emulator_factory(learning360_emulator_factory: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """The plugin's factory, plus the contract check of every exchange at teardown."""
    servers: list[Any] = []

    def start(**config: Any) -> Any:
        server = learning360_emulator_factory(**config)
        servers.append(server)
        return server

    yield start
    _check_servers(servers, requests_must_validate=False)


@pytest.fixture
def emulator_factory(learning360_emulator_factory: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """Emulators with the test credentials for hook tests: every request the hook sends must also
    satisfy the contract."""
    servers: list[Any] = []

    def start(**changes: Any) -> Any:
        server = learning360_emulator_factory(
            **{"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET, **changes}
        )
        servers.append(server)
        return server

    yield start
    _check_servers(servers, requests_must_validate=True)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite in the temporary AIRFLOW_HOME), migrated once per session: the very
    database this process's Airflow is configured with, whichever test imported Airflow first."""
    from airflow.configuration import conf

    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conf.get("database", "sql_alchemy_conn")}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=env)


@pytest.fixture
def emulator(emulator_factory: Callable[..., Any]) -> Any:
    return emulator_factory()


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch, emulator: Any) -> str:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
    return "360learning_default"


class SharedClockShift:
    """Moves the hooks' token clock and an emulator's clock forward together: a token ages by an hour
    in a test without sleeping, and the machine's speed cannot eat the refresh margin."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, state: Any) -> None:
        from airflow_provider_360learning.client import tokens as token

        self.offset = 0.0
        self._state = state
        real = token.clock
        monkeypatch.setattr(token, "clock", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._state.advance_time(seconds)


@pytest.fixture
def shift_clocks(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], SharedClockShift]:
    """``shift_clocks(emulator_state)``: a :class:`SharedClockShift` for that emulator."""
    return lambda state: SharedClockShift(monkeypatch, state)


@pytest.fixture
def fast_retry() -> dict[str, float]:
    """Hook overrides that keep retry back-off short in tests (Retry-After is still honoured)."""
    return {"backoff_initial": 0.01, "backoff_max": 0.05, "requests_per_second": 0}


def find_leaks(blob: str, secrets: set[str]) -> list[str]:
    """Which of ``secrets`` appear in ``blob`` (reported shortened, so the report itself leaks nothing)."""
    return [f"{secret[:6]}..." for secret in sorted(secrets) if secret and secret in blob]


@pytest.fixture(autouse=True)
def no_secret_in_any_output(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Fail a test whose logs or output (any logger, DEBUG included) contain the secret or an issued token."""
    caplog.set_level("DEBUG")
    yield
    captured = capfd.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    texts.extend(str(record.args) for record in caplog.records)
    leaks = find_leaks("\n".join(texts), {TEST_CLIENT_SECRET, TEST_EDX_CLIENT_SECRET, *_ISSUED_TOKENS})
    _ISSUED_TOKENS.clear()
    assert not leaks, f"secrets found in captured output: {leaks}"
