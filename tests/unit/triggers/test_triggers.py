"""Triggers: serialisable to JSON and rebuilt identical (a restarted triggerer resumes from the same
arguments), polling with the async hook against the emulator, one event per wait."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from typing import Any

import pytest

from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.triggers.conditions import CONDITIONS, Verdict, check
from airflow_provider_360learning.triggers.three_sixty_learning import ThreeSixtyLearningConditionTrigger
from airflow_provider_360learning.triggers.webhook_events import WebhookEventTrigger


def rebuilt(trigger: Any) -> Any:
    """What the triggerer does after a restart: import the class path, call it with the stored kwargs."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    stored = json.loads(json.dumps(kwargs))  # only JSON survives the metadata database
    return getattr(importlib.import_module(module), name)(**stored)


@pytest.mark.parametrize(
    "trigger",
    [
        ThreeSixtyLearningConditionTrigger(
            condition="bulk_operations_finished",
            arguments={"operation_ids": ["a" * 24]},
            poll_interval=3,
            end_time=123.0,
            hook_params={"timeout": 5},
        ),
        ThreeSixtyLearningConditionTrigger(
            condition="new_rows_since",
            arguments={"action": "get_path_stats", "field": "completedAt", "since": "2026-01-01T00:00:00Z"},
        ),
        WebhookEventTrigger(subscription_id="b" * 24, since="2026-01-01T00:00:00Z", poll_interval=1),
    ],
    ids=["bulk", "new-rows", "webhook"],
)
def test_triggers_serialise_to_json_and_rebuild_identical(trigger: Any) -> None:
    again = rebuilt(trigger)
    assert type(again) is type(trigger) and again.serialize() == trigger.serialize()


def test_an_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition 'nope'"):
        ThreeSixtyLearningConditionTrigger(condition="nope", arguments={})


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("no event")


def test_the_condition_trigger_polls_until_a_write_makes_it_true(emulator: Any, connection: str) -> None:
    hook = ThreeSixtyLearningHook()
    template = next(hook.iter_action("list_courses_statistics"))
    row = {k: v for k, v in template.items() if k != "_id"} | {"completedAt": "2099-03-01T00:00:00.000Z"}
    trigger = rebuilt(
        ThreeSixtyLearningConditionTrigger(
            condition="new_rows_since",
            poll_interval=0.2,
            arguments={"action": "list_courses_statistics", "field": "completedAt", "since": "2099-01-01T00:00:00Z"},
        )
    )

    async def scenario() -> Any:
        waiting = asyncio.ensure_future(_first_event(trigger))
        await asyncio.sleep(0.6)
        assert not waiting.done()
        emulator.state.add_row("course_stats", row)
        return await asyncio.wait_for(waiting, 10)

    event = asyncio.run(scenario())
    assert event["status"] == "success" and event["payload"]["first_page_rows"] == 1


def test_the_condition_trigger_reports_a_timeout_and_an_error(emulator: Any, connection: str) -> None:
    arguments = {"action": "list_courses_statistics", "field": "completedAt", "since": "2099-01-01T00:00:00Z"}
    timeout = ThreeSixtyLearningConditionTrigger(
        condition="new_rows_since", arguments=arguments, poll_interval=0.1, end_time=time.time() + 0.3
    )
    assert asyncio.run(_first_event(timeout))["status"] == "timeout"
    broken = ThreeSixtyLearningConditionTrigger(condition="new_rows_since", arguments={**arguments, "since": "soon"})
    event = asyncio.run(_first_event(broken))
    assert event["status"] == "error" and "completedAt" in event["message"]


def test_conditions_decide_from_answers() -> None:
    bulk = CONDITIONS["bulk_operations_finished"]
    running = [{"_id": "a", "status": "running"}, {"_id": "b", "status": "completed"}]
    assert bulk.evaluate({"operation_ids": ["a", "b"]}, running) == Verdict(
        False, {"operations": {"a": "running", "b": "completed"}}
    )
    errored = [{"_id": "a", "status": "error", "errorMessage": "boom"}]
    assert (
        bulk.evaluate({"operation_ids": ["a"], "fail_on_error": True}, errored).failure
        == "bulk operation(s) ended in error: a: boom"
    )
    assert bulk.evaluate({"operation_ids": ["a"]}, errored).failure is None
    session = CONDITIONS["path_session_completion"]
    counts = {"usersCountByStatus": {"successful": 3, "onTime": 1}}
    args = {"threshold": 0.75, "completed_statuses": ["successful"], "path_id": "p", "session_id": "s"}
    assert session.evaluate(args, [counts]).done
    assert not session.evaluate({**args, "threshold": 0.8}, [counts]).done
    assert not session.evaluate(args, [{"usersCountByStatus": {}}]).done  # an empty audience never counts as done


def test_bulk_slots_are_counted_from_one_filtered_list_per_unfinished_state() -> None:
    slots = CONDITIONS["bulk_slots_free"]
    calls = slots.calls({"max_unfinished": 3})
    assert calls == [("get_bulk_operations", {"status": {"eq": state}}) for state in ("pending", "queued", "running")]
    two = [[{"_id": "a", "status": "pending"}], [], [{"_id": "b", "status": "running"}]]
    assert slots.evaluate({"max_unfinished": 3}, two).done
    three = [*two[:2], [{"_id": "b", "status": "running"}, {"_id": "c", "status": "running"}]]
    verdict = slots.evaluate({"max_unfinished": 3, "resume": {"submitted": {"0": "x"}}}, three)
    assert not verdict.done
    assert verdict.payload == {
        "unfinished": {"a": "pending", "b": "running", "c": "running"},
        "max_unfinished": 3,
        "resume": {"submitted": {"0": "x"}},
    }
    # An operation that ended between two reads of the same check is not counted.
    assert slots.evaluate({}, [[{"_id": "a", "status": "completed"}], [], three[2]]).done


def test_a_sensor_and_a_trigger_make_the_same_reads(emulator: Any, connection: str) -> None:
    arguments = {"action": "get_path_stats", "field": "completedAt", "since": "2020-01-01T00:00:00Z"}
    verdict = check("new_rows_since", arguments, ThreeSixtyLearningHook().call_action)
    event = asyncio.run(
        _first_event(ThreeSixtyLearningConditionTrigger(condition="new_rows_since", arguments=arguments))
    )
    assert verdict.done and event["payload"] == verdict.payload


def test_the_webhook_event_trigger_can_watch_an_asset() -> None:
    from airflow.sdk import Asset, AssetWatcher
    from airflow.triggers.base import BaseEventTrigger

    trigger = WebhookEventTrigger(subscription_id="b" * 24, since="2026-01-01T00:00:00Z")
    asset = Asset("360learning-user-events", watchers=[AssetWatcher(name="user_events", trigger=trigger)])
    assert isinstance(trigger, BaseEventTrigger) and asset.watchers[0].trigger is trigger
