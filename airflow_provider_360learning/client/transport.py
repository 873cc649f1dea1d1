"""The one place that sends HTTP: aiohttp, no automatic redirects, a total deadline and a bounded body.

- Every attempt runs under a total deadline (``total_timeout``: connect, headers and the whole body), on top of
  aiohttp's per-read (``timeout``) and connect (``connect_timeout``) timeouts: a server that trickles one byte a
  second cannot hold a task.
- Bodies are read in chunks and decompressed here (``auto_decompress`` is off), with a streamed, bounded
  decompressor: a body above ``max_response_mb`` after decompression is refused before it is read whole, so a
  gzip bomb costs at most the cap in memory.
- Redirects are never followed here; the client decides (see :mod:`airflow_provider_360learning.client.client`).

The sync hooks run these coroutines on one background event loop per process (:func:`run_sync`,
:func:`iterate_sync`), so sync and async share every line of request handling.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy

T = TypeVar("T")

CHUNK_BYTES = 256 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class DeadlineExceeded(Exception):
    """Internal: an attempt outlived ``total_timeout`` (retried like a network error, then typed)."""


class BodyTooLarge(Exception):
    """Internal: the body passed the cap; carries the cap for the typed error."""

    def __init__(self, cap_bytes: int, known_length: int | None = None) -> None:
        super().__init__(cap_bytes)
        self.cap_bytes = cap_bytes
        self.known_length = known_length


class UnsupportedEncoding(Exception):
    """Internal: a ``Content-Encoding`` this client did not ask for (it asks for gzip and deflate only)."""


@dataclass(frozen=True)
class Response:
    """An answer read whole (within its cap): status, headers, decoded body bytes and the URL asked."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    # the RawResponse protocol scim2-client reads
    @property
    def status_code(self) -> int:
        return self.status

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


class _Decoder:
    """Streamed decompression that never produces more than ``cap`` bytes in all."""

    def __init__(self, encoding: str, cap: int) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise UnsupportedEncoding(encoding)
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []

    @property
    def identity(self) -> bool:
        """No decompression: the body's ``Content-Length`` is its decoded size."""
        return self._zlib is None

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise BodyTooLarge(self.cap)
        if data:
            self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._zlib is None:
            self._keep(chunk)
            return
        data = chunk
        while data:
            room = self.cap - self.size + 1
            try:
                self._keep(self._zlib.decompress(data, room))
            except zlib.error as exc:
                raise aiohttp.ClientPayloadError(f"bad compressed body: {exc}") from None
            data = self._zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self._zlib is not None:
            self._keep(self._zlib.flush(self.cap - self.size + 1))
        return b"".join(self.parts)


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    data: Any = None,
    total_timeout: float,
    connect_timeout: float,
    read_timeout: float,
    max_bytes: int,
) -> Response:
    """One HTTP attempt, read whole within ``max_bytes``; raises :class:`DeadlineExceeded`, :class:`BodyTooLarge`,
    :class:`UnsupportedEncoding` or aiohttp's errors."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout)
    try:
        async with asyncio.timeout(total_timeout) as deadline:
            async with session.request(
                method, url, headers=headers, data=data, timeout=timeout, allow_redirects=False
            ) as answer:
                decoder = _Decoder(answer.headers.get("Content-Encoding", ""), max_bytes)
                length = answer.content_length
                if length is not None and decoder.identity and length > max_bytes:
                    raise BodyTooLarge(max_bytes, length)
                async for chunk in answer.content.iter_chunked(CHUNK_BYTES):
                    decoder.feed(chunk)
                body = decoder.finish()
                return Response(answer.status, CIMultiDictProxy(CIMultiDict(answer.headers)), body, url)
    except TimeoutError:
        if deadline.expired():
            raise DeadlineExceeded() from None
        raise


def new_session(headers: Mapping[str, str]) -> aiohttp.ClientSession:
    """A session that decompresses nothing itself, keeps no cookies and sends ``headers`` on every request."""
    return aiohttp.ClientSession(
        headers={**headers, "Accept-Encoding": "gzip, deflate"},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        connector=aiohttp.TCPConnector(limit=64, enable_cleanup_closed=True),
    )


# --- the sync bridge: one background event loop per process ----------------------------------------------
class _Bridge:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.sessions: dict[tuple[tuple[str, str], ...], aiohttp.ClientSession] = {}
        self.thread = threading.Thread(target=self.loop.run_forever, name="360learning-http", daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Close the shared sessions and stop the loop (at interpreter exit: no "unclosed session" warnings)."""
        if self.pid != os.getpid() or not self.thread.is_alive():
            return

        async def close_sessions() -> None:
            for session in list(self.sessions.values()):
                await session.close()
            self.sessions.clear()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_sessions(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def session(self, headers: Mapping[str, str]) -> aiohttp.ClientSession:
        """The loop's shared session for these static headers (called on the loop)."""
        key = tuple(sorted(headers.items()))
        session = self.sessions.get(key)
        if session is None or session.closed:
            session = self.sessions[key] = new_session(headers)
        return session


_BRIDGE: _Bridge | None = None
_BRIDGE_LOCK = threading.Lock()


def bridge() -> _Bridge:
    """This process's background loop (a new one after a fork: the parent's thread does not exist here)."""
    global _BRIDGE
    with _BRIDGE_LOCK:
        if _BRIDGE is None or _BRIDGE.pid != os.getpid() or not _BRIDGE.thread.is_alive():
            _BRIDGE = _Bridge()
        return _BRIDGE


def in_bridge() -> bool:
    """Whether the running coroutine is on the sync bridge's loop."""
    current = _BRIDGE
    if current is None:
        return False
    try:
        return asyncio.get_running_loop() is current.loop
    except RuntimeError:
        return False


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` on the bridge and wait for it; an interrupt of the caller cancels it."""
    loop = bridge().loop
    if in_bridge():
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError("a sync hook method was called on the client core's own loop (it would wait on itself)")
    future: Future[T] = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


def start(awaitable: Awaitable[T]) -> Future[T]:
    """Start ``awaitable`` on the bridge without waiting for it (its outcome is in the returned future)."""
    return asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), bridge().loop)


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def iterate_sync(iterator: AsyncIterator[T], *, read_ahead: bool = False) -> Iterator[T]:
    """Consume an async iterator from sync code; closing the generator closes it.

    With ``read_ahead`` the bridge already works on the next item while the caller handles this one
    (one item ahead at most): a paginated read then asks for page n+1 as soon as page n is handed over,
    instead of after a round trip through the caller's thread, which a busy caller (the warehouse
    loader) would otherwise add to every page's latency. Without it, one item per round trip.
    """
    loop = bridge().loop
    if in_bridge():
        raise RuntimeError("a sync hook method was called on the client core's own loop (it would wait on itself)")

    def start() -> Future[T]:
        return asyncio.run_coroutine_threadsafe(_as_coroutine(iterator.__anext__()), loop)

    pending: Future[T] | None = None
    try:
        while True:
            current = pending or start()
            pending = None
            try:
                item = current.result()
            except StopAsyncIteration:
                return
            except BaseException:
                current.cancel()
                raise
            if read_ahead:
                pending = start()
            yield item
    finally:
        if pending is not None:  # the caller stopped early: let the read in flight end before closing
            pending.cancel()
            with contextlib.suppress(BaseException):
                pending.result()
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):  # closing must not hide the real outcome
                run_sync(aclose())
