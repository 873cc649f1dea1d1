"""The embedded default warehouse: one DuckDB file, written by parallel tasks (separate processes) and read
during their loads, through ``transfers.embedded``'s lock file and one open/write/close session per batch."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from airflow_provider_360learning.transfers.embedded import (
    EMBEDDED_FILE_NAME,
    EMBEDDED_PATH_ENV,
    KEEP_IDLE,
    QUEUE_SUFFIX,
    READERS_SUFFIX,
    EmbeddedWarehouseLockTimeout,
    embedded_hook,
    embedded_warehouse_path,
    lock_path,
    others_waiting,
    read_connection,
)
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.transfers.tabular import Column

ROOT = Path(__file__).resolve().parents[3]
COLUMNS = [Column("id", "id", "integer"), Column("who", "who", "text"), Column("score", "score", "float")]

# One load in its own process: waits until every loader is ready (so they really overlap), then upserts
# ``batches`` batches of ``rows`` rows (keys offset by ``first``) through SqlTableWriter, one transaction
# each, and prints each batch's start and end times (wall clock) as JSON.
LOADER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import pandas as pd
    from airflow_provider_360learning.transfers.embedded import embedded_hook
    from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
    from airflow_provider_360learning.transfers.tabular import Column

    path, name, first, batches, rows, ready_dir, loaders = sys.argv[1:]
    first, batches, rows, loaders = int(first), int(batches), int(rows), int(loaders)
    columns = [Column("id", "id", "integer"), Column("who", "who", "text"), Column("score", "score", "float")]
    writer = SqlTableWriter(embedded_hook(path), "stats", key=("id",))
    Path(ready_dir, name).touch()
    while len(list(Path(ready_dir).iterdir())) < loaders:
        time.sleep(0.01)
    spans = []
    with writer:
        writer.ensure_table(columns)
        for b in range(batches):
            keys = range(first + b * rows, first + (b + 1) * rows)
            frame = pd.DataFrame({"id": list(keys), "who": [name] * rows, "score": [k / 7 for k in keys]})
            started = time.time()
            writer.upsert(frame, load_id=name)
            spans.append((started, time.time()))
    print(json.dumps(spans))
    """
)

# Holds the file open read-write with plain duckdb (no lock file), as a notebook would, for ``seconds``.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import duckdb

    path, ready, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    conn = duckdb.connect(path)
    conn.execute("SELECT 1").fetchall()
    Path(ready).touch()
    time.sleep(seconds)
    conn.close()
    """
)

# One load task in its own process: the operator with its warehouse connection undefined (the embedded
# default), started once every task is ready; prints the rows it loaded.
LOAD_TASK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from types import SimpleNamespace
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator

    path, table, ready_dir, tasks = sys.argv[1:]
    operator = ThreeSixtyLearningToSqlOperator(
        task_id=f"load_{table}",
        action="list_courses_statistics",
        table=table,
        destination_conn_id="undefined_warehouse",
        embedded_default_path=path,
        mode="full",
        hook_params={"requests_per_second": 0},
        rows_per_transaction=250,
    )
    Path(ready_dir, table).touch()
    while len(list(Path(ready_dir).iterdir())) < int(tasks):
        time.sleep(0.01)
    print(operator.execute({"ti": SimpleNamespace(try_number=1), "run_id": "manual__parallel"})["rows"])
    """
)


def _frame(first: int, rows: int, who: str = "test") -> pd.DataFrame:
    keys = range(first, first + rows)
    return pd.DataFrame({"id": list(keys), "who": [who] * rows, "score": [k / 7 for k in keys]})


