"""``transfers.dialects``: the registry, and every statement each of the 8 dialects generates, parsed by sqlglot.

Statements run for real on PostgreSQL, SQLite and DuckDB in ``test_sql_writer.py``. Here every dialect's
writer runs its whole flow (create, add column, upsert or staged merge, keep_keys, sweep, metadata and
rejects) against a recording DB-API connection, and every statement it sent must parse with
``sqlglot.parse_one(sql, read=<dialect>)`` as a real statement (not sqlglot's ``Command`` fallback).
Snowflake and BigQuery also hand over a staged Parquet file, read back here. MySQL runs parse-only:
neither PyMySQL nor mysqlclient is installed in this environment, so the MariaDB server is not reached.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningMassDeleteError,
)
from airflow_provider_360learning.transfers.dialects import DIALECTS, detect, dialect_class, dialect_for
from airflow_provider_360learning.transfers.dialects.base import Dialect
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.transfers.tabular import Column, Reject
from tests.unit.transfers.test_sql_writer import COLUMNS, page, stat_row

UTC = dt.UTC
ALL = list(DIALECTS)
SQLGLOT = {
    "postgresql": "postgres",
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "mysql": "mysql",
    "mssql": "tsql",
    "redshift": "redshift",
}
# Session and transaction control the dialects send as is (not generated SQL).
CONTROL = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|ROLLBACK TO|PRAGMA (busy_timeout|journal_mode)|SET LOCAL)\b")


def parses(sql: str, dialect: str) -> exp.Expression:
    """The statement parsed by sqlglot in the dialect; a ``Command`` fallback is a failure."""
    parsed = sqlglot.parse_one(sql, read=SQLGLOT[dialect])
    assert not isinstance(parsed, exp.Command), f"{dialect}: sqlglot could not parse {sql!r}"
    return parsed


# --- the registry --------------------------------------------------------------------------------------


def test_every_dialect_is_registered_with_its_sqlglot_dialect() -> None:
    assert sorted(SQLGLOT) == sorted(DIALECTS)
    for name in ALL:
        cls = dialect_class(name)
        assert cls.name == name and cls.sqlglot_dialect == SQLGLOT[name]
        assert set(cls.types) == {"text", "timestamp", "integer", "float", "boolean", "json"}


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"dialect_name": "postgresql"}, "postgresql"),
        ({"dialect_name": "postgresql+psycopg"}, "postgresql"),
        ({"dialect_name": "default", "conn_type": "postgres"}, "postgresql"),
        ({"conn_type": "sqlite"}, "sqlite"),
        ({"conn_type": "duckdb"}, "duckdb"),
        ({"dialect_name": "mysql"}, "mysql"),
        ({"dialect_name": "mariadb"}, "mysql"),
        ({"dialect_name": "mssql+pyodbc"}, "mssql"),
        ({"conn_type": "mssql"}, "mssql"),
        ({"conn_type": "snowflake"}, "snowflake"),
        ({"conn_type": "gcpbigquery"}, "bigquery"),
        ({"conn_type": "redshift"}, "redshift"),
    ],
)
def test_detection_from_dialect_name_then_conn_type(attributes: dict[str, str], expected: str) -> None:
    hook = type("Hook", (), attributes)()
    assert detect(hook) == expected
    assert dialect_for(hook).name == expected


def test_detection_from_the_hook_class_and_a_broken_dialect_name() -> None:
    class SnowflakeHook:
        pass

    class MySubclass(SnowflakeHook):
        dialect_name = "default"

    class Broken:
        conn_type = "postgres"

        @property
        def dialect_name(self) -> str:
            raise RuntimeError("no URI")

    assert detect(MySubclass()) == "snowflake"
    assert detect(Broken()) == "postgresql"


def test_an_unknown_hook_is_refused_naming_it_and_the_override() -> None:
    class OracleLikeHook:
        dialect_name = "oracle"
        conn_type = "oracle"

    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=r"OracleLikeHook.*dialect override"):
        dialect_for(OracleLikeHook())
    assert dialect_for(OracleLikeHook(), "mysql").name == "mysql"  # the override wins
    assert dialect_for(OracleLikeHook(), "tsql").name == "mssql"
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=r"unknown warehouse dialect 'oracle'.*accepted"):
        dialect_for(OracleLikeHook(), "oracle")


@pytest.mark.parametrize(
    ("dialect", "quoted"),
    [
        ("postgresql", '"a""b"'),
        ("sqlite", '"a""b"'),
        ("duckdb", '"a""b"'),
        ("snowflake", '"a""b"'),
        ("redshift", '"a""b"'),
        ("mysql", '`a"b`'),
        ("bigquery", '`a"b`'),
        ("mssql", '[a"b]'),
    ],
)
def test_identifiers_are_quoted_by_sqlglot_for_each_engine(dialect: str, quoted: str) -> None:
    d = dialect_for(object(), dialect)
    assert d.quote('a"b') == quoted
    assert dialect_for(object(), "mysql").quote("a`b") == "`a``b`"
    assert dialect_for(object(), "mssql").quote("a]b") == "[a]]b]"


# --- every statement parses in its dialect -----------------------------------------------------------------


def _statements(d: Dialect) -> dict[str, str]:
    table = ("analytics", "path_stats")
    key = ("id", "user_id")
    names = ["id", "user_id", "progress", "doc", "_load_id", "_loaded_at"]
    kinds = {"id": "text", "user_id": "text", "progress": "integer", "doc": "json"}
    columns = [(n, d.column_type(k, key=n in key)) for n, k in kinds.items()]  # type: ignore[arg-type]
    columns += [("_load_id", d.column_type("text")), ("_loaded_at", d.column_type("timestamp"))]
    staging = d.staging_table(table, names)
    statements = {
        "create table": d.create_table(table, columns, key),
        "add column": d.add_column(table, "badge name", d.column_type("float")),
        "existing columns": d.existing_columns_query(table)[0],
        "create staging": d.create_staging(staging, d.staging_columns(names, kinds, key)),  # type: ignore[arg-type]
        "drop staging": d.drop_table(staging),
        "insert": d.insert_statement(table, names),
        "delete keys": d.delete_keys_statement(table, key),
        "count": d.count_statement(table, not_loaded=False),
        "count not loaded": d.count_statement(table, not_loaded=True),
        "sample": d.sample_not_loaded_statement(table, key, 20),
        "sweep": d.delete_not_loaded_statement(table),
        "keep keys": d.keep_keys_statement(table, key),
        "watermark": d.latest_watermark_statement(("analytics", "_360learning_loads")),
    }
    if d.upsert_style == "merge":
        statements["merge"] = d.merge_statement(table, staging, names, key, kinds)  # type: ignore[arg-type]
    else:
        statements["upsert"] = d.upsert_statement(table, names, key)
        statements["upsert from staging"] = d.upsert_from_statement(table, staging, names, key)
    return statements


class _Hook:
    placeholder = "?"  # the parse tests read sqlglot's own marker (PostgreSQL and Redshift keep %s)


@pytest.mark.parametrize("name", ALL)
def test_every_generated_statement_parses_in_its_dialect(name: str) -> None:
    d = dialect_for(_Hook(), name)
    statements = _statements(d)
    expected_types = {
        "create table": exp.Create,
        "add column": exp.Alter,
        "insert": exp.Insert,
        "delete keys": exp.Delete,
        "sweep": exp.Delete,
        "keep keys": exp.Update,
        "merge": exp.Merge,
        "upsert": exp.Insert,
        "upsert from staging": exp.Insert,
        "count": exp.Select,
    }
    for what, sql in statements.items():
        if name == "sqlite" and what == "existing columns":
            assert sql == 'PRAGMA "analytics".table_info("path_stats")'
            continue
        parsed = parses(sql, name)
        if what in expected_types:
            assert isinstance(parsed, expected_types[what]), (name, what, sql)
    create = statements["create table"]
    assert ("PRIMARY KEY" in create) is d.declares_primary_key, create
    if name in ("postgresql", "sqlite", "duckdb"):
        assert "ON CONFLICT" in statements["upsert"] and "DO UPDATE" in statements["upsert"]
    elif name == "mysql":
        assert "ON DUPLICATE KEY UPDATE" in statements["upsert"]
    else:
        assert statements["merge"].startswith("MERGE INTO")
    if name == "mssql":
        assert statements["merge"].endswith(";"), "SQL Server requires MERGE to end with a semicolon"
        assert "TOP 20" in statements["sample"] and "LIMIT" not in statements["sample"]


@pytest.mark.parametrize(
    ("name", "key_type", "types"),
    [
        ("postgresql", "text", ("timestamptz", "jsonb")),
        ("sqlite", "TEXT", ("TEXT", "TEXT")),
        ("duckdb", "VARCHAR", ("TIMESTAMPTZ", "JSON")),
        ("snowflake", "VARCHAR", ("TIMESTAMP_TZ", "VARIANT")),
        ("bigquery", "STRING", ("TIMESTAMP", "JSON")),
        ("mysql", "VARCHAR(255)", ("DATETIME(6)", "JSON")),
        ("mssql", "NVARCHAR(450)", ("DATETIME2(6)", "NVARCHAR(MAX)")),
        ("redshift", "VARCHAR(1024)", ("TIMESTAMPTZ", "SUPER")),
    ],
)
def test_types_per_dialect_and_bounded_text_keys(name: str, key_type: str, types: tuple[str, str]) -> None:
    d = dialect_for(_Hook(), name)
    assert d.column_type("text", key=True) == key_type
    assert (d.column_type("timestamp"), d.column_type("json")) == types
    create = d.create_table(("t",), [("id", key_type), ("at", types[0]), ("doc", types[1])], ("id",))
    for sql_type in (key_type, *types):
        assert sql_type.replace(" ", "").upper() in create.replace(" ", "").upper(), (sql_type, create)


# --- each dialect's writer end to end, against a recording connection -------------------------------------


class Recording:
    """A DB-API connection (and its own cursor) that records statements and answers what the writer asks.

    The table does not exist (an empty column list), the sweep finds 1 stale row of 10, the watermark is
    ``None``. ``on_put`` is called with each Snowflake ``PUT`` while its file still exists.
    """

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.batches: list[list[tuple[Any, ...]]] = []
        self.staged: list[Any] = []
        self.isolation_level: Any = ""
        self.rowcount = 1
        self._result: list[tuple[Any, ...]] = []

    # connection
    def cursor(self) -> Recording:
        return self

    def commit(self) -> None:
        self.statements.append("COMMIT")

    def rollback(self) -> None:
        self.statements.append("ROLLBACK")

    def close(self) -> None:
        pass

    def begin(self) -> None:
        pass

    # cursor
    def execute(self, sql: str, parameters: Any = ()) -> Recording:
        self.statements.append(sql)
        lowered = sql.lower()
        if sql.startswith("PUT "):
            path = re.search(r"'file://([^']+)'", sql)
            assert path is not None
            self.staged.append(pq.read_table(path.group(1)))
        if "count" in lowered:
            self._result = [(1,)] if "_load_id" in lowered else [(10,)]
        elif lowered.startswith("select") and "_load_id" in lowered:
            self._result = [("stale-key",)]
        else:
            self._result = []
        return self

    def executemany(self, sql: str, rows: Any) -> None:
        self.statements.append(sql)
        self.batches.append(list(rows))

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._result[0] if self._result else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._result)


class RecordingHook:
    def __init__(self, conn_type: str, placeholder: str = "%s") -> None:
        self.conn_type = conn_type
        self.placeholder = placeholder
        self.connection = Recording()
        self.project_id = "my-project"
        self.loads: list[tuple[str, Any, Any]] = []

    def get_conn(self) -> Recording:
        return self.connection

    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        pass

    # BigQueryHook.get_client(...).load_table_from_file(...)
    def get_client(self, project_id: str | None = None) -> Any:
        hook = self

        class Job:
            def result(self) -> None:
                pass

        class Client:
            def load_table_from_file(self, file: Any, destination: str, job_config: Any) -> Job:
                hook.loads.append((destination, pq.read_table(file), job_config))
                return Job()

        return Client()


@pytest.fixture
def fake_bigquery_library(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``google.cloud.bigquery`` as far as the BigQuery dialect uses it (the library is not installed)."""
    bigquery = types.ModuleType("google.cloud.bigquery")
    bigquery.LoadJobConfig = lambda **kwargs: kwargs  # type: ignore[attr-defined]
    bigquery.SourceFormat = types.SimpleNamespace(PARQUET="PARQUET")  # type: ignore[attr-defined]
    bigquery.WriteDisposition = types.SimpleNamespace(WRITE_TRUNCATE="WRITE_TRUNCATE")  # type: ignore[attr-defined]
    google = sys.modules.get("google") or types.ModuleType("google")
    cloud = types.ModuleType("google.cloud")
    cloud.bigquery = bigquery  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.cloud", cloud)
    monkeypatch.setitem(sys.modules, "google.cloud.bigquery", bigquery)
    yield


