"""Retry policy (tenacity) shared by the sync and async hooks.

Each request (each page) is retried on its own, not the task: HTTP 429 waits what ``Retry-After``
says, 5xx and connection errors back off exponentially with jitter; attempts and the total time
spent waiting are bounded by the connection's ``max_retries`` and ``max_retry_wait``. Non-idempotent
requests (POST, PATCH) are resent only when the API cannot have processed them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
import requests
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from airflow_provider_360learning.hooks.api_request import (
    NOT_PROCESSED_STATUSES,
    RETRYABLE_STATUSES,
    retry_after_seconds,
)

SYNC_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
"""Transport failures of a ``requests`` call that a retry may mend (every sync hook of this provider)."""
SYNC_UNSENT_ERRORS: tuple[type[BaseException], ...] = (requests.exceptions.ConnectTimeout,)
"""Failures that prove the request never reached the server: safe to resend even a POST."""
ASYNC_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    asyncio.TimeoutError,
)
ASYNC_UNSENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,)


class RetrySettings(Protocol):
    """What the retry policy reads from a hook's settings (360Learning's, edX's...)."""

    @property
    def max_retries(self) -> int: ...
    @property
    def max_retry_wait(self) -> float: ...
    @property
    def backoff_initial(self) -> float: ...
    @property
    def backoff_max(self) -> float: ...


class RetryableResponse(Exception):
    """Internal: an HTTP answer worth retrying; carries what is needed to build the final error."""

    def __init__(self, status: int, body: bytes, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


def raise_if_retryable(status: int, headers: Mapping[str, str], body: bytes) -> None:
    """Turn a 429 or 5xx answer into :class:`RetryableResponse` (with its ``Retry-After``)."""
    if status == 429 or status >= 500:
        raise RetryableResponse(status, body, retry_after_seconds(headers.get("Retry-After")))


class WaitRetryAfter(wait_base):
    """Wait what the server asked for in ``Retry-After``; otherwise the fallback backoff."""

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RetryableResponse) and exc.retry_after is not None:
            return min(exc.retry_after, self.cap)
        return min(self.fallback(retry_state), self.cap)


def retry_kwargs(
    settings: RetrySettings,
    *,
    idempotent: bool,
    connection_errors: tuple[type[BaseException], ...],
    unsent_errors: tuple[type[BaseException], ...],
    log: logging.Logger | Any,
    what: str,
) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` for one request."""
    statuses = RETRYABLE_STATUSES if idempotent else NOT_PROCESSED_STATUSES

    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, RetryableResponse):
            return exc.status in statuses
        if isinstance(exc, unsent_errors):
            return True
        return idempotent and isinstance(exc, connection_errors)

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        reason = f"HTTP {exc.status}" if isinstance(exc, RetryableResponse) else type(exc).__name__
        sleep = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: %s, retry %d/%d in %.2f s", what, reason, state.attempt_number, settings.max_retries, sleep)

    return {
        "stop": stop_after_attempt(settings.max_retries + 1) | stop_before_delay(settings.max_retry_wait),
        "wait": WaitRetryAfter(
            wait_exponential_jitter(initial=settings.backoff_initial, max=settings.backoff_max, jitter=settings.backoff_initial),
            cap=settings.max_retry_wait,
        ),
        "retry": retry_if_exception(retryable),
        "before_sleep": before_sleep,
        "reraise": True,
    }
