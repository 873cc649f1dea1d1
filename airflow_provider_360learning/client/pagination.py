"""The one page walker: follows next-page URLs (a ``Link`` header or a body's ``next``) safely.

- Every next URL must be on the connection's origin; another origin (or a downgrade to ``http``) stops the
  iteration with :class:`~airflow_provider_360learning.exceptions.ThreeSixtyLearningOriginError` before
  anything is sent there, and before the page that named it is handed out.
- A URL already fetched in the same iteration is a loop: it stops with
  :class:`~airflow_provider_360learning.exceptions.ThreeSixtyLearningPaginationLoopError`.
- Long iterations report progress at INFO every :data:`PROGRESS_EVERY_PAGES` pages or
  :data:`PROGRESS_EVERY_SECONDS` seconds: pages, rows, rows/s and elapsed time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_360learning.client.client import ApiClient, Call
from airflow_provider_360learning.client.origin import Origin, resolve
from airflow_provider_360learning.client.transport import Response
from airflow_provider_360learning.exceptions import ThreeSixtyLearningPaginationLoopError

PROGRESS_EVERY_PAGES = 10
PROGRESS_EVERY_SECONDS = 30.0

NextUrl = Callable[[Response, Any], "str | None"]
"""The next page's URL (absolute or relative to the page) given a page and its decoded body; ``None`` at the end."""


class Progress:
    """Counts pages, rows and bytes of one iteration and logs them at INFO now and then."""

    def __init__(self, log: Any, what: str) -> None:
        self.log = log
        self.what = what
        self.pages = 0
        self.rows: int | None = 0
        self.bytes = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._logged = False

    def add(self, rows: int | None, nbytes: int) -> None:
        self.pages += 1
        self.bytes += nbytes
        self.rows = None if rows is None or self.rows is None else self.rows + rows
        now = time.monotonic()
        if self.pages % PROGRESS_EVERY_PAGES == 0 or now - self._last_log >= PROGRESS_EVERY_SECONDS:
            self._last_log = now
            self._logged = True
            self.log.info("%s: %s", self.what, self.summary(now))

    def summary(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        if self.rows is None:
            amount = f"{self.bytes / 1e6:,.1f} MB ({self.bytes / 1e6 / elapsed:,.1f} MB/s)"
        else:
            amount = f"{self.rows:,} rows ({self.rows / elapsed:,.0f} rows/s)"
        return f"{self.pages:,} page(s), {amount}, {elapsed:,.1f} s elapsed"

    def finish(self) -> None:
        level = self.log.info if self._logged else self.log.debug
        level("%s: done, %s", self.what, self.summary())


def _loop_key(url: str) -> tuple[Origin, str, str]:
    parts = urlsplit(url)
    return Origin.of(url), parts.path or "/", parts.query


async def walk_pages(
    client: ApiClient,
    call: Call,
    first_url: str,
    next_url: NextUrl,
    *,
    decode: Callable[[Response], Any] | None = None,
    rows: Callable[[Any], int | None] = lambda decoded: len(decoded) if isinstance(decoded, list) else None,
    send: Mapping[str, Any] | None = None,
) -> AsyncIterator[tuple[Response, Any]]:
    """Yield ``(page, decoded)`` for each page (``decoded`` is ``None`` without ``decode``), one in memory.

    ``send`` holds the body arguments of :meth:`ApiClient.request` sent with every page (a list answered to a
    PUT carries its body on each request)."""
    progress = Progress(client.log, f"{client.service.name} {call.action}")
    seen: set[tuple[Origin, str, str]] = set()
    url: str | None = client.pin(call, first_url, what="the first page URL")
    while url is not None:
        seen.add(_loop_key(url))
        response = await client.request(call, url, **(send or {}))
        decoded = decode(response) if decode is not None else None
        progress.add(rows(decoded) if decode is not None else None, len(response.body))
        following = next_url(response, decoded)
        current, url = url, None
        if following:
            url = client.pin(call, resolve(current, following), what="the next-page URL")
            if _loop_key(url) in seen:
                problem = f"the next-page URL was already fetched in this iteration (after {progress.pages} page(s))"
                raise client.unsafe(
                    call, ThreeSixtyLearningPaginationLoopError, f"{problem}; following it would never end"
                )
        yield response, decoded
    progress.finish()
