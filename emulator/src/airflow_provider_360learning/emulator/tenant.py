"""Deterministic, lazily generated data of one emulated 360Learning platform.

Item ``i`` of a collection is a pure function of ``(seed, scale, collection, i)``: nothing is
materialised as a list, so memory stays flat at any ``--scale`` and a page costs O(page).
ObjectIds encode the collection and the index (``<time:8><tenant:4><collection:2><index:10>``),
which makes "get by id" an O(1) decode-and-regenerate instead of a search.
"""

from __future__ import annotations

import bisect
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

M64 = (1 << 64) - 1
DAY = 86_400
YEAR = 365 * DAY
_GOLDEN = 0x9E3779B97F4A7C15


def mix(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    x = (x + _GOLDEN) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[int, str] = {}
_MINUTES = tuple(f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECONDS = tuple(f"{s:02d}.000Z" for s in range(60))


def iso(ts: int) -> str:
    """Epoch seconds -> ``YYYY-MM-DDThh:mm:ss.000Z`` (the API's format; milliseconds always 0).

    Day strings are memoised and times of day come from small tables: dates are the hot path.
    """
    d, s = divmod(ts, DAY)
    day = _DAYS.get(d)
    if day is None:
        day = _DAYS[d] = (_EPOCH + timedelta(days=d)).strftime("%Y-%m-%d")
    m, sec = divmod(s, 60)
    return day + _MINUTES[m] + _SECONDS[sec]


def parse_iso(value: str) -> int:
    """``YYYY-MM-DDThh:mm:ss[.sss]Z`` (or with an offset) -> epoch seconds."""
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


FIRST_NAMES = (
    "Alice",
    "Bruno",
    "Chloé",
    "David",
    "Emma",
    "Farid",
    "Gabriel",
    "Hana",
    "Ines",
    "Jules",
    "Kenji",
    "Léa",
    "Marco",
    "Nadia",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samir",
    "Tara",
    "Ugo",
    "Vera",
    "William",
    "Xu",
    "Yasmine",
    "Zoé",
    "Amir",
    "Berit",
    "Carla",
    "Dmitri",
    "Elif",
    "Finn",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Müller",
    "Schmidt",
    "Rossi",
    "Smith",
    "Johnson",
    "Tanaka",
    "Kim",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Jansen",
    "Novak",
    "Haddad",
    "O'Brien",
    "Fischer",
    "Costa",
    "Larsen",
)


def _login(name: str) -> str:
    """ASCII, lower-case form of a name, for generated mails and usernames."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


_FIRST_LOGINS = tuple(_login(n) for n in FIRST_NAMES)
_LAST_LOGINS = tuple(_login(n) for n in LAST_NAMES)
JOBS = (
    "Sales Representative",
    "Account Executive",
    "Software Engineer",
    "Product Manager",
    "HR Business Partner",
    "Customer Success Manager",
    "Data Analyst",
    "Support Agent",
    "Team Lead",
    "Marketing Specialist",
)
ORGANIZATIONS = ("Acme EU", "Acme US", "Acme APAC", "Acme Labs")
USER_LANGS = ("en", "en", "en", "en", "fr", "fr", "de", "es", "it", "nl", "pt", "ja")
COURSE_LANGS = ("en", "en", "en", "fr", "fr", "de", "es", "it")
GROUP_NAMES = (
    "Acme Corporation",
    "Sales",
    "Engineering",
    "Customer Success",
    "Human Resources",
    "Marketing",
    "Finance",
    "Support",
    "Operations",
    "Leadership",
)
COURSE_TOPICS = (
    "Negotiation",
    "Security Awareness",
    "GDPR Basics",
    "Product Tour",
    "Onboarding",
    "Leadership",
    "Feedback Culture",
    "Time Management",
    "Customer Discovery",
    "Data Literacy",
    "Public Speaking",
    "Inclusive Hiring",
    "Code Review",
    "Incident Response",
    "Objection Handling",
    "Remote Work",
)
COURSE_LEVELS = ("101", "Essentials", "Advanced", "Masterclass", "Refresher", "Quiz")
PATH_NAMES = (
    "Company onboarding",
    "Sales enablement",
    "Security awareness",
    "Leadership essentials",
    "Product mastery",
)
SESSION_SUFFIXES = ("Spring cohort", "Autumn cohort", "Next cohort")
CHILD_OF = {(0, 2): 0}
"""Child sessions: ``(path, rank) -> index of the root session``. The onboarding path's future cohort is a child
of the onboarding session and, like it, never ends, so ``edit_child_path_session`` has an open child at every seed
(whatever the wall clock says)."""
ONBOARDING_SESSION_NAME = "Company onboarding - all employees"
REGISTRATION_VALIDATIONS = (
    "disabled",
    "instructors",
    "managers",
    "adminsAndManagers",
    "adminsCoachesInstructorsManagers",
)
SHOW_OPTIONS = ("never", "onAnswer", "onCompletion", "onSuccess")

TEAM = 10
"""Generated management: user ``TEAM * k`` manages users ``TEAM * k + 1 .. TEAM * k + TEAM - 1``."""
OWNER = 0
STAFF = 32
"""The small families name the first ``STAFF`` users that are not deleted (more than any family has rows)."""
"""Index of the user who owns the company (the root group's ``owner``, author of the seeded integrations)."""

FIXED_COURSES = (("external", 0), ("external", 1), ("external", 2), ("elearning standard", 0))
"""Kind and platform index (``Courses``' ``externalPlatform``) of the last generated courses, all published: at every
seed each seeded platform's integration has an external course and an e-learning standard course exists."""

# Collection codes (the 2 hex digits in generated ObjectIds).
USERS, GROUPS, COURSES, COURSE_STATS, PATHS, PATH_SESSIONS, ENROLLMENTS, TAGS, STEPS, CERTIFICATES, MEDIA = range(1, 12)


class Collection:
    """A lazily generated, indexable sequence of rows of one entity type."""

    name: str = ""
    code: int = 0
    schema: str = ""
    """Name of the component schema that every row satisfies (``UserDTO``...)."""
    document: str = "core"
    """The official document declaring ``schema`` (``core``, or ``webhook`` for subscriptions)."""
    hidden: frozenset[str] = frozenset()
    """Row keys that filters read but responses never show (stripped by the response projection)."""

    def __init__(self, tenant: Tenant, count: int) -> None:
        self.tenant = tenant
        self.count = count
        self._key = mix(tenant.seed_key ^ (self.code * 0x100000001B3))
        self._mid = f"{tenant.tag:04x}{self.code:02x}"
        self._ts0 = tenant.anchor_ts - 3 * YEAR
        self._indexes: dict[str, dict[Any, array[int]]] = {}

    def __len__(self) -> int:
        return self.count

    def h(self, i: int) -> int:
        return mix(self._key ^ i)

    def object_id(self, i: int) -> str:
        """24-hex ObjectId of item ``i``: time prefix grows with ``i`` so ids sort in scan order."""
        return f"{self._ts0 + (i >> 4):08x}{self._mid}{i:010x}"

    def index_of(self, oid: str) -> int | None:
        """Index encoded in ``oid`` if it is one of this collection's ids (any index, base or added)."""
        oid = oid.lower()
        if len(oid) != 24 or oid[8:14] != self._mid:
            return None
        try:
            i = int(oid[14:], 16)
        except ValueError:
            return None
        return i if self.object_id(i) == oid else None

    def item(self, i: int) -> dict[str, Any]:
        raise NotImplementedError

    def positions(self, field: str, values: Iterable[Any]) -> list[int]:
        """Sorted base positions whose ``field`` is (or, for a list field, holds) one of ``values``.

        The index is built on first use, one pass over the collection (about 2 s for 250,000 rows), and kept:
        an ``in`` filter naming 200 parents of 12,000 then reads only its own rows instead of scanning all of
        them for every page (what makes parallel partitioned reads cheap to serve). It costs a few bytes per row.
        """
        index = self._indexes.get(field)
        if index is None:
            built: dict[Any, array[int]] = {}
            for i in range(self.count):
                value = self.item(i).get(field)
                for v in value if isinstance(value, list) else (value,):
                    if v is not None:
                        built.setdefault(v, array("q")).append(i)
            index = self._indexes[field] = built
        found: list[int] = []
        for value in set(values):
            found.extend(index.get(value, ()))
        found.sort()
        return found

    def template(self, i: int) -> dict[str, Any]:
        """Default values for a row added at index ``i`` (>= count) through the control interface."""
        return self.item(i)


class Users(Collection):
    name, code, schema = "users", USERS, "UserDTO"

    def status_of(self, i: int, h: int | None = None) -> str:
        """``active``, ``invited`` or ``deleted``; the owner is active and managers are never deleted, since seeded
        rows name them (integrations' author, generated management)."""
        r = ((self.h(i) if h is None else h) >> 10) & 0xFF
        if i == OWNER or (r >= 244 and i % TEAM == 0):
            return "active"
        return "active" if r < 220 else ("invited" if r < 244 else "deleted")

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        h = self.h(i)
        first, login = FIRST_NAMES[h % 32], _FIRST_LOGINS[h % 32]
        last, last_login = LAST_NAMES[(h >> 5) % 32], _LAST_LOGINS[(h >> 5) % 32]
        status = self.status_of(i, h)
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "mail": f"{login}.{last_login}.{i}@example.com",
            "status": status,
            "lang": USER_LANGS[(h >> 18) % len(USER_LANGS)],
            "firstName": first,
            "lastName": last,
            "job": JOBS[(h >> 22) % len(JOBS)],
            "organization": ORGANIZATIONS[(h >> 26) % len(ORGANIZATIONS)],
            "primaryGroupId": t.groups.object_id((h >> 28) % len(t.groups)),
        }
        if (h >> 32) & 3 == 0:
            row["username"] = f"{login}{i}"
        if (h >> 34) & 7 == 0:
            row["phone"] = f"+33 1 {(h >> 37) % 100:02d} {(h >> 44) % 100:02d} {(h >> 51) % 100:02d}"
        if status == "active":
            row["lastLoginDate"] = iso(t.anchor_ts - (h >> 40) % (90 * DAY))
        elif status == "deleted":
            row["deletedAt"] = [iso(t.anchor_ts - (h >> 40) % YEAR)]
        return row


class Groups(Collection):
    name, code, schema = "groups", GROUPS, "GroupDTO"

    def item(self, i: int) -> dict[str, Any]:
        h = self.h(i)
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "name": GROUP_NAMES[i] if i < len(GROUP_NAMES) else f"Group {i}",
            "public": i == 0 or (h & 3) == 0,
        }
        if i > 0:
            row["parentId"] = self.object_id(0 if i < 4 else 1 + (h >> 2) % 3)
        if (h >> 8) & 1:
            row["custom"] = f"cost-center-{(h >> 9) % 900 + 100}"
        return row


class Courses(Collection):
    name, code, schema = "courses", COURSES, "CourseDTO"
    hidden = frozenset({"originalAuthorId", "tagIds"})

    def lang_of(self, i: int) -> str:
        return COURSE_LANGS[self.h(i) % len(COURSE_LANGS)]

    def version_of(self, i: int) -> int:
        return 1 + (self.h(i) >> 3) % 4

    def fixed(self, i: int) -> tuple[str, int] | None:
        """Kind and platform of the last generated courses (:data:`FIXED_COURSES`), ``None`` for the others."""
        j = i - (self.count - len(FIXED_COURSES))
        return FIXED_COURSES[j] if 0 <= j < len(FIXED_COURSES) else None

    def status_of(self, i: int, h: int | None = None) -> str:
        if self.fixed(i) is not None:
            return "published"
        r = ((self.h(i) if h is None else h) >> 8) & 0xFF
        return "published" if r < 218 else ("archived" if r < 243 else "deleted")

    def is_deleted(self, i: int) -> bool:
        """Whether generated course ``i`` is ``deleted`` (path steps and statistics name only the others)."""
        return self.status_of(i) == "deleted"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        h = self.h(i)
        h2 = mix(h)
        lang = COURSE_LANGS[h % len(COURSE_LANGS)]
        created = t.anchor_ts - 3 * YEAR + h2 % (30 * 30 * DAY)
        modified = created + (h2 >> 32) % max(1, t.anchor_ts - created)
        status = self.status_of(i, h)
        k = (h >> 16) & 0xFF
        kind = "native" if k < 205 else ("external" if k < 230 else "elearning standard")
        platform = (h >> 58) % 3
        fixed = self.fixed(i)
        if fixed is not None:
            kind, platform = fixed
        users = len(t.users)
        author = t.live_user((h >> 24) % users)
        co_authors = t.other_users([(h >> (32 + 8 * j)) % users for j in range((h >> 30) % 3)], besides=author)
        topic = COURSE_TOPICS[(h >> 40) % len(COURSE_TOPICS)]
        name = f"{topic} {COURSE_LEVELS[(h >> 44) % len(COURSE_LEVELS)]} #{i + 1}"
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "name": name,
            "description": f"Learn the essentials of {topic.lower()}.",
            "sourceLang": lang,
            "defaultLang": lang,
            "authorId": t.users.object_id(author),
            "groupId": t.groups.object_id((h >> 48) % len(t.groups)),
            "coAuthorIds": co_authors,
            "createdAt": iso(created),
            "modifiedAt": iso(modified),
            "status": status,
            "type": kind,
            "translations": [],
            "duration": 5 + (h2 >> 8) % 115,
            "currentVersionNumber": 1 + (h >> 3) % 4,
            "collaborativeLearning": bool((h >> 52) & 1),
            "originalAuthorId": t.users.object_id(author if (h >> 53) & 7 else t.live_user((h2 >> 20) % users)),
            "tagIds": [t.tag_id((h2 >> (40 + 5 * j)) % 20) for j in range((h >> 56) % 3)],
        }
        if kind == "external":
            row["externalPlatform"] = ("LinkedIn Learning", "Coursera", "Udemy")[platform]
        if (h >> 60) & 3 == 0:
            other = "fr" if lang != "fr" else "en"
            row["translations"] = [
                {
                    "lang": other,
                    "published": bool((h >> 62) & 1),
                    "translatorIds": [t.users.object_id(t.live_user((h2 >> 16) % users))],
                    "translatedFields": {"name": f"{name} ({other})"},
                }
            ]
        return row


