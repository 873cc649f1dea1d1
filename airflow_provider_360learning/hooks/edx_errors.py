"""Deprecated location of the edX hook's errors: they live in :mod:`airflow_provider_360learning.exceptions`."""

from airflow_provider_360learning.exceptions import (
    EdxAPIError,
    EdxAuthenticationError,
    EdxBadRequestError,
    EdxConnectionConfigError,
    EdxConnectionError,
    EdxError,
    EdxNotFoundError,
    EdxPermissionError,
    EdxRateLimitError,
    EdxServerError,
)

__all__ = [
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
]
