"""Turn pages of 360Learning API rows into typed, table-shaped pandas frames.

The column layout of a list action comes from the official OpenAPI documents through the action
registry, never from a hand-written list, so every list action gets a table and a schema change in
the documents is a change in the table.

**The typing rule.** ``columns_for(action)`` reads the row schema of the action's success response
(the ``items`` of the array; ``$ref`` followed, ``allOf`` merged; a row that is an ``anyOf``/``oneOf``
of objects gets the union of the branches' properties, required only when every branch requires
it). Each top-level property becomes one column:

=====================================  ===========  ===========================================
schema of the property                 kind         pandas dtype in the frame
=====================================  ===========  ===========================================
``string`` with ``format: date-time``  timestamp    ``datetime64[us, UTC]`` (tz-aware, UTC)
any other ``string``                   text         ``string``
``integer``                            integer      ``Int64``
``number``                             float        ``Float64``
``boolean``                            boolean      ``boolean``
object, array, ``oneOf``/``anyOf``,    json         ``string`` holding compact JSON with
anything else                                       sorted keys (one column for the whole value)
=====================================  ===========  ===========================================

Column names are the snake_case of the API field (``_id`` -> ``id``, ``completedAt`` ->
``completed_at``, ``pathSessionId`` -> ``path_session_id``); a column is *required* when the field
is in the schema's ``required`` list. A row schema that is a scalar (an array of IDs) gives one
column named ``value``.

**Type drift: the row is quarantined, never the load.** A declared field keeps the schema's kind on
every dialect. A row that does not fit (not an object, a required field missing or null, a value of
the wrong type such as ``"progress": "abc"``, a date-time that does not parse, an object where a
scalar is declared, an integer beyond 64 bits, a number beyond a double, ``NaN`` or ``Infinity``
anywhere in the row, a NUL character in a key) is returned as a :class:`Reject` naming the field and
the problem; it is neither dropped silently nor fatal to the page, and the warehouse keeps the row's
previous copy. Timestamps use microseconds, not nanoseconds, so far-future sentinel dates such as
``9999-12-31`` stay representable.

**Fields the schema does not declare** (new API fields) become ``text`` columns: strings as they are,
any other value as compact JSON. They have no declared type to drift from, so a new field whose
values change type (``5`` then ``"s0"``) can never block a load. Their names follow the same
snake_case, kept only when the name maps back to the field exactly (``badgeName`` ->
``badge_name``) and is not a declared column's; otherwise, and for any name longer than
:data:`MAX_IDENTIFIER` characters (PostgreSQL's limit, the smallest of the common warehouses), the
name is cut and given a stable suffix hashed from the field (``some_field_1a2b3c4d``), so two fields
never share a column whatever order they arrive in. Past :data:`DEFAULT_MAX_COLUMNS` columns, further
new fields go into one JSON object column, :data:`OVERFLOW_COLUMN`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import msgspec

from airflow_provider_360learning.actions.registry import deref, resolve

if TYPE_CHECKING:  # pandas and numpy are imported where frames are built: a DAG importing Column stays light
    import pandas as pd

    from airflow_provider_360learning.actions.registry import Action

Kind = Literal["text", "timestamp", "integer", "float", "boolean", "json"]
KINDS: tuple[Kind, ...] = get_args(Kind)

KEY_SOURCE = "_id"
"""The API field that identifies an object; its column is ``id``."""
SCALAR_SOURCE = ""
"""``Column.source`` of the single column of a scalar row (``list_user_managers`` returns IDs)."""
SCALAR_COLUMN = "value"

TIMESTAMP_DTYPE = "datetime64[us, UTC]"
PANDAS_DTYPES: Mapping[Kind, str] = {
    "text": "string",
    "timestamp": TIMESTAMP_DTYPE,
    "integer": "Int64",
    "float": "Float64",
    "boolean": "boolean",
    "json": "string",
}

MAX_IDENTIFIER = 63
"""Longest column name written: PostgreSQL and Redshift truncate at 63 bytes, MySQL refuses past 64."""
DEFAULT_MAX_COLUMNS = 400
"""Columns a table gets before new API fields overflow into :data:`OVERFLOW_COLUMN` (PostgreSQL allows 1,600)."""
OVERFLOW_COLUMN = "_extra"
"""JSON object of the undeclared fields that arrived after the table reached its column limit."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_FLOAT_MAX = int(1.7976931348623157e308)
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD_RE = re.compile(r"[^a-z0-9_]+")
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# msgspec (a dependency of ours and of Airflow) encodes ~10x faster than json, to the same compact sorted text
_FAST_JSON = msgspec.json.Encoder(order="sorted")
_JSON_PAYLOAD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)


