"""``multipart/form-data`` request bodies, encoded from the action's documented schema.

Seven core operations (paths, e-learning standard courses, media, external certificates) take their
body as a form. The schema says how each field travels (OpenAPI 3 rules): a ``format: binary`` string
is a file part, a primitive is a text part, an array of primitives is one part per item, and an object
(or an array of objects) is a JSON part. The emulator (``emulator.bodies``) reads forms by the same rules.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from urllib3 import encode_multipart_formdata

from airflow_provider_360learning.actions.registry import Action, deref, resolve

BINARY_PLACEHOLDER = "<binary>"
"""What a file part stands for while the rest of the body is checked against the JSON Schema."""


@dataclass(frozen=True)
class FilePart:
    """The content of a ``format: binary`` field."""

    content: bytes
    filename: str = "upload"
    content_type: str = "application/octet-stream"

    @classmethod
    def named(cls, content: bytes, filename: str) -> FilePart:
        guessed = mimetypes.guess_type(filename)[0]
        return cls(content, filename, guessed or "application/octet-stream")

    def __repr__(self) -> str:  # never dump file bytes into logs or errors
        return f"FilePart({self.filename!r}, {self.content_type}, {len(self.content)} bytes)"


def body_properties(action: Action) -> dict[str, Mapping[str, Any]]:
    """The request body's top-level properties, references resolved."""
    if action.body_schema_pointer is None:
        return {}
    doc = action.document.contents
    schema = deref(doc, resolve(doc, action.body_schema_pointer))
    return {name: deref(doc, node) for name, node in schema.get("properties", {}).items()}


def is_binary(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "string" and schema.get("format") == "binary"


def binary_fields(action: Action) -> frozenset[str]:
    return frozenset(name for name, schema in body_properties(action).items() if is_binary(schema))


def for_validation(action: Action, body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with each file replaced by a placeholder string, for JSON Schema validation."""
    files = binary_fields(action)
    return {k: BINARY_PLACEHOLDER if k in files and v is not None else v for k, v in body.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def encode(action: Action, body: Mapping[str, Any]) -> tuple[bytes, str]:
    """Encode a validated body (files as :class:`FilePart`) as ``(bytes, content type)``."""
    properties = body_properties(action)
    fields: list[tuple[str, Any]] = []
    for name, value in body.items():
        if value is None:
            continue
        schema = properties.get(name, {})
        if isinstance(value, FilePart):
            fields.append((name, (value.filename, value.content, value.content_type)))
        elif (
            schema.get("type") == "array"
            and deref(action.document.contents, schema.get("items", {})).get("type") != "object"
        ):
            fields.extend((name, _text(item)) for item in value)
        elif isinstance(value, (dict, list)):
            fields.append((name, (None, json.dumps(value).encode(), "application/json")))
        else:
            fields.append((name, _text(value)))
    return encode_multipart_formdata(fields)
