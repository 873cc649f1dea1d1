"""Read the current state from a SCIM server and apply a plan to it, through the SCIM hook.

Reading: every user, paged with ``startIndex``/``count``; each group the source names, by a filtered
lookup (``displayName eq "..."``). Writing: one POST per new user, one PATCH per changed user (``replace``
operations on the changed paths only), one PATCH per changed group holding explicit ``add``/``remove``
member operations (never a replace of ``members``), one PATCH ``active=false`` per deactivation, DELETE
only for a hard delete.

What the run created, added and removed is collected in ``changes`` (the ownership state's rows), for the
successful writes only.

A failure on one item (400, 409, 404...) is recorded and the run goes on; a 401 (revoked or expired token)
or an unreachable server stops it at once: nothing later could succeed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scim2_models import GroupMember, PatchOperation, Path, Resource

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConflictError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
)
from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
from airflow_provider_360learning.scim.diff import CurrentGroup, CurrentUser, Plan, desired_values
from airflow_provider_360learning.scim.ownership import OwnershipChanges
from airflow_provider_360learning.scim.source import DesiredState, DesiredUser, fold

log = logging.getLogger(__name__)

MEMBERS_PER_PATCH = 1000
"""Member operations per group PATCH (one request per chunk)."""


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    deleted: int = 0
    groups_created: int = 0
    members_added: int = 0
    members_removed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, operation: str, subject: str, exc: ThreeSixtyLearningScimError) -> None:
        log.warning("SCIM %s %s failed: %s", operation, subject, exc)
        self.errors.append(
            {
                "operation": operation,
                "subject": subject,
                "status": exc.status,
                "scim_type": exc.scim_type,
                "detail": exc.detail,
            }
        )

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "reactivated": self.reactivated,
            "deactivated": self.deactivated,
            "deleted": self.deleted,
            "groups_created": self.groups_created,
            "members_added": self.members_added,
            "members_removed": self.members_removed,
            "errors": len(self.errors),
        }


def _dumped_value(dumped: Mapping[str, Any], path: str) -> Any:
    """Read a SCIM attribute path (``name.givenName``, ``urn:...:User:department``) from a dumped resource."""
    if path.startswith("urn:"):
        urn, _, attribute = path.rpartition(":")
        node: Any = dumped.get(urn) or {}
        parts = attribute.split(".")
    else:
        node, parts = dumped, path.split(".")
    for part in parts:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def user_email(resource: Resource[Any]) -> str | None:
    emails = getattr(resource, "emails", None) or []
    chosen = next((e.value for e in emails if e.primary and e.value), None) or next(
        (e.value for e in emails if e.value), None
    )
    return chosen or getattr(resource, "user_name", None)


def current_user(resource: Resource[Any], paths: Iterable[str]) -> CurrentUser | None:
    email = user_email(resource)
    if not email or not resource.id:
        return None
    dumped = resource.model_dump()
    values = {p: (None if (v := _dumped_value(dumped, p)) is None else str(v)) for p in paths}
    return CurrentUser(
        id=resource.id, email=str(email), active=getattr(resource, "active", None) is not False, values=values
    )


def read_current(
    hook: ThreeSixtyLearningScimHook, desired: DesiredState, paths: Iterable[str]
) -> tuple[list[CurrentUser], dict[str, CurrentGroup | None]]:
    """Every user on the server (paged) and the current state of each group the source names."""
    paths = list(paths)
    users = [u for r in hook.iter_resources(hook.user_model) if (u := current_user(r, paths)) is not None]
    groups: dict[str, CurrentGroup | None] = {}
    for name in sorted(desired.groups):
        found = hook.find_one(hook.group_model, f'displayName eq "{_quoted(name)}"')
        groups[name] = (
            None
            if found is None or not found.id
            else CurrentGroup(
                id=found.id,
                name=name,
                member_ids=frozenset(m.value for m in getattr(found, "members", None) or [] if m.value),
            )
        )
    return users, groups


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def new_user(hook: ThreeSixtyLearningScimHook, user: DesiredUser) -> Resource[Any]:
    """The User resource of a new employee: the email is both ``userName`` and the primary work email."""
    model: Any = hook.user_model  # built from the server's schemas: use its own attribute classes
    name = model.Name(given_name=user.given_name, family_name=user.family_name)
    resource = model(
        user_name=user.email,
        emails=[model.Emails(value=user.email, primary=True, type="work")],
        active=True,
        name=name if (user.given_name or user.family_name) else None,
    )
    for path, value in user.attributes.items():
        path_class: Any = Path[model]
        path_class(path).set(resource, value, strict=False)
    return resource


def _operation(model: Any, op: PatchOperation.Op, path: str, value: Any = None) -> PatchOperation[Any]:
    """One PATCH operation of a resource model (the path is parsed against the model by scim2-models)."""
    operation_class: Any = PatchOperation[model]
    return operation_class(op=op, path=path, value=value) if value is not None else operation_class(op=op, path=path)


def _replace_ops(hook: ThreeSixtyLearningScimHook, changes: Mapping[str, list[Any]]) -> list[PatchOperation[Any]]:
    return [
        _operation(hook.user_model, PatchOperation.Op.replace_, path, new) for path, (_, new) in sorted(changes.items())
    ]


class ScimApplier:
    """Applies one plan; ``ids`` maps folded emails to user ids (the plan's matches, then created users)."""

    def __init__(
        self,
        hook: ThreeSixtyLearningScimHook,
        desired: DesiredState,
        groups: Mapping[str, CurrentGroup | None],
        paths: Iterable[str],
    ) -> None:
        self.hook = hook
        self.desired = desired
        self.paths = list(paths)
        self.ids: dict[str, str] = {}
        self.groups = dict(groups)
        self.result = ApplyResult()
        self.changes = OwnershipChanges()

    def apply(self, plan: Plan) -> ApplyResult:
        self.ids = dict(plan.ids)
        for user in plan.create_users:
            self._guard("create user", user.email, lambda user=user: self._create(user))
        for change in plan.update_users:
            self._guard("update user", change.email, lambda change=change: self._update(change.id, change.changes))
        for name in plan.create_groups:
            self._guard("create group", name, lambda name=name: self._create_group(name))
        for name in sorted({*plan.member_adds, *plan.member_removes}):
            self._guard(
                "change group members",
                name,
                lambda name=name: self._change_members(
                    name, plan.member_adds.get(name, []), plan.member_removes.get(name, [])
                ),
            )
        for change in plan.deactivate_users:
            self._guard("deactivate user", change.email, lambda change=change: self._deactivate(change.id))
        for change in plan.delete_users:
            self._guard("delete user", change.email, lambda change=change: self._delete(change.id))
        return self.result

    def _guard(self, operation: str, subject: str, action: Any) -> None:
        try:
            action()
        except (ThreeSixtyLearningScimAuthenticationError, ThreeSixtyLearningScimConnectionError):
            raise
        except ThreeSixtyLearningScimError as exc:
            self.result.error(operation, subject, exc)

    def _create(self, user: DesiredUser) -> None:
        try:
            created = self.hook.create(new_user(self.hook, user))
        except ThreeSixtyLearningScimConflictError:
            # Created meanwhile, or not listed: find it by email and bring it to the desired state.
            found = self.hook.find_one(self.hook.user_model, f'userName eq "{_quoted(user.email)}"')
            if found is None or not found.id:
                raise
            current = current_user(found, self.paths)
            assert current is not None
            self.ids[fold(user.email)] = found.id
            target = desired_values(user, self.paths)
            changes: dict[str, list[Any]] = {
                p: [current.values.get(p), v] for p, v in target.items() if v is not None and current.values.get(p) != v
            }
            if not current.active:
                changes["active"] = [False, True]
            if changes:
                self._update(found.id, changes)
            return
        assert created.id is not None
        self.ids[fold(user.email)] = created.id
        self.changes.created_users.append(created.id)
        self.result.created += 1

    def _update(self, user_id: str, changes: Mapping[str, list[Any]]) -> None:
        self.hook.patch(self.hook.user_model, user_id, _replace_ops(self.hook, changes))
        self.result.updated += 1
        if changes.get("active") == [False, True]:
            self.result.reactivated += 1

    def _deactivate(self, user_id: str) -> None:
        self.hook.patch(self.hook.user_model, user_id, _replace_ops(self.hook, {"active": [True, False]}))
        self.result.deactivated += 1

    def _delete(self, user_id: str) -> None:
        self.hook.delete(self.hook.user_model, user_id)
        self.changes.deleted_users.append(user_id)
        self.result.deleted += 1

    def _known_ids(self, emails: Iterable[str]) -> list[str]:
        """The ids of these emails' users (a user whose creation failed has none, and is skipped)."""
        return [self.ids[fold(e)] for e in emails if fold(e) in self.ids]

    def _create_group(self, name: str) -> None:
        model: Any = self.hook.group_model
        created = self.hook.create(model(display_name=name))
        assert created.id is not None
        self.groups[name] = CurrentGroup(id=created.id, name=name, member_ids=frozenset())
        self.result.groups_created += 1

    def _change_members(self, name: str, adds: list[str], removes: list[str]) -> None:
        group = self.groups.get(name)
        if group is None:
            return  # its creation failed and was reported
        model = self.hook.group_model
        member_class: Any = getattr(model, "Members", GroupMember)
        add_ids, remove_ids = self._known_ids(adds), self._known_ids(removes)
        for start in range(0, max(len(add_ids), len(remove_ids)), MEMBERS_PER_PATCH):
            chunk_adds = add_ids[start : start + MEMBERS_PER_PATCH]
            chunk_removes = remove_ids[start : start + MEMBERS_PER_PATCH]
            operations: list[PatchOperation[Any]] = []
            if chunk_adds:
                members = [member_class(value=i, type="User") for i in chunk_adds]
                operations.append(_operation(model, PatchOperation.Op.add, "members", members))
            operations.extend(
                _operation(model, PatchOperation.Op.remove, f'members[value eq "{_quoted(i)}"]') for i in chunk_removes
            )
            self.hook.patch(model, group.id, operations)
            self.changes.added_members.extend((group.id, i) for i in chunk_adds)
            self.changes.removed_members.extend((group.id, i) for i in chunk_removes)
            self.result.members_added += len(chunk_adds)
            self.result.members_removed += len(chunk_removes)


def announced_schemas(hook: ThreeSixtyLearningScimHook) -> list[str]:
    """The URNs of the User schema and of its extensions, as the server's discovery documents announce them."""
    model: Any = hook.user_model
    return [str(model.__schema__), *model.get_extension_models()]