@dataclass(frozen=True)
class Column:
    """One warehouse column: its name, the API field it comes from, its kind, and whether the API requires it."""

    name: str
    source: str
    kind: Kind
    required: bool = False
    declared: bool = True
    """False for a field the schema does not declare: a text column taking any value (non-strings as JSON)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")


@dataclass
class Reject:
    """A row that did not fit its columns, kept whole so that nothing is lost silently.

    ``key_values`` are the row's values of the table's key columns, when it has them all: a full
    refresh keeps the warehouse's previous copy of that key instead of sweeping it.
    """

    key: str | None
    reason: str
    payload: str
    key_values: tuple[Any, ...] | None = None


# --- column derivation ------------------------------------------------------------------------------


def warehouse_name(field: str) -> str:
    """The warehouse name of an API field: snake_case, leading underscores dropped, SQL-safe characters,
    at most :data:`MAX_IDENTIFIER` characters (a longer one is cut and suffixed with a hash of the field)."""
    name = _CAMEL_RE.sub("_", field.lstrip("_")).lower()
    name = _NON_WORD_RE.sub("_", name).strip("_")
    name = re.sub(r"__+", "_", name)
    if not name:
        name = "field"
    elif name[0].isdigit():
        name = f"f_{name}"
    return name if len(name) <= MAX_IDENTIFIER else hashed_name(name, field)


def hashed_name(name: str, field: str) -> str:
    """``name`` cut to fit :data:`MAX_IDENTIFIER` with an 8-character suffix hashed from ``field`` (stable)."""
    digest = hashlib.sha1(field.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9].rstrip('_')}_{digest}"


def extra_column_name(field: str, declared: set[str]) -> str:
    """The column of an undeclared field, the same whatever other fields exist or the order they come in.

    The snake_case name is kept only when it maps back to exactly this field (``badgeName`` ->
    ``badge_name`` -> ``badgeName``), so no two fields can claim it, and when no declared column has
    it; any other field gets the hashed form.
    """
    name = warehouse_name(field)
    head, *rest = name.split("_")
    if head + "".join(part.capitalize() for part in rest) == field and name not in declared:
        return name
    return hashed_name(name, field)


def _merged(doc: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with ``$ref`` followed and ``allOf`` parts merged (properties and required united)."""
    node = deref(doc, node)
    if not isinstance(node, Mapping):
        return {}
    if "allOf" not in node:
        return dict(node)
    out: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    properties: dict[str, Any] = dict(out.get("properties", {}))
    required: list[str] = list(out.get("required", []))
    for part in node["allOf"]:
        merged = _merged(doc, part)
        properties.update(merged.pop("properties", {}))
        required.extend(r for r in merged.pop("required", []) if r not in required)
        for key, value in merged.items():
            out.setdefault(key, value)
    if properties:
        out["properties"] = properties
    if required:
        out["required"] = required
    return out


def schema_kind(doc: Mapping[str, Any], node: Any) -> Kind:
    """The column kind of one property schema (the typing rule of the module docstring)."""
    schema = _merged(doc, node)
    if "oneOf" in schema or "anyOf" in schema:
        return "json"
    declared = schema.get("type")
    if isinstance(declared, list):  # OpenAPI 3.1 ``["string", "null"]``
        types = [t for t in declared if t != "null"]
        declared = types[0] if len(types) == 1 else None
    if declared == "string":
        return "timestamp" if schema.get("format") == "date-time" else "text"
    if declared == "integer":
        return "integer"
    if declared == "number":
        return "float"
    if declared == "boolean":
        return "boolean"
    return "json"


