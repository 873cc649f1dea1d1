"""The preflight's check of the provisioning's attribute mapping against 360Learning.

360Learning's SCIM setup guide says to "check that the corresponding user custom fields are created" before
provisioning custom attributes, and does not publish the extension URN or attribute names of its custom
fields. So every SCIM attribute a run writes is checked twice before any write:

- its schema: an attribute of an extension (``urn:...:User:department``) must belong to an extension the SCIM
  server announces in its discovery documents (``/Schemas``, ``/ResourceTypes``); the URN is never assumed;
- its 360Learning target: an attribute that is not a field of 360Learning's user (names, job title,
  language, ``externalId``, organization) lands on a user custom field, whose name is in ``custom_fields``
  (SCIM path -> custom-field name); that field must be listed by the core API's ``list_custom_fields``
  action with target type ``users``. Names are compared without regard to case and surrounding spaces.

A missing field fails the run, naming every missing one (the default), or with ``skip`` is left out of the run:
its values are not sent, and the report names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from airflow_provider_360learning.scim.source import ENTERPRISE, EXTERNAL_ID

NATIVE_PATHS = frozenset(
    {
        "name.givenName",
        "name.familyName",
        "title",
        "preferredLanguage",
        EXTERNAL_ID,
        f"{ENTERPRISE}:organization",
    }
)
"""SCIM attributes that land on a field of 360Learning's user (``UserDTO``: firstName, lastName, job, lang,
organization) or on its external id, not on a custom field."""

DEFAULT_CUSTOM_FIELDS: dict[str, str] = {
    f"{ENTERPRISE}:department": "Department",
    f"{ENTERPRISE}:division": "Division",
    f"{ENTERPRISE}:costCenter": "Cost center",
    f"{ENTERPRISE}:employeeNumber": "Employee number",
}
"""SCIM attribute -> the 360Learning user custom field it lands on (extend or override with ``custom_fields``)."""

USER_TARGETS = frozenset({"users", "user"})
OnMissing = Literal["fail", "skip"]


class ScimMappingError(ValueError):
    """The attribute mapping does not fit the SCIM server or 360Learning; the message names each attribute."""


def _name(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def custom_field_targets(paths: Iterable[str], custom_fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """The custom field each written SCIM path lands on. A path that is neither a user field nor named in the
    mapping is an error: where its values would go cannot be known."""
    mapping = {**DEFAULT_CUSTOM_FIELDS, **(custom_fields or {})}
    unnamed = sorted(p for p in paths if p not in NATIVE_PATHS and p not in mapping)
    if unnamed:
        raise ScimMappingError(
            f"SCIM attribute(s) {', '.join(unnamed)} map to no 360Learning user field: name the custom field each "
            "lands on with custom_fields={'<SCIM path>': '<custom field name>'}"
        )
    return {p: mapping[p] for p in sorted(paths) if p not in NATIVE_PATHS}


def missing_custom_fields(targets: Mapping[str, str], existing: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The ``targets`` (SCIM path -> custom-field name) with no user custom field of that name in ``existing``
    (the items of ``list_custom_fields``)."""
    names = {_name(f.get("name")) for f in existing if str(f.get("targetType", "")).casefold() in USER_TARGETS}
    return {path: name for path, name in targets.items() if _name(name) not in names}


def list_user_custom_fields(conn_id: str) -> list[dict[str, Any]]:
    """Every custom field of the company, through the core API (``list_custom_fields``)."""
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook(conn_id)
    try:
        return [dict(f) for f in hook.iter_action("list_custom_fields")]
    finally:
        hook.close()


def unannounced_extensions(paths: Iterable[str], announced: Iterable[str]) -> dict[str, str]:
    """SCIM path -> URN, for every extension attribute whose schema the server does not announce."""
    known = set(announced)
    return {p: urn for p in sorted(paths) if p.startswith("urn:") and (urn := p.rpartition(":")[0]) not in known}


def check_mapping(
    paths: Iterable[str],
    *,
    announced_schemas: Iterable[str],
    existing_fields: Iterable[Mapping[str, Any]] | None,
    custom_fields: Mapping[str, str] | None = None,
    on_missing: OnMissing = "fail",
) -> dict[str, str]:
    """Check the SCIM paths a run writes; return the ones to leave out (path -> missing custom field).

    ``existing_fields`` None skips the custom-field half (no core API connection given). Raises
    :class:`ScimMappingError` for an unannounced extension, an unmapped path, or (``on_missing="fail"``) a
    missing custom field."""
    paths = sorted(set(paths))
    unannounced = unannounced_extensions(paths, announced_schemas)
    if unannounced:
        listed = ", ".join(f"{p} (schema {u})" for p, u in unannounced.items())
        raise ScimMappingError(
            f"the SCIM server does not announce the schema of {listed}: 360Learning publishes no custom-field "
            "extension URN, so map these columns to attributes of a schema its /Schemas lists"
        )
    if existing_fields is None:
        return {}
    missing = missing_custom_fields(custom_field_targets(paths, custom_fields), existing_fields)
    if missing and on_missing == "fail":
        listed = ", ".join(f"{name!r} (for {path})" for path, name in missing.items())
        raise ScimMappingError(
            f"360Learning has no user custom field {listed}: create it in 360Learning (Settings > Custom fields) "
            "before provisioning it, or run with missing_custom_fields='skip' to leave it out"
        )
    return missing
