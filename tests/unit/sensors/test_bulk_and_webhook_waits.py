"""Waiting on bulk operations and webhook events: the sensors in poke and deferred mode through ``dag.test()``,
the webhook event trigger picking up an event caused by a write, and signing secrets kept out of XCom."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.generated.webhooks import GetSigningSecretOperator
from airflow_provider_360learning.sensors.three_sixty_learning import BulkOperationSensor, WebhookEventSensor
from airflow_provider_360learning.triggers.webhook_events import WebhookEventTrigger
from tests.conftest import CONN_ENV, connection_json
from tests.unit.dag_runs import AfterPolls, run_dag

SINCE = "2020-01-01T00:00:00Z"


def new_user_body(hook: ThreeSixtyLearningHook, mail: str) -> dict[str, Any]:
    group = next(hook.iter_action("list_groups"))["_id"]
    return {"mail": mail, "membership": {"groupId": group, "role": "learner"}}


def subscribe(hook: ThreeSixtyLearningHook, event_type: str = "user.created") -> str:
    body = {"eventType": event_type, "name": f"airflow {event_type}", "url": "https://hooks.example.com/360"}
    return str(hook.call_action("create_subscription", body=body)["_id"])


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_bulk_operation_sensor(
    dag_of: Any, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, deferrable: bool
) -> None:
    server = emulator_factory(bulk_seconds_per_state=1.0)  # 3 s in all: the first poke sees it running
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    hook = ThreeSixtyLearningHook()
    group = next(hook.iter_action("list_groups"))["_id"]
    course = next(hook.iter_action("list_courses"))["_id"]
    body = {"input": [{"groupId": group, "contentType": "course", "contentId": course}]}

    def build() -> None:
        from airflow.sdk import task

        @task
        def submit() -> str:
            return ThreeSixtyLearningHook().submit_bulk("add_contents_to_groups_library", body=body)

        BulkOperationSensor(
            task_id="done", operation_ids=submit(), deferrable=deferrable, poke_interval=0.2, timeout=30
        )

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    operation = result.xcom["submit"]
    assert result.xcom["done"] == {"operations": {operation: "completed"}}
    assert server.state.stats()["requests"]["get_bulk_operation"] >= 2  # it waited through the states


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_webhook_event_sensor_wakes_on_an_event_caused_by_a_write(dag_of: Any, emulator: Any, deferrable: bool) -> None:
    hook = ThreeSixtyLearningHook()
    subscription = subscribe(hook)
    since = emulator.state.stats().get("now") or SINCE
    body = new_user_body(hook, f"webhook.{deferrable}@example.com")
    polls_before = emulator.state.stats()["requests"].get("get_events", 0)

    def build() -> None:
        WebhookEventSensor(
            task_id="event",
            subscription_id=subscription,
            since=since,
            deferrable=deferrable,
            poke_interval=0.3,
            timeout=60,
        )

    with AfterPolls(emulator, "get_events", lambda: hook.call_action("create_user", body=body)):
        result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["event"]["first_page_rows"] == 1
    assert emulator.state.stats()["requests"]["get_events"] - polls_before >= 2  # it waited for the write
    events = list(hook.iter_action("get_events", subscriptionId=subscription))
    assert [e["payload"]["type"] for e in events] == ["user.created"]
    assert events[0]["payload"]["data"]["mail"] == body["mail"]


def test_the_webhook_event_trigger_yields_each_new_event_once(emulator: Any, connection: str) -> None:
    hook = ThreeSixtyLearningHook()
    subscription = subscribe(hook)
    trigger = WebhookEventTrigger(subscription_id=subscription, since=SINCE, poll_interval=0.2)

    async def scenario() -> list[Any]:
        stream = trigger.run()
        got = []
        await asyncio.to_thread(hook.call_action, "create_user", body=new_user_body(hook, "first@example.com"))
        got.append((await asyncio.wait_for(stream.__anext__(), 10)).payload)
        await asyncio.to_thread(hook.call_action, "create_user", body=new_user_body(hook, "second@example.com"))
        got.append((await asyncio.wait_for(stream.__anext__(), 10)).payload)
        await stream.aclose()
        return got

    first, second = asyncio.run(scenario())
    assert first["status"] == second["status"] == "success"
    assert [e["payload"]["data"]["mail"] for e in first["events"]] == ["first@example.com"]
    assert [e["payload"]["data"]["mail"] for e in second["events"]] == ["second@example.com"]  # not the first again
    assert second["since"] >= first["since"]


def test_a_signing_secret_never_reaches_xcom(dag_of: Any, emulator: Any, tmp_path: Any) -> None:
    subscription = subscribe(ThreeSixtyLearningHook())
    kept = tmp_path / "secret.json"

    def build() -> None:
        GetSigningSecretOperator(task_id="masked", subscriptionId=subscription)
        GetSigningSecretOperator(task_id="kept", subscriptionId=subscription, output_path=str(kept))

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["masked"] == {"secret": "***"}
    assert result.xcom["kept"]["secret"] == "***" and result.xcom["kept"]["path"].endswith("secret.json")
    secret = __import__("json").loads(kept.read_text())["secret"]
    assert secret and secret != "***" and secret not in str(result.xcom)
