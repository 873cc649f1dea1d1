"""Write typed frames into a table of any database that has an Airflow common.sql ``DbApiHook``.

The writer owns what a resumable, idempotent load needs from the destination, whatever it is:

* ``ensure_table``: the table, its primary key and bookkeeping columns (``_load_id``, ``_loaded_at``),
  and one ``ALTER TABLE ... ADD COLUMN`` per new API field, so a schema change is never a failure;
* ``upsert``: one batch in one transaction, insert-or-update on the key, so a retried batch writes the
  same rows and never duplicates;
* ``keep_keys`` and ``sweep``: after a full load, keep the old copies of rows whose new version was
  rejected, then delete the rows the load did not write, unless they are more than a share of the table;
* a load-metadata table (watermarks for incremental loads) and a rejects table (rows that did not fit).

How each engine does it (SQL generated with sqlglot, types, connection scope, bulk path) is its
:class:`~airflow_provider_360learning.transfers.dialects.base.Dialect`, detected from the hook or named by
the ``dialect`` override: see :mod:`airflow_provider_360learning.transfers.dialects` and ``docs/warehouse.md``.

A writer runs one transaction at a time (``transaction()``), on the connection its dialect's ``session``
gives: by default one connection per writer, opened on first use; use it from one thread (SqliteHook
connections refuse other threads), and ``close()`` it or use it as a context manager.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import importlib
import logging
import operator
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.exceptions import ThreeSixtyLearningMassDeleteError
from airflow_provider_360learning.transfers.dialects import LOAD_ID_COLUMN, LOADED_AT_COLUMN, dialect_for
from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
from airflow_provider_360learning.transfers.tabular import Column, Kind, Reject

if TYPE_CHECKING:
    import pandas as pd
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    from airflow_provider_360learning.transfers.dialects.base import Dialect
else:  # imported at first use: a DAG file importing this module (embedded_warehouse_path) stays light

    class _ImportedOnUse:
        """A module imported at its first attribute access, which then replaces this placeholder."""

        def __init__(self, name: str, alias: str) -> None:
            self._name, self._alias = name, alias

        def __getattr__(self, attribute: str) -> Any:
            module = importlib.import_module(self._name)
            globals()[self._alias] = module
            return getattr(module, attribute)

    pd = _ImportedOnUse("pandas", "pd")

log = logging.getLogger(__name__)

DEFAULT_METADATA_TABLE = "_360learning_loads"
DEFAULT_REJECTS_TABLE = "_360learning_rejects"
SQLITE_CONN_ID = "360learning_sqlite_file"
DEFAULT_MAX_DELETE_SHARE = 0.10
SWEEP_SAMPLE = 20


@dataclass(frozen=True)
class _Transaction:
    """An open transaction of the writer: its session (``stack`` leaves it), connection and cursor."""

    stack: contextlib.ExitStack
    conn: Any
    cursor: Any
    opened_at: float


def _close_quietly(cursor: Any) -> None:
    with contextlib.suppress(Exception):
        cursor.close()


@dataclass(frozen=True)
class SweepResult:
    """What a full refresh's sweep deleted: how many rows, of how many, and a sample of their keys."""

    deleted: int
    total_before: int
    share: float
    sample_keys: list[tuple[Any, ...]]


def sqlite_file_hook(path: str | Path) -> DbApiHook:
    """A SQLite hook on the file at ``path`` (created with its folder), with no Airflow connection to define.

    SQLite stays a supported destination; the embedded default is the DuckDB file of ``transfers.embedded``.
    """
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook
    from airflow.sdk import Connection

    file = Path(path).expanduser().resolve()
    file.parent.mkdir(parents=True, exist_ok=True)

    class SqliteFileHook(SqliteHook):
        """SqliteHook bound to one file, without an Airflow connection to look up."""

        def get_conn(self) -> sqlite3.Connection:
            # A writer may be built in one thread and used in another (the operator's loader thread);
            # it never uses its connection from two threads at once.
            return sqlite3.connect(str(file), check_same_thread=False)

        def get_uri(self) -> str:
            return f"sqlite:///{file}"

    return SqliteFileHook(
        sqlite_conn_id=SQLITE_CONN_ID,
        connection=Connection(conn_id=SQLITE_CONN_ID, conn_type="sqlite", host=str(file)),
    )


