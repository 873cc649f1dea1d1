"""Requests and time to provision N users over SCIM against the emulator: a first run (everything created)
and a second run (nothing to change). Usage: ``python benchmarks/bench_scim.py [--users 10000]``.

Counts come from the emulator's own counters (``/_emulator/scim/stats``), so they are the requests the
server received, retries included.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

GROUPS = [
    "Engineering",
    "Sales",
    "Customer Success",
    "People",
    "Finance",
    "Product",
    "Data",
    "Marketing",
    "Legal",
    "Ops",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-scim-"))

    from airflow_provider_360learning.emulator.scim import scim_state
    from airflow_provider_360learning.emulator.server import EmulatorServer
    from airflow_provider_360learning.operators.scim_provisioning import ThreeSixtyLearningScimProvisioningOperator

    rows = [
        {
            "email": f"employee{i:05d}@example.com",
            "given_name": f"Given{i}",
            "family_name": f"Family{i}",
            "active": "true",
            "title": "Employee",
            "department": GROUPS[i % len(GROUPS)],
            "employee_number": f"E{i:05d}",
            "groups": GROUPS[i % len(GROUPS)],
        }
        for i in range(args.users)
    ]
    source = Path(tempfile.mkdtemp()) / "hr.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    with EmulatorServer(service="scim") as server:
        state = scim_state(server.state)
        os.environ["AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT"] = json.dumps(
            {"conn_type": "360learning_scim", "host": f"{server.url}/scim/v2", "password": state.token}
        )
        results = {}
        for run in ("first", "second"):
            state.requests.clear()
            started = time.perf_counter()
            report = ThreeSixtyLearningScimProvisioningOperator(task_id=run, users_source=str(source)).execute({})  # type: ignore[arg-type]
            results[run] = {
                "seconds": round(time.perf_counter() - started, 1),
                "requests": state.stats()["requests"],
                "requests_total": state.stats()["requests_total"],
                "applied": report["applied"],
            }
        print(json.dumps({"users": args.users, "groups": len(GROUPS), **results}, indent=2))


if __name__ == "__main__":
    main()
