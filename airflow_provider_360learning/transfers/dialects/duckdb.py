"""DuckDB: the embedded default warehouse (a file), or any ``DuckDBHook`` database.

**Connection scope.** DuckDB lets one process at a time open a file read-write, so a writer on a DuckDB
*file* does not keep it open: its connection is a :class:`~airflow_provider_360learning.transfers.embedded.ScopedConnection`,
which opens the file for one transaction (one batch) under the inter-process lock ``<file>.lock`` and
closes it at commit or rollback (``transfers.embedded``: the retry with a bound while an outside process
holds the file). Parallel load tasks writing one file so queue batch by batch. In-memory and MotherDuck
databases keep one connection, as other engines do.

**Batch write.** The batch goes in as Arrow, registered as a relation, merged with
``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`` (DuckDB's ``executemany`` upsert runs at under 1,000
rows/s), or a plain ``INSERT ... SELECT`` while its keys are new to the table: typed rows (``TypedPageDecoder``) become an Arrow table column by column, in C, with no pandas
frame; pages that need the lenient typing arrive as a pandas frame, whose Arrow-backed columns DuckDB
scans directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import (
    LOAD_ID_COLUMN,
    LOADED_AT_COLUMN,
    Dialect,
    WriterContext,
)
from airflow_provider_360learning.transfers.tabular import Column, Kind

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

IN_MEMORY = ":memory:"
# information_schema.columns.data_type of each kind's column, as DuckDB reports DuckDBDialect.types.
REPORTED_TYPES: Mapping[Kind, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "json": "JSON",
}


class DuckDBDialect(Dialect):
    """DuckDB files (one locked session per transaction) or in-memory databases, through ``DuckDBHook``."""

    name = "duckdb"
    sqlglot_dialect = "duckdb"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "VARCHAR",
        "timestamp": "TIMESTAMPTZ",
        "integer": "BIGINT",
        "float": "DOUBLE",
        "boolean": "BOOLEAN",
        "json": "JSON",
    }
    max_identifier_length = 255
    default_placeholder = "?"

    def __init__(self, hook: Any, *, durable_pages: bool = False) -> None:
        super().__init__(hook, durable_pages=durable_pages)
        self._insert_directly = True  # while the batches' keys are new to the table: see _merge

    # --- connection scope ----------------------------------------------------------------------------

    def connect(self) -> Any:
        """The writer's connection: for a file, one that opens it per transaction under its lock."""
        from airflow_provider_360learning.transfers.embedded import (
            DEFAULT_LOCK_TIMEOUT,
            ScopedConnection,
            file_session,
        )

        if callable(getattr(self.hook, "session", None)):  # the embedded hook: its connections are locked sessions
            return self.hook.get_conn()
        database = database_file(self.hook)
        if database is None:  # in memory or MotherDuck: one connection, kept
            return self.hook.get_conn()
        # A plain DuckDBHook on a file: not opened here (another process may hold it), but per transaction
        # under the lock, as the embedded hook does.
        extra = getattr(self.hook, "connection_extra", None) or {}
        timeout = float(extra.get("lock_timeout", DEFAULT_LOCK_TIMEOUT))
        return ScopedConnection(lambda: file_session(database, self.hook.get_conn, lock_timeout=timeout), database)

    def configure(self, conn: Any) -> None:
        """DuckDB connections need no set-up: transactions are begun explicitly."""

    def cursor(self, conn: Any) -> Any:
        return conn  # a DuckDB cursor is another connection: statements run on the connection itself

    def begin(self, cursor: Any, conn: Any) -> None:
        conn.begin()

    # --- batch writes ----------------------------------------------------------------------------------

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        self._merge(writer, frame, list(kinds), load_id, loaded_at)

    def accepts_typed_rows(self, writer: WriterContext, columns: Sequence[Column], actual: Mapping[str, str]) -> bool:
        """Typed rows go in as Arrow when every column has the type this dialect gives its kind."""
        expected = {
            **{c.name: REPORTED_TYPES[c.kind] for c in columns},
            LOAD_ID_COLUMN: REPORTED_TYPES["text"],
            LOADED_AT_COLUMN: REPORTED_TYPES["timestamp"],
        }
        return all(actual.get(name, "").upper() == data_type for name, data_type in expected.items())

    def write_typed(
        self,
        writer: WriterContext,
        columns: Sequence[Column],
        rows: Sequence[tuple[Any, ...]],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        self._merge(writer, arrow_table(columns, rows), [c.name for c in columns], load_id, loaded_at)

    def _merge(
        self, writer: WriterContext, relation: Any, names: Sequence[str], load_id: str, loaded_at: dt.datetime
    ) -> None:
        """Register ``relation`` (a pandas frame or an Arrow table) as a view and upsert it in one transaction.

        While the batches' keys are new to the table (a first load) a plain ``INSERT ... SELECT`` goes in,
        about 40% cheaper than the upsert; the first key already there makes DuckDB refuse that insert
        whole, the transaction restarts, and from then on this writer upserts.
        """
        import duckdb

        view = f"_stage_{id(writer):x}"
        columns = [*names, LOAD_ID_COLUMN, LOADED_AT_COLUMN]

        def select() -> exp.Select:
            return exp.select(*(self._column(n) for n in names), exp.Placeholder(), exp.Placeholder()).from_(
                self.table((view,))
            )

        target = ("view", tuple(writer.table), tuple(columns), view)
        upsert = self._cached(
            ("upsert", *target), lambda: self._insert_or_update(writer.table, columns, writer.key, select())
        )
        insert = self._cached(
            ("insert", *target),
            lambda: exp.Insert(
                this=exp.Schema(
                    this=self.table(writer.table), expressions=[exp.to_identifier(n, quoted=True) for n in columns]
                ),
                expression=select(),
            ),
        )
        parameters = (load_id, loaded_at)
        with writer.transaction() as cursor:
            cursor.register(view, relation)
            try:
                if self._insert_directly:
                    try:
                        cursor.execute(insert, parameters)
                        return
                    except duckdb.ConstraintException:
                        self._insert_directly = False  # a key of the batch is in the table already: upsert from now on
                        cursor.execute("ROLLBACK")
                        cursor.execute("BEGIN TRANSACTION")
                        cursor.register(view, relation)
                cursor.execute(upsert, parameters)
            finally:
                cursor.unregister(view)


def database_file(hook: Any) -> str | None:
    """The file a DuckDB hook opens, or None for an in-memory or MotherDuck database."""
    get_database = getattr(hook, "get_database", None)
    database = str(get_database()) if callable(get_database) else IN_MEMORY
    if database == IN_MEMORY or database.startswith(("md:", "motherduck:")):
        return None
    return database


def arrow_table(columns: Sequence[Column], rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """Rows of typed values (in the order of ``columns``) as an Arrow table, one C conversion per column.

    JSON values are encoded as text (DuckDB casts text to its JSON type on insert); timestamps are aware
    datetimes, kept in UTC at microsecond precision.
    """
    import pyarrow as pa

    from airflow_provider_360learning.transfers.tabular import encode_json

    arrow_types: Mapping[Kind, pa.DataType] = {
        "text": pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "json": pa.string(),
    }
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    arrays = []
    for column, column_values in zip(columns, values, strict=True):
        if column.kind == "json":
            column_values = tuple(None if v is None else encode_json(v).decode() for v in column_values)
        arrays.append(pa.array(column_values, type=arrow_types[column.kind]))
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


__all__ = ["DuckDBDialect", "arrow_table", "database_file"]
