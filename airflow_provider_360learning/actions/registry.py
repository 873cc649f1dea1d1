"""Build :data:`ACTIONS` from the official OpenAPI documents (see the package docstring)."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any, Literal

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENTS: dict[str, str] = {
    "core": "360learning-core-api.json",
    "bulk": "360learning-bulk-api.json",
    "webhook": "360learning-webhook-api.json",
}
API_VERSION_HEADER = "360-api-version"
MULTIPART = "multipart/form-data"

_SCOPE_RE = re.compile(r"Required OAuth scopes?: `([^`]+)`")
_PAGE_SIZE_RE = re.compile(r"page size of ([\d,]+)")
_ENDPOINT_RATE_RE = re.compile(r"specific rate limit of (\d+(?:\.\d+)?) requests? per second", re.IGNORECASE)
_CAMEL_BOUNDARY_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class ApiDocument:
    """One official OpenAPI document; ``uri`` lets JSON Schema ``$ref`` resolve inside it."""

    api: str
    filename: str
    contents: Mapping[str, Any] = field(repr=False)

    @property
    def uri(self) -> str:
        return f"urn:360learning:{self.api}"


@cache
def load_document(api: str) -> ApiDocument:
    """Load one of the shipped OpenAPI documents (``core``, ``bulk`` or ``webhook``)."""
    filename = DOCUMENTS[api]
    text = resources.files("airflow_provider_360learning").joinpath("spec").joinpath(filename).read_text("utf-8")
    return ApiDocument(api=api, filename=filename, contents=json.loads(text))


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter, as the document declares it."""

    name: str
    location: Literal["path", "query", "header"]
    required: bool
    schema: Mapping[str, Any] = field(repr=False)
    schema_pointer: str = field(repr=False)
    description: str = field(default="", repr=False)
    style: str | None = None
    explode: bool = False

    @property
    def is_filter(self) -> bool:
        """Bracket filter such as ``completedAt[gte]=...`` (OpenAPI ``deepObject``)."""
        return self.style == "deepObject"

    @property
    def operators(self) -> tuple[str, ...]:
        """Bracket operators a filter accepts (``gte``, ``lt``, ``eq``, ``in``...)."""
        return tuple(self.schema.get("properties", {})) if self.is_filter else ()


@dataclass(frozen=True)
class ResponseSpec:
    """One documented response: status, content type and a pointer to its schema."""

    status: str
    description: str
    content_types: tuple[str, ...]
    schema_pointer: str | None
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    """One API operation, named and described so that every layer can use it generically."""

    name: str
    label: str
    api: str
    method: str
    path: str
    operation_id: str
    summary: str
    scope: str | None
    page_size: int | None
    parameters: tuple[Parameter, ...] = field(repr=False)
    body_required: bool = field(repr=False)
    body_content_types: tuple[str, ...] = field(repr=False)
    body_schema_pointer: str | None = field(repr=False)
    responses: Mapping[str, ResponseSpec] = field(repr=False)
    tags: tuple[str, ...] = field(default=(), repr=False)
    in_actions_csv: bool = field(default=False, repr=False)
    endpoint_rate_limit: float | None = field(default=None, repr=False)
    """Requests per second this endpoint allows per company on top of the global budgets, when its description
    says so ("This endpoint has a specific rate limit of 1 request per second"); ``None`` otherwise."""

    @property
    def document(self) -> ApiDocument:
        return load_document(self.api)

    @property
    def counts_against_budget(self) -> bool:
        """False for the Bulk API document's operations: not rate-limited per request, only by the number of
        concurrent bulk executions (360Learning's documented model)."""
        return self.api != "bulk"

    @property
    def is_paginated(self) -> bool:
        """True when the API pages the result through the ``Link`` header."""
        return self.page_size is not None

    @cached_property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @cached_property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @cached_property
    def user_parameters(self) -> dict[str, Parameter]:
        """Parameters a caller passes by name (headers such as the API version are the hook's job)."""
        return {p.name: p for p in self.parameters if p.location != "header"}

    @property
    def has_body(self) -> bool:
        return self.body_schema_pointer is not None or bool(self.body_content_types)

    @property
    def body_is_form(self) -> bool:
        """The body travels as ``multipart/form-data`` (files and fields), not JSON."""
        return MULTIPART in self.body_content_types and "application/json" not in self.body_content_types

    @property
    def success_response(self) -> ResponseSpec | None:
        for status in sorted(self.responses):
            if status.startswith("2"):
                return self.responses[status]
        return None

    @property
    def returns_list(self) -> bool:
        """True when the success body is a JSON array (what ``iter_action`` iterates)."""
        ok = self.success_response
        if ok is None or ok.schema_pointer is None:
            return False
        return resolve(self.document.contents, ok.schema_pointer).get("type") == "array"

    def describe(self) -> str:
        """``name (METHOD /path)``: how errors and logs refer to an action."""
        return f"{self.name} ({self.method} {self.path})"


