"""Requests and time of the two edX sync DAGs at scale: a 10,000-course catalog and 50,000 learner-summary rows
(emulator ``--scale 200``). Usage: ``python benchmarks/bench_edx.py [--scale 200]``.

Each DAG runs twice with ``airflow dags test`` on a fresh Airflow home (catalog sync, then learner stats, the
same order as ``make demo``): a first run (everything new) and a second one (nothing changed in edX). The
emulator runs in its own process; counts come from its counters (``/_emulator/stats`` and
``/_emulator/edx/stats``), so they are the requests it received, token requests and polls included. The
edX hook's client-side rate limit (1 request/s by default, the gateway's throttle) is switched off, as it
would only measure the limit; with it, add one second per edX request.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DAGS = ("360learning_edx_catalog_sync", "360learning_edx_learner_stats_sync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def counters(base: str) -> tuple[Counter[str], Counter[str], int, int]:
    learning, edx = get(f"{base}/_emulator/stats"), get(f"{base}/_emulator/edx/stats")
    return Counter(learning["requests"]), Counter(edx["requests"]), learning["token_requests"], edx["token_requests"]


def task_seconds(home: Path, dag_id: str) -> dict[str, float]:
    """Duration of each task of the DAG's latest run, from the Airflow metadata database."""
    import sqlite3

    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, (julianday(end_date) - julianday(start_date)) * 86400 FROM task_instance WHERE run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1) AND dag_id = ? ORDER BY start_date",
            (dag_id, dag_id),
        ).fetchall()
    return {task: round(seconds or 0.0, 1) for task, seconds in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=200)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-edx-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_360LEARNING_DEFAULT": json.dumps(
            {
                "conn_type": "360learning",
                "login": "emulator-client-id",
                "password": "emulator-client-secret",
                "host": base,
                "extra": {"requests_per_second": 0},
            }
        ),
        "AIRFLOW_CONN_EDX_DEFAULT": json.dumps(
            {
                "conn_type": "360learning_edx",
                "login": "emulator-edx-client-id",
                "password": "emulator-edx-client-secret",
                "host": base,
                "extra": {"requests_per_second": 0},
            }
        ),
    }
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_360learning.emulator",
            "--port",
            str(port),
            "--scale",
            str(args.scale),
            "--bulk-seconds-per-state",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                info = get(f"{base}/_emulator/edx/info")
                break
            except OSError:
                time.sleep(0.2)
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
        results: dict[str, Any] = {
            "scale": args.scale,
            "edx": {k: info[k] for k in ("catalogs", "learner_summary_count") if k in info},
        }
        for dag_id in DAGS:
            for run in ("first", "second"):
                before = counters(base)
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "airflow", "dags", "test", dag_id], env=env, capture_output=True, text=True
                )
                seconds = round(time.perf_counter() - started, 1)
                after = counters(base)
                learning, edx = after[0] - before[0], after[1] - before[1]
                results[f"{dag_id} ({run} run)"] = {
                    "ok": done.returncode == 0 and "state=success" in done.stdout + done.stderr,
                    "seconds": seconds,
                    "360learning_requests": dict(sorted(learning.items())),
                    "360learning_total": sum(learning.values()),
                    "360learning_token_requests": after[2] - before[2],
                    "edx_requests": dict(sorted(edx.items())),
                    "edx_total": sum(edx.values()),
                    "edx_token_requests": after[3] - before[3],
                }
                results[f"{dag_id} ({run} run)"]["task_seconds"] = task_seconds(home, dag_id)
                if done.returncode:
                    (home / f"{dag_id}-{run}.log").write_text(done.stdout + done.stderr)
        print(json.dumps(results, indent=2))
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


if __name__ == "__main__":
    main()
