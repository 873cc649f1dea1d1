"""Conditions that sensors poke and triggers poll: which reads to make, and what their answers mean.

A condition is data plus two pure functions: ``calls(arguments)`` lists the actions to read and
``evaluate(arguments, answers)`` decides. The sensor runs the calls with the sync hook in a worker, the
trigger with the async hook in the triggerer: one definition, both modes, and a trigger serialises
only the condition's name and JSON arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.bulk import (
    ACTIVE_STATES,
    LIST_ACTION,
    MAX_UNFINISHED_OPERATIONS,
    OPERATION_ACTION,
)

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Verdict:
    """``done`` ends the wait; ``failure`` (with ``done``) says the awaited thing failed for good."""

    done: bool
    payload: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None


@dataclass(frozen=True)
class Condition:
    calls: Callable[[Mapping[str, Any]], list[Call]]
    evaluate: Callable[[Mapping[str, Any], Sequence[Any]], Verdict]


# --- bulk operations finished -----------------------------------------------------------------------
def _bulk_calls(args: Mapping[str, Any]) -> list[Call]:
    return [(OPERATION_ACTION, {"bulkOperationId": op}) for op in args["operation_ids"]]


def _bulk_evaluate(args: Mapping[str, Any], answers: Sequence[Any]) -> Verdict:
    states = {op["_id"]: op["status"] for op in answers}
    running = sorted(op for op, state in states.items() if state in ACTIVE_STATES)
    payload = {"operations": states}
    if running:
        return Verdict(False, payload)
    if args.get("fail_on_error", False):
        errors = [
            f"{op_id}: {op.get('errorMessage', 'no message')}"
            for op_id, op in ((a["_id"], a) for a in answers)
            if op["status"] == "error"
        ]
        if errors:
            return Verdict(True, payload, "bulk operation(s) ended in error: " + "; ".join(errors))
    return Verdict(True, payload)


# --- a bulk slot free: fewer unfinished operations in the company than it may have ---------------------------
def _slots_calls(args: Mapping[str, Any]) -> list[Call]:
    # One filtered list per unfinished state: their first pages (20 operations each) are enough to tell
    # whether fewer than the limit (3) are unfinished, however many operations the company ever ran.
    return [(LIST_ACTION, {"status": {"eq": state}}) for state in sorted(ACTIVE_STATES)]


def _slots_evaluate(args: Mapping[str, Any], answers: Sequence[Any]) -> Verdict:
    limit = int(args.get("max_unfinished", MAX_UNFINISHED_OPERATIONS))
    unfinished = {
        op["_id"]: op["status"] for page in answers for op in (page or []) if op.get("status") in ACTIVE_STATES
    }
    # ``resume`` is the waiting operator's own state, echoed so that it can resume from the event alone.
    payload = {"unfinished": unfinished, "max_unfinished": limit, "resume": args.get("resume", {})}
    return Verdict(len(unfinished) < limit, payload)


# --- path session completion -------------------------------------------------------------------------
def _session_calls(args: Mapping[str, Any]) -> list[Call]:
    return [("get_path_session_metrics", {"pathId": args["path_id"], "sessionId": args["session_id"]})]


def _session_evaluate(args: Mapping[str, Any], answers: Sequence[Any]) -> Verdict:
    counts: Mapping[str, int] = answers[0].get("usersCountByStatus", {})
    audience = sum(counts.values())
    completed = sum(counts.get(status, 0) for status in args["completed_statuses"])
    share = completed / audience if audience else 0.0
    payload = {"audience": audience, "completed": completed, "share": share, "usersCountByStatus": dict(counts)}
    return Verdict(audience > 0 and share >= args["threshold"], payload)


# --- new rows since a watermark (statistics completed, webhook events created) ----------------------------
def _new_rows_calls(args: Mapping[str, Any]) -> list[Call]:
    return [(args["action"], {**args.get("parameters", {}), args["field"]: {"gte": args["since"]}})]


def _new_rows_evaluate(args: Mapping[str, Any], answers: Sequence[Any]) -> Verdict:
    page = answers[0] or []
    return Verdict(len(page) > 0, {"first_page_rows": len(page), "since": args["since"]})


CONDITIONS: dict[str, Condition] = {
    "bulk_operations_finished": Condition(_bulk_calls, _bulk_evaluate),
    "bulk_slots_free": Condition(_slots_calls, _slots_evaluate),
    "path_session_completion": Condition(_session_calls, _session_evaluate),
    "new_rows_since": Condition(_new_rows_calls, _new_rows_evaluate),
}


def check(name: str, arguments: Mapping[str, Any], call: Callable[..., Any]) -> Verdict:
    """Evaluate a condition with a synchronous caller (a sensor's poke: ``hook.call_action``)."""
    condition = CONDITIONS[name]
    return condition.evaluate(arguments, [call(action, **params) for action, params in condition.calls(arguments)])


async def acheck(name: str, arguments: Mapping[str, Any], call: Callable[..., Any]) -> Verdict:
    """Evaluate a condition with an async caller (a trigger's poll: ``async_hook.acall_action``)."""
    condition = CONDITIONS[name]
    answers = [await call(action, **params) for action, params in condition.calls(arguments)]
    return condition.evaluate(arguments, answers)
