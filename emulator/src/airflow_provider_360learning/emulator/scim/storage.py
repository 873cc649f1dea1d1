"""scim2-server's in-memory storage with 360Learning's bookkeeping: an email index (emails are unique and
identify users), the integration group every provisioned user joins, and memberships dropped with a user.

With a :class:`~.directory.TenantDirectory` (the emulator always gives one), every write also lands in the
tenant's users and groups, ids are the tenant's ObjectIds, and the ``adopt``/``refresh``/``sync``/``drop``
methods let the directory bring in what the core API changed (they bypass the SCIM rules: the tenant already
applied its own)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

from scim2_models import (
    Group,
    GroupMember,
    InvalidValueException,
    Meta,
    Resource,
    ResourceType,
    UniquenessException,
)
from scim2_server.memory import InMemoryStorage, utcnow

from airflow_provider_360learning.emulator.scim.rules import (
    checked_email,
    identity_key,
    is_group,
    is_user,
    member_values,
)

if TYPE_CHECKING:
    from airflow_provider_360learning.emulator.scim.directory import TenantDirectory


class ThreeSixtyStorage(InMemoryStorage):
    """In-memory SCIM resources, with the invariants 360Learning keeps on users and groups."""

    def __init__(
        self,
        group_type: ResourceType,
        integration_group_name: str,
        *,
        user_type: ResourceType | None = None,
        user_model: Any = None,
        directory: TenantDirectory | None = None,
    ) -> None:
        super().__init__()
        self.group_type = group_type
        self.user_type = user_type
        self.user_model = user_model
        self.directory = directory
        self.integration_group_name = integration_group_name
        self.integration_group_id = ""
        self.emails: dict[str, str] = {}  # folded email -> user id
        self._forced_id: str | None = None
        self.clear()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The tenant's lock, then this storage's (the directory's order: no deadlock with :meth:`~.pull`)."""
        with self.directory.state.lock if self.directory is not None else nullcontext(), self.lock:
            yield

    def generate_id(self, resource_type: ResourceType, resource: Resource[Any]) -> str:
        if self._forced_id is not None:
            return self._forced_id
        if self.directory is not None:
            return self.directory.new_id(str(resource_type.name))
        return super().generate_id(resource_type, resource)

    def clear(self) -> None:
        """Forget every resource, then create the (empty) integration group."""
        with self.locked():
            self.resources = []
            self.emails.clear()
            self.versions = itertools.count(1)
            self._forced_id = self.directory.integration_group_id if self.directory is not None else None
            try:
                self.integration_group_id = (
                    super().create(self.group_type, Group(display_name=self.integration_group_name)).id or ""
                )
            finally:
                self._forced_id = None

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with self.locked():
            if not is_user(resource):
                if self.directory is not None and is_group(resource):
                    self.directory.ensure_integration_group()
                created = super().create(resource_type, resource)
                directory = self.directory
                if directory is not None and is_group(created):
                    self._mirrored(created, partial(directory.group_created, created))
                return created
            email = checked_email(resource)
            existing = self.emails.get(identity_key(email))
            if existing is not None:
                stored = self._stored(resource_type, existing)
                hint = " and is deactivated: reactivate it with active=true" if stored.active is False else ""  # type: ignore[attr-defined]
                raise UniquenessException(detail=f"A user with the email {email} already exists (id {existing}){hint}")
            if self.directory is not None:
                self.directory.check_free_email(email)
                self.directory.ensure_integration_group()
            created = super().create(resource_type, resource)
            assert created.id is not None
            self.emails[identity_key(email)] = created.id
            directory = self.directory
            if directory is not None:
                self._mirrored(created, partial(directory.user_created, created))
            self._join_integration_group(created.id, email)
            return created

    def _mirrored(self, created: Resource[Any], write: Callable[[], None]) -> None:
        """Write a new resource to the tenant; if the tenant refuses it, the SCIM store forgets it (400)."""
        from airflow_provider_360learning.emulator.state import RowError

        try:
            write()
        except RowError as exc:
            self._remove((created.meta.resource_type if created.meta else None, str(created.id)))
            self.emails = {k: v for k, v in self.emails.items() if v != created.id}
            raise InvalidValueException(detail=f"360Learning refuses this resource: {exc}") from None

    def update(
        self, resource_type: ResourceType, resource: Resource[Any], *, expected_version: str | None = None
    ) -> Resource[Any]:
        with self.locked():
            before = self._stored(resource_type, resource.id)
            updated = super().update(resource_type, resource, expected_version=expected_version)
            if self.directory is not None:
                if is_user(updated):
                    self.directory.user_updated(before, updated)
                elif is_group(updated):
                    self.directory.group_updated(before, updated)
            return updated

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        with self.locked():
            stored = self._stored(resource_type, resource_id)
            super().delete(resource_type, resource_id, expected_version=expected_version)
            if is_user(stored):
                self._forget_user(resource_id)
                if self.directory is not None:
                    self.directory.user_erased(resource_id)
            elif self.directory is not None and is_group(stored):
                self.directory.group_deleted(resource_id)

    def _forget_user(self, resource_id: str) -> None:
        """Drop a deleted user's email and its memberships."""
        self.emails = {k: v for k, v in self.emails.items() if v != resource_id}
        for group in self._resources.get(self.group_type.name, {}).values():
            if resource_id in member_values(group):
                self._set_members(group, [m for m in group.members or [] if m.value != resource_id])  # type: ignore[attr-defined]

    def user_ids(self) -> set[str]:
        with self.lock:
            return set(self._resources.get("User", {}))

    def add_member_in_place(self, group_id: str, user_id: str) -> None:
        """Add a member without a SCIM request (a hand-made change in 360Learning)."""
        with self.locked():
            user = self._resources.get("User", {}).get(user_id)
            if user is None:
                raise KeyError(f"no user {user_id}")
            group = self._stored(self.group_type, group_id)
            if user_id not in member_values(group):
                self._append_member(group, user_id, getattr(user, "user_name", None))
                if self.directory is not None:
                    if group_id == self.integration_group_id:
                        self.directory.ensure_integration_group()
                    self.directory.set_learner(user_id, group_id, True)

    # -- what the core API changed (called by the directory, under both locks) -----------------------
    def stored_users(self) -> dict[str, Resource[Any]]:
        return dict(self._resources.get("User", {}))

    def stored_groups(self) -> dict[str, Resource[Any]]:
        return dict(self._resources.get(self.group_type.name, {}))

    def _put(self, resource_type: ResourceType, resource_id: str, resource: Resource[Any]) -> Resource[Any]:
        """Store a resource under a given id (the tenant's), without the SCIM rules."""
        self._forced_id = resource_id
        try:
            return InMemoryStorage.create(self, resource_type, resource)
        finally:
            self._forced_id = None

    def adopt_user(self, user_id: str, body: dict[str, Any]) -> None:
        """A tenant user created through the core API becomes visible over SCIM (not in the integration group)."""
        assert self.user_type is not None and self.user_model is not None
        email = str(body["emails"][0]["value"])
        if identity_key(email) in self.emails:
            return
        self._put(self.user_type, user_id, self.user_model.model_validate(body))
        self.emails[identity_key(email)] = user_id

    def refresh_user(self, user: Resource[Any], body: dict[str, Any]) -> None:
        """Take the names, title and ``active`` of the tenant's view (``body``) where they differ."""
        assert self.user_model is not None
        fresh = self.user_model.model_validate(body)
        name, new = getattr(user, "name", None), getattr(fresh, "name", None)
        changed = False
        if name is None and new is not None:
            user.name = new  # type: ignore[attr-defined]
            changed = True
        elif name is not None:
            for attribute in ("given_name", "family_name"):
                if getattr(name, attribute, None) != getattr(new, attribute, None):
                    setattr(name, attribute, getattr(new, attribute, None))
                    changed = True
        for attribute in ("title", "active"):
            if getattr(user, attribute, None) != getattr(fresh, attribute, None):
                setattr(user, attribute, getattr(fresh, attribute, None))
                changed = True
        if changed:
            self._touch(user)
            self._store(user, self._values_of(user))

    def drop_user(self, user_id: str) -> None:
        user = self._resources.get("User", {}).get(user_id)
        if user is not None:
            self._remove(("User", user_id))
            self._forget_user(user_id)

    def sync_group(self, group_id: str, name: str, members: set[str]) -> None:
        """The group as the tenant has it: its name and its learners (who are SCIM users)."""
        group = self._resources.get(self.group_type.name, {}).get(group_id)
        if group is None:
            self._put(self.group_type, group_id, Group(display_name=name or group_id))
            group = self._resources[self.group_type.name][group_id]
        changed = False
        if name and getattr(group, "display_name", None) != name:
            group.display_name = name  # type: ignore[attr-defined]
            changed = True
        if set(member_values(group)) != members:
            users = self._resources.get("User", {})
            kept = [m for m in group.members or [] if m.value in members]  # type: ignore[attr-defined]
            group.members = kept  # type: ignore[attr-defined]
            for user_id in sorted(members - set(member_values(group))):
                self._append_member(group, user_id, getattr(users.get(user_id), "user_name", None))
            changed = True
        if changed:
            self._touch(group)
            self._store(group, self._values_of(group))

    def drop_group(self, group_id: str) -> None:
        self._remove((self.group_type.name, group_id))

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

    def _touch(self, resource: Resource[Any]) -> None:
        if resource.meta is None:
            resource.meta = Meta()
        resource.meta.last_modified = utcnow()
        resource.meta.version = self.next_version()
