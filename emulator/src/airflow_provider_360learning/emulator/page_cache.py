"""Encoded answers of list actions kept for reuse, so that a large export is served at the speed of a real API.

Generating a page of 500 course statistics and encoding it costs the emulator about 10 ms of CPU, far
more than 360Learning's servers spend per page; a client reading a million rows would measure the
emulator, not itself. The answer of a ``GET`` of a list action is a pure function of the request (action,
path, raw query string, base URL of the ``Link`` header) and of the state, so :class:`LearningApi` keeps the
encoded answer (status, headers, bytes), in a byte-bounded LRU, under a key that holds
:attr:`EmulatorState.data_version`: 0 for the seeded state (a reset returns to it, so its answers stay
valid across resets) and a new number at every mutation (row writes, API writes, bulk operations that
settle, clock changes), so no stale answer is served again; answers of past versions age out of the LRU.
An answer whose handler read the clock or a side table (bulk operations, webhook events...) is not kept
(:meth:`EmulatorState.watch`). Everything else about a request (token, scope, rate limit, faults, query
validation, latency, counters, exchange log) happens as for any request; only the handler's work is skipped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import NamedTuple

ENTRY_OVERHEAD = 512
"""Bytes counted per entry on top of its body and headers (key, tuples, dict): keeps many tiny answers bounded too."""


class CachedAnswer(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    media_type: str | None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + ENTRY_OVERHEAD


class PageCache:
    """A byte-bounded LRU of encoded answers: key -> :class:`CachedAnswer`; ``max_bytes=0`` keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._answers: OrderedDict[Hashable, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Hashable) -> CachedAnswer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: Hashable, status: int, body: bytes, headers: Mapping[str, str], media_type: str | None) -> None:
        answer = CachedAnswer(status, body, tuple(headers.items()), media_type)
        size = answer.size
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._answers[key] = answer
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self.bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.bytes = 0

    def reset_counters(self) -> None:
        with self._lock:
            self.hits = self.misses = 0
