"""Errors of the SCIM hook, in terms a user can act on; never a token, request body or response body."""

from __future__ import annotations

from airflow_provider_360learning.exceptions import MAX_BODY_IN_MESSAGE, ThreeSixtyLearningError

TOKEN_HINT = (
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
        super().__init__(hint=TOKEN_HINT, **kwargs)  # type: ignore[arg-type]


class ThreeSixtyLearningScimConflictError(ThreeSixtyLearningScimError):
    """HTTP 409 ``uniqueness``: a user with that email (or a group with that name) already exists."""


class ThreeSixtyLearningScimConnectionError(ThreeSixtyLearningScimError):
    """The SCIM endpoint could not be reached after the retries the connection allows."""
