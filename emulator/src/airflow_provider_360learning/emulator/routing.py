"""Generic request routing and parameter validation, driven entirely by :data:`ACTIONS`.

Nothing here knows an endpoint: a request is matched against every action's path template
(literal segments win over templates, so ``/paths/stats`` is not ``/paths/{pathId}``), then its
path and query parameters are checked against the schemas the official documents declare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airflow_provider_360learning.actions import ACTIONS, Action, Parameter
from airflow_provider_360learning.emulator.errors import ApiError, undocumented

NEXT = "next"
"""Query parameter carrying the pagination cursor (the pagination guide's ``next``; not declared per operation)."""

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$")
_BRACKET_RE = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")
_TEMPLATE_RE = re.compile(r"\{([^{}]+)\}")


def parse_datetime(value: str) -> str | None:
    """Normalise an ISO 8601 date-time with a zone to ``YYYY-MM-DDThh:mm:ss.sssZ`` (UTC), else ``None``.

    The normal form sorts lexicographically in time order, so filters compare strings.
    """
    m = _DATETIME_RE.match(value)
    if not m:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    utc = parsed.astimezone(UTC)
    if not 1 <= utc.year <= 9999:
        return None
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class _Segment:
    literal: str | None
    pattern: re.Pattern[str] | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class _Route:
    action: Action
    segments: tuple[_Segment, ...]

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: literal segments (0) before templated ones (1), from left to right."""
        return tuple(0 if s.literal is not None else 1 for s in self.segments)


def _compile_segment(text: str) -> _Segment:
    names = tuple(_TEMPLATE_RE.findall(text))
    if not names:
        return _Segment(text, None, ())
    regex = "".join(
        f"(?P<{part}>[^/]+?)" if i % 2 else re.escape(part) for i, part in enumerate(_TEMPLATE_RE.split(text))
    )
    return _Segment(None, re.compile(f"^{regex}$"), names)


@dataclass(frozen=True)
class RouteMatch:
    action: Action
    path_params: dict[str, str]


class ActionRouter:
    """Match ``(method, path)`` to an :class:`Action`; literal segments win over templates."""

    def __init__(self, actions: Iterable[Action]) -> None:
        by_shape: dict[int, list[_Route]] = {}
        for action in actions:
            segments = tuple(_compile_segment(s) for s in action.path.strip("/").split("/"))
            by_shape.setdefault(len(segments), []).append(_Route(action, segments))
        self._routes = {n: sorted(routes, key=lambda r: r.specificity) for n, routes in by_shape.items()}

    def match(self, method: str, path: str) -> tuple[RouteMatch | None, tuple[str, ...]]:
        """The best match for this method, and the methods other actions accept on the same path."""
        parts = path.strip("/").split("/") if path.strip("/") else []
        if path.endswith("/") and path != "/":
            return None, ()
        allowed: list[str] = []
        for route in self._routes.get(len(parts), ()):
            params = _match_segments(route.segments, parts)
            if params is None:
                continue
            if route.action.method == method:
                return RouteMatch(route.action, params), ()
            if route.action.method not in allowed:
                # Only a method match at the same specificity counts as "this path, other method".
                allowed.append(route.action.method)
        return None, tuple(allowed)


def _match_segments(segments: Sequence[_Segment], parts: Sequence[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for seg, part in zip(segments, parts, strict=True):
        if seg.literal is not None:
            if seg.literal != part:
                return None
            continue
        assert seg.pattern is not None
        m = seg.pattern.match(part)
        if m is None:
            return None
        params.update(m.groupdict())
    return params


# -- values ------------------------------------------------------------------------------------
class _Invalid(ValueError):
    pass


def coerce(schema: Mapping[str, Any], raw: str) -> Any:
    """Convert one raw string to the schema's type, checking enum, pattern and date-time format."""
    kind = schema.get("type", "string")
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _Invalid("expected true or false")
        value: Any = raw == "true"
    elif kind in ("integer", "number"):
        try:
            value = int(raw) if kind == "integer" else float(raw)
        except ValueError:
            raise _Invalid(f"expected a{'n integer' if kind == 'integer' else ' number'}") from None
    else:
        value = raw
        if schema.get("format") == "date-time":
            normal = parse_datetime(raw)
            if normal is None:
                raise _Invalid("expected a date-time in the YYYY-MM-DDThh:mm:ss.sssZ format")
            value = normal
        if len(raw) < schema.get("minLength", 0) or len(raw) > schema.get("maxLength", len(raw)):
            raise _Invalid(f"expected a length within {schema.get('minLength', 0)}..{schema.get('maxLength', 'any')}")
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, raw):
            what = "a valid ID (24 hexadecimal characters)" if schema.get("format") == "ObjectId" else pattern
            raise _Invalid(f"expected {what}")
        if schema.get("format") == "ObjectId":
            value = raw.lower()
    enum = schema.get("enum")
    if enum is not None and raw not in enum and value not in enum:
        raise _Invalid(f"expected one of {', '.join(map(str, dict.fromkeys(enum)))}")
    return value


