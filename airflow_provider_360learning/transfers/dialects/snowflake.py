"""Snowflake: each batch as a Parquet file, ``PUT`` to the user stage, ``COPY INTO`` a temporary staging table,
then ``MERGE`` on the key, through the Snowflake provider's own hook (``SnowflakeHook``).

The statements run on the hook's connection (the Snowflake connector uploads the file for ``PUT``), in one
transaction per batch::

    CREATE TEMPORARY TABLE "_stage_<digest>" (<columns>, json as VARCHAR)
    PUT 'file:///tmp/.../_stage_<digest>.parquet' @~/360learning/_stage_<digest> AUTO_COMPRESS=FALSE OVERWRITE=TRUE
    COPY INTO "_stage_<digest>" FROM @~/360learning/_stage_<digest>
        FILE_FORMAT = (TYPE=PARQUET) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PURGE = TRUE
    MERGE INTO <table> AS "tgt" USING "_stage_<digest>" AS "src" ON <key> WHEN MATCHED ... WHEN NOT MATCHED ...
    DROP TABLE IF EXISTS "_stage_<digest>"

Snowflake declares but does not enforce primary keys: the ``MERGE`` is what keeps one row per key. JSON
columns are ``VARIANT``, parsed from the staged text by ``PARSE_JSON``. The provider
(``apache-airflow-providers-snowflake``) is not a dependency of this package: only its hook's DB-API
connection is used, so nothing of it is imported here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

import sqlglot
from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import Dialect, WriterContext, with_bookkeeping
from airflow_provider_360learning.transfers.dialects.staged import parquet_batch
from airflow_provider_360learning.transfers.tabular import Kind

if TYPE_CHECKING:
    import pandas as pd

STAGE_PREFIX = "@~/360learning"
"""Where batches are PUT: the user stage of the connection's user (no stage to create or grant)."""


class SnowflakeDialect(Dialect):
    """Snowflake (``SnowflakeHook``)."""

    name = "snowflake"
    sqlglot_dialect = "snowflake"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "VARCHAR",
        "timestamp": "TIMESTAMP_TZ",
        "integer": "BIGINT",
        "float": "FLOAT",
        "boolean": "BOOLEAN",
        "json": "VARIANT",
    }
    staging_types: ClassVar[Mapping[Kind, str]] = {"json": "VARCHAR"}
    max_identifier_length = 255
    upsert_style = "merge"
    default_placeholder = "%s"

    def staged_value(self, column: exp.Expression, kind: Kind) -> exp.Expression:
        return exp.Anonymous(this="PARSE_JSON", expressions=[column]) if kind == "json" else column

    def staging_table(self, table: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
        """One staging table per batch (parallel writers of one table never share one)."""
        return (f"{super().staging_table(table, names)[0]}_{uuid.uuid4().hex[:8]}",)

    def put_statement(self, path: str, stage: str) -> str:
        literal = exp.Literal.string(f"file://{path}").sql(dialect="snowflake")
        return sqlglot.parse_one(f"PUT {literal} {stage} AUTO_COMPRESS = FALSE OVERWRITE = TRUE", read="snowflake").sql(
            dialect="snowflake"
        )

    def copy_statement(self, staging: Sequence[str], stage: str) -> str:
        return sqlglot.parse_one(
            f"COPY INTO {self.table_sql(staging)} FROM {stage} FILE_FORMAT = (TYPE = PARQUET) "
            "MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PURGE = TRUE",
            read="snowflake",
        ).sql(dialect="snowflake")

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        all_kinds = with_bookkeeping(kinds)
        names = list(all_kinds)
        staging = self.staging_table(writer.table, names)
        stage = f"{STAGE_PREFIX}/{staging[0]}"
        with (
            parquet_batch(frame, kinds, load_id, loaded_at, name=staging[0]) as path,
            writer.transaction() as cursor,
        ):
            cursor.execute(self.create_staging(staging, self.staging_columns(names, all_kinds, writer.key)))
            cursor.execute(self.put_statement(path.as_posix(), stage))
            cursor.execute(self.copy_statement(staging, stage))
            cursor.execute(self.merge_statement(writer.table, staging, names, writer.key, all_kinds))
            cursor.execute(self.drop_table(staging))


__all__ = ["STAGE_PREFIX", "SnowflakeDialect"]