def row_schema(action: Action) -> dict[str, Any]:
    """The merged schema of one row of a list action (``items`` of its success response)."""
    ok = action.success_response
    if ok is None or ok.schema_pointer is None or not action.returns_list:
        raise ValueError(f"{action.describe()} is not a list action: it has no array success response")
    doc = action.document.contents
    return _merged(doc, resolve(doc, ok.schema_pointer).get("items", {}))


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def columns_for(action: Action) -> list[Column]:
    """The typed columns of a list action's rows, derived from its row schema (see the module docstring)."""
    doc = action.document.contents
    schema = row_schema(action)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches and "properties" not in schema:
        parts = [_merged(doc, branch) for branch in branches]
        if not all("properties" in part for part in parts):
            return [Column(SCALAR_COLUMN, SCALAR_SOURCE, "json", True)]
        properties: dict[str, Kind] = {}
        for part in parts:
            for field, sub in part["properties"].items():
                kind = schema_kind(doc, sub)
                properties[field] = kind if properties.get(field, kind) == kind else "json"
        required = set.intersection(*(set(part.get("required", [])) for part in parts))
    elif "properties" in schema:
        properties = {field: schema_kind(doc, sub) for field, sub in schema["properties"].items()}
        required = set(schema.get("required", []))
    else:
        return [Column(SCALAR_COLUMN, SCALAR_SOURCE, schema_kind(doc, schema), True)]
    # ``_id`` claims ``id`` even if the schema also has a field that would snake_case to it.
    ordered = sorted(properties, key=lambda f: f != KEY_SOURCE)
    taken: set[str] = set()
    names = {field: _unique(warehouse_name(field), taken) for field in ordered}
    return [Column(names[field], field, properties[field], field in required) for field in properties]


def key_columns(columns: Sequence[Column]) -> tuple[str, ...]:
    """``("id",)`` when the rows carry ``_id``; otherwise the required scalar columns (a natural-key guess).

    Rows of nested resources (``list_group_memberships``...) do not carry their parent's ID: the caller
    must then add it to the rows and to the key.
    """
    for column in columns:
        if column.source == KEY_SOURCE:
            return (column.name,)
    return tuple(c.name for c in columns if c.required and c.kind != "json")


# --- page conversion --------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = _nul_escaped(_JSON_PAYLOAD.encode(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _nul_escaped(text: str) -> str:
    """NUL characters written as the JSON escape ``\\u0000``: a reject must be storable on every database."""
    return text.replace("\x00", "\\u0000")


def infer_extra_columns(
    items: Sequence[Any],
    columns: Sequence[Column],
    *,
    max_columns: int = DEFAULT_MAX_COLUMNS,
    existing: frozenset[str] = frozenset(),
) -> list[Column]:
    """Text columns for the fields of ``items`` that ``columns`` do not declare (new API fields).

    A field whose column the table already has (``existing``) keeps it; a new one gets a column while
    the table has fewer than ``max_columns``; past that, the :data:`OVERFLOW_COLUMN` (JSON) column is
    returned once, and the fields without a column go there. A field whose values are all null gets no
    column until a value comes.
    """
    dicts = [row for row in items if isinstance(row, dict)]
    if not dicts:
        return []
    known = {c.source for c in columns}
    fields = {f for f in set().union(*dicts) - known if any(row.get(f) is not None for row in dicts)}
    if not fields:
        return []
    declared = {c.name for c in columns}
    room = max_columns - len(declared | existing)
    extras: list[Column] = []
    overflow = False
    for field in sorted(fields, key=str):
        name = extra_column_name(str(field), declared)
        if name not in existing:
            if room <= 0:
                overflow = True
                continue
            room -= 1
        extras.append(Column(name, str(field), "text", False, declared=False))
    if overflow and OVERFLOW_COLUMN not in declared:
        extras.append(Column(OVERFLOW_COLUMN, OVERFLOW_COLUMN, "json", False))
    return extras