class CourseStats(Collection):
    name, code, schema = "course_stats", COURSE_STATS, "CourseStatDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        h = self.h(i)
        h2 = mix(h)
        row: dict[str, Any] = {"_id": self.object_id(i)}
        opened = t.opened_sessions
        if (h & 0xF) < 3 and opened:
            s = opened[(h >> 4) % len(opened)]
            plan = t.sessions[s]
            user = t.live_learner(plan, (h >> 12) % plan.count)
            steps = t.path_course_steps(plan.path)
            course = steps[(h >> 40) % len(steps)]
            row["pathId"] = t.paths.object_id(plan.path)
            row["pathSessionId"] = t.path_sessions.object_id(s)
        else:
            user = t.live_user((h >> 4) % len(t.users))
            course = t.live_course((h >> 28) % len(t.courses))
        first = t.anchor_ts - 1 - h2 % (2 * YEAR)
        span = t.anchor_ts - first
        completed = ((h >> 48) & 0xFF) < 150
        row["courseId"] = t.courses.object_id(course)
        row["userId"] = t.users.object_id(user)
        row["lang"] = t.courses.lang_of(course)
        row["versionNumber"] = 1 + (h >> 56) % t.courses.version_of(course)
        row["firstActivityAt"] = iso(first)
        if completed:
            done = first + (h2 >> 24) % min(span, 45 * DAY)
            row["lastActivityAt"] = row["completedAt"] = iso(done)
            row["progress"] = 100
            row["score"] = 40 + (h2 >> 8) % 61
        else:
            row["lastActivityAt"] = iso(first + (h2 >> 24) % min(span, 20 * DAY))
            row["progress"] = (h2 >> 8) % 100
        row["timeSpent"] = 60_000 + (h2 >> 40) % 3_600_000
        return row


