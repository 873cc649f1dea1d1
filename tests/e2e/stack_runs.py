"""Running every DAG of ``dags/`` on the local Airflow stack (``scripts/airflow_stack.py``) through the REST API.

The stack runs with ``--no-schedules`` (only the runs the tests trigger: a daily DAG unpaused with
``catchup=False`` would otherwise start a run of its own) and fast failover (a lost worker is noticed in
~20 s). DAGs run in waves (:data:`WAVES`) chosen so that two runs against the same seeded emulator load
the same warehouse.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TERMINAL_RUN_STATES = {"success", "failed"}
DAG_TIMEOUT = float(os.environ.get("E2E_DAG_TIMEOUT", "420"))


def _load_stack_module() -> Any:
    spec = importlib.util.spec_from_file_location("airflow_stack", REPO / "scripts" / "airflow_stack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["airflow_stack"] = module
    spec.loader.exec_module(module)
    return module


airflow_stack = _load_stack_module()


@dataclass
class DagRunReport:
    dag_id: str
    run_id: str
    state: str
    seconds: float
    task_instances: list[dict[str, Any]]
    observed: dict[str, list[str]] = field(default_factory=dict)
    """Every state each task was seen in while the run was polled (``deferred`` proves a deferral)."""


@dataclass
class RunAllReport:
    runs: dict[str, DagRunReport]
    seconds: float
    tokens: dict[str, list[str]] = field(default_factory=dict)
    warehouse: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def deferred_tasks(self) -> list[tuple[str, str]]:
        return [(r.dag_id, task) for r in self.runs.values() for task, seen in r.observed.items() if "deferred" in seen]


def is_asset_scheduled(dag: dict[str, Any]) -> bool:
    return dag.get("timetable_summary") == "Asset" or "asset" in str(dag.get("timetable_description", "")).lower()


def discover_dags(api: Any) -> list[dict[str, Any]]:
    """Every DAG the stack parsed from ``dags/``, producers first (the order ``list_dag_ids.py`` prints)."""
    errors = api.get("/importErrors")
    assert errors["total_entries"] == 0, f"DAG import errors: {errors['import_errors']}"
    dags = api.paged("/dags", "dags")
    return sorted(dags, key=lambda d: (is_asset_scheduled(d), d["dag_id"]))


WAVES: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "360learning_deferrable_demo",
            "360learning_edx_catalog_sync",
            "360learning_fetch_demo",
            "360learning_scim_provisioning",
        }
    ),
    frozenset({"360learning_edx_learner_stats_sync"}),
)
"""DAGs run together, wave after wave, as a deployment runs its daily DAGs side by side. The waves keep
what one DAG writes and another reads in order (edX courses and SCIM users before the learner statistics
that match them), and no two DAGs of a wave create objects of the same kind (the emulator numbers new
objects in order of creation), so two runs land the same warehouse. DAGs of no wave then run one at a
time, producers before the DAGs scheduled on their Assets (the statistics extraction, then the report)."""


def _waves(dags: list[dict[str, Any]]) -> list[list[str]]:
    ids = [d["dag_id"] for d in dags]
    waves = [[d for d in ids if d in wave] for wave in WAVES]
    return [w for w in waves if w] + [[d] for d in ids if not any(d in wave for wave in WAVES)]


def run_every_dag(stack: Any, on_poll: Callable[[str, list[dict[str, Any]]], None] | None = None) -> RunAllReport:
    """Unpause and trigger each DAG (default params) through the REST API, wave by wave (:data:`WAVES`), and
    wait for every run of a wave before the next."""
    api = stack.api()
    started = time.monotonic()
    runs: dict[str, DagRunReport] = {}
    for wave in _waves(discover_dags(api)):
        t0 = time.monotonic()
        pending: dict[str, str] = {}
        observed: dict[str, dict[str, list[str]]] = {}
        for dag_id in wave:
            api.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            pending[dag_id] = api.request("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None})["dag_run_id"]
            observed[dag_id] = {}
        deadline = t0 + DAG_TIMEOUT
        while pending:
            for dag_id, run_id in list(pending.items()):
                state = api.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
                tis = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000)["task_instances"]
                for ti in tis:
                    seen = observed[dag_id].setdefault(ti["task_id"], [])
                    if ti["state"] and (not seen or seen[-1] != ti["state"]):
                        seen.append(ti["state"])
                if on_poll is not None:
                    on_poll(dag_id, tis)
                if state in TERMINAL_RUN_STATES:
                    runs[dag_id] = DagRunReport(dag_id, run_id, state, time.monotonic() - t0, tis, observed[dag_id])
                    del pending[dag_id]
            if pending:
                assert time.monotonic() < deadline, (
                    f"{sorted(pending)} still running after {DAG_TIMEOUT:.0f} s: {observed}"
                )
                time.sleep(0.3)
    return RunAllReport(runs, time.monotonic() - started)


def collect_tokens(stack: Any, into: dict[str, list[str]]) -> None:
    """Add every token the running emulator issued (before it is stopped or restarted)."""
    for service, tokens in stack.emulator_json("tokens/issued").items():
        into.setdefault(service, []).extend(t for t in tokens if t not in into.get(service, []))


def warehouse_snapshot(stack: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the warehouse database, rows sorted (as text, so any column type compares)."""
    conn = stack.warehouse()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
            tables = [row[0] for row in cur.fetchall()]
            snapshot = {}
            for table in tables:
                cur.execute(f'SELECT * FROM "{table}"')
                columns = [c.name for c in cur.description]
                rows = sorted(tuple(str(v) for v in row) for row in cur.fetchall())
                snapshot[table] = [tuple(columns), *rows]
            return snapshot
    finally:
        conn.close()


def empty_warehouse(stack: Any) -> None:
    conn = stack.warehouse()
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()