def non_finite_fields(value: Any, path: str = "") -> list[str]:
    """The paths of the ``NaN``/``Infinity`` numbers inside a decoded value (a lenient JSON parser makes them)."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path or "value"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite_fields(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite_fields(v, f"{path}[{i}]")]
    return []


class _Problems:
    """Row index -> reasons, filled column by column."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}

    def add(self, index: int, reason: str) -> None:
        self.by_row.setdefault(index, []).append(reason)


_NONE_TYPE = type(None)


def _convert(column: Column, values: list[Any], problems: _Problems, *, key: bool = False) -> Any:
    """Check one column's values against its kind (marking misfits) and build its typed array.

    The common case, a column whose values all have the right type, costs one C-level pass
    (``set(map(type, values))``); per-value loops run only over columns that hold a misfit.
    """
    import numpy as np
    import pandas as pd

    kind = column.kind
    field = column.source or SCALAR_COLUMN
    types = set(map(type, values))

    def misfit(expected: str, accept: tuple[type, ...]) -> None:
        if types <= {_NONE_TYPE, *accept}:
            return
        for i, v in enumerate(values):
            if v is not None and (type(v) not in accept):
                problems.add(i, f"field {field!r}: expected {expected}, got {_type_name(v)} {_shown(v)}")
                values[i] = None

    if column.required and _NONE_TYPE in types:
        for i, v in enumerate(values):
            if v is None:
                problems.add(i, f"field {field!r}: required but missing or null")

    if kind == "json":
        return pd.array(_json_texts(values), dtype="string")
    if kind == "text" and not column.declared:  # any value: non-strings as JSON text
        if not types <= {_NONE_TYPE, str}:
            values = [v if v is None or type(v) is str else encode_json(v).decode() for v in values]
        return pd.array(values, dtype="string")
    if kind == "text":
        misfit("string", (str,))
        if key and str in types:
            for i, v in enumerate(values):
                if v is not None and "\x00" in v:
                    problems.add(i, f"field {field!r}: the key holds a NUL character, which warehouses cannot store")
                    values[i] = None
        return pd.array(values, dtype="string")
    if kind == "boolean":
        misfit("boolean", (bool,))
        return pd.array(values, dtype="boolean")
    if kind == "float":
        misfit("number", (float, int))
        try:
            return pd.array(values, dtype="Float64")
        except OverflowError:  # an integer beyond a double's range
            for i, v in enumerate(values):
                if type(v) is int and not -_FLOAT_MAX <= v <= _FLOAT_MAX:
                    problems.add(i, f"field {field!r}: number {_shown(v)} is out of range for a double")
                    values[i] = None
            return pd.array(values, dtype="Float64")
    if kind == "integer":
        misfit("integer", (int, float))
        if float in types:
            for i, v in enumerate(values):
                if type(v) is float and not v.is_integer():
                    problems.add(i, f"field {field!r}: expected integer, got non-integral number {v!r}")
                    values[i] = None
        try:
            return pd.array(values, dtype="Int64")
        except (OverflowError, TypeError, ValueError):
            for i, v in enumerate(values):
                if v is not None and not _INT64_MIN <= v <= _INT64_MAX:
                    problems.add(i, f"field {field!r}: integer {_shown(v)} does not fit in 64 bits")
                    values[i] = None
            return pd.array(values, dtype="Int64")
    # timestamp
    misfit("date-time string", (str,))
    raw = pd.Series(values, dtype=object)
    parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    unparsed = np.flatnonzero(parsed.isna().to_numpy() & raw.notna().to_numpy())
    for position in unparsed.tolist():
        problems.add(position, f"field {field!r}: date-time {_shown(values[position])} does not parse")
    return parsed.astype(TIMESTAMP_DTYPE).array


