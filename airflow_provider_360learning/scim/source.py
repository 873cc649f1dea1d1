"""The desired state of a SCIM provisioning run, read from an HR export (DataFrame, CSV, Parquet or SQL).

Rows that cannot be provisioned safely are *rejected*, never guessed at: a missing or malformed email, an
email or an employee number that appears on several rows (which row is right cannot be known), an unreadable
``active`` value, or a group naming a member that is not a valid user of the source. A rejected row's email
and employee number are also *protected*: the user already provisioned with either is neither updated nor
deactivated, so a bad row never loses anyone.

The employee number (column ``employee_number``) is the user's stable identity: it is sent as the SCIM
``externalId``, and the diff matches users on it before the email (which can change in HR).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

EMAIL = re.compile(r"^[^@\s\"<>(),;:\\]+@[^@\s\"<>(),;:\\]+\.[A-Za-z]{2,}$")

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

EXTERNAL_ID = "externalId"
EXTERNAL_ID_COLUMN = "employee_number"
"""The HR column whose value is the user's ``externalId``: the key a changed email does not break."""

DEFAULT_ATTRIBUTE_COLUMNS: dict[str, str] = {
    "title": "title",
    "preferred_language": "preferredLanguage",
    EXTERNAL_ID_COLUMN: EXTERNAL_ID,
    "department": f"{ENTERPRISE}:department",
    "organization": f"{ENTERPRISE}:organization",
    "division": f"{ENTERPRISE}:division",
    "cost_center": f"{ENTERPRISE}:costCenter",
}
"""Source column -> SCIM attribute path of the "custom attributes" a run manages (extend with
``attribute_columns``). 360Learning does not publish its custom-field extension URN: the RFC 7643 enterprise
extension is used, and the preflight checks that the SCIM server announces it (docs/scim-provisioning.md)."""

_ALIASES = {
    "first_name": "given_name",
    "firstname": "given_name",
    "last_name": "family_name",
    "lastname": "family_name",
    "mail": "email",
    "e_mail": "email",
}
_TRUE = {"true", "1", "yes", "y", "t", "active"}
_FALSE = {"false", "0", "no", "n", "f", "inactive"}

Source = Any
"""A ``pandas.DataFrame``, a path to a ``.csv`` or ``.parquet`` file, or None."""


@dataclass(frozen=True)
class DesiredUser:
    email: str
    given_name: str | None
    family_name: str | None
    active: bool
    attributes: dict[str, str]
    row: int

    @property
    def external_id(self) -> str | None:
        return self.attributes.get(EXTERNAL_ID)


@dataclass(frozen=True)
class Rejected:
    """A source row (or one membership) that was skipped, and why."""

    kind: Literal["user", "membership"]
    row: int | None
    email: str | None
    reason: str
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "row": self.row, "email": self.email, "group": self.group, "reason": self.reason}


@dataclass
class DesiredState:
    users: dict[str, DesiredUser] = field(default_factory=dict)  # folded email -> user
    groups: dict[str, set[str]] = field(default_factory=dict)  # group name -> folded member emails
    rejected: list[Rejected] = field(default_factory=list)
    protected: set[str] = field(default_factory=set)  # folded emails never to update or deactivate
    protected_ids: set[str] = field(default_factory=set)  # employee numbers (externalId) of rejected rows

    def written_paths(self) -> set[str]:
        """The SCIM attribute paths this state writes (those with a value on at least one user)."""
        return {path for user in self.users.values() for path in user.attributes}

    def without_paths(self, paths: Iterable[str]) -> DesiredState:
        """The same state with these attributes left out (their values are not sent)."""
        dropped = set(paths)
        users = {
            key: replace(user, attributes={p: v for p, v in user.attributes.items() if p not in dropped})
            for key, user in self.users.items()
        }
        return replace(self, users=users)


def fold(email: str) -> str:
    return email.strip().casefold()


