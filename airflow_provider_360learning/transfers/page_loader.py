"""The loading side of a transfer: types and upserts pages that another thread fetches.

The fetching thread only reads pages from the API and hands them over through a small bounded
queue; this side turns them into typed frames, quarantines rows that do not fit, adds columns for new
API fields and upserts batches of several pages per transaction. Typing and loading so overlap the
network wait instead of adding to it, and a transaction's fixed cost (round trips, commit) is paid
once per batch rather than once per page. Memory stays flat: at most ``max_pending_pages`` pages wait
in the queue and one batch is being built.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter
from airflow_provider_360learning.utils.tabular import Column, page_to_frame, warehouse_name

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 5_000
"""Rows per upsert transaction: about 2x faster than one 500-row page per transaction into PostgreSQL."""

_END = object()


@dataclass
class LoadTotals:
    """What the loader wrote; ``newest`` is the largest value of the incremental field it saw."""

    rows: int = 0
    rejected: int = 0
    pages: int = 0
    newest: dt.datetime | None = None
    columns: list[Column] = field(default_factory=list)


class PageLoader:
    """Consume pages on the loader thread (:meth:`run`) while the caller fetches and :meth:`put`\\ s them.

    :param writer: the table's writer; every database call happens on the thread running :meth:`run`.
    :param columns: the declared columns (the table exists with them already).
    :param table: the table's name as the user gave it (rejected rows are filed under it).
    :param load_id: marks the rows of this load (a full load deletes the rows it did not mark).
    :param run_id: recorded with rejected rows.
    :param incremental_field: API field whose newest value becomes the next watermark.
    :param batch_rows: rows per upsert transaction (a batch closes at the first page reaching it).
    :param max_pending_pages: pages the fetching thread may be ahead of the loader.
    :param logger: where quarantines and new columns are reported (the task's logger).
    """

    def __init__(
        self,
        writer: SqlTableWriter,
        columns: Sequence[Column],
        *,
        table: str,
        load_id: str,
        run_id: str,
        incremental_field: str | None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        max_pending_pages: int = 4,
        logger: Any = None,
    ) -> None:
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
        self.writer = writer
        self.table = table
        self.load_id = load_id
        self.run_id = run_id
        self.incremental_field = incremental_field
        self.batch_rows = batch_rows
        self.log = logger or log
        self.totals = LoadTotals(columns=list(columns))
        self._known = {c.name for c in columns}
        self._pages: queue.Queue[Any] = queue.Queue(maxsize=max_pending_pages)
        self._aborted = threading.Event()

    # --- fetching side ------------------------------------------------------------------------------

    def put(self, page: Sequence[Any], loading: Future[LoadTotals]) -> None:
        """Hand one page over; blocks while the loader is ``max_pending_pages`` behind.

        Raises the loader's exception as soon as it has failed (a fetch loop must not keep reading
        pages nobody will load).
        """
        self._hand_over(page, loading)

    def finish(self, loading: Future[LoadTotals]) -> LoadTotals:
        """No more pages: wait for the last batch to be committed and return the totals."""
        self._hand_over(_END, loading)
        return loading.result()

    def abort(self) -> None:
        """Stop loading (the fetch failed or the task was killed): the batch being built is dropped.

        Committed batches stay; they hold whole rows, which a retry upserts again.
        """
        self._aborted.set()
        with contextlib.suppress(queue.Full):  # when full, the loader sees the flag at its next page
            self._pages.put_nowait(_END)

    def _hand_over(self, item: Any, loading: Future[LoadTotals]) -> None:
        while True:
            if loading.done():
                loading.result()  # raises the loader's error
                raise RuntimeError("the page loader stopped before the last page")
            try:
                self._pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    # --- loading side -------------------------------------------------------------------------------

    def run(self) -> LoadTotals:
        """Load pages until :meth:`finish` (commit the last batch) or :meth:`abort` (drop it)."""
        batch: list[Any] = []
        while True:
            page = self._pages.get()
            if self._aborted.is_set():
                return self.totals
            if page is _END:
                self._load(batch)
                return self.totals
            self.totals.pages += 1
            batch.extend(page)
            if len(batch) >= self.batch_rows:
                self._load(batch)
                batch = []

    def _load(self, items: list[Any]) -> None:
        if not items:
            return
        frame, rejects, extra = page_to_frame(items, self.totals.columns)
        new_columns = [c for c in extra if c.name not in self._known]
        if new_columns:
            self._known.update(c.name for c in new_columns)
            self.totals.columns = [*self.totals.columns, *new_columns]
            self.log.info("New API fields become columns of %s: %s", self.table, [c.source for c in new_columns])
            self.writer.ensure_table(self.totals.columns)
        if rejects:
            self.totals.rejected += len(rejects)
            self.log.warning("%d row(s) of %s quarantined in the rejects table", len(rejects), self.table)
            self.writer.write_rejects(self.table, self.run_id, rejects)
        self.totals.newest = newest_value(frame, self.incremental_field, self.totals.newest)
        self.totals.rows += self.writer.upsert(frame, self.load_id)


def newest_value(frame: Any, field: str | None, current: dt.datetime | None) -> dt.datetime | None:
    """The later of ``current`` and the frame's largest value of the incremental ``field``."""
    if field is None:
        return current
    column = warehouse_name(field)
    if column not in frame.columns or frame.empty:
        return current
    value = frame[column].max()
    if value is None or value != value:  # NaT
        return current
    newest = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return newest if current is None or newest > current else current
