"""Operators for the 360Learning Tags actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateTagOperator",
    "DeleteTagOperator",
    "GetTagOperator",
    "ListTagsOperator",
    "ReplaceTagOperator",
]


class CreateTagOperator(ThreeSixtyLearningOperator):
    """Create a tag.

    ``POST /api/v2/tags``, scope ``tags:write``.

    :param body: Tag Updatable Fields, as a JSON object; required: isMain, name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_tag"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteTagOperator(ThreeSixtyLearningOperator):
    """Delete a tag.

    ``DELETE /api/v2/tags/{tagId}``, scope ``tags:write``.

    :param tagId: The unique ID of the tag. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_tag"

    def __init__(self, *, tagId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), tagId=tagId)
        super().__init__(parameters=parameters, **kwargs)


class GetTagOperator(ThreeSixtyLearningOperator):
    """Retrieve a tag.

    ``GET /api/v2/tags/{tagId}``, scope ``tags:read``.

    :param tagId: The unique ID of the tag. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_tag"

    def __init__(self, *, tagId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), tagId=tagId)
        super().__init__(parameters=parameters, **kwargs)


class ListTagsOperator(ThreeSixtyLearningOperator):
    """List all tags.

    ``GET /api/v2/tags``, scope ``tags:read``, pages of 5,000 (every page is read).

    :param isMain: Filter on **isMain** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_tags"

    def __init__(self, *, isMain: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), isMain=isMain)
        super().__init__(parameters=parameters, **kwargs)


class ReplaceTagOperator(ThreeSixtyLearningOperator):
    """Replace a tag.

    ``PUT /api/v2/tags/{tagId}``, scope ``tags:write``.

    :param tagId: The unique ID of the tag. (path, required)
    :param body: Tag Updatable Fields, as a JSON object; required: isMain, name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_tag"

    def __init__(self, *, tagId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), tagId=tagId, body=body)
        super().__init__(parameters=parameters, **kwargs)
