"""The provider in a real Airflow: every DAG of ``dags/`` triggered through the REST API on the local stack
(CeleryExecutor, PostgreSQL, Redis, triggerer), then the same run under faults with a Celery worker killed
mid-task, then a scan of everything Airflow kept for the secrets and the tokens the emulators issued."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack_runs import (
    RunAllReport,
    collect_tokens,
    empty_warehouse,
    run_every_dag,
    warehouse_snapshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CHAOS_EMULATOR_ARGS = ["--fault-rate", "0.1", "--token-ttl", "15", "--latency-ms", "150"]
"""Faults on one request in ten (500, 502, 503, dropped connection), tokens that expire during a run, and
slow answers so that the killed task is surely mid-flight."""
KILL_TARGET = ("360learning_fetch_demo", "count_entities")
"""The task running when the worker is killed: no retries of its own, so it gets the stack's default."""
RUN_ID_PREFIXES = ("manual__", "scheduled__", "asset_triggered__", "backfill__")


def _load_stamp(value: str) -> bool:
    """A value naming the DAG run that wrote the row, or dated today: the emulator's data is all dated
    before the run (anchored on 2026-01-01), so today's date can only be a load time (e.g. the load log)."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return any(prefix in value for prefix in RUN_ID_PREFIXES) or today in value


LOAD_METADATA_COLUMNS = {"_loaded_at", "loaded_at", "synced_at", "_synced_at", "finished_at"}


def is_load_metadata(table: str, column: str) -> bool:
    """A column that records when or by which run a row was loaded; and the edX sync state's content hash,
    a fingerprint of the course as mapped, which includes what the edX emulator derives from its start time."""
    return (
        column in LOAD_METADATA_COLUMNS
        or column.endswith("run_id")
        or (table.startswith("_360learning_edx") and column == "content_hash")
    )


def comparable(snapshot: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Warehouse tables without the columns that record when (or by which run) a row was loaded."""
    out = {}
    for table, (columns, *rows) in snapshot.items():
        stamped = {i for i in range(len(columns)) if any(_load_stamp(r[i]) for r in rows)}
        keep = [i for i, c in enumerate(columns) if not is_load_metadata(table, c) and i not in stamped]
        out[table] = [tuple(columns[i] for i in keep), *sorted(tuple(r[i] for i in keep) for r in rows)]
    return out


def assert_every_run_succeeded(report: RunAllReport) -> None:
    failed = {
        d: (r.state, {t: s for t, s in r.observed.items() if s[-1] != "success"})
        for d, r in report.runs.items()
        if r.state != "success"
    }
    assert not failed, f"DAG runs not successful: {failed}"
    for run in report.runs.values():
        assert all(ti["state"] in ("success", "skipped") for ti in run.task_instances), (run.dag_id, run.observed)


def assert_deferred_and_resumed(stack: Any, report: RunAllReport) -> list[tuple[str, str]]:
    """Each deferred task was handed to the triggerer, whose trigger fired success, and then ended in success."""
    deferred = report.deferred_tasks()
    assert ("360learning_deferrable_demo", "wait_for_operation") in deferred, deferred
    logs = stack.home / "logs"
    for dag_id, task_id in deferred:
        run = report.runs[dag_id]
        assert run.observed[task_id][-1] == "success", (dag_id, task_id, run.observed[task_id])
        trigger_logs = list(logs.glob(f"dag_id={dag_id}/run_id={run.run_id}/task_id={task_id}/*.trigger.*.log"))
        assert trigger_logs, f"no triggerer log for {dag_id}.{task_id}"
        text = "\n".join(p.read_text() for p in trigger_logs)
        assert "Trigger fired event" in text and "'status': 'success'" in text, text[-2000:]
    return deferred


def test_clean_run_every_dag_succeeds_on_celery(stack: Any, clean_run: RunAllReport) -> None:
    dag_files = {p.stem for p in (Path(__file__).resolve().parents[2] / "dags").glob("*.py")}
    assert len(clean_run.runs) >= len(dag_files), (sorted(clean_run.runs), sorted(dag_files))
    assert_every_run_succeeded(clean_run)
    # The Celery worker ran them (not a local executor).
    conn = stack.metadata_db()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT DISTINCT executor, hostname FROM task_instance")
            executors = cur.fetchall()
    finally:
        conn.close()
    assert all(e is None or "Celery" in e for e, _ in executors), executors
    assert_deferred_and_resumed(stack, clean_run)
    # The warehouse (PostgreSQL) holds every table the stats DAG loads and the reports built from them.
    warehouse = clean_run.warehouse
    for table in ("users", "groups", "courses", "course_stats", "paths", "path_sessions", "path_stats"):
        assert len(warehouse[f"learning360_{table}"]) > 1, f"learning360_{table} is empty"
    assert any(t.startswith("report_360learning_") for t in warehouse), sorted(warehouse)
    print(
        "clean run:",
        {d: f"{r.state} {r.seconds:.0f}s" for d, r in clean_run.runs.items()},
        f"total {clean_run.seconds:.0f}s, rows {sum(len(v) - 1 for v in warehouse.values())}",
    )


