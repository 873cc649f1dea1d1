"""Benchmark: partitioned extraction at the tenant's rate limit (issue 18), into PostgreSQL.

Against the emulator run with ``--latency-ms L --rate-limit documented`` (50 GET/s per company, strict 1 s
windows, 429 past them) at ``--scale 200`` (250,000 course statistics over 12,000 courses), measured in one run:

* ``partitioned``  the transfer operator (``list_courses_statistics`` -> PostgreSQL, full load) with
  ``max_parallel_streams`` streams, within the tenant budget of 50 GET/s (the connection's default), into an
  empty table (a first load: the plan follows the parent list);
* ``warm``         the same full load again over the table the first one filled (a daily refresh: the plan is
  sized from the table's rows per course and starts before the parent list);
* ``single``       the same operator with one stream;
* ``bare``         a bare httpx single-stream loop (token, GET, follow ``Link``, decode).

Each runs in a fresh process (its peak RSS is its own). Figures: rows/s, share of the ceiling (50 pages/s x 500
rows = 25,000 rows/s), speed-up over one stream, the emulator's request counts (statistics pages, parent-list
pages, token), 429s, and peak RSS. The emulator's index for ``courseId[in]`` is built before the timed runs (one
untimed request), as a real server has its database indexes.

Usage: python benchmarks/bench_partitioned.py [--scale 200] [--latencies 150 20] [--streams 15] [--rss-scales 50 200]
       [--phases partitioned,warm,single,bare]   (warm needs partitioned before it)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ACTION = "list_courses_statistics"
API_PATH = "/api/v2/courses/stats"
TABLE = "bench_partitioned_course_stats"
DATABASE = "bench_partitioned"
CEILING_ROWS_PER_S = 50 * 500


def _vm_hwm_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


# --- workers (child processes) ---------------------------------------------------------------------------


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["kind"] == "bare":
        from bench_iter_action import bare_rows

        started = time.perf_counter()
        rows = sum(1 for _ in bare_rows(spec["url"], API_PATH))
        return {"rows": rows, "seconds": time.perf_counter() - started, "vm_hwm_kb": _vm_hwm_kb()}
    from types import SimpleNamespace

    from bench_iter_action import CLIENT_ID, CLIENT_SECRET

    os.environ["AIRFLOW_CONN_360LEARNING_DEFAULT"] = json.dumps(
        {"conn_type": "360learning", "login": CLIENT_ID, "password": CLIENT_SECRET, "host": spec["url"]}
    )  # the connection's defaults: the documented budget (50 GET/s) on the file-backed bucket
    os.environ["AIRFLOW_CONN_BENCH_PG"] = json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": DATABASE}
    )
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator

    operator = ThreeSixtyLearningToSqlOperator(
        task_id="load",
        action=ACTION,
        table=TABLE,
        destination_conn_id="bench_pg",
        mode="full",
        max_parallel_streams=spec["streams"],
    )
    started = time.perf_counter()
    summary = operator.execute({"ti": SimpleNamespace(try_number=1), "run_id": "bench"})  # type: ignore[arg-type]
    return {
        "rows": summary["rows"],
        "seconds": time.perf_counter() - started,
        "partitions": summary["partitions"],
        "vm_hwm_kb": _vm_hwm_kb(),
    }


# --- parent side -------------------------------------------------------------------------------------------


def reset_database() -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}", autocommit=True) as conn:
        for table in (TABLE, "_360learning_loads", "_360learning_rejects"):
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')


def run(spec: dict[str, Any], url: str) -> dict[str, Any]:
    import httpx

    if spec["kind"] != "warm":
        reset_database()
    httpx.post(f"{url}/_emulator/reset").raise_for_status()
    httpx.post(f"{url}/_emulator/config", json=spec["config"]).raise_for_status()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps({**spec, "url": url})],
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
        cwd=str(ROOT),
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{spec['kind']} failed:\n" + "\n".join((proc.stdout + proc.stderr).splitlines()[-30:]))
    result = json.loads(lines[-1][len("RESULT ") :])
    stats = httpx.get(f"{url}/_emulator/stats").json()
    result["requests"] = stats.get("requests", {})
    result["rate_limited"] = stats.get("rate_limited", 0)
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def warm_index(url: str) -> None:
    """Build the emulator's ``courseId`` index (one untimed ``in`` request)."""
    sys.path.insert(0, str(HERE))
    import httpx
    from bench_iter_action import _token

    with httpx.Client(timeout=120) as client:
        headers = {"Authorization": f"Bearer {_token(client, url)}", "360-api-version": "v2.0"}
        client.get(f"{url}{API_PATH}?courseId%5Bin%5D={'0' * 24}", headers=headers).raise_for_status()


