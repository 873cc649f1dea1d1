"""Benchmark: ``360learning_events_to_warehouse`` (issue 19): latency from a write in the emulator to the statistic
in the warehouse, and what polling costs while nothing happens.

One process holds what a deployment spreads over several: the emulator, the two watchers' triggers as a triggerer
runs them (rebuilt from their stored arguments, events submitted with ``Trigger.submit_event``), a run started as
soon as an asset event is pending (the scheduler's choice, simulated: ``tests/unit/dags/event_runs.py``), its
tasks run by ``dag.test()`` in this process (no executor queue), into the embedded DuckDB file. A real scheduler
adds its loop (a few seconds) and an executor its queue: the end-to-end stack test prints those figures.

- latency: ``--events`` learners succeed one after the other (``set_path_status``, as the control interface
  does), each once the previous one is loaded; for each, the seconds from the write to the asset event, and to the
  end of the ``load_path_stats`` task that put the statistic in the warehouse (its end time in the metadata DB);
- idle cost: the two watchers run ``--idle-seconds`` with nothing to read, at each ``--idle-intervals`` poll
  interval; API requests the emulator received (token requests included), per minute.

Usage: python benchmarks/bench_events.py [--events 50] [--poll-interval 1] [--idle-seconds 120]
                                         [--idle-intervals 30 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HOME = Path(tempfile.mkdtemp(prefix="bench-events-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW_360LEARNING_EMBEDDED_WAREHOUSE": str(HOME / "warehouse.duckdb"),
        "_AIRFLOW_PROCESS_CONTEXT": "server",  # the triggers read their Variables from the metadata database
    }
)
sys.path.insert(0, str(REPO))
CONN_ENV = "AIRFLOW_CONN_360LEARNING_DEFAULT"
ASSET = "360learning-completion-events"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def pipeline(server: Any, poll_interval: float) -> tuple[Any, Any]:
    """The default connection on ``server``, the set-up DAG run, the events DAG stored unpaused, its watchers
    running."""
    config = server.state.config
    os.environ[CONN_ENV] = json.dumps(
        {"conn_type": "360learning", "login": config.client_id, "password": config.client_secret, "host": server.url}
    )
    os.environ["AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL"] = str(poll_interval)
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.variable import Variable

    from tests.unit.dags.event_runs import Scheduler, Watchers, asset_event_ids, watcher_trigger_ids

    bag = DagBag(dag_folder=str(REPO / "dags" / "events_to_warehouse.py"))
    assert str(bag.get_dag("360learning_event_subscriptions").test().state) == "success"
    dag = bag.get_dag("360learning_events_to_warehouse")
    for watcher in dag.timetable.asset_condition.watchers:
        Variable.delete(watcher.trigger.state_variable)
    scheduler = Scheduler(dag, ASSET)
    scheduler.consumed.update(asset_event_ids(ASSET))
    watchers = Watchers(watcher_trigger_ids(ASSET))
    watchers.start()
    return scheduler, watchers


def load_end(run_id: str) -> float:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        end = session.scalar(
            select(TaskInstance.end_date).where(
                TaskInstance.run_id == run_id, TaskInstance.task_id == "load_path_stats"
            )
        )
    assert end is not None, run_id
    return float(end.timestamp())


def latency(events: int, poll_interval: float) -> dict[str, Any]:
    from airflow_provider_360learning.emulator import EmulatorServer
    from airflow_provider_360learning.emulator.events import set_path_status

    with EmulatorServer(scale=2) as server:
        scheduler, watchers = pipeline(server, poll_interval)
        try:
            stats = server.state.collection("path_session_user_stats")
            open_ids = [
                stats.item(i)["_id"] for i in range(len(stats)) if stats.item(i)["status"]["type"] != "successful"
            ]
            # A first run loads the whole table (no watermark yet): not an incremental event, not measured.
            set_path_status(server.state, open_ids.pop(), "successful")
            while not scheduler.pending():
                time.sleep(0.02)
            assert scheduler.run_pending().succeeded
            to_event, to_warehouse = [], []
            for enrollment in open_ids[:events]:
                server.state.advance_time(1)
                written = time.time()
                set_path_status(server.state, enrollment, "successful")
                while not scheduler.pending():
                    time.sleep(0.02)
                to_event.append(time.time() - written)
                run = scheduler.run_pending()
                assert run is not None and run.succeeded, run
                to_warehouse.append(load_end(run.run_id) - written)
        finally:
            watchers.stop()
    return {
        "events": events,
        "poll_interval_s": poll_interval,
        "write_to_asset_event_s": {
            "median": round(statistics.median(to_event), 2),
            "p95": round(percentile(to_event, 0.95), 2),
        },
        "write_to_warehouse_s": {
            "median": round(statistics.median(to_warehouse), 2),
            "p95": round(percentile(to_warehouse, 0.95), 2),
            "max": round(max(to_warehouse), 2),
        },
        "runs": len(scheduler.runs),
    }


def idle_cost(seconds: float, poll_interval: float) -> dict[str, Any]:
    from airflow_provider_360learning.emulator import EmulatorServer

    with EmulatorServer() as server:
        scheduler, watchers = pipeline(server, poll_interval)
        try:
            time.sleep(min(5.0, poll_interval))  # the first polls (token, subscription look-up) out of the window
            before = server.state.stats()
            time.sleep(seconds)
            after = server.state.stats()
        finally:
            watchers.stop()
    requests = {
        action: after["requests"].get(action, 0) - before["requests"].get(action, 0)
        for action in after["requests"]
        if after["requests"].get(action, 0) != before["requests"].get(action, 0)
    }
    tokens = after["token_requests"] - before["token_requests"]
    total = sum(requests.values()) + tokens
    return {
        "poll_interval_s": poll_interval,
        "watchers": 2,
        "seconds": seconds,
        "requests": requests,
        "token_requests": tokens,
        "requests_per_minute": round(total * 60 / seconds, 2),
        "runs": len(scheduler.runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    parser.add_argument("--idle-intervals", type=float, nargs="*", default=[30.0, 5.0])
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    results: dict[str, Any] = {}
    if args.events:
        results["latency"] = latency(args.events, args.poll_interval)
        print(json.dumps(results["latency"]), flush=True)
    results["idle"] = []
    for interval in args.idle_intervals:
        results["idle"].append(idle_cost(args.idle_seconds, interval))
        print(json.dumps(results["idle"][-1]), flush=True)
    print("RESULT " + json.dumps(results))


if __name__ == "__main__":
    main()
