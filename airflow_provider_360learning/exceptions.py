"""Typed errors that say, in terms a user can act on, what went wrong with a 360Learning call.

No message built here ever contains a client secret or an access token: API bodies are truncated,
and the token endpoint's body is never echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk.exceptions import AirflowException

MAX_BODY_IN_MESSAGE = 500


class ThreeSixtyLearningError(AirflowException):
    """Base class of every error this provider raises."""


def http_error_message(head: str, code: str | None, message: str | None, hint: str | None, *, ids: str = "") -> str:
    """``<head> <code>: <message, truncated><ids>. <hint>`` (the parts that are set)."""
    parts = [head]
    if code:
        parts.append(f" {code}")
    if message:
        parts.append(f": {message[:MAX_BODY_IN_MESSAGE]}")
    parts.append(ids)
    if hint:
        parts.append(f". {hint}")
    return "".join(parts)


class ThreeSixtyLearningParameterError(ThreeSixtyLearningError, ValueError):
    """Parameters rejected before any request was sent; names the action and the parameter."""

    def __init__(self, action: str, parameter: str | None, problem: str) -> None:
        self.action = action
        self.parameter = parameter
        where = f": parameter {parameter!r}" if parameter else ""
        super().__init__(f"360Learning action {action!r}{where} {problem}")


class ThreeSixtyLearningConnectionError(ThreeSixtyLearningError):
    """The API could not be reached (DNS, refused, timeouts, dropped connections) after retries."""


class ThreeSixtyLearningAPIError(ThreeSixtyLearningError):
    """An HTTP error answered by the API; carries the action, request line, status and API error code."""

    def __init__(
        self,
        *,
        action: str,
        method: str,
        path: str,
        status: int,
        code: str | None = None,
        message: str | None = None,
        hint: str | None = None,
        path_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.action = action
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.api_message = message
        self.path_params = dict(path_params or {})
        ids = ", ".join(f"{k}={v}" for k, v in self.path_params.items())
        super().__init__(http_error_message(
            f"360Learning action {action!r} ({method} {path}) failed: HTTP {status}", code, message, hint,
            ids=f" [{ids}]" if ids else "",
        ))  # fmt: skip


class ThreeSixtyLearningBadRequestError(ThreeSixtyLearningAPIError):
    """HTTP 400: the API rejected the request's content."""


class ThreeSixtyLearningAuthenticationError(ThreeSixtyLearningAPIError):
    """HTTP 401: bad client credentials, or a token the API no longer accepts."""


class ThreeSixtyLearningPermissionError(ThreeSixtyLearningAPIError):
    """HTTP 403: the API client lacks the OAuth scope the action needs (see :attr:`scope`)."""

    def __init__(self, *, scope: str | None, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)


class ThreeSixtyLearningNotFoundError(ThreeSixtyLearningAPIError):
    """HTTP 404: an id in the request does not exist; the message names it."""


class ThreeSixtyLearningConflictError(ThreeSixtyLearningAPIError):
    """HTTP 409: the request conflicts with the platform's current state."""


class ThreeSixtyLearningRateLimitError(ThreeSixtyLearningAPIError):
    """HTTP 429 still answered after every retry allowed by the connection."""


class ThreeSixtyLearningServerError(ThreeSixtyLearningAPIError):
    """HTTP 5xx still answered after every retry allowed by the connection."""


_BY_STATUS: dict[int, type[ThreeSixtyLearningAPIError]] = {
    400: ThreeSixtyLearningBadRequestError,
    401: ThreeSixtyLearningAuthenticationError,
    404: ThreeSixtyLearningNotFoundError,
    409: ThreeSixtyLearningConflictError,
    429: ThreeSixtyLearningRateLimitError,
}


class ThreeSixtyLearningBulkError(ThreeSixtyLearningError):
    """Bulk operations finished with failed objects or in error; the successful objects stand."""

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        self.report = dict(report)
        super().__init__(message)


class ThreeSixtyLearningWaitError(ThreeSixtyLearningError):
    """A wait (sensor or deferred task) ended without its condition: timeout, failure or polling error."""


def error_class_for(status: int) -> type[ThreeSixtyLearningAPIError]:
    """Pick the most specific class for an HTTP status (403 is built separately: it needs a scope)."""
    if status >= 500:
        return ThreeSixtyLearningServerError
    return _BY_STATUS.get(status, ThreeSixtyLearningAPIError)
