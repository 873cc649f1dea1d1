"""The edX-to-360Learning mapping, the catalog plan and the statistics aggregation, on the emulator's awkward
records and hand-made ones (no server, no Airflow run)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.edx.catalog_plan import plan_catalog
from airflow_provider_360learning.edx.courses import external_course, html_to_text, language_code
from airflow_provider_360learning.edx.records import InvalidRecord, content_hash, schema_error
from airflow_provider_360learning.edx.statistics import plan_statistics, read_row
from airflow_provider_360learning.edx.sync_state import Synced
from airflow_provider_360learning.emulator.edx.data import AWKWARD, EdxData
from airflow_provider_360learning.emulator.tenant import Tenant


@pytest.fixture(scope="module")
def data() -> EdxData:
    return EdxData(Tenant(seed=42, scale=1))


def course(data: EdxData, i: int) -> dict[str, Any]:
    return data.course_item(i, data.catalogs[0])


def test_html_descriptions_become_plain_text() -> None:
    assert (
        html_to_text("<p>Learn to <strong>negotiate</strong> &amp; persuade&nbsp;&mdash; <em>“win–win”</em> deals.</p>")
        == "Learn to negotiate & persuade — “win–win” deals."
    )
    assert (
        html_to_text(
            "<div><h3>About</h3><p>Week&nbsp;1: <a href='x'>basics</a><br/>Week 2</p><ul><li>A</li>"
            "<li>B</li></ul><img src='x.png'/></div>"
        )
        == "About\nWeek 1: basics\nWeek 2\n- A\n- B"
    )
    assert html_to_text(None) == html_to_text("") == html_to_text("<p> </p>") == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("English", "en"),
        ("Chinese - Mandarin", "zh"),
        ("Portuguese", "pt"),
        ("en-us", "en"),
        ("pt-br", "pt_BR"),
        ("zh-tw", "zh_tw"),
        ("fr-ca", "fr_CA"),
        ("Klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_language_names_and_codes_become_the_specs_codes(value: Any, code: str | None) -> None:
    assert language_code(value) == code


def test_every_emulated_course_maps_to_a_valid_external_course(data: EdxData) -> None:
    for i in range(data.course_count):
        item = external_course(course(data, i))
        assert schema_error("ExternalCourseDTO", item) is None
        assert item["externalId"] == data.course(i).key and item["launchUrl"].startswith("https://enterprise.edx.org/")
    plain = external_course(course(data, 10))
    assert plain["sources"][0]["name"] == data.course(10).org[1] and plain["duration"] >= 60
    assert "description" not in external_course(course(data, AWKWARD["course_without_description"]))
    assert "<" not in external_course(course(data, AWKWARD["course_with_html_description"]))["description"]
    assert external_course(course(data, AWKWARD["course_with_non_ascii_title"]))["name"].isascii() is False
    assert "imageUrl" in external_course(course(data, AWKWARD["course_without_image"]))  # the card image


def test_a_course_that_cannot_be_mapped_says_why(data: EdxData) -> None:
    good = course(data, 5)
    for broken, reason in [
        ({**good, "key": None}, "no course key"),
        ({**good, "title": ""}, "no title"),
        ({**good, "enrollment_url": None, "marketing_url": "ftp://x"}, "no enrollment_url"),
        ({**good, "languages": ["Klingon"], "course_runs": []}, None),
        ("text", "not a JSON object"),
    ]:
        if reason is None:
            assert external_course(broken, default_lang="fr")["defaultLang"] == "fr"
            continue
        with pytest.raises(InvalidRecord, match=reason):
            external_course(broken)


def test_the_plan_upserts_new_and_changed_archives_gone_and_refuses_mass_archives(data: EdxData) -> None:
    records = [("main", course(data, i)) for i in range(20)]
    items = {r["key"]: external_course(r) for _, r in records}
    synced = {key: Synced(content_hash(item), "active") for key, item in items.items()}
    synced["OldX+Gone1"] = Synced("x", "active")
    synced["OldX+Archived"] = Synced("x", "archived")
    changed = {**course(data, 3), "title": "Renamed"}
    plan = plan_catalog([*records[:3], ("main", changed), *records[4:], ("second", course(data, 0))], synced)
    assert [u["externalId"] for u in plan.upserts] == [data.course(3).key]
    assert plan.archives == [{"externalId": "OldX+Gone1"}]
    assert (plan.changed, plan.unchanged, plan.duplicates) == (1, 19, 1)
    assert plan.archive_verdict(10) is None
    emptied = plan_catalog([], {f"X+{i}": Synced("h", "active") for i in range(200)})
    assert emptied.archive_verdict(10) is not None and "Refusing to archive 200 of 200" in str(
        emptied.archive_verdict(10)
    )


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "enterprise_enrollment_id": 1,
        "is_consent_granted": True,
        "user_email": "Ada@Example.com",
        "course_key": "MITx+6.00x",
        "enrollment_date": "2025-10-02",
        "last_activity_date": "2025-11-01",
        "passed_date": None,
        "has_passed": False,
        "progress_status": "In Progress",
        "course_progress": 0.42,
        "current_grade": 0.3,
        "total_learning_time_hours": 1.5,
    }
    return {**base, **fields}


def test_rows_of_a_learner_in_a_course_become_one_statistic_with_dates_from_edx() -> None:
    rows = [
        row(
            enterprise_enrollment_id=1,
            has_passed=True,
            passed_date="2026-01-09",
            last_activity_date="2026-01-20",
            progress_status="Passed",
            course_progress=1.0,
            current_grade=0.87,
            enrollment_date="2025-12-01",
        ),
        row(enterprise_enrollment_id=2, progress_status="Failed", enrollment_date="2025-10-02"),
        row(
            enterprise_enrollment_id=3,
            course_key="MITx+Other",
            last_activity_date=None,
            course_progress=None,
            total_learning_time_hours=0,
            current_grade=None,
        ),
        row(enterprise_enrollment_id=4, is_consent_granted=False, user_email=None),
        row(enterprise_enrollment_id=5, user_email="nobody@example.com"),
    ]
    plan = plan_statistics(rows, {"ada@example.com": "a" * 24}, {"MITx+6.00x", "MITx+Other"})
    passed, idle = plan.statistics[("MITx+6.00x", "a" * 24)], plan.statistics[("MITx+Other", "a" * 24)]
    assert passed == {
        "courseIdentifier": {"type": "externalId", "value": "MITx+6.00x"},
        "userIdentifier": {"type": "internalId", "value": "a" * 24},
        "progress": 100,
        "timeSpent": 3 * 3_600_000,
        "result": "success",
        "score": 87,
        "firstActivityAt": "2025-10-02T00:00:00.000Z",
        "lastActivityAt": "2026-01-09T00:00:00.000Z",
    }
    assert idle["progress"] == 0 and idle["timeSpent"] == 1 and "result" not in idle and "score" not in idle
    assert idle["firstActivityAt"] == idle["lastActivityAt"] == "2025-10-02T00:00:00.000Z"
    assert "forceNew" not in passed
    assert (plan.without_consent, dict(plan.unmatched_learners)) == (1, {"nobody@example.com": 1})
    assert plan_statistics(rows[:2], {"ada@example.com": "a" * 24}, set()).deferred == {"MITx+6.00x": 2}


ADA = {"ada@example.com": "a" * 24}


def test_last_activity_is_edx_activity_unless_passed_then_the_pass_date() -> None:
    """The spec reads ``lastActivityAt`` of a statistic at 100% as the completion date: a completer's later
    activity is not carried; a learner who has not passed gets edX's last activity date."""
    rows = [
        row(course_key="A+1", last_activity_date="2026-03-10"),
        row(
            course_key="B+2",
            has_passed=True,
            progress_status="Passed",
            passed_date="2026-02-01",
            last_activity_date="2026-03-10",
        ),
    ]
    plan = plan_statistics(rows, ADA, {"A+1", "B+2"})
    assert plan.statistics[("A+1", "a" * 24)]["lastActivityAt"] == "2026-03-10T00:00:00.000Z"
    completed = plan.statistics[("B+2", "a" * 24)]
    assert (completed["progress"], completed["lastActivityAt"]) == (100, "2026-02-01T00:00:00.000Z")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("course_progress", float("nan")),
        ("current_grade", float("nan")),
        ("course_progress", float("inf")),
        ("total_learning_time_hours", float("nan")),
        ("total_learning_time_hours", float("inf")),
        ("total_learning_time_hours", -float("inf")),
    ],
)
def test_a_nan_or_infinite_number_rejects_that_row_naming_the_field(field: str, value: float) -> None:
    rows = [row(enterprise_enrollment_id=7, **{field: value}), row(enterprise_enrollment_id=8, course_key="B+2")]
    plan = plan_statistics(rows, ADA, {"MITx+6.00x", "B+2"})
    assert [(r.id, r.reason.split(" is ")[0]) for r in plan.rejected] == [("enterprise_enrollment_id 7", field)]
    assert "finite number" in plan.rejected[0].reason
    assert list(plan.statistics) == [("B+2", "a" * 24)]  # the other row is still imported


