"""Bulk operations: submission (202 and ``Location``), states over the emulator's clock, per-object results.

A submitted operation is ``pending``, then ``queued``, then ``running`` for ``bulk_seconds_per_state``
seconds each (``--bulk-seconds-per-state``; 0: it has ended by the next request), then ends. Its effects
apply when it ends, all at once, dated by its end: :func:`settle` runs every due operation before each
API request. Each input object is checked alone against the documents' item schema and applied by its
family's function (:func:`bulk`); a bad object becomes an ``ErrorResultDTO`` while the others' effects
stand. An operation that cannot run at all (its integration was deleted meanwhile) ends in ``error``.
The input is kept compressed, and results keep only the resource id or the error of each object.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import best_match

from airflow_provider_360learning.actions import ACTIONS, load_document
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.actions.schemas import OpenApiValidator
from airflow_provider_360learning.emulator.errors import documented
from airflow_provider_360learning.emulator.events import emit
from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    fail,
    handler,
    ok,
    page_items,
    require_param,
)
from airflow_provider_360learning.emulator.rate_limit import (
    BULK_UNFINISHED_DEFAULT,
    max_unfinished_bulk_operations,
)
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import iso

Row = dict[str, Any]
MAX_UNFINISHED = BULK_UNFINISHED_DEFAULT
"""Operations that may wait or run at once; one more is 429 ``bulkOperationsConcurrencyLimitReached``
(3 with ``--rate-limit documented``: :func:`~airflow_provider_360learning.emulator.rate_limit.max_unfinished_bulk_operations`)."""
STATES = ("pending", "queued", "running")
OPERATIONS = "bulk_operations"


class ObjectError(Exception):
    """One input object cannot be applied: it gets an ``ErrorResultDTO`` with this message."""


class OperationError(Exception):
    """The operation cannot run at all: it ends in ``error`` with this message, without effects."""


@dataclass
class Operation:
    """One submitted operation; ``body`` is the request body, compressed (the results echo each input)."""

    oid: str
    action: str
    created: float
    count: int
    body: bytes
    params: dict[str, Any]
    ended: float | None = None
    error: str | None = None
    resource_ids: list[str] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return SPECS[self.action].type

    def inputs(self) -> list[Any]:
        items: list[Any] = json.loads(zlib.decompress(self.body))["input"]
        return items


@dataclass
class Run:
    """What applying one operation's objects needs: the state, the operation, its end and a batch cache."""

    state: EmulatorState
    op: Operation
    at: int
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> str:
        return iso(self.at)


@dataclass(frozen=True)
class BulkSpec:
    type: str
    apply: Callable[[Run, Row], str]
    prepare: Callable[[Run], None] | None = None


SPECS: dict[str, BulkSpec] = {}
"""Submitting action -> the operation type of the documents and how one input object applies."""


def bulk(
    name: str, op_type: str, prepare: Callable[[Run], None] | None = None
) -> Callable[[Callable[[Run, Row], str]], Callable[[Run, Row], str]]:
    """Register how one valid input object of a bulk action applies (returns the id of what it changed)."""

    def register(fn: Callable[[Run, Row], str]) -> Callable[[Run, Row], str]:
        SPECS[name] = BulkSpec(op_type, fn, prepare)
        handler(name)(submit)
        return fn

    return register


# -- the documents' limits -----------------------------------------------------------------------
@cache
def _input_schema(action_name: str) -> tuple[int, str]:
    """``maxItems`` of the action's ``input`` and the JSON pointer of its item schema."""
    action = ACTIONS[action_name]
    doc = load_document("bulk").contents
    node: Any = doc
    for part in (action.body_schema_pointer or "").lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    pointer = str(node["$ref"]).removeprefix("#")
    node = doc
    for part in pointer.lstrip("/").split("/"):
        node = node[part]
    return int(node["properties"]["input"]["maxItems"]), f"{pointer}/properties/input/items"


