"""Wait in the triggerer, without holding a worker slot, until a 360Learning condition holds.

One trigger serves every wait of this provider (bulk operations, path session completion, new
statistics): it stores only the condition's name and JSON arguments (see ``triggers.conditions``), so
it serialises cleanly and a restarted triggerer simply polls again from the same arguments.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_360learning.triggers.conditions import CONDITIONS, acheck


class ThreeSixtyLearningConditionTrigger(BaseTrigger):
    """
    Poll a condition of ``triggers.conditions`` until it holds, fails, or ``end_time`` passes.

    Yields one event: ``{"status": "success" | "failed" | "timeout" | "error", "condition", "payload",
    "message"}``.

    :param condition: name in ``CONDITIONS`` (``bulk_operations_finished``, ``bulk_slots_free``,
        ``path_session_completion``, ``new_rows_since``).
    :param arguments: the condition's JSON arguments.
    :param end_time: epoch seconds after which the wait gives up (``None``: no limit).
    """

    def __init__(
        self,
        *,
        condition: str,
        arguments: dict[str, Any],
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningAsyncHook.default_conn_name
        poll_interval: float = 10.0,
        end_time: float | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if condition not in CONDITIONS:
            raise ValueError(f"unknown condition {condition!r}; known: {sorted(CONDITIONS)}")
        self.condition = condition
        self.arguments = arguments
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.poll_interval = poll_interval
        self.end_time = end_time
        self.hook_params = hook_params or {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "condition": self.condition,
                "arguments": self.arguments,
                "three_sixty_learning_conn_id": self.three_sixty_learning_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "hook_params": self.hook_params,
            },
        )

    def _event(self, status: str, payload: dict[str, Any] | None = None, message: str = "") -> TriggerEvent:
        return TriggerEvent(
            {"status": status, "condition": self.condition, "payload": payload or {}, "message": message}
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook

            async with ThreeSixtyLearningAsyncHook(self.three_sixty_learning_conn_id, **self.hook_params) as hook:
                while True:
                    verdict = await acheck(self.condition, self.arguments, hook.acall_action)
                    if verdict.done:
                        status = "failed" if verdict.failure else "success"
                        yield self._event(status, verdict.payload, verdict.failure or "")
                        return
                    if self.end_time is not None and time.time() >= self.end_time:
                        yield self._event(
                            "timeout", verdict.payload, f"{self.condition} did not hold before the timeout"
                        )
                        return
                    self.log.info(
                        "%s not yet: %s; next poll in %.0f s", self.condition, verdict.payload, self.poll_interval
                    )
                    await asyncio.sleep(self.poll_interval)
        except Exception as exc:  # the event carries the error to the task, which fails with it
            yield self._event("error", message=f"{type(exc).__name__}: {exc}")
