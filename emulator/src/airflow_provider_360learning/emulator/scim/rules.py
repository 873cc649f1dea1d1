"""360Learning's SCIM rules, as pure functions over scim2-models resources.

Each rule below is documented by 360Learning (``../shared/research/scim-and-peers.md`` §1) or is the
emulator's reading of it, and docs/scim-provisioning.md lists them:

- the email is the user's identifier: required, well formed, unique, and never changed over SCIM
  (an email change is made by hand in 360Learning);
- a group update rewrites only the members it names (members added by hand, and the automatic members
  of the integration group, survive a replace);
- nested groups are arranged by hand: a group member must be a user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scim2_models import InvalidValueException, MutabilityException, PatchOp, PatchOperation, Resource

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

EMAIL = re.compile(r"^[^@\s\"<>(),;:\\]+@[^@\s\"<>(),;:\\]+\.[A-Za-z]{2,}$")
"""A deliberately plain email shape: one ``@``, a dotted domain, no spaces or separators."""

_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"(?P<value>[^"]*)"\s*\]$', re.IGNORECASE)


def is_user(resource: Resource[Any]) -> bool:
    """Models composed from discovery are not subclasses of scim2-models' ``User``: compare schema URNs."""
    return str(getattr(type(resource), "__schema__", "")) == USER_SCHEMA


def is_group(resource: Resource[Any]) -> bool:
    return str(getattr(type(resource), "__schema__", "")) == GROUP_SCHEMA


def user_email(user: Resource[Any]) -> str | None:
    """The email 360Learning identifies a user by: the primary email, else the first one, else ``userName``."""
    emails = getattr(user, "emails", None) or []
    chosen = next((e for e in emails if getattr(e, "primary", False) and e.value), None) or next(
        (e for e in emails if e.value), None
    )
    value = chosen.value if chosen is not None else getattr(user, "user_name", None)
    return str(value).strip() if value else None


def identity_key(email: str) -> str:
    """Emails are compared without regard to case (their domain always is, and 360Learning folds the rest)."""
    return email.casefold()


def checked_email(user: Resource[Any]) -> str:
    """The user's identifying email, or a 400 ``invalidValue`` saying why it cannot identify the user."""
    email = user_email(user)
    if not email:
        raise InvalidValueException(detail="360Learning identifies users by email: give userName or emails")
    if not EMAIL.match(email):
        raise InvalidValueException(detail=f"360Learning identifies users by email, and {email!r} is not an email")
    return email


def check_same_identity(current: Resource[Any], updated: Resource[Any]) -> None:
    """Refuse (400 ``mutability``) an update that would change the identifying email."""
    before, after = user_email(current), user_email(updated)
    if before and (after is None or identity_key(before) != identity_key(after)):
        raise MutabilityException(
            attribute="emails",
            detail="The email identifies the user in 360Learning and cannot change over SCIM; "
            "change it by hand in 360Learning",
        )


def member_values(group: Resource[Any]) -> list[str]:
    return [m.value for m in (getattr(group, "members", None) or []) if m.value]


def check_flat_members(group: Resource[Any], user_ids: Iterable[str] | None = None) -> None:
    """Refuse a group member that is a group (nested groups are arranged by hand in 360Learning)."""
    known = set(user_ids) if user_ids is not None else None
    for member in getattr(group, "members", None) or []:
        if (member.type or "User").casefold() == "group" or (known is not None and member.value not in known):
            kind = "a group" if (member.type or "").casefold() == "group" else "not a user of this platform"
            raise InvalidValueException(
                detail=f"Group member {member.value!r} is {kind}: 360Learning groups take users as members "
                "(nested groups are arranged by hand)"
            )


def explicitly_removed(patch_op: PatchOp[Any]) -> set[str]:
    """Member ids a PATCH names in a ``remove``: RFC path filter form or Entra's value-list form."""
    named: set[str] = set()
    for operation in patch_op.operations or []:
        if operation.op != PatchOperation.Op.remove or operation.path is None:
            continue
        path = str(operation.path)
        match = _MEMBER_FILTER.match(path)
        if match:
            named.add(match.group("value"))
        elif path.casefold() == "members" and isinstance(operation.value, list):
            named.update(
                str(v.get("value") if isinstance(v, dict) else getattr(v, "value", "")) for v in operation.value
            )
    return named


def keep_protected_members(before: Any, after: Any, protected: set[str], removed: set[str]) -> bool:
    """Put back into ``after`` the protected members of ``before`` that a replace dropped; True if any."""
    present = set(member_values(after))
    restored = [
        m for m in before.members or [] if m.value in protected and m.value not in present and m.value not in removed
    ]
    if restored:
        member_class = type(after).Members  # the model's own member class (models built from discovery differ)
        after.members = [*(after.members or []), *(member_class.model_validate(m.model_dump()) for m in restored)]
    return bool(restored)
