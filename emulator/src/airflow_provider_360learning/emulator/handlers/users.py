"""Users: create, edit, delete, activate, pseudonymize (deleted users only), password and profile image.

Mails and usernames are unique. Generated ones embed the user's index, so a uniqueness check decodes
the candidate index instead of scanning the users (then looks at the rows written through the API).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from airflow_provider_360learning.emulator.bodies import Upload
from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import Resource, check_references, crud, get_row, new_media
from airflow_provider_360learning.emulator.handlers.external_ids import delete_mappings_of
from airflow_provider_360learning.emulator.handlers.memberships import is_member, set_role
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import parse_iso

USERS = crud(Resource("users", "userId", "userNotFound", "user"), list="list_users", get="get_user")
_MAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9_\-.+#!$%&'*/=?^`{|}~]+$")
_IDENTIFIERS = (
    ("mail", _MAIL, "mailInvalid", "mailAlreadyUsed"),
    ("username", _USERNAME, "usernameNotAllowed", "usernameAlreadyUsed"),
)
_INDEXED = {"mail": re.compile(r"^[a-z0-9]+\.[a-z0-9]+\.(\d+)@example\.com$"), "username": re.compile(r"^[a-z]+(\d+)$")}
PERSONAL_FIELDS = (
    "mail",
    "username",
    "phone",
    "job",
    "organization",
    "custom",
    "lastLoginDate",
    "profileImageId",
    "toBeDeactivatedAt",
)


def find_user(state: EmulatorState, name: str, value: str) -> Row | None:
    """The user whose ``mail`` or ``username`` is ``value`` (generated, patched or added)."""
    users = state.tenant.users
    match = _INDEXED[name].match(value)
    if match and int(match[1]) < len(users):
        row = state.get_row("users", users.object_id(int(match[1])))
        if row is not None and row.get(name) == value:
            return row
    ov = state.overlay("users")
    for oid, patch in list(ov.patched.items()):
        if patch.get(name) == value:
            return state.get_row("users", oid)
    return next((row for _, row in list(ov.added.values()) if row.get(name) == value), None)


def _check_identity(ctx: RequestContext, user_id: str | None, fields: dict[str, Any]) -> None:
    state = ctx.state
    for name, pattern, invalid, taken in _IDENTIFIERS:
        value = fields.get(name)
        if value is None:
            continue
        if not pattern.match(value):
            raise fail(ctx, invalid, f"The {name} {value!r} is not allowed.")
        other = find_user(state, name, value)
        if other is not None and other["_id"] != user_id:
            raise fail(ctx, taken, f"The {name} {value!r} is used by the user {other['_id']}.")
    deactivation = fields.get("toBeDeactivatedAt")
    if deactivation is not None:
        fields["toBeDeactivatedAt"] = parse_datetime(deactivation)
        if parse_iso(deactivation) <= state.today():
            raise fail(ctx, "deactivationDateInvalid", f"The deactivation date {deactivation} is not in the future.")


def is_owner(state: EmulatorState, user: Row) -> bool:
    """The first generated user owns the company (it cannot be deleted or deactivated)."""
    return user["_id"] == state.tenant.users.object_id(0)


@handler("create_user")
def create_user(ctx: RequestContext) -> Reply:
    """A new user: ``invited`` when an invitation mail is sent, else ``active``; member of its first group."""
    state = ctx.state
    fields = ctx.fields
    membership = fields.pop("membership")
    group_id = membership["groupId"].lower()
    if state.get_row("groups", group_id) is None:
        raise fail(ctx, "groupNotFound", f"The given groupId {group_id} does not correspond to any existing group.")
    if "mail" not in fields and "username" not in fields:
        raise fail(ctx, "mailAndUsernameUndefined", "A user needs a mail or a username.")
    _check_identity(ctx, None, fields)
    primary = fields.get("primaryGroupId", group_id).lower()
    if primary != group_id:
        raise fail(ctx, "notMemberOfPrimaryGroup", f"The user would not be a member of its primary group {primary}.")
    invited = ctx.query.plain.get("sendInvitationEmail") == "true"
    row = {"lang": "en", **fields, "primaryGroupId": primary, "status": "invited" if invited else "active"}
    with state.lock:
        user = state.add_row("users", row, fill=False)
        set_role(state, user["_id"], group_id, membership["role"], True)
    return ok(ctx, user)


@handler("edit_user")
def edit_user(ctx: RequestContext) -> Reply:
    state = ctx.state
    user = get_row(ctx, USERS)
    if user["status"] == "deleted":
        raise fail(ctx, "invalidUpdateOnDeletedUser", f"The user {user['_id']} is deleted.")
    fields = ctx.fields
    _check_identity(ctx, user["_id"], fields)
    check_references(ctx, fields)
    if fields.get("toBeDeactivatedAt") is not None and is_owner(state, user):
        raise fail(ctx, "ownerDeactivationNotAllowed", f"The user {user['_id']} owns the company.")
    primary = fields.get("primaryGroupId")
    if primary is not None and not is_member(state, user, primary.lower()):
        raise fail(ctx, "notMemberOfPrimaryGroup", f"The user {user['_id']} is not a member of the group {primary}.")
    merged = {**user, **fields}
    if merged.get("mail") is None and merged.get("username") is None:
        raise fail(ctx, "userShouldHaveAtLeastOneValidIdentifier", "A user keeps a mail or a username.")
    return ok(ctx, state.patch_row("users", user["_id"], fields))


@handler("delete_user")
def delete_user(ctx: RequestContext) -> Reply:
    """Deleting moves the user to ``deleted`` (``deletedAt`` grows); the row stays, for pseudonymization."""
    user = get_row(ctx, USERS)
    if is_owner(ctx.state, user):
        raise fail(ctx, "userIsCompanyOwner", f"The user {user['_id']} owns the company and cannot be deleted.")
    if user["status"] != "deleted":
        ctx.state.patch_row(
            "users", user["_id"], {"status": "deleted", "deletedAt": [*user.get("deletedAt", []), ctx.now()]}
        )
    return ok(ctx)


@handler("activate_user")
def activate_user(ctx: RequestContext) -> Reply:
    """An invited user becomes ``active``; an active one stays so; a deleted one is refused."""
    user = get_row(ctx, USERS)
    if user["status"] == "deleted":
        raise fail(ctx, "userDeleted", f"The user {user['_id']} is deleted.")
    return ok(ctx, ctx.state.patch_row("users", user["_id"], {"status": "active"}))


@handler("pseudonymize_user")
def pseudonymize_user(ctx: RequestContext) -> Reply:
    """Only a deleted user: personal fields go, names become a stable pseudonym; custom values go too."""
    state = ctx.state
    user = get_row(ctx, USERS)
    if user["status"] != "deleted":
        raise fail(ctx, "userNotDeleted", f"The user {user['_id']} is not deleted: delete it first.")
    alias = hashlib.sha256(user["_id"].encode()).hexdigest()[:8]
    changes: dict[str, Any] = {**dict.fromkeys(PERSONAL_FIELDS), "firstName": "Pseudonymized", "lastName": alias}
    with state.lock:
        row = state.patch_row("users", user["_id"], changes)
        state.relation("custom_values").pop(("users", user["_id"]), None)
        if ctx.query.plain.get("deleteExternalIds") == "true":
            delete_mappings_of(ctx, user["_id"])
    return ok(ctx, row)


@handler("replace_user_password")
def replace_user_password(ctx: RequestContext) -> Reply:
    """Kept as a hash with its must-change flag (``state.relation("passwords")``); 8 characters at least."""
    user = get_row(ctx, USERS)
    if user["status"] == "deleted":
        raise fail(ctx, "userDeleted", f"The user {user['_id']} is deleted.")
    password = ctx.fields["password"]
    if len(password) < 8:
        raise fail(ctx, "passwordInvalid", "The password must be at least 8 characters long.")
    ctx.state.relation("passwords")[user["_id"]] = {
        "sha256": hashlib.sha256(password.encode()).hexdigest(),
        "mustBeChanged": ctx.fields["passwordMustBeChanged"],
    }
    return ok(ctx)


@handler("upload_user_media")
def upload_user_media(ctx: RequestContext) -> Reply:
    user = get_row(ctx, USERS)
    image = ctx.fields["profileImage"]
    if not isinstance(image, Upload) or not image.content_type.startswith("image/"):
        raise fail(ctx, "invalidFile", "The profile image must be an image file.")
    return ok(ctx, ctx.state.patch_row("users", user["_id"], {"profileImageId": new_media(ctx.state, "image")}))