class Paths(Collection):
    name, code, schema = "paths", PATHS, "PathDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        h = self.h(i)
        h2 = mix(h)
        users = len(t.users)
        author = t.live_user((h >> 8) % users)
        created = t.anchor_ts - 3 * YEAR + h2 % (90 * DAY)
        name = PATH_NAMES[i] if i < len(PATH_NAMES) else f"Learning path {i + 1}"
        steps: list[dict[str, Any]] = []
        for j, course in enumerate(t.path_course_steps(i)):
            options: dict[str, Any] = {
                "optional": j > 0 and (h >> (8 + j)) & 7 == 0,
                "showCorrection": SHOW_OPTIONS[(h >> (16 + 2 * j)) % 4],
                "showForum": SHOW_OPTIONS[(h >> (24 + 2 * j)) % 4],
            }
            if (h >> (32 + j)) & 1:
                options["relativeDate"] = {"unit": "week", "value": j + 1}
            steps.append({"_id": t.courses.object_id(course), "type": "course", "options": options})
        if h & 1:
            steps.append({"_id": t.step_id(i), "type": "email", "options": {"recipientType": "learner"}})
        lang = COURSE_LANGS[(h >> 40) % len(COURSE_LANGS)]
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "name": name,
            "description": f"{name}: the recommended journey.",
            "authorId": t.users.object_id(author),
            "coAuthorIds": t.other_users([(h2 >> 16) % users], besides=author) if (h >> 44) & 1 else [],
            "groupId": t.groups.object_id((h >> 48) % len(t.groups)),
            "createdAt": iso(created),
            "modifiedAt": iso(created + (h2 >> 32) % (2 * YEAR)),
            "defaultLang": lang,
            "sourceLang": lang,
            "status": "archived" if i == 3 else "published",
            "options": {
                "linearProgression": bool((h >> 50) & 1),
                "mandatoryReplay": bool((h >> 51) & 1),
                "displayForum": bool((h >> 52) & 1),
                "displayClassroomMessages": bool((h >> 53) & 1),
                "automatedReminders": bool((h >> 54) & 1),
                "notificationOnStepCreation": bool((h >> 55) & 1),
            },
            "steps": steps,
            "translations": [],
            "estimatedDuration": {"unit": "hour", "value": 1 + (h2 >> 8) % 20},
        }
        if i == 0:
            row["certificateId"] = t.certificate_id(0)
        return row


