"""``python -m airflow_provider_360learning.emulator``: flags, defaults and a real run."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from airflow_provider_360learning.emulator.__main__ import build_parser, config_from_args
from airflow_provider_360learning.emulator.config import EmulatorConfig, all_scopes


def test_defaults() -> None:
    config = config_from_args([])
    assert config.host == "127.0.0.1", "never listen on every interface unless asked"
    assert (config.port, config.seed, config.scale) == (8360, 42, 1)
    assert (config.client_id, config.client_secret) == ("emulator-client-id", "emulator-client-secret")
    assert config.granted_scopes == frozenset(all_scopes()) and "pathStats:read" in config.granted_scopes
    assert (config.latency_ms, config.fault_rate, config.rate_limit, config.token_ttl) == (0, 0, 0, 3600)
    assert config.service == "all" and config.record_exchanges is False


def test_flags() -> None:
    config = config_from_args(
        [
            "--host",
            "0.0.0.0",
            "--port",
            "9000",
            "--scopes",
            "users:read, paths:read",
            "--seed",
            "7",
            "--scale",
            "3",
            "--latency-ms",
            "15",
            "--fault-rate",
            "0.2",
            "--fault-kinds",
            "502,drop",
            "--rate-limit",
            "10",
            "--token-ttl",
            "60",
            "--service",
            "360learning",
            "--client-id",
            "a",
            "--client-secret",
            "b",
        ]
    )
    assert config == EmulatorConfig(
        host="0.0.0.0",
        port=9000,
        client_id="a",
        client_secret="b",
        scopes=("users:read", "paths:read"),
        seed=7,
        scale=3,
        latency_ms=15,
        fault_rate=0.2,
        fault_kinds=("502", "drop"),
        rate_limit=10,
        token_ttl=60,
        service="360learning",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault-rate", "1.5"],
        ["--scale", "0"],
        ["--service", "moodle"],
        ["--rate-limit", "-1"],
        ["--latency-ms", "-3"],
    ],
)
def test_invalid_flags_exit(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        config_from_args(argv)


def test_help_documents_every_flag() -> None:
    text = build_parser().format_help()
    for flag in (
        "--host",
        "--port",
        "--client-id",
        "--client-secret",
        "--scopes",
        "--seed",
        "--scale",
        "--latency-ms",
        "--fault-rate",
        "--rate-limit",
        "--token-ttl",
        "--service",
    ):
        assert flag in text
    assert "127.0.0.1" in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_module_serves_the_api() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_360learning.emulator", "--port", str(port), "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            while True:
                try:
                    info = http.get("/_emulator/info")
                    break
                except httpx.TransportError:
                    assert process.poll() is None and time.monotonic() < deadline, "the emulator did not start"
                    time.sleep(0.1)
            assert info.json()["tenant"]["seed"] == 3
            token = http.post(
                "/api/v2/oauth2/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": "emulator-client-id",
                    "client_secret": "emulator-client-secret",
                },
            )
            users = http.get(
                "/api/v2/users",
                headers={"Authorization": f"Bearer {token.json()['access_token']}", "360-api-version": "v2.0"},
            )
            assert users.status_code == 200 and len(users.json()) == 200
    finally:
        process.terminate()
        process.wait(10)
