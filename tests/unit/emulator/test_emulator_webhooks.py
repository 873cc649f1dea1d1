"""The webhook API emulation: subscriptions (CRUD), signing secrets, retries, and the events recorded for
the emulator's writes (core writes and bulk effects), each payload checked against the webhook document."""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.emulator.tenant import iso
from tests.unit.emulator.conftest import Api, _local_validator, api_error, multipart, send
from tests.unit.emulator.test_emulator_bulk import course_item, integration, run

UNKNOWN = "0123456789abcdef01234567"


def subscribe(hook: Any, event_type: str, url: str = "https://hooks.example.com/in") -> dict[str, Any]:
    return hook.call_action(
        "create_subscription",
        body={
            "eventType": event_type,
            "name": event_type,  # type: ignore[no-any-return]
            "url": f"{url}/{event_type}",
        },
    )


def events(hook: Any, subscription: dict[str, Any], **filters: Any) -> list[dict[str, Any]]:
    """The subscription's events, each payload valid against the webhook document's body for its type."""
    found = list(hook.iter_action("get_events", subscriptionId=subscription["_id"], **filters))
    for event in found:
        payload = event["payload"]
        assert payload["type"] == subscription["eventType"] and event["status"] == "delivered"
        pointer = f"/webhooks/{payload['type']}/post/requestBody/content/application~1json/schema"
        errors = [e.message for e in _local_validator("webhook", pointer).iter_errors(payload)]
        assert not errors, (payload, errors)
    return found


def test_subscriptions_crud(hook: Any, emulator: Any) -> None:
    created = subscribe(hook, "user.created")
    assert created["status"] == "active" and set(created) == {"_id", "eventType", "name", "url", "status"}
    assert hook.call_action("get_subscription", subscriptionId=created["_id"]) == created
    assert [
        s["_id"]
        for s in hook.iter_action("get_subscriptions", eventType={"eq": "user.created"})
        if s["status"] == "active"
    ] == [created["_id"]]
    assert not list(hook.iter_action("get_subscriptions", eventType={"eq": "group.created"}))
    seeded = [s for s in hook.iter_action("get_subscriptions") if s["status"] == "inactive"]
    assert len(seeded) == 1, "one seeded, inactive subscription"
    duplicate = api_error(
        hook, "create_subscription", body={"eventType": "user.created", "name": "again", "url": created["url"]}
    )
    assert (duplicate.status, duplicate.code) == (400, "subscriptionAlreadyExists")
    unreachable = api_error(
        hook,
        "create_subscription",
        body={"eventType": "user.created", "name": "x", "url": "https://hooks.example.invalid/in"},
    )
    assert unreachable.code == "urlUnreachable"
    edited = hook.call_action(
        "update_subscription", subscriptionId=created["_id"], body={"name": "HR", "status": "inactive"}
    )
    assert (edited["name"], edited["status"]) == ("HR", "inactive")
    assert (
        api_error(hook, "update_subscription", subscriptionId=created["_id"], body={"url": "ftp://x"}).code
        == "urlUnreachable"
    )
    hook.call_action("delete_subscription", subscriptionId=created["_id"])
    assert api_error(hook, "get_subscription", subscriptionId=created["_id"]).code == "subscriptionNotFound"
    assert api_error(hook, "delete_subscription", subscriptionId=created["_id"]).code == "subscriptionNotFound"
    assert api_error(hook, "get_events", subscriptionId=UNKNOWN).code == "subscriptionNotFound"


def test_signing_secret_and_rotation(hook: Any, emulator: Any) -> None:
    subscription = subscribe(hook, "group.created")
    secret = hook.call_action("get_signing_secret", subscriptionId=subscription["_id"])["secret"]
    assert secret.startswith("whsec_") and len(secret) > 20
    rotated = hook.call_action("rotate_signing_secret", subscriptionId=subscription["_id"])["secret"]
    assert (
        rotated != secret
        and hook.call_action("get_signing_secret", subscriptionId=subscription["_id"])["secret"] == rotated
    )
    listed = str(list(hook.iter_action("get_subscriptions"))) + str(
        hook.call_action("get_subscription", subscriptionId=subscription["_id"])
    )
    assert rotated not in listed and secret not in listed, "only the secrets endpoint shows the secret"
    recorded = "".join(e.response_body.decode() for e in emulator.state.exchanges)
    assert "secret" in recorded and rotated not in recorded and secret not in recorded, "the exchange log redacts it"
    assert api_error(hook, "rotate_signing_secret", subscriptionId=UNKNOWN).code == "subscriptionNotFound"


