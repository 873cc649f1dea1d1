"""Stream a 360Learning list action into a table of any database that has a common.sql hook.

Page by page: the task's main thread only fetches page bodies; a loader thread
(``transfers.page_loader``) decodes and types them from the action's response schema
(``transfers.tabular``) and upserts them on their key in batches of a few pages, one transaction each
(``transfers.sql_writer``), so decoding, typing and loading hide under the network wait and only a
few pages are in memory. A re-run or a retried task
writes the same rows, never duplicates; a full refresh also removes rows the API no longer returns,
but only after a stream that ended without error, never the previous copy of a row whose new version
was quarantined, and never more than ``max_delete_share`` of the table unless ``allow_mass_delete``
(a server that stops paging early omits its ``Link`` header just as a complete answer does, so only
the share can tell a truncated answer from a real mass deletion). See ``docs/warehouse.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook, BaseOperator
from airflow.sdk.exceptions import AirflowNotFoundException

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.partitions import partitioning_for
from airflow_provider_360learning.exceptions import ThreeSixtyLearningError, ThreeSixtyLearningParameterError
from airflow_provider_360learning.flags import parse_flag
from airflow_provider_360learning.transfers.page_loader import DEFAULT_BATCH_ROWS, PageLoader
from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.transfers.tabular import DEFAULT_MAX_COLUMNS, Column, columns_for

if TYPE_CHECKING:  # the hook (HTTP provider) is imported when a task runs, not when a DAG file is parsed
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.partitioned_read import PartitionedRead
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

log = logging.getLogger(__name__)
Mode = Literal["incremental", "full"]
# Filters that mark a row as new or changed, in order of preference (stats: completion; entities: edits).
INCREMENTAL_FIELDS = ("completedAt", "modifiedAt")
DEFAULT_MAX_DELETE_SHARE = 0.10
MAX_PARALLEL_STREAMS = 64
MIN_PAGES_PER_STREAM = 2
"""A partitioned read pays when each stream has at least this many pages to read (else its extra requests,
the parent list and one partial page per partition, cost more than the concurrency saves)."""
DEFAULT_REQUEST_SECONDS = 0.3


def incremental_field_for(action: Action) -> str | None:
    """The bracket filter an incremental load of ``action`` uses, or ``None`` (full loads only)."""
    filters = {p.name for p in action.query_parameters if p.is_filter and "gte" in p.operators}
    return next((name for name in INCREMENTAL_FIELDS if name in filters), None)


def destination_hook(conn_id: str, embedded_default_path: str | None = None) -> DbApiHook:
    """The common.sql hook of ``conn_id``; when that connection is not defined and an embedded default
    path is given, a DuckDB hook on that file (how the example DAGs run with no set-up)."""
    try:
        hook = BaseHook.get_connection(conn_id).get_hook()
    except AirflowNotFoundException:
        if not embedded_default_path:
            raise
        from airflow_provider_360learning.transfers.embedded import embedded_hook

        log.info("Connection %r is not defined: using the embedded database %s", conn_id, embedded_default_path)
        hook = embedded_hook(embedded_default_path)
    if not isinstance(hook, DbApiHook):
        raise ThreeSixtyLearningError(
            f"Connection {conn_id!r} has no common.sql hook ({type(hook).__name__}); "
            "the destination must be a SQL database"
        )
    return hook


class ThreeSixtyLearningToSqlOperator(BaseOperator):
    """
    Load every row of a 360Learning list action into a SQL table, upserting on its key.

    :param action: a list action of the registry, e.g. ``get_path_stats`` (templated).
    :param table: destination table, optionally schema-qualified (templated).
    :param destination_conn_id: any connection whose hook is a common.sql ``DbApiHook`` (templated).
    :param action_params: extra parameters of the action, e.g. filters (templated).
    :param mode: ``incremental`` (rows since the stored watermark minus ``overlap``, through the
        action's ``completedAt``/``modifiedAt`` filter; a full load when the action has none) or
        ``full`` (every row, then rows not returned any more are deleted) (templated).
    :param incremental_field: override the filter used for incremental loads.
    :param overlap: how far before the watermark an incremental load starts again (late writes).
    :param key_columns: warehouse columns of the upsert key.
    :param embedded_default_path: when the destination connection is not defined, load into an
        embedded database file at this path instead (what the example DAG does with no set-up).
    :param three_sixty_learning_conn_id: the 360Learning connection (templated).
    :param hook_params: keyword overrides for :class:`ThreeSixtyLearningHook` (timeouts, retries...).
    :param rows_per_transaction: pages are upserted in batches of about this many rows, one transaction
        each (a killed task leaves whole batches, which a retry upserts again).
    :param max_delete_share: a full refresh that would delete more than this share of the table's rows
        (default 10%) deletes nothing and fails, naming the share: the upserts stay (templated).
    :param allow_mass_delete: let a full refresh delete more than ``max_delete_share`` (templated;
        a bool, or the strings ``true``/``false``).
    :param future_tolerance: an incremental field later than the load's start plus this never becomes the
        watermark (a ``9999-12-31`` sentinel would freeze every later load); such rows load, with a warning.
    :param column_types: warehouse column -> SQL type in the destination's dialect, overriding the type
        the typing rule derives (e.g. ``{"name": "VARCHAR(200)"}``).
    :param dialect: force the destination's SQL dialect instead of detecting it from the hook
        (``postgres``, ``duckdb``, ``sqlite``, ``snowflake``, ``bigquery``, ``mysql``, ``tsql``, ``redshift``).
    :param max_columns: columns the table may have; new API fields past it go into one JSON ``_extra`` column.
    :param max_parallel_streams: disjoint partitions read at once for an action the registry can partition
        (``actions.partitions``), all within the tenant's read budget; default: enough to fill that budget at
        300 ms a request (``0.3 x requests_per_second``, 15 for the documented 50 GET/s). The partitioned read is
        chosen only when it pays: when the previous load of the same mode held at least
        ``MIN_PAGES_PER_STREAM`` pages per stream (a first full load always partitions; a first incremental
        load, or a small one, reads as one stream). ``1`` always reads one stream (templated).
    """

    template_fields: Sequence[str] = (
        "action",
        "table",
        "destination_conn_id",
        "action_params",
        "mode",
        "three_sixty_learning_conn_id",
        "allow_mass_delete",
        "max_delete_share",
        "max_parallel_streams",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"action_params": "json"}
    ui_color = "#2f5d8a"

    def __init__(
        self,
        *,
        action: str,
        table: str,
        destination_conn_id: str,
        action_params: dict[str, Any] | None = None,
        mode: Mode | str = "incremental",
        incremental_field: str | None = None,
        overlap: dt.timedelta = dt.timedelta(hours=1),
        key_columns: Sequence[str] = ("id",),
        embedded_default_path: str | None = None,
        metadata_table: str = "_360learning_loads",
        rejects_table: str = "_360learning_rejects",
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningHook.default_conn_name
        hook_params: dict[str, Any] | None = None,
        rows_per_transaction: int = DEFAULT_BATCH_ROWS,
        max_delete_share: float | str = DEFAULT_MAX_DELETE_SHARE,
        allow_mass_delete: bool | str = False,
        future_tolerance: dt.timedelta = dt.timedelta(days=1),
        column_types: dict[str, str] | None = None,
        dialect: str | None = None,
        max_columns: int = DEFAULT_MAX_COLUMNS,
        max_parallel_streams: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action = action
        self.table = table
        self.destination_conn_id = destination_conn_id
        self.action_params = action_params or {}
        self.mode = mode
        self.incremental_field = incremental_field
        self.overlap = overlap
        self.key_columns = tuple(key_columns)
        self.embedded_default_path = embedded_default_path
        self.metadata_table = metadata_table
        self.rejects_table = rejects_table
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.hook_params = hook_params or {}
        self.rows_per_transaction = rows_per_transaction
        self.max_delete_share = max_delete_share
        self.allow_mass_delete = allow_mass_delete
        self._max_delete_share = DEFAULT_MAX_DELETE_SHARE  # the two above, checked when the task runs
        self._allow_mass_delete = False
        self.future_tolerance = future_tolerance
        self.column_types = dict(column_types or {})
        self.dialect = dialect
        self.max_columns = max_columns
        self.max_parallel_streams = max_parallel_streams
        self._stop = threading.Event()

    @cached_property
    def hook(self) -> ThreeSixtyLearningHook:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        return ThreeSixtyLearningHook(self.three_sixty_learning_conn_id, **self.hook_params)

    @cached_property
    def destination_hook(self) -> DbApiHook:
        """The destination's common.sql hook (or the embedded default when the connection is absent)."""
        return destination_hook(self.destination_conn_id, self.embedded_default_path)

    def _resolve_action(self) -> Action:
        try:
            action = ACTIONS[self.action]
        except KeyError:
            raise ThreeSixtyLearningParameterError(self.action, None, "is not a 360Learning action") from None
        if not action.returns_list:
            raise ThreeSixtyLearningParameterError(action.name, None, "is not a list action; nothing to load")
        if self.mode not in ("incremental", "full"):
            raise ThreeSixtyLearningParameterError(
                action.name, "mode", f"must be 'incremental' or 'full', got {self.mode!r}"
            )
        allow = parse_flag(self.allow_mass_delete)
        if allow is None:
            raise ThreeSixtyLearningParameterError(
                action.name, "allow_mass_delete", f"must be true or false, got {self.allow_mass_delete!r}"
            )
        self._allow_mass_delete = allow
        try:
            share = float(self.max_delete_share)
        except (TypeError, ValueError):
            share = -1.0
        if not 0.0 <= share <= 1.0:
            raise ThreeSixtyLearningParameterError(
                action.name, "max_delete_share", f"must be a share between 0 and 1, got {self.max_delete_share!r}"
            )
        self._max_delete_share = share
        return action

    def _streams(self, action: Action) -> int:
        """``max_parallel_streams`` as a number (its default from the connection's read budget)."""
        if self.max_parallel_streams is None:
            return default_streams(self.hook.settings.requests_per_second)
        try:
            streams = int(self.max_parallel_streams)
        except (TypeError, ValueError):
            streams = 0
        if not 1 <= streams <= MAX_PARALLEL_STREAMS:
            raise ThreeSixtyLearningParameterError(
                action.name,
                "max_parallel_streams",
                f"must be a whole number from 1 to {MAX_PARALLEL_STREAMS}, got {self.max_parallel_streams!r}",
            )
        return streams

    def _partitioned_read(
        self,
        action: Action,
        params: dict[str, Any],
        mode: Mode,
        previous_rows: int | None,
        streams: int,
        rows_per_value: Callable[[str], Future[Mapping[str, int]]],
    ) -> PartitionedRead | None:
        """The partitioned read of this load when the action partitions and the expected size pays for the plan's
        extra requests (the parent list, one partial page per partition); ``None`` for one stream. A full load
        sizes its partitions from the table's rows per parent (``rows_per_value`` of the filter's column): the
        table holds the previous full load, which this one replaces; the parent list starts while they are read."""
        partitioning = partitioning_for(action, params)
        if streams <= 1 or partitioning is None:
            if streams > 1:
                self.log.info("%s: no partitionable filter for %s: one stream", self.table, action.name)
            return None
        expected = None if previous_rows is None else -(-previous_rows // (action.page_size or 1))
        if (expected is None and mode == "incremental") or (
            expected is not None and expected < MIN_PAGES_PER_STREAM * streams
        ):
            self.log.info(
                "%s: one stream (%s; a partitioned read pays from %d pages)",
                self.table,
                "no previous incremental load" if expected is None else f"the last {mode} load held {expected} page(s)",
                MIN_PAGES_PER_STREAM * streams,
            )
            return None
        known: Future[Mapping[str, int]] | None = None
        column = next((c.name for c in columns_for(action) if c.source == partitioning.filter), None)
        if mode == "full" and previous_rows and column is not None:
            known = rows_per_value(column)
        return self.hook.partitioned_read(action, max_parallel_streams=streams, known_parents=known, **params)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_360learning.hooks.three_sixty_learning import decode_page

        action = self._resolve_action()
        ti = context["ti"]
        run_id = context["run_id"]
        load_id = f"{run_id}#{ti.try_number}"
        started_at = dt.datetime.now(dt.UTC)
        field = self.incremental_field or incremental_field_for(action)
        mode: Mode = "full" if self.mode == "full" or field is None else "incremental"
        columns = columns_for(action)
        self.hook.prefetch_token()  # its round trip overlaps the database's set-up below
        writer = SqlTableWriter(
            self.destination_hook,
            self.table,
            key=self.key_columns,
            metadata_table=self.metadata_table,
            rejects_table=self.rejects_table,
            dialect=self.dialect,
            column_types=self.column_types or None,
        )

        # Every database call runs on one loader thread (some drivers bind a connection to its thread).
        # The main thread only fetches pages; the loader types, quarantines and upserts them in batches,
        # so that work overlaps the network wait.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="360learning-load") as loader:
            try:
                loader.submit(writer.ensure_table, columns).result()
                existing = list(loader.submit(writer.table_columns).result())
                params = dict(self.action_params)
                streams = self._streams(action)
                previous_rows = loader.submit(writer.last_rows, self.table, mode).result() if streams > 1 else None
                since: dt.datetime | None = None
                if mode == "incremental":
                    watermark = loader.submit(writer.last_watermark, self.table).result()
                    if watermark is not None:
                        since = watermark - self.overlap
                        params[field] = {"gte": since}  # type: ignore[index]
                self.log.info(
                    "Loading %s into %s (%s%s)",
                    action.describe(),
                    self.table,
                    mode,
                    f" since {since.isoformat()}" if since else "",
                )
                pages = PageLoader(
                    writer,
                    columns,
                    table=self.table,
                    load_id=load_id,
                    run_id=run_id,
                    incremental_field=field,
                    batch_rows=self.rows_per_transaction,
                    logger=self.log,
                    decode_page=functools.partial(decode_page, action),
                    ceiling=started_at + self.future_tolerance,
                    max_columns=self.max_columns,
                    existing_columns=[c for c in existing if not c.startswith("_")],
                )
                read = self._partitioned_read(
                    action,
                    params,
                    mode,
                    previous_rows,
                    streams,
                    lambda column: loader.submit(writer.rows_per_value, column),
                )
                bodies: Iterator[bytes] = (
                    self.hook.iter_page_bodies(action, **params)
                    if read is None
                    else (body for _partition, body in self.hook.iter_partitioned_pages(read))
                )
                loading = loader.submit(pages.run)
                try:
                    for page in bodies:
                        if self._stop.is_set():
                            raise ThreeSixtyLearningError(f"Load of {self.table} stopped (task killed)")
                        pages.put(page, loading)
                    totals = pages.finish(loading)
                except BaseException:
                    pages.abort()
                    raise
                deleted = 0
                if mode == "full" and totals.rows:
                    # Only now, after a stream that ended without error: keep the previous copies of the
                    # quarantined rows, then sweep what the answer did not hold (within the share limit).
                    if totals.rejected_keys:
                        loader.submit(writer.keep_keys, sorted(totals.rejected_keys, key=repr), load_id).result()
                    swept = loader.submit(
                        writer.sweep,
                        load_id,
                        max_share=self._max_delete_share,
                        allow_mass_delete=self._allow_mass_delete,
                    ).result()
                    deleted = swept.deleted
                elif mode == "full":
                    # An empty answer is far likelier an API or permission problem than an empty tenant:
                    # never let it wipe the table.
                    self.log.warning("Full load of %s returned no rows: existing rows kept", self.table)
                newest = complete_watermark(totals.newest, read)
                watermark_out = newest if newest is not None else (since + self.overlap if since else None)
                loader.submit(
                    writer.record_load,
                    run_id=run_id,
                    table=self.table,
                    rows=totals.rows,
                    rejected=totals.rejected,
                    watermark=watermark_out,
                    mode=mode,
                    started_at=started_at,
                    finished_at=dt.datetime.now(dt.UTC),
                ).result()
            finally:
                loader.submit(writer.close).result()
        self.log.info(
            "%s: %d row(s) upserted from %d page(s), %d rejected, %d deleted; watermark %s",
            self.table,
            totals.rows,
            totals.pages,
            totals.rejected,
            deleted,
            watermark_out,
        )
        return {
            "table": self.table,
            "mode": mode,
            "rows": totals.rows,
            "rejected": totals.rejected,
            "future_rows": totals.future_rows,
            "pages": totals.pages,
            "deleted": deleted,
            "watermark": watermark_out.isoformat() if watermark_out else None,
            "partitions": len(read.stats) if read is not None else 1,
        }

    def on_kill(self) -> None:
        """Stop between pages: what was committed stays (each page is one transaction), nothing half-written."""
        self._stop.set()
        self.hook.close()

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Input: the 360Learning endpoint; output: the destination table."""
        try:
            from airflow.providers.common.compat.openlineage.facet import Dataset
            from airflow.providers.openlineage.extractors import OperatorLineage
        except ImportError:
            return None
        action = ACTIONS[self.action]
        namespace = self.hook.settings.base_url
        output_namespace = _sql_namespace(self.destination_hook)
        return OperatorLineage(
            inputs=[Dataset(namespace=namespace, name=action.path)],
            outputs=[Dataset(namespace=output_namespace, name=self.table)],
        )


def default_streams(requests_per_second: float) -> int:
    """Streams that fill a read budget at 300 ms a request (a slow API; a stream waiting for a permit idles, so
    more streams than latency x rate keep the budget busy), within 2..16; 1 without a budget."""
    if not requests_per_second:
        return 1
    return max(2, min(16, math.ceil(requests_per_second * DEFAULT_REQUEST_SECONDS)))


def complete_watermark(newest: dt.datetime | None, read: PartitionedRead | None) -> dt.datetime | None:
    """The watermark a load may record: its newest value, but after a partitioned read never later than the
    moment its first partition started. Every partition's range is complete from ``since`` up to the moment it
    started; a row written after that may be missing from a partition read earlier, however new the rows of the
    partitions read later (the minimum of the partitions' complete ranges, never the maximum of a partial one)."""
    if read is None or newest is None:
        return newest
    started = read.complete_since()
    if started is None:
        return newest
    return min(newest, dt.datetime.fromtimestamp(started, dt.UTC))


def _sql_namespace(hook: DbApiHook) -> str:
    """OpenLineage namespace of a SQL destination (``scheme://host:port``), best effort."""
    try:
        info = hook.get_openlineage_database_info(hook.get_connection(getattr(hook, hook.conn_name_attr)))
        if info is not None:
            return f"{info.scheme}://{info.authority}" if info.authority else info.scheme
    except Exception:
        pass
    return getattr(hook, "dialect_name", None) or hook.conn_type or "sql"


__all__ = [
    "Column",
    "ThreeSixtyLearningToSqlOperator",
    "complete_watermark",
    "default_streams",
    "destination_hook",
    "incremental_field_for",
]