FLOW_DIALECTS = ["postgresql", "sqlite", "snowflake", "bigquery", "mysql", "mssql", "redshift"]
"""DuckDB's writer needs a DuckDB connection (Arrow, views): it runs on a real file in test_sql_writer.py."""


def _run_flow(name: str) -> tuple[RecordingHook, SqlTableWriter]:
    placeholder = "?" if name == "sqlite" else "%s"
    hook = RecordingHook(name, placeholder)
    writer = SqlTableWriter(hook, "analytics.path_stats", column_types={"score": hook_type(name)})  # type: ignore[arg-type]
    writer.ensure_table(COLUMNS)
    rows = [stat_row(i) for i in range(5)]
    assert writer.upsert(page(rows), "load-1") == 5
    assert writer.keep_keys([(stat_row(7)["_id"],)], "load-1") == 1
    with pytest.raises(ThreeSixtyLearningMassDeleteError):
        writer.sweep("load-1", max_share=0.05)  # 1 of 10 is 10%
    assert writer.sweep("load-1").deleted == 1
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    writer.record_load("run", "path_stats", 5, 1, stamp, "full", stamp, stamp)
    assert writer.last_watermark("path_stats") is None
    writer.write_rejects("path_stats", "run", [Reject("k", "bad progress", '{"_id": "k"}')])
    return hook, writer


