"""Operators for the 360Learning Custom Links actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateCustomLinkOperator",
    "DeleteCustomLinkOperator",
    "GetCustomLinksByCompanyOperator",
    "ReplaceCustomLinkOperator",
]


class CreateCustomLinkOperator(ThreeSixtyLearningOperator):
    """Create a custom link.

    ``POST /api/v2/custom-links``, scope ``customLinks:write``.

    :param body: Input Custom Link, as a JSON object; required: name, order, type (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_custom_link"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteCustomLinkOperator(ThreeSixtyLearningOperator):
    """Delete a custom link.

    ``DELETE /api/v2/custom-links/{customLinkId}``, scope ``customLinks:write``.

    :param customLinkId: The unique ID of the custom link. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_custom_link"

    def __init__(self, *, customLinkId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customLinkId=customLinkId)
        super().__init__(parameters=parameters, **kwargs)


class GetCustomLinksByCompanyOperator(ThreeSixtyLearningOperator):
    """List custom links.

    ``GET /api/v2/custom-links``, scope ``customLinks:read``, pages of 1,000 (every page is read).
    """

    action_name = "get_custom_links_by_company"


class ReplaceCustomLinkOperator(ThreeSixtyLearningOperator):
    """Replace a custom link.

    ``PUT /api/v2/custom-links/{customLinkId}``, scope ``customLinks:write``.

    :param customLinkId: The unique ID of the custom link. (path, required)
    :param body: Input Custom Link, as a JSON object; required: name, order, type (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_custom_link"

    def __init__(
        self,
        *,
        customLinkId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), customLinkId=customLinkId, body=body)
        super().__init__(parameters=parameters, **kwargs)
