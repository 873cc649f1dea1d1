"""Operators for the 360Learning Skills actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "GetPowersOperator",
    "GetSkillsOperator",
    "ReplaceUserJobsOperator",
]


class GetPowersOperator(ThreeSixtyLearningOperator):
    """List all the powers.

    ``GET /api/v2/skills/powers``, scope ``skillsPowers:read``, pages of 500 (every page is read).

    :param skillId: Filter on **skillId** property with LHS bracket notation. (filter: a mapping of eq, in to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq, ne to values)
    :param userId: Filter on **userId** property with LHS bracket notation. (filter: a mapping of eq, in to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_powers"

    def __init__(
        self,
        *,
        skillId: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        userId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), skillId=skillId, status=status, userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class GetSkillsOperator(ThreeSixtyLearningOperator):
    """List all skills.

    ``GET /api/v2/skills``, scope ``skills:read``, pages of 500 (every page is read).

    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param updatedAt: Filter on **updatedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_skills"

    def __init__(
        self,
        *,
        status: dict[str, Any] | None = None,
        updatedAt: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), status=status, updatedAt=updatedAt)
        super().__init__(parameters=parameters, **kwargs)


class ReplaceUserJobsOperator(ThreeSixtyLearningOperator):
    """Replace all jobs for a user.

    ``PUT /api/v2/skills/users/{userId}/jobs``, scope ``skillsJobs:write``.

    :param userId: The unique ID of a user. (path, required)
    :param body: Replace User Jobs Body, as a JSON object; required: jobIds (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_user_jobs"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)
