"""Broken and hostile answers served on demand: "anomalies" a test arms per list path and clears.

A real API can end a paged answer early, write ``NaN`` or ``1e999`` where JSON allows neither, drift from its
declared types or add hundreds of fields; a warehouse load must survive all of it. The emulator otherwise serves
only rows that fit the official documents, so a test arms what it wants broken (``POST /_emulator/anomalies``,
``EmulatorServer.arm_anomaly``), for one list path or every path of one list action:

- ``truncate_after_pages``: page N is served without its ``Link`` header (later pages, asked with a cursor issued
  before, are empty), as a server that stops early would;
- ``literals``: fields of the chosen rows replaced by raw literals that strict JSON rejects or that overflow
  (``NaN``, ``Infinity``, ``-Infinity``, ``1e999``): the emulator writes those bytes itself;
- ``values``: fields of the chosen rows set to any JSON value (type drift, a far-future date, a key with a NUL);
- ``extra_fields``: N undeclared fields added to the chosen rows (``extra_prefix`` + a 4-digit number).

Rows are chosen by ``_id`` (``ids``), as the first k rows of the whole answer (``first``), or all of them. Everything
is deterministic: the same anomalies on the same data give the same bytes. Each changed answer names the anomalies
in :data:`ANOMALY_HEADER` and the indices of the rows it broke in :data:`ROWS_HEADER`, so the contract check skips
exactly those rows (:func:`airflow_provider_360learning.testing.anomalies.without_broken_rows`). An armed path is
never answered from the page cache and its broken answers are never cached, so arming or clearing takes effect at
the next request. How a page is broken: :mod:`~airflow_provider_360learning.emulator.broken_pages`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.routing import ActionRouter

ANOMALY_HEADER = "X-Emulator-Anomaly"
"""Ids of the anomalies that changed this answer (comma-separated)."""
ROWS_HEADER = "X-Emulator-Anomaly-Rows"
"""0-based indices, in this answer's body, of the rows an anomaly changed (comma-separated)."""

