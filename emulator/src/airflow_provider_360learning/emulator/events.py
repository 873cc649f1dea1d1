"""Webhook events of the emulator's writes: which write emits which event, and the event's payload.

Every active webhook subscription records the events of its ``eventType`` from its creation on (the
emulator sends no HTTP request: a recorded event is ``delivered``, or ``failed`` once the control interface
says that the subscription's endpoint refuses deliveries, as a placeholder URL would). Core writes are
observed in one place: :func:`observed` wraps the handlers of :data:`WATCHES` when they are registered,
compares the object before and after a successful write and emits what the webhook document describes.
Bulk operations call :func:`emit` for their own events (created, ended, attempts closed, groups deleted).

A learner's status in a path session changes in 360Learning's player, which no API operation drives: the
control interface stands for it (:func:`set_path_status`, ``POST /_emulator/path-stats/{id}/status``) and
emits ``path.session.user.status.updated``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from airflow_provider_360learning.emulator.state import EmulatorState, RowError
from airflow_provider_360learning.emulator.tenant import iso

# A handler of handlers/base.py (which wraps its handlers here, so this module does not import it back).
Handler = TypeVar("Handler", bound=Callable[[Any], Any])

Row = dict[str, Any]
Event = tuple[str, Row]
MAX_EVENTS = 100_000
"""Events kept per subscription (the oldest go first), so memory stays bounded under bulk imports."""
SUBSCRIPTIONS = "webhook_subscriptions"
PATH_STATS = "path_session_user_stats"
STATUS_UPDATED = "path.session.user.status.updated"
DELIVERY = "webhook_delivery"
"""Side table: subscription id -> the status its new events get (``failed`` when its endpoint refuses them)."""
DELIVERY_STATUSES = ("delivered", "failed")


@functools.cache
def _properties(schema_name: str) -> frozenset[str]:
    from airflow_provider_360learning.actions import load_document

    return frozenset(load_document("webhook").contents["components"]["schemas"][schema_name]["properties"])


def pick(row: Mapping[str, Any], schema_name: str, **fields: Any) -> Row:
    """The row's fields that the webhook DTO declares (empty values left out), plus ``fields``."""
    allowed = _properties(schema_name)
    return {**{k: v for k, v in row.items() if k in allowed and v not in (None, "", [])}, **fields}


# -- recording -----------------------------------------------------------------------------------
def subscribers(state: EmulatorState, event_type: str) -> list[str]:
    """Ids of the active subscriptions to an event type."""
    return [s["_id"] for s in state.rows(SUBSCRIPTIONS) if s["eventType"] == event_type and s["status"] == "active"]


def emit(state: EmulatorState, event_type: str, data: Row, at: int | None = None) -> None:
    """Record one event for every active subscription to its type (``at``: epoch seconds, default now)."""
    with state.lock:
        targets = subscribers(state, event_type)
        if not targets:
            return
        when = state.today() if at is None else at
        store = state.relation("webhook_events")
        sequence = state.relation("webhook_sequence")
        delivery = state.relation(DELIVERY)
        for sub_id in targets:
            number = sequence[sub_id] = sequence.get(sub_id, 0) + 1
            digest = hashlib.blake2b(f"{sub_id}:{number}".encode(), digest_size=15).hexdigest()
            store.setdefault(sub_id, deque(maxlen=MAX_EVENTS)).append(
                {
                    "_id": f"msg_{digest}",
                    "createdAt": iso(when),
                    "status": delivery.get(sub_id, "delivered"),
                    "payload": {"type": event_type, "timestamp": when * 1000, "data": data},
                }
            )


def events_of(state: EmulatorState, subscription_id: str) -> list[Row]:
    with state.lock:
        return list(state.relation("webhook_events").get(subscription_id, ()))


# -- core writes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Watch:
    """A write that emits events: the collection it writes, the path parameter naming the object
    (``None``: the reply's ``_id``), the event types it may emit and how (object before, after, now)."""

    collection: str
    param: str | None
    types: tuple[str, ...]
    events: Callable[[Row | None, Row | None, str], Iterable[Event]]