def _python(script: str, *args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _hold(path: Path, tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    """Start a process holding ``path`` open read-write, and return once it has it open."""
    ready = tmp_path / "holder.ready"
    holder = _python(HOLDER, path, ready, seconds)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert holder.poll() is None, holder.communicate()
        assert time.monotonic() < deadline, "the holder process never opened the file"
        time.sleep(0.02)
    return holder


def _count(path: Path) -> int:
    with read_connection(path) as conn:
        row = conn.execute("SELECT COUNT(*) FROM stats").fetchone()
        assert row is not None
        return int(row[0])


def test_the_embedded_default_is_a_duckdb_file_under_airflow_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    monkeypatch.setenv(EMBEDDED_PATH_ENV, str(tmp_path / "volume" / "wh.duckdb"))
    assert embedded_warehouse_path() == str(tmp_path / "volume" / "wh.duckdb")
    monkeypatch.delenv(EMBEDDED_PATH_ENV)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    assert embedded_warehouse_path() == str(tmp_path / "home" / EMBEDDED_FILE_NAME)
    hook = destination_hook("no_such_warehouse_connection", embedded_warehouse_path())
    assert isinstance(hook, DuckDBHook)
    assert hook.dialect_name == "duckdb"
    hook.run("CREATE TABLE t (a INTEGER)")
    hook.run("INSERT INTO t VALUES (1), (2)")
    assert hook.get_first("SELECT SUM(a) FROM t") == (3,)
    # The rows are in the file itself: plain duckdb sees them once the hook has closed it.
    with duckdb.connect(embedded_warehouse_path(), read_only=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (2,)


def test_a_defined_sqlite_connection_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    database = tmp_path / "warehouse.sqlite"
    monkeypatch.setenv("AIRFLOW_CONN_MY_SQLITE", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    hook = destination_hook("my_sqlite", embedded_warehouse_path())
    with SqlTableWriter(hook, "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        assert writer.dialect == "sqlite"
        assert writer.upsert(_frame(0, 10), load_id="l1") == 10
    assert hook.get_first("SELECT COUNT(*) FROM stats") == (10,)


def test_a_writer_keeps_the_file_between_batches_only_while_nobody_waits(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        writer.upsert(_frame(0, 100), load_id="l1")
        assert writer.connection.is_open  # kept for the next batch: nobody waits
        # A reader asks for the file: the writer's watcher closes it at once, the reader gets it.
        started = time.monotonic()
        assert _count(path) == 100
        assert time.monotonic() - started < KEEP_IDLE
        assert not writer.connection.is_open
        writer.upsert(_frame(50, 100), load_id="l1")  # 50 updated, 50 new
        assert writer.connection.is_open
        # Idle past KEEP_IDLE, the file is closed: even a process that ignores the lock file may open it.
        time.sleep(KEEP_IDLE + 0.5)
        assert not writer.connection.is_open
        other = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('SELECT 1')", path],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.returncode == 0, other.stderr
        writer.upsert(_frame(150, 10), load_id="l1")
    assert _count(path) == 160


def test_parallel_loads_of_one_file_both_succeed_and_a_reader_queries_during_them(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
    ready = tmp_path / "ready"
    ready.mkdir()
    batches, rows = 20, 400
    loaders = [_python(LOADER, path, name, first, batches, rows, ready, 2) for name, first in (("a", 0), ("b", 10**6))]
    reads: list[tuple[float, int, float]] = []  # (when, count, seconds the read took)
    while any(p.poll() is None for p in loaders):
        if len(list(ready.iterdir())) == 2:
            started = time.monotonic()
            count = _count(path)
            reads.append((time.time(), count, time.monotonic() - started))
        time.sleep(0.02)
    outputs = [p.communicate() for p in loaders]
    for loader, (_out, err) in zip(loaders, outputs, strict=True):
        assert loader.returncode == 0, err
    spans = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    # Both loads wrote all their rows.
    with read_connection(path) as conn:
        assert conn.execute("SELECT who, COUNT(*) FROM stats GROUP BY who ORDER BY who").fetchall() == [
            ("a", batches * rows),
            ("b", batches * rows),
        ]
    # They ran at the same time (their batches interleaved), not one after the other.
    (a_start, a_end), (b_start, b_end) = ((s[0][0], s[-1][1]) for s in spans)
    assert a_start < b_end and b_start < a_end
    # Readers succeeded during the loads and saw whole batches only.
    during = [(when, count) for when, count, _ in reads if min(a_start, b_start) < when < max(a_end, b_end)]
    assert during, f"no read happened during the loads ({len(reads)} reads)"
    assert all(count % rows == 0 for _, count in during)
    counts = [count for _, count in during]
    assert counts == sorted(counts)
    assert any(0 < count < 2 * batches * rows for count in counts)


def test_a_load_waits_for_an_outside_process_holding_the_file_then_succeeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "wh.duckdb"
    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        writer.close()  # lets the file go now (the writer would keep it up to KEEP_IDLE for its next batch)
        holder = _hold(path, tmp_path, seconds=3)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="airflow_provider_360learning.transfers.embedded"):
            assert writer.upsert(_frame(0, 500), load_id="l1") == 500
        waited = time.monotonic() - started
        assert holder.wait(timeout=60) == 0
    assert waited > 0.5  # it did wait for the holder (which held the file for 3 s from before the upsert)
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"(PID {holder.pid})" in m and str(path) in m and "waiting up to" in m for m in messages), messages
    assert _count(path) == 500


def test_a_load_fails_with_a_clear_error_past_its_lock_timeout(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
    holder = _hold(path, tmp_path, seconds=30)
    try:
        with (
            SqlTableWriter(embedded_hook(path, lock_timeout=1), "stats", key=("id",)) as writer,
            pytest.raises(EmbeddedWarehouseLockTimeout) as raised,
        ):
            writer.upsert(_frame(0, 10), load_id="l1")
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert str(path) in message
    assert f"(PID {holder.pid})" in message
    assert "1 s (lock_timeout)" in message
    assert _count(path) == 0  # nothing half-written, and the file is usable again


def test_a_session_waits_for_another_sessions_batch_and_gives_up_at_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    hook = embedded_hook(path, lock_timeout=0.5)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hook.session() as conn:  # type: ignore[attr-defined]
            conn.execute("CREATE TABLE t (a INTEGER)")
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(30)
        with (
            pytest.raises(EmbeddedWarehouseLockTimeout, match=r"lock .*wh\.duckdb\.lock.* 0\.5 s \(lock_timeout\)"),
            read_connection(path, lock_timeout=0.5),
        ):
            pass
    finally:
        release.set()
        thread.join()
    assert lock_path(path) == tmp_path / "wh.duckdb.lock"
    with read_connection(path) as conn:  # the holder's batch done, a reader gets the file at once
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)


def test_a_failed_batch_rolls_back_and_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        writer.upsert(_frame(0, 10), load_id="l1")
        with pytest.raises(duckdb.Error), writer.transaction() as conn:
            conn.execute("DELETE FROM stats")
            conn.execute("SELECT * FROM no_such_table")
        assert not writer.connection.is_open
    assert _count(path) == 10


def test_read_connection_names_a_missing_file(tmp_path: Path) -> None:
    with (
        pytest.raises(FileNotFoundError, match=r"nothing\.duckdb does not exist yet"),
        read_connection(tmp_path / "nothing.duckdb"),
    ):
        pass


@pytest.mark.parametrize("typed", [False, True], ids=["frame", "typed-arrow"])
def test_a_batch_with_keys_already_in_the_table_updates_them(tmp_path: Path, typed: bool) -> None:
    """The first batches go in by plain INSERT (new keys); the first batch holding a known key is upserted whole."""
    path = tmp_path / "wh.duckdb"

    def write(writer: SqlTableWriter, first: int, rows: int, who: str) -> int:
        frame = _frame(first, rows, who)
        if not typed:
            return writer.upsert(frame, load_id=who)
        assert writer.accepts_typed_rows
        return writer.upsert_typed(COLUMNS, list(frame.itertuples(index=False, name=None)), load_id=who)

    with SqlTableWriter(embedded_hook(path), "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        assert write(writer, 0, 100, "first") == 100
        assert write(writer, 100, 50, "first") == 50
        assert write(writer, 120, 100, "second") == 100  # 30 known keys, 70 new
        assert write(writer, 0, 10, "third") == 10
    with read_connection(path) as conn:
        assert conn.execute(
            "SELECT _load_id, COUNT(*), MIN(id), MAX(id) FROM stats GROUP BY 1 ORDER BY 3"
        ).fetchall() == [
            ("third", 10, 0, 9),
            ("first", 110, 10, 119),
            ("second", 100, 120, 219),
        ]
        assert conn.execute("SELECT who, score FROM stats WHERE id = 130").fetchone() == ("second", 130 / 7)


def test_a_queued_reader_goes_before_a_queued_writer(tmp_path: Path) -> None:
    """A report query waits for the batch being written, not also for the other loads' batches queued before it."""
    path = tmp_path / "wh.duckdb"
    with embedded_hook(path).session() as conn:  # type: ignore[attr-defined]
        conn.execute("CREATE TABLE t (a INTEGER)")
    order: list[str] = []
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with embedded_hook(path).session():  # type: ignore[attr-defined]
            held.set()
            release.wait(30)

    def write() -> None:
        with embedded_hook(path).session() as conn:  # type: ignore[attr-defined]
            order.append("writer")
            conn.execute("INSERT INTO t VALUES (1)")

    def read() -> None:
        with read_connection(path) as conn:
            order.append("reader")
            conn.execute("SELECT COUNT(*) FROM t").fetchall()

    def started(target: Any, queued: str) -> threading.Thread:
        thread = threading.Thread(target=target)
        thread.start()
        deadline = time.monotonic() + 30
        while not others_waiting(path, queued):
            assert time.monotonic() < deadline, f"{target.__name__} never queued"
            time.sleep(0.005)
        return thread

    threads = [threading.Thread(target=hold)]
    threads[0].start()
    assert held.wait(30)
    threads.append(started(write, QUEUE_SUFFIX))  # the writer queues first
    threads.append(started(read, READERS_SUFFIX))  # then the reader
    release.set()
    for thread in threads:
        thread.join(30)
    assert order == ["reader", "writer"]


def test_a_duckdb_connection_on_a_file_is_written_under_the_same_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only the embedded default: any DuckDB file destination opens per transaction, with its lock_timeout."""
    from airflow.sdk import BaseHook

    path = tmp_path / "analytics.duckdb"
    monkeypatch.setenv(
        "AIRFLOW_CONN_MY_DUCKDB", json.dumps({"conn_type": "duckdb", "host": str(path), "extra": {"lock_timeout": 1}})
    )
    hook = BaseHook.get_connection("my_duckdb").get_hook()
    with SqlTableWriter(hook, "stats", key=("id",)) as writer:
        writer.ensure_table(COLUMNS)
        assert writer.upsert(_frame(0, 10), load_id="l1") == 10
        assert lock_path(path).exists()
    holder = _hold(path, tmp_path, seconds=30)
    try:
        with (
            SqlTableWriter(hook, "stats", key=("id",)) as writer,
            pytest.raises(EmbeddedWarehouseLockTimeout, match=r"1 s \(lock_timeout\)"),
        ):
            writer.upsert(_frame(10, 10), load_id="l2")
    finally:
        holder.kill()
        holder.wait()
    assert _count(path) == 10


def test_two_load_tasks_of_a_dag_run_write_the_embedded_file_at_once(
    tmp_path: Path, emulator: Any, connection: str
) -> None:
    """The operator in two processes (two load tasks), both into the embedded default file: both succeed."""
    path, ready = tmp_path / "wh.duckdb", tmp_path / "ready"
    ready.mkdir()
    tasks = [_python(LOAD_TASK, path, table, ready, 2) for table in ("stats_a", "stats_b")]
    outputs = [task.communicate(timeout=600) for task in tasks]
    for task, (out, err) in zip(tasks, outputs, strict=True):
        assert task.returncode == 0, err[-3000:]
        assert out.strip().splitlines()[-1] == "1250"
    with read_connection(path) as conn:
        for table in ("stats_a", "stats_b"):
            assert conn.execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {table}").fetchone() == (1250, 1250)
        loads = conn.execute("SELECT table_name FROM _360learning_loads ORDER BY 1").fetchall()
    assert loads == [("stats_a",), ("stats_b",)]
