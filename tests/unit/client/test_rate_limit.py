"""The tenant-wide rate limit (client/rate_limit.py): budgets off at 0, waits beyond N, shared by processes
through the file and Redis backends, endpoint buckets of their own, typed configuration errors, async waits
that leave the event loop free.

Bounds are counted within windows of the permits' own timestamps, never from the duration of a test.
"""

from __future__ import annotations

import asyncio
import bisect
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_360learning.client import rate_limit
from airflow_provider_360learning.client.rate_limit import (
    DB_PATH_ENV,
    TenantBudget,
    budget_key,
    parse_backend,
    rates_for,
    tenant_budget,
)
from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionConfigError

REDIS_URL = "redis://127.0.0.1:6379/0"


def max_in_window(stamps: list[float], window: float) -> int:
    """The most timestamps found in any half-open window ``[t, t + window)``."""
    ordered = sorted(stamps)
    return max((bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0)


@pytest.fixture(autouse=True)
def private_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test its own SQLite file, so no test shares a budget with another or with a real task."""
    path = tmp_path / "rate-limit.sqlite"
    monkeypatch.setenv(DB_PATH_ENV, str(path))
    yield path


def unique_key() -> str:
    return f"test-{uuid.uuid4().hex}"


class SleepLog:
    """``time.sleep`` as the limiter calls it: recorded, then really slept."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._sleep = time.sleep

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self._sleep(seconds)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepLog:
    log = SleepLog()
    monkeypatch.setattr(rate_limit.time, "sleep", log)
    return log


# --- rates and keys ---------------------------------------------------------------------------------------


def test_rates_spread_the_budget_over_tenths_of_a_second_window() -> None:
    window = rate_limit.WINDOW_MS + rate_limit.WINDOW_MARGIN_MS
    assert [(r.limit, r.interval) for r in rates_for(50)] == [(10, window // 5), (50, window)]
    assert [(r.limit, r.interval) for r in rates_for(1)] == [(1, window)]
    assert [(r.limit, r.interval) for r in rates_for(2.5)] == [(1, window // 5), (3, window), (25, 10 * window)]
    assert [(r.limit, r.interval) for r in rates_for(0.5)] == [(1, 2 * window)]
    with pytest.raises(ValueError):
        rates_for(0)


def test_budget_key_hides_the_client_id_and_tells_origins_apart() -> None:
    key = budget_key("my-client-id-123", "https://app.360learning.com")
    assert "my-client-id-123" not in key
    assert key == budget_key("my-client-id-123", "https://app.360learning.com")
    assert key != budget_key("my-client-id-123", "https://app.360learning.com:8443")
    assert key != budget_key("other-client", "https://app.360learning.com")


def test_no_client_id_in_the_file_or_redis_names(private_db: Path) -> None:
    budget = tenant_budget(key="client-id-in-clear", reads_per_second=5, writes_per_second=0, backend=None)
    budget.acquire("read", endpoint="create_course", endpoint_rate=1)
    budget.close()
    import sqlite3

    with sqlite3.connect(private_db) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert len(tables) == 2
    assert not any("client" in name or "create_course" in name for name in tables)
    assert "client-id-in-clear" not in private_db.name


def test_the_budget_is_cached_per_process_by_key_backend_and_rates() -> None:
    key = unique_key()
    first = tenant_budget(key=key, reads_per_second=50, writes_per_second=10, backend="memory")
    assert tenant_budget(key=key, reads_per_second=50, writes_per_second=10, backend=" Memory ") is first
    assert tenant_budget(key=key, reads_per_second=20, writes_per_second=10, backend="memory") is not first
    assert tenant_budget(key=key, reads_per_second=50, writes_per_second=10, backend=None) is not first


# --- configuration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend", ["postgres://db/x", "redis://", "sqlite:///x.db", "file:/tmp/x", "redis://h:port/0"]
)
def test_bad_backend_names_the_extra_field(backend: str) -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="rate_limit_backend"):
        tenant_budget(key=unique_key(), reads_per_second=50, writes_per_second=10, backend=backend)


def test_bad_backend_message_keeps_a_redis_password_out() -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError) as caught:
        parse_backend("redis//:s3cret-pw@cache:6379/0")
    assert "s3cret-pw" not in str(caught.value)
    assert "rate_limit_backend" in str(caught.value)


@pytest.mark.parametrize(
    "field,kwargs",
    [
        ("requests_per_second", {"reads_per_second": -1, "writes_per_second": 10}),
        ("writes_per_second", {"reads_per_second": 50, "writes_per_second": float("nan")}),
    ],
)
def test_bad_rate_names_the_extra_field(field: str, kwargs: dict[str, float]) -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=field):
        tenant_budget(key=unique_key(), backend="memory", **kwargs)  # type: ignore[arg-type]


def test_backends_parse() -> None:
    assert parse_backend(None).kind == parse_backend("").kind == parse_backend("file").kind == "file"
    assert parse_backend("memory").kind == "memory"
    assert parse_backend("redis://cache:6379/1") == rate_limit.Backend("redis", "redis://cache:6379/1")
    assert parse_backend("rediss://:pw@cache:6380/0").kind == "redis"
    assert parse_backend("unix:///run/redis.sock").kind == "redis"


def test_unknown_kind_is_refused() -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=50, writes_per_second=10, backend="memory")
    with pytest.raises(ValueError, match="kind"):
        budget.acquire("delete")  # type: ignore[arg-type]


