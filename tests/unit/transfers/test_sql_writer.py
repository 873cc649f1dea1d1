"""``transfers.sql_writer`` against real databases: this machine's PostgreSQL (a schema per test), the embedded
SQLite default (a temporary file) and DuckDB (when ``airflow-provider-duckdb`` is installed), each reached the
way the operator reaches it: an ``AIRFLOW_CONN_<ID>`` connection and ``BaseHook.get_connection(id).get_hook()``."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.exceptions import ThreeSixtyLearningMassDeleteError
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter, sqlite_file_hook
from airflow_provider_360learning.transfers.tabular import Column, columns_for, page_to_frame

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
UTC = dt.UTC
COLUMNS = columns_for(ACTIONS["get_path_stats"])
KINDS = {c.name: c.kind for c in COLUMNS}


def stat_row(i: int, **changes: Any) -> dict[str, Any]:
    """A path-stats row shaped like the API's (``GET /api/v2/paths/stats``)."""
    row: dict[str, Any] = {
        "_id": f"63b21e8087680700{i:08x}",
        "userId": f"63b21e8087680100{i % 97:08x}",
        "pathId": f"63b21e8087680500{i % 5:08x}",
        "sessionId": f"63b21e8087680600{i % 12:08x}",
        "selfEnrolled": i % 3 == 0,
        "enrolledAt": f"2024-{1 + i % 12:02d}-09T21:45:57.123Z",
        "progress": i % 101,
        "status": {"type": "onTime"} if i % 2 else {"type": "toRetake", "reason": "mandatoryReplay"},
        "timeSpent": 1000.5 * i,
    }
    if i % 4 == 0:
        row.update(completedAt="2025-07-28T21:34:15.000Z", score=i % 100)
    row.update(changes)
    return {k: v for k, v in row.items() if v is not None}


def page(rows: list[dict[str, Any]], columns: list[Column] = COLUMNS) -> pd.DataFrame:
    frame, rejects, extras = page_to_frame(rows, columns)
    assert rejects == [] and extras == []
    return frame


# --- backends ------------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    conn_id: str
    table: str
    dialect: str | None = None  # forced dialect
    writers: list[SqlTableWriter] = field(default_factory=list)

    @property
    def hook(self) -> Any:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(self.conn_id).get_hook()

    def writer(self, table: str | None = None, **kwargs: Any) -> SqlTableWriter:
        if self.dialect:
            kwargs.setdefault("dialect", self.dialect)
        writer = SqlTableWriter(self.hook, table or self.table, **kwargs)
        self.writers.append(writer)
        return writer

    def qualified(self, table: str) -> str:
        return ".".join(f'"{p}"' for p in table.split("."))

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read through a connection of its own (what another reader of the database sees)."""
        conn = self.hook.get_conn()
        try:
            cursor = conn if self.name == "duckdb" else conn.cursor()
            cursor.execute(sql, parameters) if parameters else cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            conn.close()

    def rows(self, table: str | None = None, columns: str = "*") -> dict[str, dict[str, Any]]:
        table = table or self.table
        conn = self.hook.get_conn()
        try:
            cursor = conn if self.name == "duckdb" else conn.cursor()
            cursor.execute(f"SELECT {columns} FROM {self.qualified(table)}")
            names = [d[0] for d in cursor.description]
            records = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        finally:
            conn.close()
        return (
            {r["id"]: r for r in records}
            if records and "id" in records[0]
            else {str(i): r for i, r in enumerate(records)}
        )

    @property
    def placeholder(self) -> str:
        return "%s" if self.name.startswith("postgres") else "?"


def _postgres_schema(monkeypatch: pytest.MonkeyPatch, conn_id: str) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    schema = f"w_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps(
            {
                "conn_type": "postgres",
                "host": PG["host"],
                "port": PG["port"],
                "login": PG["user"],
                "schema": PG["dbname"],
            }
        ),
    )
    yield schema
    with psycopg.connect(**PG, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _file_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, conn_id: str, conn_type: str) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": conn_type, "host": str(tmp_path / f"warehouse.{conn_type}")}),
    )


BACKENDS = ["postgres", "sqlite", "duckdb"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, monkeypatch, tmp_path)


def _backend(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    conn_id = f"warehouse_{uuid.uuid4().hex[:8]}"
    dialect = None
    if name.startswith("postgres"):
        schemas = _postgres_schema(monkeypatch, conn_id)
        schema = next(schemas)
        backend = Backend(name, conn_id, f"{schema}.path_stats", dialect)
    else:
        conn_type = name
        if conn_type == "duckdb":
            pytest.importorskip("airflow.providers.duckdb", reason="apache-airflow-providers-duckdb is not installed")
        _file_backend(monkeypatch, tmp_path, conn_id, conn_type)
        schemas = None
        backend = Backend(name, conn_id, "path_stats", dialect)
    yield backend
    for writer in backend.writers:
        writer.close()
    if schemas is not None:
        next(schemas, None)


def _norm(kind: str, value: Any, backend: str = "") -> Any:
    """A value read back from a backend, in the frame's terms (PostgreSQL hands jsonb back decoded)."""
    if value is None or (not isinstance(value, (dict, list)) and pd.isna(value)):
        return None
    if kind == "timestamp":
        return (
            pd.Timestamp(value).tz_convert("UTC")
            if pd.Timestamp(value).tzinfo
            else pd.Timestamp(value).tz_localize("UTC")
        )
    if kind == "json":
        return value if backend.startswith("postgres") else json.loads(value)
    if kind == "boolean":
        return bool(value)
    return value


