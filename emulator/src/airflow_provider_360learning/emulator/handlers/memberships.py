"""Who is in which group with which role, and who manages whom.

Generated memberships: every user is a learner of the primary group it was generated with, and the
first user owns the root group. Generated management: user ``10k`` manages users ``10k+1 .. 10k+9``.
Both are arithmetic on indices, so a group's members and a manager's team are read lazily; API
writes are kept as differences (added or removed roles, per-user manager lists).
"""

from __future__ import annotations

from collections.abc import Iterator

from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    fail,
    handler,
    ok,
    page,
    page_items,
    require_param,
)
from airflow_provider_360learning.emulator.pagination import Row, View
from airflow_provider_360learning.emulator.routing import Filter
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import TEAM

ROLE_NAMES = {"user-admin": "userAdmin"}
"""Role path segments that differ from the role names of the responses."""


# -- roles in groups -----------------------------------------------------------------------------
def _generated_roles(state: EmulatorState, user: Row) -> list[tuple[str, str]]:
    index = state.tenant.users.index_of(user["_id"])
    if index is None or index >= len(state.tenant.users):
        return []
    roles = [(state.tenant.users.item(index)["primaryGroupId"], "learner")]
    if index == 0:
        roles.append((state.tenant.groups.object_id(0), "owner"))
    return roles


def user_roles(state: EmulatorState, user: Row) -> list[dict[str, str]]:
    """A user's roles: generated ones minus removed ones, plus added ones, in groups that still exist."""
    changes = state.relation("roles").get(user["_id"], {})
    roles = [r for r in _generated_roles(state, user) if changes.get(r) is not False]
    roles += [r for r, present in changes.items() if present and r not in roles]
    return [{"groupId": g, "role": role} for g, role in roles if state.get_row("groups", g) is not None]


def set_role(state: EmulatorState, user_id: str, group_id: str, role: str, present: bool) -> None:
    with state.lock:
        state.relation("roles").setdefault(user_id, {})[(group_id, role)] = present


def is_member(state: EmulatorState, user: Row, group_id: str) -> bool:
    return any(r["groupId"] == group_id for r in user_roles(state, user))


@handler("get_user_roles_in_groups")
def get_user_roles_in_groups(ctx: RequestContext) -> Reply:
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    return page_items(ctx, user_roles(ctx.state, user))


@handler("list_group_memberships")
def list_group_memberships(ctx: RequestContext) -> Reply:
    """Members of a group: a lazy scan of the users (one page at a time), each with its roles there."""
    state = ctx.state
    group = require_param(ctx, "groups", "groupId", "groupNotFound", "group")

    def roles_here(row: Row) -> Row:
        roles = [r["role"] for r in user_roles(state, row) if r["groupId"] == group["_id"]]
        return {"_id": row["_id"], "roles": roles, "member": bool(roles)}

    view = View.whole(state.collection("users"), state.overlay("users"), transform=roles_here)
    reply = page(ctx, view, out=lambda row: row, extra=[Filter("member", "eq", True)])
    reply.body = [{"userId": row["_id"], "role": role} for row in reply.body for role in row["roles"]]
    return reply


@handler("add_user_role", "remove_user_role")
def change_user_role(ctx: RequestContext) -> Reply:
    state = ctx.state
    group = require_param(ctx, "groups", "groupId", "groupNotFound", "group")
    role = ROLE_NAMES.get(ctx.path_params["role"], ctx.path_params["role"])
    user_id = ctx.path_params["userId"]
    adding = ctx.action.method == "POST"
    user = state.get_row("users", user_id)
    if adding:
        user = require_param(ctx, "users", "userId", "userNotFound", "user")
        if user["status"] == "deleted":
            raise fail(ctx, "userDeleted", f"The user {user_id} is deleted.")
    elif user is None or {"groupId": group["_id"], "role": role} not in user_roles(state, user):
        raise fail(ctx, "userNotFoundInGroup", f"The user {user_id} has no role {role} in the group {group['_id']}.")
    set_role(state, user_id, group["_id"], role, adding)
    return ok(ctx)


# -- managers and subordinates -------------------------------------------------------------------
def managers(state: EmulatorState, user: Row) -> list[str]:
    explicit = state.relation("managers").get(user["_id"])
    if explicit is not None:
        return list(explicit)
    index = state.tenant.users.index_of(user["_id"])
    if index is None or index >= len(state.tenant.users) or index % TEAM == 0:
        return []
    return [state.tenant.users.object_id(index - index % TEAM)]


def subordinates(state: EmulatorState, manager: Row) -> Iterator[str]:
    users = state.tenant.users
    explicit = state.relation("managers")
    index = users.index_of(manager["_id"])
    if index is not None and index < len(users) and index % TEAM == 0:
        for i in range(index + 1, min(index + TEAM, len(users))):
            oid = users.object_id(i)
            if oid not in explicit and state.get_row("users", oid) is not None:
                yield oid
    yield from (oid for oid, ids in list(explicit.items()) if manager["_id"] in ids)


@handler("list_user_managers")
def list_user_managers(ctx: RequestContext) -> Reply:
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    return page_items(ctx, [m for m in managers(ctx.state, user) if ctx.state.get_row("users", m) is not None])


@handler("list_user_subordinates")
def list_user_subordinates(ctx: RequestContext) -> Reply:
    return page_items(ctx, list(subordinates(ctx.state, require_param(ctx, "users", "userId", "userNotFound", "user"))))


@handler("add_manager_to_user", "remove_manager_from_user")
def change_manager(ctx: RequestContext) -> Reply:
    state = ctx.state
    user = require_param(ctx, "users", "userId", "userNotFound", "user")
    manager = require_param(ctx, "users", "managerId", "managerNotFound", "manager")
    if user["status"] == "deleted":
        raise fail(ctx, "userDeleted", f"The user {user['_id']} is deleted.")
    current = managers(state, user)
    if ctx.action.method == "POST":
        if manager["status"] == "deleted":
            raise fail(ctx, "managerDeleted", f"The manager {manager['_id']} is deleted.")
        updated = current if manager["_id"] in current else [*current, manager["_id"]]
    else:
        if manager["_id"] not in current:
            raise fail(ctx, "managerNotAssignedToUser", f"The user {manager['_id']} does not manage {user['_id']}.")
        updated = [m for m in current if m != manager["_id"]]
    with state.lock:
        state.relation("managers")[user["_id"]] = updated
    return ok(ctx)
