"""Benchmark: peak memory of the reporting step as the warehouse grows (issue 16: flat peak RSS at 1M path stats).

The load tables are generated in the warehouse itself (``generate_series``; one learner per 50 statistics, 50
paths, 200 sessions of which one in ten has no group), at each size, in a DuckDB file and in a database of the
machine's PostgreSQL. Then a fresh process runs the reporting step once and reports its own peak RSS
(``VmHWM``): the SQL reports (``WarehouseReportsOperator``, the DAG's task), and for comparison the former
pandas reports (``build_reports`` of the DAG file at ``--old-revision``, read from git), which read whole
tables into the process.

Usage: python benchmarks/bench_reporting.py [--rows 100000 1000000] [--engines duckdb postgres] [--no-old]
                                           [--duckdb-extra '{"threads": 1}']
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlglot

REPO = Path(__file__).resolve().parents[1]
OLD_REVISION = "a2aafc3"  # the last dags/stats_to_warehouse.py whose reports were built in pandas
NOW = "2026-02-20T00:00:00+00:00"  # the run's logical time: about 3% of the statistics are overdue
STATS_PER_USER = 50
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}

# The load tables, with the column types the writer gives them, in PostgreSQL's dialect (sqlglot writes
# DuckDB's). {rows} and {users} are filled in; the statistics mix completed, in-progress and late ones,
# null progress, due dates from 2026-02-14 to 2026-09-01.
TABLES = """
CREATE TABLE learning360_groups AS
SELECT 'g' || CAST(i AS VARCHAR) AS id, 'Group ' || CAST(i AS VARCHAR) AS name FROM generate_series(1, 20) AS t(i);
CREATE TABLE learning360_paths AS
SELECT 'p' || CAST(i AS VARCHAR) AS id, 'Path ' || CAST(i AS VARCHAR) AS name FROM generate_series(1, 50) AS t(i);
CREATE TABLE learning360_path_sessions AS
SELECT
    's' || CAST(i AS VARCHAR) AS id,
    'p' || CAST(i % 50 + 1 AS VARCHAR) AS path_id,
    CASE WHEN i % 10 = 0 THEN NULL ELSE 'g' || CAST(i % 20 + 1 AS VARCHAR) END AS group_id
FROM generate_series(1, 200) AS t(i);
CREATE TABLE learning360_users AS
SELECT
    'u' || CAST(i AS VARCHAR) AS id,
    'learner' || CAST(i AS VARCHAR) || '@example.com' AS mail,
    'First' || CAST(i AS VARCHAR) AS first_name,
    'Last' || CAST(i AS VARCHAR) AS last_name
FROM generate_series(1, {users}) AS t(i);
CREATE TABLE learning360_path_stats AS
SELECT
    'st' || CAST(i AS VARCHAR) AS id,
    'p' || CAST(i % 50 + 1 AS VARCHAR) AS path_id,
    's' || CAST(i % 200 + 1 AS VARCHAR) AS session_id,
    'u' || CAST(i % {users} + 1 AS VARCHAR) AS user_id,
    CAST(CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 7) % 101 END AS BIGINT) AS progress,
    CAST((i * 7919) % 36000000 AS DOUBLE PRECISION) AS time_spent,
    CAST(
        '{{"type": "' || CASE WHEN i % 97 = 0 THEN 'late' WHEN i % 3 = 0 THEN 'completed' ELSE 'inProgress' END || '"}}'
        AS JSONB
    ) AS status,
    CASE WHEN i % 3 = 0 THEN CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ) + i * INTERVAL '1 second' END
        AS completed_at,
    CAST('2026-09-01T00:00:00+00:00' AS TIMESTAMPTZ) - (i % 200) * INTERVAL '1 day' AS due_date
FROM generate_series(CAST(1 AS BIGINT), CAST({rows} AS BIGINT)) AS t(i)
"""

# The measured process: imports, then one reporting step, then its own VmHWM (ru_maxrss would include the
# parent's at fork time). argv: engine, target (DuckDB file or PostgreSQL database), version (sql or pandas),
# the old DAG file's folder.
CHILD = """
import json, os, sys, time
import pendulum
engine, target, version, old_folder, moment, duckdb_extra = sys.argv[1:7]
if engine == "duckdb":  # the extra: DuckDBHook settings such as memory_limit, as a connection would carry them
    conn = {"conn_type": "duckdb", "host": target, "extra": json.loads(duckdb_extra)}
