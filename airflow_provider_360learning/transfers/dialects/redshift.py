"""Amazon Redshift: ``MERGE`` from a temporary staging table filled by ``executemany``.

Redshift declares a primary key without enforcing it (the planner uses it), so the writer always merges on
the key. JSON goes into ``SUPER`` columns: staged as text, parsed by ``JSON_PARSE`` in the ``MERGE``.
The fast bulk path of Redshift is ``COPY`` from S3, which needs a bucket this writer does not manage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import Dialect
from airflow_provider_360learning.transfers.tabular import Kind


class RedshiftDialect(Dialect):
    """Redshift (``RedshiftSQLHook``, redshift_connector)."""

    name = "redshift"
    sqlglot_dialect = "redshift"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "VARCHAR(65535)",
        "timestamp": "TIMESTAMPTZ",
        "integer": "BIGINT",
        "float": "DOUBLE PRECISION",
        "boolean": "BOOLEAN",
        "json": "SUPER",
    }
    staging_types: ClassVar[Mapping[Kind, str]] = {"json": "VARCHAR(65535)"}
    key_text_type = "VARCHAR(1024)"
    max_identifier_length = 127
    upsert_style = "merge"
    timestamps = "aware"
    default_placeholder = "%s"

    def staged_value(self, column: exp.Expression, kind: Kind) -> exp.Expression:
        return exp.Anonymous(this="JSON_PARSE", expressions=[column]) if kind == "json" else column


__all__ = ["RedshiftDialect"]
