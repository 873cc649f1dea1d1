"""Skills of courses: set by hand in 360Learning, which no API operation reads or writes.

The control interface stands for that screen (``GET|PUT /_emulator/courses/{courseId}/skills``, body
``{"skillIds": [...]}``, skills by ``_id`` or external id), so a test can prove that API writes to a
course, such as a bulk upsert of external courses, leave its skills alone. Kept in
``state.relation("course_skills")``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from airflow_provider_360learning.emulator.state import EmulatorState


def course_skills(state: EmulatorState, course_id: str) -> list[str]:
    """Ids of the skills set on a course."""
    return list(state.relation("course_skills").get(course_id.lower(), ()))


def course_skill_routes(state: EmulatorState) -> list[BaseRoute]:
    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": "notFound" if status == 404 else "badRequest", "message": message}}, status
        )

    async def skills(request: Request) -> Response:
        course_id = request.path_params["courseId"].lower()
        if state.get_row("courses", course_id) is None:
            return error(404, f"no course with id {course_id}")
        if request.method == "PUT":
            try:
                keys = json.loads(await request.body())["skillIds"]
            except (ValueError, KeyError, TypeError):
                return error(400, 'body must be {"skillIds": [...]}')
            known = {key: row["_id"] for row in state.rows("skills") for key in (row["_id"], row.get("externalId"))}
            if not isinstance(keys, list) or any(k not in known for k in keys):
                return error(
                    400, f"unknown skill(s): {[k for k in keys if k not in known] if isinstance(keys, list) else keys}"
                )
            with state.lock:
                state.relation("course_skills")[course_id] = list(dict.fromkeys(known[k] for k in keys))
        return JSONResponse({"courseId": course_id, "skillIds": course_skills(state, course_id)})

    return [Route("/courses/{courseId}/skills", skills, methods=["GET", "PUT"])]
