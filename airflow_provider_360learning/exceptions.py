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


class ThreeSixtyLearningConnectionConfigError(ThreeSixtyLearningError, ValueError):
    """The Airflow connection (or a hook argument) is incomplete or malformed; the message names the field."""


class ThreeSixtyLearningConnectionError(ThreeSixtyLearningError):
    """The API could not be reached (DNS, refused, timeouts, dropped connections) after retries."""


class ThreeSixtyLearningTimeoutError(ThreeSixtyLearningConnectionError):
    """A request attempt outlived its total deadline (connection extra ``total_timeout``), retries included."""


class ThreeSixtyLearningUnsafeResponseError(ThreeSixtyLearningError):
    """A server answer the client core refused to follow or read; names the service, action and request line.

    Raised before anything else is sent: no credential goes to a foreign origin, no body is read past its cap.
    """

    def __init__(self, *, service: str, action: str, method: str, path: str, problem: str) -> None:
        self.service = service
        self.action = action
        self.method = method
        self.path = path
        super().__init__(f"{service} {action} ({method} {path}): {problem}")


class ThreeSixtyLearningOriginError(ThreeSixtyLearningUnsafeResponseError):
    """A next-page URL or a redirect points to another origin (host, port, or a downgrade to ``http``).

    :attr:`host` is that URL's host; the credential was not sent there.
    """

    def __init__(self, *, host: str, **kwargs: Any) -> None:
        self.host = host
        super().__init__(**kwargs)


class ThreeSixtyLearningRedirectError(ThreeSixtyLearningUnsafeResponseError):
    """A redirect where none may be followed (the token endpoint: its body carries the client secret)."""


class ThreeSixtyLearningPaginationLoopError(ThreeSixtyLearningUnsafeResponseError):
    """A next-page URL already fetched in the same iteration: following it would never end."""


class ThreeSixtyLearningResponseTooLargeError(ThreeSixtyLearningUnsafeResponseError):
    """A response body (after decompression) above the connection's ``max_response_mb``."""


class ThreeSixtyLearningAPIError(ThreeSixtyLearningError):
    """An HTTP error answered by the API; carries the action, request line, status and API error code."""

    head = "360Learning action {action!r}"
    """How the message names the request (the edX errors say ``edX <what>``)."""

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
        head = self.head.format(action=action)
        super().__init__(
            http_error_message(
                f"{head} ({method} {path}) failed: HTTP {status}",
                code,
                message.rstrip(".") if message else None,
                hint,
                ids=f" [{ids}]" if ids else "",
            )
        )


class ThreeSixtyLearningInvalidResponseError(ThreeSixtyLearningAPIError):
    """A success status whose body is not what the API documents (not JSON, not a page)."""


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


class ThreeSixtyLearningMassDeleteError(ThreeSixtyLearningError):
    """A full refresh's sweep would delete more than its share limit of a table: nothing was deleted.

    An answer that ended early (a server that stopped paging) looks like mass deletion upstream; the rows
    written by the load stay, the sweep is refused until ``allow_mass_delete`` says the deletion is real.
    """

    def __init__(self, table: str, rows: int, total: int, share: float, limit: float) -> None:
        self.table = table
        self.rows = rows
        self.total = total
        self.share = share
        self.limit = limit
        super().__init__(
            f"Full refresh of {table} would delete {rows} of {total} row(s) ({share:.1%}), more than the "
            f"limit of {limit:.1%}: nothing was deleted. If the API really dropped them, run again with "
            f"allow_mass_delete=True (or raise max_delete_share)"
        )


def error_class_for(status: int) -> type[ThreeSixtyLearningAPIError]:
    """Pick the most specific class for an HTTP status (403 is built separately: it needs a scope)."""
    if status >= 500:
        return ThreeSixtyLearningServerError
    return _BY_STATUS.get(status, ThreeSixtyLearningAPIError)


# --- edX (the edX hook) ---------------------------------------------------------------------------------
class EdxError(ThreeSixtyLearningError):
    """Base class of every error of the edX hook."""


class EdxConnectionConfigError(EdxError, ThreeSixtyLearningConnectionConfigError):
    """The ``edx`` Airflow connection is incomplete or malformed; the message names the field."""


class EdxConnectionError(EdxError):
    """The edX API could not be reached (DNS, refused, timeouts, dropped connections) after retries."""


class EdxAPIError(EdxError, ThreeSixtyLearningAPIError):
    """An HTTP error answered by the edX API gateway: request (``what``), status, error code and message."""

    head = "edX {action}"

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        self.what = what
        super().__init__(action=what, **kwargs)


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


_EDX_BY_STATUS: dict[int, type[EdxAPIError]] = {
    400: EdxBadRequestError,
    401: EdxAuthenticationError,
    403: EdxPermissionError,
    404: EdxNotFoundError,
    429: EdxRateLimitError,
}


def edx_error_class_for(status: int) -> type[EdxAPIError]:
    if status >= 500:
        return EdxServerError
    return _EDX_BY_STATUS.get(status, EdxAPIError)


# --- SCIM (the SCIM hook) ---------------------------------------------------------------------------------
SCIM_TOKEN_HINT = (
    "360Learning keeps one active SCIM token per IdP, so generating a new one revokes the previous one. "
    "Generate a token in 360Learning (Settings > Integrations > SCIM) and store it as the password of the connection"
)


class ThreeSixtyLearningScimError(ThreeSixtyLearningError):
    """A SCIM request failed: method, path, HTTP status, SCIM ``scimType`` and the server's ``detail``."""

    def __init__(
        self,
        *,
        conn_id: str,
        method: str,
        path: str,
        status: int | None,
        scim_type: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.method = method
        self.path = path
        self.status = status
        self.scim_type = scim_type
        self.detail = detail
        parts = [f"SCIM request {method} {path} (connection {conn_id!r}) failed"]
        if status is not None:
            parts.append(f": HTTP {status}")
        if scim_type:
            parts.append(f" {scim_type}")
        if detail:
            parts.append(f": {detail[:MAX_BODY_IN_MESSAGE]}")
        if hint:
            parts.append(f". {hint}")
        super().__init__("".join(parts))


class ThreeSixtyLearningScimAuthenticationError(ThreeSixtyLearningScimError):
    """HTTP 401: the SCIM token is missing, revoked (a newer one was generated) or expired."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(hint=SCIM_TOKEN_HINT, **kwargs)  # type: ignore[arg-type]


class ThreeSixtyLearningScimConflictError(ThreeSixtyLearningScimError):
    """HTTP 409 ``uniqueness``: a user with that email (or a group with that name) already exists."""


class ThreeSixtyLearningScimConnectionError(ThreeSixtyLearningScimError):
    """The SCIM endpoint could not be reached after the retries the connection allows."""
