"""PostgreSQL: ``COPY`` into the table (or a session staging table, then ``INSERT ... ON CONFLICT``).

Batches go in with ``COPY`` (text format streamed in chunks from a frame; binary format for typed rows of
``TypedPageDecoder`` through psycopg 3), straight into the table while their keys are new there, else into
a temporary staging table of the session and merged with ``INSERT ... SELECT ... ORDER BY key ON CONFLICT
(key) DO UPDATE``. Key order makes concurrent writers of overlapping batches wait for each other instead
of deadlocking. Batches commit with ``synchronous_commit = off`` unless ``durable_pages``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import (
    LOAD_ID_COLUMN,
    LOADED_AT_COLUMN,
    Dialect,
    WriterContext,
    frame_rows,
    iso,
    json_text,
    tuple_cursor,
)
from airflow_provider_360learning.transfers.tabular import Column, Kind

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

COPY_CHUNK_ROWS = 500
UNIQUE_VIOLATION = "23505"  # SQLSTATE of a duplicate key
# Binary COPY of typed rows: each kind's type name for psycopg, and the column's information_schema
# data_type the binary encoding requires (PostgresDialect.types as the server reports them).
BINARY_COPY_TYPES: Mapping[Kind, tuple[str, str]] = {
    "text": ("text", "text"),
    "timestamp": ("timestamptz", "timestamp with time zone"),
    "integer": ("int8", "bigint"),
    "float": ("float8", "double precision"),
    "boolean": ("bool", "boolean"),
    "json": ("jsonb", "jsonb"),
}
# COPY text format: backslash, tab, newline and carriage return escaped; NUL (which PostgreSQL text cannot hold) dropped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})
_COPY_NULL = "\\N"
_COPY_SPECIALS = ("\\", "\t", "\n", "\r", "\x00")


class PostgresDialect(Dialect):
    """PostgreSQL (and PostgreSQL-wire servers): ``COPY`` then ``ON CONFLICT``; typed rows in binary COPY."""

    name = "postgresql"
    sqlglot_dialect = "postgres"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "text",
        "timestamp": "timestamptz",
        "integer": "bigint",
        "float": "double precision",
        "boolean": "boolean",
        "json": "jsonb",
    }
    max_identifier_length = 63
    timestamps = "aware"
    default_placeholder = "%s"

    def __init__(self, hook: Any, *, durable_pages: bool = False) -> None:
        super().__init__(hook, durable_pages=durable_pages)
        self.placeholder = "%s"  # psycopg's, whatever the hook says
        self.async_commit = False
        self.copy_direct = True  # COPY straight into the table until a key is found there

    def configure(self, conn: Any) -> None:
        if getattr(conn, "autocommit", False):
            conn.autocommit = False
        self.async_commit = not self.durable_pages and _has_setting(conn, "synchronous_commit")

    # --- frames: COPY text format ------------------------------------------------------------------

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        ordered = frame.sort_values(list(writer.key), kind="stable")

        def copy_into(cursor: Any, target: str) -> None:
            constants = {LOAD_ID_COLUMN: load_id, LOADED_AT_COLUMN: iso(loaded_at)}
            if hasattr(cursor, "copy"):  # psycopg 3: the server parses a chunk while the next is built
                with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for chunk in copy_chunks(ordered, kinds, constants, COPY_CHUNK_ROWS):
                        copy.write(chunk)
            elif hasattr(cursor, "copy_expert"):  # psycopg2
                text = "".join(copy_chunks(ordered, kinds, constants, max(len(ordered), 1)))
                cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(text))
            else:  # another PostgreSQL driver: rows through executemany
                marks = ", ".join(["%s"] * (len(kinds) + 2))
                rows = frame_rows(ordered, kinds, "aware", load_id, loaded_at)
                cursor.executemany(f"INSERT INTO {target} VALUES ({marks})", rows)

        self.load(writer, [*kinds], copy_into)

    def load(self, writer: WriterContext, names: Sequence[str], copy_into: Callable[[Any, str], None]) -> None:
        """COPY rows straight into the table while their keys are new there, else COPY into staging and merge.

        ``copy_into(cursor, "table (columns)")`` appends the rows, in key order. The direct COPY runs under
        a savepoint: the first key already in the table aborts it (nothing of the batch stays) and from
        then on this writer merges. New rows so cost one COPY, not a COPY, a second write and an index
        probe each; re-loads and overlapping increments pay one failed attempt.
        """
        names = [*names, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        table_sql = self.table_sql(writer.table)
        column_list = ", ".join(self.quote(n) for n in names)
        with writer.transaction() as cursor:
            if self.async_commit:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if self.copy_direct and (hasattr(cursor, "copy") or hasattr(cursor, "copy_expert")):
                cursor.execute("SAVEPOINT direct_copy")
                try:
                    copy_into(cursor, f"{table_sql} ({column_list})")
                    return
                except Exception as error:
                    if UNIQUE_VIOLATION not in (getattr(error, "sqlstate", None), getattr(error, "pgcode", None)):
                        raise
                    cursor.execute("ROLLBACK TO SAVEPOINT direct_copy")
                    self.copy_direct = False
                    log.debug("%s already holds keys of this load: merging through staging", table_sql)
            staging = self._staging(cursor, writer.table, names)
            copy_into(cursor, f"{self.table_sql(staging)} ({column_list})")
            cursor.execute(self.upsert_from_statement(writer.table, staging, names, writer.key))

    def _staging(self, cursor: Any, table: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
        """The session's staging table for these columns: the target's exact types, emptied at each commit.

        Made once per session and column set (a temporary table per batch costs catalog churn), and looked
        up in each transaction, since a transaction-pooling proxy (PgBouncer) may hand over another session.
        """
        staging = ("pg_temp", *self.staging_table(table, names))
        cursor.execute("SELECT to_regclass(%s)", (self.table_sql(staging),))
        row = cursor.fetchone()
        if row is None or row[0] is None:
            select = exp.select(*(self._column(n) for n in names)).from_(self.table(table))
            create = exp.Create(
                kind="TABLE",
                this=self.table(staging[1:]),
                expression=select,
                properties=exp.Properties(expressions=[exp.TemporaryProperty(), exp.OnCommitProperty(delete=True)]),
            )
            cursor.execute(self.render(create) + " WITH NO DATA")
        return staging

    # --- typed rows: binary COPY (psycopg 3) ----------------------------------------------------------

    def accepts_typed_rows(self, writer: WriterContext, columns: Sequence[Column], actual: Mapping[str, str]) -> bool:
        """Binary COPY needs every column to have exactly the type its value is encoded for."""
        module = type(writer.connection).__module__
        if not module.startswith("psycopg") or module.startswith("psycopg2"):
            return False
        expected = {
            **{c.name: BINARY_COPY_TYPES[c.kind][1] for c in columns},
            LOAD_ID_COLUMN: "text",
            LOADED_AT_COLUMN: "timestamp with time zone",
        }
        if any(actual.get(name) != data_type for name, data_type in expected.items()):
            log.info("the table has columns of other types than the writer's: text COPY for every batch")
            return False
        from psycopg.types.json import set_json_dumps

        from airflow_provider_360learning.transfers.tabular import encode_json

        set_json_dumps(encode_json, context=writer.connection)  # jsonb values: msgspec, sorted keys
        return True

    def write_typed(
        self,
        writer: WriterContext,
        columns: Sequence[Column],
        rows: Sequence[tuple[Any, ...]],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        types = [BINARY_COPY_TYPES[c.kind][0] for c in columns] + ["text", "timestamptz"]
        extra = (load_id, loaded_at)

        def copy_into(cursor: Any, target: str) -> None:
            with cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                write = copy.write_row
                for row in rows:
                    write(row + extra)

        self.load(writer, [c.name for c in columns], copy_into)


# --- helpers -------------------------------------------------------------------------------------------


def _has_setting(conn: Any, name: str) -> bool:
    """Whether a PostgreSQL-compatible server knows a setting (PostgreSQL-wire databases may not)."""
    cursor = tuple_cursor(conn)
    try:
        cursor.execute("SELECT current_setting(%s, true)", (name,))
        row = cursor.fetchone()
        conn.commit()
        return row is not None and row[0] is not None
    except Exception:
        with contextlib.suppress(Exception):
            conn.rollback()
        return False
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def _copy_strings(values: Sequence[Any], *, json_values: bool = False) -> list[str]:
    """Text or JSON values escaped for COPY text format; the escape pass is skipped for a clean column."""
    present = [v for v in values if v is not None]
    if json_values:
        present = [v if isinstance(v, str) else json_text(v) for v in present]
    joined = "".join(present)
    if json_values and "\\u0000" in joined:  # jsonb refuses NUL characters: drop them, as from text
        present = [_json_without_nul(v) if "\\u0000" in v else v for v in present]
    if any(special in joined for special in _COPY_SPECIALS):
        present = [v.translate(_COPY_ESCAPES) for v in present]
    if len(present) == len(values):
        return present
    it = iter(present)
    return [_COPY_NULL if v is None else next(it) for v in values]


def _json_without_nul(text: str) -> str:
    def strip(node: Any) -> Any:
        if isinstance(node, str):
            return node.replace("\x00", "")
        if isinstance(node, list):
            return [strip(v) for v in node]
        if isinstance(node, dict):
            return {strip(k): strip(v) for k, v in node.items()}
        return node

    return json.dumps(strip(json.loads(text)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _copy_sources(frame: pd.DataFrame, kinds: Mapping[str, Kind]) -> list[tuple[Kind, Any, Any]]:
    """Each column as (kind, values, null mask): cheap, so the text conversion can go chunk by chunk."""
    sources: list[tuple[Kind, Any, Any]] = []
    for name, kind in kinds.items():
        series = frame[name]
        if kind in ("text", "json"):  # None marks the nulls
            sources.append((kind, series.array.to_numpy(dtype=object, na_value=None).tolist(), None))
            continue
        mask = series.isna().to_numpy()
        if kind == "timestamp":
            values = series.to_numpy(dtype="datetime64[us]")
        elif kind == "boolean":
            values = series.to_numpy(dtype=bool, na_value=False)
        elif kind == "integer":
            values = series.to_numpy(dtype="int64", na_value=0)
        else:
            values = series.to_numpy(dtype="float64", na_value=0.0)
        sources.append((kind, values, mask if mask.any() else None))
    return sources


def _copy_fields(kind: Kind, values: Any, mask: Any) -> list[str]:
    """COPY text fields of one column slice (``\\N`` for null)."""
    import numpy as np

    if kind in ("text", "json"):
        return _copy_strings(values, json_values=kind == "json")
    if kind == "timestamp":
        texts = np.datetime_as_string(values, unit="us", timezone="UTC").tolist()
    elif kind == "boolean":
        texts = np.where(values, "t", "f").tolist()
    elif kind == "integer":
        texts = list(map(str, values.tolist()))
    else:  # float: Python's repr is the shortest text that round-trips, and 3x faster than numpy's
        texts = list(map(repr, values.tolist()))
    if mask is not None and mask.any():
        return [_COPY_NULL if m else t for t, m in zip(texts, mask.tolist(), strict=True)]
    return texts


def copy_chunks(
    frame: pd.DataFrame, kinds: Mapping[str, Kind], constants: Mapping[str, str], chunk: int
) -> Iterator[str]:
    """The batch in PostgreSQL COPY text format, ``chunk`` rows at a time (the server parses one while the next is built)."""
    sources = _copy_sources(frame, kinds)
    fixed = [value.translate(_COPY_ESCAPES) for value in constants.values()]
    rows = len(frame)
    for start in range(0, rows, chunk):
        end = min(start + chunk, rows)
        columns = [
            _copy_fields(kind, values[start:end], None if mask is None else mask[start:end])
            for kind, values, mask in sources
        ]
        columns.extend([value] * (end - start) for value in fixed)
        yield "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


__all__ = ["BINARY_COPY_TYPES", "PostgresDialect", "copy_chunks"]
