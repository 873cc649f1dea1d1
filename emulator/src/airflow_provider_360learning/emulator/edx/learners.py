"""edX records of the tenant's users created after seeding (over SCIM or through the core API).

One tenant: whoever 360Learning knows by email also learns on edX. The generated learner summary covers the
seeded users; a user added later gets 1 to 3 enrollments of its own, after the generated rows (and before the
rows a test injects). Each record is a function of ``(seed, email)`` only: the same user gets the same records
at every run of a seed, whenever and through whichever service it was created. Its learning (course, run,
dates, progress, grade) is that of a generated row with activity and consent, chosen by the hash; its identity
(email, names, enrollment and user ids) is the user's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, NamedTuple

from airflow_provider_360learning.emulator.edx.data import EdxData
from airflow_provider_360learning.emulator.tenant import mix

MAX_ENROLLMENTS = 3
FIRST_TEMPLATE = 4
"""Generated rows before this one are awkward cases (``AWKWARD``: other case, unknown learner, a course twice)."""


class Learner(NamedTuple):
    email: str
    first_name: str | None
    last_name: str | None
    key: int
    """Hash of ``(seed, email)``: every record of this learner derives from it."""

    @property
    def enrollments(self) -> int:
        return 1 + self.key % MAX_ENROLLMENTS


def learner_key(data: EdxData, email: str) -> int:
    digest = hashlib.blake2b(email.casefold().encode(), digest_size=8).digest()
    return mix(data.key ^ int.from_bytes(digest, "big"))


def added_learners(data: EdxData, users: Iterable[dict[str, Any]]) -> list[Learner]:
    """The users (rows added after seeding, in creation order) that have an email."""
    return [
        Learner(str(u["mail"]), u.get("firstName"), u.get("lastName"), learner_key(data, str(u["mail"])))
        for u in users
        if u.get("mail")
    ]


def _templates(data: EdxData, learner: Learner) -> list[int]:
    """Distinct-course generated rows with activity and consent, chosen by the learner's hash."""
    total = data.learner_row_count
    active = total - max(2, total // 25) - FIRST_TEMPLATE  # rows with no activity close the generated list
    chosen: list[int] = []
    courses: set[str] = set()
    for attempt in range(4 * MAX_ENROLLMENTS):
        if len(chosen) == learner.enrollments:
            break
        r = FIRST_TEMPLATE + mix(learner.key ^ attempt) % active
        course = data.learner_row(r)["course_key"]
        if course not in courses:
            courses.add(course)
            chosen.append(r)
    while len(chosen) < learner.enrollments:  # unlucky draws: a course twice rather than a missing record
        chosen.append(FIRST_TEMPLATE + mix(learner.key ^ (0x100 + len(chosen))) % active)
    return chosen


def learner_rows(data: EdxData, learner: Learner) -> list[dict[str, Any]]:
    """The learner's records: a generated row's learning, with the learner's identity and its own ids."""
    rows = []
    for j, r in enumerate(_templates(data, learner)):
        row = data.learner_row(r)
        local = learner.email.split("@")[0]
        row.update(
            user_email=learner.email,
            user_username=local.replace(".", "_"),
            user_first_name=learner.first_name,
            user_last_name=learner.last_name,
            enrollment_id=900_000_000 + (learner.key % 10**7) * MAX_ENROLLMENTS + j,
            enterprise_enrollment_id=10_000_000 + (learner.key % 10**7) * MAX_ENROLLMENTS + j,
            enterprise_user_id=20_000_000 + learner.key % 10**7,
            enterprise_sso_uid=None,
        )
        rows.append(row)
    return rows


class AddedRows:
    """The added users' records as one listing: its length, and a slice (built for the slice only)."""

    def __init__(self, data: EdxData, learners: list[Learner]) -> None:
        self.data = data
        self.learners = learners
        self.count = sum(learner.enrollments for learner in learners)

    def slice(self, start: int, stop: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        position = 0
        for learner in self.learners:
            end = position + learner.enrollments
            if end > start and position < stop:
                rows = learner_rows(self.data, learner)
                out.extend(rows[max(0, start - position) : stop - position])
            position = end
            if position >= stop:
                break
        return out
