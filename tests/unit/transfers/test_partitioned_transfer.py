"""The transfer's partitioned extraction into real PostgreSQL: the same table as one stream (also under injected
faults), partitioning only where it pays, a sweep only after every partition completed, and a watermark no later
than the partitions' complete ranges."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import (
    ThreeSixtyLearningToSqlOperator,
    complete_watermark,
    default_streams,
)

STATS = "list_courses_statistics"  # 1,250 rows over 60 courses on the default emulator
POSTGRES_URI = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    pytest.importorskip("airflow.providers.postgres")
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    monkeypatch.setenv("AIRFLOW_CONN_PARTITION_WH", POSTGRES_URI)
    table = f"partitioned_{uuid.uuid4().hex[:10]}"
    yield table
    hook = PostgresHook(postgres_conn_id="partition_wh")
    hook.run(f"DROP TABLE IF EXISTS {table}", autocommit=True)
    for service in ("_360learning_rejects", "_360learning_loads"):
        if hook.get_first("SELECT to_regclass(%s)", parameters=(service,))[0]:
            hook.run(f"DELETE FROM {service} WHERE table_name LIKE %s", parameters=(f"{table}%",), autocommit=True)


def _content(table: str) -> list[tuple[Any, ...]]:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id="partition_wh")
    return sorted(tuple(r) for r in hook.get_records(f"SELECT id, course_id, user_id, progress, score FROM {table}"))


@pytest.fixture
def load(pg_table: str) -> Callable[..., dict[str, Any]]:
    tries = iter(range(1, 1_000))

    def run(table: str = pg_table, mode: str = "full", **kwargs: Any) -> dict[str, Any]:
        hook_params = {"requests_per_second": 0, "backoff_initial": 0.01, "backoff_max": 0.05}
        hook_params.update(kwargs.pop("hook_params", {}))
        operator = ThreeSixtyLearningToSqlOperator(
            task_id="load",
            action=STATS,
            table=table,
            destination_conn_id="partition_wh",
            mode=mode,
            hook_params=hook_params,
            **kwargs,
        )
        context = {"ti": SimpleNamespace(try_number=next(tries)), "run_id": f"run_{uuid.uuid4().hex[:6]}"}
        return operator.execute(context)  # type: ignore[arg-type]

    return run


@pytest.fixture
def bigger(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """5,000 stats over 240 courses: 10 pages, enough for a partitioned read to pay with 2 to 5 streams."""
    from tests.conftest import CONN_ENV, connection_json

    server = emulator_factory(scale=4)
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    return server


def test_a_partitioned_load_lands_the_same_table_as_one_stream(
    load: Callable[..., dict[str, Any]], pg_table: str, bigger: Any
) -> None:
    single = load(table=f"{pg_table}_single", max_parallel_streams=1)
    parallel = load(max_parallel_streams=4)
    assert single["partitions"] == 1 and parallel["partitions"] >= 4
    assert parallel["rows"] == single["rows"] == 5000
    assert _content(pg_table) == _content(f"{pg_table}_single")
    again = load(max_parallel_streams=4)  # idempotent: a second partitioned run (10 pages >= 2 x 4) changes nothing
    assert again["partitions"] >= 4 and again["deleted"] == 0
    assert _content(pg_table) == _content(f"{pg_table}_single")
    # sized from the table's rows per course: whole pages (500 rows less the 1% slack), plus one (empty) page for
    # the courses without statistics, which only the parent list names
    assert again["pages"] <= -(-5000 // 495) + 1, again["pages"]


def test_injected_faults_land_the_same_table_as_a_clean_single_stream(
    load: Callable[..., dict[str, Any]], pg_table: str, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import CONN_ENV, connection_json

    server = emulator_factory(fault_rate=0.1)
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    faulty = load(max_parallel_streams=4, hook_params={"max_retries": 8})
    assert server.state.stats()["faults_total"] > 0 and faulty["partitions"] >= 4
    server.state.settings.fault_rate = 0.0
    load(table=f"{pg_table}_clean", max_parallel_streams=1)
    assert _content(pg_table) == _content(f"{pg_table}_clean")


def test_a_small_incremental_load_stays_one_stream(
    load: Callable[..., dict[str, Any]], emulator: Any, connection: str
) -> None:
    first = load(mode="full", max_parallel_streams=4)  # no history: a full load partitions
    assert first["partitions"] > 1
    incremental = load(mode="incremental", max_parallel_streams=4)  # no previous incremental load: one stream
    assert incremental["partitions"] == 1
    small = load(mode="incremental", max_parallel_streams=4)  # the last one held 3 pages < 2 x 4 streams
    assert small["partitions"] == 1
    big_enough = load(mode="full", max_parallel_streams=1)
    assert big_enough["partitions"] == 1  # one stream asked for


def test_a_failed_partition_sweeps_nothing_and_a_retry_completes(
    load: Callable[..., dict[str, Any]], pg_table: str, bigger: Any, monkeypatch: Any
) -> None:
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    load(max_parallel_streams=1)
    gone = [r[0] for r in _content(pg_table)[:5]]
    for oid in gone:  # vanished from the API: a complete full load sweeps them (5 of 5,000: under 10%)
        bigger.state.delete_row("course_stats", oid)

    real = ThreeSixtyLearningHook.iter_partitioned_pages

    def failing(self: Any, read: Any) -> Iterator[Any]:
        for n, item in enumerate(real(self, read)):
            if n == 2:
                raise RuntimeError("partition failed mid-way")
            yield item

    monkeypatch.setattr(ThreeSixtyLearningHook, "iter_partitioned_pages", failing)
    with pytest.raises(RuntimeError, match="mid-way"):
        load(max_parallel_streams=4)
    assert {r[0] for r in _content(pg_table)} >= set(gone)  # nothing swept after a partial read

    monkeypatch.setattr(ThreeSixtyLearningHook, "iter_partitioned_pages", real)
    done = load(max_parallel_streams=4)
    assert done["partitions"] >= 4 and done["deleted"] == 5 and not {r[0] for r in _content(pg_table)} & set(gone)


def test_the_watermark_never_passes_the_first_partition_start() -> None:
    newest = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    earlier_start = SimpleNamespace(complete_since=lambda: dt.datetime(2026, 6, 1, 11, tzinfo=dt.UTC).timestamp())
    later_start = SimpleNamespace(complete_since=lambda: dt.datetime(2026, 6, 1, 13, tzinfo=dt.UTC).timestamp())
    assert complete_watermark(newest, earlier_start) == dt.datetime(2026, 6, 1, 11, tzinfo=dt.UTC)  # type: ignore[arg-type]
    assert complete_watermark(newest, later_start) == newest  # type: ignore[arg-type]
    assert complete_watermark(newest, None) == newest
    assert complete_watermark(None, earlier_start) is None  # type: ignore[arg-type]


def test_the_default_streams_fill_the_budget_at_a_slow_latency() -> None:
    assert default_streams(50) == 15
    assert default_streams(0) == 1  # no budget: nothing would bound the streams, so one
    assert default_streams(200) == 16


def test_a_bad_stream_count_is_refused_by_name(
    load: Callable[..., dict[str, Any]], emulator: Any, connection: str
) -> None:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError

    with pytest.raises(ThreeSixtyLearningParameterError, match="max_parallel_streams"):
        load(max_parallel_streams="many")