def _frame_value(kind: str, value: Any) -> Any:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    return json.loads(value) if kind == "json" else value


def assert_table_matches(backend: Backend, frame: pd.DataFrame, kinds: Mapping[str, str] = KINDS) -> None:
    stored = backend.rows()
    assert set(stored) == set(frame["id"])
    for record in frame.to_dict("records"):
        row = stored[record["id"]]
        for name, kind in kinds.items():
            assert _norm(kind, row[name], backend.name) == _frame_value(kind, record[name]), (record["id"], name)


# --- tables ------------------------------------------------------------------------------------------


EXPECTED_TYPES = {
    "postgres": {
        "text": "text",
        "integer": "bigint",
        "float": "double precision",
        "boolean": "boolean",
        "timestamp": "timestamp with time zone",
        "json": "jsonb",
    },
    "sqlite": {
        "text": "TEXT",
        "integer": "INTEGER",
        "float": "REAL",
        "boolean": "INTEGER",
        "timestamp": "TEXT",
        "json": "TEXT",
    },
    "duckdb": {
        "text": "VARCHAR",
        "integer": "BIGINT",
        "float": "DOUBLE",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "json": "JSON",
    },
}


def test_ensure_table_creates_typed_columns_bookkeeping_and_key(backend: Backend) -> None:
    writer = backend.writer()
    assert writer.ensure_table(COLUMNS) == []
    types = writer.table_columns()
    expected = EXPECTED_TYPES[backend.name]
    assert types == {
        **{c.name: expected[c.kind] for c in COLUMNS},
        "_load_id": expected["text"],
        "_loaded_at": expected["timestamp"],
    }
    writer.upsert(page([stat_row(1)]), "load-1")
    with pytest.raises(Exception), writer.transaction() as cursor:  # noqa: B017 - each driver has its own error
        cursor.execute(
            f'INSERT INTO {writer.table_sql} ("id", "progress") VALUES ({writer.placeholder}, 1)', (stat_row(1)["_id"],)
        )


def test_ensure_table_is_idempotent_and_adds_new_fields_as_columns(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(1)]), "load-1")
    assert writer.ensure_table(COLUMNS) == []

    rows = [stat_row(2, badgeName="gold", attempts=3, tags=["a", "b"])]
    frame, rejects, extras = page_to_frame(rows, COLUMNS)
    assert not rejects
    assert writer.ensure_table([*COLUMNS, *extras]) == ["attempts", "badge_name", "tags"]
    assert writer.ensure_table([*COLUMNS, *extras]) == []
    writer.upsert(frame, "load-2")

    stored = backend.rows()
    old, new = stored[stat_row(1)["_id"]], stored[stat_row(2)["_id"]]
    assert (old["badge_name"], old["attempts"], old["tags"]) == (None, None, None)
    # Undeclared fields are text columns (tabular's rule: no type to drift), JSON text for structures.
    assert (new["badge_name"], new["attempts"], json.loads(new["tags"])) == ("gold", "3", ["a", "b"])
    assert writer.table_columns()["attempts"] == EXPECTED_TYPES[backend.name]["text"]


