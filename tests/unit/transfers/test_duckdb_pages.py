"""DuckDB's fast way: typed pages loaded as their JSON bodies, and batches sharing a transaction while more wait."""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import pytest

from airflow_provider_360learning.transfers.dialects.duckdb import DuckDBDialect
from airflow_provider_360learning.transfers.embedded import embedded_hook, read_connection
from airflow_provider_360learning.transfers.page_loader import PageLoader
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.transfers.tabular import Column, TypedPageDecoder
from tests.unit.transfers.test_sql_writer import COLUMNS, stat_row

# The path-stats columns without the JSON one (``status``): a table with a JSON column takes typed rows.
PLAIN = [c for c in COLUMNS if c.kind != "json"]


def row(i: int, version: int = 1, **changes: Any) -> dict[str, Any]:
    values = stat_row(i, **{"progress": (i + version) % 101, **changes})
    if "score" in changes and changes["score"] is None:
        values["score"] = None  # stat_row drops None: here the API sends null
    return {k: v for k, v in values.items() if k != "status"}


def body(rows: list[dict[str, Any]]) -> bytes:
    return msgspec.json.encode(rows)


class Spy(SqlTableWriter):
    """The real writer, counting batches by way, and commits."""

    ways: list[str]
    commits: int

    def __init__(self, *args: Any, way: str = "pages", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ways, self.commits, self.way = [], 0, way
        dialect = self.sql_dialect
        write_pages, write_typed, commit = dialect.write_pages, dialect.write_typed, dialect.commit

        def counted(way: str, write: Any) -> Any:
            def call(*a: Any, **k: Any) -> Any:
                self.ways.append(way)
                return write(*a, **k)

            return call

        def counted_commit(*a: Any) -> None:
            self.commits += 1
            commit(*a)

        dialect.write_pages = counted("pages", write_pages)  # type: ignore[method-assign]
        dialect.write_typed = counted("rows", write_typed)  # type: ignore[method-assign]
        dialect.commit = counted_commit  # type: ignore[method-assign]

    @property
    def accepts_typed_rows(self) -> bool:
        return self.way != "frames" and super().accepts_typed_rows

    def upsert_typed(self, columns: Any, rows: Any, load_id: str, **options: Any) -> int:
        if self.way == "rows":
            options.pop("pages", None)
        return super().upsert_typed(columns, rows, load_id, **options)

    def upsert(self, frame: Any, load_id: str, **options: Any) -> int:
        self.ways.append("frame")
        return super().upsert(frame, load_id, **options)


def load(
    writer: SqlTableWriter, pages: list[bytes], load_id: str, *, queued: bool = False, batch_rows: int = 60
) -> Any:
    """Run a PageLoader over ``pages``; ``queued``: every page waits in the queue before the loader starts."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, PLAIN).result()
        loader = PageLoader(
            writer,
            PLAIN,
            table=writer.table[-1],
            load_id=load_id,
            run_id=load_id,
            incremental_field="completedAt",
            batch_rows=batch_rows,
            max_pending_pages=len(pages) + 1,
        )
        if queued:
            for page in pages:
                loader._pages.put(page)
        loading = pool.submit(loader.run)
        if not queued:
            for page in pages:
                loader.put(page, loading)
        totals = loader.finish(loading)
        pool.submit(writer.close).result()
    return totals


def content(path: Path, table: str) -> dict[str, tuple[Any, ...]]:
    with read_connection(path) as conn:
        result = conn.execute(f'SELECT * EXCLUDE ("_load_id", "_loaded_at") FROM "{table}" ORDER BY id').fetchall()
    return {r[0]: r for r in result}


def versions(version: int) -> list[bytes]:
    """Pages of every kind of value the typed decoder takes, a key twice within a batch and across batches."""
    return [
        body([row(i, version) for i in range(0, 40)]),
        body(
            [
                row(40, version, enrolledAt="2024-03-09T23:45:57.123456+02:00"),  # an offset, microseconds
                row(41, version, timeSpent=12),  # an integer for a number
                row(42, version, userId='quote " back \\ slash \u00e9\u4e2d \U0001f600 \n tab\t'),
                row(43, version, score=None),  # an explicit null
                row(44, version, completedAt="2025-07-28T21:34:15Z", score=-(2**62)),
                row(45, version, timeSpent=1e-300),
                row(46, version, selfEnrolled=False, progress=0),
            ]
        ),
        body([row(i, version, score=7) for i in range(30, 35)] + [row(47, version)]),  # keys 30-34 again
        body([row(i, version) for i in range(48, 100)]),
        body([row(100, version), row(100, version, score=3)]),  # a key twice in one batch: typed rows
    ]


@pytest.mark.parametrize("way", ["rows", "frames"])
def test_pages_land_what_typed_rows_and_frames_land(tmp_path: Path, way: str) -> None:
    path = tmp_path / "wh.duckdb"
    fast, other = (Spy(embedded_hook(path), t, way=w) for t, w in (("fast", "pages"), ("other", way)))
    for version in (1, 2):  # the second load finds every key there: updates
        got = load(fast, versions(version), f"fast-{version}", batch_rows=45)
        want = load(other, versions(version), f"other-{version}", batch_rows=45)
        assert (got.rows, got.rejected, got.newest) == (want.rows, want.rejected, want.newest)
        assert content(path, "fast") == content(path, "other")
    assert len(content(path, "fast")) == 101
    score = [c.name for c in PLAIN].index("score")
    assert content(path, "fast")["63b21e8087680700" + f"{32:08x}"][score] == 7  # the later page won
    assert content(path, "fast")["63b21e8087680700" + f"{100:08x}"][score] == 3  # the later row won
    assert "pages" in fast.ways and "rows" in fast.ways  # a batch with a key twice takes typed rows
    assert "pages" not in other.ways


def test_a_json_column_keeps_typed_rows(tmp_path: Path) -> None:
    dialect = DuckDBDialect(embedded_hook(tmp_path / "wh.duckdb"))
    assert dialect.accepts_pages(PLAIN)
    assert not dialect.accepts_pages(COLUMNS)  # status is JSON: DuckDB would keep its text as sent
    assert not dialect.accepts_pages([*PLAIN, Column("user_id_2", "UserId", "text")])  # fields differ by case only


def test_queued_batches_share_transactions_and_a_key_seen_again_replays_them(tmp_path: Path) -> None:
    """Eight pages queued, seven batches: fewer commits than batches; the fourth batch repeats keys of the
    first, which the transaction's plain inserts refuse: its batches go in again as upserts, the last wins."""
    path = tmp_path / "wh.duckdb"
    writer = Spy(embedded_hook(path), "stats")
    pages = [body([row(i, 1) for i in range(10 * p, 10 * p + 10)]) for p in range(3)]
    pages.append(body([row(i, 2, score=55) for i in range(0, 5)]))  # keys of the first batch, later version
    pages += [body([row(i, 1) for i in range(10 * p, 10 * p + 10)]) for p in range(4, 8)]
    totals = load(writer, pages, "L1", queued=True, batch_rows=10)
    assert totals.batches == 7 and totals.rows == 75  # the 5-row page and the next one make one batch
    assert writer.ways == ["pages"] * 7
    assert not writer.sql_dialect._insert_directly  # type: ignore[attr-defined]  # the refused insert switched it
    stored = content(path, "stats")
    assert len(stored) == 70
    score = [c.name for c in PLAIN].index("score")
    assert {stored["63b21e8087680700" + f"{i:08x}"][score] for i in range(5)} == {55}
    assert stored["63b21e8087680700" + f"{5:08x}"] == _expected(5, PLAIN)
    # ensure_table's two transactions, then one for all seven batches (nothing else ran meanwhile)
    assert writer.commits == 3


def _expected(i: int, columns: list[Column]) -> tuple[Any, ...]:
    """Row ``i`` of version 1 as DuckDB returns it."""
    values = row(i, 1)
    stored = []
    for column in columns:
        value = values.get(column.source)
        if value is not None and column.kind == "timestamp":
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif value is not None and column.kind == "float":
            value = float(value)
        stored.append(value)
    return tuple(stored)


def test_a_deferred_commit_lands_at_close_and_before_any_other_transaction(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    writer = SqlTableWriter(embedded_hook(path), "stats")
    writer.ensure_table(PLAIN)
    decoder = TypedPageDecoder(PLAIN, key=("id",))
    for n, first in enumerate((0, 10)):
        page = body([row(i) for i in range(first, first + 10)])
        rows = decoder.decode(page)
        assert rows is not None
        writer.upsert_typed(decoder.columns, rows, "L1", pages=[page], defer_commit=True)
        if n == 0:
            assert writer.table_columns()  # another transaction: it commits the batch first, then runs
    writer.close()
    assert len(content(path, "stats")) == 20


class _Waiting:
    def __init__(self, waiting: bool) -> None:
        self.waiting = waiting

    def others_waiting(self) -> bool:
        return self.waiting


def test_a_transaction_stays_open_only_within_its_bounds_and_while_nobody_waits(tmp_path: Path) -> None:
    dialect = DuckDBDialect(embedded_hook(tmp_path / "wh.duckdb"))
    now = time.monotonic()
    assert dialect.may_defer_commit(_Waiting(False), now)
    assert not dialect.may_defer_commit(_Waiting(True), now)  # a reader or another load waits for the file
    assert not dialect.may_defer_commit(_Waiting(False), now - dialect.max_seconds_per_commit)
    dialect._batches_open = dialect.max_batches_per_commit
    assert not dialect.may_defer_commit(_Waiting(False), now)


def test_field_names_with_quotes_reach_from_json_as_data(tmp_path: Path) -> None:
    """The structure handed to from_json is JSON of the API field names: a quote in a name stays data."""
    dialect = DuckDBDialect(embedded_hook(tmp_path / "wh.duckdb"))
    odd = [Column("id", "_id", "text", required=True), Column("it_s", "it's odd", "integer")]
    assert dialect.accepts_pages(odd)
    path = tmp_path / "odd.duckdb"
    writer = SqlTableWriter(embedded_hook(path), "odd")
    writer.ensure_table(odd)
    decoder = TypedPageDecoder(odd, key=("id",))
    page = json.dumps([{"_id": "a", "it's odd": 3}, {"_id": "b"}]).encode()
    rows = decoder.decode(page)
    assert rows is not None
    assert writer.upsert_typed(decoder.columns, rows, "L1", pages=[page]) == 2
    writer.close()
    with read_connection(path) as conn:
        assert conn.execute("SELECT id, it_s FROM odd ORDER BY id").fetchall() == [("a", 3), ("b", None)]


def test_a_field_name_msgspec_cannot_take_sends_pages_through_frames(tmp_path: Path) -> None:
    """A quote in an API field name (a new field become a column) turns typed decoding off, not the load."""
    path = tmp_path / "wh.duckdb"
    columns = [Column("id", "_id", "text", required=True), Column("say", 'say "hi"', "text")]
    writer = Spy(embedded_hook(path), "quoted")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, columns).result()
        loader = PageLoader(writer, columns, table="quoted", load_id="L1", run_id="R1", incremental_field=None)
        loading = pool.submit(loader.run)
        loader.put(json.dumps([{"_id": "a", 'say "hi"': "x"}]).encode(), loading)
        assert loader.finish(loading).rows == 1
        pool.submit(writer.close).result()
    assert writer.ways == ["frame"]
    with read_connection(path) as conn:
        assert conn.execute("SELECT id, say FROM quoted").fetchall() == [("a", "x")]


def test_batches_held_open_are_committed_when_the_next_page_is_slow_to_come(tmp_path: Path) -> None:
    """A transaction left open for more batches never waits on the API: a reader gets in meanwhile."""
    path = tmp_path / "wh.duckdb"
    writer = Spy(embedded_hook(path), "stats")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, PLAIN).result()
        loader = PageLoader(
            writer, PLAIN, table="stats", load_id="L1", run_id="R1", incremental_field=None, batch_rows=20
        )
        for p in range(3):  # the first batch (two pages) ends with the third page waiting: it stays open
            loader._pages.put(body([row(i) for i in range(10 * p, 10 * p + 10)]))
        loading = pool.submit(loader.run)
        try:
            deadline = time.monotonic() + 10
            while writer.commits < 3:  # ensure_table's two, then the first batch's, with no page coming
                assert not loading.done(), loading.exception()
                assert time.monotonic() < deadline, f"the first batch was not committed ({writer.commits} commits)"
                time.sleep(0.005)
            with read_connection(path, lock_timeout=10) as conn:
                assert conn.execute("SELECT COUNT(*) FROM stats").fetchone() == (20,)
        except BaseException:
            loader.abort()
            raise
        loader.put(body([row(i) for i in range(30, 40)]), loading)
        assert loader.finish(loading).rows == 40
        pool.submit(writer.close).result()
    assert len(content(path, "stats")) == 40
