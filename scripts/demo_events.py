"""The demo's event-driven run: `airflow dags test` starts no scheduler and no triggerer, so this starts them.

`airflow standalone` (scheduler, triggerer, DAG processor, API server; LocalExecutor on the demo's SQLite) runs
while a learner's completion is made in the emulator; the watcher of ``360learning_events_to_warehouse`` polls
it in the triggerer, its asset event starts a run, the run loads the statistic into the embedded DuckDB file.
Every wait has a deadline; standalone is stopped (its process group) whatever happens.

Usage (from run_demo.sh, with its environment): python scripts/demo_events.py EMULATOR_URL
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

DAG_ID = "360learning_events_to_warehouse"
START_DEADLINE = 150.0  # seconds for standalone to start and its triggerer to poll
RUN_DEADLINE = 150.0  # seconds from the write to the run's end


def until(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.5)


def emulator(url: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{url}/_emulator/{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def open_enrollment(url: str) -> str:
    for index in range(200):
        enrollment = f"63b21e80876807{index:010x}"
        if emulator(url, "GET", f"rows/path_session_user_stats/{enrollment}")["status"]["type"] != "successful":
            return enrollment
    raise RuntimeError("no open enrollment among the first 200")


def asset_triggered_runs() -> list[Any]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType

    with create_session() as session:
        runs = DagRun.find(dag_id=DAG_ID, run_type=DagRunType.ASSET_TRIGGERED, session=session)
        session.expunge_all()
        return list(runs)


def main(url: str) -> int:
    home = Path(os.environ["AIRFLOW_HOME"])
    subprocess.run([sys.executable, "-m", "airflow", "dags", "unpause", DAG_ID], check=True, capture_output=True)
    log = open(home / "standalone.log", "ab")  # noqa: SIM115 (closed in finally)
    # standalone starts its components as `airflow ...` from PATH: this interpreter's bin first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    standalone = subprocess.Popen(
        [sys.executable, "-m", "airflow", "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        polls = emulator(url, "GET", "stats")["requests"].get("get_events", 0)
        until(
            lambda: emulator(url, "GET", "stats")["requests"].get("get_events", 0) >= polls + 2,
            "poll of the watchers (standalone.log)",
            START_DEADLINE,
        )
        print(f"standalone up, the triggerer polls the subscriptions ({time.monotonic() - started:.0f} s)")
        before = {r.run_id for r in asset_triggered_runs()}
        enrollment = open_enrollment(url)
        written = time.monotonic()
        emulator(url, "POST", f"path-stats/{enrollment}/status", {"status": "successful"})
        print(f"learner of enrollment {enrollment} succeeds (POST /_emulator/path-stats/{enrollment}/status)")
        run = until(
            lambda: next((r for r in asset_triggered_runs() if r.run_id not in before), None),
            "asset-triggered run",
            RUN_DEADLINE,
        )
        print(f"asset-triggered run {run.run_id} created after {time.monotonic() - written:.1f} s")
        run = until(
            lambda: next(
                (r for r in asset_triggered_runs() if r.run_id == run.run_id and r.state in ("success", "failed")),
                None,
            ),
            "end of the run",
            RUN_DEADLINE - (time.monotonic() - written),
        )
        print(f"run {run.run_id}: {run.state} {time.monotonic() - written:.1f} s after the write")
        return 0 if run.state == "success" else 1
    finally:
        try:
            os.killpg(standalone.pid, signal.SIGTERM)
            standalone.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(standalone.pid, signal.SIGKILL)
            standalone.wait(10)
        except ProcessLookupError:
            pass
        log.close()
        subprocess.run([sys.executable, "-m", "airflow", "dags", "pause", DAG_ID], capture_output=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
