"""SQLite: ``INSERT ... ON CONFLICT (key) DO UPDATE`` with ``executemany`` (SQLite >= 3.24).

Transactions start with ``BEGIN IMMEDIATE`` under a long busy timeout, so concurrent tasks writing one file
queue instead of failing; the WAL journal lets readers read while a batch is written. SQLite has no date or
JSON types: timestamps are ISO-8601 UTC text (they sort, and work with ``date()``), JSON is text (it works
with ``json_extract()``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow_provider_360learning.transfers.dialects.base import Dialect
from airflow_provider_360learning.transfers.tabular import Kind

SQLITE_BUSY_TIMEOUT_MS = 600_000  # parallel tasks queue on one file; a batch takes milliseconds


class SqliteDialect(Dialect):
    """SQLite files (the official ``apache-airflow-providers-sqlite`` hook, or the embedded hook)."""

    name = "sqlite"
    sqlglot_dialect = "sqlite"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "TEXT",
        "timestamp": "TEXT",
        "integer": "INTEGER",
        "float": "REAL",
        "boolean": "INTEGER",
        "json": "TEXT",
    }
    max_identifier_length = 1024  # no limit of its own; a bound keeps names readable
    timestamps = "iso"
    default_placeholder = "?"

    def __init__(self, hook: Any, *, durable_pages: bool = False) -> None:
        if sqlite3.sqlite_version_info < (3, 24, 0):
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} has no upsert (ON CONFLICT): 3.24 or later is needed")
        super().__init__(hook, durable_pages=durable_pages)
        self.placeholder = "?"  # the sqlite3 module's

    def configure(self, conn: Any) -> None:
        conn.isolation_level = None  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA journal_mode = WAL")

    def begin(self, cursor: Any, conn: Any) -> None:
        cursor.execute("BEGIN IMMEDIATE")

    def commit(self, cursor: Any, conn: Any) -> None:
        cursor.execute("COMMIT")

    def rollback(self, cursor: Any, conn: Any) -> None:
        cursor.execute("ROLLBACK")

    def existing_columns_query(self, table: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """``PRAGMA table_info`` (SQLite has no ``information_schema``); its rows are (cid, name, type, ...)."""
        name, schema = table[-1], (table[-2] if len(table) > 1 else None)
        prefix = f"{self.quote(schema)}." if schema else ""
        return f"PRAGMA {prefix}table_info({self.quote(name)})", ()

    def existing_columns(self, cursor: Any, table: Sequence[str]) -> dict[str, str] | None:
        sql, _ = self.existing_columns_query(table)
        rows = cursor.execute(sql).fetchall()
        return {str(row[1]): str(row[2]) for row in rows} or None


__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "SqliteDialect"]
