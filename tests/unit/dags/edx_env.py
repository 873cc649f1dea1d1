"""What the edX sync DAG tests share: one emulator serving 360Learning (bulk operations done at the first
read, every request contract-checked) and edX, the three connections, and the DAGs as the folder defines them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.emulator.edx import EdxState, edx_state
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from tests.conftest import _ISSUED_TOKENS, CONN_ENV, REPO, TEST_EDX_CLIENT_SECRET, connection_json
from tests.unit.edx.conftest import EDX_CONN_ENV, TEST_EDX_CLIENT_ID, edx_connection_json

WAREHOUSE_ENV = "AIRFLOW_CONN_360LEARNING_WAREHOUSE"
CATALOG_DAG = "360learning_edx_catalog_sync"
STATS_DAG = "360learning_edx_learner_stats_sync"
DAG_FILES = {CATALOG_DAG: "edx_catalog_sync.py", STATS_DAG: "edx_learner_stats_sync.py"}
WRITES = ("import_external_courses", "archive_external_courses", "import_external_statistics")


@dataclass
class EdxSync:
    """A running emulator as these tests see it."""

    server: Any
    warehouse: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def url(self) -> str:
        return str(self.server.url)

    @property
    def edx(self) -> EdxState:
        return edx_state(self.server.state)

    @property
    def hook(self) -> ThreeSixtyLearningHook:
        return ThreeSixtyLearningHook()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        content = None if body is None else json.dumps(body)  # NaN allowed: edX rows may carry one
        headers = {"Content-Type": "application/json"}
        response = httpx.request(method, f"{self.url}{path}", content=content, headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()

    def writes(self) -> dict[str, int]:
        requests = self.server.state.stats()["requests"]
        return {action: int(requests.get(action, 0)) for action in WRITES}

    def integration(self) -> dict[str, Any]:
        return next(self.hook.iter_action("get_integrations", externalPlatform={"eq": "edX"}))

    def use_edx(self, **extra: Any) -> None:
        self.monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(self.url, requests_per_second=0, **extra))

    def use_edx_secret(self, secret: str) -> None:
        self.monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(self.url, secret=secret, requests_per_second=0))


@pytest.fixture
def sync(emulator_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EdxSync]:
    """The emulator with the test credentials of both sides, a fresh SQLite warehouse (sync state) per test."""
    server = emulator_factory(
        bulk_seconds_per_state=0, edx_client_id=TEST_EDX_CLIENT_ID, edx_client_secret=TEST_EDX_CLIENT_SECRET
    )
    env = EdxSync(server, tmp_path / "warehouse.db", monkeypatch)
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    env.use_edx()
    monkeypatch.setenv(WAREHOUSE_ENV, json.dumps({"conn_type": "sqlite", "host": str(env.warehouse)}))
    yield env
    _ISSUED_TOKENS.update(env.edx.issued_token_values())


@pytest.fixture(scope="module")
def dags(airflow_db: None) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    dags = {}
    for dag_id, file in DAG_FILES.items():  # only these files: another DAG of the folder does not matter here
        bag = DagBag(dag_folder=str(REPO / "dags" / file))
        assert bag.import_errors == {}
        dags[dag_id] = bag.get_dag(dag_id)
    return dags