# -- query -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    """One bracket filter, e.g. ``completedAt[gte]=...`` -> ``Filter("completedAt", "gte", "2024-...")``."""

    name: str
    op: str
    value: Any


@dataclass
class ParsedQuery:
    filters: list[Filter] = field(default_factory=list)
    plain: dict[str, Any] = field(default_factory=dict)
    next: str | None = None
    filter_pairs: list[tuple[str, str]] = field(default_factory=list)
    """The raw filter pairs, in order: what a pagination cursor has to carry to preserve the filters."""


def _bad_query(message: str) -> ApiError:
    return undocumented("invalidQueryParameter", message)


def parse_query(action: Action, pairs: Sequence[tuple[str, str]], *, allow_next: bool = True) -> ParsedQuery:
    """Validate query pairs against the action's declared parameters (unknown ones are errors)."""
    declared = {p.name: p for p in action.query_parameters}
    grouped: dict[tuple[str, str | None], list[str]] = {}
    out = ParsedQuery()
    for key, raw in pairs:
        if key == NEXT and allow_next and action.is_paginated:
            if out.next is not None:
                raise _bad_query("query parameter 'next' is given more than once")
            out.next = raw
            continue
        m = _BRACKET_RE.match(key)
        name, op = (m.group(1), m.group(2)) if m else (key, None)
        param = declared.get(name)
        if param is None:
            known = sorted(declared) + ([NEXT] if action.is_paginated else [])
            raise _bad_query(
                f"unknown query parameter {key!r} for {action.describe()}; "
                f"accepted: {', '.join(known) if known else 'none'}"
            )
        if param.is_filter and op is None:
            ops = ", ".join(f"{name}[{o}]" for o in param.operators)
            raise _bad_query(f"query parameter {name!r} is a filter: use the bracket notation ({ops})")
        if not param.is_filter and op is not None:
            raise _bad_query(f"query parameter {name!r} takes no bracket operator (got {key!r})")
        if op is not None and op not in param.operators:
            raise _bad_query(
                f"unknown operator {op!r} in {key!r}; {name!r} accepts {', '.join(param.operators) or 'none'}"
            )
        grouped.setdefault((name, op), []).append(raw)
        if param.is_filter:
            out.filter_pairs.append((key, raw))
    for (name, op), raws in grouped.items():
        param = declared[name]
        schema = param.schema["properties"][op] if op is not None else param.schema
        label = f"{name}[{op}]" if op is not None else name
        try:
            value = _coerce_param(schema, raws, label)
        except _Invalid as exc:
            raise _bad_query(f"invalid value for query parameter {label!r}: {exc}") from None
        if op is not None:
            out.filters.append(Filter(name, op, value))
        else:
            out.plain[name] = value
    missing = [p.name for p in action.query_parameters if p.required and p.name not in out.plain]
    if missing:
        raise _bad_query(f"missing required query parameter(s): {', '.join(missing)}")
    return out


def _coerce_param(schema: Mapping[str, Any], raws: Sequence[str], label: str) -> Any:
    if schema.get("type") == "array":
        items = schema.get("items", {})
        values = [v for raw in raws for v in raw.split(",")]  # an empty item is the empty string: items judge it
        return frozenset(coerce(items, v) for v in values)
    if len(raws) > 1:
        raise _Invalid(f"{label!r} is given {len(raws)} times but takes a single value")
    return coerce(schema, raws[0])


def check_path_params(action: Action, params: Mapping[str, str]) -> dict[str, Any]:
    """Validate path parameters (ObjectId patterns, enums) and normalise ids to lower case."""
    out: dict[str, Any] = {}
    by_name: dict[str, Parameter] = {p.name: p for p in action.path_parameters}
    for name, raw in params.items():
        param = by_name.get(name)
        if param is None:
            out[name] = raw
            continue
        try:
            out[name] = coerce(param.schema, raw)
        except _Invalid as exc:
            raise undocumented("badRequest", f"invalid path parameter {name!r} ({raw!r}): {exc}") from None
    return out


def check_headers(action: Action, headers: Mapping[str, str]) -> None:
    """Check declared header parameters; a missing or bad ``360-api-version`` is ``invalidApiVersion``."""
    for param in action.parameters:
        if param.location != "header":
            continue
        raw = headers.get(param.name.lower())
        code = "invalidApiVersion" if param.name.lower() == "360-api-version" else "badRequest"
        accepted = ", ".join(map(str, param.schema.get("enum", ()))) or "a value"
        if raw is None:
            if param.required:
                raise undocumented(code, f"missing header {param.name!r}; expected {accepted}")
            continue
        try:
            coerce(param.schema, raw)
        except _Invalid:
            raise undocumented(code, f"unsupported {param.name!r} header value {raw!r}; expected {accepted}") from None


def declared_actions() -> ActionRouter:
    return ActionRouter(ACTIONS.values())
