"""SCIM users and groups ARE the tenant's users and groups: the SCIM store and the tenant's rows kept in step.

One platform, two views. A SCIM write lands in the tenant at once (:meth:`TenantDirectory.user_created` and
friends, called by the storage); a change made through the core API (a user or group created, renamed,
deleted, a learner role given or taken) reaches the SCIM store before the next SCIM request is served
(:meth:`TenantDirectory.pull`). SCIM ids are the tenant's ObjectIds, so ``/scim/v2/Users/{id}`` and
``/api/v2/users/{id}`` name the same person.

Mapping (the emulator's reading of ``../shared/research/scim-and-peers.md`` §1.2-1.4; docs/emulator.md,
"One tenant"):

- ``emails`` (primary, else the first; else ``userName``) -> ``mail``; ``name.givenName`` -> ``firstName``,
  ``name.familyName`` -> ``lastName``, ``title`` -> ``job``, the first ``phoneNumbers`` -> ``phone``, the
  enterprise extension's ``organization`` -> ``organization``, ``preferredLanguage`` (its bigram, when the
  API knows it) -> ``lang``; ``primaryGroupId`` is the integration group; ``externalId`` -> an external id
  mapping of the platform ``scim``;
- ``active=false`` -> status ``deleted`` (``deletedAt`` grows; the spec's only inactive status),
  ``active=true`` again -> ``active`` (``reactivatedAt`` grows); a SCIM DELETE (hard) -> ``deleted`` with the
  personal fields erased, as ``PUT /users/{id}/pseudonymize`` does, so the email is free again in both views;
- a SCIM group is a group under the root group; a SCIM member is a ``learner`` of it.

Only what exists after seeding is mirrored into SCIM (users with a ``mail``, groups): the seeded directory
predates the integration, and a lazily generated tenant of any scale stays out of scim2-server's memory.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from scim2_models import Resource, UniquenessException

from airflow_provider_360learning.emulator.scim.rules import USER_SCHEMA, checked_email, identity_key, member_values
from airflow_provider_360learning.emulator.tenant import iso

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LEARNER = "learner"
"""The role a SCIM group member holds in the tenant's group."""
SCIM_PLATFORM = "scim"
"""Platform of the external id mappings that carry SCIM ``externalId`` values."""
INTEGRATION_GROUP_INDEX = 0xF000_0000
"""Index of the integration group's ObjectId in the groups collection: far past any generated or added group,
so the id is stable across resets without taking a place in the tenant before the first provisioning."""
MAPPED_FIELDS = ("firstName", "lastName", "job", "phone", "organization")
"""Optional user fields a SCIM write sets, or removes when the resource no longer has them."""
ERASED_FIELDS = ("mail", "username", "phone", "job", "organization", "custom", "lastLoginDate", "toBeDeactivatedAt")
_SEEDED_MAIL_INDEX = re.compile(r"\.(\d+)@")
CUSTOM_FIELDS = {
    "department": "Department",
    "division": "Division",
    "cost_center": "Cost center",
    "employee_number": "Employee number",
}
"""Enterprise-extension attribute -> the ``users`` custom field it fills (the provisioning's default mapping,
docs/scim-provisioning.md), when the tenant has a string field of that name (case and spaces ignored)."""


@cache
def api_languages() -> frozenset[str]:
    """The ``lang`` values ``UserDTO`` accepts."""
    from airflow_provider_360learning.actions import load_document

    schema = load_document("core").contents["components"]["schemas"]["UserDTO"]
    return frozenset(schema["properties"]["lang"]["enum"])


def _enterprise(resource: Resource[Any]) -> Any:
    try:
        return resource[ENTERPRISE]
    except (KeyError, TypeError):
        return None


def user_fields(resource: Resource[Any]) -> dict[str, Any]:
    """The tenant fields a SCIM user sets (``None``: the field goes); ``lang`` only when SCIM gives a known one."""
    name = getattr(resource, "name", None)
    phones = [p.value for p in getattr(resource, "phone_numbers", None) or [] if p.value]
    extension = _enterprise(resource)
    fields: dict[str, Any] = {
        "mail": checked_email(resource),
        "firstName": getattr(name, "given_name", None) or None,
        "lastName": getattr(name, "family_name", None) or None,
        "job": getattr(resource, "title", None) or None,
        "phone": phones[0] if phones else None,
        "organization": getattr(extension, "organization", None) or None,
    }
    language = str(getattr(resource, "preferred_language", None) or "").replace("-", "_")
    for candidate in (language, language[:2].lower()):
        if candidate in api_languages():
            fields["lang"] = candidate
            break
    return fields