def read_table(source: Source, *, sql: str | None = None, conn_id: str | None = None) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a CSV/Parquet path, or a SQL query on any common.sql connection."""
    import pandas as pd

    if sql is not None:
        if not conn_id:
            raise ValueError("a SQL source needs a connection id (any common.sql connection)")
        from airflow.providers.common.sql.hooks.sql import DbApiHook
        from airflow.sdk import BaseHook

        hook = BaseHook.get_connection(conn_id).get_hook()
        if not isinstance(hook, DbApiHook):
            raise ValueError(f"connection {conn_id!r} is not a SQL connection (its hook is {type(hook).__name__})")
        return hook.get_df(sql, df_type="pandas")
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        raise ValueError(f"unsupported source file {path.name!r}: use .csv or .parquet")
    raise ValueError(f"unsupported source {type(source).__name__}: give a DataFrame, a .csv/.parquet path or SQL")


def _columns(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = {}
    for column in frame.columns:
        name = re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_")
        renamed[column] = _ALIASES.get(name, name)
    return frame.rename(columns=renamed)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def desired_state(
    users: pd.DataFrame,
    memberships: pd.DataFrame | None = None,
    *,
    attribute_columns: Mapping[str, str] | None = None,
    group_separator: str = ";",
) -> DesiredState:
    """Validate the source tables into the desired state (see the module docstring for the rejections)."""
    columns = {**DEFAULT_ATTRIBUTE_COLUMNS, **(attribute_columns or {})}
    frame = _columns(users)
    if "email" not in frame.columns:
        raise ValueError(f"the users source has no email column (columns: {sorted(map(str, users.columns))})")
    state = DesiredState()
    rows: dict[str, list[int]] = {}
    numbers: dict[str, list[int]] = {}  # employee number -> rows
    parsed: list[tuple[int, str, dict[str, Any]]] = []
    for index, record in enumerate(frame.to_dict("records"), start=1):
        email = _text(record.get("email"))
        employee_number = _text(record.get(EXTERNAL_ID_COLUMN))
        if email is None:
            state.rejected.append(Rejected("user", index, None, "no email: 360Learning identifies users by email"))
            if employee_number is not None:
                state.protected_ids.add(employee_number)
            continue
        if employee_number is not None:
            numbers.setdefault(employee_number, []).append(index)
        if not EMAIL.match(email):
            state.rejected.append(Rejected("user", index, email, f"{email!r} is not an email address"))
            state.protected.add(fold(email))
            if employee_number is not None:
                state.protected_ids.add(employee_number)
            continue
        rows.setdefault(fold(email), []).append(index)
        parsed.append((index, email, record))
    for index, email, record in parsed:
        key = fold(email)
        employee_number = _text(record.get(EXTERNAL_ID_COLUMN))
        reason = None
        if len(rows[key]) > 1:
            others = ", ".join(str(r) for r in rows[key])
            reason = f"duplicate email (rows {others}): which row is right cannot be known, every copy is skipped"
        elif employee_number is not None and len(numbers[employee_number]) > 1:
            others = ", ".join(str(r) for r in numbers[employee_number])
            reason = (
                f"duplicate {EXTERNAL_ID_COLUMN} {employee_number!r} (rows {others}): which row is right cannot be "
                "known, every copy is skipped"
            )
        raw_active = _text(record.get("active"))
        if reason is None and raw_active is not None and raw_active.lower() not in _TRUE | _FALSE:
            reason = f"active={raw_active!r} is neither true nor false"
        if reason is not None:
            state.rejected.append(Rejected("user", index, email, reason))
            state.protected.add(key)
            if employee_number is not None:
                state.protected_ids.add(employee_number)
            continue
        attributes = {path: text for column, path in columns.items() if (text := _text(record.get(column))) is not None}
        state.users[key] = DesiredUser(
            email=email,
            given_name=_text(record.get("given_name")),
            family_name=_text(record.get("family_name")),
            active=raw_active is None or raw_active.lower() in _TRUE,
            attributes=attributes,
            row=index,
        )
        for group in (_text(record.get("groups")) or "").split(group_separator):
            if group.strip():
                state.groups.setdefault(group.strip(), set()).add(key)
    if memberships is not None:
        _add_memberships(state, _columns(memberships))
    return state


def _add_memberships(state: DesiredState, frame: pd.DataFrame) -> None:
    group_column = next((c for c in ("group", "group_name", "display_name") if c in frame.columns), None)
    member_column = next((c for c in ("email", "member_email", "member") if c in frame.columns), None)
    if group_column is None or member_column is None:
        raise ValueError(f"the memberships source needs a group and an email column (columns: {list(frame.columns)})")
    for index, record in enumerate(frame.to_dict("records"), start=1):
        group, email = _text(record.get(group_column)), _text(record.get(member_column))
        if group is None:
            state.rejected.append(Rejected("membership", index, email, "no group name"))
            continue
        members = state.groups.setdefault(group, set())
        if email is None:
            continue  # a group listed with no member: the group is still created
        key = fold(email)
        if key not in state.users:
            reason = (
                "the member's own row was rejected"
                if key in state.protected
                else "unknown member: not a valid user of the source"
            )
            state.rejected.append(Rejected("membership", index, email, reason, group))
            continue
        members.add(key)