@pytest.fixture(scope="module")
def chaos_run(stack: Any, clean_run: RunAllReport) -> dict[str, Any]:
    """The same run with faults, short tokens, slow answers and worker-1 SIGKILLed while a task runs."""
    empty_warehouse(stack)
    stack.restart_emulator(CHAOS_EMULATOR_ARGS)
    killed: dict[str, Any] = {}

    def kill_mid_task(dag_id: str, tis: list[dict[str, Any]]) -> None:
        if killed or dag_id != KILL_TARGET[0]:
            return
        running = [ti for ti in tis if ti["task_id"] == KILL_TARGET[1] and ti["state"] == "running"]
        if running:
            killed["try_number"] = running[0]["try_number"]
            killed["processes"] = stack.kill_worker(1)
            killed["at"] = time.monotonic()
            stack.start_worker(1)
            killed["restarted_after"] = time.monotonic() - killed["at"]

    report = run_every_dag(stack, on_poll=kill_mid_task)
    collect_tokens(stack, report.tokens)
    stats = stack.emulator_json("stats")
    return {"report": report, "killed": killed, "stats": stats, "warehouse": warehouse_snapshot(stack)}


def test_chaos_run_ends_like_the_clean_run(stack: Any, clean_run: RunAllReport, chaos_run: dict[str, Any]) -> None:
    report: RunAllReport = chaos_run["report"]
    killed = chaos_run["killed"]
    assert killed, f"{KILL_TARGET} was never seen running: {report.runs[KILL_TARGET[0]].observed}"
    assert_every_run_succeeded(report)  # no task needed a person: nothing was cleared or marked by hand
    target = next(ti for ti in report.runs[KILL_TARGET[0]].task_instances if ti["task_id"] == KILL_TARGET[1])
    assert target["try_number"] == killed["try_number"] + 1, (target, killed)
    assert "up_for_retry" in report.runs[KILL_TARGET[0]].observed[KILL_TARGET[1]] or target["try_number"] > 1
    assert_deferred_and_resumed(stack, report)
    stats = chaos_run["stats"]
    assert stats["faults_total"] > 0, stats
    clean, chaos = comparable(clean_run.warehouse), comparable(chaos_run["warehouse"])
    assert sorted(chaos) == sorted(clean)
    for table in clean:
        assert chaos[table] == clean[table], f"warehouse table {table} differs after the chaos run"
    retried = sorted(
        f"{r.dag_id}.{ti['task_id']}#{ti['try_number']}"
        for r in report.runs.values()
        for ti in r.task_instances
        if ti["try_number"] > 1
    )
    rows = sum(len(v) - 1 for v in clean.values())
    print(
        f"chaos run: faults injected {stats['faults_total']} {stats['faults']} of {stats['requests_total']} API "
        f"requests, 401s {stats['statuses'].get('401', 0)}, tokens issued {stats['tokens_issued']}; worker-1 "
        f"SIGKILLed ({killed['processes']} processes) during {'.'.join(KILL_TARGET)} try {killed['try_number']}, "
        f"restarted in {killed['restarted_after']:.0f}s; task retries {len(retried)} {retried}; warehouse: "
        f"{len(clean)} tables, {rows} rows compared, equal; total {report.seconds:.0f}s"
    )


def test_no_secret_or_token_in_logs_xcoms_or_rendered_fields(
    stack: Any, clean_run: RunAllReport, chaos_run: dict[str, Any]
) -> None:
    tokens = {t for run in (clean_run, chaos_run["report"]) for values in run.tokens.values() for t in values}
    assert len(clean_run.tokens["360learning"]) > 0 and len(chaos_run["report"].tokens["360learning"]) > 0
    secrets = {*stack.secrets.values(), *tokens} - {stack.secrets["client_id"], stack.secrets["edx_client_id"]}
    found: list[str] = []
    scanned_files = 0
    for path in stack.iter_logs():
        if path.name == "emulator.log":  # the other side of the wire: it knows its own credentials
            continue
        scanned_files += 1
        blob = path.read_bytes().decode("utf-8", "replace")
        found.extend(f"{path.relative_to(stack.run_dir)}: {s[:6]}..." for s in secrets if s in blob)
    queries = {
        "xcom": "SELECT dag_id || '.' || task_id || '.' || key, value::text FROM xcom",
        "rendered fields": "SELECT dag_id || '.' || task_id, rendered_fields::text FROM rendered_task_instance_fields",
        "dag run conf": "SELECT dag_id, conf::text FROM dag_run",
        "next kwargs": "SELECT dag_id || '.' || task_id, next_kwargs::text FROM task_instance",
        "audit log": "SELECT event, extra FROM log",
    }
    counts: dict[str, int] = {}
    conn = stack.metadata_db()
    try:
        with conn.cursor() as cur:
            for what, sql in queries.items():
                cur.execute(sql)
                rows = cur.fetchall()
                counts[what] = len(rows)
                found.extend(
                    f"{what} {name}: {s[:6]}..." for name, value in rows for s in secrets if value and s in value
                )
    finally:
        conn.close()
    assert counts["xcom"] > 0 and counts["rendered fields"] > 0 and scanned_files > 10, (counts, scanned_files)
    assert not found, f"secrets found: {found}"
    print(f"secret scan: {len(secrets)} secrets and tokens, {scanned_files} log files, {counts}; secrets found: 0")