def is_active(resource: Resource[Any]) -> bool:
    return getattr(resource, "active", None) is not False


class TenantDirectory:
    """The bridge between a SCIM storage and the emulator's tenant (see the module docstring)."""

    def __init__(self, emulator_state: Any, integration_group_name: str) -> None:
        self._state = weakref.ref(emulator_state)
        self.integration_group_name = integration_group_name
        self.integration_group_id: str = emulator_state.tenant.groups.object_id(INTEGRATION_GROUP_INDEX)
        self.seen_version = -1
        """The tenant's ``data_version`` the SCIM store last agreed with (-1: never)."""
        self.seen_resets = emulator_state.resets
        self.erased: set[str] = set()
        """Users deleted over SCIM: pseudonymized rows the pull must not bring back."""
        self.external_ids: dict[str, str] = {}
        """User id -> id of its ``scim`` external id mapping."""
        self.core_mails: dict[str, str] = {}
        """Folded mail -> id of the tenant's users added after seeding (refreshed by :meth:`pull`)."""
        self.provisioned_users: set[str] = set()
        self.provisioned_groups: set[str] = set()
        """What SCIM created in the tenant (a SCIM reset takes it out again)."""

    @property
    def state(self) -> Any:
        state = self._state()
        assert state is not None, "the emulator state is gone"
        return state

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """Write to the tenant under its lock; if the SCIM store agreed with it before, it still does after."""
        state = self.state
        with state.lock:
            fresh = self.seen_version == state.data_version
            yield state
            if fresh:
                self.seen_version = state.data_version

    # -- ids -----------------------------------------------------------------------------------
    def new_id(self, resource_type: str) -> str:
        """The ObjectId the next row of ``users`` or ``groups`` gets in the tenant."""
        state = self.state
        name = "users" if resource_type == "User" else "groups"
        return str(state.collection(name).object_id(state.overlay(name).next_index))

    # -- SCIM -> tenant ------------------------------------------------------------------------
    def check_free_email(self, email: str) -> None:
        """409 when a tenant user (seeded or created through the core API) already has this email."""
        folded = identity_key(email)
        owner = self.core_mails.get(folded) or self._seeded_owner(folded)
        if owner is not None:
            raise UniquenessException(
                detail=f"A 360Learning user with the email {email} already exists (id {owner}, /api/v2/users/{owner})"
            )

    def _seeded_owner(self, folded: str) -> str | None:
        match = _SEEDED_MAIL_INDEX.search(folded)
        users = self.state.tenant.users
        if match is None or int(match[1]) >= len(users):
            return None
        row = self.state.get_row("users", users.object_id(int(match[1])))
        return row["_id"] if row is not None and str(row.get("mail", "")).casefold() == folded else None

    def ensure_integration_group(self) -> None:
        """The integration group's row, added to the tenant with the first provisioned user or group."""
        with self.writing() as state:
            if state.get_row("groups", self.integration_group_id) is None:
                state.add_row("groups", self._group_row(self.integration_group_id, self.integration_group_name))

    def _group_row(self, group_id: str, name: str) -> dict[str, Any]:
        return {"_id": group_id, "name": name, "public": False, "parentId": self.state.tenant.groups.object_id(0)}

    def user_created(self, user: Resource[Any]) -> None:
        """A user provisioned over SCIM is a tenant user, member (learner) of the integration group."""
        fields = {k: v for k, v in user_fields(user).items() if v is not None}
        active = is_active(user)
        row = {
            "_id": user.id,
            "lang": "en",
            **fields,
            "status": "active" if active else "deleted",
            "primaryGroupId": self.integration_group_id,
        }
        with self.writing() as state:
            if not active:
                row["deletedAt"] = [iso(state.today())]
            state.add_row("users", row, fill=False)
            self.provisioned_users.add(str(user.id))
            self.core_mails[identity_key(fields["mail"])] = str(user.id)
            self.set_learner(str(user.id), self.integration_group_id, True)
            self._external_id(str(user.id), getattr(user, "external_id", None))
            self._custom_values(str(user.id), user)

    def user_updated(self, before: Resource[Any], after: Resource[Any]) -> None:
        """PUT or PATCH: the mapped fields follow, ``active`` moves the status (with its history)."""
        with self.writing() as state:
            current = state.get_row("users", str(after.id))
            if current is None:
                return
            changes = {k: v for k, v in user_fields(after).items() if current.get(k) != v}
            changes.pop("mail", None)  # the email never changes over SCIM (refused before this point)
            was, now = current.get("status") != "deleted", is_active(after)
            if was and not now:
                changes.update(status="deleted", deletedAt=[*current.get("deletedAt", []), iso(state.today())])
            elif now and not was:
                changes.update(status="active", reactivatedAt=[*current.get("reactivatedAt", []), iso(state.today())])
            if changes:
                state.patch_row("users", str(after.id), changes)
            self._external_id(str(after.id), getattr(after, "external_id", None))
            self._custom_values(str(after.id), after)

    def user_erased(self, user_id: str) -> None:
        """A SCIM DELETE: the user is ``deleted`` and its personal fields are erased (the email is free again)."""
        with self.writing() as state:
            current = state.get_row("users", user_id)
            if current is None:
                return
            alias = hashlib.sha256(user_id.encode()).hexdigest()[:8]
            changes: dict[str, Any] = {**dict.fromkeys(ERASED_FIELDS), "firstName": "Pseudonymized", "lastName": alias}
            if current.get("status") != "deleted":
                changes.update(status="deleted", deletedAt=[*current.get("deletedAt", []), iso(state.today())])
            state.patch_row("users", user_id, changes)
            self.erased.add(user_id)
            self.core_mails = {k: v for k, v in self.core_mails.items() if v != user_id}
            for group_id, role in list(state.relation("roles").get(user_id, {})):
                if role == LEARNER:
                    self.set_learner(user_id, group_id, False)
            self._external_id(user_id, None)
            state.relation("custom_values").pop(("users", user_id), None)

    def group_created(self, group: Resource[Any]) -> None:
        with self.writing() as state:
            state.add_row("groups", self._group_row(str(group.id), str(getattr(group, "display_name", ""))))
            self.provisioned_groups.add(str(group.id))
            for member in member_values(group):
                self.set_learner(member, str(group.id), True)

    def group_updated(self, before: Resource[Any], after: Resource[Any]) -> None:
        """A new display name renames the group; members added or removed gain or lose their learner role."""
        with self.writing() as state:
            group_id = str(after.id)
            current = state.get_row("groups", group_id)
            if current is None:
                return
            name = str(getattr(after, "display_name", "") or "")
            if name and current.get("name") != name:
                state.patch_row("groups", group_id, {"name": name})
            old, new = set(member_values(before)), set(member_values(after))
            for member in new - old:
                self.set_learner(member, group_id, True)
            for member in old - new:
                self.set_learner(member, group_id, False)

    def group_deleted(self, group_id: str) -> None:
        with self.writing() as state:
            if group_id != self.integration_group_id and state.get_row("groups", group_id) is not None:
                state.delete_row("groups", group_id)

    def set_learner(self, user_id: str, group_id: str, present: bool) -> None:
        """The tenant's membership (the ``roles`` side table of the core API's memberships)."""
        with self.writing() as state:
            state.relation("roles").setdefault(user_id, {})[(group_id, LEARNER)] = present
            state.changed()

    def _external_id(self, user_id: str, value: str | None) -> None:
        """Keep the user's ``scim`` external id mapping equal to its SCIM ``externalId``."""
        with self.writing() as state:
            mapping_id = self.external_ids.get(user_id)
            current = state.get_row("external_ids", mapping_id) if mapping_id else None
            if value and current is None:
                row = {"platform": SCIM_PLATFORM, "targetType": "user", "targetId": user_id, "value": value}
                self.external_ids[user_id] = state.add_row("external_ids", row)["_id"]
            elif value and current is not None and current.get("value") != value:
                state.patch_row("external_ids", str(mapping_id), {"value": value})
            elif not value and current is not None:
                state.delete_row("external_ids", str(mapping_id))
                self.external_ids.pop(user_id, None)

    def _custom_values(self, user_id: str, user: Resource[Any]) -> None:
        """The user's values of the custom fields :data:`CUSTOM_FIELDS` names: set, replaced or removed as SCIM
        says; a value the field does not authorize is not kept; values of other fields are left alone."""
        extension = _enterprise(user)
        with self.writing() as state:
            fields = {
                " ".join(str(f.get("name", "")).split()).casefold(): f
                for f in state.rows("custom_fields")
                if f.get("targetType") == "users" and f.get("type") == "string"
            }
            mapped: set[str] = set()
            values = []
            for attribute, name in CUSTOM_FIELDS.items():
                field = fields.get(name.casefold())
                if field is None:
                    continue
                mapped.add(field["_id"])
                value = str(getattr(extension, attribute, None) or "").strip()
                allowed = state.authorized_values(field["_id"])
                if value and (not allowed or value in allowed):
                    values.append({"customFieldId": field["_id"], "type": "string", "value": value})
            custom = state.relation("custom_values")
            current = custom.get(("users", user_id), [])
            updated = [v for v in current if v["customFieldId"] not in mapped] + values
            if updated != current:
                custom[("users", user_id)] = updated
                state.changed()

    def forget(self) -> None:
        """A SCIM reset: what the integration provisioned leaves the tenant (users, groups, memberships, ids)."""
        with self.writing() as state:
            roles = state.relation("roles")
            for user_id in self.provisioned_users:
                roles.pop(user_id, None)
                if state.get_row("users", user_id) is not None:
                    state.delete_row("users", user_id)
            for group_id in {*self.provisioned_groups, self.integration_group_id}:
                if state.get_row("groups", group_id) is not None:
                    state.delete_row("groups", group_id)
            for mapping_id in self.external_ids.values():
                if state.get_row("external_ids", mapping_id) is not None:
                    state.delete_row("external_ids", mapping_id)
            state.changed()
        self._start_over()

    def _start_over(self) -> None:
        """Forget the bookkeeping: nothing provisioned yet, and the next :meth:`pull` reads the whole tenant."""
        self.provisioned_users.clear()
        self.provisioned_groups.clear()
        self.erased.clear()
        self.external_ids.clear()
        self.core_mails.clear()
        self.seen_version = -1

    # -- tenant -> SCIM ------------------------------------------------------------------------
    def pull(self, storage: Any) -> None:
        """Bring the tenant's changes made outside SCIM into the SCIM store (nothing to do when none)."""
        state = self.state
        with state.lock, storage.lock:
            if state.resets != self.seen_resets:
                self.seen_resets = state.resets
                self._start_over()
                storage.clear()
            if state.data_version == self.seen_version:
                return
            self._pull_users(state, storage)
            self._pull_groups(state, storage)
            self.seen_version = state.data_version

    def _pull_users(self, state: Any, storage: Any) -> None:
        overlay = state.overlay("users")
        rows = {oid: row for oid, (_, row) in list(overlay.added.items())}
        self.core_mails = {
            str(row["mail"]).casefold(): oid for oid, row in rows.items() if row.get("mail") and oid not in self.erased
        }
        for oid, patch in list(overlay.patched.items()):
            if isinstance(patch.get("mail"), str):
                self.core_mails[patch["mail"].casefold()] = oid
        stored = storage.stored_users()
        for oid in stored:
            if oid not in rows:
                storage.drop_user(oid)  # its row left the tenant (control interface)
        for oid, row in rows.items():
            if oid in self.erased or not row.get("mail"):
                continue
            body = scim_user_body(row)
            if oid in stored:
                storage.refresh_user(stored[oid], body)
            else:
                storage.adopt_user(oid, body)

    def _pull_groups(self, state: Any, storage: Any) -> None:
        rows = {oid: row for oid, (_, row) in list(state.overlay("groups").added.items())}
        for oid in storage.stored_groups():
            if oid not in rows and oid != self.integration_group_id:
                storage.drop_group(oid)
        learners: dict[str, set[str]] = {oid: set() for oid in rows}
        users = storage.stored_users()
        for user_id, roles in list(state.relation("roles").items()):
            if user_id in users:
                for (group_id, role), present in list(roles.items()):
                    if present and role == LEARNER and group_id in learners:
                        learners[group_id].add(user_id)
        for oid, row in rows.items():
            storage.sync_group(oid, str(row.get("name", "")), learners[oid])


def scim_user_body(row: dict[str, Any]) -> dict[str, Any]:
    """The SCIM view (JSON) of what the tenant holds about a user: email, names, title, active."""
    mail = str(row["mail"])
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": mail,
        "emails": [{"value": mail, "primary": True}],
        "active": row.get("status") != "deleted",
    }
    if row.get("firstName") or row.get("lastName"):
        body["name"] = {"givenName": row.get("firstName"), "familyName": row.get("lastName")}
    if row.get("job"):
        body["title"] = row["job"]
    return body