class SqlTableWriter:
    """Idempotent, batch-at-a-time writer of one table (plus the shared metadata and rejects tables).

    :param hook: the destination's common.sql hook (``BaseHook.get_connection(id).get_hook()``).
    :param table: the table, optionally schema-qualified (``analytics.path_stats``).
    :param key: warehouse columns of the primary key that upserts match on.
    :param metadata_table: load metadata table; unqualified, it goes in the table's schema.
    :param rejects_table: rejected rows table; unqualified, it goes in the table's schema.
    :param dialect: force a dialect instead of detecting it from the hook (names: ``transfers.dialects``).
    :param column_types: warehouse column -> SQL type in the destination's dialect, overriding the type its
        kind maps to (checked by sqlglot; a name that is not a column of the table is an error at
        ``ensure_table``). Columns so overridden are written as the driver binds their values.
    :param durable_pages: on PostgreSQL, wait for each batch's commit to reach disk. By default batches
        commit with ``synchronous_commit = off`` (several ms less per batch): a server crash can lose only
        the latest commits, in commit order, so the load's metadata row (committed durably, after its
        batches) is lost with them and the next run loads those rows again. ``sweep``, the metadata and
        the rejects always commit durably.
    """

    def __init__(
        self,
        hook: DbApiHook,
        table: str,
        key: Sequence[str] = ("id",),
        *,
        metadata_table: str = DEFAULT_METADATA_TABLE,
        rejects_table: str = DEFAULT_REJECTS_TABLE,
        dialect: str | None = None,
        column_types: Mapping[str, str] | None = None,
        durable_pages: bool = False,
    ) -> None:
        if isinstance(key, str):
            key = (key,)
        if not key:
            raise ValueError("an upsert needs at least one key column")
        self.hook = hook
        self.key: tuple[str, ...] = tuple(key)
        self.sql_dialect: Dialect = dialect_for(hook, dialect, durable_pages=durable_pages)
        self.dialect: str = self.sql_dialect.name
        self.durable_pages = durable_pages
        self.table = _split(table)
        self.metadata_table = self._sibling(metadata_table)
        self.rejects_table = self._sibling(rejects_table)
        for parts in (self.table, self.metadata_table, self.rejects_table):
            self.sql_dialect.check_table(parts)
            for part in parts:
                self.sql_dialect.check_identifier(part, "table")
        self.column_types: dict[str, str] = dict(column_types or {})
        for name, sql_type in self.column_types.items():
            try:
                self.sql_dialect.parse_type(sql_type)
            except ValueError as error:
                raise ValueError(f"column_types[{name!r}]: {error}") from None
        self._conn: Any = None
        self._service_tables: set[tuple[str, ...]] = set()
        self._declared: dict[str, Kind] = {}
        self._typed = False  # whether typed rows may go straight in (see accepts_typed_rows)
        self._lock = threading.RLock()  # one transaction at a time, whichever thread calls
        self._open: _Transaction | None = None  # a batch transaction left open for the next batch
        self._defer_commit = False  # set during upsert(..., defer_commit=True)
        self._background: ThreadPoolExecutor | None = None  # writes page batches (batches_in_background)
        self._background_thread: int | None = None
        self._writing: Future[None] | None = None  # the batch being written there
        log.debug("SqlTableWriter for %s uses the %s dialect", self.table_sql, self.dialect)

    # --- connection and transactions ---------------------------------------------------------------

    def __enter__(self) -> SqlTableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait for a batch being written in the background, commit a batch transaction left open
        (:meth:`commit_pending`), then close the writer's kept connection (a later call opens a new one)."""
        try:
            self.commit_pending()
        finally:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            if self._background is not None and not self._in_background():
                self._background.shutdown(wait=True)
                self._background = None

    # --- batches written in the background (dialects whose engine leaves Python's lock) -------------------

    def _in_background(self) -> bool:
        return threading.get_ident() == self._background_thread

    def _settle(self) -> None:
        """Wait for the batch being written in the background, if any, and raise its error."""
        if self._in_background():
            return  # that batch itself (its transaction, its error handling)
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def _write_in_background(self, write: Callable[[], None], defer_commit: bool) -> None:
        """Run ``write`` (one batch) on the writer's background thread and return at once; the next call to
        the writer waits for it first (one batch in flight), so batches and every other transaction keep
        their order, and its error is raised there."""
        self._settle()
        if self._background is None:
            self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sql-writer-batch")

        def run() -> None:
            self._background_thread = threading.get_ident()
            with self._deferring(defer_commit):
                write()

        self._writing = self._background.submit(run)

    @property
    def connection(self) -> Any:
        """The writer's kept connection, opened by the dialect on first use."""
        if self._conn is None:
            self._conn = self.sql_dialect.connect()
        return self._conn

    @contextlib.contextmanager
    def transaction(self, *, batch: bool = False) -> Iterator[Any]:
        """A cursor inside one transaction: committed at the end, rolled back (and the connection dropped) on error.

        The connection is the dialect's ``session`` (the writer's kept one, or one per transaction).
        ``batch``: the dialect's write of one batch (``upsert``, ``upsert_typed``). When their caller said
        more batches are ready (``defer_commit``) and the dialect agrees (:meth:`Dialect.may_defer_commit`),
        the transaction stays open for the next batch, which then runs in it: whole batches still, and
        fewer commits. Any other transaction commits it first; so do :meth:`commit_pending` and :meth:`close`.
        """
        self._settle()
        with self._lock:
            if self._open is not None and not batch:
                self.commit_pending()
            current, self._open = self._open, None
            if current is None:
                current = self._begin()
            try:
                yield current.cursor
            except BaseException:
                self._finish(current, commit=False)
                raise
            if batch and self._defer_commit and self.sql_dialect.may_defer_commit(current.conn, current.opened_at):
                self._open = current
            else:
                self._finish(current, commit=True)

    def commit_pending(self) -> None:
        """Commit the batches of a transaction left open for more (``defer_commit``), if any."""
        self._settle()
        with self._lock:
            current, self._open = self._open, None
            if current is not None:
                self._finish(current, commit=True)

    def _begin(self) -> _Transaction:
        dialect = self.sql_dialect
        stack = contextlib.ExitStack()
        try:
            conn = stack.enter_context(dialect.session(self))
            cursor = dialect.cursor(conn)
            if cursor is not conn:
                stack.callback(_close_quietly, cursor)
            dialect.begin(cursor, conn)
        except BaseException:
            stack.__exit__(*sys.exc_info())
            self.close()
            raise
        return _Transaction(stack, conn, cursor, time.monotonic())

    def _finish(self, current: _Transaction, *, commit: bool) -> None:
        """Commit ``current`` and leave its session; if not ``commit`` (or the commit fails), :meth:`_abandon` it."""
        if not commit:
            self._abandon(current)
            return
        try:
            self.sql_dialect.commit(current.cursor, current.conn)
        except BaseException:
            self._abandon(current)
            raise
        current.stack.close()

    def _abandon(self, current: _Transaction) -> None:
        """Roll ``current`` back and leave its session with the error being handled; drop the kept connection."""
        with contextlib.suppress(Exception):
            self.sql_dialect.rollback(current.cursor, current.conn)
        try:
            current.stack.__exit__(*sys.exc_info())
        finally:
            self.close()

    # --- names and types -----------------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        """An identifier quoted for the dialect (by sqlglot)."""
        return self.sql_dialect.quote(identifier)

    def qualified(self, parts: Sequence[str]) -> str:
        return self.sql_dialect.table_sql(parts)

    @property
    def table_sql(self) -> str:
        return self.qualified(self.table)

    @property
    def placeholder(self) -> str:
        """The driver's parameter marker (``%s`` or ``?``)."""
        return self.sql_dialect.placeholder

    def _sibling(self, name: str) -> tuple[str, ...]:
        parts = _split(name)
        return (*self.table[:-1], *parts) if len(parts) == 1 else parts

    def sql_type(self, kind: Kind, *, key: bool = False, column: str | None = None) -> str:
        """The SQL type of a column: its ``column_types`` override, else its kind's in the dialect."""
        if column is not None and column in self.column_types:
            return self.column_types[column]
        return self.sql_dialect.column_type(kind, key=key)

    # --- table management ------------------------------------------------------------------------

    def ensure_table(self, columns: Sequence[Column]) -> list[str]:
        """Create the table if missing, add the columns it lacks; returns the columns added."""
        declared = {c.name: c for c in columns}
        missing_key = [k for k in self.key if k not in declared]
        if missing_key:
            raise ValueError(
                f"key column(s) {missing_key} of {self.table_sql} are not among the columns {sorted(declared)}"
            )
        if LOAD_ID_COLUMN in declared or LOADED_AT_COLUMN in declared:
            raise ValueError(f"{LOAD_ID_COLUMN} and {LOADED_AT_COLUMN} are the writer's bookkeeping columns")
        for name in declared:
            self.sql_dialect.check_identifier(name)
        unknown = sorted(set(self.column_types) - set(declared) - set(self._declared))
        if unknown:
            raise ValueError(
                f"column_types names column(s) {unknown} that {self.table_sql} does not have; "
                f"its columns: {sorted({*declared, *self._declared})}"
            )
        self._declared.update({c.name: c.kind for c in columns})
        wanted = [(c.name, self.sql_type(c.kind, key=c.name in self.key, column=c.name)) for c in columns]
        wanted += [(LOAD_ID_COLUMN, self.sql_type("text")), (LOADED_AT_COLUMN, self.sql_type("timestamp"))]
        added = self._ensure(self.table, wanted, self.key)
        if added:
            log.info("Added column(s) %s to %s", added, self.table_sql)
        if set(self.column_types) & set(declared):
            self._typed = False  # overridden columns are written as the driver binds them
        else:
            with self.transaction() as cursor:
                actual = self.sql_dialect.existing_columns(cursor, self.table) or {}
            self._typed = self.sql_dialect.accepts_typed_rows(self, columns, actual)
        return added

    def _ensure(self, table: tuple[str, ...], wanted: Sequence[tuple[str, str]], key: Sequence[str]) -> list[str]:
        dialect = self.sql_dialect
        with self.transaction() as cursor:
            existing = dialect.existing_columns(cursor, table)
            if existing is None:
                cursor.execute(dialect.create_table(table, wanted, key))
                log.info("Created table %s", self.qualified(table))
                return []
            added = []
            for name, sql_type in wanted:
                if name not in existing:
                    cursor.execute(dialect.add_column(table, name, sql_type))
                    added.append(name)
            return added

    def table_columns(self) -> dict[str, str]:
        """The table's columns and declared types as the database reports them."""
        with self.transaction() as cursor:
            existing = self.sql_dialect.existing_columns(cursor, self.table)
        if existing is None:
            raise LookupError(f"table {self.table_sql} does not exist")
        return existing

    # --- writes --------------------------------------------------------------------------------------

    def upsert(self, frame: pd.DataFrame, load_id: str, *, defer_commit: bool = False) -> int:
        """Insert or update one batch on the key, in one transaction; returns the rows written.

        Within a batch the last row of a key wins (a key twice in one statement is an error on most
        engines). A null key is an error: ``page_to_frame`` rejects such rows first. ``defer_commit``: more
        batches are ready, so the dialect may leave the transaction open for them (see :meth:`transaction`).
        """
        if frame.empty:
            return 0
        missing = [k for k in self.key if k not in frame.columns]
        if missing:
            raise ValueError(f"the page has no key column {missing} for {self.table_sql}")
        null_keys = frame[list(self.key)].isna().any(axis=1)
        if bool(null_keys.any()):
            raise ValueError(f"{int(null_keys.sum())} row(s) of the page have a null key {list(self.key)}")
        frame = frame.drop_duplicates(subset=list(self.key), keep="last")
        kinds = {str(name): self._declared.get(str(name)) or _kind_of(frame[name]) for name in frame.columns}
        for name in kinds:
            self.sql_dialect.check_identifier(name)
        with self._deferring(defer_commit):
            self.sql_dialect.write_frame(self, frame, kinds, load_id, dt.datetime.now(dt.UTC))
        return len(frame)

    @contextlib.contextmanager
    def _deferring(self, defer_commit: bool) -> Iterator[None]:
        self._settle()  # before taking the lock: the batch in flight needs it to finish
        with self._lock:
            self._defer_commit = defer_commit
            try:
                yield
            finally:
                self._defer_commit = False

    @property
    def accepts_typed_rows(self) -> bool:
        """Whether :meth:`upsert_typed` may be used: a dialect with a typed bulk path (PostgreSQL binary COPY
        through psycopg 3) and a table whose columns have exactly the writer's types (no ``column_types``)."""
        return self._typed

    def upsert_typed(
        self,
        columns: Sequence[Column],
        rows: Sequence[tuple[Any, ...]],
        load_id: str,
        *,
        pages: Sequence[bytes] | None = None,
        defer_commit: bool = False,
    ) -> int:
        """Insert or update rows of typed values (``TypedPageDecoder``, in the order of ``columns``) on the key.

        The same contract as :meth:`upsert`: one transaction, the last row of a key wins, key order.
        ``pages``, when given, are the JSON bodies these rows were decoded from, in order: a dialect that
        parses JSON itself (DuckDB) then loads them instead of the rows, when their keys are unique.
        ``defer_commit`` as for :meth:`upsert`. Returns the rows written.
        """
        if not self._typed:
            raise RuntimeError(f"{self.table_sql} does not take typed rows (see accepts_typed_rows)")
        if not rows:
            return 0
        names = [c.name for c in columns]
        key_of = operator.itemgetter(*(names.index(k) for k in self.key))
        keys = list(map(key_of, rows))
        loaded_at = dt.datetime.now(dt.UTC)
        dialect = self.sql_dialect
        if pages and len(set(keys)) == len(keys) and dialect.accepts_pages(columns):
            if dialect.batches_in_background:
                write = functools.partial(dialect.write_pages, self, columns, list(pages), load_id, loaded_at)
                self._write_in_background(write, defer_commit)
            else:
                with self._deferring(defer_commit):
                    dialect.write_pages(self, columns, pages, load_id, loaded_at)
            return len(rows)
        latest = dict(zip(keys, rows, strict=True))  # the last row of a key wins
        ordered = [latest[k] for k in sorted(latest)]
        with self._deferring(defer_commit):
            dialect.write_typed(self, columns, ordered, load_id, loaded_at)
        return len(ordered)

    # --- full refresh: keep_keys and sweep ---------------------------------------------------------------

    def keep_keys(self, keys: Sequence[tuple[Any, ...]], load_id: str) -> int:
        """Mark existing rows of these keys as written by ``load_id``, so the sweep keeps them.

        For rows whose new version was rejected: their previous copy stays. Key values are the API's raw
        values (text mostly), cast to the key columns' kinds; one that does not cast (``"abc"`` for an
        integer key) matches no stored row and is skipped. Returns how many rows were marked.
        """
        from airflow_provider_360learning.transfers.dialects.base import rowcount

        if not keys:
            return 0
        parameters = []
        for values in keys:
            values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
            if len(values) != len(self.key):
                raise ValueError(f"key value {values!r} does not match the key {list(self.key)} of {self.table_sql}")
            try:
                cast = tuple(
                    _cast_key(value, self._declared.get(name, "text"), name)
                    for name, value in zip(self.key, values, strict=True)
                )
            except ValueError as error:  # no stored row can have it: nothing to keep, and no reason to fail
                log.debug("key %r of %s cannot be kept: %s", values, self.table_sql, error)
                continue
            parameters.append((load_id, *(self.sql_dialect.bind_value(v) for v in cast)))
        if not parameters:
            return 0
        with self.transaction() as cursor:
            statement = self.sql_dialect.keep_keys_statement(self.table, self.key)
            kept = 0
            for row in parameters:  # one by one: executemany's rowcount is not portable
                cursor.execute(statement, row)
                kept += max(rowcount(cursor), 0)
        log.info("Kept the previous copy of %s row(s) of %s whose new version was rejected", kept, self.table_sql)
        return kept

    def sweep(
        self,
        load_id: str,
        *,
        max_share: float = DEFAULT_MAX_DELETE_SHARE,
        allow_mass_delete: bool = False,
        sample: int = SWEEP_SAMPLE,
    ) -> SweepResult:
        """After a full load: delete the rows ``load_id`` did not write (objects deleted upstream), in one transaction.

        Refused (nothing deleted, :class:`ThreeSixtyLearningMassDeleteError`) when they are more than
        ``max_share`` of the table, unless ``allow_mass_delete``: an answer that ended early would
        otherwise wipe what it did not list. Logs how many rows went and a sample of their keys.
        """
        from airflow_provider_360learning.transfers.dialects.base import rowcount

        if not 0 <= max_share <= 1:
            raise ValueError(f"max_share must be between 0 and 1, not {max_share!r}")
        dialect = self.sql_dialect
        with self.transaction() as cursor:
            cursor.execute(dialect.count_statement(self.table, not_loaded=False))
            total = int(cursor.fetchone()[0])
            cursor.execute(dialect.count_statement(self.table, not_loaded=True), (load_id,))
            stale = int(cursor.fetchone()[0])
            share = stale / total if total else 0.0
            if share > max_share and not allow_mass_delete:
                raise ThreeSixtyLearningMassDeleteError(self.table_sql, stale, total, share, max_share)
            keys: list[tuple[Any, ...]] = []
            if stale:
                cursor.execute(dialect.sample_not_loaded_statement(self.table, self.key, sample), (load_id,))
                keys = [tuple(row) for row in cursor.fetchall()]
                cursor.execute(dialect.delete_not_loaded_statement(self.table), (load_id,))
                deleted = rowcount(cursor)
                if deleted != stale and deleted > 0:
                    log.debug("%s: %s row(s) counted, %s deleted", self.table_sql, stale, deleted)
                stale = deleted if deleted > 0 else stale
        log.info(
            "Full refresh removed %s of %s row(s) (%.1f%%) of %s not returned by the API any more%s",
            stale,
            total,
            100 * share,
            self.table_sql,
            f"; keys {keys}{' ...' if stale > len(keys) else ''}" if keys else "",
        )
        return SweepResult(deleted=stale, total_before=total, share=share, sample_keys=keys)

    # --- load metadata -------------------------------------------------------------------------------

    def _ensure_service_table(
        self, table: tuple[str, ...], columns: Sequence[tuple[str, Kind]], key: Sequence[str]
    ) -> None:
        if table in self._service_tables:
            return
        wanted = [(n, self.sql_dialect.column_type(k, key=n in key)) for n, k in columns]
        self._ensure(table, wanted, key)
        self._service_tables.add(table)

    _METADATA_COLUMNS: Sequence[tuple[str, Kind]] = (
        ("load_key", "text"),
        ("table_name", "text"),
        ("run_id", "text"),
        ("mode", "text"),
        ("status", "text"),
        ("rows_loaded", "integer"),
        ("rows_rejected", "integer"),
        ("watermark", "timestamp"),
        ("started_at", "timestamp"),
        ("finished_at", "timestamp"),
    )

    def record_load(
        self,
        run_id: str,
        table: str,
        rows: int,
        rejected: int,
        watermark: dt.datetime | None,
        mode: str,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        *,
        status: str = "success",
    ) -> None:
        """Record one finished load of ``table`` (one row per table, run and start; a retried record replaces it)."""
        from airflow_provider_360learning.transfers.dialects.base import iso, utc

        self._ensure_service_table(self.metadata_table, self._METADATA_COLUMNS, ("load_key",))
        started = utc(started_at)
        values: dict[str, Any] = {
            "load_key": f"{table}|{run_id}|{iso(started)}",
            "table_name": table,
            "run_id": run_id,
            "mode": mode,
            "status": status,
            "rows_loaded": int(rows),
            "rows_rejected": int(rejected),
            "watermark": watermark and utc(watermark),
            "started_at": started,
            "finished_at": utc(finished_at),
        }
        self._replace_rows(self.metadata_table, ("load_key",), [values])

    def last_watermark(self, table: str) -> dt.datetime | None:
        """The watermark of the latest successful load of ``table`` that had one (None before the first)."""
        self._ensure_service_table(self.metadata_table, self._METADATA_COLUMNS, ("load_key",))
        with self.transaction() as cursor:
            cursor.execute(self.sql_dialect.latest_watermark_statement(self.metadata_table), (table, "success"))
            row = cursor.fetchone()
        return None if row is None else _from_db_timestamp(row[0])

    def last_rows(self, table: str, mode: str) -> int | None:
        """Rows of the latest successful ``mode`` load of ``table`` (None before the first): the size a transfer
        expects, to choose between one stream and a partitioned read."""
        self._ensure_service_table(self.metadata_table, self._METADATA_COLUMNS, ("load_key",))
        with self.transaction() as cursor:
            cursor.execute(self.sql_dialect.latest_load_statement(self.metadata_table), (table, "success", mode))
            row = cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def rows_per_value(self, column: str) -> dict[str, int]:
        """Rows of the table per value of ``column`` (nulls left out): how a partitioned read sizes its
        partitions from the previous load (empty when the table has no such column)."""
        existing = self.table_columns()
        if column not in existing:
            return {}
        col = self.quote(column)
        with self.transaction() as cursor:
            cursor.execute(f"SELECT {col}, COUNT(*) FROM {self.table_sql} WHERE {col} IS NOT NULL GROUP BY {col}")
            return {str(value): int(count) for value, count in cursor.fetchall()}

    # --- rejects -------------------------------------------------------------------------------------

    _REJECT_COLUMNS: Sequence[tuple[str, Kind]] = (
        ("reject_id", "text"),
        ("table_name", "text"),
        ("row_key", "text"),
        ("reason", "text"),
        ("payload", "text"),
        ("run_id", "text"),
        ("rejected_at", "timestamp"),
    )

    def write_rejects(self, table: str, run_id: str, rejects: Sequence[Reject]) -> int:
        """Store rejected rows (a retry of the same run rewrites, not duplicates, them); returns how many."""
        if not rejects:
            return 0
        self._ensure_service_table(self.rejects_table, self._REJECT_COLUMNS, ("reject_id",))
        now = dt.datetime.now(dt.UTC)
        rows = {}
        for reject in rejects:
            digest = hashlib.sha256(f"{table}\x00{run_id}\x00{reject.payload}".encode()).hexdigest()
            rows[digest] = {
                "reject_id": digest,
                "table_name": table,
                "row_key": reject.key,
                "reason": reject.reason,
                "payload": reject.payload,
                "run_id": run_id,
                "rejected_at": now,
            }
        self._replace_rows(self.rejects_table, ("reject_id",), list(rows.values()))
        return len(rows)

    def _replace_rows(self, table: tuple[str, ...], key: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        """Small upsert of service rows (delete-then-insert: the same on every engine, atomic in its transaction)."""
        names = list(rows[0])
        bind = self.sql_dialect.bind_value
        values = [tuple(bind(v) for v in row.values()) for row in rows]
        delete = self.sql_dialect.delete_keys_statement(table, key)
        with self.transaction() as cursor:
            for row in rows:
                cursor.execute(delete, tuple(row[k] for k in key))
            cursor.executemany(self.sql_dialect.insert_statement(table, names), values)


# --- helpers -------------------------------------------------------------------------------------------


def _split(name: str) -> tuple[str, ...]:
    parts = tuple(part.strip().strip('"') for part in name.split("."))
    if not all(parts):
        raise ValueError(f"invalid table name {name!r}")
    return parts


def _cast_key(value: Any, kind: Kind, column: str) -> Any:
    """A raw API key value as the key column stores it (integers of integer columns, text otherwise)."""
    if value is None:
        raise ValueError(f"key column {column!r}: a null key cannot be kept")
    if kind == "integer" and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"key column {column!r}: {value!r} is not an integer") from None
    if kind == "float":
        return float(value)
    if kind == "timestamp":
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
    return value if isinstance(value, str) else str(value)