def test_key_columns_must_be_declared(backend: Backend) -> None:
    with pytest.raises(ValueError, match="key column"):
        backend.writer(key=("user_id", "missing")).ensure_table(COLUMNS)
    with pytest.raises(ValueError, match="bookkeeping"):
        backend.writer().ensure_table([*COLUMNS, Column("_load_id", "x", "text")])


def test_a_composite_key(backend: Backend) -> None:
    """Rows without ``_id`` (e.g. memberships) upsert on the natural key the caller names."""
    columns = [
        Column("group_id", "groupId", "text", True),
        Column("user_id", "userId", "text", True),
        Column("role", "role", "text", True),
    ]
    table = f"{backend.table}_roles"
    writer = backend.writer(table, key=("group_id", "user_id"))
    writer.ensure_table(columns)
    rows = [{"groupId": "g1", "userId": "u1", "role": "learner"}, {"groupId": "g1", "userId": "u2", "role": "admin"}]
    writer.upsert(page(rows, columns), "a")
    writer.upsert(page([{"groupId": "g1", "userId": "u1", "role": "coach"}], columns), "b")
    stored = sorted(backend.query(f"SELECT group_id, user_id, role FROM {backend.qualified(table)}"))
    assert stored == [("g1", "u1", "coach"), ("g1", "u2", "admin")]


# --- upserts -----------------------------------------------------------------------------------------


