"""What the SCIM provisioning created and added: its ownership state.

360Learning's SCIM server does not say who created an account or who added a member to a group (an admin by
hand, or a provisioning), and its rule for groups is that "users who were manually added to the group but not
in the update request will not be impacted". So the provisioning remembers what it did itself, and removes
only that: a membership it added, an account it created (or that carries its ``externalId``).

The state is a table of the warehouse connection (any common.sql database; the embedded default when the
connection is not defined), written through the edX sync's :class:`~airflow_provider_360learning.edx.sync_state.
SyncState`, keyed on ``(scope, item_key)``, the scope being the SCIM endpoint URL (another tenant starts from
an empty state):

================  ==================================================================================
``item_key``      ``user TAB <SCIM user id>`` or ``member TAB <SCIM group id> TAB <SCIM user id>``
``content_hash``  what the provisioning did: ``created`` (a user) or ``added`` (a membership)
``status``        ``active`` (owned), ``archived`` once the provisioning removed it (deleted, member removed)
================  ==================================================================================

Rows are written after the writes succeeded, never on a dry run. Memberships and accounts that existed before
the state did are treated as added by hand: they are never removed by this provisioning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from airflow_provider_360learning.edx.sync_state import Synced, SyncState

TABLE = "_360learning_scim_ownership"
USER, MEMBER = "user", "member"


@dataclass(frozen=True)
class Owned:
    """Ids of the users this provisioning created, and the ``(group id, user id)`` memberships it added."""

    users: frozenset[str] = frozenset()
    memberships: frozenset[tuple[str, str]] = frozenset()


@dataclass
class OwnershipChanges:
    """What one run created, added and removed (successful writes only)."""

    created_users: list[str] = field(default_factory=list)
    deleted_users: list[str] = field(default_factory=list)
    added_members: list[tuple[str, str]] = field(default_factory=list)
    removed_members: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[str, str, Literal["active", "archived"]]]:
        """``(item_key, content_hash, status)`` rows for :meth:`SyncState.save`, in the order of the writes."""
        for user_id in self.created_users:
            yield f"{USER}\t{user_id}", "created", "active"
        for group_id, user_id in self.added_members:
            yield f"{MEMBER}\t{group_id}\t{user_id}", "added", "active"
        for group_id, user_id in self.removed_members:
            yield f"{MEMBER}\t{group_id}\t{user_id}", "added", "archived"
        for user_id in self.deleted_users:
            yield f"{USER}\t{user_id}", "created", "archived"


def owned_from(synced: Mapping[str, Synced]) -> Owned:
    """The owned users and memberships among a scope's rows (``archived`` ones are no longer owned)."""
    users: set[str] = set()
    memberships: set[tuple[str, str]] = set()
    for key, row in synced.items():
        if row.status != "active":
            continue
        kind, _, rest = key.partition("\t")
        if kind == USER:
            users.add(rest)
        elif kind == MEMBER:
            group_id, _, user_id = rest.partition("\t")
            memberships.add((group_id, user_id))
    return Owned(frozenset(users), frozenset(memberships))


class OwnershipState:
    """The ownership state of one SCIM endpoint in the warehouse (or the embedded default). Each call opens and
    closes the database: no connection (nor an embedded file's lock) is held while the SCIM writes run."""

    def __init__(self, warehouse_conn_id: str, scope: str) -> None:
        self.warehouse_conn_id = warehouse_conn_id
        self.scope = scope

    def _open(self) -> SyncState:
        from airflow_provider_360learning.edx.sync_state import open_state

        return open_state(self.warehouse_conn_id, TABLE, self.scope)

    def load(self) -> Owned:
        state = self._open()
        try:
            return owned_from(state.load())
        finally:
            state.close()

    def record(self, changes: OwnershipChanges, run_id: str) -> int:
        """Save one run's changes; opens nothing (nor creates the table) when there are none."""
        rows = list(changes.rows())
        if not rows:
            return 0
        state = self._open()
        try:
            return state.save(rows, run_id)
        finally:
            state.close()