else:
    conn = {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": target}
os.environ["AIRFLOW_CONN_BENCH_WAREHOUSE"] = json.dumps(conn)
sys.path.insert(0, old_folder if version == "pandas" else "dags")
import stats_to_warehouse as module
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook
import pandas  # imported by both versions before the baseline, so that the figures compare the work
now = pendulum.parse(moment)

def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

hook = destination_hook("bench_warehouse")
baseline = peak_kb()
started = time.perf_counter()
if version == "sql":
    operator = module.WarehouseReportsOperator(task_id="build_reports", conn_id="bench_warehouse")
    counts = operator.execute({"data_interval_end": now, "dag_run": None})
else:
    counts = module.build_reports(hook, now)
seconds = time.perf_counter() - started
print(json.dumps({"baseline_mb": baseline / 1024, "peak_mb": peak_kb() / 1024, "seconds": seconds, "counts": counts}))
"""


def create_tables(engine: str, target: str, rows: int) -> None:
    """The load tables at ``rows`` path statistics, in a new DuckDB file or PostgreSQL database."""
    sql = TABLES.format(rows=rows, users=max(rows // STATS_PER_USER, 1))
    statements = [s for s in sqlglot.transpile(sql, read="postgres", write=engine) if s.strip()]
    if engine == "duckdb":
        import duckdb

        Path(target).unlink(missing_ok=True)
        with duckdb.connect(target) as conn:
            for statement in statements:
                conn.execute(statement)
        return
    import psycopg2

    admin = psycopg2.connect(dbname="test", **PG)
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
    admin.cursor().execute(f"CREATE DATABASE {target}")
    admin.close()
    with psycopg2.connect(dbname=target, **PG) as conn, conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        for table in ("groups", "paths", "path_sessions", "users", "path_stats"):
            cursor.execute(f"ALTER TABLE learning360_{table} ADD PRIMARY KEY (id)")
    conn.close()


def drop(engine: str, target: str) -> None:
    if engine == "duckdb":
        Path(target).unlink(missing_ok=True)
        return
    import psycopg2

    admin = psycopg2.connect(dbname="test", **PG)
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
    admin.close()


def measure(engine: str, target: str, version: str, old_folder: str, duckdb_extra: str) -> dict[str, object]:
    """One reporting step in a fresh process; its figures."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, engine, target, version, old_folder, NOW, duckdb_extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{engine} {version} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "postgres"], choices=["duckdb", "postgres"])
    parser.add_argument("--no-old", action="store_true", help="skip the former pandas version")
    parser.add_argument("--old-revision", default=OLD_REVISION)
    parser.add_argument(
        "--duckdb-extra",
        default="{}",
        help='DuckDBHook settings of the reporting connection, as its extra: \'{"threads": 1, "memory_limit": "64MB"}\'',
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-reporting-") as scratch:
        old = subprocess.run(
            ["git", "show", f"{args.old_revision}:dags/stats_to_warehouse.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (Path(scratch) / "stats_to_warehouse.py").write_text(old)
        versions = ["sql"] if args.no_old else ["sql", "pandas"]
        duckdb_extra = json.dumps(json.loads(args.duckdb_extra))
        print(
            f"{'engine':<9} {'stats rows':>10} {'version':<7} {'baseline MB':>11} {'peak MB':>8} {'seconds':>8}  rows"
        )
        for engine in args.engines:
            for rows in args.rows:
                target = str(Path(scratch) / f"warehouse_{rows}.duckdb") if engine == "duckdb" else f"l360_bench_{rows}"
                started = time.perf_counter()
                create_tables(engine, target, rows)
                print(f"# {engine}: {rows:,} path stats generated in {time.perf_counter() - started:.1f} s", flush=True)
                try:
                    for version in versions:
                        figures = measure(engine, target, version, scratch, duckdb_extra)
                        print(
                            f"{engine:<9} {rows:>10,} {version:<7} {figures['baseline_mb']:>11.1f} "
                            f"{figures['peak_mb']:>8.1f} {figures['seconds']:>8.1f}  {figures['counts']}",
                            flush=True,
                        )
                finally:
                    drop(engine, target)


if __name__ == "__main__":
    main()
