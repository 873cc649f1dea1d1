"""What the Bulk API documents about itself: each operation's input limit, its states, its results.

A bulk request carries ``{"input": [...]}`` of at most the ``maxItems`` its schema declares (20,000 for
group catalogs, libraries, memberships and notification subscriptions; 2,000 for deleting groups;
1,000 for archiving external courses; 10,000 for the others); it is answered 202 at once, and its
operation goes ``pending`` -> ``queued`` -> ``running`` -> ``completed`` or ``error``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError

INPUT_FIELD = "input"
ACTIVE_STATES = frozenset({"pending", "queued", "running"})
TERMINAL_STATES = frozenset({"completed", "error"})
OPERATION_ACTION = "get_bulk_operation"
RESULTS_ACTION = "get_bulk_operation_results"
LIST_ACTION = "get_bulk_operations"
MAX_UNFINISHED_OPERATIONS = 3
"""Bulk operations of a company that may be unfinished (pending, queued or running) at once, as 360Learning
documents it: the Bulk API is not rate-limited per request, only by this concurrency."""


def bulk_action(name: str) -> Action:
    """A Bulk API action that submits an operation (not one of the operation reads)."""
    action = ACTIONS.get(name)
    if action is None or action.api != "bulk" or action.method == "GET":
        submits = sorted(n for n, a in ACTIONS.items() if a.api == "bulk" and a.method != "GET")
        raise ThreeSixtyLearningParameterError(name, None, f"is not a Bulk API submission; one of {submits}")
    return action


@cache
def input_limit(name: str) -> int:
    """``maxItems`` of the action's ``input`` array, from the official schema."""
    action = bulk_action(name)
    doc = action.document.contents
    assert action.body_schema_pointer is not None
    schema = deref(doc, resolve(doc, action.body_schema_pointer))
    limit = deref(doc, schema["properties"][INPUT_FIELD]).get("maxItems")
    if not isinstance(limit, int):
        raise ThreeSixtyLearningParameterError(name, INPUT_FIELD, "has no documented maxItems")
    return limit


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most ``size`` items; only one chunk is in memory at a time."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def read_items(items: Iterable[Any] | None, path: str | None) -> Iterator[Any]:
    """Items given inline, or streamed from a JSON Lines file (local path or object-storage URL)."""
    if (items is None) == (path is None):
        raise ValueError("give exactly one of items and items_path")
    if items is not None:
        yield from items
        return
    from airflow.sdk import ObjectStoragePath

    assert path is not None
    with ObjectStoragePath(path).open("r", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ThreeSixtyLearningParameterError(
                        "bulk", "items_path", f"line {number} is not JSON: {exc}"
                    ) from None


@dataclass
class BulkReport:
    """What a set of bulk operations did: per-object failures named with their input and reason."""

    operations: dict[str, str] = field(default_factory=dict)
    succeeded: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    operation_errors: dict[str, str] = field(default_factory=dict)
    max_failures_kept: int = 100

    def add_operation(self, operation: Mapping[str, Any]) -> None:
        self.operations[operation["_id"]] = operation["status"]
        if operation["status"] == "error":
            self.operation_errors[operation["_id"]] = operation.get("errorMessage", "no message")

    def add_results(self, operation_id: str, results: Sequence[Mapping[str, Any]]) -> None:
        for result in results:
            if result.get("status") == "success":
                self.succeeded += 1
                continue
            self.failed += 1
            if len(self.failures) < self.max_failures_kept:
                self.failures.append(
                    {
                        "operation": operation_id,
                        "input": result.get("input"),
                        "reason": result.get("errorMessage", "no message"),
                    }
                )

    @property
    def ok(self) -> bool:
        return not self.failed and not self.operation_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "operations": self.operations,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "failures": self.failures,
            "operation_errors": self.operation_errors,
        }

    def describe_failures(self) -> str:
        lines = [f"operation {op} ended in error: {message}" for op, message in self.operation_errors.items()]
        lines += [f"{f['reason']}: {_short(f['input'])}" for f in self.failures]
        if self.failed > len(self.failures):
            lines.append(f"... and {self.failed - len(self.failures)} more failed object(s)")
        return "\n".join(lines)


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