# --- waiting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", None])
def test_rate_zero_turns_that_budget_off(backend: str | None, sleeps: SleepLog) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=0, writes_per_second=0, backend=backend)
    for _ in range(500):
        budget.acquire("read")
        budget.acquire("write")
    assert sleeps.calls == []
    assert budget._gates == {}  # not even a bucket was opened


def test_only_the_budget_at_zero_is_off(sleeps: SleepLog) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=0, writes_per_second=2, backend="memory")
    for _ in range(100):
        budget.acquire("read")
    assert sleeps.calls == []
    for _ in range(3):
        budget.acquire("write")
    assert sleeps.calls, "a third write within a second of two others must wait"


@pytest.mark.parametrize("backend", ["memory", None])
def test_a_burst_beyond_n_waits(backend: str | None, sleeps: SleepLog) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=5, writes_per_second=10, backend=backend)
    stamps = []
    for _ in range(12):
        budget.acquire("read")
        stamps.append(time.monotonic())
    assert sleeps.calls, "12 permits at 5/s cannot all be immediate"
    assert all(wait > 0 for wait in sleeps.calls)
    assert max_in_window(stamps, 1.0) <= 5
    # Waiting is sleeping until the next permit frees, not polling: few sleeps per permit.
    assert len(sleeps.calls) <= 3 * len(stamps)


def test_endpoint_buckets_are_independent_of_each_other(sleeps: SleepLog) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=50, writes_per_second=100, backend="memory")
    budget.acquire("write", endpoint="create_elearning_standard_course", endpoint_rate=1)
    budget.acquire("write", endpoint="update_elearning_standard_course", endpoint_rate=1)
    budget.acquire("write")  # the write budget itself has room
    assert sleeps.calls == []
    budget.acquire("write", endpoint="create_elearning_standard_course", endpoint_rate=1)
    assert sum(sleeps.calls) >= 0.8, "a second call of a 1/s endpoint waits for about a second"


def test_endpoint_buckets_are_shared_by_budgets_of_one_key(sleeps: SleepLog) -> None:
    key = unique_key()
    one = tenant_budget(key=key, reads_per_second=50, writes_per_second=10, backend=None)
    other = tenant_budget(key=key, reads_per_second=20, writes_per_second=5, backend=None)  # another hook's rates
    one.acquire("write", endpoint="create_elearning_standard_course", endpoint_rate=1)
    other.acquire("write", endpoint="create_elearning_standard_course", endpoint_rate=1)
    assert sum(sleeps.calls) >= 0.8


