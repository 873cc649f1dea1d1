"""DuckDB: the embedded default warehouse (a file), or any ``DuckDBHook`` database.

**Connection scope.** DuckDB lets one process at a time open a file read-write, so a writer on a DuckDB
*file* does not keep it open: its connection is a :class:`~airflow_provider_360learning.transfers.embedded.ScopedConnection`,
which opens the file for one transaction (one batch) under the inter-process lock ``<file>.lock`` and
closes it at commit or rollback (``transfers.embedded``: the retry with a bound while an outside process
holds the file). Parallel load tasks writing one file so queue batch by batch. In-memory and MotherDuck
databases keep one connection, as other engines do.

**Batch write.** A batch of pages the typed decoder accepted goes in as the pages' JSON bodies: one
``BLOB[]`` parameter of one ``INSERT ... SELECT`` that DuckDB parses with ``from_json`` in C++, without
Python's lock, on the writer's own thread while the loader decodes the next batch (:meth:`DuckDBDialect.write_pages`).
Other batches go in as Arrow (typed rows, built column by column) or a pandas frame, registered as a view.
Either way a plain ``INSERT ... SELECT`` goes in while the keys are new to the table, else
``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`` (DuckDB's ``executemany`` upsert runs at under 1,000
rows/s). While the loader has more batches ready, a transaction may hold several of them
(:meth:`DuckDBDialect.may_defer_commit`): a commit writes and syncs the WAL.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping, Sequence
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

    batches_in_background = True
    max_batches_per_commit: ClassVar[int] = 8
    """Batches one transaction may hold while more are ready (see :meth:`may_defer_commit`)."""
    max_seconds_per_commit: ClassVar[float] = 1.0
    """Seconds one transaction may stay open across batches."""

    def __init__(self, hook: Any, *, durable_pages: bool = False) -> None:
        super().__init__(hook, durable_pages=durable_pages)
        self._insert_directly = True  # while the batches' keys are new to the table: see _merge
        self._batches_open = 0  # batches written in the open transaction
        self._inserted: list[tuple[str, tuple[Any, ...], tuple[str, Any] | None]] = []
        """The open transaction's plain inserts, as upserts: replayed if a later batch finds a key there."""

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

    def commit(self, cursor: Any, conn: Any) -> None:
        self._batches_open, self._inserted = 0, []
        conn.commit()

    def rollback(self, cursor: Any, conn: Any) -> None:
        self._batches_open, self._inserted = 0, []
        conn.rollback()

    def may_defer_commit(self, conn: Any, opened_at: float) -> bool:
        """Keep a batch's transaction open for the next one while the loader has more ready, up to
        :attr:`max_batches_per_commit` batches and :attr:`max_seconds_per_commit` seconds, and only while no
        other session waits for the file (a reader still waits about one batch).

        A DuckDB commit costs about as much as inserting a batch (it syncs the WAL to disk) and holds
        Python's lock around it: fewer of them is what lets the load keep up with a fast API.
        """
        if self._batches_open >= self.max_batches_per_commit:
            return False
        if time.monotonic() - opened_at >= self.max_seconds_per_commit:
            return False
        waiting = getattr(conn, "others_waiting", None)
        return not waiting() if callable(waiting) else database_file(self.hook) is None

    # --- batch writes ----------------------------------------------------------------------------------

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        self._merge_view(writer, frame, list(kinds), load_id, loaded_at)

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
        self._merge_view(writer, arrow_table(columns, rows), [c.name for c in columns], load_id, loaded_at)

    def accepts_pages(self, columns: Sequence[Column]) -> bool:
        """Whether whole page bodies of these columns may go in as JSON text (:meth:`write_pages`).

        Not with a ``json`` column: DuckDB would keep the value's own text, where the other ways store it
        re-encoded with sorted keys. Not when two sources differ only in case (DuckDB's struct fields do not).
        """
        sources = [c.source.lower() for c in columns]
        return all(c.kind != "json" for c in columns) and len(set(sources)) == len(sources)

    def write_pages(
        self,
        writer: WriterContext,
        columns: Sequence[Column],
        pages: Sequence[bytes],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        """Upsert page bodies that ``TypedPageDecoder`` accepted (so every value already has its column's type,
        and the keys are unique), DuckDB parsing the JSON itself.

        The bodies go in as one ``BLOB[]`` parameter; ``from_json`` with the columns' types turns them into
        rows in C++, with Python's lock released, in one statement: the task's fetching thread runs
        meanwhile. Building Arrow arrays from Python values held that lock for the whole batch, and every
        further call into DuckDB (registering a relation) was one more wait to take it back.
        """
        structure = json.dumps([{c.source: self.types[c.kind] for c in columns}])

        def values() -> exp.Select:
            bodies = exp.Unnest(
                expressions=[exp.cast(exp.Placeholder(), exp.DataType.build("BLOB[]", dialect="duckdb"))],
                alias=exp.TableAlias(this=exp.to_identifier("pages"), columns=[exp.to_identifier("body")]),
            )
            text = exp.Anonymous(this="decode", expressions=[exp.column("body")])  # UTF-8, as msgspec checked
            rows = exp.Anonymous(
                this="unnest", expressions=[exp.func("from_json", text, exp.Literal.string(structure))]
            )
            parsed = exp.select(exp.alias_(rows, "r")).from_(bodies).subquery("parsed")
            fields = (exp.func("struct_extract", exp.column("r"), exp.Literal.string(c.source)) for c in columns)
            return exp.select(*fields, exp.Placeholder(), exp.Placeholder()).from_(parsed)

        names = [c.name for c in columns]
        self._merge(writer, names, ("pages", structure, *names), values, (load_id, loaded_at, list(pages)))

    def _merge_view(
        self, writer: WriterContext, relation: Any, names: Sequence[str], load_id: str, loaded_at: dt.datetime
    ) -> None:
        """Upsert ``relation`` (a pandas frame or an Arrow table of the columns ``names``) as it is."""
        view = f"_stage_{id(writer):x}"

        def values() -> exp.Select:
            return exp.select(*(self._column(n) for n in names), exp.Placeholder(), exp.Placeholder()).from_(
                self.table((view,))
            )

        self._merge(writer, names, ("view", view, *names), values, (load_id, loaded_at), (view, relation))

    def _merge(
        self,
        writer: WriterContext,
        names: Sequence[str],
        shape: tuple[Any, ...],
        values: Callable[[], exp.Select],
        parameters: tuple[Any, ...],
        registered: tuple[str, Any] | None = None,
    ) -> None:
        """Upsert ``values()`` (the columns ``names``, then the two bookkeeping values) in one transaction.

        ``parameters`` are the statement's, in order; ``registered`` a view name and the relation (a pandas
        frame or an Arrow table) registered under it for the statement; ``shape`` tells statements apart.
        While the batches' keys are new to the table (a first load) a plain ``INSERT ... SELECT`` goes in,
        about 40% cheaper than the upsert; the first key already there makes DuckDB refuse that insert
        whole, the transaction restarts, and from then on this writer upserts.
        """
        import duckdb

        columns = [*names, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        target = (tuple(writer.table), *shape)
        upsert = self._cached(
            ("upsert", *target), lambda: self._insert_or_update(writer.table, columns, writer.key, values())
        )
        insert = self._cached(
            ("insert", *target),
            lambda: exp.Insert(
                this=exp.Schema(
                    this=self.table(writer.table), expressions=[exp.to_identifier(n, quoted=True) for n in columns]
                ),
                expression=values(),
            ),
        )
        with writer.transaction(batch=True) as cursor:
            self._batches_open += 1
            if self._insert_directly:
                try:
                    _execute(cursor, insert, parameters, registered)
                    self._inserted.append((upsert, parameters, registered))
                    return
                except duckdb.ConstraintException:
                    # A key of the batch is in the table already: upsert from now on. The refused insert
                    # aborted the transaction: its earlier batches go in again, as upserts, then this one.
                    self._insert_directly = False
                    earlier, self._inserted = self._inserted, []
                    cursor.execute("ROLLBACK")
                    if registered is not None:
                        cursor.unregister(registered[0])
                    cursor.execute("BEGIN TRANSACTION")
                    for statement, arguments, relation in earlier:
                        _execute(cursor, statement, arguments, relation)
            _execute(cursor, upsert, parameters, registered)


def _execute(cursor: Any, statement: str, parameters: tuple[Any, ...], registered: tuple[str, Any] | None) -> None:
    """Run ``statement``, with ``registered`` (a view name and its relation) registered for it if given."""
    if registered is None:
        cursor.execute(statement, parameters)
        return
    cursor.register(*registered)
    cursor.execute(statement, parameters)  # on failure the view stays: an aborted transaction refuses unregister
    cursor.unregister(registered[0])


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
