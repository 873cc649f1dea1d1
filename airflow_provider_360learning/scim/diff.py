"""The difference between the desired state (HR source) and the current state (SCIM server): a plan.

Pure data in, pure data out, so a dry run, the safety check and the apply step all see the same plan.

Rules (360Learning's SCIM semantics, docs/scim-provisioning.md):

- a user is matched on ``externalId`` (the HR employee number), then on email (case-insensitive), never by
  name; ``userName`` and ``emails`` are never changed: an email change is reported for an admin to make by
  hand in 360Learning, and the account is kept (``recreate_on_email_change`` creates a new account and
  deactivates the old one instead);
- a user missing from the source is deactivated (``active=false``), deleted only with ``hard_delete``, and
  only when this provisioning created it (its ownership state) or it carries an ``externalId``; any other
  absent SCIM user is reported, never touched;
- a protected email or employee number (its source row was rejected) is left exactly as it is;
- only the groups the source names are managed, and in them only the memberships this provisioning added
  (its ownership state): a member added by hand in 360Learning is never removed, listed in HR or not;
- membership changes are explicit adds and removes, never a replace of the member list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_360learning.scim.ownership import Owned
from airflow_provider_360learning.scim.source import EXTERNAL_ID, DesiredState, DesiredUser, fold

NAME_PATHS = {"given_name": "name.givenName", "family_name": "name.familyName"}
NOT_COUNTED_AS_UPDATES = frozenset({"active", EXTERNAL_ID})
"""Changes the update limit does not count: a reactivation, and the employee number set on a matched account."""
LISTED = 50
"""Emails listed per report list (the counts hold the totals)."""


@dataclass(frozen=True)
class CurrentUser:
    id: str
    email: str
    active: bool
    values: dict[str, str | None]  # SCIM path -> current value, for the managed paths

    @property
    def external_id(self) -> str | None:
        return self.values.get(EXTERNAL_ID)


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
    email_changes: list[dict[str, Any]] = field(default_factory=list)  # for an admin to make by hand
    identity_conflicts: list[dict[str, Any]] = field(default_factory=list)  # rows left untouched
    unmanaged_absent: list[str] = field(default_factory=list)  # absent from HR, not ours: reported only
    active_users_before: int = 0
    ids: dict[str, str] = field(default_factory=dict)  # folded email (HR's and the server's) -> user id

    @property
    def attribute_updates(self) -> list[UserChange]:
        """The updates the update limit counts: any change but a reactivation or a newly set ``externalId``."""
        return [u for u in self.update_users if set(u.changes) - NOT_COUNTED_AS_UPDATES]

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
            "email_changes": len(self.email_changes),
            "identity_conflicts": len(self.identity_conflicts),
            "unmanaged_absent": len(self.unmanaged_absent),
            "attribute_updates": len(self.attribute_updates),
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
            "email_changes": list(self.email_changes),
            "identity_conflicts": list(self.identity_conflicts),
            "unmanaged_absent": self.unmanaged_absent[:LISTED],
        }


def desired_values(user: DesiredUser, managed_paths: Iterable[str]) -> dict[str, str | None]:
    """The desired value of every managed path (None = the source leaves it empty)."""
    values: dict[str, str | None] = {path: None for path in managed_paths}
    values.update({NAME_PATHS["given_name"]: user.given_name, NAME_PATHS["family_name"]: user.family_name})
    values.update(user.attributes)
    return values


def _pick(candidates: list[CurrentUser], key: str) -> CurrentUser | None:
    """The account of an employee number: the one with the row's email, else an active one, else the first by id
    (an account recreated after an email change leaves the old, deactivated one with the same externalId)."""
    ranked = sorted(candidates, key=lambda u: (fold(u.email) != key, not u.active, u.id))
    return ranked[0] if ranked else None


@dataclass
class _Matching:
    accounts: dict[str, CurrentUser] = field(default_factory=dict)  # folded HR email -> account
    claimed: set[str] = field(default_factory=set)  # ids of accounts an HR row matched or a conflict holds
    conflicted: set[str] = field(default_factory=set)  # folded HR emails left untouched


def _match(desired: DesiredState, users: list[CurrentUser], result: Plan) -> _Matching:
    """Each HR row's account: on ``externalId`` first, then on email. A row whose email leads to an account that
    another row holds, or that carries another ``externalId``, is a conflict: that row and that account are
    left untouched and reported."""
    by_external: dict[str, list[CurrentUser]] = {}
    by_email: dict[str, CurrentUser] = {}
    for user in users:
        by_email[fold(user.email)] = user
        if user.external_id:
            by_external.setdefault(user.external_id, []).append(user)
    found = _Matching()
    for key, wanted in sorted(desired.users.items()):
        account = _pick(by_external.get(wanted.external_id, []), key) if wanted.external_id else None
        if account is not None:
            found.accounts[key] = account
            found.claimed.add(account.id)
    for key, wanted in sorted(desired.users.items()):
        account = by_email.get(key)
        reason = None
        if key in found.accounts:
            if account is not None and account.id != found.accounts[key].id:
                reason = (
                    f"the new email {wanted.email} already belongs to another account ({account.id}) than the one "
                    f"of externalId {wanted.external_id!r} ({found.accounts[key].email})"
                )
                found.claimed.add(found.accounts.pop(key).id)
        elif account is not None:
            if account.id in found.claimed:
                reason = f"the account of {account.email} is another row's, by its externalId {account.external_id!r}"
            elif account.external_id and wanted.external_id and account.external_id != wanted.external_id:
                reason = (
                    f"the account of {account.email} carries externalId {account.external_id!r}, "
                    f"the row {wanted.external_id!r}"
                )
            else:
                found.accounts[key] = account
        if account is not None and (reason is not None or key in found.accounts):
            found.claimed.add(account.id)
        if reason is not None:
            found.conflicted.add(key)
            result.identity_conflicts.append(
                {"email": wanted.email, "external_id": wanted.external_id, "reason": reason}
            )
    return found


def plan(
    desired: DesiredState,
    users: Iterable[CurrentUser],
    groups: Mapping[str, CurrentGroup | None],
    *,
    managed_paths: Iterable[str],
    hard_delete: bool = False,
    owned: Owned | None = None,
    recreate_on_email_change: bool = False,
) -> Plan:
    """Compute the plan. ``groups`` maps each group the source names to its current state (None: absent);
    ``owned`` is what this provisioning created and added (its ownership state)."""
    owned = owned or Owned()
    users = list(users)
    result = Plan(rejected=[r.as_dict() for r in desired.rejected])
    result.active_users_before = sum(u.active for u in users)
    result.ids = {fold(user.email): user.id for user in users}
    matching = _match(desired, users, result)
    _plan_users(desired, matching, result, sorted({*NAME_PATHS.values(), *managed_paths}), recreate_on_email_change)
    _plan_absent(desired, users, matching, owned, result, hard_delete)
    _plan_memberships(desired, users, groups, matching, owned, result)
    return result


def _plan_users(
    desired: DesiredState, matching: _Matching, result: Plan, paths: list[str], recreate_on_email_change: bool
) -> None:
    """Creations, attribute updates, (re)activations of the HR rows, and their email changes."""
    for key, wanted in sorted(desired.users.items()):
        if key in matching.conflicted:
            continue
        current = matching.accounts.get(key)
        if current is not None and fold(current.email) != key:
            change = {
                "external_id": wanted.external_id,
                "user_id": current.id,
                "old_email": current.email,
                "new_email": wanted.email,
            }
            if recreate_on_email_change:
                result.email_changes.append({**change, "action": "new account created, the old one deactivated"})
                if current.active:
                    result.deactivate_users.append(UserChange(current.id, current.email, {"active": [True, False]}))
                del matching.accounts[key]
                current = None
            else:
                result.email_changes.append({**change, "action": "kept: change the email by hand in 360Learning"})
        if current is None:
            if wanted.active:
                result.create_users.append(wanted)
            continue
        result.ids[key] = current.id
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


def _plan_absent(
    desired: DesiredState,
    users: list[CurrentUser],
    matching: _Matching,
    owned: Owned,
    result: Plan,
    hard_delete: bool,
) -> None:
    """Accounts no HR row matched: deactivated (or deleted) when this provisioning's, otherwise reported."""
    for user in sorted(users, key=lambda u: (fold(u.email), u.id)):
        if (
            user.id in matching.claimed
            or fold(user.email) in desired.protected
            or (user.external_id and user.external_id in desired.protected_ids)
        ):
            continue
        if user.id not in owned.users and not user.external_id:
            if user.active:
                result.unmanaged_absent.append(user.email)
        elif hard_delete:
            result.delete_users.append(UserChange(user.id, user.email, {}))
        elif user.active:
            result.deactivate_users.append(UserChange(user.id, user.email, {"active": [True, False]}))