def test_retries_check_the_timeframe_and_the_subscription(hook: Any, emulator: Any) -> None:
    subscription = subscribe(hook, "user.updated")
    window = {"startDate": "2026-03-01T00:00:00.000Z", "endDate": "2026-03-03T00:00:00.000Z"}
    for name in ("retry_event_failures", "retry_event_successes"):
        assert hook.call_action(name, subscriptionId=subscription["_id"], body=window) is None
        too_long = api_error(
            hook, name, subscriptionId=subscription["_id"], body={**window, "endDate": "2026-03-05T00:00:00.000Z"}
        )
        assert (too_long.status, too_long.code) == (400, "invalidRetryTimeframe")
        backwards = {"startDate": window["endDate"], "endDate": window["startDate"]}
        assert api_error(hook, name, subscriptionId=subscription["_id"], body=backwards).code == "invalidRetryTimeframe"
    hook.call_action("update_subscription", subscriptionId=subscription["_id"], body={"status": "inactive"})
    assert api_error(hook, "retry_event_failures", subscriptionId=subscription["_id"], body=window).code == (
        "activeSubscriptionNotFound"
    )


def test_core_writes_record_their_events(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    tenant = state.tenant
    kinds = (
        "user.created",
        "user.invited",
        "user.updated",
        "user.activated",
        "user.deleted",
        "group.created",
        "group.updated",
        "group.deleted",
        "path.created",
        "path.updated",
        "path.archived",
        "path.deleted",
        "path.session.added",
        "path.session.removed",
    )
    subs = {kind: subscribe(hook, kind) for kind in kinds}
    since = iso(state.today())
    membership = {"groupId": tenant.groups.object_id(1), "role": "learner"}
    user = hook.call_action(
        "create_user", body={"mail": "ada@example.org", "firstName": "Ada", "membership": membership}
    )
    invited = hook.call_action(
        "create_user", sendInvitationEmail="true", body={"mail": "bob@example.org", "membership": membership}
    )
    hook.call_action("edit_user", userId=user["_id"], body={"job": "Engineer"})
    hook.call_action("edit_user", userId=user["_id"], body={"job": "Engineer"})  # no change, no event
    hook.call_action("activate_user", userId=invited["_id"])
    hook.call_action("delete_user", userId=user["_id"])
    group = hook.call_action(
        "create_group", body={"name": "Pilots", "public": False, "parentId": tenant.groups.object_id(1)}
    )
    hook.call_action("edit_group", groupId=group["_id"], body={"name": "Test pilots"})
    hook.call_action("delete_group", groupId=group["_id"])
    created = send(
        raw,
        "POST",
        "/api/v2/paths",
        files=multipart(
            {"name": "Cloud", "authorId": tenant.users.object_id(0), "groupId": tenant.groups.object_id(0)}
        ),
    )
    assert created.status_code == 201, created.text
    path = created.json()
    edited = send(raw, "PATCH", f"/api/v2/paths/{path['_id']}", files=multipart({"name": "Cloud essentials"}))
    assert edited.status_code == 200, edited.text
    session = hook.call_action(
        "create_path_session",
        pathId=path["_id"],
        body={
            "name": "Spring",
            "mainInstructorId": tenant.users.object_id(1),
            "registrationRequestValidation": "disabled",
            "startDate": "2099-02-01T09:00:00.000Z",
        },
    )
    hook.call_action("delete_path_session", pathId=path["_id"], sessionId=session["_id"])
    hook.call_action("archive_restore_path", pathId=path["_id"], body={"archived": True})
    hook.call_action("delete_path", pathId=path["_id"])

    data = {
        kind: [e["payload"]["data"] for e in events(hook, sub, createdAt={"gte": since})] for kind, sub in subs.items()
    }
    assert [d["userId"] for d in data["user.created"]] == [user["_id"]] and data["user.created"][0][
        "firstName"
    ] == "Ada"
    assert [d["userId"] for d in data["user.invited"]] == [invited["_id"]]
    assert [(d["userId"], d["job"]) for d in data["user.updated"]] == [(user["_id"], "Engineer")]
    assert [d["userId"] for d in data["user.activated"]] == [invited["_id"]]
    assert [d["userId"] for d in data["user.deleted"]] == [user["_id"]]
    assert [d["name"] for d in data["group.created"] + data["group.updated"] + data["group.deleted"]] == [
        "Pilots",
        "Test pilots",
        "Test pilots",
    ]
    assert [d["pathId"] for d in data["path.created"] + data["path.archived"] + data["path.deleted"]] == [
        path["_id"]
    ] * 3
    assert [d["changeType"] for d in data["path.updated"]] == ["settings"]
    assert [d["sessionId"] for d in data["path.session.added"] + data["path.session.removed"]] == [session["_id"]] * 2
    later = iso(state.today() + 3600)
    assert events(hook, subs["user.created"], createdAt={"gte": later}) == []
    assert len(events(hook, subs["user.created"], status={"eq": "delivered"})) == 1


def test_inactive_subscriptions_record_nothing(hook: Any, emulator: Any) -> None:
    subscription = subscribe(hook, "group.created")
    hook.call_action("update_subscription", subscriptionId=subscription["_id"], body={"status": "inactive"})
    hook.call_action(
        "create_group", body={"name": "Quiet", "public": False, "parentId": emulator.state.tenant.groups.object_id(1)}
    )
    assert events(hook, subscription) == []


def test_bulk_operations_record_their_events(hook: Any, emulator: Any, raw: Api) -> None:
    state = emulator.state
    subs = {
        kind: subscribe(hook, kind)
        for kind in ("bulk.operation.created", "bulk.operation.ended", "course.attempt.closed", "group.deleted")
    }
    seeded = integration(emulator)
    run(raw, emulator, hook, "PUT", f"/integrations/{seeded['_id']}/courses", [course_item("w-1")])
    user = state.get_row("users", state.tenant.users.object_id(3))
    stat = {
        "courseIdentifier": {"type": "externalId", "value": "w-1"},
        "userIdentifier": {"type": "mail", "value": user["mail"]},
        "progress": 100,
        "timeSpent": 1000,
        "firstActivityAt": "2026-03-01T10:00:00.000Z",
        "lastActivityAt": "2026-03-01T11:00:00.000Z",
    }
    [result] = run(raw, emulator, hook, "POST", f"/integrations/{seeded['_id']}/stats", [stat])
    run(raw, emulator, hook, "DELETE", "/groups", [{"groupId": state.tenant.groups.object_id(9)}])
    created = [e["payload"]["data"] for e in events(hook, subs["bulk.operation.created"])]
    ended = [e["payload"]["data"] for e in events(hook, subs["bulk.operation.ended"])]
    assert [d["type"] for d in created] == ["importExternalCourses", "importExternalStatistics", "deleteGroups"]
    assert [(d["type"], d["status"]) for d in ended] == [(d["type"], "completed") for d in created]
    assert [d["bulkOperationId"] for d in ended] == [d["bulkOperationId"] for d in created]
    [closed] = [e["payload"]["data"] for e in events(hook, subs["course.attempt.closed"])]
    assert (closed["attemptId"], closed["userId"], closed["closedAt"]) == (
        result["resourceId"],
        user["_id"],
        stat["lastActivityAt"],
    )
    assert [e["payload"]["data"]["groupId"] for e in events(hook, subs["group.deleted"])] == [
        state.tenant.groups.object_id(9)
    ]