# --- async ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", None])
async def test_async_acquire_waits_without_blocking_the_loop(backend: str | None) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=5, writes_per_second=10, backend=backend)
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def take(n: int) -> list[float]:
        stamps = []
        for _ in range(n):
            await budget.aacquire("read")
            stamps.append(time.monotonic())
        return stamps

    tick = asyncio.create_task(ticker())
    results = await asyncio.gather(take(5), take(5))
    done.set()
    await tick
    stamps = [t for r in results for t in r]
    assert len(stamps) == 10
    assert max_in_window(stamps, 1.0) <= 5  # so the second half waited
    assert gaps and max(gaps) < 0.5, f"the event loop was blocked for {max(gaps):.3f} s"


# --- processes sharing one budget -------------------------------------------------------------------------


def _permits_worker(backend: str, db_path: str, key: str, rate: int, seconds: float, barrier: Any, out: Any) -> None:
    import os

    os.environ[DB_PATH_ENV] = db_path
    budget = rate_limit.tenant_budget(key=key, reads_per_second=rate, writes_per_second=1, backend=backend)
    budget.acquire("write")  # opens the backend before the clock starts
    barrier.wait(timeout=120)
    stamps = []
    end = time.time() + seconds
    while True:
        budget.acquire("read")
        now = time.time()
        if now >= end:
            break
        stamps.append(now)
    out.put(stamps)


