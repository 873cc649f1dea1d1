"""Microsoft SQL Server (and Azure SQL): ``MERGE`` from a ``#temporary`` staging table filled by ``executemany``.

A text key is ``NVARCHAR(450)`` (900 bytes, SQL Server's index key limit), other text ``NVARCHAR(MAX)``.
Timestamps are ``DATETIME2(6)`` holding UTC (pymssql and pyodbc bind naive datetimes). ``CREATE TABLE``
has no ``IF NOT EXISTS`` here: the writer looks the table up in ``INFORMATION_SCHEMA`` first. A ``MERGE``
statement must end with ``;``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from airflow_provider_360learning.transfers.dialects.base import Dialect
from airflow_provider_360learning.transfers.tabular import Kind


class MsSqlDialect(Dialect):
    """SQL Server 2016+ (``MsSqlHook``: pymssql, or ODBC with a ``?`` placeholder)."""

    name = "mssql"
    sqlglot_dialect = "tsql"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "NVARCHAR(MAX)",
        "timestamp": "DATETIME2(6)",
        "integer": "BIGINT",
        "float": "FLOAT",
        "boolean": "BIT",
        "json": "NVARCHAR(MAX)",
    }
    key_text_type = "NVARCHAR(450)"
    max_identifier_length = 128
    upsert_style = "merge"
    timestamps = "naive"
    default_placeholder = "%s"
    current_schema = "SCHEMA_NAME"
    create_if_not_exists = False
    merge_terminator = ";"

    def staging_table(self, table: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
        """A ``#`` name: a temporary table of the session."""
        return (f"#{super().staging_table(table, names)[0]}",)

    def create_staging(self, staging: Sequence[str], columns: Sequence[tuple[str, str]]) -> str:
        """``CREATE TABLE [#name] (...)``: the ``#`` makes it temporary."""
        return self.create_table(staging, columns, ())


__all__ = ["MsSqlDialect"]
