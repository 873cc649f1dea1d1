"""The retry policy of every request (tenacity): what is retried, how long to wait, when to give up.

- HTTP 429 waits what ``Retry-After`` says (seconds or an HTTP date); without it about 1 s, as 360Learning
  advises. 5xx and network errors back off exponentially with jitter.
- Attempts and the total time spent waiting are bounded by ``max_retries`` and ``max_retry_wait``.
- A request that is not idempotent (POST, PATCH) is resent only when the server cannot have processed it:
  429, 503, or a connection that never opened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from airflow_provider_360learning.client.settings import ClientSettings
from airflow_provider_360learning.client.transport import DeadlineExceeded

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_PROCESSED_STATUSES = frozenset({429, 503})
"""Statuses that mean "not processed": safe to resend even a POST or PATCH."""
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
RATE_LIMIT_DEFAULT_WAIT = 1.0
"""Wait after a 429 without ``Retry-After`` (360Learning: "wait about 1 second before retrying")."""

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    asyncio.TimeoutError,
    DeadlineExceeded,
)
"""Transport failures a retry may mend."""
UNSENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,)
"""Failures that prove the request never reached the server: safe to resend even a POST."""


class RetryableResponse(Exception):
    """Internal: an HTTP answer worth retrying; carries the answer for the final error."""

    def __init__(self, response: Any, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status}")
        self.response = response
        self.status: int = response.status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or HTTP-date); ``None`` if absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def raise_if_retryable(response: Any, headers: Mapping[str, str]) -> None:
    if response.status == 429 or response.status >= 500:
        raise RetryableResponse(response, retry_after_seconds(headers.get("Retry-After")))


class _Wait(wait_base):
    """``Retry-After`` when the server gave one, about 1 s for a bare 429, else exponential backoff."""

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RetryableResponse):
            if exc.retry_after is not None:
                return min(exc.retry_after, self.cap)
            if exc.status == 429:
                return min(RATE_LIMIT_DEFAULT_WAIT, self.cap)
        return min(self.fallback(retry_state), self.cap)


def retrying(settings: ClientSettings, *, idempotent: bool, log: logging.Logger | Any, what: str) -> AsyncRetrying:
    """The policy for one request."""
    statuses = RETRYABLE_STATUSES if idempotent else NOT_PROCESSED_STATUSES

    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, RetryableResponse):
            return exc.status in statuses
        if isinstance(exc, UNSENT_ERRORS):
            return True
        return idempotent and isinstance(exc, CONNECTION_ERRORS)

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RetryableResponse):
            reason = f"HTTP {exc.status}"
        elif isinstance(exc, DeadlineExceeded):
            reason = f"no complete answer within {settings.total_timeout:g} s"
        else:
            reason = type(exc).__name__
        sleep = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: %s, retry %d/%d in %.2f s", what, reason, state.attempt_number, settings.max_retries, sleep)

    return AsyncRetrying(
        stop=stop_after_attempt(settings.max_retries + 1) | stop_before_delay(settings.max_retry_wait),
        wait=_Wait(
            wait_exponential_jitter(
                initial=settings.backoff_initial, max=settings.backoff_max, jitter=settings.backoff_initial
            ),
            cap=settings.max_retry_wait,
        ),
        retry=retry_if_exception(retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
