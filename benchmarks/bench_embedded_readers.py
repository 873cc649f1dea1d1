"""Benchmark: how long a reader of the embedded DuckDB warehouse waits while two loads write it.

Two loader processes (the ``LOADER`` script of ``tests/unit/transfers/test_embedded_duckdb.py``: a
``SqlTableWriter`` on ``embedded_hook``, one upsert of ``--rows`` rows per batch) write one file at once,
while this process opens it read-only through ``read_connection``, counts the rows and closes it, every
``--every`` seconds. Prints the batches' times and the readers' waits (open, query, close).

Usage:
  python benchmarks/bench_embedded_readers.py                      # 2 x 40 batches of 5,000 rows
  python benchmarks/bench_embedded_readers.py --batches 20 --rows 500
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=40, help="batches per loader")
    parser.add_argument("--rows", type=int, default=5_000, help="rows per batch")
    parser.add_argument("--every", type=float, default=0.1, help="seconds between two reads")
    args = parser.parse_args()

    from airflow_provider_360learning.transfers.embedded import embedded_hook, read_connection
    from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
    from tests.unit.transfers.test_embedded_duckdb import COLUMNS, LOADER

    with tempfile.TemporaryDirectory(prefix="bench_embedded_") as tmp:
        path, ready = Path(tmp) / "wh.duckdb", Path(tmp) / "ready"
        ready.mkdir()
        with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
            writer.ensure_table(COLUMNS)
        loaders = [
            subprocess.Popen(
                [sys.executable, "-c", LOADER, *map(str, (path, name, first, args.batches, args.rows, ready, 2))],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for name, first in (("a", 0), ("b", 10**9))
        ]
        total = 2 * args.batches * args.rows
        waits = []
        while any(p.poll() is None for p in loaders):
            if len(list(ready.iterdir())) == 2:
                started = time.monotonic()
                with read_connection(path) as conn:
                    row = conn.execute("SELECT COUNT(*) FROM stats").fetchone()
                if row is not None and 0 < row[0] < total:  # during the loads
                    waits.append(time.monotonic() - started)
            time.sleep(args.every)
        spans = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in loaders]
        with read_connection(path) as conn:
            loaded = conn.execute("SELECT COUNT(*) FROM stats").fetchone()
    batches = sorted(end - start for loader in spans for start, end in loader)
    print(
        f"2 loaders x {args.batches} batches of {args.rows:,} rows: {loaded[0] if loaded else 0:,} rows of {total:,};"
        f" a batch (upsert, waits for the other loader included) median {statistics.median(batches) * 1000:.0f} ms,"
        f" max {batches[-1] * 1000:.0f} ms"
    )
    if waits:
        waits.sort()
        print(
            f"{len(waits)} reads during the loads: wait (open, query, close) median "
            f"{statistics.median(waits) * 1000:.0f} ms, 90th percentile {waits[int(len(waits) * 0.9)] * 1000:.0f} ms,"
            f" max {waits[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
