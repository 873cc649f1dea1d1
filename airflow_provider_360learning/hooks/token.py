"""OAuth 2.0 client-credentials token: request body, response parsing and expiry rule.

A token lives one hour; the hooks keep it and refresh it shortly before it expires, so a long
pagination never sends an expired token, and never fetch one per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningAPIError,
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningBadRequestError,
)
from airflow_provider_360learning.hooks.api_request import TOKEN_PATH, parse_error_body

MAX_REFRESH_LEAD_SECONDS = 120.0


def clock() -> float:
    """Monotonic seconds that token lifetimes are measured in: one seam, so tests move time instead of sleeping."""
    return time.monotonic()


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and its monotonic expiry; its repr never shows the token."""

    value: str = field(repr=False)
    expires_at: float
    lifetime: float

    def is_fresh(self, now: float | None = None) -> bool:
        """Fresh while more than a lead time (120 s, or a tenth of a short lifetime) remains."""
        now = clock() if now is None else now
        lead = min(MAX_REFRESH_LEAD_SECONDS, self.lifetime / 10)
        return now < self.expires_at - lead


class TokenCache:
    """One token per hook: fetched on first use, reused until close to expiry, dropped after a 401.

    The lock makes concurrent callers of one hook share a single token request.
    """

    def __init__(self) -> None:
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def get(self, fetch: Callable[[], AccessToken]) -> AccessToken:
        with self._lock:
            if self._token is None or not self._token.is_fresh():
                self._token = fetch()
            return self._token

    def invalidate(self, token: AccessToken | None = None) -> None:
        """Forget ``token`` (or whatever is cached) unless another caller already replaced it."""
        with self._lock:
            if token is None or self._token is token:
                self._token = None


def token_request_body(client_id: str, client_secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}


def decode_access_token(body: bytes, *, requested_at: float) -> tuple[AccessToken, dict[str, Any]] | None:
    """The token of a 200 answer and its decoded body; ``None`` without a usable ``access_token``/``expires_in``.

    ``expires_in`` may be a number or a numeric string (edX documents an example as ``"180"``).
    """
    try:
        decoded: Any = json.loads(body)
        value = decoded["access_token"]
        lifetime = float(decoded["expires_in"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(value, str) or not value or lifetime <= 0:
        return None
    return AccessToken(value=value, expires_at=requested_at + lifetime, lifetime=lifetime), decoded


def parse_token_response(status: int, body: bytes, *, base_url: str, requested_at: float) -> AccessToken:
    """Decode the token endpoint's answer; errors say what is wrong without echoing any secret."""
    if status == 200:
        decoded = decode_access_token(body, requested_at=requested_at)
        if decoded is None:
            raise ThreeSixtyLearningAPIError(
                action="generate_token", method="POST", path=TOKEN_PATH, status=status,
                message="the token endpoint answered 200 without a usable access_token/expires_in",
            )
        return decoded[0]
    code, _ = parse_error_body(body)  # token error bodies carry only a code
    common: dict[str, Any] = {"action": "generate_token", "method": "POST", "path": TOKEN_PATH, "status": status, "code": code}
    if status == 401:
        raise ThreeSixtyLearningAuthenticationError(
            message=f"bad credentials: {base_url} rejected the client ID / client secret pair",
            hint="Check login (client ID) and password (client secret) of the connection, and its region",
            **common,
        )
    if status == 400:
        raise ThreeSixtyLearningBadRequestError(message="the token request was refused", **common)
    raise ThreeSixtyLearningAPIError(message="unexpected answer from the token endpoint", **common)