def warm_pages(url: str, streams: int) -> None:
    """Read every page both ways once, untimed: the emulator keeps encoded answers (``--response-cache-mb``), so
    the measured runs are served alike, at the speed of a real API, and measure the client, not the emulator
    generating and encoding pages (about 20 ms of its CPU per uncached page, on the same 2 cores)."""
    import httpx
    from bench_iter_action import CLIENT_ID, CLIENT_SECRET, bare_rows

    httpx.post(f"{url}/_emulator/config", json={"rate_limit": 0, "latency_ms": 0}).raise_for_status()
    started = time.perf_counter()
    pages = sum(1 for _ in bare_rows(url, API_PATH, decode=False))
    os.environ["AIRFLOW_CONN_360LEARNING_DEFAULT"] = json.dumps(
        {"conn_type": "360learning", "login": CLIENT_ID, "password": CLIENT_SECRET, "host": url}
    )
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook(requests_per_second=0)
    read = hook.partitioned_read(ACTION, max_parallel_streams=streams)
    assert read is not None
    pages += sum(1 for _ in hook.iter_partitioned_pages(read))
    print(f"emulator warmed up: {pages:,} pages cached in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--latencies", type=float, nargs="+", default=[150.0, 20.0])
    parser.add_argument("--streams", type=int, default=15)
    parser.add_argument("--rss-scales", type=int, nargs="*", default=[50, 200])
    parser.add_argument("--phases", default="partitioned,warm,single,bare")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return

    sys.path.insert(0, str(HERE))
    from bench_iter_action import emulator

    phases = args.phases.split(",")
    print(f"scale {args.scale}: {args.scale * 1250:,} course stats over {args.scale * 60:,} courses", flush=True)
    results: dict[str, Any] = {}
    with emulator(args.scale, "--rate-limit", "documented") as url:
        warm_index(url)
        warm_pages(url, args.streams)
        for latency in args.latencies:
            config = {"latency_ms": latency, "rate_limit": "documented"}
            for kind in phases:
                streams = args.streams if kind in ("partitioned", "warm") else 1
                spec = {"kind": kind, "streams": streams, "config": config}
                result = run(spec, url)
                results[f"{kind}@{latency:g}"] = result
                stats_pages = result["requests"].get(ACTION, 0)
                print(
                    f"{latency:>5g} ms  {kind:<12} {result['rows']:>9,} rows  {result['seconds']:7.1f} s  "
                    f"{result['rows_per_s']:>8,.0f} rows/s  ({result['rows_per_s'] / CEILING_ROWS_PER_S:5.1%} of "
                    f"ceiling)  stats pages {stats_pages}, parent pages {result['requests'].get('list_courses', 0)}, "
                    f"partitions {result.get('partitions', 1)}, 429s {result['rate_limited']}, "
                    f"peak RSS {result['vm_hwm_kb'] / 1024:.0f} MB",
                    flush=True,
                )
            for kind in ("partitioned", "warm"):
                if kind in phases and "single" in phases:
                    speedup = (
                        results[f"{kind}@{latency:g}"]["rows_per_s"] / results[f"single@{latency:g}"]["rows_per_s"]
                    )
                    print(f"{latency:>5g} ms  {kind} / single stream: {speedup:.1f}x", flush=True)
    for scale in args.rss_scales if "partitioned" in phases else []:
        with emulator(scale, "--rate-limit", "documented") as url:
            warm_index(url)
            warm_pages(url, args.streams)
            config = {"latency_ms": 20.0, "rate_limit": "documented"}
            result = run({"kind": "partitioned", "streams": args.streams, "config": config}, url)
            print(
                f"RSS at scale {scale} ({result['rows']:,} rows, 20 ms): {result['vm_hwm_kb'] / 1024:.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
