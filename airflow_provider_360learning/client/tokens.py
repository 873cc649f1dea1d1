"""Access tokens: OAuth 2.0 client-credentials tokens refreshed ahead of expiry, or a static token (SCIM).

A token lives one hour (360Learning) or a few minutes (edX's JWT); the cache fetches one on first use,
reuses it across calls and pages, refreshes it shortly before it expires, and drops it after a 401 so the
next attempt fetches a new one (one refresh per request).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

MAX_REFRESH_LEAD_SECONDS = 120.0


def clock() -> float:
    """Monotonic seconds that token lifetimes are measured in: one seam, so tests move time instead of sleeping."""
    return time.monotonic()


@dataclass(frozen=True)
class AccessToken:
    """A token and its monotonic expiry; its repr never shows the token."""

    value: str = field(repr=False)
    expires_at: float
    lifetime: float

    @classmethod
    def static(cls, value: str) -> AccessToken:
        """A token that never expires on the client side (the server says when it is revoked)."""
        return cls(value=value, expires_at=math.inf, lifetime=math.inf)

    def is_fresh(self, now: float | None = None) -> bool:
        """Fresh while more than a lead time (120 s, or a tenth of a short lifetime) remains."""
        now = clock() if now is None else now
        lead = min(MAX_REFRESH_LEAD_SECONDS, self.lifetime / 10)
        return now < self.expires_at - lead


def decode_access_token(body: bytes, *, requested_at: float) -> tuple[AccessToken, dict[str, Any]] | None:
    """The token of a 200 answer and its decoded body; ``None`` without a usable ``access_token``/``expires_in``.

    ``expires_in`` may be a number or a numeric string (edX documents an example as ``"180"``).
    """
    try:
        decoded: Any = msgspec.json.decode(body)
        value = decoded["access_token"]
        lifetime = float(decoded["expires_in"])
    except (ValueError, KeyError, TypeError, msgspec.DecodeError):
        return None
    if not isinstance(value, str) or not value or not math.isfinite(lifetime) or lifetime <= 0:
        return None
    return AccessToken(value=value, expires_at=requested_at + lifetime, lifetime=lifetime), decoded


class TokenCache:
    """One token per client; concurrent callers share a single token request (an asyncio lock)."""

    def __init__(self) -> None:
        self._token: AccessToken | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _guard(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    @property
    def current(self) -> AccessToken | None:
        return self._token

    async def get(self, fetch: Callable[[], Awaitable[AccessToken]]) -> AccessToken:
        async with self._guard():
            if self._token is None or not self._token.is_fresh():
                self._token = await fetch()
            return self._token

    def invalidate(self, token: AccessToken | None = None) -> None:
        """Forget ``token`` (or whatever is cached) unless another caller already replaced it."""
        if token is None or self._token is token:
            self._token = None
