"""scim2-server's in-memory storage with 360Learning's bookkeeping: an email index (emails are unique and
identify users), the integration group every provisioned user joins, and memberships dropped with a user."""

from __future__ import annotations

import itertools
from typing import Any

from scim2_models import Group, GroupMember, Resource, ResourceType, UniquenessException
from scim2_server.memory import InMemoryStorage, utcnow

from airflow_provider_360learning.emulator.scim.rules import checked_email, identity_key, is_user, member_values


class ThreeSixtyStorage(InMemoryStorage):
    """In-memory SCIM resources, with the invariants 360Learning keeps on users and groups."""

    def __init__(self, group_type: ResourceType, integration_group_name: str) -> None:
        super().__init__()
        self.group_type = group_type
        self.integration_group_name = integration_group_name
        self.integration_group_id = ""
        self.emails: dict[str, str] = {}  # folded email -> user id
        self.clear()

    def clear(self) -> None:
        """Forget every resource, then create the (empty) integration group."""
        with self.lock:
            self.resources = []
            self.emails.clear()
            self.versions = itertools.count(1)
            self.integration_group_id = (
                super().create(self.group_type, Group(display_name=self.integration_group_name)).id or ""
            )

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if not is_user(resource):
            return super().create(resource_type, resource)
        with self.lock:
            email = checked_email(resource)
            existing = self.emails.get(identity_key(email))
            if existing is not None:
                stored = self._stored(resource_type, existing)
                hint = " and is deactivated: reactivate it with active=true" if stored.active is False else ""  # type: ignore[attr-defined]
                raise UniquenessException(detail=f"A user with the email {email} already exists (id {existing}){hint}")
            created = super().create(resource_type, resource)
            assert created.id is not None
            self.emails[identity_key(email)] = created.id
            self._join_integration_group(created.id, email)
            return created

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        with self.lock:
            stored = self._stored(resource_type, resource_id)
            super().delete(resource_type, resource_id, expected_version=expected_version)
            if is_user(stored):
                self.emails = {k: v for k, v in self.emails.items() if v != resource_id}
                for group in self._resources.get(self.group_type.name, {}).values():
                    if resource_id in member_values(group):
                        self._set_members(group, [m for m in group.members or [] if m.value != resource_id])  # type: ignore[attr-defined]

    def user_ids(self) -> set[str]:
        with self.lock:
            return set(self._resources.get("User", {}))

    def add_member_in_place(self, group_id: str, user_id: str) -> None:
        """Add a member without a SCIM request (a hand-made change in 360Learning)."""
        with self.lock:
            user = self._resources.get("User", {}).get(user_id)
            if user is None:
                raise KeyError(f"no user {user_id}")
            group = self._stored(self.group_type, group_id)
            if user_id not in member_values(group):
                self._append_member(group, user_id, getattr(user, "user_name", None))

    def _join_integration_group(self, user_id: str, email: str) -> None:
        self._append_member(self._stored(self.group_type, self.integration_group_id), user_id, email)

    def _append_member(self, group: Resource[Any], user_id: str, display: str | None) -> None:
        # In place: re-validating a 10,000-member group on each new user would make provisioning quadratic.
        member_class: Any = getattr(type(group), "Members", GroupMember)
        member = member_class(value=user_id, type="User", ref=f"Users/{user_id}", display=display)
        members = group.members  # type: ignore[attr-defined]
        if members is None:
            group.members = [member]  # type: ignore[attr-defined]
        else:
            members.append(member)
        self._touch(group)

    def _set_members(self, group: Resource[Any], members: list[GroupMember]) -> None:
        group.members = members  # type: ignore[attr-defined]
        self._touch(group)

    def _touch(self, group: Resource[Any]) -> None:
        assert group.meta is not None
        group.meta.last_modified = utcnow()
        group.meta.version = self.next_version()
