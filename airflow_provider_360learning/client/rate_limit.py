"""The tenant-wide rate limit: 360Learning's documented per-company budgets, shared by every process.

360Learning counts requests per company, across all API clients and processes: 50 GET/s (the *read* budget),
10 writes/s (the *write* budget), and 1 request/s on the endpoints whose description says so (the *endpoint*
budgets, :attr:`Action.endpoint_rate_limit <airflow_provider_360learning.actions.registry.Action>`). Bulk API
operations are not limited per request (their limit, 3 concurrent executions, is the bulk operator's gate).

A :class:`TenantBudget` hands out permits from pyrate-limiter buckets (a sliding-window log) that every task
using the same budget key shares:

- default: a SQLite file on this machine (WAL, a file lock around each check-and-insert), shared by every process
  of the host; its path is ``$AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB``, else a file under the temp directory;
- ``redis://host:6379/0`` (or ``rediss://``, ``unix://``): a Redis that every worker reaches (Celery deployments);
  the check-and-insert is one Lua script, stamped by the Redis server's clock (workers' clocks may differ);
- ``memory``: this process only.

Within any window of one second, no more than ``N`` permits of a budget are handed out, whatever the number of
processes: each window is ``1 s`` plus :data:`WINDOW_MARGIN_MS`, which absorbs the jitter between a permit and
the moment its request reaches the server, and no fifth of it holds more than ``N / 5`` (no bursts). A waiting
caller sleeps until the permit that blocks it expires (``time.sleep``: no CPU, the GIL released; only the SQLite
file's lock, while another process holds it for one check, is retried every :data:`FILE_LOCK_POLL_S`).

Within a process, the callers waiting for one bucket (threads, and coroutines of any event loop) queue first come
first served, and only the queue's head polls the bucket: when it gets its permit it takes permits for the waiters
behind it while the bucket has room (one check-and-insert of that weight on the file and memory backends), then
hands the polling on. Without the queue every waiter woke and checked at once, one won and the herd's work made
each permit's reuse late (15 coroutines beside a CPU-bound thread, file backend: 25.5 permits/s before, 32.2 with
the queue, 47.5 of 47.6 without the thread; ``benchmarks/bench_rate_limit.py --coroutines 15``).
:meth:`TenantBudget.aacquire` polls the file and Redis backends, and sleeps between polls, in a thread of its own,
so the event loop never waits on a lock, a file or a network round trip.

No client ID appears in a file name, a table name or a Redis key: bucket names are hashes (:func:`budget_key`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import sqlite3
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pyrate_limiter import (
    AbstractBucket,
    Decision,
    InMemoryBucket,
    Rate,
    RateItem,
    RedisBucket,
    SQLiteBucket,
    id_generator,
)
from pyrate_limiter.abstracts.algorithm import ADMITTED

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningConnectionError,
)

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

Kind = Literal["read", "write"]
KINDS: tuple[Kind, ...] = ("read", "write")

DB_PATH_ENV = "AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB"
"""Environment variable naming the SQLite file of the default backend (tests set it to a private file)."""
BACKEND_FIELD = "rate_limit_backend"
WINDOW_MS = 1000
WINDOW_MARGIN_MS = 50
"""Added to every 1-second window: a permit's request reaches the server a little later than the permit is
taken, so windows of exactly one second on both sides could see ``N + 1``. 20 ms let a server see 51 GETs in
one second on a machine with a load average of 12 (four processes, 2 cores); 50 ms costs 5% of the budget."""
SUBWINDOWS = 5
"""A budget's permits are spread over fifths of its window (see :func:`rates_for`): finer slices smooth more but
lose throughput whenever a waiting process wakes late (each slice's permits are reused one slice later)."""
FILE_LOCK_POLL_S = 0.002
"""How often a process waiting for the SQLite file's lock retries (the lock is held for one check-and-insert)."""
MIN_WAIT_S = 0.0005
"""The least wait :meth:`_Gate.try_take` reports (its wait already elapsed while the check ran: poll again soon)."""
LEAK_INTERVAL_S = 10.0
"""How often a process trims expired entries of a bucket it uses (the log only needs the last window)."""
REDIS_KEY_PREFIX = "airflow_provider_360learning:rate_limit:"
REDIS_KEY_TTL_MS = 600_000
"""An idle budget's Redis key expires after this long (it holds only the last window's entries anyway)."""
REDIS_TIMEOUT_S = 10.0
HASH_CHARS = 20


def budget_key(client_id: str, origin: object) -> str:
    """The default budget key of a client on an origin: a short SHA-256, so the client ID appears nowhere.

    ``origin`` is anything whose ``str`` is the normalised origin (``client.origin.Origin``, or a string).
    """
    digest = hashlib.sha256(f"{client_id}\n{origin}".encode()).hexdigest()
    return f"client-{digest[:HASH_CHARS]}"


def _storage_name(key: str, bucket: str) -> str:
    """The table name / Redis key suffix of one bucket of a budget: a hash of the budget key and bucket."""
    return hashlib.sha256(f"{key}\n{bucket}".encode()).hexdigest()[:HASH_CHARS]


def rates_for(per_second: float) -> list[Rate]:
    """pyrate-limiter rates for ``per_second`` permits a second (``> 0``).

    ``N`` a second is ``N`` per window and at most ``ceil(N / 5)`` per fifth of a window, so that permits are
    spread over the second rather than handed out in one burst (a burst of 50 requests bunches at the server,
    where a little jitter then tips a window over the limit). A fractional rate adds ``10 x rate`` per ten
    windows for the average (``2.5``: 3 in any second, 25 in any ten); below 1, one per ``1/rate`` seconds.
    """
    if not (math.isfinite(per_second) and per_second > 0):
        raise ValueError(f"a budget is a positive rate, got {per_second!r}")
    window = WINDOW_MS + WINDOW_MARGIN_MS
    if per_second < 1:
        return [Rate(1, math.ceil(window / per_second))]
    per_window = math.ceil(per_second)
    rates = [Rate(per_window, window)]
    if per_second != per_window:
        rates.append(Rate(round(per_second * 10), 10 * window))
    if per_window >= 2:
        rates.insert(0, Rate(math.ceil(per_window / SUBWINDOWS), window // SUBWINDOWS))
    return rates


@dataclass(frozen=True)
class Backend:
    """Where the buckets live: ``file`` (``location`` = SQLite path), ``redis`` (URL) or ``memory``."""

    kind: Literal["file", "redis", "memory"]
    location: str = ""

    def describe(self) -> str:
        """For messages: the file path, or the Redis host (never a password in the URL)."""
        if self.kind == "redis":
            parts = urlsplit(self.location)
            return f"Redis at {parts.hostname or parts.path}" + (f":{parts.port}" if parts.port else "")
        return f"SQLite file {self.location}" if self.kind == "file" else "this process's memory"


def default_db_path() -> Path:
    """The default backend's file: ``$AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB``, else one per user in the temp dir."""
    configured = os.environ.get(DB_PATH_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"airflow_provider_360learning_rate_limit_{uid}.sqlite"


def parse_backend(value: str | None) -> Backend:
    """The backend a ``rate_limit_backend`` extra names; a bad value is an error naming the field."""
    text = (value or "").strip()
    lowered = text.lower()
    if lowered in ("", "file", "sqlite"):
        return Backend("file", str(default_db_path()))
    if lowered == "memory":
        return Backend("memory")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        parts = None
    if parts is not None and (
        (parts.scheme.lower() in ("redis", "rediss") and parts.hostname)
        or (parts.scheme.lower() == "unix" and parts.path)
    ):
        return Backend("redis", text)
    shown = f"...@{text.rsplit('@', 1)[1]}" if "@" in text else text  # a Redis password stays out of the message
    raise ThreeSixtyLearningConnectionConfigError(
        f"Connection extra field {BACKEND_FIELD!r} must be empty (a file shared by the processes of this machine), "
        f"'redis://host:6379/0' (a Redis shared by every worker) or 'memory' (this process only), got {shown[:200]!r}"
    )


class _Waiter:
    """A caller queued for a gate's permit: a thread (an event) or a coroutine (a future of its own loop).

    It is woken once: either granted (the poller took its permit for it) or made the poller, and then
    ``deadline`` (``time.monotonic``) says when the bucket has a permit again (0: poll at once).
    """

    __slots__ = ("cancelled", "deadline", "done", "event", "future", "granted", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.event = threading.Event()
        self.future: asyncio.Future[None] | None = loop.create_future() if loop is not None else None
        self.granted = False
        self.deadline = 0.0
        self.cancelled = threading.Event()
        self.done: asyncio.Future[None] | None = None
        """A coroutine polling in a thread: resolved once it has its permit (or failed)."""

    def wake(self) -> bool:
        """Wake the waiter from any thread; False when its event loop is closed (it will never run again)."""
        self.event.set()
        if self.loop is None or self.future is None:
            return True
        try:
            if _running_loop() is self.loop:
                _resolve(self.future)  # its own loop's thread: no self-pipe write, no extra loop iteration
            else:
                self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:
            return False
        return True

    def finish(self, error: BaseException | None) -> None:
        """Resolve :attr:`done` from the polling thread (a no-op for a thread, or once resolved)."""
        if self.loop is None or self.done is None:
            return
        with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits any more
            self.loop.call_soon_threadsafe(_resolve, self.done, error)

    def delay(self) -> float:
        return self.deadline - time.monotonic() if self.deadline else 0.0


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _resolve(future: asyncio.Future[None], error: BaseException | None = None) -> None:
    if future.done():  # a cancelled waiter's future is done already
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class _Gate:
    """One shared bucket (a budget kind, or one endpoint) and the taking of a permit from it."""

    def __init__(self, name: str, make: Callable[[], AbstractBucket], backend: Backend, batch: int = 1) -> None:
        self.name = name
        self._batch = batch
        """Most permits one check-and-insert takes for the queue (the smallest rate's limit; 1: one at a time)."""
        self._make = make
        self._backend = backend
        self._bucket: AbstractBucket | None = None
        self._lock = threading.Lock()
        self._next_leak = 0.0
        self._queue_lock = threading.Lock()
        self._poller: _Waiter | None = None
        """The waiter polling the bucket (and taking permits for the queue behind it); None when nobody waits."""
        self._waiters: deque[_Waiter] = deque()
        """Waiters behind the poller, first come first served."""

    @property
    def in_thread(self) -> bool:
        """Whether the async path runs :meth:`try_take` in a worker thread (file and network I/O)."""
        return self._backend.kind != "memory"

    def take(self) -> None:
        """Wait for a permit in this process's FIFO queue, sleeping; only the queue's poller polls the bucket."""
        waiter = _Waiter(None)
        try:
            if not self._enqueue(waiter):
                waiter.event.wait()
            self._poll(waiter, time.sleep)
        finally:
            self._leave(waiter)

    async def atake(self) -> None:
        """:meth:`take` on an event loop, which never waits on a lock, a file or the network.

        The file and Redis backends poll, and sleep between polls, in a thread of their own (one per waiting gate):
        a wake-up then costs one thread switch, not an event-loop turn plus a hop to a worker and back.
        """
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop)
        in_thread = False  # from then on the polling thread leaves the queue for it (it may still be serving)
        try:
            if not self._enqueue(waiter):
                assert waiter.future is not None
                await waiter.future
            if self.in_thread:
                waiter.done = loop.create_future()
                _poll_executor().submit(self._poll_in_thread, waiter)
                in_thread = True
                await waiter.done
                return
            if waiter.granted:
                return
            if (delay := waiter.delay()) > 0:
                await asyncio.sleep(delay)
            while (wait := self._serve(waiter)) > 0:
                await asyncio.sleep(wait)
        finally:
            waiter.cancelled.set()  # a polling thread still sleeping for this waiter stops
            if not in_thread:
                self._leave(waiter)

    def _poll(self, waiter: _Waiter, pause: Callable[[float], object]) -> None:
        """A woken waiter's side of :meth:`take`: nothing if granted, else poll (pausing) until its permit."""
        if waiter.granted:
            return
        if (delay := waiter.delay()) > 0:
            pause(delay)
        while not waiter.cancelled.is_set() and (wait := self._serve(waiter)) > 0:
            pause(wait)

    def _poll_in_thread(self, waiter: _Waiter) -> None:
        """:meth:`_poll` for a coroutine: its ``done`` future gets the outcome (set earlier if granted, see ``_serve``)."""
        try:
            self._poll(waiter, waiter.cancelled.wait)
        except BaseException as exc:
            waiter.finish(exc)
        else:
            waiter.finish(None)
        finally:
            self._leave(waiter)

    def _enqueue(self, waiter: _Waiter) -> bool:
        """Join the queue; True when ``waiter`` is the poller at once (nobody else was waiting)."""
        with self._queue_lock:
            if self._poller is None:
                self._poller = waiter
                return True
            self._waiters.append(waiter)
            return False

    def _leave(self, waiter: _Waiter) -> None:
        """Done, cancelled or failed: out of the queue, and a poller leaving hands the polling on (no-op if granted)."""
        with self._queue_lock:
            if self._poller is waiter:
                self._promote()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def _promote(self) -> None:
        """Make the next queued waiter the poller (under the queue lock)."""
        while self._waiters:
            waiter = self._poller = self._waiters.popleft()
            if waiter.wake():
                return
        self._poller = None

    def _serve(self, poller: _Waiter) -> float:
        """The poller's turn: its permit, then permits for the waiters queued behind it while the bucket has room.

        Returns the seconds until the bucket frees a permit when the poller's own permit has to wait; 0 once it has
        its permit (the polling then passed on). Permits for several waiters are one check-and-insert of that weight
        where the bucket allows it (file, memory): one file lock and a few SQLite calls for a fifth of the budget.
        """
        with self._queue_lock:
            want = min(1 + len(self._waiters), self._batch)
        taken, wait = self._take_up_to(want)
        if not taken:
            return wait
        taken -= 1  # the poller's own
        poller.finish(None)  # resumed before the waiters it took permits for: first come, first served
        while True:
            with self._queue_lock:
                if self._poller is not poller:  # cancelled meanwhile, the polling passed on: no longer serving
                    return 0.0
                self._grant(taken)
                if not self._waiters:
                    self._poller = None
                    return 0.0
                want = min(len(self._waiters), self._batch)
            try:
                taken, wait = self._take_up_to(want)
            except Exception:
                taken, wait = 0, 0.0  # the next poller meets the error itself
            if not taken:
                with self._queue_lock:
                    if self._poller is poller:
                        if self._waiters:
                            self._waiters[0].deadline = time.monotonic() + wait if wait else 0.0
                        self._promote()
                return 0.0

    def _take_up_to(self, want: int) -> tuple[int, float]:
        """Take ``want`` permits at once, else half as many, ... else 1: (permits taken, 0) or (0, seconds to wait).

        Halving keeps batches whole: taking single permits when a batch does not fit would scatter the stamps,
        and every later batch would then meet a partly expired window.
        """
        while (wait := self.try_take(want)) > 0:
            if want == 1:
                return 0, wait
            want //= 2
        return want, 0.0

    def _grant(self, permits: int) -> None:
        """Hand ``permits`` to the first queued waiters (under the queue lock); a permit without a waiter is unused."""
        while permits > 0 and self._waiters:
            waiter = self._waiters.popleft()
            waiter.granted = True
            waiter.wake()
            permits -= 1

    def try_take(self, weight: int = 1) -> float:
        """Take ``weight`` permits when they are free and return 0; otherwise the seconds until they free up."""
        with self._lock:
            try:
                return self._try_take(weight)
            except ThreeSixtyLearningConnectionError:
                raise
            except Exception as exc:
                if not _is_backend_error(exc):
                    raise
                self._discard()
                raise ThreeSixtyLearningConnectionError(
                    f"Rate-limit backend ({self._backend.describe()}) failed: {type(exc).__name__}: {str(exc)[:300]}"
                ) from exc

    def _try_take(self, weight: int) -> float:
        if self._bucket is None:
            self._bucket = self._make()
        bucket = self._bucket
        # The timestamp is read inside the process-wide lock (SQLite's file lock), so permits are stamped in the
        # order they are granted; pyrate-limiter's file lock is reentrant for the put() below.
        with _process_lock(bucket):
            if time.monotonic() >= self._next_leak:
                self._leak(bucket)
            stamped = time.monotonic()
            item = RateItem(self.name, bucket.now(), weight)
            admitted = bucket.put(item)
            assert isinstance(admitted, bool)
            waiting = 0 if admitted else bucket.waiting(item)
        assert isinstance(waiting, int)
        if admitted:
            return 0.0
        if waiting < 0:  # cannot happen: every rate allows at least 1, and a batch is at most the smallest limit
            raise RuntimeError(f"rate-limit bucket {self.name!r} can never admit a request")
        # The wait counts from the stamp, not from now: a check slowed down (a contended GIL, a busy disk) must not
        # push the next poll later by its own duration, since every permit of the queue would then be reused late.
        return max(stamped + max(waiting, 1) / 1000 - time.monotonic(), MIN_WAIT_S)

    def _leak(self, bucket: AbstractBucket) -> None:
        self._next_leak = time.monotonic() + LEAK_INTERVAL_S
        try:
            bucket.leak(bucket.now())
        except Exception as exc:  # trimming is housekeeping: the window counts stay right without it
            log.warning("Could not trim rate-limit bucket (%s): %s", self._backend.describe(), exc)

    def _discard(self) -> None:
        bucket, self._bucket = self._bucket, None
        if bucket is not None and not isinstance(bucket, RedisBucket):  # a Redis client is shared: not closed
            with contextlib.suppress(Exception):
                bucket.close()

    def close(self) -> None:
        with self._lock:
            self._discard()


@contextlib.contextmanager
def _process_lock(bucket: AbstractBucket) -> Iterator[None]:
    """The SQLite bucket's file lock (shared by the processes of the machine), polled every few milliseconds."""
    if not isinstance(bucket, SQLiteBucket) or not bucket.use_limiter_lock:
        yield
        return
    lock: Any = bucket.lock
    lock.acquire(poll_interval=FILE_LOCK_POLL_S)
    try:
        yield
    finally:
        lock.release()


def _is_backend_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error | OSError | TimeoutError):
        return True
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exc, RedisError)


_REDIS_PUT = """
-- pyrate-limiter's sliding-window log in a sorted set, stamped by the Redis server's clock: entries are then in
-- the order they were admitted whatever the workers' clocks, and each check counts every entry of its window.
local key = KEYS[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local member = ARGV[1]
local ttl = tonumber(ARGV[2])
local longest = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.0f', now - longest))
for i = 1, n do
    local interval = tonumber(ARGV[3 + 2 * i])
    local limit = tonumber(ARGV[4 + 2 * i])
    if redis.call('ZCOUNT', key, now - interval, '+inf') >= limit then
        local blocking = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
        local stamp = -1
        if blocking[2] then
            stamp = tonumber(blocking[2])
        end
        return {i - 1, stamp, now}
    end
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, ttl)
return {-1, -1, now}
"""


class _ServerClockRedisBucket(RedisBucket):
    """pyrate-limiter's :class:`RedisBucket` whose check-and-insert reads the Redis server's clock.

    The library's script takes the timestamp from the client: a worker paused between reading its clock and
    running the script (or a worker whose clock is behind) inserts an entry older than the ones already admitted,
    which its window count (bounded by its own ``now``) does not see, so a window can hold ``N + 1``. Stamped by
    the server, entries are admitted in timestamp order; the script also trims expired entries and sets a TTL.
    """

    def __init__(self, rates: list[Rate], redis: Redis, bucket_key: str) -> None:
        super().__init__(rates, redis, bucket_key, script_hash="")
        self._script = redis.register_script(_REDIS_PUT)  # reloads itself after a Redis restart (NOSCRIPT)
        self._longest = max(rate.interval for rate in self.rates)

    def _check_and_insert(self, item: RateItem) -> Decision:
        args: list[int | str] = [f"{item.name}:{id_generator()}", REDIS_KEY_TTL_MS, self._longest, len(self.rates)]
        for rate in self.rates:
            args += [rate.interval, rate.limit]
        index, stamp, now = (int(value) for value in self._script(keys=[self.bucket_key], args=args))
        item.timestamp = now
        if index < 0:
            return ADMITTED
        rate = self.rates[index]
        return Decision(
            failing_rate=rate, retry_after_ms=self._algorithm.retry_after(rate, now, stamp if stamp >= 0 else None)
        )

    def leak(self, current_timestamp: int | None = None) -> int:
        return 0  # the script trims on every check


_REDIS_CLIENTS: dict[str, Redis] = {}
_POLL_EXECUTOR: ThreadPoolExecutor | None = None
_POLL_EXECUTOR_LOCK = threading.Lock()
POLL_THREADS = 16
"""Threads polling the file or Redis buckets for event loops: one per gate with waiters (the default executor
would be shared with the application's own ``to_thread`` calls, which long waits must not starve)."""


def _poll_executor() -> ThreadPoolExecutor:
    global _POLL_EXECUTOR
    with _POLL_EXECUTOR_LOCK:
        if _POLL_EXECUTOR is None:
            _POLL_EXECUTOR = ThreadPoolExecutor(POLL_THREADS, thread_name_prefix="360learning-rate-limit")
        return _POLL_EXECUTOR


def _redis_client(url: str) -> Redis:
    """One client (and connection pool, thread-safe) per Redis URL and process."""
    client = _REDIS_CLIENTS.get(url)
    if client is None:
        from redis import Redis

        client = _REDIS_CLIENTS[url] = Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, health_check_interval=30
        )
    return client


class TenantBudget:
    """The documented per-company model: read budget, write budget, per-endpoint budgets.

    Obtain one with :func:`tenant_budget` (a process-wide cache); every process and task with the same key and
    backend shares the same buckets. A rate of 0 turns that budget off.
    """

    def __init__(self, *, key: str, reads_per_second: float, writes_per_second: float, backend: Backend) -> None:
        self.key = key
        self.backend = backend
        self.rates: dict[Kind, float] = {"read": reads_per_second, "write": writes_per_second}
        self._gates: dict[tuple[str, float], _Gate] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def __repr__(self) -> str:
        return (
            f"TenantBudget(reads_per_second={self.rates['read']:g}, writes_per_second={self.rates['write']:g}, "
            f"backend={self.backend.kind})"
        )

    def acquire(self, kind: Kind, endpoint: str | None = None, endpoint_rate: float | None = None) -> None:
        """Wait (sleeping) until the request may be sent: the endpoint's permit first, then the budget's."""
        for gate in self._gates_for(kind, endpoint, endpoint_rate):
            gate.take()

    async def aacquire(self, kind: Kind, endpoint: str | None = None, endpoint_rate: float | None = None) -> None:
        """:meth:`acquire` without blocking the event loop (file and Redis: polled and waited for in a thread)."""
        for gate in self._gates_for(kind, endpoint, endpoint_rate):
            await gate.atake()

    def close(self) -> None:
        """Close this process's connections to the backend (they reopen on the next permit)."""
        with self._lock:
            gates, self._gates = list(self._gates.values()), {}
        for gate in gates:
            gate.close()

    def _gates_for(self, kind: Kind, endpoint: str | None, endpoint_rate: float | None) -> list[_Gate]:
        # The endpoint's permit first: it is the scarce one, and the budget's permit is then taken right before
        # the request goes out (a permit held while waiting for another could bunch requests at the server).
        if kind not in KINDS:
            raise ValueError(f"rate-limit kind must be one of {KINDS}, got {kind!r}")
        gates = []
        if endpoint and endpoint_rate:
            gates.append(self._gate(f"endpoint:{endpoint}", endpoint_rate))
        if self.rates[kind]:
            gates.append(self._gate(kind, self.rates[kind]))
        return gates

    def _gate(self, bucket: str, per_second: float) -> _Gate:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours to use
                self._gates, self._pid = {}, os.getpid()
            gate = self._gates.get((bucket, per_second))
            if gate is None:
                name, rates = _storage_name(self.key, bucket), rates_for(per_second)
                # The Redis script takes one permit per call (a network round trip releases the GIL only twice).
                batch = 1 if self.backend.kind == "redis" else min(rate.limit for rate in rates)
                gate = self._gates[(bucket, per_second)] = _Gate(
                    name, lambda: _make_bucket(self.backend, name, rates), self.backend, batch
                )
            return gate


def _make_bucket(backend: Backend, name: str, rates: list[Rate]) -> AbstractBucket:
    if backend.kind == "memory":
        return InMemoryBucket(rates)
    if backend.kind == "redis":
        return _ServerClockRedisBucket(rates, _redis_client(backend.location), f"{REDIS_KEY_PREFIX}{name}")
    path = Path(backend.location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteBucket.init_from_file(
            rates, table=f"rl_{name}", db_path=str(path), create_new_table=True, use_file_lock=True
        )
    except (sqlite3.Error, OSError) as exc:
        raise ThreeSixtyLearningConnectionConfigError(
            f"Rate-limit backend ({BACKEND_FIELD!r} empty): cannot use the SQLite file {path} ({exc}); "
            f"set {DB_PATH_ENV} to a writable path, or {BACKEND_FIELD!r} to a Redis URL or 'memory'"
        ) from exc


_BUDGETS: dict[tuple[str, Backend, float, float], TenantBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def tenant_budget(*, key: str, reads_per_second: float, writes_per_second: float, backend: str | None) -> TenantBudget:
    """Process-wide cache by (key, backend, rates). rate 0 = that budget off. backend None/"" = file-backed default."""
    for name, rate in (("requests_per_second", reads_per_second), ("writes_per_second", writes_per_second)):
        if not (isinstance(rate, int | float) and math.isfinite(rate) and rate >= 0):
            raise ThreeSixtyLearningConnectionConfigError(
                f"Connection extra field {name!r} must be a number >= 0, got {rate!r}"
            )
    parsed = parse_backend(backend)
    cache_key = (key, parsed, float(reads_per_second), float(writes_per_second))
    with _BUDGETS_LOCK:
        budget = _BUDGETS.get(cache_key)
        if budget is None:
            budget = _BUDGETS[cache_key] = TenantBudget(
                key=key, reads_per_second=reads_per_second, writes_per_second=writes_per_second, backend=parsed
            )
        return budget


def _after_fork_in_child() -> None:
    # Locks held by another thread at fork time would never be released in the child.
    global _BUDGETS_LOCK, _POLL_EXECUTOR, _POLL_EXECUTOR_LOCK
    _BUDGETS_LOCK = threading.Lock()
    _POLL_EXECUTOR, _POLL_EXECUTOR_LOCK = None, threading.Lock()  # its threads are the parent's
    _BUDGETS.clear()
    _REDIS_CLIENTS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


__all__ = [
    "DB_PATH_ENV",
    "Backend",
    "Kind",
    "TenantBudget",
    "budget_key",
    "parse_backend",
    "rates_for",
    "tenant_budget",
]
