"""Which list actions can be read as disjoint parallel streams, and the plan that splits one read.

360Learning pages list actions with a forward-only cursor, so one stream waits for each page before it can ask
for the next: at 150 ms a request it makes under 7 of the 50 GETs a second a company may send. Only disjoint
streams read concurrently can reach that ceiling. An action partitions on one of its own documented bracket
filters that has the ``in`` and ``nin`` operators and whose values are the ids of a parent list action
(``courseId`` of course statistics <- ``list_courses``): partition *i* asks for ``courseId[in]=<ids i>``, and a
remainder partition ``courseId[nin]=<every listed id>`` reads the rows whose parent is not listed.

Two limits shape a plan:

- every request URL stays under :data:`MAX_URL_BYTES` (8 KB, what proxies and servers commonly accept). An
  ``in`` filter sends each id as its own ``courseId[in]=...`` pair (the spec's ``explode: true``), about 41
  bytes an id, so a partition holds at most about 190 parents;
- the remainder's ``nin`` must list every parent, which fits in one URL only for small parent lists (about
  190 paths, groups or sessions, not 12,000 courses). When it does not fit, the plan has no remainder and says
  so (:attr:`PartitionPlan.remainder_skipped`): it then relies on the parent list naming every parent that has
  rows, which the parent actions do (``list_courses`` lists every course of the company, whatever its status).

A planner that knows the previous load's rows per parent (``known``: a full load's own table, grouped by the
filter's column) starts streams at once on those parents, without waiting for the parent list, and packs them
into partitions of whole pages (:func:`pack_known`): a partition's last page is then full, not half empty on
average. The parent list is still read, beside the streams, for the parents the previous load did not see.

The table below is the registry of partitionable actions; :func:`check_partitionings` proves each entry against
the official spec (the filter exists with ``in`` and ``nin``, the parent is a list action, the path parameters
the parent needs are the child's own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.actions.registry import ACTIONS, Action
from airflow_provider_360learning.actions.requests import build_request

MAX_URL_BYTES = 8 * 1024 - 1
"""A request URL (scheme, host, path and query) is at most this long."""


@dataclass(frozen=True)
class Partitioning:
    """How one list action splits: its ``filter`` takes the ``parent_field`` of each item of ``parent``."""

    action: str
    filter: str
    parent: str
    parent_field: str = "_id"

    @property
    def parent_action(self) -> Action:
        return ACTIONS[self.parent]


PARTITIONINGS: Mapping[str, Partitioning] = {
    p.action: p
    for p in (
        Partitioning("list_courses_statistics", "courseId", "list_courses"),
        Partitioning("get_path_stats", "pathId", "list_paths"),
        Partitioning("get_all_path_sessions", "pathId", "list_paths"),
        Partitioning("list_classrooms", "groupId", "list_groups"),
        Partitioning("list_path_enrollments", "sessionId", "list_path_sessions"),
    )
}
"""The partitionable list actions. Others (users, groups, tags...) have no filter whose values some cheaper list
enumerates, and read as one stream."""


def check_partitionings() -> None:
    """Raise ``ValueError`` for an entry of :data:`PARTITIONINGS` the official spec does not support."""
    for name, p in PARTITIONINGS.items():
        action, parent = ACTIONS.get(name), ACTIONS.get(p.parent)
        if action is None or not action.returns_list or not action.is_paginated:
            raise ValueError(f"partitioning of {name}: not a paginated list action")
        if parent is None or not parent.returns_list:
            raise ValueError(f"partitioning of {name}: parent {p.parent!r} is not a list action")
        param = action.user_parameters.get(p.filter)
        if param is None or not param.is_filter or not {"in", "nin"} <= set(param.operators):
            raise ValueError(f"partitioning of {name}: {p.filter!r} is not a filter with 'in' and 'nin'")
        missing = {q.name for q in parent.path_parameters} - {q.name for q in action.path_parameters}
        if missing:
            raise ValueError(f"partitioning of {name}: parent {p.parent} needs path parameters {sorted(missing)}")


def partitioning_for(action: Action | str, params: Mapping[str, Any]) -> Partitioning | None:
    """The partitioning of ``action``, unless the caller already filters on its field (then one stream)."""
    name = action if isinstance(action, str) else action.name
    p = PARTITIONINGS.get(name)
    if p is None or p.filter in params:
        return None
    return p


def parent_params(partitioning: Partitioning, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parent list's parameters: the path parameters it shares with the child (a path's sessions)."""
    return {q.name: params[q.name] for q in partitioning.parent_action.path_parameters if q.name in params}