@dataclass(frozen=True)
class SessionPlan:
    """Shape of one path session: dates and which users it enrols (``user = offset + j * stride``)."""

    index: int
    path: int
    rank: int
    kind: str  # "onboarding", "ongoing", "ended" or "future"
    start: int
    end: int | None
    offset: int
    stride: int
    count: int
    first: int  # global enrolment index of the session's first row
    root: int | None = None  # index of the root session of a child session

    def user_of(self, j: int) -> int:
        return self.offset + j * self.stride


class PathSessions(Collection):
    name, code, schema = "path_sessions", PATH_SESSIONS, "PathSessionDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        plan = t.sessions[i] if i < len(t.sessions) else t.sessions[-1]
        h = self.h(i)
        users = len(t.users)
        path_name = PATH_NAMES[plan.path] if plan.path < len(PATH_NAMES) else f"Learning path {plan.path + 1}"
        name = (
            ONBOARDING_SESSION_NAME if plan.kind == "onboarding" else f"{path_name} - {SESSION_SUFFIXES[plan.rank % 3]}"
        )
        created = plan.start - 30 * DAY - h % (30 * DAY)
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "pathId": t.paths.object_id(plan.path),
            "name": name if i < len(t.sessions) else f"Session {i + 1}",
            "mainInstructorId": t.users.object_id(t.live_user((h >> 8) % users)),
            "instructorIds": t.other_users([(h >> 24) % users]) if (h >> 20) & 1 else [],
            "registrationRequestValidation": REGISTRATION_VALIDATIONS[(h >> 40) % 5],
            "startDate": iso(plan.start),
            "createdAt": iso(created),
            "modifiedAt": iso(min(t.anchor_ts, created + (h >> 44) % (60 * DAY))),
            "groupId": t.groups.object_id((h >> 48) % len(t.groups)),
            "isAudienceBuilder": plan.kind == "onboarding",
            "translations": [],
        }
        if plan.end is not None:
            row["endDate"] = iso(plan.end)
        if plan.root is not None:
            row["rootSessionId"] = t.session_ids[plan.root]
        if plan.kind != "onboarding":
            row["userLimit"] = 50 + (h >> 52) % 200
        return row


class Enrollments(Collection):
    """Path-session user statistics of every session, session after session (what ``GET /paths/stats`` lists)."""

    name, code, schema = "path_session_user_stats", ENROLLMENTS, "PathSessionUserStatDTO"

    def session_of(self, g: int) -> SessionPlan:
        t = self.tenant
        return t.sessions[bisect.bisect_right(t.session_starts, g) - 1]

    def template(self, i: int) -> dict[str, Any]:
        row = self.item(i % self.count) if self.count else {}
        row["_id"] = self.object_id(i)
        return row

    def item(self, g: int) -> dict[str, Any]:
        t = self.tenant
        plan = self.session_of(g)
        h = self.h(g)
        h2 = mix(h)
        anchor = t.anchor_ts
        start = plan.start
        row: dict[str, Any] = {
            "_id": self.object_id(g),
            "userId": t.users.object_id(plan.user_of(g - plan.first)),
            "pathId": t.path_ids[plan.path],
            "sessionId": t.session_ids[plan.index],
            "selfEnrolled": (h & 7) == 0,
        }
        if plan.kind == "future":
            row["enrolledAt"] = iso(anchor - 1 - h2 % (20 * DAY))
            row["status"] = {"type": "sessionNotOpened"}
            row["progress"] = 0
            row["timeSpent"] = 0
            return row
        horizon = min(anchor, plan.end) if plan.end is not None else anchor
        enrolled = start + h2 % max(1, horizon - start - DAY)
        row["enrolledAt"] = iso(enrolled)
        r = (h >> 8) & 0xFF
        if plan.kind == "ended":
            success = r < 160
            kind = "successful" if success else "unsuccessful"
        else:
            kind = (
                "successful"
                if r < 115
                else "onTime"
                if r < 155
                else "late"
                if r < 185
                else "notYetStarted"
                if r < 225
                else "toRetake"
                if r < 238
                else "awaitingCorrection"
            )
        if kind == "notYetStarted":
            row["status"] = {"type": kind}
            row["progress"] = 0
            row["timeSpent"] = 0
        else:
            started = enrolled + (h2 >> 20) % max(1, min(7 * DAY, horizon - enrolled))
            row["startedAt"] = iso(started)
            if kind == "successful":
                done = started + (h2 >> 32) % max(1, horizon - started)
                row["completedAt"] = iso(done)
                row["progress"] = 100
                row["score"] = 50 + (h >> 16) % 51
                if (h >> 24) & 3 == 0 and plan.path == 0:
                    row["certificateId"] = t.certificate_id(1 + g)
                row["status"] = {"type": "successful"}
            else:
                row["progress"] = (h >> 16) % 100
                row["status"] = (
                    {"type": "unsuccessful", "reason": "sessionEnded"}
                    if kind == "unsuccessful"
                    else {"type": "toRetake", "reason": "mandatoryReplay"}
                    if kind == "toRetake"
                    else {"type": kind}
                )
            row["timeSpent"] = 30_000 + (h2 >> 40) % 20_000_000
        if plan.kind != "ended" and plan.kind != "onboarding":
            row["dueDate"] = iso(enrolled + 30 * DAY)
        if (h >> 40) & 0x7F == 0:
            row["unenrolledAt"] = iso(min(anchor, enrolled + 40 * DAY))
        return row


