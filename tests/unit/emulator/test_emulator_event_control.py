"""The control routes behind the event-driven DAG: a learner's path status changed by hand (360Learning's
player) emits ``path.session.user.status.updated``, valid against the webhook document; a subscription whose
endpoint refuses pushes records its events ``failed``."""

from __future__ import annotations

from typing import Any

import httpx

from tests.unit.emulator.conftest import _local_validator
from tests.unit.emulator.test_emulator_webhooks import subscribe

STATUS = "path.session.user.status.updated"


def open_enrollment(emulator: Any) -> dict[str, Any]:
    stats = emulator.state.collection("path_session_user_stats")
    return next(stats.item(i) for i in range(len(stats)) if stats.item(i)["status"]["type"] == "late")


def test_a_path_status_change_emits_the_documented_event(hook: Any, emulator: Any) -> None:
    subscription = subscribe(hook, STATUS)
    enrollment = open_enrollment(emulator)
    url = f"{emulator.url}/_emulator/path-stats/{enrollment['_id']}/status"
    changed = httpx.post(url, json={"status": "successful"}, timeout=10).json()
    assert changed["status"] == {"type": "successful"} and changed["progress"] == 100
    again = httpx.post(url, json={"status": "successful"}, timeout=10)  # the same status: no event
    assert again.status_code == 200
    [event] = hook.iter_action("get_events", subscriptionId=subscription["_id"])
    data = event["payload"]["data"]
    assert data == {
        "userId": enrollment["userId"],
        "pathId": enrollment["pathId"],
        "sessionId": enrollment["sessionId"],
        "enrollmentId": enrollment["_id"],
        "status": "successful",
        "updatedAt": changed["completedAt"],
    }
    pointer = f"/webhooks/{STATUS}/post/requestBody/content/application~1json/schema"
    assert [e.message for e in _local_validator("webhook", pointer).iter_errors(event["payload"])] == []
    # What the API then answers for that learner (checked against the core document by the fixtures).
    [stat] = hook.iter_action(
        "get_path_stats", userId={"eq": enrollment["userId"]}, pathId={"eq": enrollment["pathId"]}
    )
    assert stat["completedAt"] == changed["completedAt"]


def test_the_control_routes_refuse_what_they_cannot_do(emulator: Any, hook: Any) -> None:
    enrollment = open_enrollment(emulator)
    bad = httpx.post(f"{emulator.url}/_emulator/path-stats/{enrollment['_id']}/status", json={"status": "x"})
    assert bad.status_code == 400
    missing = httpx.post(f"{emulator.url}/_emulator/path-stats/{'0' * 24}/status", json={"status": "successful"})
    assert missing.status_code == 404
    nobody = httpx.put(f"{emulator.url}/_emulator/webhooks/{'0' * 24}/delivery", json={"status": "failed"})
    assert nobody.status_code == 404
    subscription = subscribe(hook, STATUS)
    wrong = httpx.put(f"{emulator.url}/_emulator/webhooks/{subscription['_id']}/delivery", json={"status": "lost"})
    assert wrong.status_code == 400 and "delivery status" in wrong.json()["error"]["message"]


def test_a_refused_endpoint_gets_its_next_events_failed(hook: Any, emulator: Any) -> None:
    subscription = subscribe(hook, STATUS)
    stats = emulator.state.collection("path_session_user_stats")
    first, second = [stats.item(i) for i in range(len(stats)) if stats.item(i)["status"]["type"] == "late"][:2]
    httpx.post(f"{emulator.url}/_emulator/path-stats/{first['_id']}/status", json={"status": "successful"})
    answer = httpx.put(
        f"{emulator.url}/_emulator/webhooks/{subscription['_id']}/delivery", json={"status": "failed"}, timeout=10
    )
    assert answer.json() == {"subscriptionId": subscription["_id"], "status": "failed"}
    httpx.post(f"{emulator.url}/_emulator/path-stats/{second['_id']}/status", json={"status": "successful"})
    listed = list(hook.iter_action("get_events", subscriptionId=subscription["_id"]))
    assert [e["status"] for e in listed] == ["delivered", "failed"]
    assert [
        e["_id"] for e in hook.iter_action("get_events", subscriptionId=subscription["_id"], status={"eq": "failed"})
    ] == [listed[1]["_id"]]
