"""Sensors that wait for something to happen in 360Learning: in poke mode, or deferred to the triggerer.

Each sensor names a condition of ``triggers.conditions``; ``poke`` checks it with the sync hook, and a
deferrable sensor (``deferrable=True``, or ``[operators] default_deferrable``) checks once, then hands
the same condition to ``ThreeSixtyLearningConditionTrigger`` so no worker slot is held while it waits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.configuration import conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError, ThreeSixtyLearningWaitError
from airflow_provider_360learning.triggers.conditions import check
from airflow_provider_360learning.triggers.three_sixty_learning import ThreeSixtyLearningConditionTrigger

if TYPE_CHECKING:  # the hook (HTTP provider) is imported when a task runs, not when a DAG file is parsed
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook


class ThreeSixtyLearningConditionSensor(BaseSensorOperator):
    """Base of this provider's sensors: a condition name and its arguments (see the module docstring)."""

    condition: ClassVar[str]
    template_fields: Sequence[str] = ("three_sixty_learning_conn_id",)
    ui_color = "#8fb8de"

    def __init__(
        self,
        *,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningHook.default_conn_name
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.hook_params = hook_params or {}

    @cached_property
    def hook(self) -> ThreeSixtyLearningHook:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        return ThreeSixtyLearningHook(self.three_sixty_learning_conn_id, **self.hook_params)

    def arguments(self) -> dict[str, Any]:
        """The condition's JSON arguments, from the (rendered) template fields."""
        raise NotImplementedError

    def poke(self, context: Context) -> PokeReturnValue:
        verdict = check(self.condition, self.arguments(), self.hook.call_action)
        if verdict.failure:
            raise ThreeSixtyLearningWaitError(f"{self.task_id}: {verdict.failure}")
        self.log.info("%s %s: %s", self.condition, "met" if verdict.done else "not yet", verdict.payload)
        return PokeReturnValue(is_done=verdict.done, xcom_value=verdict.payload if verdict.done else None)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        self.defer(
            trigger=ThreeSixtyLearningConditionTrigger(
                condition=self.condition,
                arguments=self.arguments(),
                three_sixty_learning_conn_id=self.three_sixty_learning_conn_id,
                poll_interval=self.poke_interval,
                end_time=(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.timeout)).timestamp(),
                hook_params=self.hook_params,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if event.get("status") != "success":
            raise ThreeSixtyLearningWaitError(f"{self.task_id}: {event.get('status')}: {event.get('message')}")
        return event.get("payload")


class BulkOperationSensor(ThreeSixtyLearningConditionSensor):
    """
    Wait until bulk operations are finished (``completed``; ``error`` fails the sensor).

    :param operation_ids: one id or several (templated; e.g. from a bulk task's XCom).
    """

    condition = "bulk_operations_finished"
    template_fields: Sequence[str] = (*ThreeSixtyLearningConditionSensor.template_fields, "operation_ids")

    def __init__(self, *, operation_ids: str | list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation_ids = operation_ids

    def arguments(self) -> dict[str, Any]:
        ids = [self.operation_ids] if isinstance(self.operation_ids, str) else list(self.operation_ids)
        return {"operation_ids": ids, "fail_on_error": True}


class PathSessionCompletionSensor(ThreeSixtyLearningConditionSensor):
    """
    Wait until a share of a path session's audience has completed it (``get_path_session_metrics``).

    :param path_id: the path (templated).
    :param session_id: the session (templated).
    :param threshold: share of the audience, within 0..1 (e.g. 0.8 for 80%).
    :param completed_statuses: statuses that count as completed (default: ``successful``).
    """

    condition = "path_session_completion"
    template_fields: Sequence[str] = (*ThreeSixtyLearningConditionSensor.template_fields, "path_id", "session_id")

    def __init__(
        self,
        *,
        path_id: str,
        session_id: str,
        threshold: float = 1.0,
        completed_statuses: Sequence[str] = ("successful",),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 < threshold <= 1:
            raise ThreeSixtyLearningParameterError("get_path_session_metrics", "threshold", "must be within (0, 1]")
        self.path_id = path_id
        self.session_id = session_id
        self.threshold = threshold
        self.completed_statuses = list(completed_statuses)

    def arguments(self) -> dict[str, Any]:
        return {
            "path_id": self.path_id,
            "session_id": self.session_id,
            "threshold": self.threshold,
            "completed_statuses": self.completed_statuses,
        }


class NewStatisticsSensor(ThreeSixtyLearningConditionSensor):
    """
    Wait until a statistics list has rows completed since a watermark (``completedAt[gte]``).

    :param since: the watermark, ISO 8601 (templated, e.g. ``{{ data_interval_start }}``).
    :param action: ``list_courses_statistics`` (default), ``get_path_stats`` or ``list_path_session_user_stats``.
    :param parameters: other parameters of the action, e.g. its path ids (templated).
    """

    condition = "new_rows_since"
    template_fields: Sequence[str] = (*ThreeSixtyLearningConditionSensor.template_fields, "since", "parameters")
    ACTIONS: ClassVar[tuple[str, ...]] = ("list_courses_statistics", "get_path_stats", "list_path_session_user_stats")

    def __init__(
        self,
        *,
        since: str | dt.datetime,
        action: str = "list_courses_statistics",
        parameters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if action not in self.ACTIONS:
            raise ThreeSixtyLearningParameterError(
                action, None, f"has no completedAt filter to watch; use one of {self.ACTIONS}"
            )
        self.since = since
        self.action = action
        self.parameters = parameters or {}

    def arguments(self) -> dict[str, Any]:
        since = self.since.isoformat() if isinstance(self.since, dt.datetime) else str(self.since)
        return {"action": self.action, "field": "completedAt", "since": since, "parameters": self.parameters}


class WebhookEventSensor(ThreeSixtyLearningConditionSensor):
    """
    Wait until a webhook subscription has events created since a watermark (``get_events``), so a DAG
    can react to 360Learning events without exposing an HTTP endpoint.

    :param subscription_id: the webhook subscription (templated).
    :param since: the watermark, ISO 8601 (templated, e.g. ``{{ data_interval_start }}``).
    """

    condition = "new_rows_since"
    template_fields: Sequence[str] = (*ThreeSixtyLearningConditionSensor.template_fields, "subscription_id", "since")

    def __init__(self, *, subscription_id: str, since: str | dt.datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subscription_id = subscription_id
        self.since = since

    def arguments(self) -> dict[str, Any]:
        since = self.since.isoformat() if isinstance(self.since, dt.datetime) else str(self.since)
        return {
            "action": "get_events",
            "field": "createdAt",
            "since": since,
            "parameters": {"subscriptionId": self.subscription_id},
        }