def _plan_memberships(
    desired: DesiredState,
    users: list[CurrentUser],
    groups: Mapping[str, CurrentGroup | None],
    matching: _Matching,
    owned: Owned,
    result: Plan,
) -> None:
    """Groups to create, members to add, and the members this provisioning added that HR no longer lists."""
    email_of_id = {user.id: user.email for user in users}
    creating = {fold(u.email) for u in result.create_users}
    in_hr = {account.id for account in matching.accounts.values()}
    for name, wanted_members in sorted(desired.groups.items()):
        group = groups.get(name)
        present = group.member_ids if group else frozenset()
        if group is None:
            result.create_groups.append(name)
        wanted_ids = {matching.accounts[k].id for k in wanted_members if k in matching.accounts}
        # A user the run will not create (inactive in the source and absent) cannot be added.
        adds = sorted(
            desired.users[k].email
            for k in wanted_members
            if (k in matching.accounts and matching.accounts[k].id not in present) or k in creating
        )
        # Remove only what this provisioning added, from users HR lists: hand-added members stay.
        removes = sorted(
            email_of_id[i]
            for i in present - wanted_ids
            if group is not None and i in in_hr and (group.id, i) in owned.memberships
        )
        if adds:
            result.member_adds[name] = adds
        if removes:
            result.member_removes[name] = removes


