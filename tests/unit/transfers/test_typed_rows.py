"""The typed-rows fast path: ``TypedPageDecoder`` and binary COPY into PostgreSQL land what the frame path lands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
import pytest

from airflow_provider_360learning.transfers.page_loader import PageLoader
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.transfers.tabular import Column, TypedPageDecoder, page_to_frame
from tests.unit.transfers.test_sql_writer import COLUMNS, PG, Backend, _backend, stat_row

UTC = dt.UTC


def body(rows: list[Any]) -> bytes:
    return msgspec.json.encode(rows)


def _frame_rows(frame: pd.DataFrame, columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    """The frame's rows as the Python values the typed decoder gives, in its column order (JSON decoded)."""
    out = []
    for record in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        values = []
        for column in columns:
            value = record[column.name]
            if value is not None and column.kind == "timestamp":
                value = value.to_pydatetime()
            elif value is not None and column.kind == "json":
                value = json.loads(value)
            values.append(value)
        out.append(tuple(values))
    return out


def test_typed_decoding_gives_the_values_of_the_frame_path() -> None:
    rows = [stat_row(i) for i in range(40)]
    rows[3]["enrolledAt"] = "2024-03-09T23:45:57.123+02:00"  # an offset: the same instant in UTC
    rows[5]["timeSpent"] = 12  # an integer for a number
    decoder = TypedPageDecoder(COLUMNS, key=("id",))
    decoded = decoder.decode(body(rows))
    frame, rejects, extras = page_to_frame(rows, COLUMNS)
    assert decoded is not None and rejects == [] and extras == []
    assert sorted(decoder.columns, key=COLUMNS.index) == COLUMNS
    assert [tuple(v.astimezone(UTC) if isinstance(v, dt.datetime) else v for v in row) for row in decoded] == (
        _frame_rows(frame, decoder.columns)
    )
    time_spent = next(i for i, c in enumerate(decoder.columns) if c.source == "timeSpent")
    assert decoded[5][time_spent] == 12.0 and type(decoded[5][time_spent]) is float


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"newField": 1}, id="undeclared-field"),
        pytest.param({"userId": None}, id="required-null"),
        pytest.param({"progress": "half"}, id="wrong-type"),
        pytest.param({"progress": 5.0}, id="integral-float-for-integer"),
        pytest.param({"progress": True}, id="boolean-for-integer"),
        pytest.param({"score": 2**63}, id="integer-beyond-64-bits"),
        pytest.param({"enrolledAt": "2024-03-09T21:45:57"}, id="date-time-without-zone"),
        pytest.param({"enrolledAt": "2024-03-09"}, id="date-only"),
        pytest.param({"pathId": "a\x00b"}, id="nul-character"),
        pytest.param({"status": None}, id="required-json-null"),
    ],
)
def test_typed_decoding_leaves_every_doubtful_page_to_the_frame_path(change: dict[str, Any]) -> None:
    """Stricter than the typing rule: a page with any such row returns None (the frame path decides)."""
    rows = [stat_row(1), {**stat_row(2), **change}]
    assert TypedPageDecoder(COLUMNS, key=("id",)).decode(body(rows)) is None


def test_typed_decoding_requires_the_key_and_object_rows() -> None:
    decoder = TypedPageDecoder(COLUMNS, key=("id",))
    no_key = {k: v for k, v in stat_row(2).items() if k != "_id"}
    assert decoder.decode(body([stat_row(1), no_key])) is None
    assert decoder.decode(body([stat_row(1), ["not", "an", "object"]])) is None
    assert decoder.decode(b"[]") == []


# --- PostgreSQL: the same table whichever way the pages go ---------------------------------------------


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend("postgres", monkeypatch, tmp_path)


@pytest.fixture
def destination(postgres: Backend) -> Backend:
    return postgres


def _in_schema(backend: Backend, name: str) -> str:
    return f"{backend.table.split('.')[0]}.{name}" if "." in backend.table else name


class FramesOnly(SqlTableWriter):
    """The real writer with the typed path switched off: every page goes through pandas and COPY text."""

    @property
    def accepts_typed_rows(self) -> bool:
        return False


class CountingTyped(SqlTableWriter):
    typed_batches: list[int]
    frame_batches: list[int]

    def upsert_typed(self, columns: Any, rows: Any, load_id: str, **options: Any) -> int:
        self.typed_batches.append(len(rows))
        return super().upsert_typed(columns, rows, load_id, **options)

    def upsert(self, frame: Any, load_id: str, **options: Any) -> int:
        self.frame_batches.append(len(frame))
        return super().upsert(frame, load_id, **options)


