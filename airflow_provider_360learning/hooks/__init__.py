"""Hooks: :mod:`.three_sixty_learning` (API v2), :mod:`.edx` and :mod:`.scim`.

The hooks' errors live in :mod:`airflow_provider_360learning.exceptions`; their old modules
``hooks.edx_errors`` and ``hooks.scim_errors`` keep working for one release, with a deprecation warning
(see CHANGELOG.md).
"""

from airflow_provider_360learning._moved import register_moved_modules

_EXCEPTIONS = "airflow_provider_360learning.exceptions"

register_moved_modules(
    __name__,
    {
        "edx_errors": (
            _EXCEPTIONS,
            (
                "EdxAPIError",
                "EdxAuthenticationError",
                "EdxBadRequestError",
                "EdxConnectionConfigError",
                "EdxConnectionError",
                "EdxError",
                "EdxNotFoundError",
                "EdxPermissionError",
                "EdxRateLimitError",
                "EdxServerError",
            ),
        ),
        "scim_errors": (
            _EXCEPTIONS,
            (
                "ThreeSixtyLearningScimAuthenticationError",
                "ThreeSixtyLearningScimConflictError",
                "ThreeSixtyLearningScimConnectionError",
                "ThreeSixtyLearningScimError",
            ),
        ),
    },
)