class Tenant:
    """One emulated platform: its collections and the small plans (paths, sessions) they derive from."""

    def __init__(self, seed: int = 42, scale: int = 1, anchor: str = "2026-01-01T00:00:00.000Z") -> None:
        self.seed = seed
        self.scale = scale
        self.anchor_ts = parse_iso(anchor)
        self.seed_key = mix(seed & M64 ^ 0x360)
        self.tag = mix(self.seed_key) & 0xFFFF
        self.groups = Groups(self, 10)
        self.users = Users(self, 200 * scale)
        self._staff = [OWNER]
        while len(self._staff) < STAFF:
            self._staff.append(self.live_user(self._staff[-1] + 1))
        self.courses = Courses(self, 60 * scale)
        self.paths = Paths(self, len(PATH_NAMES))
        self._steps = [self._course_steps(p) for p in range(len(self.paths))]
        self._tag_mid = f"{self.tag:04x}{TAGS:02x}"
        self.path_ids = [self.paths.object_id(p) for p in range(len(self.paths))]
        self.sessions = self._plan_sessions()
        self.session_starts = [s.first for s in self.sessions]
        self.path_sessions = PathSessions(self, len(self.sessions))
        self.session_ids = [self.path_sessions.object_id(s) for s in range(len(self.sessions))]
        self.opened_sessions = [s.index for s in self.sessions if s.kind != "future" and s.count]
        self.enrollments = Enrollments(self, sum(s.count for s in self.sessions))
        self.course_stats = CourseStats(self, 1250 * scale)
        self.collections: dict[str, Collection] = {
            c.name: c
            for c in (
                self.users,
                self.groups,
                self.courses,
                self.course_stats,
                self.paths,
                self.path_sessions,
                self.enrollments,
            )
        }
        for kind, count in SEEDED:  # the small families, defined below
            small = kind(self, count)
            self.collections[small.name] = small

    def build_indexes(self, fields: Iterable[str], min_rows: int = 10_000) -> None:
        """Build the ``in``-filter indexes of ``fields`` for every collection of at least ``min_rows`` rows that
        has them (:meth:`Collection.positions`). A server calls this in the background at start: built on the
        first request instead, an index stalls the server for seconds (2 s at 250,000 rows), the requests queue
        meanwhile and then arrive all at once, past a strict per-second rate limit a real API would not have hit.
        """
        wanted = tuple(fields)
        for collection in list(self.collections.values()):
            if len(collection) < min_rows:
                continue
            sample = collection.item(0)
            for field in wanted:
                if field in sample:
                    collection.positions(field, ())

    def _plan_sessions(self) -> list[SessionPlan]:
        plans: list[SessionPlan] = []
        users = len(self.users)
        first = 0
        for p in range(len(self.paths)):
            h = mix(self.seed_key ^ (0x5E55 + p))
            n = 3 if p == 0 else 2 + (h & 1)
            for rank in range(n):
                hh = mix(h ^ rank)
                if p == 0 and rank == 0:
                    kind, start, end, offset, stride = "onboarding", self.anchor_ts - 2 * YEAR - DAY, None, 0, 1
                else:
                    kind = ("ongoing", "ended", "future")[rank % 3]
                    stride = 3 + hh % 6
                    offset = (hh >> 8) % stride
                    if kind == "ongoing":
                        start = self.anchor_ts - 200 * DAY - (hh >> 16) % (100 * DAY)
                        end = self.anchor_ts + 120 * DAY
                    elif kind == "ended":
                        start = self.anchor_ts - 2 * YEAR + (hh >> 16) % (120 * DAY)
                        end = start + 180 * DAY
                    else:
                        start = self.anchor_ts + 30 * DAY + (hh >> 16) % (30 * DAY)
                        end = start + 90 * DAY
                count = max(0, (users - offset + stride - 1) // stride)
                root = CHILD_OF.get((p, rank))
                if root is not None:
                    end = plans[root].end  # a child closes with its root (the onboarding never does)
                plans.append(SessionPlan(len(plans), p, rank, kind, start, end, offset, stride, count, first, root))
                first += count
        return plans

    def _course_steps(self, p: int) -> list[int]:
        h = mix(self.seed_key ^ (0xC0_0000 + p))
        n = 3 + h % 4
        courses = len(self.courses)
        out: list[int] = []
        for j in range(n):
            c = self.live_course((h >> (8 + 7 * j)) % courses)
            if c not in out:
                out.append(c)
        return out

    # -- references of seeded rows: every one names a live row -----------------------------------------
    def live_user(self, u: int) -> int:
        """The first user at or after index ``u`` (wrapping) that is not deleted: the author, instructor, trainer...
        a seeded row names. Managers (every ``TEAM``-th user) are never deleted, so this looks at most ``TEAM`` rows."""
        users = self.users
        while users.status_of(u) == "deleted":
            u = (u + 1) % len(users)
        return u

    def other_users(self, picks: Iterable[int], besides: int | None = None) -> list[str]:
        """Ids of the live users at or after each pick, without repeats and without ``besides`` (co-authors are
        never the author: ``mainAuthorAsCoAuthor``)."""
        out: list[str] = []
        for pick in picks:
            u = self.live_user(pick)
            oid = self.users.object_id(u)
            if u != besides and oid not in out:
                out.append(oid)
        return out

    def staff_id(self, k: int) -> str:
        """Id of the ``k``-th user that is not deleted: the users the small families name (trainers, experts...)."""
        return self.users.object_id(self._staff[k % STAFF])

    def live_learner(self, plan: SessionPlan, j: int) -> int:
        """A learner of ``plan`` that is not deleted, from its ``j``-th on (statistics of seeded learners)."""
        for k in range(plan.count):
            u = plan.user_of((j + k) % plan.count)
            if self.users.status_of(u) != "deleted":
                return u
        return self.live_user(0)

    def live_course(self, c: int) -> int:
        """The first course at or after index ``c`` (wrapping) that is not deleted (path steps, statistics)."""
        courses = self.courses
        for _ in range(len(courses)):
            if not courses.is_deleted(c):
                return c
            c = (c + 1) % len(courses)
        raise ValueError("every generated course is deleted")

    def path_course_steps(self, p: int) -> Sequence[int]:
        """Indices of the courses that path ``p`` contains (its course steps)."""
        return self._steps[p] if p < len(self._steps) else self._course_steps(p)

    def tag_id(self, i: int) -> str:
        return f"{self.anchor_ts - 3 * YEAR:08x}{self._tag_mid}{i:010x}"

    def media_id(self, i: int) -> str:
        """Id of the ``i``-th media (images uploaded through the API get the next ones)."""
        return f"{self.anchor_ts - 3 * YEAR:08x}{self.tag:04x}{MEDIA:02x}{i:010x}"

    def step_id(self, i: int) -> str:
        return f"{self.anchor_ts - 3 * YEAR:08x}{self.tag:04x}{STEPS:02x}{i:010x}"

    def certificate_id(self, i: int) -> str:
        """Id of certificate ``i``: 0 is the onboarding path's certificate outline, ``1 + g`` the one of path stat ``g``."""
        return f"{self.anchor_ts - 3 * YEAR + (i >> 4):08x}{self.tag:04x}{CERTIFICATES:02x}{i:010x}"

    @property
    def onboarding(self) -> SessionPlan:
        """The "company onboarding" session that enrols every user (benchmarks page through it)."""
        return self.sessions[0]

    def session_range(self, s: int) -> tuple[int, int]:
        plan = self.sessions[s]
        return plan.first, plan.first + plan.count

    def summary(self) -> dict[str, Any]:
        """Counts and well-known ids, for ``GET /_emulator/info`` and benchmark scripts."""
        onboarding = self.onboarding
        return {
            "seed": self.seed,
            "scale": self.scale,
            "anchor": iso(self.anchor_ts),
            "counts": {name: len(c) for name, c in self.collections.items()},
            "sessions_per_path": [sum(1 for s in self.sessions if s.path == p) for p in range(len(self.paths))],
            "onboarding": {
                "pathId": self.path_ids[onboarding.path],
                "sessionId": self.session_ids[onboarding.index],
                "users": onboarding.count,
            },
        }


# -- small seeded families ----------------------------------------------------------------------------------
# Tags, custom fields, classrooms, integrations...: a handful of rows on a real platform whatever its size, so
# their count does not grow with ``--scale``; rows are still computed on demand from the index, like the big
# collections, and every one refers only to objects that exist (users, groups, the onboarding session...).
# (They live here, beside the Tenant that builds them, so that neither module imports the other.)

(
    CUSTOM_FIELDS,
    CUSTOM_LINKS,
    EXTERNAL_IDS,
    INTEGRATIONS,
    CERTIFICATE_OUTLINES,
    CLASSROOMS,
    CLASSROOM_SLOTS,
    SLOT_REGISTRATIONS,
    ATTENDANCE_SHEETS,
    USER_CERTIFICATES,
    USER_CUSTOM_LINKS,
    SKILLS,
    POWERS,
    PROJECTS,
    LEARNING_NEEDS,
    WEBHOOK_SUBSCRIPTIONS,
) = range(12, 28)

TAG_NAMES = (
    "Onboarding",
    "Sales",
    "Security",
    "Leadership",
    "Compliance",
    "Product",
    "Soft skills",
    "Management",
    "Customer care",
    "Data",
    "Engineering",
    "Marketing",
    "Finance",
    "HR",
    "Wellbeing",
    "Languages",
    "Diversity",
    "Coursera picks",
    "LinkedIn picks",
    "Udemy picks",
)
EXTERNAL_PLATFORMS = ("LinkedIn Learning", "Coursera", "Udemy")
"""Platforms of the seeded integrations, in the order ``Courses`` draws ``externalPlatform`` from."""
EDX_PLATFORM = "edX"
"""Platform of the fourth seeded integration, which owns no generated course: the edX sync DAGs fill it."""
CLASSROOM_NAMES = ("Negotiation workshop", "Security drill", "Leadership offsite")
SKILL_NAMES = ("Negotiation", "Public speaking", "Python", "Data analysis", "Coaching", "Incident response")
DEPARTMENTS = ("Sales", "Engineering", "Customer Success", "Human Resources", "Marketing")


def job_external_id(job: str) -> str:
    """External id of a seeded skills job (``Sales Representative`` -> ``job-sales-representative``)."""
    return "job-" + job.lower().replace(" ", "-")


JOB_EXTERNAL_IDS = frozenset(job_external_id(j) for j in JOBS)


class Seeded(Collection):
    """A small collection: rows added through the control interface start from a seeded row."""

    def template(self, i: int) -> dict[str, Any]:
        row = self.item(i % self.count)
        row["_id"] = self.object_id(i)
        return row

    @property
    def created(self) -> str:
        """Creation date of the seeded rows: a year before the data anchor."""
        return iso(self.tenant.anchor_ts - YEAR)


class Tags(Seeded):
    name, code, schema = "tags", 8, "TagDTOWithSource"

    def object_id(self, i: int) -> str:
        return self.tenant.tag_id(i)  # the ids courses already carry in their tagIds

    def item(self, i: int) -> dict[str, Any]:
        row: dict[str, Any] = {
            "_id": self.object_id(i),
            "name": TAG_NAMES[i % 20] if i < 20 else f"Tag {i}",
            "isMain": i < 4,
            "source": "integration" if 17 <= i < 20 else "native",
        }
        if row["source"] == "integration":
            row["externalId"] = f"ext-tag-{i}"
        return row


class CustomFields(Seeded):
    name, code, schema = "custom_fields", CUSTOM_FIELDS, "CustomFieldDTO"
    SEED = (("Department", "users", "string"), ("Hire date", "users", "date"), ("Content owner", "contents", "string"))

    def item(self, i: int) -> dict[str, Any]:
        name, target, kind = self.SEED[i % 3]
        return {"_id": self.object_id(i), "name": name if i < 3 else f"{name} {i}", "targetType": target, "type": kind}

    def authorized_values(self, i: int) -> list[str]:
        """Seeded authorized values: the departments for the first field, free values otherwise."""
        return list(DEPARTMENTS) if i == 0 else []


class CustomLinks(Seeded):
    name, code, schema = "custom_links", CUSTOM_LINKS, "CustomLinkDTO"
    SEED = (("Agenda", "agenda"), ("Absences", "absence"))

    def item(self, i: int) -> dict[str, Any]:
        label, kind = self.SEED[i % 2]
        return {"_id": self.object_id(i), "name": label, "order": i, "type": kind, "iconName": kind}


class ExternalIds(Seeded):
    name, code, schema = "external_ids", EXTERNAL_IDS, "ExternalIdDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "platform": "hris",
            "targetType": "user",
            "targetId": self.tenant.staff_id(i),
            "value": f"EMP-{i:05d}",
        }


