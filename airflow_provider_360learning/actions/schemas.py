"""JSON Schema validators for schemas inside the official documents, with ``$ref`` resolution."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from airflow_provider_360learning.actions.registry import DOCUMENTS, load_document


@cache
def _registry() -> Registry:
    resources = []
    for api in DOCUMENTS:
        document = load_document(api)
        resources.append((document.uri, Resource.from_contents(dict(document.contents), default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def schema_validator(api: str, pointer: str) -> Draft202012Validator:
    """Validator for the schema at ``pointer`` in document ``api``; built once, reused for every call.

    The schema is referenced by URI rather than copied, so its inner ``#/components/...`` refs resolve
    against the document it belongs to.
    """
    uri = load_document(api).uri
    schema: dict[str, Any] = {"$ref": f"{uri}#{pointer}"}
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def first_error(api: str, pointer: str, instance: Any) -> str | None:
    """Describe the most relevant validation error (with its JSON path), or ``None`` when valid."""
    validator = schema_validator(api, pointer)
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    location = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path)
    return f"{location}: {error.message}" if location else error.message