def deref(doc: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains (``#/components/...``) to the object they point to."""
    while isinstance(node, Mapping) and "$ref" in node:
        node = resolve(doc, str(node["$ref"]).removeprefix("#"))
    return node


def resolve(doc: Mapping[str, Any], pointer: str) -> Any:
    """The node at a JSON pointer of a document, with ``$ref``s followed."""
    node: Any = doc
    for part in pointer.lstrip("/").split("/"):
        node = deref(doc, node)[part.replace("~1", "/").replace("~0", "~")]
    return deref(doc, node)


def snake_case(identifier: str) -> str:
    """``GetUserCertificates`` -> ``get_user_certificates``."""
    return _CAMEL_BOUNDARY_RE.sub("_", identifier).lower()


def derived_name(operation_id: str) -> str:
    """The naming rule for operations ``actions.csv`` does not name (see the package docstring)."""
    controller = operation_id.rsplit(".", 1)[-1].split("_", 1)[0]
    return snake_case(controller.removesuffix("Controller"))


def _csv_rows() -> dict[tuple[str, str], dict[str, str]]:
    text = resources.files("airflow_provider_360learning").joinpath("spec").joinpath("actions.csv").read_text("utf-8")
    return {(row["method"], row["path"]): row for row in csv.DictReader(text.splitlines())}


def _parameters(doc: Mapping[str, Any], path: str, method: str, op: Mapping[str, Any]) -> tuple[Parameter, ...]:
    params = []
    for index, raw in enumerate(op.get("parameters", [])):
        pointer = _pointer("paths", path, method, "parameters", str(index))
        if "$ref" in raw:
            pointer = raw["$ref"].removeprefix("#")
            raw = resolve(doc, pointer)
        params.append(
            Parameter(
                name=raw["name"],
                location=raw["in"],
                required=bool(raw.get("required", False)),
                schema=raw.get("schema", {}),
                schema_pointer=pointer + "/schema",
                description=raw.get("description", ""),
                style=raw.get("style"),
                explode=bool(raw.get("explode", raw.get("style") == "deepObject")),
            )
        )
    return tuple(params)


def _responses(path: str, method: str, op: Mapping[str, Any]) -> dict[str, ResponseSpec]:
    out = {}
    for status, raw in op.get("responses", {}).items():
        content = raw.get("content", {})
        schema_pointer = None
        if "application/json" in content and "schema" in content["application/json"]:
            schema_pointer = _pointer(
                "paths", path, method, "responses", status, "content", "application/json", "schema"
            )
        out[status] = ResponseSpec(
            status=status,
            description=raw.get("description", ""),
            content_types=tuple(content),
            schema_pointer=schema_pointer,
            headers=tuple(raw.get("headers", {})),
        )
    return out


def build_actions() -> dict[str, Action]:
    """Read every operation of the three documents into :class:`Action` definitions."""
    named = _csv_rows()
    actions: dict[str, Action] = {}
    for api in DOCUMENTS:
        doc = load_document(api).contents
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    continue
                row = named.get((method.upper(), path))
                description = op.get("description", "")
                scopes = _SCOPE_RE.findall(description)
                sizes = _PAGE_SIZE_RE.findall(description)
                # Stated in the operation's description, and for the same operations in their 429's description
                # ("1 requests per second"); either is enough.
                too_many = (op.get("responses") or {}).get("429") or {}
                endpoint_rates = _ENDPOINT_RATE_RE.findall(description) or _ENDPOINT_RATE_RE.findall(
                    too_many.get("description", "")
                )
                name = row["action"] if row else derived_name(op["operationId"])
                if name in actions:
                    raise RuntimeError(f"action name {name!r} is not unique ({op['operationId']})")
                body = op.get("requestBody") or {}
                body_content = body.get("content", {})
                body_pointer = None
                for content_type in ("application/json", MULTIPART):
                    if content_type in body_content:
                        body_pointer = _pointer("paths", path, method, "requestBody", "content", content_type, "schema")
                        break
                actions[name] = Action(
                    name=name,
                    label=row["label"] if row else name.replace("_", " ").title(),
                    api=api,
                    method=method.upper(),
                    path=path,
                    operation_id=op["operationId"],
                    summary=op.get("summary", ""),
                    scope=scopes[0] if scopes else None,
                    page_size=int(sizes[0].replace(",", "")) if sizes else None,
                    parameters=_parameters(doc, path, method, op),
                    body_required=bool(body.get("required", False)),
                    body_content_types=tuple(body_content),
                    body_schema_pointer=body_pointer,
                    responses=_responses(path, method, op),
                    tags=tuple(op.get("tags", ())),
                    in_actions_csv=row is not None,
                    endpoint_rate_limit=float(endpoint_rates[0]) if endpoint_rates else None,
                )
    missing = {row["action"] for row in named.values()} - set(actions)
    if missing:
        raise RuntimeError(f"actions.csv names operations absent from the documents: {sorted(missing)}")
    return actions


class _LazyActions(Mapping[str, Action]):
    """Mapping that reads the documents on first use, so importing the package stays cheap at DAG parse."""

    def __init__(self) -> None:
        self._data: dict[str, Action] | None = None
        self._lock = threading.Lock()

    @property
    def _actions(self) -> dict[str, Action]:
        if self._data is None:
            with self._lock:
                if self._data is None:
                    self._data = build_actions()
        return self._data

    def __getitem__(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise KeyError(f"unknown 360Learning action {name!r}; see ACTIONS for the {len(self)} names") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def __repr__(self) -> str:
        return f"<360Learning ACTIONS: {len(self)} actions>"


ACTIONS: Mapping[str, Action] = _LazyActions()
