"""Client-side rate limit, so many calls from one process stay under the API's limit instead of
bouncing on HTTP 429. Limiters are shared per (base URL, client ID) within a process."""

from __future__ import annotations

import asyncio
import threading
import time


class RateLimiter:
    """Token bucket: ``rate`` requests per second on average, bursts up to ``rate`` (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take one token; return how long the caller must wait before using it."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        delay = self._reserve()
        if delay:
            time.sleep(delay)

    async def aacquire(self) -> None:
        if self.rate <= 0:
            return
        delay = self._reserve()
        if delay:
            await asyncio.sleep(delay)


_LIMITERS: dict[tuple[str, str, float], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(base_url: str, client_id: str, rate: float) -> RateLimiter:
    """The process-wide limiter for one API client on one host."""
    key = (base_url, client_id, rate)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(rate)
        return limiter
