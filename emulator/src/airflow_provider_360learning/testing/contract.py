"""Contract checks of HTTP exchanges against the official 360Learning OpenAPI 3.1 documents.

Tests run every request our client sends and every response the local emulator
returns through :class:`ContractValidator`, so that neither side can drift away
from what 360Learning documents.  ``openapi-core`` cannot parse the documents'
``deepObject`` bracket filters, so this module is a thin OpenAPI layer (routing,
parameter parsing and coercion, media types, status codes, headers) over a real
JSON Schema validator: ``OAS31Validator`` with a ``referencing`` registry
resolving the documents' own ``#/components/schemas/...`` references.

Where the documents are silent or ambiguous, the choice made is written next to
the code that makes it.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urljoin, urlsplit

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from rfc3339_validator import validate_rfc3339

import airflow_provider_360learning

__all__ = ["ContractValidator", "ContractViolation", "OperationRef"]

# The documents ship in the provider's distribution: its package directory, not this portion's (the two differ
# in an editable install of the emulator distribution).
SPEC_DIR = Path(airflow_provider_360learning.__file__).resolve().parent / "spec"
DEFAULT_SPEC_FILES = (
    "360learning-core-api.json",
    "360learning-bulk-api.json",
    "360learning-webhook-api.json",
)

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The Link header descriptions point to the Pagination guide
# (https://360learning.readme.io/docs/pagination), which says the next-page URL
# "includes a `next` query parameter with an encoded token".  The OpenAPI
# documents never declare it, so it is accepted -- as an opaque non-empty
# string -- only on operations that document a Link response header.
PAGINATION_CURSOR_PARAM = "next"

_LINK_RE = re.compile(r'<(?P<url>[^<>\s]+)>[ \t]*;[ \t]*rel="next"')
_PARAM_KEY_RE = re.compile(r"(?P<name>[^\[\]]+)(?P<brackets>(?:\[[^\[\]]*\])*)")
_BRACKET_RE = re.compile(r"\[([^\[\]]*)\]")
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_OBJECT_ID_RE = re.compile(r"[a-fA-F0-9]{24}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_MAX_REASON = 400


class ContractViolation(AssertionError):
    """Raised by ``validate_*``; an ``AssertionError`` so pytest reports it as a plain failure."""

    def __init__(self, title: str, errors: list[str]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {error}" for error in self.errors)
        super().__init__(f"{title}: {len(self.errors)} contract problem(s)\n{lines}")


@dataclass(frozen=True)
class OperationRef:
    """Which documented operation an HTTP exchange was routed to."""

    document: str
    method: str
    path_template: str
    operation_id: str
    path_params: dict[str, str] = field(default_factory=dict)


class _FilePart(str):
    """A multipart part sent as a file; only ``format: binary`` accepts it.

    Its text is the payload decoded as latin-1, so that string keywords
    (``pattern``...) still see the octets the document describes.
    """


# --------------------------------------------------------------------------- formats

_FORMAT_CHECKER = FormatChecker(formats=())


@_FORMAT_CHECKER.checks("date-time")
def _is_date_time(instance: object) -> bool:
    """RFC 3339 ``date-time``: offset mandatory, real calendar dates, nothing trailing."""
    if not isinstance(instance, str):
        return True
    return "\n" not in instance and bool(validate_rfc3339(instance))


@_FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(instance: object) -> bool:
    """RFC 3339 ``full-date``."""
    if not isinstance(instance, str):
        return True
    return bool(_DATE_RE.fullmatch(instance)) and date.fromisoformat(instance) is not None


@_FORMAT_CHECKER.checks("uuid")
def _is_uuid(instance: object) -> bool:
    """RFC 4122 textual form."""
    if not isinstance(instance, str):
        return True
    return bool(_UUID_RE.fullmatch(instance))


@_FORMAT_CHECKER.checks("ObjectId")
def _is_object_id(instance: object) -> bool:
    """The documents pair ``format: ObjectId`` with ``^[a-fA-F0-9]{24}$`` everywhere but six
    response item schemas; the same definition is applied there."""
    if not isinstance(instance, str):
        return True
    return not isinstance(instance, _FilePart) and bool(_OBJECT_ID_RE.fullmatch(instance))


@_FORMAT_CHECKER.checks("binary")
def _is_binary(instance: object) -> bool:
    """In multipart bodies only a file part is binary; a plain form field is not a file."""
    if not isinstance(instance, str):
        return True
    return isinstance(instance, _FilePart)


# --------------------------------------------------------------------------- documents

_ANNOTATIONS = frozenset({"description", "example", "examples", "title", "$comment"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "contentSchema",
)
_APPLICATORS = frozenset({"$ref", "allOf", "anyOf", "oneOf", "not", "if"})


def _prepare_schema(schema: Any) -> None:
    """Make a schema cheaper and OAS-3.0-tolerant, in place.

    Drops pure annotations (they cost a keyword dispatch per instance and never
    fail) and honours ``nullable: true``: the documents say ``openapi: 3.1.0``
    yet mark 43 request fields ``nullable``, an OAS 3.0 keyword that plain 3.1
    ignores.  Rejecting ``null`` there would invent a rule the authors plainly
    did not mean, so ``nullable`` is translated the standard 3.0->3.1 way.
    """
    if not isinstance(schema, dict):
        return
    for key in _ANNOTATIONS & schema.keys():
        del schema[key]
    for key in _SCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for child in sub.values():
                _prepare_schema(child)
    for key in _SCHEMA_LISTS:
        sub = schema.get(key)
        if isinstance(sub, list):
            for child in sub:
                _prepare_schema(child)
    for key in _SCHEMA_SINGLE:
        sub = schema.get(key)
        if isinstance(sub, dict):
            _prepare_schema(sub)
        elif key == "items" and isinstance(sub, list):
            for child in sub:
                _prepare_schema(child)
    if schema.get("format") == "ObjectId" and "pattern" in schema:
        # Same rule twice (see _is_object_id); keep the pattern so a bad ID is reported once.
        del schema["format"]
    nullable = schema.pop("nullable", None)
    if nullable is not True:
        return
    if "type" in schema and not (_APPLICATORS & schema.keys()):
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in types:
            schema["type"] = [*types, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    else:
        rest = dict(schema)
        schema.clear()
        schema["anyOf"] = [{"type": "null"}, rest]


def _prepare_document(document: dict[str, Any]) -> None:
    """Apply :func:`_prepare_schema` to every schema position of an OpenAPI document."""
    for schema in document.get("components", {}).get("schemas", {}).values():
        _prepare_schema(schema)
    for item in document.get("paths", {}).values():
        for operation in [item, *(item.get(method) or {} for method in _HTTP_METHODS)]:
            for parameter in operation.get("parameters", []):
                _prepare_schema(parameter.get("schema"))
            body = operation.get("requestBody") or {}
            for media in (body.get("content") or {}).values():
                _prepare_schema(media.get("schema"))
            for response in (operation.get("responses") or {}).values():
                for media in (response.get("content") or {}).values():
                    _prepare_schema(media.get("schema"))
                for header in (response.get("headers") or {}).values():
                    _prepare_schema(header.get("schema"))


@lru_cache(maxsize=16)
def _load_document(path: str, mtime_ns: int) -> dict[str, Any]:
    """Parse and prepare a document once per process (and again only if the file changes)."""
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    _prepare_document(document)
    return document


def _pointer(*parts: str) -> str:
    """A URI-fragment-safe JSON pointer."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return quote("/" + "/".join(escaped), safe="/~")


