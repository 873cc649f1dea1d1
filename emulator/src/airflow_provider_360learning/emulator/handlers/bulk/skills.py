"""Bulk writes to the skills framework: skills, libraries, jobs, their links, users' jobs and skill reviews.

Skills are rows of ``skills`` (read with ``get_skills``), reviews change ``powers`` (``get_powers``); the
API reads nothing else of the framework, so libraries, jobs, job skills and users' target and previous
jobs live in side tables (``state.relation("skill_libraries" | "skill_jobs" | "job_skills" |
"user_jobs_by_status")``); users' current jobs share ``relation("user_jobs")`` with ``replace_user_jobs``.
Skills and jobs are named by external id; a skill may also be named by its ``_id``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import load_document
from airflow_provider_360learning.emulator.handlers.bulk.operations import ObjectError, Row, Run, api_date, bulk
from airflow_provider_360learning.emulator.handlers.skills import MAX_JOBS, job_exists


@cache
def _core_langs() -> frozenset[str]:
    schema = load_document("core").contents["components"]["schemas"]["SkillTranslationDTO"]
    return frozenset(schema["properties"]["lang"]["enum"])


def skill(run: Run, key: str) -> Row | None:
    """A skill by ``_id`` or external id."""
    return next((s for s in run.state.rows("skills") if key in (s["_id"], s.get("externalId"))), None)


def _require_skill(run: Run, key: str) -> Row:
    found = skill(run, key)
    if found is None:
        raise ObjectError(f"No skill has the id or external id {key}.")
    return found


def _local_id(prefix: str, key: str) -> str:
    return prefix + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


@bulk("upsert_skills", "upsertSkills")
def upsert_skill(run: Run, item: Row) -> str:
    state = run.state
    libraries = state.relation("skill_libraries")
    parents = []
    for key in item["parentExternalIds"]:
        parent = skill(run, key)
        if parent is None and key not in libraries:
            raise ObjectError(f"No skill or library has the external id {key}.")
        parents.append({"_id": parent["_id"] if parent else libraries[key]["_id"], "externalId": key})
    fields: dict[str, Any] = {
        "name": item["name"],
        "parents": parents,
        "updatedAt": run.now,
        "description": item.get("description"),
        "libraryId": item.get("libraryId"),
        "translations": [t for t in item.get("translations", []) if t["lang"] in _core_langs()],
    }
    current = skill(run, item["externalId"])
    if current is not None:
        return str(state.patch_row("skills", current["_id"], fields)["_id"])
    row = {k: v for k, v in fields.items() if v is not None}
    created = state.add_row(
        "skills", {**row, "externalId": item["externalId"], "status": "published", "createdAt": run.now}, fill=False
    )
    return str(created["_id"])


@bulk("delete_skills", "deleteSkills")
def delete_skill(run: Run, item: Row) -> str:
    found = _require_skill(run, item["externalId"])
    run.state.delete_row("skills", found["_id"])
    return str(found["_id"])


@bulk("upsert_libraries", "upsertLibraries")
def upsert_library(run: Run, item: Row) -> str:
    libraries = run.state.relation("skill_libraries")
    current = libraries.get(item["externalId"], {"_id": _local_id("LIB", item["externalId"]), "createdAt": run.now})
    libraries[item["externalId"]] = {
        **current,
        **item,
        "status": item.get("status", current.get("status", "draft")),
        "updatedAt": run.now,
    }
    return str(current["_id"])


@bulk("delete_libraries", "deleteLibraries")
def delete_library(run: Run, item: Row) -> str:
    library = run.state.relation("skill_libraries").pop(item["externalId"], None)
    if library is None:
        raise ObjectError(f"No library has the external id {item['externalId']}.")
    return str(library["_id"])


def _require_job(run: Run, external_id: str) -> None:
    if not job_exists(run.state, external_id):
        raise ObjectError(f"No job has the external id {external_id}.")


@bulk("upsert_jobs", "upsertJobs")
def upsert_job(run: Run, item: Row) -> str:
    if "parentExternalId" in item:
        _require_job(run, item["parentExternalId"])
    run.state.relation("skill_jobs")[item["externalId"]] = {**item, "updatedAt": run.now}
    return str(item["externalId"])


@bulk("delete_jobs", "deleteJobs")
def delete_job(run: Run, item: Row) -> str:
    _require_job(run, item["externalId"])
    run.state.relation("skill_jobs")[item["externalId"]] = None
    return str(item["externalId"])


@bulk("replace_jobs_skills", "replaceJobsSkills")
def replace_job_skill(run: Run, item: Row) -> str:
    """The skills of each job named in the operation become the ones the operation lists for it."""
    _require_job(run, item["jobId"])
    found = _require_skill(run, item["skillId"])
    replaced: set[str] = run.cache.setdefault("jobs", set())
    job_skills = run.state.relation("job_skills")
    if item["jobId"] not in replaced:
        replaced.add(item["jobId"])
        job_skills[item["jobId"]] = []
    job_skills[item["jobId"]].append({"skillId": found["_id"], "qualifiers": item.get("qualifiers", [])})
    return str(item["jobId"])


@bulk("replace_users_jobs", "replaceUsersJobs")
def replace_user_jobs(run: Run, item: Row) -> str:
    """Each list given replaces the user's jobs of that status (an absent one keeps them; ``[]`` clears them)."""
    state = run.state
    user = state.get_row("users", item["userId"])
    if user is None or user["status"] == "deleted":
        raise ObjectError(f"The userId {item['userId']} does not correspond to any existing user.")
    lists = {
        status: list(dict.fromkeys(item[f"{status}JobIds"]))
        for status in ("current", "target", "previous")
        if f"{status}JobIds" in item
    }
    for status, jobs in lists.items():
        if len(jobs) > MAX_JOBS:
            raise ObjectError(f"A user has at most {MAX_JOBS} {status} jobs.")
        for job in jobs:
            _require_job(run, job)
    for status, jobs in lists.items():
        if status == "current":
            state.relation("user_jobs")[user["_id"]] = jobs
        else:
            state.relation("user_jobs_by_status").setdefault(user["_id"], {})[status] = jobs
    return str(user["_id"])