class Integrations(Seeded):
    name, code, schema = "integrations", INTEGRATIONS, "IntegrationDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        platform = EDX_PLATFORM if i == len(EXTERNAL_PLATFORMS) else EXTERNAL_PLATFORMS[i % 3]
        return {
            "_id": self.object_id(i),
            "externalPlatform": platform,
            "authorId": t.users.object_id(OWNER),
            "groupId": t.groups.object_id(0),
            "defaultCompletion": True,
            "defaultProgress": 0,
            "noGroupPropagation": False,
        }


class CertificateOutlines(Seeded):
    """Outlines; the first one is the certificate of the onboarding path (``certificateId`` of path 0), the second
    one no path uses (it can be deleted)."""

    name, code, schema = "certificate_outlines", CERTIFICATE_OUTLINES, "CertificateOutlineResponseDTO"
    hidden = frozenset(
        {
            "bodyHtml",
            "subtitle",
            "validityPeriod",
            "validityPeriodWording",
            "referenceNumberWording",
            "authenticityVerificationUrlWording",
            "backgroundImageId",
            "logoImageId",
        }
    )

    def object_id(self, i: int) -> str:
        return self.tenant.certificate_id(0) if i == 0 else super().object_id(i)

    def index_of(self, oid: str) -> int | None:
        return 0 if oid.lower() == self.tenant.certificate_id(0) else super().index_of(oid)

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "title": "Onboarding certificate" if i == 0 else f"Certificate {i + 1}",
            "groupId": self.tenant.groups.object_id(0),
            "createdAt": self.created,
            "bodyHtml": "<p>{{learnerName}} completed {{pathName}}.</p>",
        }