@dataclass(frozen=True)
class Partition:
    """One disjoint stream: the action's parameters plus its own ``in`` (or the remainder's ``nin``) filter."""

    label: str
    params: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class PartitionPlan:
    """The partitions of one read, and what the plan had to leave out."""

    action: str
    partitions: tuple[Partition, ...]
    parents: int
    remainder_skipped: bool = False
    """True when the remainder's ``nin`` of every parent would not fit in a URL: rows of unlisted parents are
    not read (the parent list must name every parent)."""

    def describe(self) -> str:
        remainder = "no remainder: parents past the URL limit" if self.remainder_skipped else "with a remainder"
        return f"{len(self.partitions)} partition(s) over {self.parents} parent(s), {remainder}"


def _url_bytes(action: Action, params: Mapping[str, Any], base_url: str) -> int:
    return len(build_request(action, params).url(base_url).encode())


class PartitionPlanner:
    """Build the partitions of one read while the parent list is still being paged.

    Each parent page hands its ids to :meth:`add`; the first one is dealt out over every stream at once, later
    ones in full partitions (as many ids as one URL carries), so streams start on the first parent page instead
    of after the whole list. When the last parent page
    arrives the rest is split evenly over the streams no partition keeps busy yet (a small parent list still
    feeds every stream), in URL-sized chunks at most; then the remainder, when its ``nin`` fits.
    """

    def __init__(
        self,
        action: Action | str,
        params: Mapping[str, Any],
        *,
        streams: int,
        base_url: str,
        max_url_bytes: int = MAX_URL_BYTES,
    ) -> None:
        self.action = ACTIONS[action] if isinstance(action, str) else action
        self.partitioning = PARTITIONINGS[self.action.name]
        self.streams = max(1, streams)
        self.base_url = base_url
        self.max_url_bytes = max_url_bytes
        self._base = {k: v for k, v in params.items() if k != self.partitioning.filter}
        self._ids: dict[str, None] = {}
        self._pending: list[str] = []
        self._emitted = 0
        self._per_url: int | None = None
        self._shapes: dict[int, tuple[int, int]] = {}
        self.remainder_skipped = False
        self.known: dict[str, int] = {}
        """Rows per parent in the previous load, once :meth:`seed` had them."""
        items = self.action.user_parameters[self.partitioning.filter].schema["properties"]["in"].get("items", {})
        self._id_pattern = re.compile(items["pattern"]) if "pattern" in items else None
        """What the spec accepts as one id of the ``in`` filter (a warehouse value that is not one is no parent)."""

    def _accepts(self, value: str) -> bool:
        return bool(value) and (self._id_pattern is None or self._id_pattern.search(value) is not None)

    def seed(self, known: Mapping[str, int]) -> list[Partition]:
        """Partitions for the parents of ``known`` (id -> rows in the previous load), packed into whole pages
        (see :func:`pack_known`); the parent list then only adds the parents they do not hold. Call it before
        :meth:`add` (ids added earlier are not packed again)."""
        self.known = {
            str(k): int(v) for k, v in known.items() if v and self._accepts(str(k)) and str(k) not in self._ids
        }
        if not self.known:
            return []
        for oid in self.known:
            self._per_url = min(self._per_url or 1 << 30, self._ids_per_url(oid))
        page = self.action.page_size or 1
        out: list[Partition] = []
        for chunk in pack_known(self.known, page_size=page, ids_per_url=self._per_url or 1, streams=self.streams):
            self._ids.update(dict.fromkeys(chunk))
            rows = sum(self.known[oid] for oid in chunk)
            out.extend(self._partitions(chunk, note=f", about {-(-rows // page)} page(s)"))
        return out

    @property
    def parents(self) -> int:
        return len(self._ids)

    def _ids_per_url(self, sample: str) -> int:
        one, per_id = self._url_shape(sample)
        if one > self.max_url_bytes:
            name = self.partitioning.filter
            raise ValueError(f"{self.action.name}: one {name} does not fit in a {self.max_url_bytes}-byte URL")
        return 1 + (self.max_url_bytes - one) // max(1, per_id)

    def _url_shape(self, sample: str) -> tuple[int, int]:
        """The URL's bytes with ``sample`` as the only id, and what each further id adds. Cached per length for
        plain ids (letters and digits are URL-encoded as themselves), so sizing 12,000 parents builds two URLs."""
        plain = sample.isascii() and sample.isalnum()
        if plain and len(sample) in self._shapes:
            return self._shapes[len(sample)]
        name = self.partitioning.filter
        one = _url_bytes(self.action, {**self._base, name: {"in": [sample]}}, self.base_url)
        two = _url_bytes(self.action, {**self._base, name: {"in": [sample, sample]}}, self.base_url)
        if plain:
            self._shapes[len(sample)] = (one, two - one)
        return one, two - one

    def _fits(self, chunk: list[str]) -> bool:
        """Whether ``chunk``'s URL is within the limit: counted for plain ids of one length, else built."""
        first = chunk[0]
        if len(first) in self._shapes and all(len(i) == len(first) and i.isascii() and i.isalnum() for i in chunk):
            one, per_id = self._shapes[len(first)]
            return one + (len(chunk) - 1) * per_id <= self.max_url_bytes
        params = {**self._base, self.partitioning.filter: {"in": chunk}}
        return _url_bytes(self.action, params, self.base_url) <= self.max_url_bytes

    def _partitions(self, chunk: list[str], note: str = "") -> list[Partition]:
        """One partition for ``chunk``, or several when its URL would be too long (longer ids than sampled)."""
        name = self.partitioning.filter
        if len(chunk) > 1 and not self._fits(chunk):
            half = len(chunk) // 2
            return self._partitions(chunk[:half]) + self._partitions(chunk[half:])
        self._emitted += 1
        return [Partition(f"{name} in #{self._emitted} ({len(chunk)} ids{note})", {**self._base, name: {"in": chunk}})]

    def add(self, ids: Sequence[str], *, last: bool) -> list[Partition]:
        """Take one parent page's ids; return the partitions that are complete (all of them when ``last``)."""
        for oid in ids:
            if oid not in self._ids:  # a parent listed twice (rows moved between pages) counts once
                self._ids[oid] = None
                self._pending.append(oid)
                self._per_url = min(self._per_url or 1 << 30, self._ids_per_url(oid))
        out: list[Partition] = []
        per_url = self._per_url or 1
        if not last and self._emitted < self.streams and self._pending:
            # The first parent page feeds every stream at once (smaller partitions): the parent list is a
            # cursor too, and waiting for URL-sized chunks would leave most streams idle for its first pages.
            idle = self.streams - self._emitted
            size = min(per_url, -(-len(self._pending) // idle))
            while self._pending and self._emitted < self.streams:
                chunk, self._pending = self._pending[:size], self._pending[size:]
                out.extend(self._partitions(chunk))
        while len(self._pending) >= per_url and not last:
            chunk, self._pending = self._pending[:per_url], self._pending[per_url:]
            out.extend(self._partitions(chunk))
        if last and self._pending:  # the rest, evenly over the streams that no partition keeps busy yet
            rest, self._pending = self._pending, []
            count = min(len(rest), max(self.streams - self._emitted, -(-len(rest) // per_url)))
            for n in range(count):
                out.extend(self._partitions(rest[n * len(rest) // count : (n + 1) * len(rest) // count]))
        if last:
            out.extend(self._remainder())
        return out

    def _remainder(self) -> list[Partition]:
        name = self.partitioning.filter
        ids = list(self._ids)
        params = {**self._base, name: {"nin": ids}} if ids else dict(self._base)
        if ids and _url_bytes(self.action, params, self.base_url) > self.max_url_bytes:
            self.remainder_skipped = True
            return []
        return [Partition(f"{name} not in the {len(ids)} listed" if ids else "every row (no parent listed)", params)]

    def plan(self, partitions: Sequence[Partition]) -> PartitionPlan:
        return PartitionPlan(self.action.name, tuple(partitions), self.parents, self.remainder_skipped)


PACK_SLACK = 0.01
"""A packed partition is filled to this share below its whole pages: a parent that gained a few rows since the
previous load then still fits, instead of costing a nearly empty extra page."""


def pack_known(known: Mapping[str, int], *, page_size: int, ids_per_url: int, streams: int) -> list[list[str]]:
    """Group parents whose row counts are known into partitions that fill whole pages.

    Most partitions hold ``k`` pages (``k`` set so that about ``ids_per_url`` average parents fill them, and so
    that there are at least four partitions a stream); the last ``2 x streams`` hold one page each, so the read
    ends with small pieces that every stream can share. Each partition is filled largest parent first, then its
    gap with the smallest ones (a parent larger than a partition gets one of its own, its last page filled with
    small ones). A partition that reaches the URL's id limit before its pages are full gives back parents until
    its last page is full, and those are packed again. Deterministic.
    """
    pool = sorted((oid for oid in known if known[oid] > 0), key=lambda oid: (-known[oid], oid))
    if not pool:
        return []
    total = sum(known[oid] for oid in pool)
    pages = max(1, -(-total // page_size))
    average = total / len(pool)
    k = max(1, min(int(0.9 * ids_per_url * average) // page_size, pages // (4 * streams)))
    small = min(2 * streams, pages)
    chunks: list[list[str]] = []
    done = 0
    while pool:
        leftover: list[str] = []
        lo, hi = 0, len(pool) - 1
        while lo <= hi:
            size = 1 if pages - done <= small else k
            capacity = _filled(size * page_size)
            if known[pool[lo]] > capacity:  # a parent larger than a partition: alone, its last page filled up
                capacity = max(known[pool[lo]], _filled(-(-known[pool[lo]] // page_size) * page_size))
            chunk: list[str] = []
            rows = 0
            while lo <= hi and len(chunk) < ids_per_url and rows + known[pool[lo]] <= capacity:
                rows += known[pool[lo]]
                chunk.append(pool[lo])
                lo += 1
            while lo <= hi and len(chunk) < ids_per_url and rows + known[pool[hi]] <= capacity:
                rows += known[pool[hi]]
                chunk.append(pool[hi])
                hi -= 1
            if len(chunk) == ids_per_url and rows > page_size and rows % page_size:
                rows = _give_back(chunk, known, _filled(rows // page_size * page_size), leftover)
            chunks.append(chunk)
            done += -(-rows // page_size)
        if len(leftover) == len(pool):  # nothing placed: cannot happen (every round places a parent)
            break
        pool = sorted(leftover, key=lambda oid: (-known[oid], oid))
    return chunks


def _filled(rows: int) -> int:
    return rows - max(1, int(rows * PACK_SLACK))


def _give_back(chunk: list[str], known: Mapping[str, int], target: int, out: list[str]) -> int:
    """Move parents of ``chunk`` to ``out`` until its rows are at most ``target``; returns its rows."""
    rows = sum(known[oid] for oid in chunk)
    while rows > target and len(chunk) > 1:
        excess = rows - target
        # one parent just over the excess if there is one, else the smallest (never a big one for a few rows)
        fitting = [oid for oid in chunk if excess <= known[oid] <= 2 * excess]
        oid = min(fitting or chunk, key=lambda o: (known[o], o))
        chunk.remove(oid)
        out.append(oid)
        rows -= known[oid]
    return rows


def plan_partitions(
    action: Action | str,
    params: Mapping[str, Any],
    parent_ids: Sequence[str],
    *,
    streams: int,
    base_url: str,
    max_url_bytes: int = MAX_URL_BYTES,
) -> PartitionPlan:
    """The whole plan for a parent list known at once (see :class:`PartitionPlanner`)."""
    planner = PartitionPlanner(action, params, streams=streams, base_url=base_url, max_url_bytes=max_url_bytes)
    return planner.plan(planner.add(parent_ids, last=True))


__all__ = [
    "MAX_URL_BYTES",
    "PACK_SLACK",
    "PARTITIONINGS",
    "Partition",
    "PartitionPlan",
    "PartitionPlanner",
    "Partitioning",
    "check_partitionings",
    "pack_known",
    "parent_params",
    "partitioning_for",
    "plan_partitions",
]
