"""Benchmark: 25,000 external courses through the Bulk API operator, deferrable.

The emulator runs in its own process with bulk operations spending ``--seconds-per-state`` in each of
pending, queued and running. The operator runs as a worker would: ``execute()`` until it defers
(``TaskDeferred``), then the trigger waits (in an event loop, as the triggerer would), then
``execute_complete()``. Printed: requests per action against the minimum (one submission per chunk of the
documented 10,000, one status read before deferring, the trigger's polls, one status and one results read
per operation at the end, one token per hook), the time a worker slot is held (before deferring plus after
resuming) against the time the wait took in the trigger.

Usage: python benchmarks/bench_bulk.py [--courses 25000] [--seconds-per-state 3] [--poll-interval 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_iter_action import CLIENT_ID, CLIENT_SECRET, emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=25_000)
    parser.add_argument("--seconds-per-state", type=float, default=3.0)
    parser.add_argument("--poll-interval", type=float, default=2.0)
    args = parser.parse_args()

    with emulator(1, "--bulk-seconds-per-state", str(args.seconds_per_state)) as url:
        os.environ["AIRFLOW_CONN_360LEARNING_DEFAULT"] = json.dumps(
            {
                "conn_type": "360learning",
                "host": url,
                "login": CLIENT_ID,
                "password": CLIENT_SECRET,
                "extra": {"requests_per_second": 0},
            }
        )
        from airflow.sdk.exceptions import TaskDeferred

        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
        from airflow_provider_360learning.operators.generated.bulk_actions import ImportExternalCoursesOperator

        integration = next(ThreeSixtyLearningHook().iter_action("get_integrations"))["_id"]
        before = httpx.get(f"{url}/_emulator/stats", timeout=5).json()
        items = [
            {
                "defaultLang": "en",
                "externalId": f"EDX-{i}",
                "launchUrl": f"https://learn.example.com/{i}",
                "name": f"Course {i}",
                "sources": [{"name": "edX"}],
                "subjects": ["Data"],
            }
            for i in range(args.courses)
        ]
        op = ImportExternalCoursesOperator(
            task_id="courses", integrationId=integration, items=items, deferrable=True, poll_interval=args.poll_interval
        )
        started = time.perf_counter()
        try:
            op.execute({})  # type: ignore[arg-type]
            raise SystemExit("the operator did not defer (operations finished before the first check?)")
        except TaskDeferred as deferred:
            submitted = time.perf_counter()
            trigger, kwargs = deferred.trigger, deferred.kwargs or {}

        async def wait() -> Any:
            async for event in trigger.run():
                return event.payload

        event = asyncio.run(wait())
        resumed = time.perf_counter()
        report = op.execute_complete({}, event, **kwargs)  # type: ignore[arg-type]
        finished = time.perf_counter()
        after = httpx.get(f"{url}/_emulator/stats", timeout=5).json()

    requests = {k: v - before.get("requests", {}).get(k, 0) for k, v in after["requests"].items()}
    requests = {k: v for k, v in requests.items() if v}
    chunks = math.ceil(args.courses / 10_000)
    slot = (submitted - started) + (finished - resumed)
    print(
        json.dumps(
            {
                "courses": args.courses,
                "succeeded": report["succeeded"],
                "failed": report["failed"],
                "requests": requests,
                "token_requests": after["token_requests"] - before.get("token_requests", 0),
                "submissions": requests.get("import_external_courses", 0),
                "minimum_submissions": chunks,
                "worker_slot_seconds": {
                    "until_deferred": round(submitted - started, 2),
                    "after_resume": round(finished - resumed, 2),
                    "total": round(slot, 2),
                },
                "wait_in_trigger_seconds": round(resumed - submitted, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
