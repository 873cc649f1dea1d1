"""Integrations with external content platforms, and the external courses each one imported.

The seeded integrations own the generated ``external`` courses of their platform; an external course's
id in its platform is ``<platform code>-<course index>``; bulk imports add others (:func:`store_external_course`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import Resource, create_row, crud, get_row, update_row
from airflow_provider_360learning.emulator.handlers.external_ids import RESERVED_PLATFORMS
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import EXTERNAL_PLATFORMS

INTEGRATIONS = crud(
    Resource(
        "integrations",
        "integrationId",
        "integrationNotFound",
        "integration",
        unique=((("externalPlatform", "groupId"), ("duplicateExternalPlatform",)),),  # spec: "for this group"
    ),
    list="get_integrations",
    delete="delete_integration",
)
PLATFORM_CODES = ("LIL", "COURSERA", "UDEMY")
_EXTERNAL_ID = re.compile(r"^([A-Z]+)-(\d+)$")


def _check_platform(ctx: RequestContext) -> None:
    platform = ctx.fields.get("externalPlatform")
    if isinstance(platform, str) and platform.lower() in RESERVED_PLATFORMS:
        raise fail(ctx, "reservedPlatformName", f"The platform name {platform!r} is reserved.")


@handler("create_integration")
def create_integration(ctx: RequestContext) -> Reply:
    _check_platform(ctx)
    return ok(ctx, create_row(ctx, INTEGRATIONS))


@handler("edit_integration")
def edit_integration(ctx: RequestContext) -> Reply:
    row = get_row(ctx, INTEGRATIONS)
    _check_platform(ctx)
    return ok(ctx, update_row(ctx, INTEGRATIONS, row, ctx.fields))


def external_id(course_index: int, platform: int) -> str:
    return f"{PLATFORM_CODES[platform]}-{course_index}"


IMPORTED = "external_courses"
"""``state.relation(IMPORTED)[integrationId][externalId]``: the external course as imported, compact JSON bytes."""


def store_external_course(state: EmulatorState, integration_id: str, answer: Mapping[str, Any]) -> None:
    """Keep what the bulk import of an external course gave (answered by ``get_external_course``)."""
    data = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()
    with state.lock:
        state.relation(IMPORTED).setdefault(integration_id, {})[answer["externalId"]] = data


def seeded_course(state: EmulatorState, integration: Row, external_id: str) -> Row | None:
    """The generated course behind a seeded integration's external id (``LIL-<index>``...), if any."""
    platform = state.collection("integrations").index_of(integration["_id"])
    match = _EXTERNAL_ID.match(external_id)
    platform = -1 if platform is None or platform >= len(EXTERNAL_PLATFORMS) else platform
    if not (match and platform >= 0 and match[1] == PLATFORM_CODES[platform]):
        return None
    index = int(match[2])
    courses = state.tenant.courses
    course = state.get_row("courses", courses.object_id(index)) if index < len(courses) else None
    return course if course is not None and course.get("externalPlatform") == EXTERNAL_PLATFORMS[platform] else None


def external_course(state: EmulatorState, integration: Row, external_id: str) -> Row | None:
    """The external course of an integration by its external id: imported through the bulk API, or seeded."""
    raw = state.relation(IMPORTED).get(integration["_id"], {}).get(external_id)
    if raw is not None:
        answer: Row = json.loads(raw)
        return answer if state.get_row("courses", answer["courseId"]) is not None else None
    course = seeded_course(state, integration, external_id)
    if course is None:
        return None
    platform = EXTERNAL_PLATFORMS[PLATFORM_CODES.index(external_id.split("-", 1)[0])]
    return {
        "externalId": external_id,
        "courseId": course["_id"],
        "name": course["name"],
        "defaultLang": course["defaultLang"],
        "authorId": course["authorId"],
        "translations": [],
        "launchUrl": f"https://content.example.com/{external_id}",
        "sources": [{"name": platform}],
        "subjects": [course["name"].split(" ")[0]],
        "description": course.get("description") or course["name"],
        "duration": max(1, min(100_000, int(course.get("duration", 1)))),
    }


@handler("get_external_course")
def get_external_course(ctx: RequestContext) -> Reply:
    integration = get_row(ctx, INTEGRATIONS)
    answer = external_course(ctx.state, integration, ctx.path_params["externalId"])
    if answer is None:
        raise fail(
            ctx,
            "courseNotBelongToIntegration",
            f"The external course {ctx.path_params['externalId']} does "
            f"not belong to the integration {integration['_id']}.",
        )
    return ok(ctx, answer)
