"""The plan's identity rules and the mapping check as pure functions: the cases the emulator runs do not reach."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from airflow_provider_360learning.scim.custom_fields import ScimMappingError, check_mapping, custom_field_targets
from airflow_provider_360learning.scim.diff import CurrentGroup, CurrentUser, plan
from airflow_provider_360learning.scim.ownership import Owned, OwnershipChanges, owned_from
from airflow_provider_360learning.scim.source import ENTERPRISE, desired_state

PATHS = ["externalId", "name.familyName", "name.givenName", "title"]


def hr(*rows: dict[str, Any]) -> Any:
    return desired_state(pd.DataFrame([{"given_name": "G", "family_name": "F", **r} for r in rows], dtype=str))


def account(user_id: str, email: str, external_id: str | None = None, active: bool = True) -> CurrentUser:
    values: dict[str, str | None] = {"externalId": external_id, "name.givenName": "G", "name.familyName": "F"}
    return CurrentUser(id=user_id, email=email, active=active, values=values)


def test_a_new_email_that_belongs_to_another_account_touches_neither() -> None:
    desired = hr({"email": "b@example.com", "employee_number": "E1"})
    users = [account("1", "a@example.com", "E1"), account("2", "b@example.com")]
    result = plan(desired, users, {}, managed_paths=PATHS, owned=Owned(frozenset({"1", "2"})))
    assert result.identity_conflicts[0]["email"] == "b@example.com"
    assert "already belongs to another account (2)" in result.identity_conflicts[0]["reason"]
    assert result.empty and result.email_changes == []


def test_duplicate_employee_numbers_reject_every_copy_and_protect_the_account() -> None:
    desired = hr(
        {"email": "a@example.com", "employee_number": "E1"}, {"email": "b@example.com", "employee_number": "E1"}
    )
    assert desired.users == {} and desired.protected_ids == {"E1"}
    assert "duplicate employee_number 'E1' (rows 1, 2)" in desired.rejected[0].reason
    result = plan(desired, [account("1", "old@example.com", "E1")], {}, managed_paths=PATHS)
    assert result.empty and result.unmanaged_absent == []


def test_memberships_are_removed_only_when_owned_and_only_for_users_in_hr() -> None:
    desired = hr({"email": "a@example.com", "groups": ""}, {"email": "b@example.com", "groups": ""})
    users = [account("1", "a@example.com"), account("2", "b@example.com"), account("3", "gone@example.com", "E9")]
    desired.groups["Ops"] = set()
    group = CurrentGroup(id="g", name="Ops", member_ids=frozenset({"1", "2", "3"}))
    owned = Owned(frozenset(), frozenset({("g", "1"), ("g", "3")}))
    result = plan(desired, users, {"Ops": group}, managed_paths=PATHS, owned=owned)
    assert result.member_removes == {"Ops": ["a@example.com"]}  # 2 was added by hand, 3 is a leaver


def test_ownership_rows_round_trip() -> None:
    from airflow_provider_360learning.edx.sync_state import Synced

    changes = OwnershipChanges(["u1", "u2"], ["u2"], [("g", "u1")], [("g", "u3")])
    rows = {key: Synced(origin, status) for key, origin, status in changes.rows()}  # later rows win, as in upserts
    assert owned_from(rows) == Owned(frozenset({"u1"}), frozenset({("g", "u1")}))


def test_a_path_that_lands_on_no_known_field_must_be_named() -> None:
    with pytest.raises(ScimMappingError, match=f"{ENTERPRISE}:badge map to no 360Learning user field"):
        custom_field_targets([f"{ENTERPRISE}:badge"])
    assert custom_field_targets([f"{ENTERPRISE}:badge", "title"], {f"{ENTERPRISE}:badge": "Badge"}) == {
        f"{ENTERPRISE}:badge": "Badge"
    }


def test_only_user_custom_fields_count() -> None:
    existing = [{"name": "Department", "targetType": "contents"}, {"name": " cost  CENTER ", "targetType": "users"}]
    paths = [f"{ENTERPRISE}:department", f"{ENTERPRISE}:costCenter"]
    skipped = check_mapping(paths, announced_schemas=[ENTERPRISE], existing_fields=existing, on_missing="skip")
    assert skipped == {f"{ENTERPRISE}:department": "Department"}
    assert check_mapping(paths, announced_schemas=[ENTERPRISE], existing_fields=None) == {}
