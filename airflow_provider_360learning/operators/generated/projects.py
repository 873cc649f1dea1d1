"""Operators for the 360Learning Projects actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator

__all__ = [
    "GetProjectsOperator",
]


class GetProjectsOperator(ThreeSixtyLearningOperator):
    """List all projects.

    ``GET /api/v2/projects``, scope ``projects:read``, pages of 500 (every page is read).
    """

    action_name = "get_projects"
