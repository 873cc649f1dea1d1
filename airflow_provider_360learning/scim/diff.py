"""The difference between the desired state (HR source) and the current state (SCIM server): a plan.

Pure data in, pure data out, so a dry run, the safety check and the apply step all see the same plan.

Rules (360Learning's SCIM semantics, docs/scim-provisioning.md):

- a user is matched by email (case-insensitive), never by name or id;
- a user missing from the source is deactivated (``active=false``), deleted only with ``hard_delete``;
- a protected email (its source row was rejected) is left exactly as it is;
- only the groups the source names are managed, and in them only the memberships of users the source
  lists: a member the source does not know (added by hand in 360Learning) is never removed;
- membership changes are explicit adds and removes, never a replace of the member list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_360learning.scim.source import DesiredState, DesiredUser, fold

NAME_PATHS = {"given_name": "name.givenName", "family_name": "name.familyName"}


@dataclass(frozen=True)
class CurrentUser:
    id: str
    email: str
    active: bool
    values: dict[str, str | None]  # SCIM path -> current value, for the managed paths


@dataclass(frozen=True)
class CurrentGroup:
    id: str
    name: str
    member_ids: frozenset[str]


@dataclass(frozen=True)
class UserChange:
    id: str
    email: str
    changes: dict[str, list[Any]]  # SCIM path -> [current, desired]


@dataclass
class Plan:
    """What a run would do. ``as_dict()`` is the JSON form (XCom, logs, dry-run result)."""

    create_users: list[DesiredUser] = field(default_factory=list)
    update_users: list[UserChange] = field(default_factory=list)
    deactivate_users: list[UserChange] = field(default_factory=list)
    delete_users: list[UserChange] = field(default_factory=list)
    create_groups: list[str] = field(default_factory=list)
    member_adds: dict[str, list[str]] = field(default_factory=dict)  # group -> emails
    member_removes: dict[str, list[str]] = field(default_factory=dict)  # group -> emails
    rejected: list[dict[str, Any]] = field(default_factory=list)
    active_users_before: int = 0

    @property
    def removals(self) -> int:
        """Users who would lose access: deactivations and deletions."""
        return len(self.deactivate_users) + len(self.delete_users)

    @property
    def empty(self) -> bool:
        return not (
            self.create_users
            or self.update_users
            or self.removals
            or self.create_groups
            or self.member_adds
            or self.member_removes
        )

    def counts(self) -> dict[str, int]:
        return {
            "create_users": len(self.create_users),
            "update_users": len(self.update_users),
            "deactivate_users": len(self.deactivate_users),
            "delete_users": len(self.delete_users),
            "create_groups": len(self.create_groups),
            "member_adds": sum(map(len, self.member_adds.values())),
            "member_removes": sum(map(len, self.member_removes.values())),
            "rejected": len(self.rejected),
            "active_users_before": self.active_users_before,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "create_users": [u.email for u in self.create_users],
            "update_users": [asdict(u) for u in self.update_users],
            "deactivate_users": [u.email for u in self.deactivate_users],
            "delete_users": [u.email for u in self.delete_users],
            "create_groups": list(self.create_groups),
            "member_adds": {g: list(m) for g, m in self.member_adds.items()},
            "member_removes": {g: list(m) for g, m in self.member_removes.items()},
            "rejected": list(self.rejected),
        }


def desired_values(user: DesiredUser, managed_paths: Iterable[str]) -> dict[str, str | None]:
    """The desired value of every managed path (None = the source leaves it empty)."""
    values: dict[str, str | None] = {path: None for path in managed_paths}
    values.update({NAME_PATHS["given_name"]: user.given_name, NAME_PATHS["family_name"]: user.family_name})
    values.update(user.attributes)
    return values


def plan(
    desired: DesiredState,
    users: Iterable[CurrentUser],
    groups: Mapping[str, CurrentGroup | None],
    *,
    managed_paths: Iterable[str],
    hard_delete: bool = False,
) -> Plan:
    """Compute the plan. ``groups`` maps each group the source names to its current state (None: absent)."""
    paths = sorted({*NAME_PATHS.values(), *managed_paths})
    result = Plan(rejected=[r.as_dict() for r in desired.rejected])
    by_email: dict[str, CurrentUser] = {}
    email_of_id: dict[str, str] = {}
    for user in users:
        by_email[fold(user.email)] = user
        email_of_id[user.id] = fold(user.email)
        result.active_users_before += user.active
    for key, wanted in sorted(desired.users.items()):
        current = by_email.get(key)
        if current is None:
            if wanted.active:
                result.create_users.append(wanted)
            continue
        target = desired_values(wanted, paths)
        # An empty source cell clears nothing: HR exports often leave optional columns blank.
        changes: dict[str, list[Any]] = {
            p: [current.values.get(p), v] for p, v in target.items() if v is not None and current.values.get(p) != v
        }
        if not wanted.active and current.active:
            result.deactivate_users.append(UserChange(current.id, current.email, {"active": [True, False]}))
        elif wanted.active and not current.active:
            changes["active"] = [False, True]
        if changes:
            result.update_users.append(UserChange(current.id, current.email, changes))
    for key, current in sorted(by_email.items()):
        if key in desired.users or key in desired.protected:
            continue
        if hard_delete:
            result.delete_users.append(UserChange(current.id, current.email, {}))
        elif current.active:
            result.deactivate_users.append(UserChange(current.id, current.email, {"active": [True, False]}))
    for name, wanted_members in sorted(desired.groups.items()):
        group = groups.get(name)
        present = {email_of_id[i] for i in group.member_ids if i in email_of_id} if group else set()
        if group is None:
            result.create_groups.append(name)
        # A user the run will not create (inactive in the source and absent) cannot be added.
        adds = sorted(
            desired.users[k].email for k in wanted_members - present if k in by_email or desired.users[k].active
        )
        # Remove only members the source lists as users (and not protected): hand-added members stay.
        removes = sorted(by_email[k].email for k in present - wanted_members if k in desired.users)
        if adds:
            result.member_adds[name] = adds
        if removes:
            result.member_removes[name] = removes
    return result


def safety_verdict(plan_: Plan | Mapping[str, Any], max_removal_percent: float) -> str | None:
    """None when the plan (or its ``as_dict()`` form) is within the limit; otherwise a message saying what
    the run would have done. The limit is on users losing access (deactivated or deleted) as a share of
    the users active before the run."""
    data = plan_.as_dict() if isinstance(plan_, Plan) else plan_
    counts = data["counts"]
    before = counts["active_users_before"]
    removed = [*data["deactivate_users"], *data["delete_users"]]
    if not removed:
        return None
    share = 100.0 * len(removed) / before if before else 100.0
    if share <= max_removal_percent:
        return None
    sample = removed[:10]
    more = f" and {len(removed) - len(sample)} more" if len(removed) > len(sample) else ""
    verb = "deactivate or delete" if data["delete_users"] else "deactivate"
    return (
        f"Safety limit: this run would {verb} {len(removed)} of {before} active users ({share:.1f}% > the "
        f"{max_removal_percent:g}% limit), which usually means a truncated or partial HR export. Nothing was "
        f"written. It would have removed: {', '.join(sample)}{more}; it would also have created "
        f"{counts['create_users']} and updated {counts['update_users']} users. If this is intended, run again "
        "with the safety limit overridden (allow_mass_removal=True)."
    )
