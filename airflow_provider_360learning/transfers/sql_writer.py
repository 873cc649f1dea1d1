"""Write typed frames into a table of any database that has an Airflow common.sql ``DbApiHook``.

The writer owns what a resumable, idempotent load needs from the destination, whatever it is:

* ``ensure_table``: the table, its primary key and bookkeeping columns (``_load_id``, ``_loaded_at``),
  and one ``ALTER TABLE ... ADD COLUMN`` per new API field, so a schema change is never a failure;
* ``upsert``: one page in one transaction, insert-or-update on the key, so a retried page writes the
  same rows and never duplicates;
* ``delete_not_loaded``: after a full load, the rows it did not touch (objects deleted upstream);
* a load-metadata table (watermarks for incremental loads) and a rejects table (rows that did not fit).

Dialects, detected from the hook's ``dialect_name`` (then its connection type):

============  =====================================================================================
postgresql    ``COPY`` (text format, streamed in chunks) into a temporary staging table of the
              connection (psycopg 3 ``cursor.copy`` or psycopg2 ``copy_expert``), then
              ``INSERT ... SELECT ... ORDER BY key ON CONFLICT (key) DO UPDATE``: key order makes
              concurrent writers of overlapping pages wait for each other instead of deadlocking.
              Pages commit with ``synchronous_commit = off`` unless ``durable_pages``.
sqlite        ``INSERT ... ON CONFLICT (key) DO UPDATE`` with ``executemany`` (SQLite >= 3.24);
              ``BEGIN IMMEDIATE`` and a busy timeout, so concurrent tasks writing one file queue
              instead of failing; WAL journal, so readers do not block the writer.
duckdb        the page registered as a view, then ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``
              (DuckDB's ``executemany`` upsert runs at under 1,000 rows/s).
anything else the ANSI path: ``DELETE`` the page's keys then ``INSERT`` them, in one transaction,
              with the hook's placeholder; column types can be overridden with ``column_types``.
============  =====================================================================================

The embedded default database is SQLite through the official ``apache-airflow-providers-sqlite``
(see :func:`embedded_hook`): DuckDB allows one writing process per file, so parallel Airflow tasks
loading into the same DuckDB file fail with a lock error, where SQLite makes them wait their turn.

A writer keeps one database connection, opened on first use, and runs one transaction at a time; use it
from one thread (SqliteHook connections refuse other threads; the embedded hook's accept them), and
``close()`` it or use it as a context manager.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import io
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_360learning.transfers.tabular import Column, Kind, Reject

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from airflow.providers.common.sql.hooks.sql import DbApiHook
else:  # imported at first use: a DAG file importing this module (embedded_warehouse_path) stays light

    class _ImportedOnUse:
        """A module imported at its first attribute access, which then replaces this placeholder."""

        def __init__(self, name: str, alias: str) -> None:
            self._name, self._alias = name, alias

        def __getattr__(self, attribute: str) -> Any:
            module = importlib.import_module(self._name)
            globals()[self._alias] = module
            return getattr(module, attribute)

    np = _ImportedOnUse("numpy", "np")
    pd = _ImportedOnUse("pandas", "pd")

log = logging.getLogger(__name__)

Dialect = Literal["postgresql", "sqlite", "duckdb", "generic"]
LOAD_ID_COLUMN = "_load_id"
LOADED_AT_COLUMN = "_loaded_at"
DEFAULT_METADATA_TABLE = "_360learning_loads"
DEFAULT_REJECTS_TABLE = "_360learning_rejects"
EMBEDDED_CONN_ID = "360learning_embedded"
COPY_CHUNK_ROWS = 500
UNIQUE_VIOLATION = "23505"  # SQLSTATE of a duplicate key
SQLITE_BUSY_TIMEOUT_MS = 600_000  # parallel tasks queue on one file; a page takes milliseconds

COLUMN_TYPES: Mapping[Dialect, Mapping[Kind, str]] = {
    "postgresql": {
        "text": "text",
        "timestamp": "timestamptz",
        "integer": "bigint",
        "float": "double precision",
        "boolean": "boolean",
        "json": "jsonb",
    },
    # SQLite has no date or JSON types: ISO-8601 UTC text sorts and works with date() and json_extract().
    "sqlite": {
        "text": "TEXT",
        "timestamp": "TEXT",
        "integer": "INTEGER",
        "float": "REAL",
        "boolean": "INTEGER",
        "json": "TEXT",
    },
    "duckdb": {
        "text": "VARCHAR",
        "timestamp": "TIMESTAMPTZ",
        "integer": "BIGINT",
        "float": "DOUBLE",
        "boolean": "BOOLEAN",
        "json": "JSON",
    },
    "generic": {
        "text": "VARCHAR(4000)",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "integer": "BIGINT",
        "float": "DOUBLE PRECISION",
        "boolean": "BOOLEAN",
        "json": "VARCHAR(4000)",
    },
}
# PostgreSQL binary COPY of typed rows: each kind's type name for psycopg, and the column's
# information_schema data_type the binary encoding requires (COLUMN_TYPES["postgresql"] as reported).
BINARY_COPY_TYPES: Mapping[Kind, tuple[str, str]] = {
    "text": ("text", "text"),
    "timestamp": ("timestamptz", "timestamp with time zone"),
    "integer": ("int8", "bigint"),
    "float": ("float8", "double precision"),
    "boolean": ("bool", "boolean"),
    "json": ("jsonb", "jsonb"),
}
# A text primary key needs a bounded type on some engines (MySQL, SQL Server).
GENERIC_KEY_TEXT_TYPE = "VARCHAR(255)"

_DIALECT_ALIASES: Mapping[str, Dialect] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
# COPY text format: backslash, tab, newline and carriage return escaped; NUL (which PostgreSQL text cannot hold) dropped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})
_COPY_NULL = "\\N"


def detect_dialect(hook: Any) -> Dialect:
    """The writer's dialect for a hook: its ``dialect_name``, else its connection type, else generic."""
    for attribute in ("dialect_name", "conn_type"):
        try:
            name = getattr(hook, attribute, None)
        except Exception:  # a dialect_name that cannot build a URI must not stop the load
            log.debug("hook %s has no usable %s", type(hook).__name__, attribute, exc_info=True)
            continue
        if isinstance(name, str) and name.split("+", 1)[0].lower() in _DIALECT_ALIASES:
            return _DIALECT_ALIASES[name.split("+", 1)[0].lower()]
    return "generic"


