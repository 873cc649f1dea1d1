"""Encoded list pages kept for reuse, so that a large export is served at the speed of a real API.

Generating a page of 500 course statistics and encoding it costs the emulator about 10 ms of CPU, far
more than 360Learning's servers spend per page; a client reading a million rows would measure the
emulator, not itself. Pages of the generic list actions are a pure function of the request (action,
path, position, filters, base URL) and of the data, so the encoded page is kept, in a bounded LRU, under
a key that holds :attr:`EmulatorState.data_version`: 0 for the seeded data (a reset returns to it, so
its pages stay valid across resets) and a new number at every write (``add_row``, ``patch_row``,
``delete_row``), so no stale page can be served again; pages of past versions age out of the LRU.
Everything else about a request (token, scope, rate limit, faults, latency, counters) happens as
for any request; only the handler's work is skipped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping


class PageCache:
    """A byte-bounded LRU of encoded pages: key -> (body, headers)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[Hashable, tuple[bytes, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bytes, dict[str, str]] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page[0], dict(page[1])

    def put(self, key: Hashable, body: bytes, headers: Mapping[str, str]) -> None:
        size = len(body)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0])
            self._pages[key] = (body, dict(headers))
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (dropped, _) = self._pages.popitem(last=False)
                self.bytes -= len(dropped)

    def reset_counters(self) -> None:
        with self._lock:
            self.hits = self.misses = 0