class Classrooms(Seeded):
    name, code, schema = "classrooms", CLASSROOMS, "ClassroomDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "groupId": self.tenant.groups.object_id(1 + i % 3),
            "name": CLASSROOM_NAMES[i % 3],
            "mediaIds": [],
            "trainingObjective": "Practise with peers.",
            "createdAt": self.created,
            "modifiedAt": self.created,
        }


class ClassroomSlots(Seeded):
    """Two slots per classroom, in the onboarding session, a year or more after the data anchor."""

    name, code, schema = "classroom_slots", CLASSROOM_SLOTS, "ClassroomSlotDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        start = t.anchor_ts + 2 * YEAR + (7 * i) * DAY + 9 * 3600
        return {
            "_id": self.object_id(i),
            "classroomId": t.collections["classrooms"].object_id(i // 2 % 3),
            "name": f"{CLASSROOM_NAMES[i // 2 % 3]} - slot {i % 2 + 1}",
            "startDate": iso(start),
            "endDate": iso(start + 3 * 3600),
            "reportedDuration": 180,
            "selfRegistration": {"enabled": False},
            "virtual": bool(i % 2),
            "maxCapacity": 2,
            "location": f"Room {101 + i}",
            "trainerIds": [t.staff_id(1)],
            "mediaIds": [],
            "timezone": "Europe/Paris",
            "context": {"_id": t.session_ids[0], "type": "path"},
            "createdAt": self.created,
            "modifiedAt": self.created,
        }


class SlotRegistrations(Seeded):
    """Two learners registered in the first slot, which fills it (its waitlist can be joined)."""

    name, code, schema = "slot_registrations", SLOT_REGISTRATIONS, "SlotRegistrationWithClassroomSlotIdDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {
            "_id": self.object_id(i),
            "classroomSlotId": t.collections["classroom_slots"].object_id(0),
            "userId": t.staff_id(2 + i),
            "status": "published",
            "pathId": t.path_ids[0],
            "createdAt": self.created,
            "modifiedAt": self.created,
        }


