"""Daily: subscribe the newest learners to 360Learning's email notifications with one Bulk API request, and
wait for the operation in the triggerer, not in a worker slot.

``submit`` sends one ``create_subscription_events`` bulk request (answered 202 at once) for the first
``learners`` active users; ``wait_for_operation`` is a deferrable ``BulkOperationSensor``: it checks the
operation once in the worker, then hands the wait to the triggerer (``ThreeSixtyLearningConditionTrigger``),
which polls ``GET /api/v2/bulk/operations/{id}`` until the operation ends; ``results`` reads the per-object
results. Bulk operations take a while (pending, queued, running), so this DAG is where the triggerer's
path is seen working: on a real Airflow stack the sensor shows ``deferred`` in the grid, then ``success``.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_360learning.sensors.three_sixty_learning import BulkOperationSensor


@dag(
    dag_id="360learning_deferrable_demo",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "example", "deferrable"],
    doc_md=__doc__,
    params={"learners": Param(5, type="integer", minimum=1, maximum=10_000, description="users to subscribe")},
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
)
def deferrable_demo() -> None:
    @task
    def submit(params: dict[str, Any] | None = None) -> str:
        """One bulk request; the operation id goes to XCom for the sensor (never a token or secret)."""
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        hook = ThreeSixtyLearningHook()
        wanted = int((params or {}).get("learners") or 5)
        mails: list[str] = []
        for user in hook.iter_action("list_users"):
            if user.get("status") != "deleted" and user.get("mail"):
                mails.append(user["mail"])
            if len(mails) >= wanted:
                break
        operation_id = hook.submit_bulk(
            "create_subscription_events", body={"input": [{"mail": mail, "type": "activation"} for mail in mails]}
        )
        print(f"Submitted bulk operation {operation_id} for {len(mails)} learners")
        return operation_id

    operation_id = submit()
    wait = BulkOperationSensor(
        task_id="wait_for_operation", operation_ids=operation_id, deferrable=True, poke_interval=2, timeout=600
    )

    @task
    def results(operation: str) -> dict[str, int]:
        """Per-object outcome of the finished operation, counted."""
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        hook = ThreeSixtyLearningHook()
        counts: dict[str, int] = {}
        for row in hook.iter_action("get_bulk_operation_results", bulkOperationId=operation):
            status = str(row.get("status", "unknown"))
            counts[status] = counts.get(status, 0) + 1
        print(f"Bulk operation {operation}: {counts}")
        return counts

    wait >> results(operation_id)


deferrable_demo()
