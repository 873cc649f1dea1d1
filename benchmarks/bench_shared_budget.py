"""Benchmark: N processes on one 360Learning connection against the documented per-company limits.

The emulator runs in its own process with ``--rate-limit documented`` (50 GET/s per company over strict 1 s
windows, 429 without ``Retry-After``). N worker processes each run a sync ``ThreeSixtyLearningHook`` with the
connection's default budget (50 GET/s, file-backed, shared by the N) and call a list action in a loop for a
fixed time. Reported from the emulator's own counters: GETs received, the share of 50 GET/s used, the busiest
second, and the 429s (each retried by the hooks; a failed call would fail its worker).

Usage: python benchmarks/bench_shared_budget.py [--processes 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_iter_action import CLIENT_ID, CLIENT_SECRET, emulator

DOCUMENTED_GETS_PER_SECOND = 50
WORKER = textwrap.dedent(
    """
    import sys, time
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook()
    hook.get_token()
    start_at, stop_at = float(sys.argv[1]), float(sys.argv[2])
    time.sleep(max(0.0, start_at - time.time()))
    calls = 0
    while time.time() < stop_at:
        hook.call_action("list_groups")
        calls += 1
    print(calls)
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    with emulator(1, "--rate-limit", "documented") as url, tempfile.TemporaryDirectory() as tmp:
        conn = {"conn_type": "360learning", "login": CLIENT_ID, "password": CLIENT_SECRET, "host": url}
        env = {
            **os.environ,
            "AIRFLOW_CONN_360LEARNING_DEFAULT": json.dumps(conn),
            "AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB": str(Path(tmp) / "budget.sqlite"),
        }
        start_at = time.time() + 8.0  # every worker has imported Airflow and holds a token by then
        stop_at = start_at + args.seconds
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(start_at), str(stop_at)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.processes)
        ]
        outputs = [worker.communicate(timeout=args.seconds + 120) for worker in workers]
        failed = [err[-2000:] for worker, (_, err) in zip(workers, outputs, strict=True) if worker.returncode]
        traffic = httpx.get(f"{url}/_emulator/stats").json()["traffic"]

    calls = sum(int(out.strip() or 0) for out, _ in outputs)
    received = traffic["get_requests"]
    limited = traffic["limited"]
    accepted = received - limited["read"]
    share = accepted / (DOCUMENTED_GETS_PER_SECOND * args.seconds)
    print(f"| processes | {args.processes} |")
    print(f"| duration | {args.seconds:g} s |")
    print(f"| calls completed (no failure) | {calls:,} |")
    print(f"| GETs received by the emulator (429s included) | {received:,} |")
    print(f"| share of 50 GET/s used | **{share:.1%}** ({accepted / args.seconds:.1f} GET/s accepted) |")
    print(f"| busiest 1 s window | {traffic['max_get_received_per_second']} GETs received |")
    print(f"| 429s | {limited['read']} (each retried by the hooks) |")
    print(f"| failed workers | {len(failed)} |")
    for err in failed:
        print(err, file=sys.stderr)


if __name__ == "__main__":
    main()
