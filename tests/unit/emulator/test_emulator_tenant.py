"""Generated data: deterministic, lazy, contract-valid, consistent, and fast enough for benchmarks."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest

from airflow_provider_360learning.actions import load_document
from airflow_provider_360learning.emulator.tenant import YEAR, Tenant, iso
from tests.unit.emulator.conftest import API_DATETIME, _local_validator


def _validator(schema: str) -> Any:
    return _local_validator("core", f"/components/schemas/{schema}")


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = Tenant(42, 1), Tenant(42, 1), Tenant(43, 1)
    for name in a.collections:
        rows_a = [a.collections[name].item(i) for i in range(0, len(a.collections[name]), 37)]
        assert rows_a == [b.collections[name].item(i) for i in range(0, len(b.collections[name]), 37)], name
        assert rows_a[0]["_id"] != c.collections[name].item(0)["_id"], name


@pytest.mark.parametrize(
    "scale,users,courses,course_stats",
    [(1, 200, 60, 1250), (50, 10_000, 3_000, 62_500), (100, 20_000, 6_000, 125_000)],
)
def test_counts_per_scale(scale: int, users: int, courses: int, course_stats: int) -> None:
    tenant = Tenant(42, scale)
    counts = tenant.summary()["counts"]
    assert (counts["users"], counts["courses"], counts["course_stats"]) == (users, courses, course_stats)
    assert counts["groups"] == 10 and counts["paths"] == 5
    assert all(2 <= n <= 3 for n in tenant.summary()["sessions_per_path"])
    assert tenant.onboarding.count == users
    assert counts["path_session_user_stats"] == sum(s.count for s in tenant.sessions)
    if scale >= 100:
        assert counts["course_stats"] >= 100_000
    if scale == 1:
        assert counts["course_stats"] > 2 * 500 and 300 <= counts["path_session_user_stats"] <= 1_000


def test_benchmark_scales_stay_lazy() -> None:
    tracemalloc.start()
    big = Tenant(42, 5000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert big.onboarding.count == 1_000_000 and Tenant(42, 500).onboarding.count == 100_000
    assert peak < 2_000_000, "nothing is materialised"
    last = big.enrollments.item(big.onboarding.count - 1)
    assert last["userId"] == big.users.object_id(999_999)


def test_ids_round_trip() -> None:
    tenant = Tenant(42, 1)
    for coll in tenant.collections.values():
        for i in (0, 1, len(coll) - 1):
            oid = coll.object_id(i)
            assert len(oid) == 24 and int(oid, 16) >= 0
            assert coll.index_of(oid) == i and coll.index_of(oid.upper()) == i
        assert coll.index_of("0" * 24) is None
    assert tenant.users.index_of(tenant.courses.object_id(0)) is None
    ids = [tenant.course_stats.object_id(i) for i in range(len(tenant.course_stats))]
    assert ids == sorted(ids), "ids sort in scan order, like ObjectIds created in sequence"


@pytest.mark.parametrize(
    "collection", ["users", "groups", "courses", "course_stats", "paths", "path_sessions", "path_session_user_stats"]
)
def test_every_generated_row_satisfies_its_schema(collection: str) -> None:
    tenant = Tenant(42, 1)
    coll = tenant.collections[collection]
    validator = _validator(coll.schema)
    for i in range(len(coll)):
        row = {k: v for k, v in coll.item(i).items() if k not in coll.hidden}
        errors = [e.message for e in validator.iter_errors(row)]
        assert errors == [], (collection, i, errors[:3])
    assert load_document("core").contents["components"]["schemas"][coll.schema]


def test_statistics_look_realistic() -> None:
    tenant = Tenant(42, 1)
    anchor = iso(tenant.anchor_ts)
    two_years_ago = iso(tenant.anchor_ts - 2 * YEAR)
    stats = [tenant.course_stats.item(i) for i in range(len(tenant.course_stats))]
    done = [s["completedAt"] for s in stats if "completedAt" in s]
    assert 0.4 < len(done) / len(stats) < 0.8
    assert all(API_DATETIME.match(d) and two_years_ago <= d <= anchor for d in done)
    assert len({d[:7] for d in done}) >= 20, "completions are spread over about two years"
    assert all(s["progress"] == 100 for s in stats if "completedAt" in s)
    assert all(s["progress"] < 100 for s in stats if "completedAt" not in s)
    enrolments = [tenant.enrollments.item(i) for i in range(len(tenant.enrollments))]
    statuses = {e["status"]["type"] for e in enrolments}
    assert {"successful", "onTime", "late", "notYetStarted", "unsuccessful", "sessionNotOpened"} <= statuses
    assert all(("completedAt" in e) == (e["status"]["type"] == "successful") for e in enrolments)


def test_a_page_of_2000_user_stats_is_generated_from_the_seed() -> None:
    """A full page is built on demand from its index (its speed is measured in benchmarks/, not here)."""
    tenant = Tenant(42, 500)
    page = [tenant.enrollments.item(i) for i in range(50_000, 52_000)]
    assert len(json.dumps(page)) > 100_000 and page == [
        Tenant(42, 500).enrollments.item(i) for i in range(50_000, 52_000)
    ]
