"""Operator extra links: buttons in a task's Airflow UI to the 360Learning pages of the objects the task touched.

A link exists where the object's id is known: from the task's rendered parameters (``userId``, ``groupId``,
``courseId``, ``pathId``, ``sessionId``) or, for an action that creates or reads one object, from the ``_id`` of
its result (``create_group`` links to the new group). As in Airflow 3, the worker computes each link when the task
ends and stores it in XCom under the link's key; the UI reads it from there. A link with no id is empty (the
button is greyed out).

The page addresses are on the web app's origin, which is the API's: the connection's Base URL, else its
region's host (``https://app.360learning.com``, ``https://app.us.360learning.com``). 360Learning publishes no
reference of its web app's URLs: :data:`WEB_PAGES` holds our best guess, in one place. A link carries ids only,
never a token or a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

    from airflow_provider_360learning.actions import Action

WEB_PAGES: dict[str, str] = {
    "user": "/home/users/{userId}",
    "group": "/group/{groupId}",
    "course": "/course/{courseId}",
    "path": "/path/{pathId}",
    "path_session": "/path/{pathId}/session/{sessionId}",
}
"""The web app's page of each kind of object, by the API's parameter names (a best guess: see the module doc)."""

ID_PARAMETERS = ("userId", "groupId", "courseId", "pathId", "sessionId")
"""The parameters that name an object a link can point at."""

RESULT_COLLECTIONS: dict[str, str] = {
    "users": "userId",
    "groups": "groupId",
    "courses": "courseId",
    "paths": "pathId",
    "sessions": "sessionId",
}
"""The collection an action's request path ends with -> the parameter its result's ``_id`` stands for
(``POST /api/v2/groups`` answers the new group, ``POST /api/v2/paths/{pathId}/sessions`` the new session)."""

_PLACEHOLDER = re.compile(r"^\{\w+\}$")


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "{{" not in value


def result_id_parameter(action: Action) -> str | None:
    """The parameter that the ``_id`` of ``action``'s single-object result stands for, if it names one."""
    segments = [s for s in action.path.split("/") if s]
    if "api" in segments[:1]:
        segments = segments[2:]  # /api/v2
    trailing: list[str] = []
    for segment in reversed(segments):
        if _PLACEHOLDER.match(segment):
            break
        trailing.insert(0, segment)
    if not trailing:
        return None  # /users/{userId}: the id is a parameter already
    parameter = RESULT_COLLECTIONS.get(trailing[0])
    if parameter == "sessionId" and segments[: len(segments) - len(trailing)][-2:-1] != ["paths"]:
        return None  # only path sessions have a page
    return parameter


def object_ids(action: Action | None, parameters: Any, result: Any = None) -> dict[str, str]:
    """The ids of the objects a run of ``action`` touched: its parameters', then its result's ``_id``."""
    ids: dict[str, str] = {}
    if isinstance(parameters, Mapping):
        ids.update({name: parameters[name] for name in ID_PARAMETERS if _is_id(parameters.get(name))})
    if action is not None and isinstance(result, Mapping) and _is_id(result.get("_id")):
        parameter = result_id_parameter(action)
        if parameter is not None:
            ids.setdefault(parameter, result["_id"])
    return ids


def web_page(base_url: str, kind: str, ids: Mapping[str, str]) -> str:
    """The page of ``kind`` for ``ids`` on ``base_url``; ``""`` when an id it needs is unknown."""
    template = WEB_PAGES[kind]
    needed = re.findall(r"\{(\w+)\}", template)
    if not all(_is_id(ids.get(name)) for name in needed):
        return ""
    return base_url.rstrip("/") + template.format(**{name: quote(ids[name], safe="") for name in needed})


class ThreeSixtyLearningObjectLink(BaseOperatorLink):
    """A link to the page of one kind of 360Learning object (see :data:`WEB_PAGES`) that a task touched.

    Reads the operator's ``link_ids()`` (the ids it knows once rendered and run) and its hook's base URL.
    """

    kind: ClassVar[str]
    name: ClassVar[str]  # a class constant, as Airflow's own links define it

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        link_ids = getattr(operator, "link_ids", None)
        if link_ids is None:
            return ""
        ids = link_ids()
        if not ids or not all(_is_id(ids.get(n)) for n in re.findall(r"\{(\w+)\}", WEB_PAGES[self.kind])):
            return ""  # no need to resolve the connection
        try:
            base_url = getattr(operator, "hook").settings.base_url  # noqa: B009  # the operator's hook, untyped here
        except Exception:  # a link is best effort: no connection, no link (the task's own error says why)
            return ""
        return web_page(base_url, self.kind, ids)


class ThreeSixtyLearningUserLink(ThreeSixtyLearningObjectLink):
    """The 360Learning page of the user the task touched."""

    kind = "user"
    name = "360Learning user"


class ThreeSixtyLearningGroupLink(ThreeSixtyLearningObjectLink):
    """The 360Learning page of the group the task touched."""

    kind = "group"
    name = "360Learning group"


class ThreeSixtyLearningCourseLink(ThreeSixtyLearningObjectLink):
    """The 360Learning page of the course the task touched."""

    kind = "course"
    name = "360Learning course"


class ThreeSixtyLearningPathLink(ThreeSixtyLearningObjectLink):
    """The 360Learning page of the path the task touched."""

    kind = "path"
    name = "360Learning path"


class ThreeSixtyLearningPathSessionLink(ThreeSixtyLearningObjectLink):
    """The 360Learning page of the path session the task touched."""

    kind = "path_session"
    name = "360Learning path session"


OBJECT_LINKS: tuple[type[ThreeSixtyLearningObjectLink], ...] = (
    ThreeSixtyLearningUserLink,
    ThreeSixtyLearningGroupLink,
    ThreeSixtyLearningCourseLink,
    ThreeSixtyLearningPathLink,
    ThreeSixtyLearningPathSessionLink,
)
"""Every link class, in button order (registered under ``extra-links`` in the provider info)."""