def encode_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, as bytes (what JSON columns hold, whichever path wrote them)."""
    try:
        return _FAST_JSON.encode(value)
    except (TypeError, OverflowError, ValueError):  # e.g. an integer beyond 64 bits: the json module takes it
        return _JSON.encode(value).encode()


def _json_texts(values: list[Any]) -> list[str | None]:
    """Compact JSON with sorted keys for each value (None stays None)."""
    return [None if v is None else encode_json(v).decode() for v in values]


def page_to_frame(
    items: Sequence[Any],
    columns: Sequence[Column],
    *,
    key: Sequence[str] = (),
    max_columns: int = DEFAULT_MAX_COLUMNS,
    existing: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, list[Reject], list[Column]]:
    """One page of API rows as a typed frame, the rows that did not fit, and columns for undeclared fields.

    The frame has one column per declared column, then one per extra column (third element), with
    the dtypes of the module docstring; rejected rows are not in it. Values are checked column by
    column over the whole page, so the cost is a few passes per column rather than per-row logic.
    ``key`` names the table's key columns: a NUL character there rejects the row (PostgreSQL drops
    it, so two keys differing only by a NUL would collide), and rejects carry their key values.
    ``existing`` names the table's columns, so that a field keeps its column from one load to the next.
    """
    import numpy as np
    import pandas as pd

    scalar_rows = len(columns) == 1 and columns[0].source == SCALAR_SOURCE
    rows: list[Any] = [{SCALAR_SOURCE: item} for item in items] if scalar_rows else list(items)
    problems = _Problems()
    not_objects = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.add(i, f"row is not a JSON object (got {_type_name(row)})")
            not_objects.add(i)
            rows[i] = {}
    extras = [] if scalar_rows else infer_extra_columns(rows, columns, max_columns=max_columns, existing=existing)
    all_columns = [*columns, *extras]
    data: dict[str, Any] = {}
    for column in all_columns:
        source = column.source
        if source == OVERFLOW_COLUMN:
            values = _overflow_values(rows, {c.source for c in all_columns})
        else:
            values = [row.get(source) for row in rows]
        data[column.name] = _convert(column, values, problems, key=column.name in key)
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=pd.RangeIndex(len(rows)))
    rejects: list[Reject] = []
    if problems.by_row:
        bad = sorted(problems.by_row)
        for i in bad:
            reason = problems.by_row[i][0] if i in not_objects else "; ".join(problems.by_row[i])
            rejects.append(reject(items[i], reason, key_sources(all_columns, key)))
        keep = np.ones(len(rows), dtype=bool)
        keep[bad] = False
        frame = frame.loc[keep].reset_index(drop=True)
    return frame, rejects, extras


def _overflow_values(rows: Sequence[dict[str, Any]], sources: set[str]) -> list[Any]:
    """Each row's fields that have no column, as one object (None when it has none)."""
    out: list[Any] = []
    for row in rows:
        rest = {k: v for k, v in row.items() if k not in sources and v is not None}
        out.append(rest or None)
    return out


def key_sources(columns: Sequence[Column], key: Sequence[str]) -> tuple[str, ...]:
    """The API fields of the key columns (empty when a key column has no field here)."""
    by_name = {c.name: c.source for c in columns}
    return tuple(by_name[k] for k in key) if all(k in by_name for k in key) else ()


def reject(row: Any, reason: str, key_fields: Sequence[str] = ()) -> Reject:
    """A :class:`Reject` of a raw row: its ``_id``, the reason, the whole row as JSON, its key values."""
    key = row.get(KEY_SOURCE) if isinstance(row, dict) else None
    values = tuple(row.get(f) for f in key_fields) if isinstance(row, dict) and key_fields else ()
    return Reject(
        key=None if key is None else _nul_escaped(str(key)),
        reason=reason,
        payload=_nul_escaped(_JSON_PAYLOAD.encode(row)),
        # A key holding NUL cannot be in the warehouse: no previous copy to keep.
        key_values=values if values and all(v is not None and "\x00" not in str(v) for v in values) else None,
    )


def quarantine_non_finite(items: Sequence[Any], key_fields: Sequence[str] = ()) -> tuple[list[Any], list[Reject]]:
    """Split rows holding ``NaN``/``Infinity`` (how a lenient parser reads ``NaN`` or ``1e999``) from the rest."""
    clean: list[Any] = []
    rejects: list[Reject] = []
    for row in items:
        paths = non_finite_fields(row)
        if paths:
            fields = ", ".join(repr(p) for p in paths[:5])
            rejects.append(
                reject(row, f"field {fields}: not a finite number (NaN, Infinity or out of range)", key_fields)
            )
        else:
            clean.append(row)
    return clean, rejects


# --- strict typed decoding (the fast path) ----------------------------------------------------------

