"""The loading side of a transfer: decodes, types and upserts pages that another thread fetches.

The fetching thread only reads page bodies from the API and hands them over through a small bounded
queue; this side decodes and types them, quarantines rows that do not fit, adds columns for new API
fields and upserts batches of several pages per transaction. Decoding, typing and loading so overlap
the network wait instead of adding to it, and a transaction's fixed cost (round trips, commit) is
paid once per batch rather than once per page. Memory stays flat: at most ``max_pending_pages`` pages
wait in the queue and one batch is being built.

Two ways through, chosen page by page:

* **typed rows** (PostgreSQL through psycopg 3): the body is decoded in C straight into typed values
  (``transfers.tabular.TypedPageDecoder``) and COPY'd in binary; no pandas frame, no COPY text. The
  decoder accepts only pages where every row fits the columns exactly;
* **frames**, for every other page and destination: ``page_to_frame`` (pandas) types the rows,
  quarantines misfits and finds new fields. A page that fails the typed decoding comes this way, so
  both give the same table content; the batch being built is flushed whenever the way changes, so
  rows still land in page order (the last version of a key wins).

Nothing row-level stops a load: a body that strict JSON refuses is read again leniently (``NaN``,
``Infinity``, ``1e999``) and only the rows holding such values are quarantined; the keys of every
quarantined row are kept (:attr:`LoadTotals.rejected_keys`) so that a full refresh keeps their previous
copies. A value of the incremental field later than ``ceiling`` (a sentinel such as ``9999-12-31``)
never becomes the watermark: it is logged with its row. Each batch logs rows loaded, rejected and
merged, with rows/s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.transfers.tabular import (
    DEFAULT_MAX_COLUMNS,
    SCALAR_SOURCE,
    Column,
    Reject,
    TypedPageDecoder,
    key_sources,
    page_to_frame,
    quarantine_non_finite,
    warehouse_name,
)

if TYPE_CHECKING:
    from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 5_000
"""Rows per upsert transaction: about 2x faster than one 500-row page per transaction into PostgreSQL."""

IDLE_COMMIT = 0.05
"""Seconds the loader waits for a page before the writer commits the batches it holds open."""

_END = object()


@dataclass
class LoadTotals:
    """What the loader wrote; ``newest`` is the largest value of the incremental field it saw."""

    rows: int = 0
    rejected: int = 0
    pages: int = 0
    batches: int = 0
    newest: dt.datetime | None = None
    columns: list[Column] = field(default_factory=list)
    rejected_keys: set[tuple[Any, ...]] = field(default_factory=set)
    """Key values of quarantined rows: their previous copies must survive a full refresh's sweep."""
    future_rows: int = 0
    """Rows whose incremental field lay beyond the ceiling (loaded, but not moving the watermark)."""


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
    :param decode_page: page body (``bytes``) -> items, raising for a body that is not a page (default: JSON).
    :param ceiling: latest credible value of the incremental field (now plus a tolerance); later values
        load but never become the watermark.
    :param max_columns: columns the table may have before new fields overflow into one JSON column.
    :param existing_columns: the table's columns before this load (a field keeps its column across loads).
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
        max_pending_pages: int = 24,
        logger: Any = None,
        decode_page: Callable[[bytes], list[Any]] | None = None,
        ceiling: dt.datetime | None = None,
        max_columns: int = DEFAULT_MAX_COLUMNS,
        existing_columns: Sequence[str] = (),
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
        self.ceiling = ceiling
        self.max_columns = max_columns
        self._existing = frozenset(existing_columns)
        self.totals = LoadTotals(columns=list(columns))
        self._key_fields = key_sources(columns, writer.key)
        self._started = time.monotonic()
        self._known = {c.name for c in columns}
        if decode_page is None:  # the hook module (HTTP provider) is imported here, not when a DAG file is parsed
            from airflow_provider_360learning.hooks.three_sixty_learning import decode_json

            decode_page = decode_json
        self._decode_page: Callable[[bytes], list[Any]] = decode_page
        self._typed: TypedPageDecoder | None = None
        self._typed_checked = False
        self._pages: queue.Queue[Any] = queue.Queue(maxsize=max_pending_pages)
        self._aborted = threading.Event()

    # --- fetching side ------------------------------------------------------------------------------

    def put(self, page: bytes | Sequence[Any], loading: Future[LoadTotals]) -> None:
        """Hand one page (its JSON body, or its items) over; blocks while the loader is ``max_pending_pages`` behind.

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
        bodies: list[bytes] = []  # the typed batch's page bodies (a dialect may load them instead of its rows)
        batch_decoder: TypedPageDecoder | None = None  # what decoded the batch's rows (None: items)
        while True:
            page = self._next_page()
            if self._aborted.is_set():
                return self.totals
            if page is _END:
                self._load(batch, batch_decoder, bodies)
                self.writer.commit_pending()
                return self.totals
            self.totals.pages += 1
            rows, decoder, body = self._decode(page)
            if decoder is not batch_decoder and batch:  # rows land in page order: finish the other batch first
                self._load(batch, batch_decoder, bodies)
                batch, bodies = [], []
            batch_decoder = decoder
            batch.extend(rows)
            if body is not None:
                bodies.append(body)
            if len(batch) >= self.batch_rows:
                self._load(batch, batch_decoder, bodies)
                batch, bodies = [], []

    def _next_page(self) -> Any:
        """The next page; when none comes within :data:`IDLE_COMMIT` seconds, the writer first commits what
        it holds open (``defer_commit``), so a transaction never waits on the API with the database held."""
        try:
            return self._pages.get(timeout=IDLE_COMMIT)
        except queue.Empty:
            self.writer.commit_pending()
            return self._pages.get()

    def _typed_decoder(self) -> TypedPageDecoder | None:
        """The typed decoder of the current columns, when the writer takes typed rows (else None)."""
        if not self._typed_checked:
            self._typed_checked = True
            scalar = any(c.source == SCALAR_SOURCE for c in self.totals.columns)
            self._typed = None
            if self.writer.accepts_typed_rows and not scalar:
                try:
                    self._typed = TypedPageDecoder(self.totals.columns, key=self.writer.key)
                except ValueError as error:  # a field msgspec cannot name (a quote in it): pages take frames
                    self.log.info("Typed decoding is off for %s: %s", self.table, error)
        return self._typed

    def _decode(self, page: bytes | Sequence[Any]) -> tuple[list[Any], TypedPageDecoder | None, bytes | None]:
        """A page's rows: typed tuples, their decoder and the body when it takes the body, else its items."""
        if not isinstance(page, bytes | bytearray | memoryview):
            return list(page), None, None
        decoder = self._typed_decoder()
        body = bytes(page)
        if decoder is not None:
            rows = decoder.decode(body)
            if rows is not None:
                return rows, decoder, body
        try:
            return self._decode_page(body), None, None
        except Exception as strict_error:
            items = _lenient_json(body)
            if items is None:
                raise strict_error from None
        # Strict JSON refused the body (``NaN``, ``Infinity``, ``1e999``): quarantine just those rows.
        clean, rejects = quarantine_non_finite(items, self._key_fields)
        self._quarantine(rejects)
        return clean, None, None

    def _quarantine(self, rejects: Sequence[Reject]) -> None:
        if not rejects:
            return
        self.totals.rejected += len(rejects)
        self.totals.rejected_keys.update(r.key_values for r in rejects if r.key_values is not None)
        self.log.warning(
            "%d row(s) of %s quarantined in the rejects table, e.g. %s: %s",
            len(rejects),
            self.table,
            rejects[0].key,
            rejects[0].reason,
        )
        self.writer.write_rejects(self.table, self.run_id, rejects)

    def _more_ready(self) -> bool:
        """Whether pages already wait in the queue: the writer may then commit this batch with the next ones
        (it commits at the latest when the queue runs dry, at the end, or when its dialect's bounds say)."""
        return not self._pages.empty()

    def _load(self, rows: list[Any], decoder: TypedPageDecoder | None, bodies: Sequence[bytes] = ()) -> None:
        if not rows:
            return
        started = time.monotonic()
        rejected_before = self.totals.rejected
        if decoder is not None:  # typed rows: of the decoder's columns (a later page may have added some)
            newest, late = decoder.newest(rows, self.incremental_field, self.totals.newest, self.ceiling)
            loaded = self.writer.upsert_typed(
                decoder.columns, rows, self.load_id, pages=bodies, defer_commit=self._more_ready()
            )
        else:
            frame, rejects, extra = page_to_frame(
                rows, self.totals.columns, key=self.writer.key, max_columns=self.max_columns, existing=self._existing
            )
            new_columns = [c for c in extra if c.name not in self._known]
            if new_columns:
                self._known.update(c.name for c in new_columns)
                self.totals.columns = [*self.totals.columns, *new_columns]
                self.log.info("New API fields become columns of %s: %s", self.table, [c.source for c in new_columns])
                self.writer.ensure_table(self.totals.columns)
                self._typed_checked = False  # the typed decoder must know the new columns
            self._quarantine(rejects)
            newest, late = newest_value(
                frame, self.incremental_field, self.totals.newest, self.ceiling, self.writer.key
            )
            loaded = self.writer.upsert(frame, self.load_id, defer_commit=self._more_ready())
        self.totals.newest = newest
        if late:
            self.totals.future_rows += len(late)
            self.log.warning(
                "%d row(s) of %s have %s later than %s; they are loaded but do not move the watermark: %s",
                len(late),
                self.table,
                self.incremental_field,
                self.ceiling.isoformat() if self.ceiling else "now",
                ", ".join(f"{key} ({value})" for key, value in late[:10]),
            )
        self.totals.rows += loaded
        self.totals.batches += 1
        elapsed = time.monotonic() - self._started
        self.log.info(
            "%s batch %d: %d row(s) loaded and merged on %s in %.2f s, %d rejected; %d loaded in all, %.0f rows/s",
            self.table,
            self.totals.batches,
            loaded,
            "/".join(self.writer.key),
            time.monotonic() - started,
            self.totals.rejected - rejected_before,
            self.totals.rows,
            self.totals.rows / elapsed if elapsed > 0 else 0.0,
        )


