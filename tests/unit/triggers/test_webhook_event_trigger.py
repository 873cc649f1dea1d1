"""``WebhookEventTrigger`` against the emulator: what a user sees when the subscription is deleted, when the
token lacks the webhook scope, when deliveries are marked failed; polling through transient faults, a
persistent fault reported as the trigger's failure; the watermark kept outside the triggerer; the budget."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.webhook_subscriptions import EnsureWebhookSubscriptionsOperator
from airflow_provider_360learning.triggers.webhook_events import (
    WebhookEventPollingError,
    WebhookEventTrigger,
    read_watermark,
)
from tests.conftest import CONN_ENV, connection_json
from tests.unit.triggers.test_triggers import rebuilt

STATUS = "path.session.user.status.updated"
SINCE = "2020-01-01T00:00:00Z"
NO_RETRY = {"max_retries": 0}  # the hook's own retries off: each fault reaches the trigger


def subscribe(hook: ThreeSixtyLearningHook, event_type: str = STATUS) -> str:
    body = {"eventType": event_type, "name": f"test {event_type}", "url": "https://hooks.example.com/360"}
    return str(hook.call_action("create_subscription", body=body)["_id"])


def open_enrollments(emulator: Any, count: int) -> list[str]:
    """Enrollments whose learner has not succeeded yet."""
    stats = emulator.state.collection("path_session_user_stats")
    rows = (stats.item(i) for i in range(len(stats)))
    found = [row["_id"] for row in rows if row["status"]["type"] != "successful"][:count]
    assert len(found) == count
    return found


def succeed(emulator: Any, enrollment_ids: list[str]) -> None:
    from airflow_provider_360learning.emulator.events import set_path_status

    for enrollment in enrollment_ids:
        set_path_status(emulator.state, enrollment, "successful")


async def take(stream: AsyncIterator[Any], timeout: float = 20) -> dict[str, Any]:
    return dict((await asyncio.wait_for(stream.__anext__(), timeout)).payload)


def run_to_failure(trigger: WebhookEventTrigger) -> None:
    """Run the trigger until it raises (an event instead fails the test)."""

    async def scenario() -> None:
        async for _ in trigger.run():
            raise AssertionError("no event expected")

    asyncio.run(scenario())


@pytest.fixture
def hook(connection: str) -> ThreeSixtyLearningHook:
    return ThreeSixtyLearningHook()


def test_a_path_status_change_reaches_the_trigger_with_the_documented_payload(emulator: Any, hook: Any) -> None:
    subscription = subscribe(hook)
    [enrollment] = open_enrollments(emulator, 1)
    trigger = rebuilt(WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.1))

    async def scenario() -> dict[str, Any]:
        stream = trigger.run()
        succeed(emulator, [enrollment])
        try:
            return await take(stream)
        finally:
            await stream.aclose()

    payload = asyncio.run(scenario())
    [event] = payload["events"]
    assert event["payload"]["type"] == STATUS and event["status"] == "delivered"
    data = event["payload"]["data"]
    assert data["enrollmentId"] == enrollment and data["status"] == "successful"
    stat = emulator.state.get_row("path_session_user_stats", enrollment)
    assert stat["status"] == {"type": "successful"} and stat["completedAt"] == data["updatedAt"]


def test_a_deleted_subscription_fails_the_trigger_saying_so(emulator: Any, hook: Any) -> None:
    subscription = subscribe(hook)
    hook.call_action("delete_subscription", subscriptionId=subscription)
    trigger = WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.1)

    with pytest.raises(WebhookEventPollingError, match=f"subscription {subscription} does not exist any more"):
        run_to_failure(trigger)
    assert emulator.state.stats()["requests"]["get_events"] == 1  # at once: waiting would not bring it back


def test_a_trigger_by_event_type_waits_for_its_subscription_then_names_the_setup(emulator: Any, hook: Any) -> None:
    trigger = WebhookEventTrigger(
        event_type=STATUS,
        subscription_name="airflow-polling x",
        since=SINCE,
        poll_interval=0.01,
        max_consecutive_failures=3,
    )

    with pytest.raises(WebhookEventPollingError, match=r"failed 3 times in a row.*EnsureWebhookSubscriptionsOperator"):
        run_to_failure(trigger)
    assert emulator.state.stats()["requests"]["get_subscriptions"] == 3  # looked for it at each poll


def test_a_trigger_by_event_type_follows_its_subscription_when_it_is_created_again(emulator: Any, hook: Any) -> None:
    from airflow_provider_360learning.operators.webhook_subscriptions import subscription_name

    def ensure() -> str:
        operator = EnsureWebhookSubscriptionsOperator(task_id="ensure", event_types=[STATUS])
        return str(operator.ensure(STATUS)["subscription_id"])

    old = ensure()
    first, second = open_enrollments(emulator, 2)
    trigger = WebhookEventTrigger(
        event_type=STATUS,
        subscription_name=subscription_name("airflow-polling", STATUS),
        since=SINCE,
        poll_interval=0.05,
    )

    async def scenario() -> list[dict[str, Any]]:
        stream = trigger.run()
        try:
            succeed(emulator, [first])
            got = [await take(stream)]
            hook.call_action("delete_subscription", subscriptionId=old)  # deleted: 404 at the next poll
            await asyncio.to_thread(ensure)  # created again by the set-up
            succeed(emulator, [second])
            got.append(await take(stream))
            return got
        finally:
            await stream.aclose()

    before, after = asyncio.run(scenario())
    assert before["subscription_id"] == old and after["subscription_id"] != old
    assert [e["payload"]["data"]["enrollmentId"] for e in after["events"]] == [second]


def test_a_token_without_the_webhook_scope_fails_the_trigger_naming_the_scope(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_360learning.emulator.config import all_scopes

    server = emulator_factory(scopes=tuple(s for s in all_scopes() if s != "webhooks:read"))
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    subscription = subscribe(ThreeSixtyLearningHook())
    trigger = WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.1)

    with pytest.raises(WebhookEventPollingError, match="lacks the 'webhooks:read' scope"):
        run_to_failure(trigger)


def test_events_whose_delivery_failed_are_read_all_the_same(emulator: Any, hook: Any) -> None:
    from airflow_provider_360learning.emulator.events import set_delivery

    subscription = subscribe(hook)
    set_delivery(emulator.state, subscription, "failed")  # what pushes to a placeholder URL end as
    enrollments = open_enrollments(emulator, 2)
    succeed(emulator, enrollments)
    trigger = WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.1)

    async def scenario() -> dict[str, Any]:
        stream = trigger.run()
        try:
            return await take(stream)
        finally:
            await stream.aclose()

    payload = asyncio.run(scenario())
    assert [e["status"] for e in payload["events"]] == ["failed", "failed"]
    assert [e["payload"]["data"]["enrollmentId"] for e in payload["events"]] == enrollments


def test_transient_faults_are_polled_through_with_backoff(emulator: Any, hook: Any) -> None:
    subscription = subscribe(hook)
    trigger = WebhookEventTrigger(
        subscription_id=subscription,
        since=SINCE,
        poll_interval=0.05,
        max_consecutive_failures=50,
        hook_params=NO_RETRY,
    )
    [enrollment] = open_enrollments(emulator, 1)
    waits: list[float] = []
    backoff = trigger.backoff
    trigger.backoff = lambda failures: waits.append(backoff(failures)) or waits[-1]  # type: ignore[method-assign]

    async def scenario() -> dict[str, Any]:
        stream = trigger.run()
        emulator.state.update_config(fault_rate=1.0, fault_kinds=("503",))
        waiting = asyncio.ensure_future(take(stream))
        while sum(emulator.state.stats()["faults"].values()) < 3:
            await asyncio.sleep(0.05)
        succeed(emulator, [enrollment])
        emulator.state.update_config(fault_rate=0.0)
        try:
            return await waiting
        finally:
            await stream.aclose()

    payload = asyncio.run(scenario())
    assert [e["payload"]["data"]["enrollmentId"] for e in payload["events"]] == [enrollment]
    assert len(waits) >= 3 and waits[:3] == [0.05, 0.1, 0.2]  # one wait per failed poll, doubling


def test_a_persistent_fault_fails_the_trigger_with_the_last_error(emulator: Any, hook: Any) -> None:
    subscription = subscribe(hook)
    emulator.state.update_config(fault_rate=1.0, fault_kinds=("503",))
    trigger = WebhookEventTrigger(
        subscription_id=subscription,
        since=SINCE,
        poll_interval=0.01,
        max_consecutive_failures=3,
        hook_params=NO_RETRY,
    )

    with pytest.raises(WebhookEventPollingError, match=f"events of {subscription} failed 3 times in a row; last: "):
        run_to_failure(trigger)


def test_backoff_doubles_up_to_its_bound_and_polling_keeps_to_its_budget_share() -> None:
    trigger = WebhookEventTrigger(subscription_id="b" * 24, since=SINCE, poll_interval=30, max_backoff=100)
    assert [trigger.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    share = WebhookEventTrigger(subscription_id="b" * 24, since=SINCE, poll_interval=1, budget_share=0.1)
    assert share.pause_after(1, 50) == 1  # one page: the interval
    assert share.pause_after(20, 50) == 4  # 20 pages at 10% of 50 GET/s: 4 s before the next poll
    assert share.pause_after(20, 0) == 1  # no client-side budget: the interval
    with pytest.raises(ValueError, match="budget_share"):
        WebhookEventTrigger(subscription_id="b" * 24, since=SINCE, budget_share=0)


def test_polls_take_permits_of_the_shared_read_budget(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two watchers at the whole budget each (2 GET/s): the client core's shared limiter keeps them together
    at 2 requests in any second, as the server counted them."""
    server = emulator_factory()
    monkeypatch.setenv(CONN_ENV, connection_json(server.url, requests_per_second=2, rate_limit_backend="memory"))
    hook = ThreeSixtyLearningHook()
    triggers = [
        WebhookEventTrigger(subscription_id=subscribe(hook, kind), since=SINCE, poll_interval=0.0, budget_share=1.0)
        for kind in (STATUS, "course.attempt.closed")
    ]

    async def scenario() -> None:
        streams = [trigger.run() for trigger in triggers]
        waiting = [asyncio.ensure_future(take(stream, timeout=60)) for stream in streams]
        while server.state.stats()["requests"].get("get_events", 0) < 10:
            await asyncio.sleep(0.05)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)

    asyncio.run(scenario())
    traffic = server.state.stats()["traffic"]
    assert traffic["max_get_received_per_second"] <= 2, traffic


