"""``transfers.page_loader``: batching, quarantine, abort and error hand-back, on the embedded SQLite database."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_360learning.transfers.page_loader import PageLoader
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter, sqlite_file_hook
from tests.unit.transfers.test_sql_writer import COLUMNS, stat_row


class CountingWriter(SqlTableWriter):
    """The real writer, counting its upsert transactions."""

    upserts: list[int]

    def upsert(self, frame: Any, load_id: str, **options: Any) -> int:
        self.upserts.append(len(frame))
        return super().upsert(frame, load_id, **options)


def _writer(path: Path) -> CountingWriter:
    writer = CountingWriter(sqlite_file_hook(path), "stats", key=("id",))
    writer.upserts = []
    return writer


def _run(writer: SqlTableWriter, pages: list[list[dict[str, Any]]], **kwargs: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, COLUMNS).result()
        loader = PageLoader(
            writer, COLUMNS, table="stats", load_id="L1", run_id="R1", incremental_field="completedAt", **kwargs
        )
        loading = pool.submit(loader.run)
        for page in pages:
            loader.put(page, loading)
        totals = loader.finish(loading)
        count = pool.submit(lambda: writer.hook.get_first("SELECT COUNT(*), COUNT(DISTINCT id) FROM stats")).result()
        pool.submit(writer.close).result()
    return totals, count


def test_pages_are_upserted_in_batches_of_the_requested_size(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    pages = [[stat_row(p * 100 + i) for i in range(100)] for p in range(7)]
    totals, count = _run(writer, pages, batch_rows=250)
    # A batch closes at the first page reaching 250 rows: 300, 300, then the last 100.
    assert writer.upserts == [300, 300, 100]
    assert totals.rows == 700 and totals.pages == 7 and count == (700, 700)
    assert totals.newest == dt.datetime(2025, 7, 28, 21, 34, 15, tzinfo=dt.UTC)


def test_a_malformed_row_is_quarantined_and_the_rest_of_its_batch_loads(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    pages = [[stat_row(i) for i in range(10)], [stat_row(10, progress="half"), stat_row(11)]]
    totals, count = _run(writer, pages, batch_rows=1000)
    assert (totals.rows, totals.rejected) == (11, 1) and count == (11, 11)
    reasons = sqlite_file_hook(tmp_path / "wh.db").get_records("SELECT table_name, reason FROM _360learning_rejects")
    assert len(reasons) == 1 and reasons[0][0] == "stats" and "progress" in reasons[0][1]


def test_abort_drops_the_batch_being_built_and_keeps_committed_ones(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, COLUMNS).result()
        loader = PageLoader(
            writer, COLUMNS, table="stats", load_id="L1", run_id="R1", incremental_field=None, batch_rows=150
        )
        loading = pool.submit(loader.run)
        for p in range(3):  # 100 + 100 rows close the first batch; the third page starts the next one
            loader.put([stat_row(p * 100 + i) for i in range(100)], loading)
        deadline = time.monotonic() + 30
        while loader.totals.pages < 3:  # the loader has taken every page
            assert not loading.done(), loading.exception()
            assert time.monotonic() < deadline, "the loader did not take the third page"
            time.sleep(0.001)
        loader.abort()
        totals = loading.result(timeout=10)
        pool.submit(writer.close).result()
    assert writer.upserts == [200] and totals.rows == 200
    assert sqlite_file_hook(tmp_path / "wh.db").get_first("SELECT COUNT(*) FROM stats")[0] == 200


def test_a_loader_failure_reaches_the_fetching_thread(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # No ensure_table: the first upsert fails (no such table) and the next put raises it.
        loader = PageLoader(
            writer,
            COLUMNS,
            table="stats",
            load_id="L1",
            run_id="R1",
            incremental_field=None,
            batch_rows=1,
            max_pending_pages=1,
        )
        loading = pool.submit(loader.run)
        with pytest.raises(Exception, match="no such table"):
            for p in range(50):
                loader.put([stat_row(p)], loading)
            loader.finish(loading)
        pool.submit(writer.close).result()


def test_a_body_strict_json_refuses_loads_its_good_rows_and_quarantines_the_rest(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    good = [stat_row(i) for i in range(5)]
    text = json.dumps(good)[:-1] + ', {"_id": "nan-row", "progress": NaN}, {"_id": "big-row", "timeSpent": 1e999}]'
    totals, count = _run(writer, [text.encode()], batch_rows=1000)
    assert (totals.rows, totals.rejected) == (5, 2) and count == (5, 5)
    assert totals.rejected_keys == {("nan-row",), ("big-row",)}
    reasons = dict(sqlite_file_hook(tmp_path / "wh.db").get_records("SELECT row_key, reason FROM _360learning_rejects"))
    assert "'progress'" in reasons["nan-row"] and "'timeSpent'" in reasons["big-row"]


def test_a_body_that_is_not_json_at_all_still_fails_the_load(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "wh.db")
    with pytest.raises(Exception, match=r"not JSON|Expecting|malformed"):
        _run(writer, [b"<html>maintenance</html>"], batch_rows=1000)


def test_a_far_future_value_loads_but_never_becomes_the_watermark(tmp_path: Path, caplog: Any) -> None:
    writer = _writer(tmp_path / "wh.db")
    ceiling = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [stat_row(i * 4) for i in range(3)] + [stat_row(999 * 4, completedAt="9999-12-31T00:00:00.000Z")]
    for body in (rows, json.dumps(rows).encode()):  # the frame path and the typed path (bytes)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            totals, count = _run(writer, [body], batch_rows=1000, ceiling=ceiling)
        assert totals.rows == 4 and count == (4, 4)
        assert totals.newest == dt.datetime(2025, 7, 28, 21, 34, 15, tzinfo=dt.UTC)
        assert totals.future_rows == 1
        assert stat_row(999 * 4)["_id"] in caplog.text and "9999-12-31" in caplog.text


def test_each_batch_logs_its_progress(tmp_path: Path, caplog: Any) -> None:
    writer = _writer(tmp_path / "wh.db")
    with caplog.at_level(logging.INFO):
        _run(writer, [[stat_row(p * 10 + i) for i in range(10)] for p in range(3)], batch_rows=10)
    lines = [r.getMessage() for r in caplog.records if " batch " in r.getMessage()]
    assert len(lines) == 3
    assert "stats batch 3: 10 row(s) loaded and merged on id" in lines[-1] and "30 loaded in all" in lines[-1]
    assert "rows/s" in lines[-1]
