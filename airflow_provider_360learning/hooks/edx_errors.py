"""Typed errors of the edX hook, in terms a user can act on.

Messages name the request (method and route, with the catalog or enterprise UUID), the HTTP status and
the gateway's ``detail``/``message`` or OAuth ``error``, truncated; never the client secret or a token.
All derive from :class:`~airflow_provider_360learning.exceptions.ThreeSixtyLearningError`, the provider's
base error, so ``except ThreeSixtyLearningError`` in a DAG also catches them.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError, http_error_message
from airflow_provider_360learning.hooks.connection_settings import ThreeSixtyLearningConnectionConfigError


class EdxError(ThreeSixtyLearningError):
    """Base class of every error of the edX hook."""


class EdxConnectionConfigError(EdxError, ThreeSixtyLearningConnectionConfigError):
    """The ``edx`` Airflow connection is incomplete or malformed; the message names the field."""


class EdxConnectionError(EdxError):
    """The edX API could not be reached (DNS, refused, timeouts, dropped connections) after retries."""


class EdxAPIError(EdxError):
    """An HTTP error answered by the edX API gateway: request, status, error code and message."""

    def __init__(
        self,
        *,
        what: str,
        method: str,
        path: str,
        status: int,
        code: str | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.what = what
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.api_message = message
        head = f"edX {what} ({method} {path}) failed: HTTP {status}"
        super().__init__(http_error_message(head, code, message.rstrip(".") if message else None, hint))


class EdxBadRequestError(EdxAPIError):
    """HTTP 400: the request was refused (the gateway also maps unexpected upstream statuses to 400)."""


class EdxAuthenticationError(EdxAPIError):
    """HTTP 401: wrong client ID / client secret, or a token the API does not accept even after a refresh."""


class EdxPermissionError(EdxAPIError):
    """HTTP 403: the credentials do not administer that enterprise customer (or catalog)."""


class EdxNotFoundError(EdxAPIError):
    """HTTP 404: unknown catalog or course, or a page past the end."""


class EdxRateLimitError(EdxAPIError):
    """HTTP 429 still answered after every retry the connection allows."""


class EdxServerError(EdxAPIError):
    """HTTP 5xx still answered after every retry the connection allows."""


_BY_STATUS: dict[int, type[EdxAPIError]] = {
    400: EdxBadRequestError,
    401: EdxAuthenticationError,
    403: EdxPermissionError,
    404: EdxNotFoundError,
    429: EdxRateLimitError,
}


def error_class_for(status: int) -> type[EdxAPIError]:
    if status >= 500:
        return EdxServerError
    return _BY_STATUS.get(status, EdxAPIError)


def parse_error_body(body: bytes | str | None) -> tuple[str | None, str | None]:
    """``(code, message)`` from edX's error shapes: OAuth ``{"error", "error_description"}``, DRF
    ``{"detail"}`` and the gateway's own ``{"message"}``; a non-JSON body gives its first 200 characters."""
    if not body:
        return None, None
    try:
        decoded: Any = json.loads(body)
    except (ValueError, TypeError):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return None, text.strip()[:200] or None
    if not isinstance(decoded, dict):
        return None, str(decoded)[:200]
    error = decoded.get("error")
    message = decoded.get("error_description") or decoded.get("detail") or decoded.get("message")
    return (error if isinstance(error, str) else None), (str(message) if message is not None else None)
