"""One real Airflow stack shared by the end-to-end tests of the session (see ``stack_runs``), stopped at the
end, with a check that it left no process and no database behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack_runs import RunAllReport, airflow_stack, collect_tokens, run_every_dag, warehouse_snapshot


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The stack of the e2e session: CeleryExecutor, PostgreSQL, Redis, triggerer, emulator; stopped at the end."""
    with airflow_stack.AirflowStack(
        name="airflow_stack_e2e", workers=1, worker_concurrency=4, schedules=False, fast_failover=True, redis_db=14
    ) as running:
        started: set[int] = set()
        original_spawn = running._spawn

        def spawn(key: str, cmd: list[str]) -> int:
            pid = int(original_spawn(key, cmd))
            started.add(pid)
            return pid

        running._spawn = spawn
        started.update(running.state["pids"].values())
        yield running
        databases = list(running.state["databases"])
    # After stop: every process group it started is gone, and so are its databases.
    import psutil

    left = [
        (p.pid, p.name())
        for p in psutil.process_iter()
        if _pgid(p.pid) in started and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not left, f"stack left process groups behind: {left}"
    conn = airflow_stack._pg()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (databases,))
            assert cur.fetchall() == [], "stack left its databases behind"
    finally:
        conn.close()


@pytest.fixture(scope="session")
def clean_run(stack: Any) -> RunAllReport:
    """Every DAG once against a clean emulator; the warehouse content is kept for the chaos run to compare."""
    report = run_every_dag(stack)
    collect_tokens(stack, report.tokens)
    report.warehouse = warehouse_snapshot(stack)
    return report