def test_upsert_twice_writes_the_same_rows_with_new_values(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    first = page([stat_row(i) for i in range(50)])
    assert writer.upsert(first, "run-1#1") == 50
    assert_table_matches(backend, first)

    # A retry, then a later run where half the learners progressed.
    assert writer.upsert(first, "run-1#2") == 50
    second = page(
        [stat_row(i, progress=100, completedAt="2026-01-02T03:04:05.678Z") if i % 2 else stat_row(i) for i in range(50)]
    )
    assert writer.upsert(second, "run-2#1") == 50
    assert backend.query(f"SELECT COUNT(*) FROM {backend.qualified(backend.table)}") == [(50,)]
    assert_table_matches(backend, second)
    assert {r["_load_id"] for r in backend.rows(columns='"id", "_load_id"').values()} == {"run-2#1"}


def test_values_of_every_kind_round_trip(backend: Backend) -> None:
    """Nulls, quotes, tabs, newlines, backslashes, unicode, nested JSON, far dates, 64-bit ints, exact floats."""
    columns = [
        Column("id", "_id", "text", True),
        Column("note", "note", "text", False),
        Column("at", "at", "timestamp", False),
        Column("big", "big", "integer", False),
        Column("ratio", "ratio", "float", False),
        Column("flag", "flag", "boolean", False),
        Column("doc", "doc", "json", False),
    ]
    kinds = {c.name: c.kind for c in columns}
    rows: list[dict[str, Any]] = [
        {
            "_id": "a",
            "note": "tab\there\nnew line\r\\ back 'single' \"double\" é 漢字 🎓",
            "at": "9999-12-31T23:59:59.999Z",
            "big": 2**63 - 1,
            "ratio": 0.1,
            "flag": True,
            "doc": {"b": [1, "x\\y", {"c": None}], "a": 'line\nbreak\t"q"'},
        },
        {
            "_id": "b",
            "note": "",
            "at": "1970-01-01T00:00:00Z",
            "big": -(2**63),
            "ratio": -1.5e-300,
            "flag": False,
            "doc": [],
        },
        {"_id": "c"},
        {"_id": "d'quote", "note": "\\N", "doc": "just a string"},
    ]
    frame = page(rows, columns)
    writer = backend.writer(f"{backend.table}_kinds")
    writer.ensure_table(columns)
    writer.upsert(frame, "load")
    stored = backend.rows(f"{backend.table}_kinds")
    for record in frame.to_dict("records"):
        for name, kind in kinds.items():
            assert _norm(kind, stored[record["id"]][name], backend.name) == _frame_value(kind, record[name]), (
                record["id"],
                name,
            )


def test_duplicate_keys_in_one_page_keep_the_last(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    assert writer.upsert(page([stat_row(1, progress=10), stat_row(2), stat_row(1, progress=20)]), "load") == 2
    assert backend.rows()[stat_row(1)["_id"]]["progress"] == 20


def test_a_null_key_is_refused(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    frame = page([stat_row(1)])
    frame.loc[0, "id"] = None
    with pytest.raises(ValueError, match="null key"):
        writer.upsert(frame, "load")


def test_an_empty_page_writes_nothing(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    assert writer.upsert(page([]), "load") == 0


def _install_failure(backend: Backend, writer: SqlTableWriter, bad_id: str) -> None:
    """Make the database refuse one row, so that a page fails after some of its rows were written."""
    with writer.transaction() as cursor:
        if backend.name == "postgres":
            cursor.execute(f"ALTER TABLE {writer.table_sql} ADD CONSTRAINT no_bad CHECK (id <> '{bad_id}')")
        else:
            cursor.execute(
                f"CREATE TRIGGER no_bad BEFORE INSERT ON {writer.table_sql} WHEN NEW.id = '{bad_id}' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


@pytest.mark.parametrize("backend", ["postgres", "sqlite"], indirect=True)
def test_a_failing_page_writes_nothing_and_the_writer_recovers(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(i) for i in range(5)]), "load-1")
    _install_failure(backend, writer, stat_row(1500)["_id"])
    updated = page([stat_row(i, progress=99) for i in [*range(5), *range(1000, 2000)]])
    with pytest.raises(Exception, match=r"no_bad|refused"):
        writer.upsert(updated, "load-2")
    stored = backend.rows()
    assert len(stored) == 5 and {r["_load_id"] for r in stored.values()} == {"load-1"}
    assert writer.upsert(page([stat_row(7)]), "load-3") == 1  # a new connection after the rollback


def test_a_transaction_is_all_or_nothing(backend: Backend) -> None:
    """What every write relies on: statements in ``transaction()`` commit together or not at all."""
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(1), stat_row(2)]), "load")
    with pytest.raises(RuntimeError, match="midway"), writer.transaction() as cursor:
        cursor.execute(f"DELETE FROM {writer.table_sql}")
        cursor.execute(f'UPDATE {writer.table_sql} SET "progress" = 0')
        raise RuntimeError("midway")
    assert len(backend.rows()) == 2
    with writer.transaction() as cursor:
        cursor.execute(f'DELETE FROM {writer.table_sql} WHERE "id" = {writer.placeholder}', (stat_row(1)["_id"],))
    assert list(backend.rows()) == [stat_row(2)["_id"]]


def test_full_refresh_sweeps_what_the_load_did_not_touch(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(i) for i in range(10)]), "full-1")
    # The next full load sees 6 of the 10 objects, over two pages.
    writer.upsert(page([stat_row(i) for i in range(3)]), "full-2")
    writer.upsert(page([stat_row(i) for i in range(3, 6)]), "full-2")
    result = writer.sweep("full-2", max_share=0.5)
    assert (result.deleted, result.total_before, result.share) == (4, 10, 0.4)
    assert result.sample_keys == [(stat_row(i)["_id"],) for i in range(6, 10)]
    assert set(backend.rows()) == {stat_row(i)["_id"] for i in range(6)}
    assert writer.sweep("full-2").deleted == 0


def test_rows_per_value_counts_the_table_by_parent(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(i) for i in range(23)]), "full-1")
    counts = writer.rows_per_value("path_id")  # what a partitioned refresh sizes its partitions from
    assert counts == {f"63b21e8087680500{p:08x}": len(range(p, 23, 5)) for p in range(5)}
    assert writer.rows_per_value("no_such_column") == {}