def _run_processes(
    backend: str, db_path: Path, *, processes: int = 3, rate: int = 20, seconds: float = 3.0
) -> list[list[float]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    key = unique_key()
    workers = [
        ctx.Process(target=_permits_worker, args=(backend, str(db_path), key, rate, seconds, barrier, out))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        results = [out.get(timeout=180) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    return results


def _check_shared(results: list[list[float]], rate: int, seconds: float) -> None:
    stamps = [t for r in results for t in r]
    # The budget is N in any second of the bucket's own clock; each process notes a permit a little after it
    # was granted, so the check leaves 0.1 s for that (unshared buckets would give 3 x N here).
    assert max_in_window(stamps, 0.9) <= rate, sorted(stamps)
    assert len(stamps) <= rate * (seconds + 1)
    # ... and the budget is used, by every process (generous: a loaded machine delays wake-ups).
    assert len(stamps) >= 0.5 * rate * seconds
    assert all(r for r in results), [len(r) for r in results]


def test_processes_share_the_file_backed_budget(private_db: Path) -> None:
    results = _run_processes("", private_db, rate=20, seconds=3.0)
    _check_shared(results, rate=20, seconds=3.0)


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis at {REDIS_URL}")
def test_processes_share_the_redis_budget(private_db: Path) -> None:
    results = _run_processes(REDIS_URL, private_db, rate=20, seconds=3.0)
    _check_shared(results, rate=20, seconds=3.0)
    assert not private_db.exists(), "the Redis backend writes no file"


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis at {REDIS_URL}")
def test_redis_keys_expire_and_hold_no_client_id() -> None:
    import redis

    budget = tenant_budget(key="client-id-in-clear", reads_per_second=5, writes_per_second=0, backend=REDIS_URL)
    budget.acquire("read")
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.scan_iter(match=f"{rate_limit.REDIS_KEY_PREFIX}*")]
    assert keys and not any("client" in k.removeprefix(rate_limit.REDIS_KEY_PREFIX) for k in keys)
    name = rate_limit._storage_name("client-id-in-clear", "read")
    assert 0 < client.pttl(f"{rate_limit.REDIS_KEY_PREFIX}{name}") <= rate_limit.REDIS_KEY_TTL_MS


def test_an_unreachable_redis_is_a_typed_error() -> None:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionError

    budget = TenantBudget(
        key=unique_key(), reads_per_second=5, writes_per_second=0, backend=parse_backend("redis://127.0.0.1:9/0")
    )
    with pytest.raises(ThreeSixtyLearningConnectionError, match=r"Redis at 127\.0\.0\.1:9"):
        budget.acquire("read")


# --- one queue per bucket in a process ------------------------------------------------------------------------


class TakeCount:
    """Counts the bucket's check-and-inserts (``_Gate.try_take``) and the permits they took."""

    def __init__(self) -> None:
        self.checks = 0
        self.permits = 0
        self._lock = threading.Lock()
        self._try_take = rate_limit._Gate.try_take

    def wrap(self) -> Any:
        count = self

        def try_take(gate: rate_limit._Gate, weight: int = 1) -> float:
            wait = count._try_take(gate, weight)
            with count._lock:
                count.checks += 1
                count.permits += weight if wait <= 0 else 0
            return wait

        return try_take


@pytest.fixture
def takes(monkeypatch: pytest.MonkeyPatch) -> TakeCount:
    count = TakeCount()
    monkeypatch.setattr(rate_limit._Gate, "try_take", count.wrap())
    return count


def _drain(budget: TenantBudget) -> None:
    """Take every permit free right now, so the next callers queue."""
    gate = budget._gate("read", budget.rates["read"])
    while gate.try_take() <= 0:
        pass


def _queue_is_empty(budget: TenantBudget) -> bool:
    """Nobody polls or waits (a coroutine's polling thread leaves the queue just after resuming it: allow for it)."""
    for _ in range(200):
        if all(gate._poller is None and not gate._waiters for gate in budget._gates.values()):
            return True
        time.sleep(0.005)
    return False


def _bucket_stamps(budget: TenantBudget) -> list[float]:
    """The read bucket's own timestamps (seconds): what the window bound is about."""
    gate = budget._gate("read", budget.rates["read"])
    bucket = gate._bucket
    if isinstance(bucket, rate_limit.SQLiteBucket):
        rows = bucket.conn.execute(f'SELECT item_timestamp FROM "{bucket.table}"').fetchall()
        return [row[0] / 1000 for row in rows]
    assert isinstance(bucket, rate_limit.InMemoryBucket)
    return [item.timestamp / 1000 for item in bucket.items]


def _recording(budget: Any, granted: list[Any]) -> Callable[[Any], Coroutine[Any, Any, None]]:
    """A reader that takes a read permit, then notes its ``tag`` in ``granted`` (the order of the grants)."""

    async def take(tag: Any) -> None:
        await budget.aacquire("read")
        granted.append(tag)

    return take


@pytest.mark.parametrize("backend", ["memory", None])
async def test_waiters_are_granted_in_the_order_they_came(backend: str | None) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=50, writes_per_second=10, backend=backend)
    _drain(budget)
    order: list[int] = []
    take = _recording(budget, order)
    tasks = []
    for index in range(25):
        tasks.append(asyncio.create_task(take(index)))
        await asyncio.sleep(0)  # each joins the queue before the next starts
    await asyncio.gather(*tasks)
    assert order == list(range(25))
    assert _queue_is_empty(budget)


@pytest.mark.parametrize("backend", ["memory", None])
async def test_many_waiters_do_not_poll_the_bucket_per_permit_each(backend: str | None, takes: TakeCount) -> None:
    # Before the queue, each of the 30 waiters woke and checked the bucket whenever a permit might be free.
    budget = tenant_budget(key=unique_key(), reads_per_second=50, writes_per_second=10, backend=backend)
    _drain(budget)
    takes.checks = takes.permits = 0

    async def reader() -> None:
        for _ in range(2):
            await budget.aacquire("read")

    await asyncio.gather(*(reader() for _ in range(30)))
    assert takes.permits == 60
    assert takes.checks <= 2 * takes.permits, (takes.checks, takes.permits)
    assert _queue_is_empty(budget)


@pytest.mark.parametrize("backend", ["memory", None])
async def test_a_cancelled_waiter_leaves_the_queue(backend: str | None, takes: TakeCount) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=5, writes_per_second=10, backend=backend)
    _drain(budget)
    granted: list[str] = []
    take = _recording(budget, granted)
    first = asyncio.create_task(take("first"))  # the poller: waits for the bucket
    await asyncio.sleep(0)
    second = asyncio.create_task(take("second"))
    await asyncio.sleep(0)
    third = asyncio.create_task(take("third"))
    await asyncio.sleep(0.01)
    gate = budget._gate("read", 5)
    assert gate._poller is not None and len(gate._waiters) == 2
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert len(gate._waiters) == 1
    await asyncio.gather(first, third)
    assert granted == ["first", "third"]
    assert _queue_is_empty(budget)