def _quote_char(hook: Any) -> str:
    """Identifier quote of a generic hook: backticks for MySQL/MariaDB, else the hook's ``escape_word_format``."""
    with contextlib.suppress(Exception):
        if str(getattr(hook, "dialect_name", "")).split("+", 1)[0].lower() in ("mysql", "mariadb"):
            return "`"
    with contextlib.suppress(Exception):
        escape = getattr(hook, "escape_word_format", None)
        if isinstance(escape, str) and len(escape) == 4 and escape[1:3] == "{}" and escape[0] == escape[3]:
            return escape[0]
    return '"'


def embedded_warehouse_path() -> str:
    """The embedded default warehouse of the example DAGs: ``$AIRFLOW_HOME/360learning_warehouse.db``."""
    import os

    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return str(Path(home) / "360learning_warehouse.db")


def embedded_hook(path: str | Path) -> DbApiHook:
    """A SQLite hook on the file at ``path`` (created with its folder), for loads with no connection defined."""
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook
    from airflow.sdk import Connection

    file = Path(path).expanduser().resolve()
    file.parent.mkdir(parents=True, exist_ok=True)

    class EmbeddedSqliteHook(SqliteHook):
        """SqliteHook bound to one file, without an Airflow connection to look up."""

        def get_conn(self) -> sqlite3.Connection:
            # A writer may be built in one thread and used in another (the operator's loader thread);
            # it never uses its connection from two threads at once.
            return sqlite3.connect(str(file), check_same_thread=False)

        def get_uri(self) -> str:
            return f"sqlite:///{file}"

    return EmbeddedSqliteHook(
        sqlite_conn_id=EMBEDDED_CONN_ID,
        connection=Connection(conn_id=EMBEDDED_CONN_ID, conn_type="sqlite", host=str(file)),
    )


