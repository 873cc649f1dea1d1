"""Benchmark: the whole ``360learning_stats_to_warehouse`` DAG on the real stack, its tables loaded in parallel
within one tenant budget (issue 18).

Starts ``scripts/airflow_stack.py`` (Celery executor, one worker with ``--concurrency`` task slots, the budget
shared through Redis), the emulator at ``--scale`` with ``--latency-ms`` and ``--rate-limit documented``, and
triggers one full-refresh run of the stats DAG (into the stack's PostgreSQL warehouse). Reports the run's wall
time (first task start to last task end), the API pages every task read (the emulator's counters), the time those
pages take at the ceiling (pages / 50 GET/s), the 429s, and each load task's time and partitions.

``airflow dags test`` runs tasks one at a time; only the real stack shows the tables sharing the budget.

Two runs by default: the first fills the warehouse; the second is the daily refresh (the statistics table's
partitions then sized from the rows the first one loaded).

Usage: python benchmarks/bench_stack_stats.py [--scale 200] [--latency-ms 150] [--concurrency 8] [--runs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import pendulum

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "360learning_stats_to_warehouse"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--runs", type=int, default=2, help="full-refresh runs; run 2 on is a daily refresh")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "scripts"))
    import airflow_stack

    stack = airflow_stack.AirflowStack(
        name="bench_stack_stats",
        worker_concurrency=args.concurrency,
        emulator_args=[
            "--scale",
            str(args.scale),
            "--latency-ms",
            f"{args.latency_ms:g}",
            "--rate-limit",
            "documented",
        ],
        schedules=False,
        redis_db=args.redis_db,
    )
    with stack:
        api = stack.api()
        for _ in range(120):
            if any(d["dag_id"] == DAG_ID for d in api.paged("/dags", "dags")):
                break
            time.sleep(2)
        api.request("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
        import requests

        for run in range(1, args.runs + 1):  # run 2 on: the daily refresh, sized from the tables run 1 filled
            requests.post(f"{stack.emulator_url}/_emulator/reset", timeout=30).raise_for_status()
            run_id = api.request(
                "POST", f"/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {"full_refresh": True}}
            )["dag_run_id"]
            deadline = time.monotonic() + args.timeout
            while (state := api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")["state"]) not in ("success", "failed"):
                if time.monotonic() > deadline:
                    raise SystemExit(f"the run did not finish within {args.timeout:g} s")
                time.sleep(2)
            tis = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", limit=1000)["task_instances"]
            stats = requests.get(f"{stack.emulator_url}/_emulator/stats", timeout=30).json()
            report(f"run {run} ({run_id})", state, tis, stats, args)


def report(label: str, state: str, tis: list[dict[str, Any]], stats: dict[str, Any], args: Any) -> None:
    starts = [pendulum.parse(t["start_date"]) for t in tis if t.get("start_date")]
    ends = [pendulum.parse(t["end_date"]) for t in tis if t.get("end_date")]
    wall = (max(ends) - min(starts)).total_seconds()
    pages = sum(v for k, v in stats.get("requests", {}).items() if k != "token")
    print(
        f"{label}: {state}; {len(tis)} task(s); scale {args.scale}, {args.latency_ms:g} ms, "
        f"worker concurrency {args.concurrency}"
    )
    for t in sorted(tis, key=lambda t: t["task_id"]):
        seconds = (
            (pendulum.parse(t["end_date"]) - pendulum.parse(t["start_date"])).total_seconds()
            if t.get("end_date")
            else float("nan")
        )
        print(f"  {t['task_id']:<28} {t['state']:<10} {seconds:7.1f} s")
    print(f"requests by action: {stats.get('requests')}")
    print(
        f"wall time {wall:.1f} s for {pages} API requests; at the ceiling (50/s) they take {pages / 50:.1f} s "
        f"(ratio {wall / (pages / 50):.2f}); 429s {stats.get('rate_limited', 0)}",
        flush=True,
    )


if __name__ == "__main__":
    main()
