"""Request bodies: decoded per content type (JSON or ``multipart/form-data``) and checked against the action's schema.

A body that breaks the schema gets 400 ``badRequest`` naming the field (the documents list no code for
it). Multipart text parts are coerced to the property's type (objects and arrays may come as JSON
parts, arrays also as repeated parts), file parts become :class:`Upload` values, which are the only
values the ``binary`` format accepts. ``nullable`` (an OpenAPI 3.0 keyword the documents use) is
honoured, since PATCH bodies remove optional fields with ``null``.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import best_match

from airflow_provider_360learning.actions import Action
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.actions.schemas import OpenApiValidator, registry, undeclared_properties
from airflow_provider_360learning.emulator.errors import undocumented
from airflow_provider_360learning.emulator.routing import parse_datetime

JSON = "application/json"
MULTIPART = "multipart/form-data"


class Upload(str):
    """A file part of a multipart body: its text is the file name, ``data`` its bytes."""

    data: bytes = b""
    content_type: str = "application/octet-stream"

    @classmethod
    def of(cls, filename: str, data: bytes, content_type: str) -> Upload:
        upload = cls(filename)
        upload.data, upload.content_type = data, content_type
        return upload


def _formats() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("binary")(lambda v: not isinstance(v, str) or isinstance(v, Upload))
    checker.checks("date-time")(lambda v: not isinstance(v, str) or parse_datetime(v) is not None)
    checker.checks("date")(lambda v: not isinstance(v, str) or parse_datetime(f"{v}T00:00:00Z") is not None)
    return checker


def _pointer(action: Action, media: str) -> str:
    parts = ("paths", action.path, action.method.lower(), "requestBody", "content", media, "schema")
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@cache
def _validator(action_name: str, media: str) -> Any:
    from airflow_provider_360learning.actions import ACTIONS

    action = ACTIONS[action_name]
    schema = {"$ref": f"{action.document.uri}#{_pointer(action, media)}"}
    return OpenApiValidator(schema, registry=registry(), format_checker=_formats())


def read_body(action: Action, content_type: str | None, raw: bytes) -> Any:
    """The decoded, validated body of a request (``None`` when the action takes none and none came)."""
    if not action.has_body:
        if raw.strip():
            raise undocumented("badRequest", f"{action.describe()} takes no request body")
        return None
    if action.api == "bulk":
        return raw  # bulk handlers answer the documented invalidInput/inputTooLong and judge each object alone
    if not raw:
        if action.body_required:
            raise undocumented("badRequest", f"{action.describe()} requires a request body")
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in action.body_content_types:
        accepted = ", ".join(action.body_content_types)
        raise undocumented("badRequest", f"request body must be sent as {accepted}, got {media or 'no content type'}")
    body = _multipart(action, content_type or "", raw) if media == MULTIPART else _json(raw)
    undeclared = undeclared_properties(action.api, _pointer(action, media), body)
    if undeclared:
        raise undocumented("badRequest", f"invalid request body: property {undeclared[0]!r} should not exist")
    error = best_match(_validator(action.name, media).iter_errors(body))
    if error is not None:
        where = "".join(f"[{p!r}]" for p in error.absolute_path) or "(body)"
        raise undocumented("badRequest", f"invalid request body at {where}: {error.message}")
    return body


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise undocumented("badRequest", f"request body is not valid JSON ({exc})") from None


def _multipart(action: Action, content_type: str, raw: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw
    )
    boundary = message.get_boundary()
    if boundary is not None and raw.strip() == b"--" + boundary.encode("latin-1", "replace") + b"--":
        return {}  # no part: the close delimiter alone, what clients send for an empty form (a PATCH changing nothing)
    if not message.is_multipart():
        raise undocumented("badRequest", "multipart body could not be parsed (missing or wrong boundary?)")
    doc = action.document.contents
    properties = resolve(doc, _pointer(action, MULTIPART)).get("properties", {})
    parts: dict[str, list[Any]] = {}
    for part in message.iter_parts():
        name = _part_name(part)
        if name is None:
            raise undocumented("badRequest", "a multipart part lacks 'Content-Disposition: form-data; name=...'")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            parts.setdefault(name, []).append(Upload.of(filename, data, part.get_content_type()))
        else:
            parts.setdefault(name, []).append(data.decode(part.get_content_charset() or "utf-8", "replace"))
    return {name: _coerce(_property(doc, properties.get(name, {})), values) for name, values in parts.items()}


_NAME = re.compile(r'(?:^|;)\s*name="([^"]*)"', re.IGNORECASE)


def _part_name(part: Any) -> str | None:
    """The ``name`` of a part as sent: quoted, with ``"``, CR and LF percent-encoded as HTML forms and HTTP clients
    send them, so a backslash is a character, not the escape of a MIME quoted-string."""
    for header, value in part.raw_items():
        if header.lower() == "content-disposition":
            match = _NAME.search(str(value))
            if match:  # the parser keeps undecodable header bytes as surrogates: they are UTF-8
                return match[1].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = part.get_param("name", header="content-disposition")  # unquoted: name=field
    return name if isinstance(name, str) else None


def _property(doc: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    """A property's schema with ``$ref`` and single-entry ``allOf`` wrappers removed."""
    schema = deref(doc, schema)
    while isinstance(schema, Mapping) and len(schema.get("allOf", ())) == 1:
        schema = deref(doc, schema["allOf"][0])
    return schema if isinstance(schema, Mapping) else {}


def _coerce(schema: Mapping[str, Any], values: list[Any]) -> Any:
    kind = schema.get("type")
    if kind == "array":
        if len(values) == 1 and isinstance(values[0], str) and values[0].lstrip().startswith("["):
            return _loads_or_text(values[0])
        items = schema.get("items", {})
        return [_scalar(items if isinstance(items, Mapping) else {}, v) for v in values]
    return _scalar(schema, values[0]) if len(values) == 1 else values


def _scalar(schema: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, Upload):
        return value
    kind = schema.get("type")
    if kind == "object" or (kind is None and value.lstrip().startswith("{")):
        return _loads_or_text(value)
    if kind in ("integer", "number", "boolean"):
        return _loads_or_text(value)
    return value


def _loads_or_text(text: str) -> Any:
    """JSON value of a text part, or the text itself (validation then names the part)."""
    try:
        return json.loads(text)
    except ValueError:
        return text
