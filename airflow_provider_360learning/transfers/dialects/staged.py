"""A batch as a staged Parquet file: what warehouses that load files (Snowflake, BigQuery) are handed.

The file holds the batch's columns plus ``_load_id`` and ``_loaded_at``, typed (int64, float64, bool,
``timestamp[us, UTC]``, strings; json values as their JSON text, which the ``MERGE`` parses into the
warehouse's JSON type). It lives in a temporary folder for the duration of the ``with`` block only: one
batch on disk at a time, whatever the size of the load.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.transfers.dialects.base import LOAD_ID_COLUMN, LOADED_AT_COLUMN, column_values
from airflow_provider_360learning.transfers.tabular import Kind

if TYPE_CHECKING:
    import pandas as pd


def arrow_type(kind: Kind) -> Any:
    import pyarrow as pa

    return {
        "text": pa.string(),
        "json": pa.string(),
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[kind]


@contextlib.contextmanager
def parquet_batch(
    frame: pd.DataFrame, kinds: Mapping[str, Kind], load_id: str, loaded_at: dt.datetime, *, name: str
) -> Iterator[Path]:
    """The batch written to ``<temporary folder>/<name>.parquet``, removed when the block ends."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = [pa.array(column_values(frame[n], k, "aware"), type=arrow_type(k)) for n, k in kinds.items()]
    rows = len(frame)
    arrays.append(pa.array([load_id] * rows, type=pa.string()))
    arrays.append(pa.array([loaded_at] * rows, type=arrow_type("timestamp")))
    table = pa.Table.from_arrays(arrays, names=[*kinds, LOAD_ID_COLUMN, LOADED_AT_COLUMN])
    with tempfile.TemporaryDirectory(prefix="360learning-batch-") as folder:
        path = Path(folder) / f"{name}.parquet"
        pq.write_table(table, path)
        del table, arrays
        yield path


__all__ = ["arrow_type", "parquet_batch"]