class SqlTableWriter:
    """Idempotent, page-at-a-time writer of one table (plus the shared metadata and rejects tables).

    :param hook: the destination's common.sql hook (``BaseHook.get_connection(id).get_hook()``).
    :param table: the table, optionally schema-qualified (``analytics.path_stats``).
    :param key: warehouse columns of the primary key that upserts match on.
    :param metadata_table: load metadata table; unqualified, it goes in the table's schema.
    :param rejects_table: rejected rows table; unqualified, it goes in the table's schema.
    :param dialect: force a dialect instead of detecting it (``generic`` for the ANSI path).
    :param column_types: per-kind SQL types overriding the dialect's (for engines the generic path guesses wrong).
    :param durable_pages: on PostgreSQL, wait for each page's commit to reach disk. By default pages commit
        with ``synchronous_commit = off`` (several ms less per page): a server crash can lose only the
        latest commits, in commit order, so the load's metadata row (committed durably, after its pages)
        is lost with them and the next run loads those rows again. ``delete_not_loaded``, the metadata
        and the rejects always commit durably.
    """

    def __init__(
        self,
        hook: DbApiHook,
        table: str,
        key: Sequence[str] = ("id",),
        *,
        metadata_table: str = DEFAULT_METADATA_TABLE,
        rejects_table: str = DEFAULT_REJECTS_TABLE,
        dialect: Dialect | None = None,
        column_types: Mapping[Kind, str] | None = None,
        durable_pages: bool = False,
    ) -> None:
        if isinstance(key, str):
            key = (key,)
        if not key:
            raise ValueError("an upsert needs at least one key column")
        self.hook = hook
        self.key: tuple[str, ...] = tuple(key)
        self.dialect: Dialect = dialect or detect_dialect(hook)
        self.types: dict[Kind, str] = {**COLUMN_TYPES[self.dialect], **(column_types or {})}
        self.table = _split(table)
        self.metadata_table = self._sibling(metadata_table)
        self.rejects_table = self._sibling(rejects_table)
        self._conn: Any = None
        self._service_tables: set[tuple[str, ...]] = set()
        self._declared: dict[str, Kind] = {}
        self._async_commit = False
        self._copy_direct = True  # PostgreSQL: COPY straight into the table until a key is found there
        self._typed_kinds: dict[str, Kind] | None = None  # column -> kind, when typed rows may go straight in
        self._lock = threading.RLock()  # one transaction at a time, whichever thread calls
        self.durable_pages = durable_pages
        self._quote_char = _quote_char(hook) if self.dialect == "generic" else '"'
        if self.dialect == "sqlite" and sqlite3.sqlite_version_info < (3, 24, 0):
            log.warning("SQLite %s has no upsert; using the generic delete-and-insert path", sqlite3.sqlite_version)
            self.dialect = "generic"
        log.debug("SqlTableWriter for %s uses the %s dialect", self.table_sql, self.dialect)

    # --- connection and transactions ---------------------------------------------------------------

    def __enter__(self) -> SqlTableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the writer's connection (a later call opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    @property
    def connection(self) -> Any:
        if self._conn is None:
            conn = self.hook.get_conn()
            if self.dialect == "sqlite":
                conn.isolation_level = None  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
                conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA journal_mode = WAL")
            elif self.dialect == "postgresql":
                if getattr(conn, "autocommit", False):
                    conn.autocommit = False
                self._async_commit = not self.durable_pages and _has_setting(conn, "synchronous_commit")
            elif self.dialect == "generic":
                with contextlib.suppress(Exception):
                    self.hook.set_autocommit(conn, False)
            self._conn = conn
        return self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed at the end, rolled back (and the connection dropped) on error."""
        with self._lock:
            yield from self._transaction()

    def _transaction(self) -> Iterator[Any]:
        conn = self.connection
        # A DuckDB cursor is a second connection with its own transaction: use the connection itself.
        cursor = conn if self.dialect == "duckdb" else _tuple_cursor(conn)
        try:
            if self.dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            elif self.dialect == "duckdb":
                conn.begin()
            yield cursor
            if self.dialect == "sqlite":
                cursor.execute("COMMIT")
            else:
                conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                if self.dialect == "sqlite":
                    cursor.execute("ROLLBACK")
                else:
                    conn.rollback()
            self.close()
            raise
        finally:
            if cursor is not conn:
                with contextlib.suppress(Exception):
                    cursor.close()

    # --- names and types -----------------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        """An identifier quoted for the dialect: double quotes (ANSI), backticks for MySQL/MariaDB."""
        q = self._quote_char
        return q + identifier.replace(q, q + q) + q

    def qualified(self, parts: Sequence[str]) -> str:
        return ".".join(self.quote(p) for p in parts)

    @property
    def table_sql(self) -> str:
        return self.qualified(self.table)

    @property
    def placeholder(self) -> str:
        if self.dialect == "postgresql":
            return "%s"
        if self.dialect in ("sqlite", "duckdb"):
            return "?"
        return str(getattr(self.hook, "placeholder", "%s") or "%s")

    def _sibling(self, name: str) -> tuple[str, ...]:
        parts = _split(name)
        return (*self.table[:-1], *parts) if len(parts) == 1 else parts

    def sql_type(self, kind: Kind, *, key: bool = False) -> str:
        if key and kind in ("text", "json") and self.dialect == "generic" and "text" not in self._overridden:
            return GENERIC_KEY_TEXT_TYPE
        return self.types[kind]

    @property
    def _overridden(self) -> set[str]:
        return {k for k, v in self.types.items() if v != COLUMN_TYPES[self.dialect][k]}

    def _existing_columns(self, cursor: Any, table: Sequence[str]) -> dict[str, str] | None:
        """Column name -> declared type of ``table``, or None when it does not exist."""
        name, schema = table[-1], (table[-2] if len(table) > 1 else None)
        if self.dialect == "sqlite":
            pragma = (
                f"PRAGMA {self.quote(schema)}.table_info({self.quote(name)})"
                if schema
                else f"PRAGMA table_info({self.quote(name)})"
            )
            rows = cursor.execute(pragma).fetchall()
            return {row[1]: str(row[2]) for row in rows} or None
        if self.dialect in ("postgresql", "duckdb"):
            p = self.placeholder
            schema_sql = p if schema else "current_schema()"
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = {schema_sql} AND table_name = {p} ORDER BY ordinal_position",
                (schema, name) if schema else (name,),
            )
            return {row[0]: str(row[1]) for row in cursor.fetchall()} or None
        return self._generic_existing_columns(table)

    def _generic_existing_columns(self, table: Sequence[str]) -> dict[str, str] | None:
        """ANSI probe in a transaction of its own (a failed statement aborts a transaction on some engines)."""
        conn = self.connection
        cursor = conn.cursor()
        try:
            cursor.execute(f"SELECT * FROM {self.qualified(table)} WHERE 1 = 0")
            names = {d[0]: "" for d in cursor.description or ()}
            conn.commit()
            return names
        except Exception:
            with contextlib.suppress(Exception):
                conn.rollback()
            return None
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

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
        self._declared.update({c.name: c.kind for c in columns})
        wanted = [(c.name, self.sql_type(c.kind, key=c.name in self.key)) for c in columns]
        wanted += [(LOAD_ID_COLUMN, self.sql_type("text")), (LOADED_AT_COLUMN, self.sql_type("timestamp"))]
        added = self._ensure(self.table, wanted, self.key)
        if added:
            log.info("Added column(s) %s to %s", added, self.table_sql)
        self._check_typed_rows(columns)
        return added

    def _ensure(self, table: tuple[str, ...], wanted: Sequence[tuple[str, str]], key: Sequence[str]) -> list[str]:
        existing = None if self.dialect != "generic" else self._generic_existing_columns(table)
        with self.transaction() as cursor:
            if self.dialect != "generic":
                existing = self._existing_columns(cursor, table)
            if existing is None:
                body = ", ".join(f"{self.quote(n)} {t}" for n, t in wanted)
                pk = ", ".join(self.quote(k) for k in key)
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.qualified(table)} ({body}, PRIMARY KEY ({pk}))")
                log.info("Created table %s", self.qualified(table))
                return []
            added = []
            for name, sql_type in wanted:
                if name in existing:
                    continue
                if_not_exists = " IF NOT EXISTS" if self.dialect in ("postgresql", "duckdb") else ""
                cursor.execute(
                    f"ALTER TABLE {self.qualified(table)} ADD COLUMN{if_not_exists} {self.quote(name)} {sql_type}"
                )
                added.append(name)
            return added

    def table_columns(self) -> dict[str, str]:
        """The table's columns and declared types as the database reports them."""
        if self.dialect == "generic":
            existing = self._generic_existing_columns(self.table)
        else:
            with self.transaction() as cursor:
                existing = self._existing_columns(cursor, self.table)
        if existing is None:
            raise LookupError(f"table {self.table_sql} does not exist")
        return existing

    # --- writes --------------------------------------------------------------------------------------

    def upsert(self, frame: pd.DataFrame, load_id: str) -> int:
        """Insert or update one page on the key, in one transaction; returns the rows written.

        Within a page the last row of a key wins (a key twice in one statement is an error on
        PostgreSQL and DuckDB). A null key is an error: ``page_to_frame`` rejects such rows first.
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
        loaded_at = dt.datetime.now(dt.UTC)
        if self.dialect == "postgresql":
            self._upsert_postgres(frame, load_id, loaded_at)
        elif self.dialect == "duckdb":
            self._upsert_duckdb(frame, load_id, loaded_at)
        else:
            self._upsert_executemany(frame, load_id, loaded_at)
        return len(frame)

    def _update_set(self, names: Sequence[str]) -> str:
        return ", ".join(f"{self.quote(n)} = excluded.{self.quote(n)}" for n in names if n not in self.key)

    def _kinds(self, frame: pd.DataFrame) -> dict[str, Kind]:
        """Each frame column's kind: as declared to ``ensure_table``, else from its dtype (json looks like text)."""
        return {str(name): self._declared.get(str(name)) or _kind_of(frame[name]) for name in frame.columns}

    def _upsert_postgres(self, frame: pd.DataFrame, load_id: str, loaded_at: dt.datetime) -> None:
        kinds = self._kinds(frame)
        ordered = frame.sort_values(list(self.key), kind="stable")

        def copy_into(cursor: Any, target: str) -> None:
            self._copy(cursor, target, ordered, kinds, load_id, loaded_at)

        self._postgres_load([*kinds], copy_into)

    def _postgres_load(self, names: Sequence[str], copy_into: Callable[[Any, str], None]) -> None:
        """COPY rows straight into the table while their keys are new there, else COPY into staging and merge.

        ``copy_into(cursor, "table (columns)")`` appends the rows, in key order. The direct COPY runs under
        a savepoint: the first key already in the table aborts it (nothing of the batch stays) and from
        then on this writer merges. New rows so cost one COPY, not a COPY, a second write and an index
        probe each; re-loads and overlapping increments pay one failed attempt. Rows go in key order
        either way: two writers loading overlapping pages at once lock keys in the same order (they
        wait for each other, never deadlock).
        """
        names = [*names, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        column_list = ", ".join(self.quote(n) for n in names)
        conflict = ", ".join(self.quote(k) for k in self.key)
        with self.transaction() as cursor:
            if self._async_commit:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if self._copy_direct and (hasattr(cursor, "copy") or hasattr(cursor, "copy_expert")):
                cursor.execute("SAVEPOINT direct_copy")
                try:
                    copy_into(cursor, f"{self.table_sql} ({column_list})")
                    return
                except Exception as error:
                    if UNIQUE_VIOLATION not in (getattr(error, "sqlstate", None), getattr(error, "pgcode", None)):
                        raise
                    cursor.execute("ROLLBACK TO SAVEPOINT direct_copy")
                    self._copy_direct = False
                    log.debug("%s already holds keys of this load: merging through staging", self.table_sql)
            staging = self._postgres_staging(cursor, names)
            copy_into(cursor, f"{staging} ({column_list})")
            cursor.execute(
                f"INSERT INTO {self.table_sql} ({column_list}) SELECT {column_list} FROM {staging} "
                f"ORDER BY {conflict} ON CONFLICT ({conflict}) DO UPDATE SET {self._update_set(names)}"
            )

    # --- typed rows (``TypedPageDecoder``): PostgreSQL binary COPY ------------------------------------------

    @property
    def accepts_typed_rows(self) -> bool:
        """Whether :meth:`upsert_typed` may be used: PostgreSQL through psycopg 3, columns of the writer's types.

        Binary COPY needs every column to have exactly the type the value is encoded for, so a table
        created elsewhere with other types (``numeric``, ``varchar``...) or overridden ``column_types``
        keeps the frame path of :meth:`upsert`. SQLite keeps it too: it stores timestamps as text, and
        typed rows formatted one by one measured no faster there than the frame's vectorised formatting,
        SQLite's own insert being the limit (``benchmarks/README.md``).
        """
        return self._typed_kinds is not None

    def _check_typed_rows(self, columns: Sequence[Column]) -> None:
        """After ``ensure_table``: decide whether typed rows can go straight into this table."""
        self._typed_kinds = None
        if self.dialect != "postgresql" or self._overridden:
            return
        module = type(self.connection).__module__
        if not module.startswith("psycopg") or module.startswith("psycopg2"):
            return
        wanted = {c.name: c.kind for c in columns}
        expected = {
            **{n: BINARY_COPY_TYPES[k][1] for n, k in wanted.items()},
            LOAD_ID_COLUMN: "text",
            LOADED_AT_COLUMN: "timestamp with time zone",
        }
        actual = self.table_columns()
        if any(actual.get(name) != data_type for name, data_type in expected.items()):
            log.info("%s has columns of other types than the writer's: text COPY for every batch", self.table_sql)
            return
        from psycopg.types.json import set_json_dumps

        from airflow_provider_360learning.transfers.tabular import encode_json

        set_json_dumps(encode_json, context=self.connection)  # jsonb values: msgspec, sorted keys
        self._typed_kinds = wanted

    def upsert_typed(self, columns: Sequence[Column], rows: Sequence[tuple[Any, ...]], load_id: str) -> int:
        """Insert or update rows of typed values (``TypedPageDecoder``, in the order of ``columns``) on the key.

        The same contract as :meth:`upsert`: one transaction, the last row of a key wins, key order,
        direct COPY while keys are new, then staging and merge; in binary, so psycopg encodes the values
        in C and no text is built in Python. Returns the rows written.
        """
        kinds = self._typed_kinds
        if kinds is None:
            raise RuntimeError(f"{self.table_sql} does not take typed rows (see accepts_typed_rows)")
        if not rows:
            return 0
        names = [c.name for c in columns]
        positions = [names.index(k) for k in self.key]
        key_of = (
            (lambda row: row[positions[0]]) if len(positions) == 1 else (lambda row: tuple(row[p] for p in positions))
        )
        latest = {key_of(row): row for row in rows}  # the last row of a key wins
        ordered = [latest[k] for k in sorted(latest)]
        loaded_at = dt.datetime.now(dt.UTC)
        types = [BINARY_COPY_TYPES[kinds[n]][0] for n in names] + ["text", "timestamptz"]
        extra = (load_id, loaded_at)

        def copy_into(cursor: Any, target: str) -> None:
            with cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                write = copy.write_row
                for row in ordered:
                    write(row + extra)

        self._postgres_load(names, copy_into)
        return len(ordered)

    def _copy(
        self,
        cursor: Any,
        target: str,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        """Append the page to ``target`` (``table (columns)``) with COPY, in COPY text format."""
        constants = {LOAD_ID_COLUMN: load_id, LOADED_AT_COLUMN: _iso(loaded_at)}
        if hasattr(cursor, "copy"):  # psycopg 3: the server parses a chunk while the next is built
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for chunk in _copy_chunks(frame, kinds, constants, COPY_CHUNK_ROWS):
                    copy.write(chunk)
        elif hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(_copy_text(frame, kinds, constants)))
        else:  # another PostgreSQL driver: rows through executemany
            marks = ", ".join(["%s"] * (len(kinds) + 2))
            cursor.executemany(
                f"INSERT INTO {target} VALUES ({marks})", _rows(frame, kinds, "native", load_id, loaded_at)
            )

    def _postgres_staging(self, cursor: Any, names: Sequence[str]) -> str:
        """The session's staging table for these columns: the target's exact types, emptied at each commit.

        Made once per session and column set (a temporary table per page costs catalog churn), and looked
        up in each transaction, since a transaction-pooling proxy (PgBouncer) may hand over another session.
        """
        digest = hashlib.sha1("\x00".join((*self.table, *names)).encode(), usedforsecurity=False).hexdigest()[:12]
        name = f"_stage_{digest}"
        cursor.execute("SELECT to_regclass(%s)", (f"pg_temp.{self.quote(name)}",))
        row = cursor.fetchone()
        if row is None or row[0] is None:
            column_list = ", ".join(self.quote(n) for n in names)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.quote(name)} ON COMMIT DELETE ROWS AS "
                f"SELECT {column_list} FROM {self.table_sql} WITH NO DATA"
            )
        return f"pg_temp.{self.quote(name)}"

    def _upsert_duckdb(self, frame: pd.DataFrame, load_id: str, loaded_at: dt.datetime) -> None:
        kinds = self._kinds(frame)
        names = [*kinds, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        view = f"_stage_{id(self):x}"
        column_list = ", ".join(self.quote(n) for n in names)
        select_list = ", ".join(self.quote(n) for n in kinds)
        conflict = ", ".join(self.quote(k) for k in self.key)
        with self.transaction() as conn:
            conn.register(view, frame)
            try:
                conn.execute(
                    f"INSERT INTO {self.table_sql} ({column_list}) SELECT {select_list}, ?, ? FROM {self.quote(view)} "
                    f"ON CONFLICT ({conflict}) DO UPDATE SET {self._update_set(names)}",
                    (load_id, loaded_at),
                )
            finally:
                conn.unregister(view)

    def _upsert_executemany(self, frame: pd.DataFrame, load_id: str, loaded_at: dt.datetime) -> None:
        kinds = self._kinds(frame)
        names = [*kinds, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        column_list = ", ".join(self.quote(n) for n in names)
        marks = ", ".join([self.placeholder] * len(names))
        timestamps: Literal["iso", "native"] = "iso" if self.dialect == "sqlite" else "native"
        rows = _rows(frame, kinds, timestamps, load_id, loaded_at)
        with self.transaction() as cursor:
            if self.dialect == "sqlite":
                conflict = ", ".join(self.quote(k) for k in self.key)
                update = self._update_set(names)
                cursor.executemany(
                    f"INSERT INTO {self.table_sql} ({column_list}) VALUES ({marks}) "
                    f"ON CONFLICT ({conflict}) DO UPDATE SET {update}",
                    rows,
                )
            else:
                where = " AND ".join(f"{self.quote(k)} = {self.placeholder}" for k in self.key)
                positions = [names.index(k) for k in self.key]
                cursor.executemany(
                    f"DELETE FROM {self.table_sql} WHERE {where}", [tuple(row[i] for i in positions) for row in rows]
                )
                cursor.executemany(f"INSERT INTO {self.table_sql} ({column_list}) VALUES ({marks})", rows)

    def delete_not_loaded(self, load_id: str) -> int:
        """After a full load: delete, in one transaction, the rows that load did not write; returns how many."""
        with self.transaction() as cursor:
            cursor.execute(
                f"DELETE FROM {self.table_sql} WHERE {self.quote(LOAD_ID_COLUMN)} IS NULL "
                f"OR {self.quote(LOAD_ID_COLUMN)} <> {self.placeholder}",
                (load_id,),
            )
            deleted = _rowcount(cursor)
        log.info("Full refresh removed %s row(s) of %s not returned by the API any more", deleted, self.table_sql)
        return deleted

    # --- load metadata -------------------------------------------------------------------------------

    def _ensure_service_table(
        self, table: tuple[str, ...], columns: Sequence[tuple[str, Kind]], key: Sequence[str]
    ) -> None:
        if table in self._service_tables:
            return
        wanted = [(n, self.sql_type(k, key=n in key)) for n, k in columns]
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
        self._ensure_service_table(self.metadata_table, self._METADATA_COLUMNS, ("load_key",))
        started = _utc(started_at)
        load_key = f"{table}|{run_id}|{_iso(started)}"
        values: dict[str, Any] = {
            "load_key": load_key,
            "table_name": table,
            "run_id": run_id,
            "mode": mode,
            "status": status,
            "rows_loaded": int(rows),
            "rows_rejected": int(rejected),
            "watermark": watermark and _utc(watermark),
            "started_at": started,
            "finished_at": _utc(finished_at),
        }
        self._replace_rows(self.metadata_table, ("load_key",), [values])

    def last_watermark(self, table: str) -> dt.datetime | None:
        """The watermark of the latest successful load of ``table`` that had one (None before the first)."""
        self._ensure_service_table(self.metadata_table, self._METADATA_COLUMNS, ("load_key",))
        p = self.placeholder
        q = self.quote
        with self.transaction() as cursor:
            cursor.execute(
                f"SELECT {q('watermark')} FROM {self.qualified(self.metadata_table)} "
                f"WHERE {q('table_name')} = {p} AND {q('status')} = {p} AND {q('watermark')} IS NOT NULL "
                f"ORDER BY {q('finished_at')} DESC",
                (table, "success"),
            )
            row = cursor.fetchone()
        return None if row is None else _from_db_timestamp(row[0])

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
        """Small upsert of service rows (delete-then-insert: portable and atomic in its transaction)."""
        names = list(rows[0])
        p = self.placeholder
        where = " AND ".join(f"{self.quote(k)} = {p}" for k in key)
        marks = ", ".join([p] * len(names))
        as_text = self.dialect == "sqlite"
        values = [tuple(_iso(v) if as_text and isinstance(v, dt.datetime) else v for v in row.values()) for row in rows]
        with self.transaction() as cursor:
            for row in rows:
                cursor.execute(f"DELETE FROM {self.qualified(table)} WHERE {where}", tuple(row[k] for k in key))
            cursor.executemany(
                f"INSERT INTO {self.qualified(table)} ({', '.join(self.quote(n) for n in names)}) VALUES ({marks})",
                values,
            )


# --- helpers -------------------------------------------------------------------------------------------


def _has_setting(conn: Any, name: str) -> bool:
    """Whether a PostgreSQL-compatible server knows a setting (PostgreSQL-wire databases may not)."""
    cursor = _tuple_cursor(conn)
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


def _tuple_cursor(conn: Any) -> Any:
    """A cursor returning plain tuples, whatever cursor factory the connection's extras configure."""
    module = type(conn).__module__
    if module.startswith("psycopg2"):
        import psycopg2.extensions

        return conn.cursor(cursor_factory=psycopg2.extensions.cursor)
    if module.startswith("psycopg"):
        from psycopg.rows import tuple_row

        return conn.cursor(row_factory=tuple_row)
    return conn.cursor()


def _split(name: str) -> tuple[str, ...]:
    parts = tuple(part.strip().strip('"') for part in name.split("."))
    if not all(parts):
        raise ValueError(f"invalid table name {name!r}")
    return parts


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _iso(value: dt.datetime) -> str:
    """ISO-8601 UTC with microseconds: how timestamps are stored as text (sorts correctly)."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_db_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return _utc(value)


def _rowcount(cursor: Any) -> int:
    count = getattr(cursor, "rowcount", -1)
    if count is None or count < 0:
        with contextlib.suppress(Exception):  # DuckDB reports the count as a result row
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        return 0
    return int(count)


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


def _timestamp_strings(series: pd.Series) -> np.ndarray:
    """ISO-8601 UTC strings of a timestamp column ('NaT' where missing), vectorised in numpy."""
    return np.datetime_as_string(series.to_numpy(dtype="datetime64[us]"), unit="us", timezone="UTC")


def _column_values(series: pd.Series, kind: Kind, timestamps: Literal["iso", "native"]) -> list[Any]:
    """Python values of one column (None for missing), as DB-API drivers bind them."""
    if kind == "timestamp":
        mask = series.isna().to_numpy()
        if timestamps == "iso":
            texts = _timestamp_strings(series).tolist()
            return [None if m else t for t, m in zip(texts, mask, strict=True)]
        naive = series.to_numpy(dtype="datetime64[us]").astype(object)  # UTC wall time, tz-aware or not
        return [None if m else v.replace(tzinfo=dt.UTC) for v, m in zip(naive, mask, strict=True)]
    values = series.array.to_numpy(dtype=object, na_value=None).tolist()
    if kind == "json" and not isinstance(series.dtype, pd.StringDtype):
        return [None if v is None else _json_text(v) for v in values]
    return values


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _rows(
    frame: pd.DataFrame,
    kinds: Mapping[str, Kind],
    timestamps: Literal["iso", "native"],
    load_id: str,
    loaded_at: dt.datetime,
) -> list[tuple[Any, ...]]:
    columns = [_column_values(frame[name], kind, timestamps) for name, kind in kinds.items()]
    stamp = _iso(loaded_at) if timestamps == "iso" else loaded_at
    n = len(frame)
    return list(zip(*columns, [load_id] * n, [stamp] * n, strict=True))


_COPY_SPECIALS = ("\\", "\t", "\n", "\r", "\x00")


def _copy_strings(values: Sequence[Any], *, json_values: bool = False) -> list[str]:
    """Text or JSON values escaped for COPY text format; the escape pass is skipped for a clean column."""
    present = [v for v in values if v is not None]
    if json_values:
        present = [v if isinstance(v, str) else _json_text(v) for v in present]
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


def _copy_chunks(
    frame: pd.DataFrame, kinds: Mapping[str, Kind], constants: Mapping[str, str], chunk: int
) -> Iterator[str]:
    """The page in PostgreSQL COPY text format, ``chunk`` rows at a time (the server parses one while the next is built)."""
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


def _copy_text(frame: pd.DataFrame, kinds: Mapping[str, Kind], constants: Mapping[str, str]) -> str:
    """The whole page in PostgreSQL COPY text format."""
    return "".join(_copy_chunks(frame, kinds, constants, max(len(frame), 1)))


__all__ = [
    "COLUMN_TYPES",
    "DEFAULT_METADATA_TABLE",
    "DEFAULT_REJECTS_TABLE",
    "LOADED_AT_COLUMN",
    "LOAD_ID_COLUMN",
    "SqlTableWriter",
    "detect_dialect",
    "embedded_hook",
]
