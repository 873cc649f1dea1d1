"""scim2-server's ``ScimService`` with 360Learning's rules on creations, replacements and PATCHes.

scim2-server does the SCIM protocol (parsing, filters, paging, PATCH application, errors); this subclass
only adds what 360Learning does differently (see :mod:`.rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import PatchOp, Resource, ResourceType, ScimProvider
from scim2_server.conditions import Conditions
from scim2_server.service import ScimService

from airflow_provider_360learning.emulator.scim.rules import (
    check_flat_members,
    check_same_identity,
    checked_email,
    explicitly_removed,
    is_group,
    is_user,
    keep_protected_members,
)


class ThreeSixtyScimService(ScimService):
    """The SCIM protocol as 360Learning's SCIM integration applies it.

    :param protected_members: group id -> member ids that a replace must keep (hand-added members, and
        every member of the integration group).
    :param user_ids: the ids of the users, to refuse a member that is no user.
    :param forget_manual: called with (group id, member ids) an explicit ``remove`` took out.
    """

    def __init__(
        self,
        provider: ScimProvider,
        *,
        protected_members: Callable[[str], set[str]],
        user_ids: Callable[[], set[str]],
        forget_manual: Callable[[str, set[str]], None],
    ) -> None:
        super().__init__(provider)
        self.protected_members = protected_members
        self.user_ids = user_ids
        self.forget_manual = forget_manual

    def read_creation(self, resource_type: ResourceType, body: bytes, content_type: str | None) -> Resource[Any]:
        resource = super().read_creation(resource_type, body, content_type)
        if is_user(resource):
            checked_email(resource)
            if getattr(resource, "active", None) is None:
                resource.active = True  # type: ignore[attr-defined]  # 360Learning creates active users
        elif is_group(resource):
            check_flat_members(resource, self.user_ids())
        return resource

    def apply_replacement(
        self, current: Resource[Any], replacement: Resource[Any], conditions: Conditions
    ) -> Resource[Any] | None:
        if is_user(current):
            checked_email(replacement)
            check_same_identity(current, replacement)
        elif is_group(current):
            check_flat_members(replacement, self.user_ids())
            keep_protected_members(current, replacement, self.protected_members(current.id or ""), set())
        return super().apply_replacement(current, replacement, conditions)

    def apply_patch(
        self, current: Resource[Any], patch_op: PatchOp[Any], conditions: Conditions
    ) -> Resource[Any] | None:
        before = current.model_copy(deep=True)
        patched = super().apply_patch(current, patch_op, conditions)
        if patched is None:
            return None
        if is_user(patched):
            check_same_identity(before, patched)
        elif is_group(patched):
            removed = explicitly_removed(patch_op)
            check_flat_members(patched, self.user_ids())
            keep_protected_members(before, patched, self.protected_members(before.id or ""), removed)
            if patched.model_dump() == before.model_dump():
                return None
            self.forget_manual(before.id or "", removed)
        return patched