def _inline(doc: Mapping[str, Any], node: Any) -> Any:
    """A schema with its (non-recursive) local ``$ref``s replaced by what they point to."""
    node = deref(doc, node)
    if isinstance(node, Mapping):
        return {k: _inline(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(doc, v) for v in node]
    return node


@cache
def _item_validator(action_name: str) -> Any:
    """Validator of one input object; refs inlined once, since 10,000 objects go through it per operation."""
    doc = load_document("bulk").contents
    return OpenApiValidator(_inline(doc, resolve(doc, _input_schema(action_name)[1])), format_checker=FormatChecker())


@cache
def _declared(action_name: str) -> frozenset[str]:
    """Fields an input object's DTO declares (empty for ``oneOf`` items): the API refuses the others."""
    doc = load_document("bulk").contents
    return frozenset(resolve(doc, _input_schema(action_name)[1]).get("properties", ()))


def _problem(action_name: str, item: Any) -> str | None:
    """Why one input object is refused (outside its schema, or a field its DTO does not declare), or ``None``."""
    validator = _item_validator(action_name)
    if validator.is_valid(item):
        extra = sorted(set(item) - _declared(action_name)) if _declared(action_name) else []
        return f"property {extra[0]!r} should not exist" if extra else None
    error = best_match(validator.iter_errors(item))
    where = "".join(f"[{p!r}]" for p in error.absolute_path) if error is not None else ""
    return f"{where}: {error.message}" if where and error is not None else (error.message if error else "invalid")


def _envelope(ctx: RequestContext) -> int:
    """Number of input objects, after the documented 400s: ``input`` must be an array of objects, not too long."""
    max_items, _ = _input_schema(ctx.action.name)
    try:
        body = json.loads(ctx.body or b"")
    except ValueError:
        body = None
    items = body.get("input") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise fail(ctx, "invalidInput", "The body must be an object whose 'input' is an array of objects.")
    if len(items) > max_items:
        raise fail(
            ctx, "inputTooLong", f"The input has {len(items):,} objects; this operation takes at most {max_items:,}."
        )
    return len(items)


# -- submission ----------------------------------------------------------------------------------
def operations(state: EmulatorState) -> dict[str, Operation]:
    return state.relation(OPERATIONS)


def submit(ctx: RequestContext) -> Reply:
    """202 with the operation's URL in ``Location``; nothing changes before the operation ends.

    A submission while the bound of unfinished operations is reached gets 429, with ``Retry-After`` (when the
    first ends) except under ``--rate-limit documented`` (360Learning documents no such header).
    """
    state = ctx.state
    count = _envelope(ctx)
    if "integrationId" in ctx.path_params:
        require_param(ctx, "integrations", "integrationId", "integrationNotFound", "integration")
    with state.lock:
        store = operations(state)
        unfinished = [op for op in store.values() if op.ended is None]
        if len(unfinished) >= max_unfinished_bulk_operations(state.settings.rate_limit):
            state.count_limited("bulk_concurrency")
            headers = {}
            if not state.documented_rate_limit:
                headers["Retry-After"] = str(max(1, math.ceil(min(_end(state, op) for op in unfinished) - state.now())))
            raise documented(
                ctx.action,
                429,
                "bulkOperationsConcurrencyLimitReached",
                f"{len(unfinished)} bulk operations are waiting or running; retry when one has ended.",
                **headers,
            )
        created = state.now()
        oid = f"{int(created):08x}{state.tenant.tag:04x}b0{len(store):010x}"
        op = Operation(oid, ctx.action.name, created, count, zlib.compress(ctx.body or b"", 1), dict(ctx.path_params))
        store[oid] = op
        emit(
            state,
            "bulk.operation.created",
            {"bulkOperationId": oid, "type": op.type, "createdAt": _stamp(state, created)},
        )
    return Reply(202, None, {"Location": f"{ctx.base_url}/api/v2/bulk/operations/{oid}"}, media_type=None)


# -- time ----------------------------------------------------------------------------------------
def _seconds(state: EmulatorState) -> float:
    return state.config.bulk_seconds_per_state


def _end(state: EmulatorState, op: Operation) -> float:
    return op.created + len(STATES) * _seconds(state)


def _stamp(state: EmulatorState, ts: float) -> str:
    """An API date of a moment of the clock (whole seconds, never before the data anchor)."""
    return iso(max(int(ts), state.tenant.anchor_ts))


def settle(state: EmulatorState) -> None:
    """Run every operation whose time has come (called before each API request, so effects appear on time)."""
    with state.lock:
        due = [op for op in operations(state).values() if op.ended is None and _end(state, op) <= state.now()]
        for op in due:
            _run(state, op)
        if due:
            state.changed()  # a new data version (effects on rows move it anyway; the operations table has none)


def _run(state: EmulatorState, op: Operation) -> None:
    spec = SPECS[op.action]
    end = _end(state, op)
    run = Run(state, op, max(int(end), state.tenant.anchor_ts))
    try:
        if spec.prepare is not None:
            spec.prepare(run)
        for i, item in enumerate(op.inputs()):
            problem = _problem(op.action, item)
            try:
                if problem is not None:
                    raise ObjectError(f"Invalid object: {problem}")
                op.resource_ids.append(spec.apply(run, item))
            except ObjectError as exc:
                op.resource_ids.append("")
                op.errors[i] = str(exc)
    except OperationError as exc:
        op.error, op.resource_ids, op.errors = str(exc), [], {}
    op.ended = end
    emit(
        state,
        "bulk.operation.ended",
        {
            "bulkOperationId": op.oid,
            "type": op.type,
            "createdAt": _stamp(state, op.created),
            "endedAt": _stamp(state, end),
            "status": "error" if op.error else "completed",
        },
    )


def api_date(value: str) -> str:
    """An input date-time in the API's form, whole seconds (as the API keeps them)."""
    normal = parse_datetime(value)
    if normal is None:
        raise ObjectError(f"{value!r} is not a date-time.")
    return normal[:-4] + "000Z"


# -- reads ---------------------------------------------------------------------------------------
def describe(state: EmulatorState, op: Operation) -> Row:
    """The operation as one of the five state DTOs, from the clock."""
    seconds = _seconds(state)
    elapsed = state.now() - op.created
    stage = len(STATES) if op.ended is not None else min(len(STATES) - 1, int(elapsed // seconds) if seconds else 0)
    row: Row = {"_id": op.oid, "type": op.type, "createdAt": _stamp(state, op.created)}
    if stage >= 1:
        row["queuedAt"] = _stamp(state, op.created + seconds)
    if stage >= 2:
        row["startedAt"] = _stamp(state, op.created + 2 * seconds)
    if stage == 2:
        done = max(0, min(op.count - 1, int((elapsed / seconds - 2) * op.count) - 1))
        row["progress"] = {"index": done, "updatedAt": _stamp(state, state.now())}
    if stage == len(STATES):
        assert op.ended is not None
        row["endedAt"] = _stamp(state, op.ended)
        row["progress"] = {"index": 0 if op.error else max(0, op.count - 1), "updatedAt": row["endedAt"]}
        if op.error:
            row["errorMessage"] = op.error
    row["status"] = "error" if op.error else (*STATES, "completed")[stage]
    return row


def _operation(ctx: RequestContext) -> Operation:
    op = operations(ctx.state).get(ctx.path_params["bulkOperationId"])
    if op is None:
        raise fail(
            ctx,
            "bulkOperationNotFound",
            f"The given bulkOperationId {ctx.path_params['bulkOperationId']} "
            "does not correspond to any existing bulk operation.",
        )
    return op


@handler("get_bulk_operation")
def get_bulk_operation(ctx: RequestContext) -> Reply:
    return ok(ctx, describe(ctx.state, _operation(ctx)))


@handler("get_bulk_operations")
def get_bulk_operations(ctx: RequestContext) -> Reply:
    """Oldest first; ``status`` is the state at the time of the request."""
    with ctx.state.lock:
        rows = [describe(ctx.state, op) for op in operations(ctx.state).values()]
    return page_items(ctx, rows)


@handler("get_bulk_operation_results")
def get_bulk_operation_results(ctx: RequestContext) -> Reply:
    """One result per input object, in input order: its resource id, or why it failed."""
    op = _operation(ctx)
    if op.ended is None:
        raise fail(ctx, "bulkOperationNotRun", f"The bulk operation {op.oid} has not run yet.")
    results: list[Row] = []
    for i, item in enumerate(op.inputs()):
        if op.error or i in op.errors:
            results.append({"input": item, "status": "error", "errorMessage": op.error or op.errors[i]})
        else:
            results.append({"input": item, "status": "success", "resourceId": op.resource_ids[i]})
    return ok(ctx, results)
