"""State of the SCIM emulator: resources, the one active token, hand-made memberships and counters.

360Learning allows one active SCIM token per IdP: issuing a new one revokes the previous one, which then
gets 401. Members added "by hand" (the control interface stands for 360Learning's UI) are kept apart, since a
SCIM group update must not drop them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import weakref
from collections import Counter
from typing import Any

from airflow_provider_360learning.emulator.scim.directory import TenantDirectory
from airflow_provider_360learning.emulator.scim.provider import build_provider
from airflow_provider_360learning.emulator.scim.service import ThreeSixtyScimService
from airflow_provider_360learning.emulator.scim.storage import ThreeSixtyStorage

INTEGRATION_GROUP_NAME = "SCIM integration"
"""Display name of the integration group every SCIM-provisioned user joins."""


class ScimState:
    """Everything the SCIM emulator serves and counts; ``reset()`` returns to the initial token and no users.

    Given the emulator's state, its users and groups are the tenant's (:mod:`.directory`); without it (a
    standalone SCIM server), they live in the SCIM store only.
    """

    def __init__(
        self, initial_token: str, integration_group_name: str = INTEGRATION_GROUP_NAME, emulator_state: Any = None
    ) -> None:
        self.initial_token = initial_token
        self.provider = build_provider()
        self._lock = threading.RLock()
        group_type = next(rt for rt in self.provider.resource_types if rt.name == "Group")
        user_type = next(rt for rt in self.provider.resource_types if rt.name == "User")
        self.directory = TenantDirectory(emulator_state, integration_group_name) if emulator_state is not None else None
        self.storage = ThreeSixtyStorage(
            group_type,
            integration_group_name,
            user_type=user_type,
            user_model=self.provider.model_for(user_type),
            directory=self.directory,
        )
        self.service = ThreeSixtyScimService(
            self.provider,
            protected_members=self.protected_members,
            user_ids=self.storage.user_ids,
            forget_manual=self.forget_manual,
        )
        self.token = initial_token
        self.tokens_issued = 0
        self.manual_members: dict[str, set[str]] = {}
        self.requests: Counter[str] = Counter()
        self.unauthorized = 0

    @property
    def integration_group_id(self) -> str:
        return self.storage.integration_group_id

    def reset(self) -> None:
        """The initial token, no counters, and no provisioned users or groups (they leave the tenant too)."""
        with self._lock:
            if self.directory is not None:
                with self.storage.locked():
                    self.directory.forget()
            self.storage.clear()
            self.token = self.initial_token
            self.tokens_issued = 0
            self.manual_members.clear()
            self.requests.clear()
            self.unauthorized = 0

    def pull(self) -> None:
        """Bring in what the core API changed in the tenant's users and groups (before serving SCIM)."""
        if self.directory is not None:
            self.directory.pull(self.storage)

    # -- token ---------------------------------------------------------------------------------
    def accepts(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    def issue_token(self, token: str | None = None) -> str:
        """A new active token (random unless given); the previous one is revoked at once."""
        with self._lock:
            self.token = token or f"scim-{secrets.token_urlsafe(24)}"
            self.tokens_issued += 1
            return self.token

    # -- memberships ---------------------------------------------------------------------------
    def protected_members(self, group_id: str) -> set[str]:
        with self._lock:
            if group_id == self.integration_group_id:
                return set(self.storage.user_ids())
            return set(self.manual_members.get(group_id, ()))

    def forget_manual(self, group_id: str, member_ids: set[str]) -> None:
        with self._lock:
            self.manual_members.get(group_id, set()).difference_update(member_ids)

    def add_manual_member(self, group_id: str, user_id: str) -> None:
        """Add a member as an administrator would in 360Learning's UI (not over SCIM)."""
        self.pull()
        with self._lock:
            self.storage.add_member_in_place(group_id, user_id)
            self.manual_members.setdefault(group_id, set()).add(user_id)

    # -- counters ------------------------------------------------------------------------------
    def count(self, method: str, path: str) -> None:
        endpoint = "/" + path.strip("/").split("/", 1)[0] if path.strip("/") else "/"
        with self._lock:
            self.requests[f"{method} {endpoint}"] += 1

    def stats(self) -> dict[str, Any]:
        self.pull()
        with self._lock:
            users = [r for r in self.storage.resources if r.meta and r.meta.resource_type == "User"]
            return {
                "requests": dict(sorted(self.requests.items())),
                "requests_total": sum(self.requests.values()),
                "unauthorized": self.unauthorized,
                "users": len(users),
                "active_users": sum(1 for u in users if getattr(u, "active", None) is not False),
                "groups": sum(1 for r in self.storage.resources if r.meta and r.meta.resource_type == "Group"),
                "integration_group_id": self.integration_group_id,
                "tokens_issued": self.tokens_issued,
            }


_STATES: weakref.WeakKeyDictionary[Any, ScimState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def scim_state(emulator_state: Any) -> ScimState:
    """The SCIM state attached to an emulator's :class:`EmulatorState` (created on first use)."""
    with _STATES_LOCK:
        state = _STATES.get(emulator_state)
        if state is None:
            state = _STATES[emulator_state] = ScimState(emulator_state.config.scim_token, emulator_state=emulator_state)
        return state
