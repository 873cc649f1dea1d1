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

Fields a row carries that the schema does not declare (new API fields) become extra columns whose
kind is inferred from the page's values (all ``str`` -> text, all ``bool`` -> boolean, all ``int``
-> integer, ``int``/``float`` -> float, anything else -> json); pass them back with the declared
columns on the next pages so their kind stays stable.

A row that does not fit (not an object, a required field missing or null, a value of the wrong
type such as ``"progress": "abc"``, a date-time that does not parse, an object where a scalar is
declared, an integer beyond 64 bits) is returned as a :class:`Reject` naming the field and the
problem; it is neither dropped silently nor fatal to the page. Timestamps use microseconds, not
nanoseconds, so far-future sentinel dates such as ``9999-12-31`` stay representable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
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

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")


@dataclass
class Reject:
    """A row that did not fit its columns, kept whole so that nothing is lost silently."""

    key: str | None
    reason: str
    payload: str


# --- column derivation ------------------------------------------------------------------------------


def warehouse_name(field: str) -> str:
    """The warehouse name of an API field: snake_case, leading underscores dropped, SQL-safe characters."""
    name = _CAMEL_RE.sub("_", field.lstrip("_")).lower()
    name = _NON_WORD_RE.sub("_", name).strip("_")
    name = re.sub(r"__+", "_", name)
    if not name:
        return "field"
    return f"f_{name}" if name[0].isdigit() else name


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
    text = _JSON_PAYLOAD.encode(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _infer_kind(values: Iterable[Any]) -> Kind | None:
    """Kind of an undeclared field from its non-null values; None when the page has only nulls."""
    types = {type(v) for v in values if v is not None}
    if not types:
        return None
    if types == {str}:
        return "text"
    if types == {bool}:
        return "boolean"
    if types == {int}:
        return "integer"
    if types <= {int, float}:
        return "float"
    return "json"


def infer_extra_columns(items: Sequence[Any], columns: Sequence[Column]) -> list[Column]:
    """Columns for the fields of ``items`` that ``columns`` do not declare (new API fields)."""
    dicts = [row for row in items if isinstance(row, dict)]
    if not dicts:
        return []
    declared = {c.source for c in columns}
    fields = set().union(*dicts) - declared
    taken = {c.name for c in columns}
    extras = []
    for field in sorted(fields, key=str):
        kind = _infer_kind([row.get(field) for row in dicts])
        if kind is not None:
            extras.append(Column(_unique(warehouse_name(str(field)), taken), str(field), kind, False))
    return extras


class _Problems:
    """Row index -> reasons, filled column by column."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}

    def add(self, index: int, reason: str) -> None:
        self.by_row.setdefault(index, []).append(reason)


_NONE_TYPE = type(None)


def _convert(column: Column, values: list[Any], problems: _Problems) -> Any:
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
    if kind == "text":
        misfit("string", (str,))
        return pd.array(values, dtype="string")
    if kind == "boolean":
        misfit("boolean", (bool,))
        return pd.array(values, dtype="boolean")
    if kind == "float":
        misfit("number", (float, int))
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


def page_to_frame(items: Sequence[Any], columns: Sequence[Column]) -> tuple[pd.DataFrame, list[Reject], list[Column]]:
    """One page of API rows as a typed frame, the rows that did not fit, and columns for undeclared fields.

    The frame has one column per declared column, then one per extra column (third element), with
    the dtypes of the module docstring; rejected rows are not in it. Values are checked column by
    column over the whole page, so the cost is a few passes per column rather than per-row logic.
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
    extras = [] if scalar_rows else infer_extra_columns(rows, columns)
    data: dict[str, Any] = {}
    for column in [*columns, *extras]:
        source = column.source
        data[column.name] = _convert(column, [row.get(source) for row in rows], problems)
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=pd.RangeIndex(len(rows)))
    rejects: list[Reject] = []
    if problems.by_row:
        bad = sorted(problems.by_row)
        for i in bad:
            original = items[i]
            key = original.get(KEY_SOURCE) if isinstance(original, dict) else None
            rejects.append(
                Reject(
                    key=None if key is None else str(key),
                    reason=problems.by_row[i][0] if i in not_objects else "; ".join(problems.by_row[i]),
                    payload=_JSON_PAYLOAD.encode(original),
                )
            )
        keep = np.ones(len(rows), dtype=bool)
        keep[bad] = False
        frame = frame.loc[keep].reset_index(drop=True)
    return frame, rejects, extras


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
        self, rows: Sequence[tuple[Any, ...]], field: str | None, current: dt.datetime | None
    ) -> dt.datetime | None:
        """Like :func:`newest_value` for decoded rows: the later of ``current`` and the rows' largest ``field``."""
        index = next((i for i, c in enumerate(self.columns) if c.source == field), None)
        if index is None:
            return current
        newest = max((row[index] for row in rows if row[index] is not None), default=None)
        if newest is None:
            return current
        newest = newest.astimezone(dt.UTC)
        return newest if current is None or newest > current else current
