"""Deterministic data of the emulated edX enterprise customer: catalogs, their content, the learner summary.

Everything is a pure function of ``(seed, scale)`` and the 360Learning tenant it sits next to, computed
per item on demand (a page costs O(page)), with field names and types of the real API
(``/work/shared/research/edx-api.md`` §4-§6). Learners are 360Learning's generated users, so their
emails match, but for the awkward cases listed in :data:`AWKWARD`. The catalog content depends on the
edX day (see :meth:`EdxData.retired`): one more course disappears every day, as when its last run closes.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

from airflow_provider_360learning.emulator.tenant import DAY, YEAR, Tenant, mix

COURSES_PER_SCALE = 50
PROGRAMS_PER_SCALE = 2
LEARNER_ROWS_PER_SCALE = 250
ENTERPRISE_NAME = "Acme Corporation"
ENTERPRISE_SLUG = "acme-corporation"
LMS = "https://courses.edx.org"
PORTAL = "https://enterprise.edx.org"
UNKNOWN_LEARNER_EMAIL = "sam.okafor@contractors.example"
"""The learner of the learner summary that 360Learning does not know."""

AWKWARD = {
    "course_without_description": 0,
    "course_with_html_description": 1,
    "course_with_non_ascii_title": 2,
    "course_without_image": 3,
    "learner_row_email_other_case": 0,
    "learner_row_unknown_to_360learning": 1,
    "learner_rows_same_course_twice": (2, 3),
    "learner_row_without_consent": -1,
}
"""Indices of the hand-made awkward cases (courses of the main catalog, rows of the learner summary;
-1 is the last row). Further ones come from the generator: about one title in eight is not ASCII, rows
with no activity yet (``last_activity_date`` null) close the summary, some learners unenrolled."""

ORGS = (
    ("HarvardX", "Harvard University"),
    ("MITx", "Massachusetts Institute of Technology"),
    ("DelftX", "Delft University of Technology"),
    ("UBCx", "The University of British Columbia"),
    ("IBM", "IBM"),
    ("LinuxFoundationX", "The Linux Foundation"),
    ("BerkeleyX", "University of California, Berkeley"),
    ("EPFLx", "École polytechnique fédérale de Lausanne"),
    ("UQx", "The University of Queensland"),
    ("TUMx", "Technische Universität München"),
)
SUBJECTS = (
    ("Computer Science", "CS"),
    ("Data Analysis & Statistics", "DS"),
    ("Business & Management", "BUS"),
    ("Communication", "COM"),
    ("Economics & Finance", "ECON"),
    ("Engineering", "ENG"),
    ("Language", "LANG"),
)
TITLES = (
    "Introduction to Python Programming",
    "Data Science Essentials",
    "Project Management Fundamentals",
    "Negotiation Skills",
    "Leading High-Performing Teams",
    "Financial Accounting",
    "Cloud Computing Basics",
    "Business Writing",
    "Supply Chain Analytics",
    "Design Thinking",
    "Machine Learning with Python",
    "Cybersecurity Fundamentals",
    "Agile Leadership",
    "Marketing Analytics",
    "Public Speaking",
    "Sustainable Business Strategy",
)
NON_ASCII_TITLES = (
    "Introducción a la ciencia de datos",
    "Économie circulaire et innovation",
    "Künstliche Intelligenz für Führungskräfte",
    "機械学習入門",
    "Gestão ágil de projetos",
    "Psychologie du travail – niveau 2",
    "Основы программирования",
)
SKILLS = (
    "Python",
    "Data Analysis",
    "Leadership",
    "Negotiation",
    "Accounting",
    "Cloud Computing",
    "Agile Methodology",
    "Communication",
    "Machine Learning",
    "Project Management",
    "Marketing",
    "Cybersecurity",
)
LEVELS = ("Introductory", "Intermediate", "Advanced")
LANGUAGES = (
    ("English", "en-us"),
    ("English", "en-us"),
    ("English", "en-us"),
    ("Spanish", "es-es"),
    ("French", "fr-fr"),
)
COUNTRIES = ("US", "FR", "DE", "GB", "ES", "IN", "BR", "JP")
PROGRAM_TYPES = ("Professional Certificate", "XSeries", "MicroMasters")
RUN_TERMS = ("1T", "2T", "3T")


def iso_datetime(ts: int, micro: int | None = None) -> str:
    """``2026-01-12T03:11:04Z``, or with microseconds (``...04.227381Z``) as Django serialises them."""
    text = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{micro:06d}Z" if micro is not None else f"{text}Z"


def iso_date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def make_uuid(h: int, h2: int) -> str:
    return str(uuid.UUID(int=(h << 64) | h2, version=4))


class Course(NamedTuple):
    """What the catalog item and the learner rows of a course share."""

    key: str
    uuid: str
    title: str
    org: tuple[str, str]
    subject: tuple[str, str]
    run_key: str
    run_uuid: str
    previous_run_key: str
    start: int
    end: int
    pacing: str
    weeks: int
    min_effort: int
    max_effort: int
    price: float
    language: tuple[str, str]
    level: str


@dataclass(frozen=True)
class CatalogPlan:
    """One catalog: its metadata and which courses (every ``step``-th of the first ``courses``) and programs it has."""

    uuid: str
    title: str
    query_title: str | None
    query_uuid: str | None
    created: int
    courses: int
    step: int
    programs: int


class EdxData:
    """The emulated customer's data (see the module docstring); sizes scale with ``tenant.scale``."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.key = mix(tenant.seed_key ^ 0xED5)
        self.anchor = tenant.anchor_ts
        scale = tenant.scale
        self.course_count = COURSES_PER_SCALE * scale
        self.program_count = PROGRAMS_PER_SCALE * scale
        self.learner_row_count = LEARNER_ROWS_PER_SCALE * scale
        self.enterprise_uuid = self.uuid_of(0xE17)
        self.catalogs = (
            CatalogPlan(
                self.uuid_of(0xCA7),
                f"{ENTERPRISE_NAME} - Business Skills",
                "Business & Leadership (OCM)",
                self.uuid_of(0xC0E),
                self.anchor - 400 * DAY,
                self.course_count,
                1,
                self.program_count,
            ),
            CatalogPlan(
                self.uuid_of(0xCA8),
                f"{ENTERPRISE_NAME} - Leadership Picks",
                "Curated selection",
                self.uuid_of(0xC0F),
                self.anchor - 200 * DAY,
                self.course_count,
                10,
                1,
            ),
            CatalogPlan(
                self.uuid_of(0xCA9), f"{ENTERPRISE_NAME} - Pilot (empty)", None, None, self.anchor - 20 * DAY, 0, 1, 0
            ),
        )

    def h(self, kind: int, i: int) -> int:
        return mix(self.key ^ (kind << 40) ^ i)

    def uuid_of(self, kind: int, i: int = 0) -> str:
        h = self.h(kind, i)
        return make_uuid(h, mix(h))

    def catalog(self, catalog_uuid: str) -> CatalogPlan | None:
        return next((c for c in self.catalogs if c.uuid == catalog_uuid), None)

    # -- the day ---------------------------------------------------------------------------------
    @cached_property
    def _retirement_order(self) -> list[int]:
        """Courses in the order they leave the catalogs, one a day, at most a tenth of them."""
        order: list[int] = []
        seen: set[int] = set()
        k = 0
        while len(order) < max(1, self.course_count // 10):
            c = self.h(0x5E7, k) % self.course_count
            k += 1
            if c not in seen and c not in (0, 1, 2, 3):  # the hand-made awkward courses stay
                seen.add(c)
                order.append(c)
        return order

    def retired_in_order(self, day: int) -> list[int]:
        """The courses gone on edX day ``day``, in the order they left (day 0: none; day d: the first d)."""
        return self._retirement_order[: max(0, day)]

    def retired(self, day: int) -> list[int]:
        """:meth:`retired_in_order`, sorted."""
        return sorted(self.retired_in_order(day))

    # -- catalog content -------------------------------------------------------------------------
    def content_count(self, plan: CatalogPlan, day: int) -> int:
        return len(range(0, plan.courses, plan.step)) - len(self._retired_positions(plan, day)) + plan.programs

    def _retired_positions(self, plan: CatalogPlan, day: int) -> list[int]:
        return [c // plan.step for c in self.retired(day) if c % plan.step == 0 and c < plan.courses]

    def content_page(self, plan: CatalogPlan, day: int, offset: int, limit: int) -> list[dict[str, Any]]:
        """Items ``[offset, offset + limit)`` of the catalog on ``day``: its courses still offered, then its programs."""
        gone = self._retired_positions(plan, day)
        positions = len(range(0, plan.courses, plan.step))
        visible = positions - len(gone)
        items: list[dict[str, Any]] = []
        q = _nth_kept(offset, gone) if offset < visible else positions
        j = offset
        while len(items) < limit and j < visible:
            if not _contains(gone, q):
                items.append(self.course_item(q * plan.step, plan))
                j += 1
            q += 1
        while len(items) < limit and j < visible + plan.programs:
            items.append(self.program_item(j - visible, plan))
            j += 1
        return items

    def course(self, i: int) -> Course:
        h = self.h(0xC0, i)
        h2 = mix(h)
        org = ORGS[h % len(ORGS)]
        subject = SUBJECTS[(h >> 8) % len(SUBJECTS)]
        code = f"{subject[1]}{100 + i}x"
        non_ascii = i == AWKWARD["course_with_non_ascii_title"] or (h >> 16) & 7 == 0
        title = NON_ASCII_TITLES[(h >> 20) % len(NON_ASCII_TITLES)] if non_ascii else TITLES[(h >> 20) % len(TITLES)]
        start = self.anchor - (10 + (h2 % 300)) * DAY - (h2 >> 40) % DAY
        year = datetime.fromtimestamp(start, UTC).year
        term = RUN_TERMS[(h >> 28) % 3]
        weeks = 4 + (h >> 32) % 9
        return Course(
            key=f"{org[0]}+{code}",
            uuid=make_uuid(h, h2),
            title=title,
            org=org,
            subject=subject,
            run_key=f"course-v1:{org[0]}+{code}+{term}{year}",
            run_uuid=make_uuid(h2, h),
            previous_run_key=f"course-v1:{org[0]}+{code}+{term}{year - 1}",
            start=start,
            end=start + (60 + (h2 >> 8) % 500) * DAY,
            pacing="self_paced" if (h >> 36) & 3 else "instructor_paced",
            weeks=weeks,
            min_effort=2 + (h >> 40) % 4,
            max_effort=6 + (h >> 44) % 6,
            price=float((49, 99, 149, 199, 299)[(h >> 48) % 5]),
            language=LANGUAGES[(h >> 52) % len(LANGUAGES)],
            level=LEVELS[(h >> 56) % 3],
        )

    def _urls(self, key: str, plan: CatalogPlan, run_key: str | None = None) -> dict[str, str]:
        utm = f"utm_medium=enterprise&utm_source={ENTERPRISE_SLUG}"
        run = f"&course_run_key={run_key}" if run_key else ""
        return {
            "enrollment_url": f"{PORTAL}/{ENTERPRISE_SLUG}/course/{key}?{utm}{run}",
            "marketing_url": f"https://www.edx.org/learn/{key.lower().replace('+', '-')}?{utm}",
        }

    def course_item(self, i: int, plan: CatalogPlan) -> dict[str, Any]:
        """A ``content_type: course`` item as the catalog content route serves it."""
        c = self.course(i)
        h = self.h(0xC1, i)
        modified = self.anchor - (h % (120 * DAY))
        skills = [SKILLS[(h >> (8 + 4 * j)) % len(SKILLS)] for j in range(1 + (h >> 4) % 3)]
        skills = list(dict.fromkeys(skills))
        subject = {
            "name": c.subject[0],
            "subtitle": f"Learn {c.subject[0].lower()}",
            "description": None,
            "banner_image_url": None,
            "card_image_url": None,
            "slug": c.subject[0].lower().split()[0],
            "uuid": make_uuid(self.h(0x5B, 0), (h >> 8) % len(SUBJECTS)),
        }
        owner = {
            "uuid": make_uuid(self.h(0x06, 0), ORGS.index(c.org)),
            "key": c.org[0],
            "name": c.org[1],
            "logo_image_url": f"https://prod-discovery.edx-cdn.org/organization/logos/{c.org[0].lower()}.png",
            "certificate_logo_image_url": None,
            "marketing_url": None,
            "slug": c.org[0].lower(),
        }
        urls = self._urls(c.key, plan, c.run_key)
        run = {
            "key": c.run_key,
            "uuid": c.run_uuid,
            "title": c.title,
            "start": iso_datetime(c.start),
            "end": iso_datetime(c.end),
            "enrollment_start": iso_datetime(c.start - 30 * DAY),
            "enrollment_end": None,
            "go_live_date": None,
            "availability": "Current",
            "pacing_type": c.pacing,
            "status": "published",
            "is_enrollable": True,
            "is_marketable": True,
            "is_marketable_external": False,
            "weeks_to_complete": c.weeks,
            "min_effort": c.min_effort,
            "max_effort": c.max_effort,
            "estimated_hours": float(c.weeks * (c.min_effort + c.max_effort) / 2),
            "content_language": c.language[1],
            "transcript_languages": [c.language[1]],
            "type": "verified-audit",
            "run_type": "verified-audit",
            "seats": [
                {
                    "type": "verified",
                    "price": f"{c.price:.2f}",
                    "currency": "USD",
                    "upgrade_deadline": iso_datetime(c.end - 14 * DAY),
                    "sku": f"{h & 0xFFFFFF:06X}",
                },
                {"type": "audit", "price": "0.00", "currency": "USD", "upgrade_deadline": None, "sku": None},
            ],
            "modified": iso_datetime(modified, (h >> 20) % 1_000_000),
            "level_type": c.level,
            "staff": [],
            "parent_content_key": c.key,
            "enrollment_url": urls["enrollment_url"],
            "restriction_type": None,
        }
        description = f"<p>{c.title}: a course by {c.org[1]} on {c.subject[0].lower()}.</p>"
        item: dict[str, Any] = {
            "content_type": "course",
            "key": c.key,
            "uuid": c.uuid,
            "title": c.title,
            "short_description": description,
            "full_description": f"{description}<ul><li>{c.weeks} weeks</li><li>{c.min_effort}-{c.max_effort} "
            f"hours per week</li></ul>",
            "image": {
                "src": f"https://prod-discovery.edx-cdn.org/media/course/image/{c.uuid}-{h & 0xFFFFFFFF:08x}.small.jpg",
                "description": None,
                "height": None,
                "width": None,
            },
            "card_image_url": f"https://prod-discovery.edx-cdn.org/media/course/image/{c.uuid}.card.jpg",
            "level_type": c.level,
            "languages": [c.language[0]],
            "skill_names": skills,
            "skills": [
                {
                    "name": s,
                    "description": f"{s} skills",
                    "category": {"name": "Technology"},
                    "subcategory": {"name": s, "category": {"name": "Technology"}},
                }
                for s in skills
            ],
            "subjects": [subject],
            "owners": [owner],
            "sponsors": [],
            "organizations": [f"{c.org[0]}: {c.org[1]}"],
            "course_runs": [run],
            "advertised_course_run_uuid": c.run_uuid,
            "canonical_course_run_key": c.run_key,
            "course_run_keys": [c.run_key],
            "course_run_statuses": ["published"],
            "entitlements": [
                {
                    "mode": "verified",
                    "price": f"{c.price:.2f}",
                    "currency": "USD",
                    "sku": f"E{h & 0xFFFFF:05X}",
                    "expires": None,
                }
            ],
            "seat_types": ["audit", "verified"],
            "course_type": "verified-audit",
            "modified": iso_datetime(modified, (h >> 20) % 1_000_000),
            "data_modified_timestamp": iso_datetime(modified, (h >> 20) % 1_000_000),
            "end_date": iso_datetime(c.end),
            "course_ends": "Future",
            "xapi_activity_id": f"{LMS}/xapi/activities/course/{c.key}",
            "active": True,
            "parent_content_key": None,
            "content_last_modified": iso_datetime(modified, (h >> 20) % 1_000_000),
            "normalized_metadata": self._normalized(c),
            "normalized_metadata_by_run": {c.run_key: self._normalized(c)},
            "reviews_count": (h >> 24) % 500,
            "avg_course_rating": round(3 + ((h >> 34) % 200) / 100, 2),
            **urls,
        }
        if i == AWKWARD["course_without_description"]:
            item["short_description"], item["full_description"] = None, ""
        elif i == AWKWARD["course_with_html_description"]:
            item["short_description"] = (
                "<p>Learn to <strong>negotiate</strong> &amp; persuade&nbsp;&mdash; <em>“win–win”</em> deals.</p>"
            )
            item["full_description"] = (
                '<div class="course-about"><h3>About</h3><p>Week&nbsp;1: <a href="https://www.edx.org/">basics'
                "</a><br/>Week 2: cases &lt;real&gt; &amp; simulated</p><ul><li>Tactics</li><li>Ethics</li></ul>"
                '<img src="https://prod-discovery.edx-cdn.org/media/x.png" alt=""/></div>'
            )
        elif i == AWKWARD["course_without_image"]:
            item["image"] = None
        return item

    def _normalized(self, c: Course) -> dict[str, Any]:
        return {
            "start_date": iso_datetime(c.start),
            "end_date": iso_datetime(c.end),
            "enroll_by_date": iso_datetime(c.end - 7 * DAY),
            "enroll_start_date": iso_datetime(c.start - 30 * DAY),
            "content_price": c.price,
        }

    def program_item(self, p: int, plan: CatalogPlan) -> dict[str, Any]:
        """A ``content_type: program`` item made of a few of the catalog's courses."""
        h = self.h(0x9A, p)
        courses = [self.course(((h >> (8 * j)) % max(1, plan.courses // plan.step)) * plan.step) for j in range(3)]
        title = f"{PROGRAM_TYPES[h % 3]} in {courses[0].subject[0]}"
        modified = self.anchor - (h >> 8) % (90 * DAY)
        return {
            "content_type": "program",
            "uuid": self.uuid_of(0x9B, p),
            "title": title,
            "subtitle": f"Master {courses[0].subject[0].lower()}",
            "type": PROGRAM_TYPES[h % 3],
            "marketing_url": f"https://www.edx.org/certificates/{p}?utm_medium=enterprise&utm_source={ENTERPRISE_SLUG}",
            "card_image_url": f"https://prod-discovery.edx-cdn.org/media/programs/card_images/{p}.jpg",
            "banner_image": None,
            "authoring_organizations": [{"key": courses[0].org[0], "name": courses[0].org[1]}],
            "courses": [{"key": c.key, "uuid": c.uuid, "title": c.title} for c in courses],
            "languages": ["English"],
            "subjects": [],
            "skill_names": [],
            "skills": [],
            "weeks_to_complete": sum(c.weeks for c in courses),
            "weeks_to_complete_min": None,
            "weeks_to_complete_max": None,
            "min_hours_effort_per_week": 2,
            "max_hours_effort_per_week": 8,
            "total_hours_of_effort": None,
            "data_modified_timestamp": iso_datetime(modified),
            "enrollment_url": None,
            "parent_content_key": None,
            "content_last_modified": iso_datetime(modified),
        }

    def catalog_record(self, plan: CatalogPlan, day: int) -> dict[str, Any]:
        """A catalog of the list route; ``content_last_modified`` moves with the day (the content is refreshed)."""
        h = self.h(0xCC, self.catalogs.index(plan))
        content = None if not plan.courses else iso_datetime(self.anchor + day * DAY + 3 * 3600, h % 1_000_000)
        return {
            "uuid": plan.uuid,
            "title": plan.title,
            "enterprise_customer": self.enterprise_uuid,
            "catalog_query_uuid": plan.query_uuid,
            "content_last_modified": content,
            "catalog_modified": iso_datetime(plan.created + 30 * DAY, (h >> 20) % 1_000_000),
            "query_title": plan.query_title,
        }

    # -- learner summary -------------------------------------------------------------------------
    def learner_row(self, r: int) -> dict[str, Any]:
        """Row ``r`` of the learner summary, ordered by ``-last_activity_date`` (by construction)."""
        total = self.learner_row_count
        inactive = max(2, total // 25)  # rows with no activity yet close the list (null sorts last)
        same = AWKWARD["learner_rows_same_course_twice"]
        assert isinstance(same, tuple)
        base = same[0] if r == same[1] else r
        h = self.h(0x1E, base)
        h2 = mix(self.h(0x1E, r))
        users = self.tenant.users
        u = self.tenant.live_user(h % len(users))  # a learner 360Learning knows (not a deleted user)
        user = users.item(u)
        c = self.course((h >> 20) % self.course_count)
        email: str | None = user["mail"]
        first, last = user["firstName"], user["lastName"]
        if r == AWKWARD["learner_row_email_other_case"]:
            local, _, domain = str(email).partition("@")
            email = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.upper()
        elif r == AWKWARD["learner_row_unknown_to_360learning"]:
            email, first, last = UNKNOWN_LEARNER_EMAIL, "Sam", "Okafor"
        idle = r >= total - inactive
        consent = r != total - 1 and not (idle and h2 % 5 == 0)
        last_activity = None if idle else self.anchor - DAY - (r * 700 // (total - inactive)) * DAY
        run_key = c.previous_run_key if r == same[1] else c.run_key
        enrolled = min(last_activity if last_activity is not None else self.anchor - DAY, c.start + (h2 % 20) * DAY)
        passing = 0.7 if (h >> 8) & 1 else 0.5
        passed = r == same[0] or (last_activity is not None and r != same[1] and (h2 >> 8) % 100 < 45)
        ended = c.end < self.anchor or r == same[1]
        progress = 1.0 if passed else (0.0 if last_activity is None else round(((h2 >> 16) % 95) / 100, 2))
        grade = (
            round(passing + ((h2 >> 24) % (100 - int(passing * 100))) / 100, 2)
            if passed
            else round(min(passing - 0.01, progress * passing), 2)
        )
        unenrolled = r == same[1] or (not passed and (h2 >> 32) % 40 == 0)
        row: dict[str, Any] = {
            "enrollment_id": 884_000_000 + r * 7 + (h2 % 7),
            "enterprise_enrollment_id": 5_520_000 + r,
            "is_consent_granted": consent,
            "paid_by": "enterprise",
            "user_current_enrollment_mode": "verified" if (h2 >> 40) % 5 else "audit",
            "seat_delivery_method": ("Subscription License", "Learner Credit", "Codes")[(h2 >> 44) % 3],
            "offer_id": None,
            "offer_name": None,
            "offer_type": None,
            "coupon_code": None,
            "coupon_name": None,
            "contract_id": None,
            "course_title": c.title,
            "course_pacing_type": c.pacing,
            "course_primary_program": None,
            "primary_program_type": None,
            "course_primary_subject": c.subject[0],
            "course_key": c.key,
            "courserun_key": run_key,
            "enrollment_date": iso_date(enrolled),
            "unenrollment_date": iso_date(min(self.anchor - DAY, (last_activity or enrolled) + 2 * DAY))
            if unenrolled
            else None,
            "unenrollment_end_within_date": iso_date(enrolled + 14 * DAY),
            "is_refunded": False if unenrolled else None,
            "is_subsidy": False,
            "course_start_date": iso_date(c.start),
            "course_end_date": iso_date(c.end),
            "course_list_price": c.price,
            "amount_learner_paid": 0.0,
            "course_duration_weeks": c.weeks,
            "course_max_effort": c.max_effort,
            "course_min_effort": c.min_effort,
            "has_passed": passed,
            "passed_date": iso_date(last_activity) if passed and last_activity is not None else None,
            "last_activity_date": iso_date(last_activity) if last_activity is not None else None,
            "progress_status": "Passed" if passed else ("Failed" if ended and last_activity else "In Progress"),
            "course_progress": progress,
            "course_passing_grade": passing,
            "current_grade": grade,
            "letter_grade": "Pass" if passed else ("Fail" if ended and last_activity else None),
            "user_email": email,
            "user_username": str(user["mail"]).split("@")[0].replace(".", "_"),
            "user_first_name": first,
            "user_last_name": last,
            "user_country_code": COUNTRIES[(h >> 44) % len(COUNTRIES)],
            "user_account_creation_date": iso_datetime(self.anchor - 2 * YEAR + (h >> 20) % YEAR, (h >> 4) % 1_000_000),
            "enterprise_user_id": 140_000 + u,
            "enterprise_sso_uid": f"acme-{u:06d}" if (h >> 50) & 3 else None,
            "enterprise_name": ENTERPRISE_NAME,
            "enterprise_customer_uuid": self.enterprise_uuid,
            "course_product_line": "OCM",
            "budget_id": None,
            "enterprise_flex_group_name": None,
            "enterprise_flex_group_uuid": None,
            "total_learning_time_hours": round(progress * c.weeks * c.max_effort + ((h2 >> 48) % 100) / 100, 2),
            "created": iso_datetime(self.anchor + 6 * 3600 + 15 * 60 + r % 3600),
            "course_api_url": f"/enterprise/v1/enterprise-catalogs/{self.enterprise_uuid}/courses/{run_key}",
        }
        if not consent:
            for name in (
                "last_activity_date",
                "progress_status",
                "passed_date",
                "current_grade",
                "letter_grade",
                "enterprise_user_id",
                "user_email",
                "user_account_creation_date",
                "user_country_code",
                "user_username",
                "user_first_name",
                "user_last_name",
            ):
                row[name] = None
        return row


def _contains(sorted_values: list[int], value: int) -> bool:
    i = bisect.bisect_left(sorted_values, value)
    return i < len(sorted_values) and sorted_values[i] == value


def _nth_kept(n: int, removed: list[int]) -> int:
    """The ``n``-th (0-based) non-negative integer not in the sorted list ``removed``."""
    x = n
    while True:
        below = bisect.bisect_right(removed, x)
        if x - below == n and not _contains(removed, x):
            return x
        x = n + below