def _lenient_json(body: bytes) -> list[Any] | None:
    """A page body read by Python's permissive parser (``NaN``, ``Infinity``, ``1e999`` become floats), or None."""
    try:
        items = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return items if isinstance(items, list) else None


def newest_value(
    frame: Any,
    field: str | None,
    current: dt.datetime | None,
    ceiling: dt.datetime | None = None,
    key: Sequence[str] = ("id",),
) -> tuple[dt.datetime | None, list[tuple[Any, Any]]]:
    """The later of ``current`` and the frame's largest ``field`` value up to ``ceiling``; and the rows past it.

    Returns ``(newest, late)`` where ``late`` lists ``(key, value)`` of the rows beyond ``ceiling``.
    """
    if field is None:
        return current, []
    column = warehouse_name(field)
    if column not in frame.columns or frame.empty:
        return current, []
    values = frame[column]
    late: list[tuple[Any, Any]] = []
    if ceiling is not None:
        beyond = (values > ceiling).fillna(False).to_numpy(dtype=bool)
        if beyond.any():
            keys = frame[key[0]].to_numpy()[beyond] if key and key[0] in frame.columns else [None] * int(beyond.sum())
            late = [(k, v.isoformat()) for k, v in zip(keys, values[beyond], strict=True)]
            values = values[~beyond]
    value = values.max() if len(values) else None
    if value is None or value != value:  # NaT
        return current, late
    newest = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return (newest if current is None or newest > current else current), late
