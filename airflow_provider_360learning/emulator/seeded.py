"""Small seeded collections of the emulated platform: tags, custom fields, classrooms, integrations...

These families are a handful of rows on a real platform whatever its size, so their count does not
grow with ``--scale``; rows are still computed on demand from the index, like the big collections,
and every one refers only to objects that exist (users, groups, the onboarding session...).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.tenant import DAY, JOBS, YEAR, Collection, iso

(CUSTOM_FIELDS, CUSTOM_LINKS, EXTERNAL_IDS, INTEGRATIONS, CERTIFICATE_OUTLINES, CLASSROOMS, CLASSROOM_SLOTS,
 SLOT_REGISTRATIONS, ATTENDANCE_SHEETS, USER_CERTIFICATES, USER_CUSTOM_LINKS, SKILLS, POWERS, PROJECTS,
 LEARNING_NEEDS, WEBHOOK_SUBSCRIPTIONS) = range(12, 28)  # fmt: skip

TAG_NAMES = ("Onboarding", "Sales", "Security", "Leadership", "Compliance", "Product", "Soft skills", "Management",
             "Customer care", "Data", "Engineering", "Marketing", "Finance", "HR", "Wellbeing", "Languages",
             "Diversity", "Coursera picks", "LinkedIn picks", "Udemy picks")  # fmt: skip
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
        row: dict[str, Any] = {"_id": self.object_id(i), "name": TAG_NAMES[i % 20] if i < 20 else f"Tag {i}",
                               "isMain": i < 4, "source": "integration" if 17 <= i < 20 else "native"}  # fmt: skip
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
        return {"_id": self.object_id(i), "platform": "hris", "targetType": "user",
                "targetId": self.tenant.users.object_id(i), "value": f"EMP-{i:05d}"}  # fmt: skip


class Integrations(Seeded):
    name, code, schema = "integrations", INTEGRATIONS, "IntegrationDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        platform = EDX_PLATFORM if i == len(EXTERNAL_PLATFORMS) else EXTERNAL_PLATFORMS[i % 3]
        return {"_id": self.object_id(i), "externalPlatform": platform, "authorId": t.users.object_id(0),
                "groupId": t.groups.object_id(0), "defaultCompletion": True, "defaultProgress": 0,
                "noGroupPropagation": False}  # fmt: skip


class CertificateOutlines(Seeded):
    """Outlines; the first one is the certificate of the onboarding path (``certificateId`` of path 0)."""

    name, code, schema = "certificate_outlines", CERTIFICATE_OUTLINES, "CertificateOutlineResponseDTO"
    hidden = frozenset({"bodyHtml", "subtitle", "validityPeriod", "validityPeriodWording", "referenceNumberWording",
                        "authenticityVerificationUrlWording", "backgroundImageId", "logoImageId"})  # fmt: skip

    def object_id(self, i: int) -> str:
        return self.tenant.certificate_id(0) if i == 0 else super().object_id(i)

    def index_of(self, oid: str) -> int | None:
        return 0 if oid.lower() == self.tenant.certificate_id(0) else super().index_of(oid)

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "title": "Onboarding certificate", "groupId": self.tenant.groups.object_id(0),
                "createdAt": self.created, "bodyHtml": "<p>{{learnerName}} completed {{pathName}}.</p>"}  # fmt: skip


class Classrooms(Seeded):
    name, code, schema = "classrooms", CLASSROOMS, "ClassroomDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "groupId": self.tenant.groups.object_id(1 + i % 3),
                "name": CLASSROOM_NAMES[i % 3], "mediaIds": [], "trainingObjective": "Practise with peers.",
                "createdAt": self.created, "modifiedAt": self.created}  # fmt: skip


class ClassroomSlots(Seeded):
    """Two slots per classroom, in the onboarding session, a year or more after the data anchor."""

    name, code, schema = "classroom_slots", CLASSROOM_SLOTS, "ClassroomSlotDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        start = t.anchor_ts + 2 * YEAR + (7 * i) * DAY + 9 * 3600
        return {"_id": self.object_id(i), "classroomId": t.collections["classrooms"].object_id(i // 2 % 3),
                "name": f"{CLASSROOM_NAMES[i // 2 % 3]} - slot {i % 2 + 1}", "startDate": iso(start),
                "endDate": iso(start + 3 * 3600), "reportedDuration": 180, "selfRegistration": {"enabled": False},
                "virtual": bool(i % 2), "maxCapacity": 2, "location": f"Room {101 + i}",
                "trainerIds": [t.users.object_id(1)], "mediaIds": [], "timezone": "Europe/Paris",
                "context": {"_id": t.session_ids[0], "type": "path"}, "createdAt": self.created,
                "modifiedAt": self.created}  # fmt: skip


class SlotRegistrations(Seeded):
    """Two learners registered in the first slot, which fills it (its waitlist can be joined)."""

    name, code, schema = "slot_registrations", SLOT_REGISTRATIONS, "SlotRegistrationWithClassroomSlotIdDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {"_id": self.object_id(i), "classroomSlotId": t.collections["classroom_slots"].object_id(0),
                "userId": t.users.object_id(2 + i), "status": "published", "pathId": t.path_ids[0],
                "createdAt": self.created, "modifiedAt": self.created}  # fmt: skip


class AttendanceSheets(Seeded):
    name, code, schema = "attendance_sheets", ATTENDANCE_SHEETS, "OpenedAttendanceSheetDTO"
    hidden = frozenset({"classroomSlotId"})

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "classroomSlotId": self.tenant.collections["classroom_slots"].object_id(0),
                "name": f"Attendance {i + 1}", "status": "open", "checkInCode": f"{(self.h(i) % 900_000) + 100_000}"}  # fmt: skip


class UserCertificates(Seeded):
    """External certificates uploaded for users (path certificates derive from path statistics)."""

    name, code, schema = "user_certificates", USER_CERTIFICATES, "OutputUserExternalCertificateDTO"
    hidden = frozenset({"userId", "isPublic"})

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "userId": self.tenant.users.object_id(i), "type": "external",
                "title": "First aid", "deliveryDate": self.created, "isPublic": False}  # fmt: skip


class UserCustomLinks(Seeded):
    name, code, schema = "user_custom_links", USER_CUSTOM_LINKS, "UserCustomLinkDTO"
    hidden = frozenset({"userId"})

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {"_id": self.object_id(i), "userId": t.users.object_id(i), "customLinkId": t.collections["custom_links"].object_id(0),
                "url": f"https://agenda.example.com/{i}"}  # fmt: skip


class Skills(Seeded):
    name, code, schema = "skills", SKILLS, "SkillDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "name": SKILL_NAMES[i % len(SKILL_NAMES)], "parents": [],
                "status": "published", "translations": [], "externalId": f"skill-{i}", "createdAt": self.created,
                "updatedAt": self.created}  # fmt: skip


class Powers(Seeded):
    """One assessed skill for each of the first users."""

    name, code, schema = "powers", POWERS, "PowerDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        skills = t.collections["skills"]
        skill = i % len(skills)
        return {"_id": self.object_id(i), "skillId": skills.object_id(skill), "skillExternalId": f"skill-{skill}",
                "userId": t.users.object_id(i), "status": ("toAssess", "pendingValidation", "validated")[i % 3],
                "qualifiers": [], "createdAt": self.created, "updatedAt": self.created}  # fmt: skip


class Projects(Seeded):
    name, code, schema = "projects", PROJECTS, "ProjectDTO"

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "name": f"{SKILL_NAMES[i % 6]} academy", "completed": i == 0,
                "groupId": self.tenant.groups.object_id(1 + i % 9)}  # fmt: skip


class LearningNeeds(Seeded):
    name, code, schema = "learning_needs", LEARNING_NEEDS, "LearningNeedDTO"

    def item(self, i: int) -> dict[str, Any]:
        t = self.tenant
        return {"_id": self.object_id(i), "groupId": t.groups.object_id(1 + i % 9), "name": f"Learn {SKILL_NAMES[i % 6]}",
                "status": ("new", "exploring", "projectOngoing")[i % 3], "createdAt": self.created,
                "authorId": t.users.object_id(i), "questions": [{"title": "Why now?", "answer": "A new team starts."}],
                "suggestedExpertIds": [t.users.object_id(1)], "volunteerIds": []}  # fmt: skip


class WebhookSubscriptions(Seeded):
    """Webhook subscriptions (webhook document): one, inactive, so no write records an event until a test
    subscribes (or activates it)."""

    name, code, schema, document = "webhook_subscriptions", WEBHOOK_SUBSCRIPTIONS, "SubscriptionDTO", "webhook"

    def item(self, i: int) -> dict[str, Any]:
        return {"_id": self.object_id(i), "eventType": "user.created", "name": "HRIS sync" if i == 0 else f"HRIS sync {i}",
                "url": f"https://hooks.example.com/hris/{i}", "status": "inactive"}  # fmt: skip


SEEDED: tuple[tuple[type[Seeded], int], ...] = (
    (Tags, 20), (CustomFields, 3), (CustomLinks, 2), (ExternalIds, 3), (Integrations, 4), (CertificateOutlines, 1),
    (Classrooms, 3), (ClassroomSlots, 6), (SlotRegistrations, 2), (AttendanceSheets, 1), (UserCertificates, 1),
    (UserCustomLinks, 1), (Skills, 6), (Powers, 20), (Projects, 3), (LearningNeeds, 3), (WebhookSubscriptions, 1),
)  # fmt: skip
"""Each small collection and its seeded row count (independent of ``--scale``)."""
