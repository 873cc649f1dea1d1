"""The example DAGs on ONE emulator at a seed other than the default (docs/emulator.md, "One tenant"):

1. ``360learning_scim_provisioning`` creates the HR export's users over SCIM; they are 360Learning users;
2. ``360learning_edx_catalog_sync`` imports the edX catalog;
3. ``360learning_edx_learner_stats_sync`` sends statistics for those SCIM-created users (matched by email);
4. ``360learning_stats_to_warehouse`` loads their statistics into a temporary warehouse;

and a second run of each, nothing having changed, sends no write (the emulator's own counters). Also: every
DAG of ``dags/`` runs with no conf on a fresh emulator in the documented order (producers first, as
``make demo`` runs them) and in the reverse order (statistics before the catalog: deferred, not failed).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CONN_ENV, REPO, TEST_EDX_CLIENT_SECRET, connection_json
from tests.unit.dag_runs import DagResult, run_dag
from tests.unit.dags.test_edx_learner_stats_sync import counted
from tests.unit.edx.conftest import EDX_CONN_ENV, TEST_EDX_CLIENT_ID, edx_connection_json

SEED = 7
"""Not the default seed (42)."""
SCIM_TOKEN = "one-tenant-e2e-scim-token"
SCIM_CONN_ENV = "AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT"
WAREHOUSE_ENV = "AIRFLOW_CONN_360LEARNING_WAREHOUSE"
SAMPLE = REPO / "dags" / "data" / "hr_employees.csv"
SCIM_DAG = "360learning_scim_provisioning"
CATALOG_DAG = "360learning_edx_catalog_sync"
STATS_DAG = "360learning_edx_learner_stats_sync"
LOAD_DAG = "360learning_stats_to_warehouse"
REPORTING_DAG = "360learning_reporting"
STATS_CONTENT = (
    "SELECT id, user_id, course_id, progress, score, first_activity_at, last_activity_at, completed_at, time_spent "
    "FROM learning360_course_stats ORDER BY id"
)
"""The loaded statistics without the load's bookkeeping columns (``_load_id``, ``_loaded_at``)."""


@dataclass
class OneTenant:
    """One emulator (360Learning, SCIM and edX) and a temporary SQLite warehouse, all four connections set."""

    server: Any
    warehouse: Path

    def writes(self) -> dict[str, int]:
        """Requests that change something, from the emulator's counters: 360Learning API writes, SCIM non-GETs."""
        core = httpx.get(f"{self.server.url}/_emulator/stats", timeout=30).json()
        scim = httpx.get(f"{self.server.url}/_emulator/scim/stats", timeout=30).json()
        return {
            "360learning": int(core["traffic"]["write_requests"]),
            "scim": sum(n for endpoint, n in scim["requests"].items() if not endpoint.startswith("GET")),
        }

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.warehouse) as db:
            return list(db.execute(sql))