def hook_type(name: str) -> str:
    return {"mssql": "DECIMAL(9, 2)", "bigquery": "NUMERIC", "sqlite": "NUMERIC"}.get(name, "DECIMAL(9,2)")


@pytest.mark.parametrize("name", FLOW_DIALECTS)
def test_the_writer_flow_sends_only_statements_that_parse(name: str, fake_bigquery_library: None) -> None:
    hook, writer = _run_flow(name)
    sent = [s for s in hook.connection.statements if not CONTROL.match(s)]
    assert sent, "the writer sent nothing"
    for sql in sent:
        if name == "sqlite" and sql.startswith("PRAGMA "):
            continue
        # Drivers of these engines take %s, which sqlglot reads only in PostgreSQL and Redshift.
        parses(sql.replace("%s", "?") if name not in ("postgresql", "redshift") else sql, name)
    text = "\n".join(sent)
    assert "CREATE TABLE" in text and "DELETE FROM" in text and "UPDATE" in text
    assert hook_type(name).replace(" ", "") in text.replace(" ", ""), "the column_types override is in the DDL"
    if name in ("snowflake", "bigquery", "mssql", "redshift"):
        assert "MERGE INTO" in text
    writer.close()


@pytest.mark.parametrize("name", ["mssql", "redshift"])
def test_merge_engines_stage_the_batch_then_merge_and_drop(name: str) -> None:
    hook, _ = _run_flow(name)
    sent = [s for s in hook.connection.statements if not CONTROL.match(s)]
    merge = next(i for i, s in enumerate(sent) if s.startswith("MERGE"))
    staged_insert = max(i for i, s in enumerate(sent[:merge]) if s.startswith("INSERT INTO"))
    assert "_stage_" in sent[staged_insert] and "_stage_" in sent[merge]
    assert sent[merge + 1].startswith("DROP TABLE IF EXISTS") and "_stage_" in sent[merge + 1]
    staged_rows = hook.connection.batches[0]
    assert len(staged_rows) == 5 and {row[-2] for row in staged_rows} == {"load-1"}
    assert all(row[-1].tzinfo is None for row in staged_rows) is (name == "mssql")  # DATETIME2 holds UTC


