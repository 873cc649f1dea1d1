"""edX learner-summary rows as 360Learning external statistics (the Bulk API's ``ImportExternalStatisticsDTO``).

One statistic per (learner, course): a learner enrolled in several runs of a course has several rows,
aggregated as ``edx-api.md`` §6 suggests. Every date is derived from the rows, never from the run's
clock, so importing the same summary twice (the same day, or a retry) gives the same objects, and
360Learning updates the attempt that has the same ``firstActivityAt`` instead of opening a second one.

====================  ==========================================================================================
360Learning           from the learner's rows of the course
====================  ==========================================================================================
``userIdentifier``    ``internalId`` of the 360Learning user whose ``mail`` equals ``user_email`` ignoring case
``courseIdentifier``  ``externalId`` = ``course_key`` (the external id the catalog sync gives the course)
``firstActivityAt``   earliest ``enrollment_date``, midnight UTC (edX has no first-activity date)
``lastActivityAt``    not passed: the latest ``last_activity_date`` (else ``enrollment_date``), edX's last
                      activity; passed: the earliest ``passed_date``, because for a statistic at 100% the spec
                      reads this field as the completion date, so activity after passing is not carried;
                      midnight UTC, never before ``firstActivityAt``
``progress``          100 when any row passed (``has_passed`` or ``progress_status`` Passed), else the highest
                      ``course_progress`` x 100, rounded (0 when unknown)
``result``            ``success`` when passed, ``failed`` when a row's ``progress_status`` is Failed, else omitted
``score``             the highest ``current_grade`` x 100, rounded, when known
``timeSpent``         the sum of ``total_learning_time_hours`` in milliseconds, at least 1 (the spec's minimum)
``forceNew``          never set
====================  ==========================================================================================

Rows without consent (``is_consent_granted`` false: no email, no progress) are counted, not imported.
Enrollments the learner left (``unenrollment_date`` set, or ``is_active`` false) without passing are
counted as *unenrolled* and not imported: in edX the learner dropped the course, and a 360Learning
statistic has no "dropped" state, so importing it would show an abandoned course as in progress. A passed
enrollment counts even if the learner unenrolled afterwards: edX keeps the certificate. Rows that cannot be
read (no email, no course key, no enrollment date, a value of the wrong type, a NaN or infinite number) are
rejected with their ``enterprise_enrollment_id`` and the field named.

Statistics of a course the catalog sync has not imported yet (not in its sync state) are *deferred*:
counted, reported, and sent by a later run once the course is synced (they are not in the statistics sync
state, so they are still "to send"). Sending them would only have 360Learning refuse them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.edx.records import InvalidRecord, Rejected, schema_error

STATISTICS_SCHEMA = "ImportExternalStatisticsDTO"
MS_PER_HOUR = 3_600_000


def _date(row: Mapping[str, Any], name: str, *, required: bool = False) -> dt.date | None:
    value = row.get(name)
    if value is None and not required:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]) if isinstance(value, str) else _bad(name, value)
    except ValueError:
        return _bad(name, value)


def _number(row: Mapping[str, Any], name: str, high: float | None = None) -> float | None:
    value = row.get(name)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (high is not None and value > high)
    ):
        _bad(name, value, f"a finite number{f' within 0..{high:g}' if high is not None else ' >= 0'}")
    return float(value)


def _bad(name: str, value: Any, expected: str = "a YYYY-MM-DD date") -> Any:
    raise InvalidRecord(f"{name} is {value!r}, expected {expected}")


def _midnight(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


@dataclass
class LearnerCourse:
    """What the rows of one learner in one course say together."""

    email: str
    course_key: str
    enrolled: dt.date
    last_activity: dt.date | None = None
    passed_on: dt.date | None = None
    passed: bool = False
    failed: bool = False
    progress: float | None = None
    grade: float | None = None
    hours: float = 0.0
    rows: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        """Fold in one more row (already checked by :func:`read_row`)."""
        self.rows += 1
        self.enrolled = min(self.enrolled, row["enrolled"])
        self.last_activity = _latest(self.last_activity, row["last_activity"])
        if has_passed(row):
            self.passed = True
            if row["passed_on"] is not None:
                self.passed_on = row["passed_on"] if self.passed_on is None else min(self.passed_on, row["passed_on"])
        self.failed = self.failed or row["status"] == "Failed"
        self.progress = _highest(self.progress, row["progress"])
        self.grade = _highest(self.grade, row["grade"])
        self.hours += row["hours"] or 0.0

    def statistic(self, user_id: str) -> dict[str, Any]:
        """The ``ImportExternalStatisticsDTO`` of this learner's course, for the 360Learning user ``user_id``."""
        if self.passed:
            last = self.passed_on or _latest(self.last_activity, self.enrolled)
        else:
            last = _latest(self.last_activity, self.enrolled)
        assert last is not None
        progress = 100 if self.passed else round(min(1.0, self.progress or 0.0) * 100)
        item: dict[str, Any] = {
            "courseIdentifier": {"type": "externalId", "value": self.course_key},
            "userIdentifier": {"type": "internalId", "value": user_id},
            "progress": progress,
            "timeSpent": max(1, round(self.hours * MS_PER_HOUR)),
            "firstActivityAt": _midnight(self.enrolled),
            "lastActivityAt": _midnight(max(last, self.enrolled)),
        }
        if self.passed or self.failed:
            item["result"] = "success" if self.passed else "failed"
        if self.grade is not None:
            item["score"] = round(min(1.0, self.grade) * 100)
        problem = schema_error(STATISTICS_SCHEMA, item)
        if problem:
            raise InvalidRecord(f"the mapped statistic breaks the spec: {problem}")
        return item


