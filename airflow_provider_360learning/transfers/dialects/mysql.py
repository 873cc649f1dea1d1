"""MySQL and MariaDB: ``INSERT ... ON DUPLICATE KEY UPDATE`` with ``executemany``.

A text key needs a bounded type to be indexed (``VARCHAR(255)``: 1,020 bytes in utf8mb4, three such
columns fit InnoDB's 3,072-byte key). Timestamps are ``DATETIME(6)`` holding UTC (MySQL drivers refuse
time-zone-aware values). DDL commits implicitly on MySQL: a created table or added column stays even if
the batch after it fails, which a retry needs anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from airflow_provider_360learning.transfers.dialects.base import Dialect
from airflow_provider_360learning.transfers.tabular import Kind


class MySqlDialect(Dialect):
    """MySQL 5.7+/8 and MariaDB (``MySqlHook``: mysqlclient, PyMySQL or mysql-connector)."""

    name = "mysql"
    sqlglot_dialect = "mysql"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "LONGTEXT",
        "timestamp": "DATETIME(6)",
        "integer": "BIGINT",
        "float": "DOUBLE",
        "boolean": "BOOLEAN",
        "json": "JSON",
    }
    key_text_type = "VARCHAR(255)"
    max_identifier_length = 64
    upsert_style = "on_duplicate_key"
    timestamps = "naive"
    default_placeholder = "%s"
    current_schema = "DATABASE"


__all__ = ["MySqlDialect"]
