"""BigQuery: each batch as a Parquet file, loaded by a load job of the BigQuery provider's own hook
(``BigQueryHook.get_client().load_table_from_file``) into a staging table, then ``MERGE`` on the key.

::

    load job: <file>.parquet -> `<dataset>`.`_stage_<digest>_<random>` (WRITE_TRUNCATE, schema from the file)
    MERGE INTO `<dataset>`.`<table>` AS `tgt` USING `<dataset>`.`_stage_...` AS `src` ON <key> ...
    DROP TABLE IF EXISTS `<dataset>`.`_stage_...`

BigQuery has no enforced primary key (only ``PRIMARY KEY ... NOT ENFORCED`` hints): tables are created
without one, and the ``MERGE`` is what keeps one row per key. Statements run through the hook's DB-API
connection, whose ``commit`` does nothing: each statement is atomic on its own, and the ``MERGE`` is the
one that writes the batch. JSON columns are ``JSON``, parsed from the staged text by ``PARSE_JSON``. The
table must be named with its dataset (``analytics.path_stats``, or ``project.analytics.path_stats``).

The provider (``apache-airflow-providers-google``) and ``google-cloud-bigquery`` are not dependencies of
this package: ``google.cloud.bigquery`` is imported when the first batch is loaded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects.base import Dialect, WriterContext, with_bookkeeping
from airflow_provider_360learning.transfers.dialects.staged import parquet_batch
from airflow_provider_360learning.transfers.tabular import Kind

if TYPE_CHECKING:
    import pandas as pd


class BigQueryDialect(Dialect):
    """BigQuery (``BigQueryHook`` of the Google provider)."""

    name = "bigquery"
    sqlglot_dialect = "bigquery"
    types: ClassVar[Mapping[Kind, str]] = {
        "text": "STRING",
        "timestamp": "TIMESTAMP",
        "integer": "INT64",
        "float": "FLOAT64",
        "boolean": "BOOL",
        "json": "JSON",
    }
    staging_types: ClassVar[Mapping[Kind, str]] = {"json": "STRING"}
    max_identifier_length = 300
    declares_primary_key = False
    upsert_style = "merge"
    default_placeholder = "%s"

    def check_table(self, parts: Sequence[str]) -> None:
        if len(parts) < 2:
            raise ValueError(f"a BigQuery table needs its dataset: 'dataset.{parts[-1]}', not {parts[-1]!r}")

    def staged_value(self, column: exp.Expression, kind: Kind) -> exp.Expression:
        return exp.Anonymous(this="PARSE_JSON", expressions=[column]) if kind == "json" else column

    def staging_table(self, table: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
        """Beside the table, one per batch (a load job replaces its destination; writers must not share one)."""
        name = f"{super().staging_table(table, names)[0]}_{uuid.uuid4().hex[:8]}"
        return (*table[:-1], name)

    def existing_columns_query(self, table: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """The dataset's ``INFORMATION_SCHEMA.COLUMNS`` (BigQuery has no global one)."""
        self.check_table(table)
        schema_view = exp.Table(
            this=exp.to_identifier("COLUMNS"),
            db=exp.to_identifier("INFORMATION_SCHEMA"),
            catalog=exp.to_identifier(table[-2], quoted=True),
        )
        if len(table) > 2:
            schema_view = exp.Table(
                this=exp.Dot(this=exp.to_identifier("INFORMATION_SCHEMA"), expression=exp.to_identifier("COLUMNS")),
                db=exp.to_identifier(table[-2], quoted=True),
                catalog=exp.to_identifier(table[-3], quoted=True),
            )
        query = (
            exp.select(exp.column("column_name"), exp.column("data_type"))
            .from_(schema_view)
            .where(exp.column("table_name").eq(exp.Placeholder()))
            .order_by(exp.column("ordinal_position"))
        )
        return self.render(query), (table[-1],)

    def load_job_config(self) -> Any:
        from google.cloud import bigquery

        return bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
        )

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
        with parquet_batch(frame, kinds, load_id, loaded_at, name=staging[-1]) as path:
            client = self.hook.get_client(project_id=getattr(self.hook, "project_id", None))
            with path.open("rb") as file:
                job = client.load_table_from_file(file, ".".join(staging), job_config=self.load_job_config())
            job.result()
        try:
            with writer.transaction() as cursor:
                cursor.execute(self.merge_statement(writer.table, staging, names, writer.key, all_kinds))
        finally:
            with writer.transaction() as cursor:
                cursor.execute(self.drop_table(staging))


__all__ = ["BigQueryDialect"]
