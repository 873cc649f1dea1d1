"""Read one list action as disjoint partitions, several at a time, on the client core's event loop.

A forward-only cursor makes one stream wait a round trip per page; ``streams`` workers each follow one
partition's cursor (see :mod:`airflow_provider_360learning.actions.partitions`), so ``streams`` pages are in flight
at once. With the previous load's rows per parent, those parents' partitions start before the parent list is read
and fill whole pages. Every request still takes a permit of the tenant-wide budget first (the client core does), so however many
streams, tasks or workers read, the company's 50 GET/s hold. Partitions start as soon as the first parent page
is listed. Pages come out in arrival order, tagged with their partition; at most ``streams`` pages wait to be
consumed (memory stays flat). A failed partition stops the read: the other streams are cancelled and its error is
raised, so a consumer never mistakes a partial read for a complete one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.actions.partitions import Partition, PartitionPlan, PartitionPlanner, parent_params

log = logging.getLogger(__name__)

COUNTS_WAIT_S = 2.0
"""How long listed parents wait for the previous load's counts (a ``GROUP BY`` over the table, about 0.1 s for
250,000 rows): past it the read plans from the parent list alone, rather than leave its streams idle."""

PageReader = Callable[[str, Mapping[str, Any]], AsyncIterator[Any]]
"""``(action name, params) -> pages``: the hook's own paged read (raw bodies or decoded items)."""


@dataclass
class PartitionStats:
    """What one partition read: pages and when its first page was asked for (its range is complete from then)."""

    partition: Partition
    pages: int = 0
    started: float | None = None
    """Wall-clock time (``time.time()``) at which this partition's first request went out."""


@dataclass
class PartitionedRead:
    """One partitioned read: :meth:`pages` yields ``(stats, page)``; afterwards :attr:`plan` and :attr:`stats`."""

    action: str
    params: Mapping[str, Any]
    streams: int
    base_url: str
    read: PageReader
    parent_items: PageReader
    """The parent list's pages, as decoded items (the planner needs their ids)."""
    known: Mapping[str, int] | Future[Mapping[str, int]] | None = None
    """Rows per parent in the previous load (or a future of them, read while the parent list starts): those
    partitions start as soon as they are known, packed into whole pages."""
    plan: PartitionPlan | None = None
    stats: list[PartitionStats] = field(default_factory=list)
    parent_pages: int = 0

    async def _plan(self, work: asyncio.Queue[PartitionStats | None]) -> None:
        planner = PartitionPlanner(self.action, self.params, streams=self.streams, base_url=self.base_url)
        field_name = planner.partitioning.parent_field
        made: list[Partition] = []
        held: list[str] | None = None  # parent ids listed while the previous load's counts are still being read
        seeding: asyncio.Task[None] | None = None
        if self.known is not None:
            held = []
            known = self.known

            async def seed_when_known() -> None:
                nonlocal held
                try:
                    arrived = (
                        known
                        if isinstance(known, Mapping)
                        else await asyncio.wait_for(asyncio.wrap_future(known), COUNTS_WAIT_S)
                    )
                    counts = {str(oid): int(rows) for oid, rows in arrived.items()}
                except Exception as exc:  # only a sizing hint (late, failed or not counts): plan from the parent list
                    log.warning(
                        "%s: no rows per parent from the previous load (%s): sized by the parent list",
                        self.action,
                        type(exc).__name__,
                    )
                    counts = {}
                made.extend(await self._seed(work, planner, counts))
                listed, held = held or [], None
                made.extend(await self._queue(work, planner.add(listed, last=False)))

            seeding = asyncio.create_task(seed_when_known())
        try:
            await self._list_parents(work, planner, made, field_name, lambda: held)
            if seeding is not None:
                await seeding
        finally:
            if seeding is not None and not seeding.done():
                seeding.cancel()
        made.extend(await self._queue(work, planner.add([], last=True)))
        self.plan = planner.plan(made)
        log.info(
            "%s: %s, read by %d stream(s) (parent list: %d page(s))",
            self.action,
            self.plan.describe(),
            self.streams,
            self.parent_pages,
        )
        if self.plan.remainder_skipped:
            log.warning(
                "%s: rows whose %s is not among the %d listed are not read (a 'nin' of every id would pass the "
                "URL limit): the read relies on %s listing every parent",
                self.action,
                planner.partitioning.filter,
                self.plan.parents,
                planner.partitioning.parent,
            )

    async def _seed(
        self, work: asyncio.Queue[PartitionStats | None], planner: PartitionPlanner, known: Mapping[str, int]
    ) -> list[Partition]:
        made = await self._queue(work, planner.seed(known))
        if made:
            log.info(
                "%s: %d partition(s) of whole pages over the %d parent(s) of the previous load; %s adds new ones",
                self.action,
                len(made),
                len(planner.known),
                planner.partitioning.parent,
            )
        return made

    async def _list_parents(
        self,
        work: asyncio.Queue[PartitionStats | None],
        planner: PartitionPlanner,
        made: list[Partition],
        field_name: str,
        holding: Callable[[], list[str] | None],
    ) -> None:
        """Page the parent list; each page's full partitions start at once, or its ids wait in ``holding()``
        while the previous load's counts are read."""
        pages = self.parent_items(planner.partitioning.parent, parent_params(planner.partitioning, self.params))
        async for items in pages:
            self.parent_pages += 1
            ids = _ids(items, field_name)
            held = holding()
            if held is not None:
                held.extend(ids)
            else:
                made.extend(await self._queue(work, planner.add(ids, last=False)))

    async def _queue(self, work: asyncio.Queue[PartitionStats | None], parts: list[Partition]) -> list[Partition]:
        for part in parts:
            stats = PartitionStats(part)
            self.stats.append(stats)
            await work.put(stats)
        return parts

    async def pages(self) -> AsyncIterator[tuple[PartitionStats, Any]]:
        """Every page of every partition, as they arrive."""
        work: asyncio.Queue[PartitionStats | None] = asyncio.Queue()
        out: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(2, self.streams))
        done = object()

        async def planner() -> None:
            try:
                await self._plan(work)
            except Exception as exc:
                await out.put(_Failed(exc))
            finally:
                for _ in range(self.streams):
                    work.put_nowait(None)

        async def worker() -> None:
            try:
                while (stats := await work.get()) is not None:
                    stats.started = time.time()
                    async for page in self.read(self.action, stats.partition.params):
                        stats.pages += 1
                        await out.put((stats, page))
            except Exception as exc:
                await out.put(_Failed(exc))
                return
            await out.put(done)

        tasks = [asyncio.create_task(planner())] + [asyncio.create_task(worker()) for _ in range(self.streams)]
        try:
            live = self.streams
            while live:
                item = await out.get()
                if item is done:
                    live -= 1
                elif isinstance(item, _Failed):
                    raise item.error
                else:
                    yield item
            if self.plan is None:  # the planner failed after the workers ran out of partitions
                while not isinstance(item := await out.get(), _Failed):
                    pass
                raise item.error
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def complete_since(self) -> float | None:
        """The earliest first-request time of the partitions: every partition's range is complete from then on,
        so an incremental load may move its watermark up to it and no further (``None``: nothing was read)."""
        starts = [s.started for s in self.stats if s.started is not None]
        return min(starts) if starts else None


@dataclass
class _Failed:
    error: Exception


def _ids(items: list[Any], field_name: str) -> list[str]:
    return [str(item[field_name]) for item in items if isinstance(item, Mapping) and item.get(field_name)]


__all__ = ["COUNTS_WAIT_S", "PartitionStats", "PartitionedRead"]
