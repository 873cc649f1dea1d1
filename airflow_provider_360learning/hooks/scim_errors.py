"""Deprecated location of the SCIM hook's errors: they live in :mod:`airflow_provider_360learning.exceptions`."""

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConflictError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
)

__all__ = [
    "ThreeSixtyLearningScimAuthenticationError",
    "ThreeSixtyLearningScimConflictError",
    "ThreeSixtyLearningScimConnectionError",
    "ThreeSixtyLearningScimError",
]