@bulk("add_skill_reviews", "addSkillReviews")
def add_skill_review(run: Run, item: Row) -> str:
    """``skillAdded`` gives the user the skill to assess, an assessment validates it, ``skillDeleted`` removes it."""
    state = run.state
    for name in ("userId", "assessorId"):
        user = state.get_row("users", item[name])
        if user is None or user["status"] == "deleted":
            raise ObjectError(f"The {name} {item[name]} does not correspond to any existing user.")
    found = _require_skill(run, item["skillId"])
    user_id = item["userId"].lower()
    power = next((p for p in state.rows("powers") if p["userId"] == user_id and p["skillId"] == found["_id"]), None)
    if item["actionType"] == "skillDeleted":
        if power is None:
            raise ObjectError(f"The user {user_id} has no skill {item['skillId']}.")
        state.delete_row("powers", power["_id"])
        return str(power["_id"])
    status = "toAssess" if item["actionType"] == "skillAdded" else "validated"
    when = api_date(item["createdAt"]) if "createdAt" in item else run.now
    if power is not None:
        if status == "validated" or power["status"] == "toAssess":
            state.patch_row("powers", power["_id"], {"status": status, "updatedAt": when})
        return str(power["_id"])
    created = state.add_row(
        "powers",
        {
            "skillId": found["_id"],
            "userId": user_id,
            "status": status,
            "qualifiers": [],
            "createdAt": when,
            "updatedAt": when,
            **({"skillExternalId": found["externalId"]} if "externalId" in found else {}),
        },
        fill=False,
    )
    return str(created["_id"])
