"""Submit Bulk API operations, wait for them without holding a worker, and report each failed object.

Inputs are cut into chunks of the operation's own ``maxItems`` (from the spec). Each chunk is submitted,
its operation id (from ``Location``) saved in the task's state store *before* waiting, so that a retried
task resumes waiting for the operations already submitted instead of submitting them twice.

360Learning lets a company have at most 3 unfinished bulk operations (pending, queued or running), whoever
submitted them. Before each submission the operator counts them from the API (``get_bulk_operations``, one
filtered read per unfinished state) and, while 3 are unfinished, waits for one to end: deferred to the
triggerer (condition ``bulk_slots_free``) or polling in the worker, up to ``bulk_slot_timeout``. A 429 that a
submission still meets (another client took the slot first) is retried by the hook, then waited for here. The wait is
deferrable (``ThreeSixtyLearningConditionTrigger`` polls ``GET /api/v2/bulk/operations/{id}``) or, if not,
a polling loop in the worker. Then each operation's results are read: successes are counted, failures
named with their input and reason, and the task fails if any object failed while the rest stands.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.configuration import conf
from airflow.sdk import BaseOperator

from airflow_provider_360learning.actions.requests import BODY_PARAMETER, ApiRequest, build_request
from airflow_provider_360learning.bulk import (
    INPUT_FIELD,
    MAX_UNFINISHED_OPERATIONS,
    OPERATION_ACTION,
    RESULTS_ACTION,
    TERMINAL_STATES,
    BulkReport,
    bulk_action,
    chunked,
    input_limit,
    read_items,
)
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningBulkError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningRateLimitError,
    ThreeSixtyLearningWaitError,
)
from airflow_provider_360learning.operators.three_sixty_learning import fixed_action
from airflow_provider_360learning.triggers.conditions import check
from airflow_provider_360learning.triggers.three_sixty_learning import ThreeSixtyLearningConditionTrigger

if TYPE_CHECKING:  # the hook (HTTP provider) is imported when a task runs, not when a DAG file is parsed
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

STATE_KEY = "bulk_operation_ids"
"""Task state store key of ``{chunk index: operation id}``: renaming it breaks in-flight retries."""


class ThreeSixtyLearningBulkOperator(BaseOperator):
    """
    Run a Bulk API operation over any number of objects and report which ones failed.

    :param action: a Bulk API submission, e.g. ``import_external_courses`` (templated).
    :param items: the objects (the ``input`` entries), e.g. from XCom (templated).
    :param items_path: or a JSON Lines file of them, local or object storage, read in chunks (templated).
    :param parameters: the action's path parameters, e.g. ``{"integrationId": ...}`` (templated).
    :param chunk_size: objects per request; at most, and by default, the operation's documented limit.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between two status reads.
    :param wait_timeout: give up waiting after this long (the operations go on in 360Learning).
    :param bulk_slot_timeout: longest wait, before one submission, for the company to have fewer than 3
        unfinished bulk operations (360Learning's limit); then the task fails, saying which ones are unfinished.
    :param failures_path: write every failed object (input and reason) here as JSON Lines (templated).
    :param fail_on_object_errors: fail the task when any object failed (the others stand either way).
    """

    template_fields: Sequence[str] = (
        "action",
        "items",
        "items_path",
        "parameters",
        "failures_path",
        "three_sixty_learning_conn_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"items": "json", "parameters": "json"}
    ui_color = "#1f4b78"
    ui_fgcolor = "#ffffff"

    action_name: ClassVar[str | None] = None
    """Set by the named bulk operators (``operators.generated.bulk_actions``): the action they run."""

    def __init__(
        self,
        *,
        action: str | None = None,
        items: Iterable[Any] | None = None,
        items_path: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        chunk_size: int | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        wait_timeout: dt.timedelta = dt.timedelta(hours=6),
        bulk_slot_timeout: dt.timedelta = dt.timedelta(hours=1),
        failures_path: str | None = None,
        fail_on_object_errors: bool = True,
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningHook.default_conn_name
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action = action = fixed_action(self, action)
        self.items = items
        self.items_path = items_path
        self.parameters = dict(parameters or {})
        self.chunk_size = chunk_size
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.bulk_slot_timeout = bulk_slot_timeout
        self.failures_path = failures_path
        self.fail_on_object_errors = fail_on_object_errors
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.hook_params = hook_params or {}
        self._stop = threading.Event()
        self._operation_ids: list[str] = []
        if "{{" not in action:
            bulk_action(action)

    @cached_property
    def hook(self) -> ThreeSixtyLearningHook:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        return ThreeSixtyLearningHook(self.three_sixty_learning_conn_id, **self.hook_params)

    def _chunk_size(self) -> int:
        limit = input_limit(self.action)
        size = self.chunk_size or limit
        if not 1 <= size <= limit:
            raise ThreeSixtyLearningParameterError(
                self.action, "chunk_size", f"must be within 1..{limit} (the documented maxItems)"
            )
        return size

    def _chunks(self) -> Iterable[list[Any]]:
        return chunked(read_items(self.items, self.items_path), self._chunk_size())

    def _request_params(self, chunk: list[Any]) -> dict[str, Any]:
        return {**self.parameters, BODY_PARAMETER: {INPUT_FIELD: chunk}}

    # --- submission -------------------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        return self._submit_all(context)

    def execute_after_slot_wait(
        self,
        context: Context,
        event: dict[str, Any],
        submitted: dict[str, str] | None = None,
        slot_deadline: float | None = None,
    ) -> Any:
        """Back from the triggerer with a free bulk slot (or not): submit the remaining chunks.

        What was submitted comes with the deferral's kwargs and, echoed, in the event itself (``dag.test()``'s
        inline triggers resume with the event alone); the task state store has it too.
        """
        resume = event.get("payload", {}).get("resume", {})
        submitted = submitted if submitted is not None else resume.get("submitted", {})
        slot_deadline = slot_deadline if slot_deadline is not None else resume.get("slot_deadline")
        if event.get("status") != "success":
            raise ThreeSixtyLearningWaitError(
                f"{self.action}: waiting for a free Bulk API slot ended with {event.get('status')}: "
                f"{event.get('message')}; chunks submitted so far: {submitted or 'none'} (they go on in 360Learning)"
            )
        return self._submit_all(context, submitted, slot_deadline)

    def _submit_all(
        self, context: Context, resumed: Mapping[str, str] | None = None, slot_deadline: float | None = None
    ) -> Any:
        action = bulk_action(self.action)
        if isinstance(self.items, Iterator):
            self.items = list(self.items)  # read twice (check, then submit): for streaming, use items_path
        # Every chunk is checked against the schema before the first is sent: nothing half-submitted.
        # Inline items keep their checked requests (they are in memory anyway); a file is read again.
        checked: list[ApiRequest] = []
        chunks = 0
        for chunk in self._chunks():
            request = build_request(action, self._request_params(chunk))
            if self.items_path is None:
                checked.append(request)
            chunks += 1
        if chunks == 0:
            self.log.info("No objects: nothing to submit")
            return BulkReport().as_dict()
        store: Any = context.get("task_state_store")
        submitted: dict[str, str] = dict((store.get(STATE_KEY) if store is not None else None) or {})
        submitted.update(resumed or {})
        if submitted:
            self.log.info("Resuming: %d chunk(s) already submitted: %s", len(submitted), submitted)
        elif store is None:
            self.log.warning("No task state store: a retry of this task would submit the operations again")
        requests = (
            iter(checked) if checked else (build_request(action, self._request_params(c)) for c in self._chunks())
        )
        for index, request in enumerate(requests):
            if str(index) in submitted:
                continue
            operation_id = self._submit_in_a_free_slot(request, submitted, slot_deadline)
            slot_deadline = None  # each chunk waits at most bulk_slot_timeout for its slot
            submitted[str(index)] = operation_id
            if store is not None:
                store.set(STATE_KEY, submitted)  # before waiting: a retry resumes instead of resubmitting
            size = len(request.json_body[INPUT_FIELD])
            self.log.info("Chunk %d/%d (%d objects) submitted: operation %s", index + 1, chunks, size, operation_id)
        self._operation_ids = [submitted[str(i)] for i in range(chunks)]
        return self._wait(context, self._operation_ids)

    def _submit_in_a_free_slot(self, request: ApiRequest, submitted: dict[str, str], deadline: float | None) -> str:
        """Submit once the company has fewer than 3 unfinished bulk operations (defers while it has not)."""
        if deadline is None:
            deadline = time.time() + self.bulk_slot_timeout.total_seconds()
        while True:
            self._wait_for_a_slot(submitted, deadline)
            try:
                return self.hook.submit_bulk(request)
            except ThreeSixtyLearningRateLimitError:
                # Another client took the slot between the count and the submission, and the hook's own
                # retries of the 429 ran out: wait for a slot again, within the same deadline.
                if time.time() >= deadline or self._stop.is_set():
                    raise
                self.log.warning("Bulk submission refused with 429 (the company's 3 slots are taken): waiting again")

    def _wait_for_a_slot(self, submitted: dict[str, str], deadline: float) -> None:
        arguments: dict[str, Any] = {"max_unfinished": MAX_UNFINISHED_OPERATIONS}
        while True:
            verdict = check("bulk_slots_free", arguments, self.hook.call_action)
            if verdict.done:
                return
            unfinished = verdict.payload["unfinished"]
            if time.time() >= deadline or self._stop.is_set():
                raise ThreeSixtyLearningWaitError(
                    f"{self.action}: no Bulk API slot freed up within {self.bulk_slot_timeout}: the company still has "
                    f"{len(unfinished)} unfinished bulk operations {unfinished} and 360Learning runs at most "
                    f"{MAX_UNFINISHED_OPERATIONS} at once. Chunks submitted so far: {submitted or 'none'} (they go on "
                    "in 360Learning; a retry of this task submits only the others). Raise bulk_slot_timeout, or "
                    "schedule this task away from the other bulk loads."
                )
            if self.deferrable:
                self.log.info("%d bulk operations unfinished %s: deferring until one ends", len(unfinished), unfinished)
                resume = {"submitted": dict(submitted), "slot_deadline": deadline}
                self.defer(
                    trigger=ThreeSixtyLearningConditionTrigger(
                        condition="bulk_slots_free",
                        arguments={**arguments, "resume": resume},
                        three_sixty_learning_conn_id=self.three_sixty_learning_conn_id,
                        poll_interval=self.poll_interval,
                        end_time=deadline,
                        hook_params=self.hook_params,
                    ),
                    method_name="execute_after_slot_wait",
                    kwargs=resume,
                )
            self.log.info(
                "%d bulk operations unfinished %s (at most %d at once): next check in %.0f s",
                len(unfinished),
                unfinished,
                MAX_UNFINISHED_OPERATIONS,
                self.poll_interval,
            )
            self._stop.wait(max(0.0, min(self.poll_interval, deadline - time.time())))

    # --- waiting -------------------------------------------------------------------------------------------
    def _arguments(self, operation_ids: Sequence[str]) -> dict[str, Any]:
        return {"operation_ids": list(operation_ids)}

    def _wait(self, context: Context, operation_ids: list[str]) -> Any:
        deadline = time.time() + self.wait_timeout.total_seconds()
        while True:
            verdict = check("bulk_operations_finished", self._arguments(operation_ids), self.hook.call_action)
            if verdict.done:
                return self._report(operation_ids)
            if self.deferrable:
                self.log.info("Operations %s are running: deferring until they finish", verdict.payload["operations"])
                self.defer(
                    trigger=ThreeSixtyLearningConditionTrigger(
                        condition="bulk_operations_finished",
                        arguments=self._arguments(operation_ids),
                        three_sixty_learning_conn_id=self.three_sixty_learning_conn_id,
                        poll_interval=self.poll_interval,
                        end_time=deadline,
                        hook_params=self.hook_params,
                    ),
                    method_name="execute_complete",
                    kwargs={"operation_ids": operation_ids},
                )
            if time.time() >= deadline or self._stop.is_set():
                raise ThreeSixtyLearningWaitError(
                    f"Stopped waiting for bulk operations {operation_ids}; they go on in 360Learning (no cancel endpoint)"
                )
            self.log.info("Operations %s: next poll in %.0f s", verdict.payload["operations"], self.poll_interval)
            self._stop.wait(self.poll_interval)

    def execute_complete(self, context: Context, event: dict[str, Any], operation_ids: list[str] | None = None) -> Any:
        """Back from the triggerer: report, or fail with what the wait said.

        The ids come with the deferral's kwargs and, in order, in the event itself (some runners, like
        ``dag.test()``'s inline triggers, resume with the event alone).
        """
        operation_ids = operation_ids or list(event.get("payload", {}).get("operations", {}))
        self._operation_ids = operation_ids
        if event.get("status") != "success":
            raise ThreeSixtyLearningWaitError(
                f"Waiting for bulk operations {operation_ids} ended with {event.get('status')}: {event.get('message')}"
                " (the operations go on in 360Learning)"
            )
        return self._report(operation_ids)

    # --- results -----------------------------------------------------------------------------------------
    def _report(self, operation_ids: Sequence[str]) -> dict[str, Any]:
        report = BulkReport()
        failures_file = self._open_failures()
        try:
            for operation_id in operation_ids:
                operation = self.hook.call_action(OPERATION_ACTION, bulkOperationId=operation_id)
                report.add_operation(operation)
                if operation["status"] not in TERMINAL_STATES:
                    raise ThreeSixtyLearningWaitError(f"bulk operation {operation_id} is still {operation['status']}")
                results = self.hook.call_action(RESULTS_ACTION, bulkOperationId=operation_id) or []
                report.add_results(operation_id, results)
                if failures_file is not None:
                    for result in results:
                        if result.get("status") != "success":
                            failures_file.write(
                                json.dumps(
                                    {
                                        "operation": operation_id,
                                        "input": result.get("input"),
                                        "reason": result.get("errorMessage"),
                                    }
                                )
                                + "\n"
                            )
        finally:
            if failures_file is not None:
                failures_file.close()
        self.log.info(
            "%s: %d object(s) succeeded, %d failed, operations %s",
            self.action,
            report.succeeded,
            report.failed,
            report.operations,
        )
        if not report.ok:
            self.log.error("Failed objects (the others were applied):\n%s", report.describe_failures())
            if self.fail_on_object_errors or report.operation_errors:
                raise ThreeSixtyLearningBulkError(
                    f"{self.action}: {report.failed} object(s) failed and {len(report.operation_errors)} operation(s) "
                    f"ended in error; {report.succeeded} succeeded and stand.\n{report.describe_failures()}",
                    report.as_dict(),
                )
        return report.as_dict()

    def _open_failures(self) -> Any:
        if not self.failures_path:
            return None
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(self.failures_path).open("w", encoding="utf-8")

    def on_kill(self) -> None:
        """There is no cancel endpoint: stop waiting, and say that the operations go on in 360Learning."""
        self._stop.set()
        if self._operation_ids:
            self.log.warning("Stopped waiting; bulk operations %s go on in 360Learning", self._operation_ids)
