"""JSON Schema validators for schemas inside the official documents, with ``$ref`` resolution."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from airflow_provider_360learning.actions.registry import DOCUMENTS, deref, load_document, resolve


def _nullable(keyword: str) -> Any:
    """``keyword`` letting ``null`` through where OpenAPI 3.0's ``nullable: true`` says so (PATCH bodies remove
    optional fields with ``null``), also when the type sits in a reference beside it (``nullable`` + ``allOf``)."""
    check = Draft202012Validator.VALIDATORS[keyword]

    def nullable(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from check(validator, value, instance, schema)

    return nullable


OpenApiValidator = validators.extend(
    Draft202012Validator, {k: _nullable(k) for k in ("type", "allOf", "anyOf", "oneOf", "$ref", "enum")}
)
"""JSON Schema 2020-12 plus OpenAPI 3.0's ``nullable``: what the official documents are written in."""


@cache
def registry() -> Registry:
    resources = []
    for api in DOCUMENTS:
        document = load_document(api)
        resources.append(
            (document.uri, Resource.from_contents(dict(document.contents), default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


@cache
def schema_validator(api: str, pointer: str) -> Any:
    """Validator for the schema at ``pointer`` in document ``api``; built once, reused for every call.

    The schema is referenced by URI rather than copied, so its inner ``#/components/...`` refs resolve
    against the document it belongs to.
    """
    uri = load_document(api).uri
    schema: dict[str, Any] = {"$ref": f"{uri}#{pointer}"}
    return OpenApiValidator(schema, registry=registry(), format_checker=FormatChecker())


def first_error(api: str, pointer: str, instance: Any) -> str | None:
    """Describe the most relevant validation error (with its JSON path), or ``None`` when valid."""
    validator = schema_validator(api, pointer)
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    location = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path)
    return f"{location}: {error.message}" if location else error.message


def undeclared_properties(api: str, pointer: str, instance: Any) -> list[str]:
    """Top-level fields of an object body that its schema does not declare (typos such as ``fistName``).

    The documents leave ``additionalProperties`` open, but the API rejects fields its DTOs do not know;
    saying so before the request names the field. Bodies whose schema lists no properties pass.
    """
    if not isinstance(instance, Mapping):
        return []
    doc = load_document(api).contents
    schema = deref(doc, resolve(doc, pointer))
    while isinstance(schema, Mapping) and len(schema.get("allOf", ())) == 1:
        schema = deref(doc, schema["allOf"][0])
    declared = schema.get("properties") if isinstance(schema, Mapping) else None
    if not declared:
        return []
    return sorted(set(instance) - set(declared))
