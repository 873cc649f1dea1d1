"""Operators for the 360Learning Custom Fields actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateCustomFieldOperator",
    "DeleteCustomFieldOperator",
    "EditCustomFieldOperator",
    "ListCustomFieldAuthorizedValuesOperator",
    "ListCustomFieldsOperator",
    "ReplaceCustomFieldAuthorizedValuesOperator",
]


class CreateCustomFieldOperator(ThreeSixtyLearningOperator):
    """Create a custom field.

    ``POST /api/v2/custom-fields``, scope ``customFields:write``.

    :param body: Input Custom Field, as a JSON object; required: name, targetType, type (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_custom_field"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteCustomFieldOperator(ThreeSixtyLearningOperator):
    """Delete a custom field.

    ``DELETE /api/v2/custom-fields/{customFieldId}``, scope ``customFields:write``.

    :param customFieldId: The unique ID of the custom field. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_custom_field"

    def __init__(self, *, customFieldId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customFieldId=customFieldId)
        super().__init__(parameters=parameters, **kwargs)


class EditCustomFieldOperator(ThreeSixtyLearningOperator):
    """Edit a custom field.

    ``PATCH /api/v2/custom-fields/{customFieldId}``, scope ``customFields:write``.

    :param customFieldId: The unique ID of the custom field. (path, required)
    :param body: Update Custom Field Body, as a JSON object; required: name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_custom_field"

    def __init__(
        self,
        *,
        customFieldId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customFieldId=customFieldId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ListCustomFieldAuthorizedValuesOperator(ThreeSixtyLearningOperator):
    """List all authorized values.

    ``GET /api/v2/custom-fields/{customFieldId}/authorized-values``, scope ``customFields:read``.

    :param customFieldId: The unique ID of the custom field. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_custom_field_authorized_values"

    def __init__(self, *, customFieldId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customFieldId=customFieldId)
        super().__init__(parameters=parameters, **kwargs)


class ListCustomFieldsOperator(ThreeSixtyLearningOperator):
    """List all custom fields.

    ``GET /api/v2/custom-fields``, scope ``customFields:read``, pages of 1,000 (every page is read).

    :param name: Filter on **name** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param targetType: Filter on **targetType** property with LHS bracket notation. (filter: a mapping of eq, ne,
        in, nin to values)
    :param type: Filter on **type** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_custom_fields"

    def __init__(
        self,
        *,
        name: dict[str, Any] | None = None,
        targetType: dict[str, Any] | None = None,
        type: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), name=name, targetType=targetType, type=type)
        super().__init__(parameters=parameters, **kwargs)


class ReplaceCustomFieldAuthorizedValuesOperator(ThreeSixtyLearningOperator):
    """Replace all authorized values.

    ``PUT /api/v2/custom-fields/{customFieldId}/authorized-values``, scope ``customFields:write``.

    :param customFieldId: customFieldId (path, required)
    :param body: Replace Authorized Values, as a JSON object; required: authorizedValues (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_custom_field_authorized_values"

    def __init__(
        self,
        *,
        customFieldId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customFieldId=customFieldId, body=body)
        super().__init__(parameters=parameters, **kwargs)
