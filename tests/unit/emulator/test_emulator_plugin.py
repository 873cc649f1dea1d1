"""The pytest plugin's fixtures."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.unit.emulator.conftest import Api


def test_function_fixture_is_clean_and_records(learning360_emulator: Any) -> None:
    state = learning360_emulator.state
    assert state.stats()["requests_total"] == 0 and state.exchanges == []
    assert state.record_exchanges is True
    api = Api(learning360_emulator)
    api.get("/api/v2/groups")
    state.add_row("groups", {"name": "Left behind on purpose", "public": True})
    assert [e.action for e in state.exchanges] == ["generate_token", "list_groups"]
    api.close()


def test_fixture_reset_between_tests(learning360_emulator: Any) -> None:
    """Runs after the test above (file order): its row and exchange are gone."""
    api = Api(learning360_emulator)
    names = [g["name"] for g in api.all("/api/v2/groups")]
    assert "Left behind on purpose" not in names and len(names) == 10
    assert [e.action for e in learning360_emulator.state.exchanges] == ["generate_token", "list_groups"]
    api.close()


def test_factory_applies_flags(learning360_emulator_factory: Any) -> None:
    server = learning360_emulator_factory(seed=9, scale=2, token_ttl=5)
    assert server.running and server.url.startswith("http://127.0.0.1:")
    assert server.state.tenant.summary()["counts"]["users"] == 400
    assert server.state.settings.token_ttl == 5 and server.state.record_exchanges


def test_plugin_loads_without_the_emulator_extra() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
        "import airflow_provider_360learning.testing.pytest_plugin as p\n"
        "import airflow_provider_360learning.emulator as e\n"
        "assert callable(p.learning360_emulator_factory) and e.EmulatorConfig().port == 8360\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