def _refusal(
    changed: list[str], before: int, limit: float, *, doing: str, done: str, meaning: str, override: str, also: str
) -> str | None:
    """None when ``changed`` is within ``limit`` percent of ``before``; otherwise the message of a refusal."""
    if not changed:
        return None
    share = 100.0 * len(changed) / before if before else 100.0
    if share <= limit:
        return None
    sample = changed[:10]
    more = f" and {len(changed) - len(sample)} more" if len(changed) > len(sample) else ""
    return (
        f"Safety limit: this run would {doing} {len(changed)} of {before} active users ({share:.1f}% > the "
        f"{limit:g}% limit), which usually means {meaning}. Nothing was written. It would have {done}: "
        f"{', '.join(sample)}{more}; {also}. If this is intended, run again with the safety limit overridden "
        f"({override}=True)."
    )


def _as_dict(plan_: Plan | Mapping[str, Any]) -> Mapping[str, Any]:
    return plan_.as_dict() if isinstance(plan_, Plan) else plan_


def safety_verdict(plan_: Plan | Mapping[str, Any], max_removal_percent: float) -> str | None:
    """None when the plan (or its ``as_dict()`` form) is within the removal limit; otherwise a message saying what
    the run would have done. The limit is on users losing access (deactivated or deleted) as a share of
    the users active before the run."""
    data = _as_dict(plan_)
    counts = data["counts"]
    return _refusal(
        [*data["deactivate_users"], *data["delete_users"]],
        counts["active_users_before"],
        max_removal_percent,
        doing="deactivate or delete" if data["delete_users"] else "deactivate",
        done="removed",
        meaning="a truncated or partial HR export",
        override="allow_mass_removal",
        also=f"it would also have created {counts['create_users']} and updated {counts['update_users']} users",
    )


def update_verdict(plan_: Plan | Mapping[str, Any], max_update_percent: float) -> str | None:
    """None when the plan is within the update limit; otherwise a message saying what the run would have done.
    The limit is on users whose attributes change (a reactivation or a newly set ``externalId`` aside) as a
    share of the users active before the run: a column shift or swap in the export changes nearly everyone."""
    data = _as_dict(plan_)
    counts = data["counts"]
    changed = [
        f"{u['email']} ({', '.join(sorted(set(u['changes']) - NOT_COUNTED_AS_UPDATES))})"
        for u in data["update_users"]
        if set(u["changes"]) - NOT_COUNTED_AS_UPDATES
    ]
    return _refusal(
        changed,
        counts["active_users_before"],
        max_update_percent,
        doing="update",
        done="updated",
        meaning="shifted or swapped columns in the HR export",
        override="allow_mass_update",
        also=f"it would also have created {counts['create_users']} and deactivated {counts['deactivate_users']} users",
    )
