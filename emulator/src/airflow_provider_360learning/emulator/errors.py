"""Error answers of the emulator, shaped as the official documents describe them.

Documented errors take their body shape and code from the operation's response schema
(``{"error": {"code", "message"}}`` or ``{"error": "<code>"}``); a handler that asks for a code the
operation does not document fails loudly in tests instead of drifting from the contract.
Errors the documents do not describe (bad query parameter, bad API version, unknown route,
unimplemented action) use the ``{"error": {"code", "message"}}`` shape with codes listed in
:data:`UNDOCUMENTED_CODES`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.registry import deref

UNDOCUMENTED_CODES = {
    "invalidQueryParameter": 400,
    "badRequest": 400,
    "invalidApiVersion": 400,
    "notFound": 404,
    "methodNotAllowed": 405,
    "notImplemented": 501,
}
"""Codes the emulator answers with where the documents are silent (see the module docstring)."""


class ApiError(Exception):
    """An error response: status, JSON body and extra headers."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def coded(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _variants(doc: Mapping[str, Any], schema: Any) -> Iterator[Mapping[str, Any]]:
    schema = deref(doc, schema)
    if isinstance(schema, Mapping):
        if "oneOf" in schema or "anyOf" in schema:
            for sub in schema.get("oneOf", schema.get("anyOf", [])):
                yield from _variants(doc, sub)
        else:
            yield schema


@cache
def documented_errors(action_name: str, status: str) -> dict[str, str]:
    """``{code: shape}`` documented for one status of an action; shape is ``"object"`` or ``"string"``."""
    action = ACTIONS[action_name]
    spec = action.responses.get(status)
    if spec is None or spec.schema_pointer is None:
        return {}
    doc = action.document.contents
    node: Any = doc
    for part in spec.schema_pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    out: dict[str, str] = {}
    for variant in _variants(doc, node):
        error = deref(doc, variant.get("properties", {}).get("error", {}))
        if error.get("type") == "string":
            for code in error.get("enum", ()):
                out[code] = "string"
        elif error.get("type") == "object":
            code_schema = deref(doc, error.get("properties", {}).get("code", {}))
            for code in code_schema.get("enum", ()):
                out[code] = "object"
    return out


def documented(action: Action, status: int, code: str, message: str = "", **headers: str) -> ApiError:
    """An error the action documents; raises ``LookupError`` if it does not (a bug in the emulator)."""
    shapes = documented_errors(action.name, str(status))
    if code not in shapes:
        raise LookupError(f"{action.describe()} documents no {status} error {code!r} (documented: {sorted(shapes)})")
    body: dict[str, Any] = {"error": code} if shapes[code] == "string" else coded(code, message or code)
    return ApiError(status, body, headers)


def undocumented(code: str, message: str, **headers: str) -> ApiError:
    return ApiError(UNDOCUMENTED_CODES[code], coded(code, message), headers)


def plain(status: int, code: str, **headers: str) -> ApiError:
    """``{"error": "<code>"}`` errors (OAuth style) for answers given before an action is known."""
    return ApiError(status, {"error": code}, headers)


NO_SUCCESS_DOCUMENTED = frozenset({"create_custom_user_link", "update_custom_user_link", "delete_custom_link"})
"""Operations whose documents give no success response: the emulator answers 201 (POST), 204 (DELETE) or 200."""
AMBIGUOUS_DATE_LISTS = frozenset({"list_custom_field_authorized_values", "replace_custom_field_authorized_values"})
"""Their success schema is ``oneOf`` [list of dates, list of strings]: an empty list or a list of dates matches
both, so no valid answer exists for a field without authorized values or with date values."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def answer_outside_documents(action: str | None, status: int, body: bytes) -> bool:
    """A success answer the documents cannot describe (see the two sets above); contract checks skip it."""
    if not 200 <= status < 300:
        return False
    if action in NO_SUCCESS_DOCUMENTED:
        return True
    if action in AMBIGUOUS_DATE_LISTS:
        try:
            values = json.loads(body)
        except ValueError:
            return False
        return isinstance(values, list) and all(isinstance(v, str) and _DATE.match(v) for v in values)
    return False
