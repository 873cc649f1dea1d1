"""What a catalog sync run sends: the courses to upsert (new or changed) and the ones to archive (gone).

Today's edX catalogs are compared with the sync state (``edx.sync_state``) by external id and by the hash
of the mapped course. A course in two selected catalogs counts once: the first *valid* copy wins, so a
malformed first copy (rejected with its key and the reason) does not hide a valid one further on. A key
whose every copy is malformed still counts as *in the catalog* (it is offered, only malformed today), so a
course already synced is neither changed nor archived because of it.

A safety limit refuses a plan that would archive more than ``max_archive_percent`` of the synced courses
(at least :data:`ARCHIVE_FLOOR` are always allowed): an edX answer that is empty or cut short by mistake
must not empty the 360Learning catalog.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.edx.courses import course_key, external_course
from airflow_provider_360learning.edx.records import InvalidRecord, Rejected, content_hash
from airflow_provider_360learning.edx.sync_state import Synced, needs_sending

ARCHIVE_FLOOR = 10


@dataclass
class CatalogPlan:
    """The run's plan and the figures of its report."""

    records: int = 0
    courses: int = 0
    duplicates: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    upserts: list[dict[str, Any]] = field(default_factory=list)
    archives: list[dict[str, str]] = field(default_factory=list)
    synced_active: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "courses": self.courses,
            "in_several_catalogs": self.duplicates,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "upserts": len(self.upserts),
            "archives": len(self.archives),
            "synced_before": self.synced_active,
        }

    def archive_verdict(self, max_archive_percent: float) -> str | None:
        """Why the plan archives too much, or ``None``."""
        allowed = max(ARCHIVE_FLOOR, math.floor(self.synced_active * max_archive_percent / 100))
        if len(self.archives) <= allowed:
            return None
        first = ", ".join(a["externalId"] for a in self.archives[:10])
        return (
            f"Refusing to archive {len(self.archives)} of {self.synced_active} synced courses (limit "
            f"{max_archive_percent:g}%, at least {ARCHIVE_FLOOR}): they are missing from today's edX catalogs "
            f"(first: {first}). If edX really removed them, run again with allow_mass_archive"
        )


def plan_catalog(
    records: Iterable[tuple[str, Any]],
    synced: dict[str, Synced],
    *,
    default_lang: str = "en",
    full_resync: bool = False,
) -> CatalogPlan:
    """``records``: ``(catalog title, raw course)`` of every selected catalog; ``synced``: the sync state."""
    plan = CatalogPlan(synced_active=sum(1 for s in synced.values() if s.status == "active"))
    mapped: set[str] = set()
    offered: set[str] = set()  # mapped, or only malformed today: not archived
    for catalog, record in records:
        plan.records += 1
        key = course_key(record)
        if key is not None and key in offered:
            plan.duplicates += 1
        if key is not None and key in mapped:
            continue
        try:
            item = external_course(record, default_lang=default_lang)
        except InvalidRecord as exc:
            plan.rejected.append(Rejected(key or _identify(record, plan.records), f"catalog {catalog!r}", str(exc)))
            if key is not None:
                offered.add(key)
            continue
        key = item["externalId"]
        mapped.add(key)
        offered.add(key)
        plan.courses += 1
        if needs_sending(key, content_hash(item), synced, full_resync=full_resync):
            plan.upserts.append(item)
            previous = synced.get(key)
            if previous is None or previous.status != "active":
                plan.new += 1
            else:
                plan.changed += 1
        else:
            plan.unchanged += 1
    plan.archives = [{"externalId": k} for k, s in sorted(synced.items()) if s.status == "active" and k not in offered]
    return plan


def _identify(record: Any, number: int) -> str:
    """How a report names a record without a key: its uuid, else its title, else its position in the run."""
    if isinstance(record, dict):
        for field_name in ("uuid", "title"):
            if isinstance(record.get(field_name), str) and record[field_name].strip():
                return f"{field_name} {record[field_name].strip()!r}"
    return f"record {number} of the run"
