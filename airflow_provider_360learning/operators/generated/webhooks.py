"""Operators for the 360Learning webhook subscription actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateSubscriptionOperator",
    "DeleteSubscriptionOperator",
    "GetEventsOperator",
    "GetSigningSecretOperator",
    "GetSubscriptionOperator",
    "GetSubscriptionsOperator",
    "RetryEventFailuresOperator",
    "RetryEventSuccessesOperator",
    "RotateSigningSecretOperator",
    "UpdateSubscriptionOperator",
]


class CreateSubscriptionOperator(ThreeSixtyLearningOperator):
    """Create a webhook subscription.

    ``POST /api/v2/webhooks/subscriptions``, scope ``webhooks:write``.

    :param body: Base Subscription, as a JSON object; required: eventType, name, url (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_subscription"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteSubscriptionOperator(ThreeSixtyLearningOperator):
    """Delete a webhook subscription.

    ``DELETE /api/v2/webhooks/subscriptions/{subscriptionId}``, scope ``webhooks:write``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_subscription"

    def __init__(self, *, subscriptionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId)
        super().__init__(parameters=parameters, **kwargs)


class GetEventsOperator(ThreeSixtyLearningOperator):
    """List all events for a webhook subscription.

    ``GET /api/v2/webhooks/subscriptions/{subscriptionId}/events``, scope ``webhooks:read``, pages of 250 (every page is read).

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_events"

    def __init__(
        self,
        *,
        subscriptionId: str | None = None,
        createdAt: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            subscriptionId=subscriptionId,
            createdAt=createdAt,
            status=status,
        )
        super().__init__(parameters=parameters, **kwargs)


class GetSigningSecretOperator(ThreeSixtyLearningOperator):
    """Retrieve the signing secret of a webhook subscription.

    ``GET /api/v2/webhooks/subscriptions/{subscriptionId}/secrets``, scope ``webhookSecrets:read``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_signing_secret"

    def __init__(self, *, subscriptionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId)
        super().__init__(parameters=parameters, **kwargs)


class GetSubscriptionOperator(ThreeSixtyLearningOperator):
    """Retrieve a webhook subscription.

    ``GET /api/v2/webhooks/subscriptions/{subscriptionId}``, scope ``webhooks:read``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_subscription"

    def __init__(self, *, subscriptionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId)
        super().__init__(parameters=parameters, **kwargs)


class GetSubscriptionsOperator(ThreeSixtyLearningOperator):
    """List all webhook subscriptions.

    ``GET /api/v2/webhooks/subscriptions``, scope ``webhooks:read``, pages of 2,000 (every page is read).

    :param eventType: Filter on **eventType** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_subscriptions"

    def __init__(self, *, eventType: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), eventType=eventType)
        super().__init__(parameters=parameters, **kwargs)


class RetryEventFailuresOperator(ThreeSixtyLearningOperator):
    """Retry the failed webhook events of a webhook subscription.

    ``POST /api/v2/webhooks/subscriptions/{subscriptionId}/events/retry-failure``, scope ``webhooks:write``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param body: Retry Events, as a JSON object; required: startDate, endDate (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "retry_event_failures"

    def __init__(
        self,
        *,
        subscriptionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class RetryEventSuccessesOperator(ThreeSixtyLearningOperator):
    """Retry the successful webhook events of a webhook subscription.

    ``POST /api/v2/webhooks/subscriptions/{subscriptionId}/events/retry-success``, scope ``webhooks:write``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param body: Retry Events, as a JSON object; required: startDate, endDate (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "retry_event_successes"

    def __init__(
        self,
        *,
        subscriptionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class RotateSigningSecretOperator(ThreeSixtyLearningOperator):
    """Rotate the signing secret of a webhook subscription.

    ``POST /api/v2/webhooks/subscriptions/{subscriptionId}/secrets/rotate``, scope ``webhookSecrets:write``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "rotate_signing_secret"

    def __init__(self, *, subscriptionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId)
        super().__init__(parameters=parameters, **kwargs)


class UpdateSubscriptionOperator(ThreeSixtyLearningOperator):
    """Edit a webhook subscription.

    ``PATCH /api/v2/webhooks/subscriptions/{subscriptionId}``, scope ``webhooks:write``.

    :param subscriptionId: The unique ID of the webhook subscription. (path, required)
    :param body: Patch Subscription, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_subscription"

    def __init__(
        self,
        *,
        subscriptionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), subscriptionId=subscriptionId, body=body)
        super().__init__(parameters=parameters, **kwargs)