SPEC_FIELDS = ("path", "truncate_after_pages", "ids", "first", "literals", "values", "extra_fields", "extra_prefix")
"""The keys of an anomaly's JSON body (and the keyword arguments of ``arm_anomaly``)."""
DEFAULT_EXTRA_PREFIX = "extraField"
_RAW_LITERAL = re.compile(r"NaN|-?Infinity|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
MAX_EXTRA_FIELDS = 100_000


class AnomalyError(ValueError):
    """An anomaly spec that cannot be armed; the message names the field."""


@dataclass(frozen=True)
class Anomaly:
    """One armed anomaly: where it applies, which rows it breaks and how."""

    id: str
    path: str
    action: str
    concrete_path: str | None
    truncate_after_pages: int | None = None
    ids: frozenset[str] | None = None
    first: int | None = None
    literals: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    extra_fields: int = 0
    extra_prefix: str = DEFAULT_EXTRA_PREFIX

    @property
    def breaks_rows(self) -> bool:
        return bool(self.literals or self.values or self.extra_fields)

    def applies_to(self, action: str, path: str) -> bool:
        return action == self.action and (self.concrete_path is None or self.concrete_path == path)

    def selects(self, row: Mapping[str, Any], index: int) -> bool:
        """Whether this anomaly breaks the row at this 0-based index of the whole answer."""
        if self.ids is not None:
            return row.get("_id") in self.ids
        return self.first is None or index < self.first

    def as_dict(self) -> dict[str, Any]:
        """The spec as armed (what ``GET /_emulator/anomalies`` lists), with its id and resolved action."""
        data: dict[str, Any] = {"id": self.id, "path": self.path, "action": self.action}
        if self.truncate_after_pages is not None:
            data["truncate_after_pages"] = self.truncate_after_pages
        if self.ids is not None:
            data["ids"] = sorted(self.ids)
        if self.first is not None:
            data["first"] = self.first
        if self.literals:
            data["literals"] = dict(self.literals)
        if self.values:
            data["values"] = dict(self.values)
        if self.extra_fields:
            data["extra_fields"] = self.extra_fields
            data["extra_prefix"] = self.extra_prefix
        return data


@cache
def _list_actions() -> tuple[frozenset[str], ActionRouter]:
    lists = [a for a in ACTIONS.values() if a.method == "GET" and a.returns_list]
    return frozenset(a.name for a in lists), ActionRouter(lists)


def resolve_list_path(path: str) -> tuple[str, str | None]:
    """A spec's ``path`` -> (list action, the concrete path, or ``None`` for every path of an action named)."""
    names, router = _list_actions()
    if not path.startswith("/"):
        if path not in names:
            raise ValueError(f"{path!r} is no list action of the 360Learning API (GET of a list)")
        return path, None
    if "{" in path:
        raise ValueError(f"{path!r} is a path template: name its action to break every path it stands for")
    match, _ = router.match("GET", path)
    if match is None:
        raise ValueError(f"{path!r} is no list path of the 360Learning API (e.g. /api/v2/paths/stats)")
    return match.action.name, path


def parse_spec(anomaly_id: str, spec: Mapping[str, Any]) -> Anomaly:
    """Check an anomaly's JSON spec; :class:`AnomalyError` names the first bad field."""
    if not isinstance(spec, Mapping):
        raise AnomalyError("an anomaly must be a JSON object")
    unknown = sorted(set(spec) - set(SPEC_FIELDS))
    if unknown:
        raise AnomalyError(f"unknown anomaly field(s) {unknown}; accepted: {', '.join(SPEC_FIELDS)}")
    path = spec.get("path")
    if not isinstance(path, str) or not path:
        raise AnomalyError(
            "anomaly field 'path' is required: a list path such as /api/v2/paths/stats or an action name"
        )
    try:
        action, concrete = resolve_list_path(path)
    except ValueError as exc:
        raise AnomalyError(f"anomaly field 'path': {exc}") from None
    truncate = _count(spec, "truncate_after_pages", minimum=1)
    first = _count(spec, "first", minimum=0)
    ids = spec.get("ids")
    if ids is not None:
        if isinstance(ids, str) or not isinstance(ids, Iterable) or not all(isinstance(i, str) for i in ids):
            raise AnomalyError("anomaly field 'ids' must be a list of row ids (strings)")
        if first is not None:
            raise AnomalyError("anomaly fields 'ids' and 'first' exclude each other: choose rows one way")
        ids = frozenset(ids)
    literals = _mapping(spec, "literals")
    for name, literal in literals.items():
        if not isinstance(literal, str) or not _RAW_LITERAL.fullmatch(literal):
            raise AnomalyError(
                f"anomaly field 'literals.{name}': {literal!r} is not a raw literal; "
                "expected NaN, Infinity, -Infinity or a number such as 1e999"
            )
    values = {name: _json_value(name, value) for name, value in _mapping(spec, "values").items()}
    extra = _count(spec, "extra_fields", minimum=0) or 0
    if extra > MAX_EXTRA_FIELDS:
        raise AnomalyError(f"anomaly field 'extra_fields' must be at most {MAX_EXTRA_FIELDS}, got {extra}")
    prefix = spec.get("extra_prefix", DEFAULT_EXTRA_PREFIX)
    if not isinstance(prefix, str) or not prefix:
        raise AnomalyError("anomaly field 'extra_prefix' must be a non-empty string")
    anomaly = Anomaly(anomaly_id, path, action, concrete, truncate, ids, first, dict(literals), values, extra, prefix)
    if truncate is None and not anomaly.breaks_rows:
        raise AnomalyError(
            "an anomaly needs at least one of 'truncate_after_pages', 'literals', 'values' or 'extra_fields'"
        )
    if (ids is not None or first is not None) and not anomaly.breaks_rows:
        raise AnomalyError("anomaly fields 'ids' and 'first' choose rows for 'literals', 'values' or 'extra_fields'")
    return anomaly


def _count(spec: Mapping[str, Any], name: str, *, minimum: int) -> int | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AnomalyError(f"anomaly field {name!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _mapping(spec: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = spec.get(name) or {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise AnomalyError(f"anomaly field {name!r} must be an object of field name -> value")
    return value


def _json_value(name: str, value: Any) -> Any:
    """A copy of a ``values`` entry, checked to be JSON (the armed anomaly never shares the caller's objects)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except ValueError:
        raise AnomalyError(
            f"anomaly field 'values.{name}' holds NaN or an infinity, which JSON cannot carry; arm it under 'literals'"
        ) from None
    except TypeError as exc:
        raise AnomalyError(f"anomaly field 'values.{name}' is not a JSON value ({exc})") from None


class Anomalies:
    """The anomalies armed on one emulator, in arming order; thread-safe (tests arm while the server serves)."""

    def __init__(self) -> None:
        self._armed: tuple[Anomaly, ...] = ()
        self._next = 1
        self._lock = threading.Lock()

    def arm(self, spec: Mapping[str, Any]) -> Anomaly:
        with self._lock:
            anomaly = parse_spec(f"a{self._next}", spec)
            self._next += 1
            self._armed = (*self._armed, anomaly)
            return anomaly

    def clear(self, anomaly_id: str | None = None) -> int:
        """Disarm one anomaly (by id) or all of them; how many were disarmed."""
        with self._lock:
            kept = tuple(a for a in self._armed if anomaly_id is not None and a.id != anomaly_id)
            cleared = len(self._armed) - len(kept)
            self._armed = kept
            if anomaly_id is None:
                self._next = 1  # ids start again after a reset: deterministic
            return cleared

    def listed(self) -> list[Anomaly]:
        return list(self._armed)

    def armed(self, action: str, path: str) -> tuple[Anomaly, ...]:
        """The anomalies applying to a request of this action on this path (cheap when none is armed)."""
        armed = self._armed
        if not armed:
            return ()
        return tuple(a for a in armed if a.applies_to(action, path))