@pytest.mark.parametrize("backend", ["memory", None])
async def test_a_cancelled_poller_hands_the_polling_on(backend: str | None) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=5, writes_per_second=10, backend=backend)
    _drain(budget)
    poller = asyncio.create_task(budget.aacquire("read"))
    await asyncio.sleep(0)
    queued = asyncio.create_task(budget.aacquire("read"))
    await asyncio.sleep(0.01)
    poller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poller
    await asyncio.wait_for(queued, timeout=5)  # the next waiter polled: the queue did not stall
    assert _queue_is_empty(budget)
    # Nothing leaked: the queue serves the next caller as usual.
    await asyncio.wait_for(budget.aacquire("read"), timeout=5)
    assert _queue_is_empty(budget)


@pytest.mark.parametrize("backend", ["memory", None])
def test_threads_share_one_queue(backend: str | None, takes: TakeCount) -> None:
    budget = tenant_budget(key=unique_key(), reads_per_second=20, writes_per_second=10, backend=backend)
    _drain(budget)
    takes.checks = takes.permits = 0
    stamps: list[float] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                budget.acquire("read")
                stamps.append(time.monotonic())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert len(stamps) == takes.permits == 24
    assert takes.checks <= 2 * takes.permits, (takes.checks, takes.permits)
    assert max_in_window(_bucket_stamps(budget), 1.0) <= 20
    assert _queue_is_empty(budget)


@pytest.mark.parametrize("backend", ["memory", None])
def test_the_window_holds_with_many_waiters_on_loops_and_threads(backend: str | None) -> None:
    # One budget object, as the process-wide cache hands it out: coroutines on two event loops (in two threads)
    # and plain threads all queue for the same bucket.
    rate = 20
    budget = tenant_budget(key=unique_key(), reads_per_second=rate, writes_per_second=10, backend=backend)
    deadline = time.monotonic() + 2.5
    granted: list[float] = []
    errors: list[BaseException] = []

    async def reader() -> None:
        while time.monotonic() < deadline:
            await budget.aacquire("read")
            granted.append(time.monotonic())
            await asyncio.sleep(0.02)

    async def readers() -> None:
        await asyncio.gather(*(reader() for _ in range(15)))

    def loop_thread() -> None:
        try:
            asyncio.run(readers())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sync_thread() -> None:
        try:
            while time.monotonic() < deadline:
                budget.acquire("read")
                granted.append(time.monotonic())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop_thread) for _ in range(2)]
    threads += [threading.Thread(target=sync_thread) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and not any(thread.is_alive() for thread in threads)
    stamps = _bucket_stamps(budget)
    assert len(stamps) == len(granted)  # every permit taken went to a caller
    assert max_in_window(stamps, 1.0) <= rate
    assert max_in_window(stamps, (rate_limit.WINDOW_MS + rate_limit.WINDOW_MARGIN_MS) / 1000) <= rate
    assert len(granted) >= rate  # and the budget was used
    assert _queue_is_empty(budget)