class AttendanceSheets(Seeded):
    name, code, schema = "attendance_sheets", ATTENDANCE_SHEETS, "OpenedAttendanceSheetDTO"
    hidden = frozenset({"classroomSlotId"})

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "classroomSlotId": self.tenant.collections["classroom_slots"].object_id(0),
            "name": f"Attendance {i + 1}",
            "status": "open",
            "checkInCode": f"{(self.h(i) % 900_000) + 100_000}",
        }


class UserCertificates(Seeded):
    """External certificates uploaded for users (path certificates derive from path statistics)."""

    name, code, schema = "user_certificates", USER_CERTIFICATES, "OutputUserExternalCertificateDTO"
    hidden = frozenset({"userId", "isPublic"})

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "userId": self.tenant.staff_id(i),
            "type": "external",
            "title": "First aid",
            "deliveryDate": self.created,
            "isPublic": False,
        }


class UserCustomLinks(Seeded):
    name, code, schema = "user_custom_links", USER_CUSTOM_LINKS, "UserCustomLinkDTO"
    hidden = frozenset({"userId"})

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {
            "_id": self.object_id(i),
            "userId": t.staff_id(i),
            "customLinkId": t.collections["custom_links"].object_id(0),
            "url": f"https://agenda.example.com/{i}",
        }


class Skills(Seeded):
    name, code, schema = "skills", SKILLS, "SkillDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "name": SKILL_NAMES[i % len(SKILL_NAMES)],
            "parents": [],
            "status": "published",
            "translations": [],
            "externalId": f"skill-{i}",
            "createdAt": self.created,
            "updatedAt": self.created,
        }


class Powers(Seeded):
    """One assessed skill for each of the first users."""

    name, code, schema = "powers", POWERS, "PowerDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        skills = t.collections["skills"]
        skill = i % len(skills)
        return {
            "_id": self.object_id(i),
            "skillId": skills.object_id(skill),
            "skillExternalId": f"skill-{skill}",
            "userId": t.staff_id(i),
            "status": ("toAssess", "pendingValidation", "validated")[i % 3],
            "qualifiers": [],
            "createdAt": self.created,
            "updatedAt": self.created,
        }


class Projects(Seeded):
    name, code, schema = "projects", PROJECTS, "ProjectDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {
            "_id": self.object_id(i),
            "name": f"{SKILL_NAMES[i % 6]} academy",
            "completed": i == 0,
            "groupId": self.tenant.groups.object_id(1 + i % 9),
        }


class LearningNeeds(Seeded):
    name, code, schema = "learning_needs", LEARNING_NEEDS, "LearningNeedDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {
            "_id": self.object_id(i),
            "groupId": t.groups.object_id(1 + i % 9),
            "name": f"Learn {SKILL_NAMES[i % 6]}",
            "status": ("new", "exploring", "projectOngoing")[i % 3],
            "createdAt": self.created,
            "authorId": t.staff_id(i),
            "questions": [{"title": "Why now?", "answer": "A new team starts."}],
            "suggestedExpertIds": [t.staff_id(1)],
            "volunteerIds": [],
        }


class WebhookSubscriptions(Seeded):
    """Webhook subscriptions (webhook document): an inactive one, so no write records an event until a test
    subscribes (or activates it), and an active one (events can be retried) to an event type no emulated write
    records (``user.certificate.awarded``)."""

    name, code, schema, document = "webhook_subscriptions", WEBHOOK_SUBSCRIPTIONS, "SubscriptionDTO", "webhook"

    def item(self, i: int) -> dict[str, Any]:
        if i % 2:
            return {
                "_id": self.object_id(i),
                "eventType": "user.certificate.awarded",
                "name": "Certificates to the HR portal" if i == 1 else f"Certificates {i}",
                "url": f"https://hooks.example.com/certificates/{i}",
                "status": "active",
            }
        return {
            "_id": self.object_id(i),
            "eventType": "user.created",
            "name": "HRIS sync" if i == 0 else f"HRIS sync {i}",
            "url": f"https://hooks.example.com/hris/{i}",
            "status": "inactive",
        }


SEEDED: tuple[tuple[type[Seeded], int], ...] = (
    (Tags, 20),
    (CustomFields, 3),
    (CustomLinks, 2),
    (ExternalIds, 3),
    (Integrations, 4),
    (CertificateOutlines, 2),
    (Classrooms, 3),
    (ClassroomSlots, 6),
    (SlotRegistrations, 2),
    (AttendanceSheets, 1),
    (UserCertificates, 1),
    (UserCustomLinks, 1),
    (Skills, 6),
    (Powers, 20),
    (Projects, 3),
    (LearningNeeds, 3),
    (WebhookSubscriptions, 2),
)
"""Each small collection and its seeded row count (independent of ``--scale``)."""