_USER_CHANGES = (
    "mail",
    "username",
    "firstName",
    "lastName",
    "lang",
    "custom",
    "job",
    "organization",
    "phone",
    "toBeDeactivatedAt",
    "primaryGroupId",
)


def _user_created(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if after is not None and after["status"] == "invited":
        yield "user.invited", pick(after, "UserInvitedDTO", userId=after["_id"], invitedAt=now)
    elif after is not None:
        yield "user.created", pick(after, "UserCreatedDTO", userId=after["_id"], createdAt=now)


def _user_updated(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None and after is not None and any(before.get(k) != after.get(k) for k in _USER_CHANGES):
        yield "user.updated", pick(after, "UserUpdatedDTO", userId=after["_id"], updatedAt=now)


def _user_deleted(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None and before["status"] != "deleted":
        yield "user.deleted", pick(before, "UserDeletedDTO", userId=before["_id"], deletedAt=now)


def _user_activated(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None and after is not None and before["status"] == "invited" and after["status"] == "active":
        yield "user.activated", pick(after, "UserActivatedDTO", userId=after["_id"], firstActivatedAt=now)


def _group(kind: str, stamp: str, schema: str) -> Callable[[Row | None, Row | None, str], Iterable[Event]]:
    def events(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
        row = after if kind != "deleted" else before
        if row is not None:
            yield f"group.{kind}", pick(row, schema, groupId=row["_id"], **{stamp: now})

    return events


def _path_updated(change: str) -> Callable[[Row | None, Row | None, str], Iterable[Event]]:
    def events(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
        if after is not None:
            yield (
                "path.updated",
                {"pathId": after["_id"], "name": after["name"], "changeType": change, "updatedAt": now},
            )

    return events


def _path_created(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if after is not None:
        yield "path.created", {"pathId": after["_id"], "createdAt": now}


def _path_deleted(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None:
        yield "path.deleted", {"pathId": before["_id"], "deletedAt": now, "name": before["name"]}


def _path_archived(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None and after is not None and before["status"] != "archived" and after["status"] == "archived":
        yield "path.archived", {"pathId": after["_id"], "archivedAt": now, "name": after["name"]}


def _session_added(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if after is not None:
        yield (
            "path.session.added",
            {"pathId": after["pathId"], "sessionId": after["_id"], "name": after["name"], "createdAt": now},
        )


def _session_removed(before: Row | None, after: Row | None, now: str) -> Iterable[Event]:
    if before is not None:
        yield (
            "path.session.removed",
            {"pathId": before["pathId"], "sessionId": before["_id"], "name": before["name"], "deletedAt": now},
        )


WATCHES: dict[str, Watch] = {
    "create_user": Watch("users", None, ("user.created", "user.invited"), _user_created),
    "edit_user": Watch("users", "userId", ("user.updated",), _user_updated),
    "delete_user": Watch("users", "userId", ("user.deleted",), _user_deleted),
    "activate_user": Watch("users", "userId", ("user.activated",), _user_activated),
    "create_group": Watch("groups", None, ("group.created",), _group("created", "createdAt", "GroupCreatedDTO")),
    "edit_group": Watch("groups", "groupId", ("group.updated",), _group("updated", "updatedAt", "GroupUpdatedDTO")),
    "delete_group": Watch("groups", "groupId", ("group.deleted",), _group("deleted", "deletedAt", "GroupDeletedDTO")),
    "create_path": Watch("paths", None, ("path.created",), _path_created),
    "edit_path": Watch("paths", "pathId", ("path.updated",), _path_updated("settings")),
    "replace_path_steps": Watch("paths", "pathId", ("path.updated",), _path_updated("steps")),
    "delete_path": Watch("paths", "pathId", ("path.deleted",), _path_deleted),
    "archive_restore_path": Watch("paths", "pathId", ("path.archived",), _path_archived),
    "create_path_session": Watch("path_sessions", None, ("path.session.added",), _session_added),
    "delete_path_session": Watch("path_sessions", "sessionId", ("path.session.removed",), _session_removed),
}
"""Core actions that emit webhook events (the other writes have no event in the webhook document)."""


def observed(name: str, fn: Handler) -> Handler:
    """``fn``, emitting the events of :data:`WATCHES` after each successful write (``fn`` itself otherwise)."""
    watch = WATCHES.get(name)
    if watch is None:
        return fn

    @functools.wraps(fn)
    def run(ctx: Any) -> Any:
        state = ctx.state
        if not any(subscribers(state, t) for t in watch.types):
            return fn(ctx)
        oid = ctx.path_params.get(watch.param) if watch.param else None
        before = state.get_row(watch.collection, oid) if oid else None
        reply = fn(ctx)
        if 200 <= reply.status < 300:
            if oid is None and isinstance(reply.body, dict):
                oid = reply.body.get("_id")
            after = state.get_row(watch.collection, oid) if oid else None
            now = state.today()
            for event_type, data in watch.events(before, after, iso(now)):
                emit(state, event_type, data, now)
        return reply

    return cast(Handler, run)


# -- control: what the API cannot drive ----------------------------------------------------------
def set_path_status(state: EmulatorState, enrollment_id: str, status: str) -> Row:
    """A learner's status in a path session changes (the player, in 360Learning): the stat row takes it, with
    ``completedAt`` now and progress 100 when ``successful``, and ``path.session.user.status.updated`` is
    emitted. The same status again changes nothing and emits nothing."""
    with state.lock:
        row = state.get_row(PATH_STATS, enrollment_id)
        if row is None:
            raise RowError(f"no path session enrollment with id {enrollment_id}", 404)
        if row["status"].get("type") == status:
            return row
        now = state.today()
        fields: Row = {"status": {"type": status}}
        if status == "successful":
            fields |= {"completedAt": iso(now), "progress": 100}
        changed = state.patch_row(PATH_STATS, row["_id"], fields)  # validated: an unknown status is refused
        emit(
            state,
            STATUS_UPDATED,
            {
                "userId": changed["userId"],
                "pathId": changed["pathId"],
                "sessionId": changed["sessionId"],
                "enrollmentId": changed["_id"],
                "status": status,
                "updatedAt": iso(now),
            },
            now,
        )
        return changed


def set_delivery(state: EmulatorState, subscription_id: str, status: str) -> None:
    """The status the subscription's next events get: ``failed`` stands for an endpoint that refuses them."""
    if status not in DELIVERY_STATUSES:
        raise RowError(f"delivery status must be one of {list(DELIVERY_STATUSES)}, got {status!r}")
    with state.lock:
        if state.get_row(SUBSCRIPTIONS, subscription_id) is None:
            raise RowError(f"no webhook subscription with id {subscription_id}", 404)
        state.relation(DELIVERY)[subscription_id.lower()] = status


def event_control_routes(state: EmulatorState) -> list[BaseRoute]:
    """``POST /_emulator/path-stats/{enrollmentId}/status`` (``{"status": "successful"}``) and
    ``PUT /_emulator/webhooks/{subscriptionId}/delivery`` (``{"status": "failed" | "delivered"}``)."""

    async def body_field(request: Request, name: str) -> Any:
        try:
            return json.loads(await request.body())[name]
        except (ValueError, KeyError, TypeError):
            raise RowError(f'body must be {{"{name}": ...}}') from None

    def error(exc: RowError) -> JSONResponse:
        code = "notFound" if exc.status == 404 else "badRequest"
        return JSONResponse({"error": {"code": code, "message": str(exc)}}, exc.status)

    async def path_status(request: Request) -> Response:
        try:
            status = await body_field(request, "status")
            return JSONResponse(set_path_status(state, request.path_params["enrollmentId"], str(status)))
        except RowError as exc:
            return error(exc)

    async def delivery(request: Request) -> Response:
        subscription_id = request.path_params["subscriptionId"]
        try:
            status = await body_field(request, "status")
            set_delivery(state, subscription_id, str(status))
        except RowError as exc:
            return error(exc)
        return JSONResponse({"subscriptionId": subscription_id, "status": status})

    return [
        Route("/path-stats/{enrollmentId}/status", path_status, methods=["POST"]),
        Route("/webhooks/{subscriptionId}/delivery", delivery, methods=["PUT"]),
    ]