def test_a_sweep_over_the_share_limit_deletes_nothing(backend: Backend) -> None:
    """A truncated answer (2 of 10 rows seen) must not wipe the other 8: refused, every row kept."""
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(i) for i in range(10)]), "full-1")
    writer.upsert(page([stat_row(i) for i in range(2)]), "full-2")
    with pytest.raises(ThreeSixtyLearningMassDeleteError) as refused:
        writer.sweep("full-2")
    message = str(refused.value)
    assert "80.0%" in message and "10.0%" in message and "allow_mass_delete" in message
    assert "path_stats" in message
    assert len(backend.rows()) == 10
    # Just at the limit is allowed; over it with allow_mass_delete too.
    assert writer.sweep("full-2", max_share=0.8).deleted == 8
    assert len(backend.rows()) == 2
    writer.upsert(page([stat_row(i) for i in range(10)]), "full-3")
    writer.upsert(page([stat_row(0)]), "full-4")
    assert writer.sweep("full-4", allow_mass_delete=True).deleted == 9
    assert set(backend.rows()) == {stat_row(0)["_id"]}


def test_kept_keys_survive_the_sweep(backend: Backend) -> None:
    """A row whose new version was rejected keeps its previous copy: keep_keys marks it as loaded."""
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(i) for i in range(20)]), "full-1")
    writer.upsert(page([stat_row(i) for i in range(18)]), "full-2")  # rows 18 and 19 were rejected this time
    assert writer.keep_keys([(stat_row(18)["_id"],), (stat_row(19)["_id"],), ("never-seen",)], "full-2") == 2
    assert writer.sweep("full-2").deleted == 0
    stored = backend.rows()
    assert len(stored) == 20 and stored[stat_row(19)["_id"]]["_load_id"] == "full-2"
    assert stored[stat_row(19)["_id"]]["progress"] == stat_row(19)["progress"]  # the old copy, untouched
    assert writer.keep_keys([], "full-2") == 0
    with pytest.raises(ValueError, match="does not match the key"):
        writer.keep_keys([("a", "b")], "full-2")


def test_keep_keys_casts_raw_values_to_the_key_kind(backend: Backend) -> None:
    columns = [
        Column("group_id", "groupId", "text", True),
        Column("rank", "rank", "integer", True),
        Column("note", "note", "text", False),
    ]
    table = f"{backend.table}_ranked"
    writer = backend.writer(table, key=("group_id", "rank"))
    writer.ensure_table(columns)
    writer.upsert(page([{"groupId": "g", "rank": r, "note": "x"} for r in range(5)], columns), "l1")
    assert writer.keep_keys([("g", "3"), ("g", 4)], "l2") == 2
    assert writer.sweep("l2", allow_mass_delete=True).deleted == 3
    assert sorted(backend.query(f"SELECT rank FROM {backend.qualified(table)}")) == [(3,), (4,)]
    # A key that cannot be an integer matches no stored row: skipped, not a failure of the load.
    assert writer.keep_keys([("g", "three"), ("g", "4")], "l3") == 1
    assert writer.keep_keys([("g", None)], "l3") == 0


# --- metadata and rejects --------------------------------------------------------------------------


def test_watermark_round_trip(backend: Backend) -> None:
    writer = backend.writer()
    assert writer.last_watermark("path_stats") is None
    start = dt.datetime(2026, 1, 1, 6, tzinfo=UTC)
    first = dt.datetime(2025, 12, 31, 23, 59, 59, 123456, tzinfo=UTC)
    writer.record_load("run-1", "path_stats", 100, 1, first, "full", start, start + dt.timedelta(minutes=1))
    assert writer.last_watermark("path_stats") == first

    later = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # stored and returned in UTC
    writer.record_load(
        "run-2",
        "path_stats",
        5,
        0,
        later,
        "incremental",
        start + dt.timedelta(days=1),
        start + dt.timedelta(days=1, minutes=1),
    )
    writer.record_load(
        "run-2", "users", 5, 0, None, "full", start, start + dt.timedelta(days=2)
    )  # other table, no watermark
    writer.record_load(
        "run-3",
        "path_stats",
        0,
        0,
        later + dt.timedelta(days=9),
        "incremental",
        start,
        start + dt.timedelta(days=3),
        status="failed",
    )
    got = writer.last_watermark("path_stats")
    assert got == later and got is not None and got.utcoffset() == dt.timedelta(0)
    assert writer.last_watermark("users") is None

    # A retried record of the same load replaces it rather than adding a row.
    writer.record_load(
        "run-2",
        "path_stats",
        7,
        0,
        later,
        "incremental",
        start + dt.timedelta(days=1),
        start + dt.timedelta(days=1, minutes=2),
    )
    loads = backend.query(
        f"SELECT run_id, rows_loaded FROM {backend.qualified('.'.join(writer.metadata_table))} WHERE table_name = {backend.placeholder} ORDER BY run_id",
        ("path_stats",),
    )
    assert loads == [("run-1", 100), ("run-2", 7), ("run-3", 0)]


