"""The registry of partitionable actions and the partition planner (pure: no server)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from airflow_provider_360learning.actions import partitions
from airflow_provider_360learning.actions.partitions import (
    MAX_URL_BYTES,
    PARTITIONINGS,
    Partitioning,
    PartitionPlanner,
    check_partitionings,
    partitioning_for,
    plan_partitions,
)
from airflow_provider_360learning.actions.requests import build_request

BASE = "https://app.360learning.com"


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"{i:024x}" for i in range(start, start + n)]


def _in_ids(plan: partitions.PartitionPlan, name: str) -> list[str]:
    return [oid for part in plan.partitions for oid in part.params.get(name, {}).get("in", [])]


def test_every_registry_entry_is_supported_by_the_official_spec() -> None:
    check_partitionings()
    assert {"list_courses_statistics", "get_path_stats"} <= set(PARTITIONINGS)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (Partitioning("list_courses_statistics", "completedAt", "list_courses"), "is not a filter with 'in'"),
        (Partitioning("list_courses_statistics", "courseId", "get_course"), "is not a list action"),
        (Partitioning("list_courses_statistics", "courseId", "list_path_sessions"), "needs path parameters"),
    ],
)
def test_an_entry_the_spec_does_not_support_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, entry: Partitioning, problem: str
) -> None:
    monkeypatch.setattr(partitions, "PARTITIONINGS", {entry.action: entry})
    with pytest.raises(ValueError, match=problem) as failure:
        check_partitionings()
    assert entry.action in str(failure.value)


def test_a_read_already_filtered_on_the_partition_field_is_not_partitioned() -> None:
    assert partitioning_for("list_courses_statistics", {}) is not None
    assert partitioning_for("list_courses_statistics", {"courseId": {"eq": "0" * 24}}) is None
    assert partitioning_for("list_users", {}) is None  # no parent enumerates its filters


def test_twelve_thousand_parents_make_url_sized_partitions_that_cover_each_parent_once() -> None:
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ids = _ids(12_000)
    plan = plan_partitions("list_courses_statistics", {"completedAt": {"gte": since}}, ids, streams=10, base_url=BASE)
    urls = [build_request("list_courses_statistics", p.params).url(BASE) for p in plan.partitions]
    assert max(len(u.encode()) for u in urls) <= MAX_URL_BYTES
    assert sorted(_in_ids(plan, "courseId")) == ids  # every parent in exactly one partition
    assert all("completedAt%5Bgte%5D=2026-01-01" in u for u in urls)  # the caller's filters stay
    # as few partitions as the URL limit allows: each but the last carries nearly a URL's worth of ids
    assert len(plan.partitions) <= -(-12_000 // 180)
    # a 'nin' of 12,000 ids would be a ~500 KB URL: no remainder, and the plan says so
    assert plan.remainder_skipped and "no remainder" in plan.describe()


def test_a_small_parent_list_feeds_every_stream_and_keeps_a_remainder() -> None:
    ids = _ids(9)
    plan = plan_partitions("get_path_stats", {}, ids, streams=4, base_url=BASE)
    assert not plan.remainder_skipped
    *parts, remainder = plan.partitions
    assert len(parts) == 4 and sorted(_in_ids(plan, "pathId")) == ids
    assert remainder.params["pathId"] == {"nin": ids}  # rows of parents the list did not name


def test_no_parent_at_all_reads_everything_in_one_partition() -> None:
    plan = plan_partitions("get_path_stats", {"status": {"eq": "published"}}, [], streams=8, base_url=BASE)
    assert [dict(p.params) for p in plan.partitions] == [{"status": {"eq": "published"}}]


def test_partitions_start_before_the_parent_list_ends_and_duplicates_count_once() -> None:
    planner = PartitionPlanner("list_courses_statistics", {}, streams=10, base_url=BASE)
    first = planner.add(_ids(500), last=False)
    assert len(first) == 10  # the first parent page feeds every stream at once
    second = planner.add(_ids(600, start=500), last=False)
    assert [len(p.params["courseId"]["in"]) for p in second[:2]] == [193, 193]  # then URL-sized partitions
    rest = planner.add(_ids(300, start=1000), last=True)  # 100 ids listed again (rows moved between pages)
    plan = planner.plan(first + second + rest)
    counts = Counter(_in_ids(plan, "courseId"))
    assert sorted(counts) == _ids(1300) and set(counts.values()) == {1}
    assert plan.parents == 1300


def test_ids_longer_than_sampled_still_keep_every_url_under_the_limit() -> None:
    planner = PartitionPlanner("list_courses_statistics", {}, streams=1, base_url=BASE, max_url_bytes=2_000)
    parts = planner.add(_ids(30), last=False) + planner.add(_ids(60, start=30), last=True)
    assert all(len(build_request("list_courses_statistics", p.params).url(BASE)) <= 2_000 for p in parts)
    assert sorted(oid for p in parts for oid in p.params["courseId"].get("in", [])) == _ids(90)


def test_a_url_limit_too_small_for_one_id_is_an_error_naming_the_filter() -> None:
    with pytest.raises(ValueError, match="courseId"):
        plan_partitions("list_courses_statistics", {}, _ids(3), streams=2, base_url=BASE, max_url_bytes=60)


def _counts(n: int, seed: int = 7) -> dict[str, int]:
    """Rows per parent like a tenant's: most courses small, a few with thousands of statistics."""
    import random

    rng = random.Random(seed)
    return {oid: max(1, int(rng.paretovariate(1.2) * 8)) for oid in _ids(n)}


