"""Rate limits of the emulated 360Learning API, and the traffic counters every mode keeps.

``--rate-limit N`` (a number) is a token bucket of ``N`` requests per second per client id, whose 429 carries
``Retry-After`` (:meth:`EmulatorState.take_rate_token`). ``--rate-limit documented`` follows 360Learning's
documented model instead, for the one company the emulator serves (all client ids together):

- 50 read requests (``GET``) and 10 writes (``POST``, ``PATCH``, ``PUT``, ``DELETE``) per second;
- on top of these, the endpoints whose description in the official documents gives them a specific rate limit
  ("This endpoint has a specific rate limit of 1 request per second", :attr:`Action.endpoint_rate_limit`);
- the Bulk API document's operations are not limited per request (:attr:`Action.counts_against_budget`), only by
  the number of unfinished bulk operations (3 instead of 10, see :func:`max_unfinished_bulk_operations`);
- the token endpoint and the control interface (``/_emulator``) are never counted.

A request over a budget gets 429 ``{"error": "tooManyRequests"}`` without ``Retry-After`` (360Learning documents
none). The budgets are strict sliding windows: a request is accepted only while fewer than ``N`` requests of the
same budget were accepted in the last second (``(now - 1 s, now]``), so no 1-second window, wherever it starts,
holds more than ``N`` accepted requests; a refused request takes nothing from the budget. The limit is decided
when the request arrives, before fault injection, so a faulted answer counts against the budget as any answer.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from airflow_provider_360learning.actions import ACTIONS, Action

DOCUMENTED: Literal["documented"] = "documented"
"""The value of ``--rate-limit`` (and of the ``rate_limit`` setting) that enforces the documented model."""
RateLimit = float | Literal["documented"]

READS_PER_SECOND = 50
WRITES_PER_SECOND = 10
BULK_UNFINISHED_DOCUMENTED = 3
"""Bulk operations of the company that may be unfinished (pending, queued or running) at once, documented."""
BULK_UNFINISHED_DEFAULT = 10
"""The emulator's own bound without ``documented``."""
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WINDOW_SECONDS = 1.0
LIMITED_KINDS = ("read", "write", "endpoint", "per_client", "bulk_concurrency")
"""Kinds of 429 counted in :attr:`TrafficCounters.limited`: the read, write and endpoint budgets of ``documented``,
the per-client bucket of a numeric ``--rate-limit``, and a bulk submission over the unfinished operations bound."""


def parse_rate_limit(value: Any) -> RateLimit:
    """``"documented"`` or a finite number >= 0 (a number may come as text, from the CLI); ``ValueError`` otherwise."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == DOCUMENTED:
            return DOCUMENTED
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"rate_limit must be a number >= 0 or {DOCUMENTED!r}, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"rate_limit must be a number >= 0 or {DOCUMENTED!r}, got {value!r}")
    return float(value)


def max_unfinished_bulk_operations(rate_limit: RateLimit) -> int:
    """How many bulk operations of the company may be unfinished when another is submitted without a 429."""
    return BULK_UNFINISHED_DOCUMENTED if rate_limit == DOCUMENTED else BULK_UNFINISHED_DEFAULT


@cache
def endpoint_rate_limits() -> dict[str, float]:
    """``{action name: requests per second}`` of the endpoints with their own limit, from the documents."""
    return {a.name: a.endpoint_rate_limit for a in ACTIONS.values() if a.endpoint_rate_limit}


class SlidingWindow:
    """Times of the events of the last ``seconds`` (at most ``limit`` of them are let in)."""

    __slots__ = ("limit", "seconds", "times")

    def __init__(self, limit: float, seconds: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.seconds = seconds
        self.times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> SlidingWindow:
        """``rate`` requests per second: ``floor(rate)`` per second, or one per ``1 / rate`` seconds below 1/s."""
        return cls(math.floor(rate), WINDOW_SECONDS) if rate >= 1 else cls(1, WINDOW_SECONDS / rate)

    def count(self, now: float) -> int:
        """Events within ``(now - seconds, now]``."""
        times, start = self.times, now - self.seconds
        while times and times[0] <= start:
            times.popleft()
        return len(times)

    def full(self, now: float) -> bool:
        return self.count(now) >= self.limit

    def add(self, now: float) -> int:
        """Record an event; the number of events in the window that ends with it."""
        count = self.count(now)
        self.times.append(now)
        return count + 1


class CompanyBudget:
    """The documented budgets of the emulated company: reads, writes, and one per endpoint with its own limit."""

    def __init__(self) -> None:
        self.read = SlidingWindow(READS_PER_SECOND)
        self.write = SlidingWindow(WRITES_PER_SECOND)
        self.endpoints: dict[str, SlidingWindow] = {}

    def take(self, method: str, action: Action | None, now: float) -> str | None:
        """Let a request in (``None``) or name the budget it exceeds (``"read"``, ``"write"``, ``"endpoint"``).

        A request is let in only if every budget it counts against has room; only then is it counted in each.
        """
        if action is not None and not action.counts_against_budget:
            return None
        windows = [("read", self.read) if method.upper() in READ_METHODS else ("write", self.write)]
        rate = endpoint_rate_limits().get(action.name) if action is not None else None
        if action is not None and rate:
            endpoint = self.endpoints.get(action.name)
            if endpoint is None:
                endpoint = self.endpoints[action.name] = SlidingWindow.per_second(rate)
            windows.append(("endpoint", endpoint))
        for kind, window in windows:
            if window.full(now):
                return kind
        for _, window in windows:
            window.add(now)
        return None


@dataclass
class _Peak:
    """Requests of one kind in a sliding 1-second window, and the most any window held."""

    window: SlidingWindow = field(default_factory=lambda: SlidingWindow(math.inf))
    peak: int = 0

    def add(self, now: float) -> None:
        self.peak = max(self.peak, self.window.add(now))


@dataclass
class TrafficCounters:
    """What the 360Learning API received (token endpoint and control interface excluded), in every mode.

    ``accepted`` means any answer but a 429 (faults and dropped connections included): the peaks of accepted
    requests are what the rate limit lets through; the peaks of received ones include the 429s.
    """

    get_requests: int = 0
    write_requests: int = 0
    limited: Counter[str] = field(default_factory=Counter)
    get_received: _Peak = field(default_factory=_Peak)
    get_accepted: _Peak = field(default_factory=_Peak)
    write_received: _Peak = field(default_factory=_Peak)
    write_accepted: _Peak = field(default_factory=_Peak)

    def count(self, method: str, status: int, arrived: float) -> None:
        """One request that arrived at ``arrived`` (the state's rate clock) and got ``status``."""
        if method.upper() in READ_METHODS:
            if method.upper() != "GET":
                return
            self.get_requests += 1
            received, accepted = self.get_received, self.get_accepted
        else:
            self.write_requests += 1
            received, accepted = self.write_received, self.write_accepted
        received.add(arrived)
        if status != 429:
            accepted.add(arrived)

    def as_dict(self) -> dict[str, Any]:
        return {
            "get_requests": self.get_requests,
            "write_requests": self.write_requests,
            "limited": {kind: self.limited[kind] for kind in LIMITED_KINDS},
            "limited_total": sum(self.limited.values()),
            "max_get_accepted_per_second": self.get_accepted.peak,
            "max_get_received_per_second": self.get_received.peak,
            "max_write_accepted_per_second": self.write_accepted.peak,
            "max_write_received_per_second": self.write_received.peak,
        }
