"""Make sure the webhook subscriptions a deployment polls exist and are active, once per event type.

An event-driven DAG reads a subscription's recorded events (``WebhookEventTrigger``); 360Learning records them
only for an ``active`` subscription. Running this operator again finds the subscriptions it created (by
event type and name) instead of creating more: 360Learning allows a few subscriptions per event type only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

DEFAULT_SUBSCRIPTION_NAME = "airflow-polling"
PLACEHOLDER_URL = "https://example.com/360learning-airflow-polling"
"""Where 360Learning pushes the events when nobody listens: a reachable URL (creation checks it, 400
``urlUnreachable`` otherwise) that nobody reads. Pushes to it may be marked ``failed``; the events stay listed."""


def subscription_name(prefix: str, event_type: str) -> str:
    """The name the operator gives (and finds again) the subscription of an event type."""
    return f"{prefix} {event_type}"


class EnsureWebhookSubscriptionsOperator(BaseOperator):
    """
    One active webhook subscription per event type, created the first time and found again afterwards.

    Returns ``{event_type: {"subscription_id", "name", "created", "reactivated"}}``. An inactive subscription of
    that name is set ``active`` again (360Learning records no event for an inactive one).

    :param event_types: the webhook event types, e.g. ``course.attempt.closed`` (templated).
    :param name: the name prefix; each subscription is named ``"<name> <event type>"`` (templated).
    :param url: where 360Learning pushes the events; any reachable URL when the events are only polled
        (templated). An existing subscription keeps its URL.
    :param three_sixty_learning_conn_id: the 360Learning connection; its API client needs ``webhooks:read``
        and ``webhooks:write``.
    """

    template_fields: Sequence[str] = ("event_types", "name", "url")

    def __init__(
        self,
        *,
        event_types: Sequence[str],
        name: str = DEFAULT_SUBSCRIPTION_NAME,
        url: str = PLACEHOLDER_URL,
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningHook.default_conn_name
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_types = event_types
        self.name = name
        self.url = url
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.hook_params = hook_params or {}

    @cached_property
    def hook(self) -> ThreeSixtyLearningHook:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        return ThreeSixtyLearningHook(self.three_sixty_learning_conn_id, **self.hook_params)

    def execute(self, context: Context) -> dict[str, dict[str, Any]]:
        if isinstance(self.event_types, str) or not self.event_types:
            raise ThreeSixtyLearningParameterError(
                "create_subscription", "event_types", f"must be a list of event types, got {self.event_types!r}"
            )
        return {event_type: self.ensure(event_type) for event_type in dict.fromkeys(self.event_types)}

    def ensure(self, event_type: str) -> dict[str, Any]:
        """The subscription of ``event_type`` named after it: found, reactivated, or created."""
        name = subscription_name(self.name, event_type)
        found = [
            s for s in self.hook.iter_action("get_subscriptions", eventType={"eq": event_type}) if s["name"] == name
        ]
        created = reactivated = False
        if found:
            subscription = found[0]
            if len(found) > 1:
                self.log.warning(
                    "%d subscriptions to %s are named %r; using %s", len(found), event_type, name, subscription["_id"]
                )
            if subscription["status"] != "active":
                subscription = self.hook.call_action(
                    "update_subscription", subscriptionId=subscription["_id"], body={"status": "active"}
                )
                reactivated = True
        else:
            body = {"eventType": event_type, "name": name, "url": self.url}
            subscription = self.hook.call_action("create_subscription", body=body)
            created = True
        self.log.info(
            "Webhook subscription %s to %s: %s",
            subscription["_id"],
            event_type,
            "created" if created else "reactivated" if reactivated else "already there",
        )
        return {"subscription_id": subscription["_id"], "name": name, "created": created, "reactivated": reactivated}