def test_rejects_are_stored_with_their_reason(backend: Backend) -> None:
    writer = backend.writer()
    rows = [stat_row(1), stat_row(2, progress="abc"), stat_row(3, enrolledAt="not a date"), {"userId": "nobody"}]
    _, rejects, _ = page_to_frame(rows, COLUMNS)
    assert writer.write_rejects("path_stats", "run-1", rejects) == 3
    assert writer.write_rejects("path_stats", "run-1", rejects) == 3  # a retry: rewritten, not duplicated
    assert writer.write_rejects("path_stats", "run-1", []) == 0
    stored = backend.query(
        f"SELECT table_name, row_key, reason, payload, run_id, rejected_at FROM {backend.qualified('.'.join(writer.rejects_table))} ORDER BY reason"
    )
    assert [(r[0], r[1], r[4]) for r in stored] == [
        ("path_stats", None, "run-1"),
        ("path_stats", stat_row(3)["_id"], "run-1"),
        ("path_stats", stat_row(2)["_id"], "run-1"),
    ]
    assert [r[2] for r in stored] == [
        "field '_id': required but missing or null; field 'progress': required but missing or null; "
        "field 'status': required but missing or null; field 'timeSpent': required but missing or null; field 'enrolledAt': required but missing or null; "
        "field 'selfEnrolled': required but missing or null; field 'pathId': required but missing or null; "
        "field 'sessionId': required but missing or null",
        "field 'enrolledAt': date-time \"not a date\" does not parse",
        "field 'progress': expected integer, got str \"abc\"",
    ]
    assert json.loads(stored[2][3]) == rows[1]
    assert all(r[5] is not None for r in stored)


def test_service_tables_live_beside_the_table(backend: Backend) -> None:
    writer = backend.writer()
    assert writer.metadata_table == (*writer.table[:-1], "_360learning_loads")
    assert writer.rejects_table == (*writer.table[:-1], "_360learning_rejects")
    other = backend.writer(metadata_table="audit.loads")
    assert other.metadata_table == ("audit", "loads")


# --- dialects ----------------------------------------------------------------------------------------


def test_identifiers_are_quoted(backend: Backend) -> None:
    schema = backend.table.rsplit(".", 1)[0] + "." if "." in backend.table else ""
    table = f'{schema}Order Stats "{backend.name}"'
    columns = [
        Column("id", "_id", "text", True),
        Column("select", "select", "integer", False),
        Column("Group By", "g", "text", False),
    ]
    writer = backend.writer(table)
    writer.ensure_table(columns)
    writer.upsert(page([{"_id": "x", "select": 1, "g": "y"}], columns), "load")
    assert list(writer.table_columns())[:3] == ["id", "select", "Group By"]
    assert writer.sweep("other", allow_mass_delete=True).deleted == 1


def test_column_types_override_named_columns(backend: Backend) -> None:
    override = {"postgres": "varchar(40)", "sqlite": "VARCHAR(40)", "duckdb": "VARCHAR"}[backend.name]
    writer = backend.writer(column_types={"user_id": override, "progress": "DOUBLE PRECISION"})
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(1)]), "l1")
    types = {k: v.lower() for k, v in writer.table_columns().items()}
    assert types["progress"] in ("double precision", "double")
    assert types["user_id"] in ("character varying", "varchar(40)", "varchar")
    assert not writer.accepts_typed_rows  # overridden columns are written as the driver binds them
    with pytest.raises(ValueError, match=r"\['no_such_column'\]"):
        backend.writer(column_types={"no_such_column": "TEXT"}).ensure_table(COLUMNS)
    with pytest.raises(ValueError, match=r"column_types\['user_id'\]"):
        backend.writer(column_types={"user_id": "NOT A TYPE ((("})