def test_unenrolled_without_passing_is_counted_not_imported_and_a_pass_stands() -> None:
    rows = [
        row(enterprise_enrollment_id=1, course_key="Left+1", unenrollment_date="2025-11-03"),
        row(enterprise_enrollment_id=2, course_key="Left+2", is_active=False),
        row(
            enterprise_enrollment_id=3,
            course_key="Passed+3",
            unenrollment_date="2026-02-10",
            has_passed=True,
            progress_status="Passed",
            passed_date="2026-02-01",
        ),
        # an earlier run left, the current run of the same course active: only the current run counts
        row(
            enterprise_enrollment_id=4,
            course_key="Again+4",
            enrollment_date="2025-01-05",
            unenrollment_date="2025-02-01",
        ),
        row(enterprise_enrollment_id=5, course_key="Again+4", enrollment_date="2025-09-01", course_progress=0.1),
    ]
    plan = plan_statistics(rows, ADA, {"Left+1", "Left+2", "Passed+3", "Again+4"})
    assert plan.unenrolled == 3
    assert {key for key, _ in plan.statistics} == {"Passed+3", "Again+4"}
    assert plan.statistics[("Passed+3", "a" * 24)]["result"] == "success"
    again = plan.statistics[("Again+4", "a" * 24)]
    assert (again["firstActivityAt"], again["progress"]) == ("2025-09-01T00:00:00.000Z", 10)
    with pytest.raises(InvalidRecord, match="is_active is 'no'"):
        read_row(row(is_active="no"))