def _from_db_timestamp(value: Any) -> dt.datetime:
    from airflow_provider_360learning.transfers.dialects.base import utc

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return utc(value)


def _kind_of(series: pd.Series) -> Kind:
    """A frame column's kind from its dtype (json and text are both strings: same handling)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if isinstance(dtype, pd.StringDtype) or pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return "text"
    return "json"  # object columns of other values: serialised as JSON


__all__ = [
    "DEFAULT_MAX_DELETE_SHARE",
    "DEFAULT_METADATA_TABLE",
    "DEFAULT_REJECTS_TABLE",
    "LOADED_AT_COLUMN",
    "LOAD_ID_COLUMN",
    "SqlTableWriter",
    "SweepResult",
    "embedded_warehouse_path",
    "sqlite_file_hook",
]


def __getattr__(name: str) -> Any:
    """``embedded_hook`` here was the SQLite file hook while SQLite was the embedded default: it now points,
    with a deprecation warning, at the embedded default of ``transfers.embedded`` (a DuckDB file)."""
    if name == "embedded_hook":
        import warnings

        from airflow.exceptions import AirflowProviderDeprecationWarning

        from airflow_provider_360learning.transfers.embedded import embedded_hook

        warnings.warn(
            "transfers.sql_writer.embedded_hook is deprecated: the embedded default is a DuckDB file, "
            "transfers.embedded.embedded_hook; for a SQLite file use transfers.sql_writer.sqlite_file_hook",
            AirflowProviderDeprecationWarning,
            stacklevel=2,
        )
        return embedded_hook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
