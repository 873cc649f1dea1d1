"""Operators for the 360Learning Authentication actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator

__all__ = [
    "GenerateTokenOperator",
]


class GenerateTokenOperator(ThreeSixtyLearningOperator):
    """Create an access token.

    Checks the connection's credentials: the client id and secret come from the connection, and the
    task returns the token's lifetime, never the token.

    ``POST /api/v2/oauth2/token``.
    """

    action_name = "generate_token"