def test_mysql_upserts_with_on_duplicate_key_and_naive_utc_timestamps() -> None:
    hook, _ = _run_flow("mysql")
    upsert = next(s for s in hook.connection.statements if "ON DUPLICATE KEY UPDATE" in s)
    assert upsert.startswith("INSERT INTO `analytics`.`path_stats`") and "%s" in upsert
    assert "`progress` = VALUES(`progress`)" in upsert
    rows = hook.connection.batches[0]
    assert len(rows) == 5 and all(isinstance(r[-1], dt.datetime) and r[-1].tzinfo is None for r in rows)
    create = next(s for s in hook.connection.statements if s.startswith("CREATE TABLE") and "path_stats" in s)
    assert "`id` VARCHAR(255)" in create and "PRIMARY KEY (`id`)" in create


def test_snowflake_puts_a_parquet_file_copies_it_into_staging_and_merges() -> None:
    hook, _ = _run_flow("snowflake")
    sent = [s for s in hook.connection.statements if not CONTROL.match(s)]
    put = next(i for i, s in enumerate(sent) if s.startswith("PUT "))
    create_staging, copy, merge, drop = sent[put - 1], sent[put + 1], sent[put + 2], sent[put + 3]
    staging = re.search(r'"(_stage_[0-9a-f_]+)"', create_staging)
    assert staging and create_staging.startswith("CREATE TEMPORARY TABLE")
    assert f"@~/360learning/{staging.group(1)}" in sent[put]
    assert copy.startswith(f'COPY INTO "{staging.group(1)}" FROM @~/360learning/{staging.group(1)}')
    assert "TYPE=PARQUET" in copy.replace(" ", "") and "MATCH_BY_COLUMN_NAME" in copy
    assert merge.startswith('MERGE INTO "analytics"."path_stats" AS "tgt"') and 'PARSE_JSON("src"."status")' in merge
    assert drop == f'DROP TABLE IF EXISTS "{staging.group(1)}"'
    (table,) = hook.connection.staged
    staged = table.to_pylist()
    assert [r["id"] for r in staged] == [stat_row(i)["_id"] for i in range(5)]
    assert {r["_load_id"] for r in staged} == {"load-1"}
    assert staged[1]["status"] == '{"type":"onTime"}' and staged[1]["progress"] == 1
    assert staged[0]["enrolled_at"] == dt.datetime(2024, 1, 9, 21, 45, 57, 123000, tzinfo=UTC)
    assert str(table.schema.field("_loaded_at").type) == "timestamp[us, tz=UTC]"


