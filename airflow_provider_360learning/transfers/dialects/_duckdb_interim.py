"""Interim DuckDB dialect, used only while ``dialects/duckdb.py`` (the embedded default's own module) is absent.

The batch is registered as a view and merged with ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``
(DuckDB's ``executemany`` upsert runs at under 1,000 rows/s). A DuckDB cursor is a second connection with
a transaction of its own, so the connection itself is the cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import (
    LOAD_ID_COLUMN,
    LOADED_AT_COLUMN,
    Dialect,
    WriterContext,
)
from airflow_provider_360learning.transfers.tabular import Kind

if TYPE_CHECKING:
    import pandas as pd


class DuckDBDialect(Dialect):
    """DuckDB files or in-memory databases (through the official DuckDB provider's hook)."""

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
        self.placeholder = "?"

    def configure(self, conn: Any) -> None:
        """DuckDB connections need no set-up: transactions are begun explicitly."""

    def cursor(self, conn: Any) -> Any:
        return conn  # a DuckDB cursor is another connection: statements run on the connection itself

    def begin(self, cursor: Any, conn: Any) -> None:
        conn.begin()

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        view = f"_stage_{id(writer):x}"
        names = [*kinds, LOAD_ID_COLUMN, LOADED_AT_COLUMN]
        select = exp.select(*(self._column(n) for n in kinds), exp.Placeholder(), exp.Placeholder()).from_(
            self.table((view,))
        )
        statement = self._cached(
            ("frame_upsert", tuple(writer.table), tuple(names), view),
            lambda: self._insert_or_update(writer.table, names, writer.key, select),
        )
        with writer.transaction() as cursor:
            cursor.register(view, frame)
            try:
                cursor.execute(statement, (load_id, loaded_at))
            finally:
                cursor.unregister(view)
