"""Operators for the 360Learning External IDs actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateExternalIdMappingOperator",
    "DeleteExternalIdMappingOperator",
    "ListExternalIdMappingsOperator",
    "ReplaceExternalIdMappingOperator",
]


class CreateExternalIdMappingOperator(ThreeSixtyLearningOperator):
    """Create an ID mapping.

    ``POST /api/v2/external-ids``, scope ``externalIds:write``.

    :param body: Input External Id, as a JSON object; required: platform, targetId, targetType, value (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_external_id_mapping"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteExternalIdMappingOperator(ThreeSixtyLearningOperator):
    """Delete an ID mapping.

    ``DELETE /api/v2/external-ids/{mappingId}``, scope ``externalIds:write``.

    :param mappingId: The unique ID that identifies the resources mapping. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_external_id_mapping"

    def __init__(self, *, mappingId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), mappingId=mappingId)
        super().__init__(parameters=parameters, **kwargs)


class ListExternalIdMappingsOperator(ThreeSixtyLearningOperator):
    """List all ID mappings.

    ``GET /api/v2/external-ids``, scope ``externalIds:read``, pages of 5,000 (every page is read).

    :param platform: Filter on **platform** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param type: Filter on **type** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param value: Filter on **value** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param targetId: Filter on **targetId** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_external_id_mappings"

    def __init__(
        self,
        *,
        platform: dict[str, Any] | None = None,
        type: dict[str, Any] | None = None,
        value: dict[str, Any] | None = None,
        targetId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            platform=platform,
            type=type,
            value=value,
            targetId=targetId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ReplaceExternalIdMappingOperator(ThreeSixtyLearningOperator):
    """Replace an ID mapping.

    ``PUT /api/v2/external-ids/{mappingId}``, scope ``externalIds:write``.

    :param mappingId: The unique ID that identifies the resources mapping. (path, required)
    :param body: Input External Id, as a JSON object; required: platform, targetId, targetType, value (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_external_id_mapping"

    def __init__(self, *, mappingId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), mappingId=mappingId, body=body)
        super().__init__(parameters=parameters, **kwargs)