_STRICT_TYPES: Mapping[Kind, Any] = {
    "text": str,
    "timestamp": Annotated[dt.datetime, msgspec.Meta(tz=True)],
    "integer": Annotated[int, msgspec.Meta(ge=_INT64_MIN, le=_INT64_MAX)],
    "float": float,
    "boolean": bool,
    "json": Any,
}


class TypedPageDecoder:
    """Decode a page's JSON body straight into rows of typed values, or say it needs :func:`page_to_frame`.

    The decoding runs in C (msgspec) against a row type built from the columns, and it is *stricter*
    than the typing rule of :func:`page_to_frame`: a row with an undeclared field, a missing or null
    required field or key, a value of another type, an integral float for an integer, a date-time
    without a time zone or an integer beyond 64 bits fails the whole page, which then goes through
    :func:`page_to_frame` (rejects, new columns, lenient parsing). A page it accepts gives the same
    values that :func:`page_to_frame` gives: text as ``str``, timestamps as aware ``datetime``,
    integers as ``int``, numbers as ``float``, booleans as ``bool``, JSON values as Python objects.
    Bodies holding ``\\u0000`` are refused too (PostgreSQL text and jsonb cannot hold NUL; the
    frame path drops it).

    :param columns: the table's columns (``self.columns`` has them in the order of the row tuples).
    :param key: warehouse names of key columns, required non-null whatever the schema says.
    """

    def __init__(self, columns: Sequence[Column], key: Sequence[str] = ()) -> None:
        if any(c.source == SCALAR_SOURCE for c in columns):
            raise ValueError("typed decoding needs object rows, not scalars")
        # A struct's fields without default must precede those with one: the required columns come
        # first, and the rows' tuples follow this order (``columns``), so no per-row reordering.
        required = [c for c in columns if c.required or c.name in key]
        self.columns: tuple[Column, ...] = (*required, *(c for c in columns if c not in required))
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for i, column in enumerate(self.columns):
            strict = _STRICT_TYPES[column.kind]
            if i < len(required):
                fields.append((f"f{i}", strict))
            else:
                fields.append((f"f{i}", strict if column.kind == "json" else strict | None, None))
        row_type = msgspec.defstruct(
            "Row",
            fields,
            rename={f"f{i}": c.source for i, c in enumerate(self.columns)},
            forbid_unknown_fields=True,
        )
        self._required_json = [i for i, c in enumerate(required) if c.kind == "json"]
        self._decoder = msgspec.json.Decoder(list[row_type])  # type: ignore[valid-type]

    def decode(self, body: bytes) -> list[tuple[Any, ...]] | None:
        """The page's rows as tuples in the order of :attr:`columns`, or ``None`` when it must take the frame path."""
        if b"\\u0000" in body:
            return None
        try:
            structs = self._decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None
        rows = list(map(msgspec.structs.astuple, structs))
        for i in self._required_json:
            if any(row[i] is None for row in rows):
                return None
        return rows

    def newest(
        self,
        rows: Sequence[tuple[Any, ...]],
        field: str | None,
        current: dt.datetime | None,
        ceiling: dt.datetime | None = None,
    ) -> tuple[dt.datetime | None, list[tuple[Any, Any]]]:
        """Like ``page_loader.newest_value`` for decoded rows: the later of ``current`` and the rows'
        largest ``field`` up to ``ceiling``, and ``(key, value)`` of the rows beyond it."""
        index = next((i for i, c in enumerate(self.columns) if c.source == field), None)
        if index is None:
            return current, []
        values = [row[index] for row in rows if row[index] is not None]
        late: list[tuple[Any, Any]] = []
        if ceiling is not None and values and max(values) > ceiling:
            key = next((i for i, c in enumerate(self.columns) if c.source == KEY_SOURCE), 0)
            late = [
                (row[key], row[index].isoformat()) for row in rows if row[index] is not None and row[index] > ceiling
            ]
            values = [v for v in values if v <= ceiling]
        newest = max(values, default=None)
        if newest is None:
            return current, late
        newest = newest.astimezone(dt.UTC)
        return (newest if current is None or newest > current else current), late