@pytest.fixture
def variable(airflow_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Variable the trigger reads from the metadata database, as a triggerer's does through its supervisor."""
    from airflow.models.variable import Variable

    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")

    name = "test_webhook_watermark"
    Variable.delete(name)
    yield name
    Variable.delete(name)


def test_a_rebuilt_trigger_resumes_from_the_watermark_its_consumer_advanced(
    emulator: Any, hook: Any, variable: str
) -> None:
    from airflow.models.variable import Variable

    subscription = subscribe(hook)
    first, second, third = open_enrollments(emulator, 3)
    succeed(emulator, [first])
    emulator.state.advance_time(2)
    succeed(emulator, [second])
    trigger = WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.1, state_variable=variable)

    async def first_batch(trigger: Any) -> list[str]:
        stream = trigger.run()
        try:
            payload = await take(stream)
        finally:
            await stream.aclose()
        assert payload["state_variable"] == variable
        return [e["payload"]["data"]["enrollmentId"] for e in payload["events"]]

    assert asyncio.run(first_batch(trigger)) == [first, second]
    assert read_watermark(variable) is None
    # A restart before the consumer recorded them: both are yielded again (at least once).
    assert asyncio.run(first_batch(rebuilt(trigger))) == [first, second]
    # What the consuming DAG's last task does once it recorded them (advance_watermark, tested with the DAG):
    newest = hook.call_action("get_events", subscriptionId=subscription)[-1]["createdAt"]
    Variable.set(variable, json.dumps({"since": newest}))
    assert read_watermark(variable) == dt.datetime.fromisoformat(newest.replace("Z", "+00:00"))
    emulator.state.advance_time(2)
    succeed(emulator, [third])
    # From the watermark on: the first is not read again; the second, created in the watermark's own second,
    # is (``gte``), and the consumer drops it by its id.
    assert asyncio.run(first_batch(rebuilt(trigger))) == [second, third]


def test_the_setup_operator_creates_once_and_reactivates(dag_of: Any, emulator: Any) -> None:
    from tests.unit.dag_runs import run_dag

    def build() -> None:
        EnsureWebhookSubscriptionsOperator(task_id="ensure", event_types=[STATUS, "course.attempt.closed"])

    first = run_dag(dag_of(build))
    assert first.succeeded, first.states
    made = first.xcom["ensure"]
    assert {e: v["created"] for e, v in made.items()} == {STATUS: True, "course.attempt.closed": True}
    hook = ThreeSixtyLearningHook()
    hook.call_action("update_subscription", subscriptionId=made[STATUS]["subscription_id"], body={"status": "inactive"})
    second = run_dag(dag_of(build))
    again = second.xcom["ensure"]
    assert {e: v["subscription_id"] for e, v in again.items()} == {e: v["subscription_id"] for e, v in made.items()}
    assert again[STATUS]["reactivated"] and not again[STATUS]["created"]
    assert not again["course.attempt.closed"]["reactivated"]
    listed = list(hook.iter_action("get_subscriptions", eventType={"eq": STATUS}))
    assert [s["status"] for s in listed] == ["active"]