def _deref(document: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (parameters, responses...) to their target object."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
        ref: str = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[unquote(part).replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


# --------------------------------------------------------------------------- speed

# Validating a 2,000-item page spends most of its time in jsonschema's generic
# machinery: one referencing lookup per ``$ref`` per item, and full evaluation
# (with error objects) of every ``oneOf`` branch.  Both shortcuts below give the
# same verdict as plain ``OAS31Validator``; they only skip work whose outcome is
# already known.  They touch two private attributes (``Validator._resolver`` and
# ``Resolver._base_uri``), so they fall back to the stock behaviour if those vanish.


def _fast_validator_class() -> Any:
    """``OAS31Validator`` with memoised ``$ref`` lookups and pre-filtered ``oneOf``/``anyOf``.

    One class per :class:`ContractValidator`, so the memo never outlives its registry.
    """
    resolved_refs: dict[tuple[str, str], Any] = {}

    def lookup(validator: Any, ref: str) -> Any:
        resolver = getattr(validator, "_resolver", None)
        base = getattr(resolver, "_base_uri", None)
        if resolver is None or base is None:
            return None
        key = (base, ref)
        resolved = resolved_refs.get(key)
        if resolved is None:
            resolved = resolver.lookup(ref)
            resolved_refs[key] = resolved
        return resolved

    def ref(validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        resolved = lookup(validator, ref)
        if resolved is None:
            yield from validator._validate_reference(ref=ref, instance=instance)
            return
        yield from validator.descend(instance, resolved.contents, resolver=resolved.resolver)

    probes: dict[tuple[str, int], Any] = {}

    def probe(validator: Any, subschema: Any) -> Any:
        """(types, required names, {name: allowed strings}) of a branch, following ``$ref``s."""
        base = getattr(getattr(validator, "_resolver", None), "_base_uri", None)
        key = (str(base), id(subschema))
        if key in probes:
            return probes[key]
        target = subschema
        for _ in range(8):
            if not (isinstance(target, dict) and len(target) == 1 and "$ref" in target):
                break
            resolved = lookup(validator, target["$ref"])
            if resolved is None:
                target = None
                break
            target = resolved.contents
        result = None
        if isinstance(target, dict):
            declared = target.get("type")
            types = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else None
            properties = target.get("properties") or {}
            required = [name for name in target.get("required") or () if isinstance(name, str)]
            enums = {}
            for name in required:
                enum = properties.get(name, {}).get("enum") if isinstance(properties.get(name), dict) else None
                if isinstance(enum, list) and enum and all(isinstance(e, str) for e in enum):
                    enums[name] = frozenset(enum)
            result = (types, required, enums)
        probes[key] = result
        return result

    def certainly_invalid(validator: Any, subschema: Any, instance: Any) -> bool:
        """Cheap proofs that ``instance`` fails ``subschema``: wrong type, missing or
        wrongly-enumerated required property.  ``False`` means "not proven"."""
        summary = probe(validator, subschema)
        if summary is None:
            return False
        types, required, enums = summary
        if types is not None and not any(validator.is_type(instance, t) for t in types):
            return True
        if isinstance(instance, dict):
            for name in required:
                if name not in instance:
                    return True
                allowed = enums.get(name)
                value = instance[name]
                if allowed is not None and isinstance(value, str) and value not in allowed:
                    return True
        return False

    def prefiltered(keyword: Any) -> Any:
        def check(validator: Any, subschemas: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
            candidates = [
                index
                for index, subschema in enumerate(subschemas)
                if not certainly_invalid(validator, subschema, instance)
            ]
            if len(candidates) == 1:
                # Every other branch is proven to fail, so the result is this branch's.
                index = candidates[0]
                yield from validator.descend(instance, subschemas[index], schema_path=index)
                return
            yield from keyword(validator, subschemas, instance, schema)

        return check

    return extend(
        OAS31Validator,
        validators={
            "$ref": ref,
            "oneOf": prefiltered(OAS31Validator.VALIDATORS["oneOf"]),
            "anyOf": prefiltered(OAS31Validator.VALIDATORS["anyOf"]),
        },
    )


# --------------------------------------------------------------------------- model


@dataclass
class _Parameter:
    name: str
    location: str
    required: bool
    style: str
    explode: bool
    schema: Any
    schema_uri: str


@dataclass
class _Operation:
    document: str
    doc_uri: str
    method: str
    template: str
    operation_id: str
    regex: re.Pattern[str]
    group_names: dict[str, str]
    specificity: tuple[int, ...]
    pointer: str
    params: dict[tuple[str, str], _Parameter]
    request_body: dict[str, Any] | None
    responses: dict[str, Any]
    paginated: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.template} [{self.operation_id}]"


def _compile_template(template: str) -> tuple[re.Pattern[str], dict[str, str], tuple[int, ...]]:
    """Regex, group->parameter names, and a specificity key (literal segments sort first)."""
    pattern = ""
    groups: dict[str, str] = {}
    specificity: list[int] = []
    for segment in template.strip("/").split("/"):
        pattern += "/"
        pieces = re.split(r"(\{[^{}]+\})", segment)
        has_param = any(piece.startswith("{") for piece in pieces)
        has_literal = any(piece and not piece.startswith("{") for piece in pieces)
        specificity.append(0 if not has_param else (1 if has_literal else 2))
        for piece in pieces:
            if piece.startswith("{") and piece.endswith("}"):
                group = f"p{len(groups)}"
                groups[group] = piece[1:-1]
                pattern += f"(?P<{group}>[^/]+)"
            else:
                pattern += re.escape(piece)
    return re.compile(pattern), groups, tuple(specificity)


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _match_media(documented: Iterable[str], actual: str | None) -> str | None:
    """The documented media-type key that ``actual`` falls under (exact, then ``type/*``)."""
    if actual is None:
        return None
    keys = list(documented)
    for key in keys:
        if key.lower() == actual:
            return key
    for key in keys:
        main, _, sub = key.lower().partition("/")
        if (sub == "*" and actual.startswith(main + "/")) or key == "*/*":
            return key
    return None


def _documented_media(content: Mapping[str, Any], header: str | None, where: str, errors: list[str]) -> str | None:
    """The documented media type a message is checked against; notes an undocumented Content-Type in
    ``errors`` and falls back to the only documented one (``None`` when there is no single candidate)."""
    actual = _media_type(header)
    media = _match_media(content, actual)
    if media is not None:
        return media
    errors.append(
        f"{where} Content-Type {actual or '(missing)'} is not documented (documented: {', '.join(content) or 'none'})"
    )
    return next(iter(content)) if len(content) == 1 else None


def _is_json_media(media: str) -> bool:
    media = media.lower()
    return media == "application/json" or media.endswith("+json")


def _short(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _loads(raw: bytes | str) -> Any:
    """Strict JSON (NaN/Infinity are not JSON)."""
    return json.loads(raw, parse_constant=_reject_constant)


# --------------------------------------------------------------------------- validator


class ContractValidator:
    """Checks requests and responses against the 360Learning OpenAPI documents.

    One JSON Schema validator is built lazily per schema location (operation,
    parameter, status, media type) and kept, so per-exchange cost is parsing
    plus schema evaluation only.
    """

    def __init__(self, spec_paths: Iterable[Path] | None = None) -> None:
        paths = (
            [SPEC_DIR / name for name in DEFAULT_SPEC_FILES]
            if spec_paths is None
            else [Path(path) for path in spec_paths]
        )
        if not paths:
            raise ValueError("at least one OpenAPI document is required")
        self._documents: dict[str, dict[str, Any]] = {}
        self._doc_uris: dict[str, str] = {}
        registry: Registry[Any] = Registry()
        for path in paths:
            resolved = path.resolve()
            document = _load_document(str(resolved), resolved.stat().st_mtime_ns)
            if not str(document.get("openapi", "")).startswith("3.1"):
                raise ValueError(f"{path}: not an OpenAPI 3.1 document")
            uri = f"urn:360learning-openapi:{resolved.name}"
            self._documents[resolved.name] = document
            self._doc_uris[resolved.name] = uri
            registry = registry.with_resource(uri, Resource.from_contents(document, default_specification=DRAFT202012))
        self._registry = registry
        self._validator_class = _fast_validator_class()
        self._validators: dict[str, Validator] = {}
        self._operations: dict[str, list[_Operation]] = {}
        for name, document in self._documents.items():
            self._index(name, document)
        for operations in self._operations.values():
            operations.sort(key=lambda op: op.specificity)

    # ------------------------------------------------------------------ indexing

    def _index(self, name: str, document: dict[str, Any]) -> None:
        for template, item in (document.get("paths") or {}).items():
            item = _deref(document, item)
            regex, groups, specificity = _compile_template(template)
            for method in _HTTP_METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                base = ("paths", template, method)
                params: dict[tuple[str, str], _Parameter] = {}
                declared: list[tuple[tuple[str, ...], Any]] = [
                    (("paths", template, "parameters", str(i)), p) for i, p in enumerate(item.get("parameters", []))
                ] + [((*base, "parameters", str(i)), p) for i, p in enumerate(operation.get("parameters", []))]
                for location, raw in declared:
                    if isinstance(raw, dict) and "$ref" in raw:
                        location = tuple(
                            unquote(part).replace("~1", "/").replace("~0", "~") for part in raw["$ref"][2:].split("/")
                        )
                    parameter = _deref(document, raw)
                    where = parameter["in"]
                    style = parameter.get("style") or ("form" if where in ("query", "cookie") else "simple")
                    params[(where, parameter["name"] if where != "header" else parameter["name"].lower())] = _Parameter(
                        name=parameter["name"],
                        location=where,
                        required=bool(parameter.get("required", where == "path")),
                        style=style,
                        explode=bool(parameter.get("explode", style == "form")),
                        schema=parameter.get("schema") or {},
                        schema_uri=self._doc_uris[name] + "#" + _pointer(*location, "schema"),
                    )
                responses = {
                    str(status): _deref(document, response)
                    for status, response in (operation.get("responses") or {}).items()
                }
                paginated = any(
                    status.startswith("2") and any(h.lower() == "link" for h in (response.get("headers") or {}))
                    for status, response in responses.items()
                )
                body = operation.get("requestBody")
                self._operations.setdefault(method.upper(), []).append(
                    _Operation(
                        document=name,
                        doc_uri=self._doc_uris[name],
                        method=method.upper(),
                        template=template,
                        operation_id=str(operation.get("operationId", "")),
                        regex=regex,
                        group_names=groups,
                        specificity=specificity,
                        pointer=_pointer(*base),
                        params=params,
                        request_body=_deref(document, body) if body is not None else None,
                        responses=responses,
                        paginated=paginated,
                    )
                )

    def _validator(self, uri: str) -> Validator:
        """The cached validator for the schema at ``uri`` (``<document>#<pointer>``)."""
        validator = self._validators.get(uri)
        if validator is None:
            validator = self._validator_class({"$ref": uri}, registry=self._registry, format_checker=_FORMAT_CHECKER)
            self._validators[uri] = validator
        return validator

    def _resolve_schema(self, op: _Operation, schema: Any) -> Any:
        return _deref(self._documents[op.document], schema)

    def _types(self, op: _Operation, schema: Any, depth: int = 0) -> set[str]:
        """Every JSON type a schema admits, looking through ``$ref``/``allOf``/``oneOf``/``anyOf``."""
        schema = self._resolve_schema(op, schema)
        if not isinstance(schema, dict) or depth > 16:
            return set()
        declared = schema.get("type")
        types = {declared} if isinstance(declared, str) else set(declared or [])
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                types |= self._types(op, sub, depth + 1)
        if not types and "enum" in schema:
            for value in schema["enum"]:
                types.add(
                    "boolean"
                    if isinstance(value, bool)
                    else "integer"
                    if isinstance(value, int)
                    else "number"
                    if isinstance(value, float)
                    else "null"
                    if value is None
                    else "string"
                )
        return types

    def _items_schema(self, op: _Operation, schema: Any, depth: int = 0) -> Any:
        schema = self._resolve_schema(op, schema)
        if not isinstance(schema, dict) or depth > 16:
            return {}
        if "items" in schema:
            return schema["items"]
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                found = self._items_schema(op, sub, depth + 1)
                if found:
                    return found
        return {}

    def _property_schema(self, op: _Operation, schema: Any, name: str, depth: int = 0) -> Any:
        schema = self._resolve_schema(op, schema)
        if not isinstance(schema, dict) or depth > 16:
            return None
        properties = schema.get("properties") or {}
        if name in properties:
            return properties[name]
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                found = self._property_schema(op, sub, name, depth + 1)
                if found is not None:
                    return found
        return None

    def _coerce(self, op: _Operation, schema: Any, raw: str) -> Any:
        """Turn a text value (query, path, header, form field) into the schema's JSON type.

        Values that do not parse are left as strings so that the schema reports them.
        """
        types = self._types(op, schema)
        if not types or "string" in types:
            return raw
        if "integer" in types and _INT_RE.fullmatch(raw):
            return int(raw)
        if "number" in types and _NUMBER_RE.fullmatch(raw):
            return int(raw) if _INT_RE.fullmatch(raw) else float(raw)
        if "boolean" in types and raw in ("true", "false"):
            return raw == "true"
        if "null" in types and raw == "null":
            return None
        if types & {"object", "array"}:
            try:
                return _loads(raw)
            except ValueError:
                return raw
        return raw

    def _schema_errors(self, uri: str, instance: Any, where: str, query_name: str | None = None) -> list[str]:
        """Schema errors as ``<where> <json path>: <reason>``.

        For query parameters (``query_name``) the location is written the way it was
        sent, ``completedAt[gte]``, rather than as a JSON path.
        """
        errors = []
        for error in self._validator(uri).iter_errors(instance):
            if query_name is not None:
                key = query_name + "".join(f"[{part}]" for part in error.absolute_path)
                errors.append(f"{where}: query parameter '{key}': {self._reason(error)}")
            else:
                path = "" if error.json_path == "$" else " " + error.json_path
                errors.append(f"{where}{path}: {self._reason(error)}")
        return errors

    @staticmethod
    def _reason(error: ValidationError) -> str:
        reason = _short(error.message)
        if error.validator in ("oneOf", "anyOf") and error.context:
            closest = best_match(error.context)
            reason += f" (closest alternative: {closest.json_path}: {_short(closest.message)})"
        return reason

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        for op in self._operations.get(method.upper(), []):
            match = op.regex.fullmatch(path)
            if match:
                params = {op.group_names[g]: unquote(v) for g, v in match.groupdict().items()}
                return op, params
        return None

    def find_operation(self, method: str, path: str) -> OperationRef | None:
        """The operation documented for ``method`` + ``path``; literal segments beat templated ones.

        Routing is by method as well as path (as the real server routes), so the most
        specific template that documents ``method`` wins.
        """
        routed = self._route(method, urlsplit(path).path if "://" in path else path.split("?", 1)[0])
        if routed is None:
            return None
        op, params = routed
        return OperationRef(op.document, op.method, op.template, op.operation_id, params)

    def _documented_methods(self, path: str) -> list[str]:
        return sorted(
            method
            for method, operations in self._operations.items()
            if any(op.regex.fullmatch(path) for op in operations)
        )

    def _unrouted(self, method: str, path: str) -> str:
        others = self._documented_methods(path)
        hint = f" (documented methods for this path: {', '.join(others)})" if others else ""
        return f"{method.upper()} {path}: no operation is documented for this method and path{hint}"

    # ------------------------------------------------------------------ requests

    def _route_url(self, method: str, parts: SplitResult) -> tuple[Any, Any] | list[str]:
        """The documented operation and path values of a URL, or the error saying there is none."""
        routed = self._route(method, parts.path)
        return [self._unrouted(method, parts.path)] if routed is None else routed

    def request_errors(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> list[str]:
        """Every way this request departs from the documented operation (empty list: conforms)."""
        parts = urlsplit(url)
        routed = self._route_url(method, parts)
        if isinstance(routed, list):
            return routed
        op, path_values = routed
        lowered = {k.lower(): v for k, v in headers.items()}
        errors: list[str] = []
        errors += self._path_errors(op, path_values)
        errors += self._query_errors(op, parts.query)
        errors += self._header_errors(op, lowered)
        errors += self._request_body_errors(op, lowered, body)
        return errors

    def _path_errors(self, op: _Operation, values: Mapping[str, str]) -> list[str]:
        errors = []
        for name, raw in values.items():
            parameter = op.params.get(("path", name))
            if parameter is None:
                errors.append(f"{op.label}: path parameter '{name}' is templated but not declared")
                continue
            errors += self._schema_errors(
                parameter.schema_uri,
                self._coerce(op, parameter.schema, raw),
                f"{op.label}: path parameter '{name}'",
            )
        return errors

    def _query_errors(self, op: _Operation, query: str) -> list[str]:
        errors: list[str] = []
        declared = {name: p for (where, name), p in op.params.items() if where == "query"}
        # name -> list of (brackets, value); brackets are the [..] parts after the name
        received: dict[str, list[tuple[list[str], str]]] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            match = _PARAM_KEY_RE.fullmatch(key)
            name = match.group("name") if match else key
            brackets = _BRACKET_RE.findall(match.group("brackets")) if match else []
            if name not in declared and key in declared:
                name, brackets = key, []
            if name not in declared:
                if name == PAGINATION_CURSOR_PARAM and op.paginated and not brackets:
                    if not value:
                        errors.append(
                            f"{op.label}: query parameter '{PAGINATION_CURSOR_PARAM}' (pagination cursor) is empty"
                        )
                    continue
                known = ", ".join(sorted(declared)) or "none"
                errors.append(f"{op.label}: unknown query parameter '{key}' (declared query parameters: {known})")
                continue
            received.setdefault(name, []).append((brackets, value))

        for name, parameter in declared.items():
            occurrences = received.get(name)
            if not occurrences:
                if parameter.required:
                    errors.append(f"{op.label}: required query parameter '{name}' is missing")
                continue
            label = f"{op.label}: query parameter '{name}'"
            if parameter.style == "deepObject":
                assembled, problems = self._deep_object(op, parameter, occurrences)
                errors += [f"{op.label}: query parameter '{key}': {problem}" for key, problem in problems]
                errors += self._schema_errors(parameter.schema_uri, assembled, op.label, query_name=name)
                continue
            if any(brackets for brackets, _ in occurrences):
                errors.append(f"{label}: bracket notation is not declared for this parameter (style {parameter.style})")
                continue
            values = [value for _, value in occurrences]
            types = self._types(op, parameter.schema)
            if "array" in types:
                # form style: exploded arrays repeat the key, unexploded ones join with commas
                items = values if parameter.explode else [item for value in values for item in value.split(",")]
                item_schema = self._items_schema(op, parameter.schema)
                instance: Any = [self._coerce(op, item_schema, item) for item in items]
            elif len(values) > 1:
                errors.append(f"{label}: given {len(values)} times but its schema is not an array")
                continue
            else:
                instance = self._coerce(op, parameter.schema, values[0])
            errors += self._schema_errors(parameter.schema_uri, instance, op.label, query_name=name)
        return errors

    def _deep_object(
        self,
        op: _Operation,
        parameter: _Parameter,
        occurrences: list[tuple[list[str], str]],
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Assemble ``name[key]=value`` pairs into the object the parameter schema describes.

        The documents declare only ``style: deepObject, explode: true`` with array-typed
        operators (``in``/``nin``) and say nothing about serialising the arrays (OpenAPI
        itself leaves arrays inside deepObject undefined).  360Learning's Filtering guide
        shows ``type[in][0]=course&type[in][1]=path`` and says the index is optional, so
        ``key[in]=a&key[in]=b``, ``key[in][]=a`` and ``key[in][0]=a`` are all accepted.
        Commas are not separators: a comma is data (``name[in]=Smith, John``).
        Operators the parameter schema does not list are reported, just as unknown
        parameters are -- the guide says the operators each endpoint supports are the
        ones its reference lists.
        """
        name = parameter.name
        problems: list[tuple[str, str]] = []  # (key as sent, reason)
        properties: Mapping[str, Any] = self._resolve_schema(op, parameter.schema).get("properties") or {}
        grouped: dict[str, list[tuple[str | None, str]]] = {}
        for brackets, value in occurrences:
            if not brackets:
                problems.append(
                    (name, f"deepObject parameter sent without brackets; expected '{name}[operator]=value'")
                )
                continue
            key, rest = brackets[0], brackets[1:]
            if key not in properties:
                known = ", ".join(sorted(properties)) or "none"
                problems.append((f"{name}[{key}]", f"unknown operator '{key}' (declared operators: {known})"))
                continue
            if len(rest) > 1:
                problems.append((name + "".join(f"[{b}]" for b in brackets), "nests deeper than the parameter schema"))
                continue
            grouped.setdefault(key, []).append((rest[0] if rest else None, value))

        instance: dict[str, Any] = {}
        for key, entries in grouped.items():
            schema = properties[key]
            where = f"{name}[{key}]"
            if "array" in self._types(op, schema):
                item_schema = self._items_schema(op, schema)
                indexed: list[tuple[int, int, str]] = []
                seen_indexes: set[int] = set()
                for position, (index, value) in enumerate(entries):
                    if index is None or index == "":
                        indexed.append((position, position, value))
                    elif index.isdigit():
                        if int(index) in seen_indexes:
                            problems.append((f"{where}[{index}]", "array index given more than once"))
                        seen_indexes.add(int(index))
                        indexed.append((int(index), position, value))
                    else:
                        problems.append((f"{where}[{index}]", f"'{index}' is not an array index"))
                instance[key] = [self._coerce(op, item_schema, value) for _, _, value in sorted(indexed)]
                continue
            if any(index is not None for index, _ in entries):
                problems.append((where, f"'{key}' is not an array, so no further brackets are allowed"))
                continue
            if len(entries) > 1:
                problems.append((where, f"given {len(entries)} times but '{key}' takes a single value"))
                continue
            instance[key] = self._coerce(op, schema, entries[0][1])
        return instance, problems

    def _header_errors(self, op: _Operation, headers: Mapping[str, str]) -> list[str]:
        errors = []
        for (where, key), parameter in op.params.items():
            if where != "header":
                continue
            label = f"{op.label}: header '{parameter.name}'"
            if key not in headers:
                if parameter.required:
                    errors.append(f"{label} is required but missing")
                continue
            errors += self._schema_errors(parameter.schema_uri, self._coerce(op, parameter.schema, headers[key]), label)
        return errors

    def _request_body_errors(self, op: _Operation, headers: Mapping[str, str], body: bytes | None) -> list[str]:
        spec = op.request_body
        if not body:
            if spec is not None and spec.get("required"):
                return [f"{op.label}: request body is required but none was sent"]
            return []
        if spec is None:
            return [f"{op.label}: a request body ({len(body)} bytes) was sent but the operation declares none"]
        content: Mapping[str, Any] = spec.get("content") or {}
        errors: list[str] = []
        media = _documented_media(content, headers.get("content-type"), f"{op.label}: request", errors)
        if media is None:
            return errors
        schema = (content.get(media) or {}).get("schema")
        if schema is None:
            return errors
        uri = op.doc_uri + "#" + op.pointer + _pointer("requestBody", "content", media, "schema")
        where = f"{op.label}: request body"
        if _is_json_media(media):
            try:
                instance = _loads(body)
            except ValueError as exc:
                return [*errors, f"{where}: not valid JSON ({exc})"]
        elif media.lower() == "multipart/form-data":
            instance, problems = self._multipart(op, schema, headers.get("content-type", ""), body)
            if problems:
                return [*errors, *(f"{where}: {p}" for p in problems)]
        else:
            return errors  # e.g. raw binary uploads: nothing a JSON Schema can say
        return errors + self._schema_errors(uri, instance, where)

    def _multipart(
        self, op: _Operation, schema: Any, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], list[str]]:
        """Decode ``multipart/form-data`` into the object the body schema describes.

        File parts (those with a filename) become :class:`_FilePart`; text parts are
        coerced per property type; a part typed ``application/json`` (the OpenAPI
        default encoding for object properties) is parsed as JSON; repeated parts
        build arrays, as the OpenAPI encoding rules for array properties describe.
        """
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            return {}, ["multipart body could not be parsed (missing or wrong boundary?)"]
        problems = [f"malformed multipart body: {defect!r}" for defect in message.defects]
        fields: dict[str, list[Any]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_content_disposition() != "form-data" or not isinstance(name, str):
                problems.append("a part lacks 'Content-Disposition: form-data; name=...'")
                continue
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            property_schema = self._property_schema(op, schema, name)
            if part.get_filename() is not None:
                value: Any = _FilePart(raw.decode("latin-1"))
            else:
                text = raw.decode(part.get_content_charset() or "utf-8", "replace")
                if _is_json_media(part.get_content_type()):
                    try:
                        value = _loads(text)
                    except ValueError as exc:
                        problems.append(f"part '{name}' is not valid JSON ({exc})")
                        continue
                else:
                    types = self._types(op, property_schema)
                    target = self._items_schema(op, property_schema) if "array" in types else property_schema
                    value = self._coerce(op, target, text)
            fields.setdefault(name, []).append(value)
        instance: dict[str, Any] = {}
        for name, values in fields.items():
            if "array" in self._types(op, self._property_schema(op, schema, name)):
                if len(values) == 1 and isinstance(values[0], list):
                    instance[name] = values[0]
                else:
                    instance[name] = values
            elif len(values) > 1:
                problems.append(f"part '{name}' given {len(values)} times but its schema is not an array")
            else:
                instance[name] = values[0]
        return instance, problems

    def validate_request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> None:
        """Raise :class:`ContractViolation` unless the request conforms."""
        errors = self.request_errors(method, url, headers, body)
        if errors:
            raise ContractViolation(f"request {method.upper()} {url}", errors)

    # ------------------------------------------------------------------ responses

    def response_errors(
        self,
        method: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> list[str]:
        """Every way this response departs from the documented operation (empty list: conforms).

        5xx statuses are reported like any other undocumented status; callers decide
        whether to skip them.
        """
        parts = urlsplit(url)
        routed = self._route_url(method, parts)
        if isinstance(routed, list):
            return routed
        op, _ = routed
        lowered = {k.lower(): v for k, v in headers.items()}
        label = f"{op.label} -> {status}"
        errors: list[str] = []
        if "link" in lowered:
            errors += self._link_errors(op, label, url, lowered["link"])
        key = self._status_key(op, status)
        if key is None:
            documented = ", ".join(op.responses) or "none"
            return [*errors, f"{label}: status {status} is not documented (documented: {documented})"]
        response = op.responses[key]
        errors += self._response_header_errors(op, key, response, label, lowered)
        content: Mapping[str, Any] = response.get("content") or {}
        if not content:
            if body:
                errors.append(f"{label}: documented without content but the body has {len(body)} bytes")
            return errors
        media = _documented_media(content, lowered.get("content-type"), f"{label}: response", errors)
        if media is None:
            return errors
        if not _is_json_media(media) or (content.get(media) or {}).get("schema") is None:
            return errors  # e.g. application/pdf: the schema is an opaque binary string
        where = f"{label}: response body"
        try:
            instance = _loads(body or b"")
        except ValueError as exc:
            return [*errors, f"{where}: not valid JSON ({exc})"]
        uri = op.doc_uri + "#" + op.pointer + _pointer("responses", key, "content", media, "schema")
        return errors + self._schema_errors(uri, instance, where)

    @staticmethod
    def _status_key(op: _Operation, status: int) -> str | None:
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in op.responses:
                return key
        return None

    def _response_header_errors(
        self,
        op: _Operation,
        key: str,
        response: Mapping[str, Any],
        label: str,
        headers: Mapping[str, str],
    ) -> list[str]:
        errors = []
        document = self._documents[op.document]
        for name, header in (response.get("headers") or {}).items():
            if name.lower() == "content-type":
                continue  # OpenAPI: a Content-Type header definition is ignored
            header = _deref(document, header)
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    errors.append(f"{label}: required response header '{name}' is missing")
                continue
            if "schema" in header:
                uri = op.doc_uri + "#" + op.pointer + _pointer("responses", key, "headers", name, "schema")
                errors += self._schema_errors(
                    uri, self._coerce(op, header["schema"], value), f"{label}: response header '{name}'"
                )
        return errors

    def _link_errors(self, op: _Operation, label: str, url: str, value: str) -> list[str]:
        """``Link`` must be ``<url>; rel="next"`` and point back at the same operation."""
        match = _LINK_RE.fullmatch(value.strip())
        if match is None:
            return [f"{label}: Link header {value!r} does not have the form '<url>; rel=\"next\"'"]
        target = urlsplit(urljoin(url, match.group("url")))
        routed = self._route(op.method, target.path)
        if routed is None or routed[0] is not op:
            return [f"{label}: Link header points to {target.path!r}, not to another page of {op.template}"]
        return []

    def validate_response(
        self,
        method: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> None:
        """Raise :class:`ContractViolation` unless the response conforms."""
        errors = self.response_errors(method, url, status, headers, body)
        if errors:
            raise ContractViolation(f"response {status} to {method.upper()} {url}", errors)

    # ------------------------------------------------------------------ introspection

    def operations(self) -> Iterator[OperationRef]:
        """Every documented operation, for coverage checks in tests."""
        for operations in self._operations.values():
            for op in operations:
                yield OperationRef(op.document, op.method, op.template, op.operation_id, {})
