"""Operators for the 360Learning Learning Needs actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator

__all__ = [
    "GetLearningNeedsOperator",
]


class GetLearningNeedsOperator(ThreeSixtyLearningOperator):
    """List all learning needs.

    ``GET /api/v2/learning-needs``, scope ``learningNeeds:read``, pages of 500 (every page is read).
    """

    action_name = "get_learning_needs"
