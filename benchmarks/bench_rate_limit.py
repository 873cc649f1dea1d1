"""Benchmark: the tenant-wide rate limit alone (client/rate_limit.py), several processes on one budget.

Each process (``multiprocessing``, spawn) takes read permits from the same budget as fast as it is given them,
for ``--seconds``, and notes the time each permit came back. Printed per backend: permits per second against the
budget (the share used; the goal is at least 90%), the most permits noted in any 1-second window (at most the
budget: a permit noted late by a busy machine can only make this look worse than the bucket's own count),
permits per process and the CPU seconds each process spent (waiting must not spin).

Usage: python benchmarks/bench_rate_limit.py [--processes 4] [--rate 50] [--seconds 10]
           [--backend file] [--backend redis://127.0.0.1:6379/0] [--backend memory]
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing
import os
import tempfile
import time
import uuid
from typing import Any


def _worker(backend: str, db_path: str, key: str, rate: int, seconds: float, barrier: Any, out: Any) -> None:
    os.environ["AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB"] = db_path
    from airflow_provider_360learning.client.rate_limit import tenant_budget

    budget = tenant_budget(key=key, reads_per_second=rate, writes_per_second=1, backend=backend)
    budget.acquire("write")  # opens the backend before the clock starts
    budget.acquire("read")
    barrier.wait(timeout=120)
    start, cpu = time.time(), time.process_time()
    stamps = []
    while True:
        budget.acquire("read")
        now = time.time()
        if now >= start + seconds:
            break
        stamps.append(now)
    out.put((stamps, time.process_time() - cpu))


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    ordered = sorted(stamps)
    return max((bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0)


def run(backend: str, processes: int, rate: int, seconds: float) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    key = f"bench-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        db_path = os.path.join(tmp, "rate-limit.sqlite")
        workers = [
            ctx.Process(target=_worker, args=(backend, db_path, key, rate, seconds, barrier, out))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        results = [out.get(timeout=seconds + 180) for _ in workers]
        for worker in workers:
            worker.join()
    stamps = [t for r, _ in results for t in r]
    per_second = len(stamps) / seconds
    print(
        f"{backend or 'file':<28} {processes} processes: {per_second:6.2f} permits/s = {per_second / rate:6.1%} of "
        f"{rate}/s; most in any 1 s window: {max_in_window(stamps)}; per process: {[len(r) for r, _ in results]}; "
        f"CPU s per process: {[round(c, 2) for _, c in results]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backend", action="append", help="'file' (default), a redis:// URL, or 'memory'")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores: other work on the machine delays wake-ups)")
    for backend in args.backend or ["file", "redis://127.0.0.1:6379/0"]:
        run("" if backend == "file" else backend, args.processes, args.rate, args.seconds)


if __name__ == "__main__":
    main()
