"""Parse time of each example DAG file, as ``airflow dags report`` measures it: a DagBag of that one file, in a
fresh interpreter where Airflow itself is already imported (as in the DAG processor). Best of ``--runs``.

Usage: ``python benchmarks/bench_dag_parse.py [--runs 5] [--repo PATH]`` (``--repo`` measures another checkout
of this repository, e.g. an older commit exported with ``git archive``). The modules a parse leaves in
``sys.modules`` are checked by ``tests/unit/dags/test_dag_parse_imports.py``; this script only times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PARSE = """
import json, sys, time
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
start = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "dags": len(bag.dag_ids), "errors": len(bag.import_errors)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.repo)}
    print(f"{'DAG file':36s} {'best':>7s} {'median':>7s}  dags errors")
    for path in sorted((args.repo / "dags").glob("*.py")):
        runs = []
        for _ in range(args.runs):
            result = subprocess.run(
                [sys.executable, "-c", PARSE, str(path)],
                cwd=args.repo,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        times = sorted(run["seconds"] for run in runs)
        last = runs[-1]
        print(f"{path.name:36s} {times[0]:6.2f}s {times[len(times) // 2]:6.2f}s  {last['dags']:4d} {last['errors']:6d}")


if __name__ == "__main__":
    main()
