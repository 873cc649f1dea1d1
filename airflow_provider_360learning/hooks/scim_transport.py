"""scim2-client engine over ``requests``: one session, bearer token, timeouts and per-request retries.

scim2-client's own network engine needs ``httpx2`` (pydantic's fork of httpx); a second HTTP stack next to
Airflow's is avoided with this subclass of :class:`~scim2_client.BaseSyncSCIMClient`, which only implements
``request()``, the one method an engine must provide. scim2-client has no retries: 429 (honouring
``Retry-After``), 5xx and connection errors are retried here, per request. POST and PATCH are resent only
when the server cannot have processed them (429, 503, connection not opened), like the API v2 hook.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from scim2_client import BaseSyncSCIMClient, RequestNetworkException
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_before_delay, wait_exponential_jitter

from airflow_provider_360learning.hooks.api_request import (
    IDEMPOTENT_METHODS,
    NOT_PROCESSED_STATUSES,
    RETRYABLE_STATUSES,
)
from airflow_provider_360learning.hooks.retry import (
    SYNC_CONNECTION_ERRORS,
    SYNC_UNSENT_ERRORS,
    RetryableResponse,
    WaitRetryAfter,
)

log = logging.getLogger(__name__)



class _RetryableScimResponse(RetryableResponse):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code, b"", _retry_after(response))
        self.response = response


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            import time

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class RequestsScimClient(BaseSyncSCIMClient):
    """A synchronous SCIM client sending its requests with ``requests``.

    ``request_count`` counts HTTP requests actually sent (retries included), for reports and benchmarks.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_retries: int = 5,
        max_retry_wait: float = 300.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        user_agent: str = "airflow-provider-360learning",
        **client_kwargs: Any,
    ) -> None:
        super().__init__(**client_kwargs)
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {token}",
            "Accept": "application/scim+json, application/json",
            "User-Agent": user_agent,
        })  # fmt: skip
        self.timeout = (connect_timeout, timeout)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = (backoff_initial, backoff_max)
        self.request_count = 0

    def close(self) -> None:
        self.session.close()

    def url_for(self, url: str) -> str:
        if "://" in url:
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS
        statuses = RETRYABLE_STATUSES if idempotent else NOT_PROCESSED_STATUSES
        full_url = self.url_for(url)
        kwargs.setdefault("timeout", self.timeout)

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, _RetryableScimResponse):
                return exc.status in statuses
            if isinstance(exc, SYNC_UNSENT_ERRORS):
                return True
            return idempotent and isinstance(exc, SYNC_CONNECTION_ERRORS)

        def before_sleep(state: Any) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            reason = f"HTTP {exc.status}" if isinstance(exc, RetryableResponse) else type(exc).__name__
            log.warning("SCIM %s %s: %s, retry %d/%d", method, url.split("?")[0], reason, state.attempt_number,
                        self.max_retries)  # fmt: skip

        def send() -> requests.Response:
            self.request_count += 1
            response = self.session.request(method, full_url, **kwargs)
            if response.status_code in statuses:
                raise _RetryableScimResponse(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1) | stop_before_delay(self.max_retry_wait),
            wait=WaitRetryAfter(
                wait_exponential_jitter(initial=self.backoff[0], max=self.backoff[1], jitter=self.backoff[0]),
                cap=self.max_retry_wait,
            ),
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(send)
        except _RetryableScimResponse as exc:  # retries exhausted: let scim2-client read the error response
            return exc.response
        except requests.exceptions.RequestException as exc:
            error = RequestNetworkException()
            error.add_note(f"{type(exc).__name__} on {method} {url.split('?')[0]}")
            raise error from None