@pytest.fixture
def one_tenant(
    airflow_db: None, emulator_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> OneTenant:
    server = emulator_factory(
        seed=SEED,
        scim_token=SCIM_TOKEN,
        bulk_seconds_per_state=0,
        edx_client_id=TEST_EDX_CLIENT_ID,
        edx_client_secret=TEST_EDX_CLIENT_SECRET,
    )
    warehouse = tmp_path / "warehouse.db"
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    monkeypatch.setenv(EDX_CONN_ENV, edx_connection_json(server.url, requests_per_second=0))
    monkeypatch.setenv(
        SCIM_CONN_ENV,
        json.dumps({"conn_type": "360learning_scim", "host": f"{server.url}/scim/v2", "password": SCIM_TOKEN}),
    )
    monkeypatch.setenv(WAREHOUSE_ENV, json.dumps({"conn_type": "sqlite", "host": str(warehouse)}))
    return OneTenant(server, warehouse)


@pytest.fixture(scope="module")
def dags(airflow_db: None) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return dict(bag.dags)


def documented_order(dags: dict[str, Any]) -> list[str]:
    """Producers first, Asset-scheduled DAGs after them, each group by id (``scripts/list_dag_ids.py``)."""

    def asset_scheduled(dag_id: str) -> bool:
        return type(dags[dag_id].timetable).__name__ == "AssetTriggeredTimetable"

    return sorted(dags, key=lambda dag_id: (asset_scheduled(dag_id), dag_id))


def run(dags: dict[str, Any], dag_id: str) -> DagResult:
    result = run_dag(dags[dag_id])
    assert result.succeeded, (dag_id, result.states)
    return result


def test_scim_users_get_their_edx_statistics_into_the_warehouse_and_second_runs_write_nothing(
    one_tenant: OneTenant, dags: dict[str, Any]
) -> None:
    from airflow_provider_360learning.hooks.edx import EdxHook
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook(requests_per_second=0)
    with SAMPLE.open() as handle:
        hr = {row["email"].lower(): row for row in csv.DictReader(handle) if row["active"] == "true"}

    # 1. SCIM provisioning creates the HR users: they are 360Learning users with their names.
    run(dags, SCIM_DAG)
    users = {u["mail"].lower(): u for u in hook.iter_action("list_users") if u.get("mail")}
    assert set(hr) <= set(users)
    for email, row in hr.items():
        assert (users[email]["firstName"], users[email]["lastName"], users[email]["status"]) == (
            row["given_name"],
            row["family_name"],
            "active",
        )
    scim_ids = {users[email]["_id"]: email for email in hr}

    # 2. The catalog sync imports edX's courses.
    run(dags, CATALOG_DAG)

    # 3. The learner statistics of the SCIM-created users are sent: each (learner, course) of theirs that the
    #    sync imports becomes a statistic of that user (360Learning's own list of statistics says so).
    summary = [
        r
        for r in EdxHook(requests_per_second=0).iter_learner_summary()
        if (r.get("user_email") or "").lower() in hr and counted(r)
    ]
    integration = next(hook.iter_action("get_integrations", externalPlatform={"eq": "edX"}))
    courses = {
        key: hook.call_action("get_external_course", integrationId=integration["_id"], externalId=key)["courseId"]
        for key in {r["course_key"] for r in summary}
    }
    expected = {(users[r["user_email"].lower()]["_id"], courses[r["course_key"]]) for r in summary}
    assert {scim_ids[user] for user, _ in expected} == set(hr)  # every SCIM-created user learns on edX
    run(dags, STATS_DAG)
    imported = {
        (s["userId"], s["courseId"]) for s in hook.iter_action("list_courses_statistics") if s["userId"] in scim_ids
    }
    assert imported == expected

    # 4. The warehouse load shows their statistics.
    run(dags, LOAD_DAG)
    loaded = {
        (user, course)
        for user, course in one_tenant.rows("SELECT user_id, course_id FROM learning360_course_stats")
        if user in scim_ids
    }
    assert loaded == expected

    # A second run of each, nothing changed: no write reaches 360Learning or SCIM, the warehouse is the same.
    writes = one_tenant.writes()
    assert writes["360learning"] > 0 and writes["scim"] > 0  # the first runs wrote: the counters do count
    before = one_tenant.rows(STATS_CONTENT)
    for dag_id in (SCIM_DAG, CATALOG_DAG, STATS_DAG, LOAD_DAG):
        run(dags, dag_id)
        assert one_tenant.writes() == writes, dag_id
    assert one_tenant.rows(STATS_CONTENT) == before


@pytest.mark.parametrize("order", ["documented", "reverse"])
def test_every_dag_runs_with_no_conf_on_a_fresh_emulator(
    one_tenant: OneTenant, dags: dict[str, Any], order: str
) -> None:
    dag_ids = documented_order(dags)
    assert dag_ids.index(CATALOG_DAG) < dag_ids.index(STATS_DAG)
    if order == "reverse":
        dag_ids.reverse()
    results = {dag_id: run_dag(dags[dag_id]) for dag_id in dag_ids}
    failed = {dag_id: r.states for dag_id, r in results.items() if not r.succeeded}
    if order == "reverse":  # statistics before the catalog: deferred, and sent by the run after the catalog
        counts = results[STATS_DAG].xcom["report"]["counts"]
        assert counts["deferred"] > 0 and results[STATS_DAG].xcom["report"]["recorded"] == 0, counts
        after = run(dags, STATS_DAG).xcom["report"]
        assert after["recorded"] > 0 and after["counts"]["deferred"] < counts["deferred"], after["counts"]
        # Reports before any load: skipped, naming the tables to load first (not a failure).
        assert results[REPORTING_DAG].states.get("build_reports") == "skipped", results[REPORTING_DAG].states
    assert failed == {}