def _load(writer: SqlTableWriter, pages: list[bytes], load_id: str, batch_rows: int = 60) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(writer.ensure_table, COLUMNS).result()
        loader = PageLoader(
            writer,
            COLUMNS,
            table=".".join(writer.table),
            load_id=load_id,
            run_id=load_id,
            incremental_field="completedAt",
            batch_rows=batch_rows,
        )
        loading = pool.submit(loader.run)
        for page in pages:
            loader.put(page, loading)
        totals = loader.finish(loading)
        pool.submit(writer.close).result()
    return totals


def _content(backend: Backend, table: str) -> dict[str, dict[str, Any]]:
    rows = backend.rows(table)
    return {key: {k: v for k, v in row.items() if k not in ("_load_id", "_loaded_at")} for key, row in rows.items()}


def _pages(version: int) -> list[bytes]:
    """Seven pages: plain ones, a key repeated across pages, a malformed row, a new field, an integral float."""

    def row(i: int, **changes: Any) -> dict[str, Any]:
        return stat_row(i, **{"progress": (i + version) % 101, **changes})

    return [
        body([row(i) for i in range(0, 50)]),
        body([row(i) for i in range(50, 100)]),
        body([row(i, score=99) for i in range(90, 110)]),  # keys 90-99 again, later version
        body([row(110), row(111, progress="half"), row(112)]),  # one row to quarantine
        body([row(i) for i in range(113, 130)] + [row(130, newField=f"v{version}")]),  # a new API field
        body([row(i) for i in range(131, 180)]),  # typed again, now with the new column
        body([row(180, progress=7.0), row(181)]),  # an integral float: the frame path accepts it
    ]


def test_typed_and_frame_paths_land_the_same_table_on_first_load_and_reload(destination: Backend) -> None:
    typed_table, frame_table = _in_schema(destination, "typed_stats"), _in_schema(destination, "frame_stats")
    typed = CountingTyped(destination.hook, typed_table)
    typed.typed_batches, typed.frame_batches = [], []
    frames = FramesOnly(destination.hook, frame_table)
    destination.writers += [typed, frames]

    for version in (1, 2):  # the second load finds every key already there: merge instead of direct COPY
        pages = _pages(version)
        got = _load(typed, pages, f"typed-{version}")
        want = _load(frames, pages, f"frames-{version}")
        assert (got.rows, got.rejected, got.newest) == (want.rows, want.rejected, want.newest)
        assert [c.name for c in got.columns] == [c.name for c in want.columns]
        assert _content(destination, typed_table) == _content(destination, frame_table)

    content = _content(destination, typed_table)
    assert len(content) == 181  # 182 rows, one quarantined; 10 keys seen twice
    assert content["63b21e8087680700" + f"{95:08x}"]["score"] == 99  # the later page won
    assert content["63b21e8087680700" + f"{130:08x}"]["new_field"] == "v2"
    assert sum(typed.typed_batches) > 0 and sum(typed.frame_batches) > 0  # both ways were taken
    rejects = destination.qualified(_in_schema(destination, "_360learning_rejects"))
    rejected = destination.query(
        f"SELECT table_name, COUNT(*) FROM {rejects} WHERE reason LIKE '%progress%' GROUP BY table_name ORDER BY table_name"
    )
    assert rejected == [(frame_table, 2), (typed_table, 2)]  # one per load, both ways


def test_a_table_of_other_column_types_keeps_the_text_copy(postgres: Backend) -> None:
    schema = postgres.table.split(".")[0]
    import psycopg

    with psycopg.connect(**PG, autocommit=True) as admin:
        admin.execute(f'CREATE TABLE "{schema}"."numeric_stats" (id text PRIMARY KEY, progress numeric)')
    writer = CountingTyped(postgres.hook, f"{schema}.numeric_stats")
    writer.typed_batches, writer.frame_batches = [], []
    postgres.writers.append(writer)
    totals = _load(writer, [body([stat_row(i) for i in range(30)])], "L1")
    assert not writer.accepts_typed_rows and writer.typed_batches == [] and writer.frame_batches == [30]
    assert totals.rows == 30
    assert postgres.query(f'SELECT COUNT(*), SUM(progress) FROM "{schema}"."numeric_stats"') == [
        (30, sum(i % 101 for i in range(30)))
    ]


def test_sqlite_takes_frames(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SQLite keeps the frame path (its timestamps are text; typed rows measured no faster there)."""
    backend = next(_backend("sqlite", monkeypatch, tmp_path))
    writer = CountingTyped(backend.hook, "stats")
    writer.typed_batches, writer.frame_batches = [], []
    try:
        totals = _load(writer, [body([stat_row(i) for i in range(30)])], "L1")
    finally:
        writer.close()
    assert not writer.accepts_typed_rows and writer.typed_batches == [] and writer.frame_batches == [30]
    assert totals.rows == 30
