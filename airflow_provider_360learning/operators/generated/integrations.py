"""Operators for the 360Learning Integrations actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateIntegrationOperator",
    "DeleteIntegrationOperator",
    "EditIntegrationOperator",
    "GetExternalCourseOperator",
    "GetIntegrationsOperator",
]


class CreateIntegrationOperator(ThreeSixtyLearningOperator):
    """Create an integration configuration.

    ``POST /api/v2/integrations``, scope ``integrations:write``.

    :param body: Base Integration, as a JSON object; required: externalPlatform, authorId, groupId (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_integration"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteIntegrationOperator(ThreeSixtyLearningOperator):
    """Delete an integration configuration.

    ``DELETE /api/v2/integrations/{integrationId}``, scope ``integrations:write``.

    :param integrationId: The unique ID of the integration. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_integration"

    def __init__(self, *, integrationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), integrationId=integrationId)
        super().__init__(parameters=parameters, **kwargs)


class EditIntegrationOperator(ThreeSixtyLearningOperator):
    """Edit an integration configuration.

    ``PATCH /api/v2/integrations/{integrationId}``, scope ``integrations:write``.

    :param integrationId: The unique ID of the integration. (path, required)
    :param body: Patch Integration, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_integration"

    def __init__(
        self,
        *,
        integrationId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), integrationId=integrationId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetExternalCourseOperator(ThreeSixtyLearningOperator):
    """Retrieve an external course.

    ``GET /api/v2/integrations/{integrationId}/courses/{externalId}``, scope ``integrations:read``.

    :param integrationId: The unique ID of the integration the course has been imported for. (path, required)
    :param externalId: The unique external ID of the course. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_external_course"

    def __init__(self, *, integrationId: str | None = None, externalId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            integrationId=integrationId,
            externalId=externalId,
        )
        super().__init__(parameters=parameters, **kwargs)


class GetIntegrationsOperator(ThreeSixtyLearningOperator):
    """List integration configurations.

    ``GET /api/v2/integrations``, scope ``integrations:read``, pages of 100 (every page is read).

    :param externalPlatform: Filter on **externalPlatform** property with LHS bracket notation. (filter: a mapping
        of eq, ne, in, nin to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_integrations"

    def __init__(self, *, externalPlatform: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), externalPlatform=externalPlatform)
        super().__init__(parameters=parameters, **kwargs)