def test_bigquery_loads_the_parquet_file_with_the_hooks_client_then_merges(fake_bigquery_library: None) -> None:
    hook, _ = _run_flow("bigquery")
    ((destination, table, config),) = hook.loads
    assert re.fullmatch(r"analytics\._stage_[0-9a-f]{12}_[0-9a-f]{8}", destination)
    assert config == {"source_format": "PARQUET", "write_disposition": "WRITE_TRUNCATE"}
    staged = table.to_pylist()
    assert sorted(r["id"] for r in staged) == sorted(stat_row(i)["_id"] for i in range(5))
    assert {r["_load_id"] for r in staged} == {"load-1"}
    sent = [s for s in hook.connection.statements if not CONTROL.match(s)]
    stage = destination.split(".")[1]
    merge = next(s for s in sent if s.startswith("MERGE"))
    assert f"USING `analytics`.`{stage}` AS `src`" in merge and "PARSE_JSON(`src`.`status`)" in merge
    assert f"DROP TABLE IF EXISTS `analytics`.`{stage}`" in sent
    create = next(s for s in sent if s.startswith("CREATE TABLE") and "`path_stats`" in s)
    assert "PRIMARY KEY" not in create, "BigQuery has no enforced primary key: the MERGE keeps keys unique"
    assert "`analytics`.INFORMATION_SCHEMA.COLUMNS" in "\n".join(sent)


def test_bigquery_needs_a_dataset() -> None:
    with pytest.raises(ValueError, match="dataset"):
        SqlTableWriter(RecordingHook("gcpbigquery"), "path_stats")  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "limit"), [("postgresql", 63), ("mysql", 64), ("redshift", 127), ("mssql", 128)])
def test_names_over_the_engines_limit_are_refused_not_truncated(name: str, limit: int) -> None:
    writer = SqlTableWriter(RecordingHook(name), "analytics.t")  # type: ignore[arg-type]
    fits = Column("c" * limit, "x", "text")
    writer.ensure_table([*COLUMNS, fits])
    too_long = "d" * (limit + 1)
    with pytest.raises(ValueError, match=rf"{too_long}.*{limit + 1} characters.*at most {limit}"):
        writer.ensure_table([*COLUMNS, Column(too_long, "x", "text")])
    with pytest.raises(ValueError, match="at most"):
        SqlTableWriter(RecordingHook(name), "analytics." + "t" * (limit + 1))  # type: ignore[arg-type]