def _latest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else max(a, b)


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def read_row(row: Any) -> dict[str, Any] | None:
    """The fields of a learner-summary row the mapping uses, checked; ``None`` for a row without consent."""
    if not isinstance(row, Mapping):
        raise InvalidRecord(f"not a JSON object but {type(row).__name__}")
    if row.get("is_consent_granted") is False:
        return None
    email = row.get("user_email")
    if not isinstance(email, str) or "@" not in email.strip():
        raise InvalidRecord(f"user_email is {email!r}, expected an email address")
    key = row.get("course_key")
    if not isinstance(key, str) or not key.strip():
        raise InvalidRecord(f"course_key is {key!r}, expected a course key")
    status = row.get("progress_status")
    if status is not None and not isinstance(status, str):
        _bad("progress_status", status, "a string")
    passed = row.get("has_passed")
    if passed is not None and not isinstance(passed, bool):
        _bad("has_passed", passed, "true or false")
    active = row.get("is_active")
    if active is not None and not isinstance(active, bool):
        _bad("is_active", active, "true or false")
    return {
        "email": email.strip().lower(),
        "course_key": key.strip(),
        "enrolled": _date(row, "enrollment_date", required=True),
        "last_activity": _date(row, "last_activity_date"),
        "passed_on": _date(row, "passed_date"),
        "has_passed": passed,
        "status": status,
        "progress": _number(row, "course_progress", 1.0),
        "grade": _number(row, "current_grade", 1.0),
        "hours": _number(row, "total_learning_time_hours"),
        "unenrolled": active is False or _date(row, "unenrollment_date") is not None,
    }


def has_passed(fields: Mapping[str, Any]) -> bool:
    """Whether a read row (:func:`read_row`) says the learner passed."""
    return fields["has_passed"] is True or fields["status"] == "Passed"


def row_id(row: Any, number: int) -> str:
    """How a report names a row: its ``enterprise_enrollment_id``, else its position in the summary."""
    value = row.get("enterprise_enrollment_id") if isinstance(row, Mapping) else None
    return f"enterprise_enrollment_id {value}" if value is not None else f"learner-summary row {number}"


@dataclass
class StatisticsPlan:
    """The statistics to import, and what could not be: the report's material."""

    rows: int = 0
    without_consent: int = 0
    unenrolled: int = 0
    """Rows of an enrollment the learner left without passing."""
    rejected: list[Rejected] = field(default_factory=list)
    unmatched_learners: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)
    """Course key -> learner-summary rows whose statistics wait for the catalog sync to import the course."""
    deferred_statistics: int = 0
    statistics: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """``(course key, user id)`` -> the statistic, in the order first seen."""


def plan_statistics(rows: Iterable[Any], users: Mapping[str, str], synced_courses: Collection[str]) -> StatisticsPlan:
    """Aggregate the summary per (learner, course), match learners (``users``: lower-cased mail -> user id)
    and courses (``synced_courses``: the external ids the catalog sync imported; others are deferred), map
    each pair to a statistic."""
    plan = StatisticsPlan()
    groups: dict[tuple[str, str], LearnerCourse] = {}
    for number, row in enumerate(rows, 1):
        plan.rows += 1
        try:
            fields = read_row(row)
        except InvalidRecord as exc:
            plan.rejected.append(Rejected(row_id(row, number), "learner summary", str(exc)))
            continue
        if fields is None:
            plan.without_consent += 1
            continue
        if fields["unenrolled"] and not has_passed(fields):
            plan.unenrolled += 1
            continue
        group = groups.get((fields["email"], fields["course_key"]))
        if group is None:
            group = groups[(fields["email"], fields["course_key"])] = LearnerCourse(
                fields["email"], fields["course_key"], fields["enrolled"]
            )
        group.add(fields)
    for (email, key), group in groups.items():
        user_id = users.get(email)
        if user_id is None:
            plan.unmatched_learners[email] += group.rows
            continue
        if key not in synced_courses:
            plan.deferred[key] += group.rows
            plan.deferred_statistics += 1
            continue
        try:
            plan.statistics[(key, user_id)] = group.statistic(user_id)
        except InvalidRecord as exc:
            plan.rejected.append(Rejected(f"{email} in {key}", "learner summary", str(exc)))
    return plan


def statistic_key(item: Mapping[str, Any]) -> str:
    """The sync-state key of a statistic: its course's external id and its learner's id."""
    return f"{item['courseIdentifier']['value']}\t{item['userIdentifier']['value']}"
