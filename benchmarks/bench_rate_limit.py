"""Benchmark: the tenant-wide rate limit alone (client/rate_limit.py): processes on one budget, or coroutines.

Processes (the default): each process (``multiprocessing``, spawn) takes read permits from the same budget as fast as it is given them,
for ``--seconds``, and notes the time each permit came back. Printed per backend: permits per second against the
budget (the share used; the goal is at least 90%), the most permits noted in any 1-second window (at most the
budget: a permit noted late by a busy machine can only make this look worse than the bucket's own count),
permits per process and the CPU seconds each process spent (waiting must not spin).

Coroutines (``--coroutines 15``): one process, 15 coroutines on one event loop, each taking a read permit then
sleeping 0.15 s (a request's round trip), as a partitioned read does; printed per backend, without and with a
CPU-bound thread beside the loop (``json.loads`` in a loop, like page loading in the main thread): permits per
second counted after the first second (the design's ceiling at 50/s is 10 per 0.21 s = 47.6/s). Each case runs
in a fresh process (``--repeat`` times; the median is printed too).

Usage: python benchmarks/bench_rate_limit.py [--processes 4] [--rate 50] [--seconds 10]
           [--backend file] [--backend redis://127.0.0.1:6379/0] [--backend memory]
       python benchmarks/bench_rate_limit.py --coroutines 15 [--seconds 5] [--repeat 3]
           [--backend file] [--backend memory] [--backend redis://127.0.0.1:6379/11]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any

ROUND_TRIP_S = 0.15


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


def _burn(stop: threading.Event) -> None:
    """CPU-bound Python beside the event loop: it holds the GIL but for the interpreter's forced switches."""
    text = json.dumps([{"a": i, "b": "x" * 50} for i in range(500)])
    while not stop.is_set():
        json.loads(text)


async def _coroutines(backend: str, coroutines: int, rate: int, seconds: float) -> float:
    from airflow_provider_360learning.client.rate_limit import TenantBudget, parse_backend

    budget = TenantBudget(
        key=f"bench-{uuid.uuid4().hex}", reads_per_second=rate, writes_per_second=1, backend=parse_backend(backend)
    )
    await budget.aacquire("write")  # opens the backend before the clock starts
    grants: list[float] = []
    start = time.perf_counter()

    async def reader() -> None:
        while time.perf_counter() - start < seconds:
            await budget.aacquire("read")
            grants.append(time.perf_counter() - start)
            await asyncio.sleep(ROUND_TRIP_S)

    await asyncio.gather(*(reader() for _ in range(coroutines)))
    counted = [t for t in grants if 1.0 < t < seconds]
    return len(counted) / (seconds - 1.0)


def _one_case(backend: str, busy: bool, coroutines: int, rate: int, seconds: float) -> None:
    """In a fresh process (the busy thread and the budget's threads die with it): prints permits/s."""
    import airflow_provider_360learning.client.rate_limit  # noqa: F401 - imported before the busy thread slows it

    stop = threading.Event()
    if busy:
        threading.Thread(target=_burn, args=(stop,), daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB"] = os.path.join(tmp, "rate-limit.sqlite")
        print(f"{asyncio.run(_coroutines(backend, coroutines, rate, seconds)):.2f}")
    stop.set()


def run_coroutines(backend: str, coroutines: int, rate: int, seconds: float, repeat: int) -> None:
    for busy in (False, True):
        figures = []
        for _ in range(repeat):
            command = [sys.executable, __file__, "--one-case", "--backend", backend or "file", "--rate", str(rate)]
            command += ["--coroutines", str(coroutines), "--seconds", str(seconds)] + (["--busy"] if busy else [])
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            figures.append(float(done.stdout.split()[-1]))
        print(
            f"{backend or 'file':<28} {coroutines} coroutines, {'busy thread' if busy else 'idle':<11}: "
            f"median {statistics.median(figures):5.1f} permits/s ({statistics.median(figures) / rate:6.1%} of {rate}/s)"
            f"; runs {figures}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--coroutines", type=int, help="one process, this many coroutines (a partitioned read)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case of --coroutines")
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--backend", action="append", help="'file' (default), a redis:// URL, or 'memory'")
    parser.add_argument("--one-case", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--busy", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    backends = ["" if backend == "file" else backend for backend in args.backend or []]
    if args.one_case:
        _one_case(backends[0], args.busy, args.coroutines, args.rate, args.seconds)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores: other work on the machine delays wake-ups)")
    if args.coroutines:
        for backend in backends or ["", "memory", "redis://127.0.0.1:6379/11"]:
            run_coroutines(backend, args.coroutines, args.rate, args.seconds or 5.0, args.repeat)
        return
    for backend in backends or ["", "redis://127.0.0.1:6379/0"]:
        run(backend, args.processes, args.rate, args.seconds or 10.0)


if __name__ == "__main__":
    main()
