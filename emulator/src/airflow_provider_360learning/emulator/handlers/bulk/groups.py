"""Bulk writes to groups: catalog and library contents, memberships, and deleting groups with their subtrees."""

from __future__ import annotations

from functools import partial

from airflow_provider_360learning.emulator.events import emit, pick
from airflow_provider_360learning.emulator.handlers.bulk.operations import ObjectError, Row, Run, bulk
from airflow_provider_360learning.emulator.handlers.groups import set_content
from airflow_provider_360learning.emulator.handlers.memberships import set_role, user_roles
from airflow_provider_360learning.emulator.state import EmulatorState

CONTENT_COLLECTIONS = {"course": "courses", "path": "paths", "path-session": "path_sessions"}


def _group(run: Run, group_id: str) -> Row:
    group = run.state.get_row("groups", group_id)
    if group is None:
        raise ObjectError(f"The groupId {group_id} does not correspond to any existing group.")
    return group


def _content(run: Run, item: Row, kind: str, present: bool) -> str:
    """Add a content to (or remove it from) a group's catalog or library; the group's id is the resource."""
    group = _group(run, item["groupId"].lower())
    content_id = item["contentId"].lower()
    content = run.state.get_row(CONTENT_COLLECTIONS[item["contentType"]], content_id)
    if content is None or content.get("status") == "deleted":
        raise ObjectError(f"The contentId {content_id} does not correspond to any existing {item['contentType']}.")
    set_content(run.state, kind, item["contentType"], content_id, group["_id"], present)
    return str(group["_id"])


CONTENT_OPERATIONS = (
    ("add_contents_to_groups_catalog", "addContentsToGroupsCatalog", "catalog", True),
    ("remove_contents_from_groups_catalog", "removeContentsFromGroupsCatalog", "catalog", False),
    ("add_contents_to_groups_library", "addContentsToGroupsLibrary", "library", True),
    ("remove_contents_from_groups_library", "removeContentsFromGroupsLibrary", "library", False),
)
for _name, _type, _kind, _present in CONTENT_OPERATIONS:
    bulk(_name, _type)(partial(_content, kind=_kind, present=_present))


def _user(run: Run, user_id: str) -> Row:
    user = run.state.get_row("users", user_id)
    if user is None or user["status"] == "deleted":
        raise ObjectError(f"The userId {user_id} does not correspond to any existing user.")
    return user


@bulk("add_users_to_groups", "addUsersToGroups")
def add_user_to_group(run: Run, item: Row) -> str:
    user, group = _user(run, item["userId"].lower()), _group(run, item["groupId"].lower())
    set_role(run.state, user["_id"], group["_id"], item["role"], True)
    return str(user["_id"])


def children(state: EmulatorState) -> dict[str, list[Row]]:
    """Groups by parent id (the tree is small: generated groups plus the ones the API created)."""
    out: dict[str, list[Row]] = {}
    for group in state.rows("groups"):
        if "parentId" in group:
            out.setdefault(group["parentId"], []).append(group)
    return out


@bulk("remove_users_from_groups", "removeUsersFromGroups")
def remove_user_from_group(run: Run, item: Row) -> str:
    """A learner also leaves the public subgroups below, down to the first private one (excluded)."""
    state = run.state
    user, group = _user(run, item["userId"].lower()), _group(run, item["groupId"].lower())
    role = item["role"]
    roles = user_roles(state, user)
    if {"groupId": group["_id"], "role": role} not in roles:
        raise ObjectError(f"The user {user['_id']} has no role {role} in the group {group['_id']}.")
    set_role(state, user["_id"], group["_id"], role, False)
    if role == "learner":
        tree, below = children(state), [group["_id"]]
        while below:
            for child in tree.get(below.pop(), []):
                if child["public"]:
                    if {"groupId": child["_id"], "role": "learner"} in roles:
                        set_role(state, user["_id"], child["_id"], "learner", False)
                    below.append(child["_id"])
    return str(user["_id"])


@bulk("delete_groups", "deleteGroups")
def delete_group(run: Run, item: Row) -> str:
    """The group, its descendants and their courses go (courses become ``deleted``); not the root, not a
    group whose subtree holds an integration."""
    state = run.state
    group = _group(run, item["groupId"].lower())
    if "parentId" not in group:
        raise ObjectError(f"The group {group['_id']} is the root group.")
    tree, doomed, below = children(state), [group], [group["_id"]]
    while below:
        for child in tree.get(below.pop(), []):
            doomed.append(child)
            below.append(child["_id"])
    ids = {g["_id"] for g in doomed}
    if any(i["groupId"] in ids for i in state.rows("integrations")):
        raise ObjectError(f"The group {group['_id']} or one of its descendants has active integrations.")
    for course in list(state.rows("courses")):
        if course["groupId"] in ids and course["status"] != "deleted":
            state.patch_row("courses", course["_id"], {"status": "deleted"})
    for doomed_group in reversed(doomed):
        state.delete_row("groups", doomed_group["_id"])
        emit(
            state,
            "group.deleted",
            pick(doomed_group, "GroupDeletedDTO", groupId=doomed_group["_id"], deletedAt=run.now),
            run.at,
        )
    return str(group["_id"])