def test_a_name_longer_than_the_engine_allows_is_refused(backend: Backend) -> None:
    limit = backend.writer().sql_dialect.max_identifier_length
    long_name = "c" * (limit + 1)
    with pytest.raises(ValueError, match=f"{long_name}.*at most {limit}"):
        backend.writer().ensure_table([*COLUMNS, Column(long_name, "x", "text")])


# --- PostgreSQL specifics ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_copy_escapes_and_drops_nul(backend: Backend) -> None:
    columns = [
        Column("id", "_id", "text", True),
        Column("note", "note", "text", False),
        Column("doc", "doc", "json", False),
    ]
    writer = backend.writer(f"{backend.table}_copy")
    writer.ensure_table(columns)
    note = "a\tb\nc\rd\\e\\\\f\\N nul:\x00: end"
    rows = [
        {"_id": "k", "note": note, "doc": {"s": "\\N\t\n"}},
        {"_id": "n", "doc": {"nul\x00key": ["a\x00b", "\\u0000 stays"]}},
    ]
    writer.upsert(page(rows, columns), "load")
    stored = dict(backend.query(f"SELECT id, doc FROM {backend.qualified(backend.table + '_copy')}"))
    assert backend.query(f"SELECT note FROM {backend.qualified(backend.table + '_copy')} WHERE id = 'k'") == [
        (note.replace("\x00", ""),)
    ]
    assert stored == {"k": {"s": "\\N\t\n"}, "n": {"nulkey": ["ab", "\\u0000 stays"]}}


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_psycopg2_connections_use_copy_expert(backend: Backend) -> None:
    psycopg2 = pytest.importorskip("psycopg2")

    class Psycopg2Hook:
        dialect_name = "postgresql"

        def get_conn(self) -> Any:
            return psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname=PG["dbname"])

    writer = SqlTableWriter(Psycopg2Hook(), backend.table)  # type: ignore[arg-type]
    backend.writers.append(writer)
    writer.ensure_table(COLUMNS)
    frame = page([stat_row(i) for i in range(1200)])
    writer.upsert(frame, "l1")
    writer.upsert(frame, "l2")
    assert_table_matches(backend, frame)
    assert type(writer.connection).__module__.startswith("psycopg2")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_concurrent_overlapping_pages_do_not_deadlock(backend: Backend) -> None:
    """Two writers upserting the same keys in opposite orders at once: they queue on row locks, no deadlock."""
    writers = [backend.writer(), backend.writer()]
    writers[0].ensure_table(COLUMNS)
    ascending = page([stat_row(i, progress=1) for i in range(2000)])
    descending = page([stat_row(i, progress=2) for i in reversed(range(2000))])
    errors: list[BaseException] = []

    def load(writer: SqlTableWriter, frame: pd.DataFrame, barrier: threading.Barrier, load_id: str) -> None:
        try:
            assert writer.connection is not None  # connected before the race
            barrier.wait()
            writer.upsert(frame, load_id)
        except BaseException as error:  # reported below
            errors.append(error)

    for attempt in range(3):
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=load, args=(w, f, barrier, f"load-{attempt}"))
            for w, f in zip(writers, (ascending, descending), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(backend.rows()) == 2000


def _staging_tables(writer: SqlTableWriter) -> int:
    """Staging tables in the writer's own session (temporary tables of other sessions are not counted)."""
    with writer.transaction() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()")
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_new_rows_go_straight_in_and_a_known_key_switches_to_merge(backend: Backend) -> None:
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    first = page([stat_row(i) for i in [*range(1000), 5000]])
    assert writer.upsert(first, "l1") == 1001
    assert _staging_tables(writer) == 0, "new rows are copied into the table itself"
    # Key 5000 is already there and sorts last: the direct COPY fails on the page's last row.
    second = page([stat_row(i, progress=7) for i in [*range(1000, 2000), 5000]])
    assert writer.upsert(second, "l2") == 1001
    assert _staging_tables(writer) == 1, "after a known key the writer merges through staging"
    expected = pd.concat([first.iloc[:1000], second], ignore_index=True)
    assert_table_matches(backend, expected)
    assert {r["_load_id"] for r in backend.rows().values()} == {"l1", "l2"}
    assert writer.upsert(first, "l3") == 1001  # merging from now on: a re-load updates in place
    assert len(backend.rows()) == 2001


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_staging_survives_a_session_reset(backend: Backend) -> None:
    """Behind a transaction-pooling proxy the next page may run in a session without the staging table."""
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    writer.upsert(page([stat_row(1)]), "l1")
    with writer.transaction() as cursor:
        cursor.execute("DISCARD TEMP")
    writer.upsert(page([stat_row(1, progress=3), stat_row(2)]), "l2")
    assert {k: r["progress"] for k, r in backend.rows().items()} == {stat_row(1)["_id"]: 3, stat_row(2)["_id"]: 2}


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_connection_with_a_dict_cursor(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Connection extras may ask for dict rows; the writer reads its own queries as tuples all the same."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{backend.conn_id.upper()}",
        json.dumps(
            {
                "conn_type": "postgres",
                "host": PG["host"],
                "port": PG["port"],
                "login": PG["user"],
                "schema": PG["dbname"],
                "extra": {"cursor": "dictcursor"},
            }
        ),
    )
    writer = backend.writer()
    writer.ensure_table(COLUMNS)
    assert writer.ensure_table(COLUMNS) == []
    writer.upsert(page([stat_row(1)]), "l1")
    stamp = dt.datetime(2026, 5, 1, tzinfo=UTC)
    writer.record_load("r", "path_stats", 1, 0, stamp, "full", stamp, stamp)
    assert writer.last_watermark("path_stats") == stamp
    assert writer.sweep("l2", allow_mass_delete=True).deleted == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.parametrize("durable", [False, True])
def test_postgres_pages_larger_than_a_copy_chunk(backend: Backend, durable: bool) -> None:
    writer = backend.writer(durable_pages=durable)
    writer.ensure_table(COLUMNS)
    frame = page([stat_row(i) for i in range(2000)])
    assert writer.upsert(frame, "l1") == 2000
    assert_table_matches(backend, frame)
    assert writer.sql_dialect.async_commit is not durable  # type: ignore[attr-defined]  # pages skip the WAL flush wait unless durable


# --- the embedded default ------------------------------------------------------------------------------


def test_sqlite_file_hook_needs_no_connection(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "warehouse.db"
    hook = sqlite_file_hook(path)
    assert hook.dialect_name == "sqlite"
    with SqlTableWriter(hook, "path_stats") as writer:
        assert writer.dialect == "sqlite"
        writer.ensure_table(COLUMNS)
        writer.upsert(page([stat_row(1), stat_row(2)]), "load")
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM path_stats").fetchone() == (2,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert hook.get_first("SELECT COUNT(*) FROM path_stats") == (2,)


def test_embedded_writers_in_parallel_wait_for_each_other(tmp_path: Path) -> None:
    """Parallel tasks load different tables of the one embedded file: they queue, none fails."""
    path = tmp_path / "shared.db"
    errors: list[BaseException] = []
    frames = [page([stat_row(p * 2000 + i) for i in range(2000)]) for p in range(3)]

    def load(table: str) -> None:
        try:
            with SqlTableWriter(sqlite_file_hook(path), table) as writer:
                writer.ensure_table(COLUMNS)
                for frame in frames:
                    writer.upsert(frame, "load")
                writer.record_load("run", table, 6000, 0, None, "full", dt.datetime.now(UTC), dt.datetime.now(UTC))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=load, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert [conn.execute(f"SELECT COUNT(*) FROM t{i}").fetchone()[0] for i in range(4)] == [6000] * 4
        assert conn.execute("SELECT COUNT(*) FROM _360learning_loads").fetchone() == (4,)


def test_the_old_embedded_hook_name_warns_and_gives_the_duckdb_embedded_default() -> None:
    from airflow.exceptions import AirflowProviderDeprecationWarning

    from airflow_provider_360learning.transfers import embedded, sql_writer

    with pytest.warns(AirflowProviderDeprecationWarning, match="sqlite_file_hook"):
        moved = sql_writer.embedded_hook
    assert moved is embedded.embedded_hook
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = sql_writer.no_such_name  # type: ignore[attr-defined]