def test_statistics_of_a_course_not_synced_yet_are_deferred_not_refused() -> None:
    rows = [row(enterprise_enrollment_id=1), row(enterprise_enrollment_id=2), row(user_email="bob@example.com")]
    users = {**ADA, "bob@example.com": "b" * 24}
    fresh = plan_statistics(rows, users, set())  # no catalog sync yet
    assert (fresh.statistics, fresh.deferred, fresh.deferred_statistics) == ({}, {"MITx+6.00x": 3}, 2)
    synced = plan_statistics(rows, users, {"MITx+6.00x"})
    assert len(synced.statistics) == 2 and synced.deferred_statistics == 0


@pytest.mark.parametrize(
    ("run", "field"),
    [
        ({"estimated_hours": float("nan")}, "estimated_hours"),
        ({"estimated_hours": float("inf")}, "estimated_hours"),
        ({"estimated_hours": None, "weeks_to_complete": float("inf"), "max_effort": 4}, "weeks_to_complete"),
        ({"estimated_hours": None, "weeks_to_complete": 4, "min_effort": float("nan")}, "min_effort"),
    ],
)
def test_a_nan_or_infinite_course_number_rejects_that_course_naming_the_field(
    data: EdxData, run: dict[str, Any], field: str
) -> None:
    good = course(data, 5)
    runs = [{**r, **run} for r in good["course_runs"]]
    broken = {**good, "course_runs": runs}
    with pytest.raises(InvalidRecord, match=f"^{field} is (nan|inf), expected a finite number$"):
        external_course(broken)
    plan = plan_catalog([("main", broken), ("main", course(data, 6))], {})
    assert [(r.id, r.reason) for r in plan.rejected] == [
        (good["key"], f"{field} is {run[field]!r}, expected a finite number")
    ]
    assert [u["externalId"] for u in plan.upserts] == [data.course(6).key]


def test_huge_finite_efforts_are_capped_not_an_overflow(data: EdxData) -> None:
    good = course(data, 5)
    runs = [
        {**r, "estimated_hours": None, "weeks_to_complete": 1e308, "max_effort": 1e308} for r in good["course_runs"]
    ]
    assert external_course({**good, "course_runs": runs})["duration"] == 100_000


def test_the_first_valid_copy_of_a_course_wins(data: EdxData) -> None:
    good = course(data, 5)
    malformed = {**good, "title": " "}
    plan = plan_catalog([("first", malformed), ("second", good), ("third", {**good, "title": "Later copy"})], {})
    assert plan.upserts == [external_course(good)]
    assert [(r.id, r.source, r.reason) for r in plan.rejected] == [(good["key"], "catalog 'first'", "no title")]
    assert (plan.courses, plan.duplicates, plan.new) == (1, 2, 1)
    # every copy malformed: each reported, and a course synced before is neither changed nor archived
    synced = {good["key"]: Synced(content_hash(external_course(good)), "active")}
    only_bad = plan_catalog([("first", malformed), ("second", malformed)], synced)
    assert (only_bad.upserts, only_bad.archives) == ([], [])
    assert [r.source for r in only_bad.rejected] == ["catalog 'first'", "catalog 'second'"]