@pytest.mark.parametrize(("parents", "streams", "seed"), [(12_000, 15, 1), (3_000, 4, 2), (40, 8, 3), (1, 1, 4)])
def test_known_parents_pack_into_whole_pages_each_once(parents: int, streams: int, seed: int) -> None:
    known = _counts(parents, seed)
    page, per_url = 500, 190
    chunks = partitions.pack_known(known, page_size=page, ids_per_url=per_url, streams=streams)
    flat = [oid for chunk in chunks for oid in chunk]
    assert sorted(flat) == sorted(known)  # every parent in exactly one partition
    assert all(len(chunk) <= per_url for chunk in chunks)
    rows = [sum(known[oid] for oid in chunk) for chunk in chunks]
    total = sum(known.values())
    requests = sum(-(-r // page) for r in rows)
    # whole pages: at most the slack and a few parents bigger than their partition above the one-stream pages
    assert requests <= -(-total // page) * (1 + 2 * partitions.PACK_SLACK) + 3, (requests, total)
    assert all(r <= 500 for r in rows[-min(len(rows), 2 * streams) + 1 :] if len(rows) > 2 * streams)


def test_pack_known_is_deterministic_and_skips_parents_without_rows() -> None:
    known = {**_counts(500), "f" * 24: 0}
    first = partitions.pack_known(known, page_size=500, ids_per_url=190, streams=5)
    assert first == partitions.pack_known(dict(reversed(known.items())), page_size=500, ids_per_url=190, streams=5)
    assert "f" * 24 not in {oid for chunk in first for oid in chunk}


def test_known_parents_start_at_once_and_the_parent_list_adds_only_new_ones() -> None:
    known = _counts(1_000)
    stale = _ids(1, start=5_000)[0]  # deleted since the previous load: still asked for, harmlessly
    known[stale] = 3
    planner = PartitionPlanner("list_courses_statistics", {}, streams=4, base_url=BASE)
    seeded = planner.seed({**known, "not-an-id": 5})
    assert seeded and all("page(s)" in p.label for p in seeded)
    listed = [oid for oid in known if oid != stale] + _ids(250, start=1_000)  # 250 new parents
    later = planner.add(listed[:600], last=False) + planner.add(listed[600:], last=True)
    plan = planner.plan(seeded + later)
    counts = Counter(_in_ids(plan, "courseId"))
    assert set(counts.values()) == {1}  # disjoint
    assert set(counts) == set(known) | set(listed)  # every listed parent, and the known ones
    assert {oid for p in later for oid in p.params["courseId"].get("in", [])} == set(_ids(250, start=1_000))
    urls = [build_request("list_courses_statistics", p.params).url(BASE) for p in plan.partitions]
    assert max(len(u.encode()) for u in urls) <= MAX_URL_BYTES
    assert "not-an-id" not in counts  # a value that is no id is no parent


def test_the_counted_url_length_is_the_built_one() -> None:
    """Plain ids of one length are sized by arithmetic (no URL built per partition): it must agree exactly."""
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    planner = PartitionPlanner("list_courses_statistics", {"completedAt": {"gte": since}}, streams=2, base_url=BASE)
    fits = planner._ids_per_url(_ids(1)[0])
    for n in (1, 2, fits - 1, fits, fits + 1):
        chunk = _ids(n)
        url = build_request("list_courses_statistics", {"completedAt": {"gte": since}, "courseId": {"in": chunk}})
        assert planner._fits(chunk) == (len(url.url(BASE).encode()) <= MAX_URL_BYTES), n
