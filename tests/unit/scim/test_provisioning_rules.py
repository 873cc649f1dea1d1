"""360Learning's SCIM rules as the provisioning keeps them, against the SCIM emulator (issue 17's SCIM cases):
ownership (hand-added members stay, accounts it never created are reported, not touched), the employee number
as the stable identity (an email change keeps the account), strict flags, the update limit, the custom-field
check, and a second run that sends no write."""

from __future__ import annotations

import csv
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_360learning.operators.scim_provisioning import (
    ThreeSixtyLearningScimProvisioningOperator,
    ThreeSixtyLearningScimSafetyLimitError,
)
from airflow_provider_360learning.scim.custom_fields import ScimMappingError
from tests.conftest import REPO
from tests.unit.scim.conftest import Scim, employee, write_csv

SAMPLE = REPO / "dags" / "data" / "hr_employees.csv"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def run(source: Any, **kwargs: Any) -> dict[str, Any]:
    operator = ThreeSixtyLearningScimProvisioningOperator(task_id="provision", users_source=source, **kwargs)
    return operator.execute({})  # type: ignore[arg-type]


def staff(count: int, **changes: Any) -> list[dict[str, Any]]:
    """Employees with an employee number (E0000...), as an HR export gives them."""
    return [employee(n, employee_number=f"E{n:04d}", **changes) for n in range(count)]


def create_by_hand(scim: Scim, email: str, **extra: Any) -> str:
    """An account made outside this provisioning (an admin, another tool)."""
    body = {"schemas": [USER], "userName": email, "emails": [{"value": email, "primary": True}], **extra}
    response = scim.send("POST", "/Users", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def add_by_hand(scim: Scim, group: str, email: str) -> None:
    """An admin adds a member to a group in 360Learning (not over SCIM)."""
    group_id = scim.group(group)["id"]  # type: ignore[index]
    user_id = scim.users()[email]["id"]
    assert scim.http.post(f"/_emulator/scim/groups/{group_id}/members", json={"value": user_id}).status_code == 201


# -- ownership -------------------------------------------------------------------------------------------------


def test_a_member_added_by_hand_stays_even_when_listed_in_hr(scim: Scim, tmp_path: Path) -> None:
    rows = staff(4)
    rows[0]["groups"] = rows[1]["groups"] = "Engineering"
    rows[2]["groups"] = "Sales"
    source = write_csv(tmp_path, rows)
    run(source)
    add_by_hand(scim, "Engineering", "employee002@example.com")  # in HR (Sales), added by hand to Engineering
    assert scim.member_emails("Engineering") == {
        "employee000@example.com",
        "employee001@example.com",
        "employee002@example.com",
    }
    writes = scim.writes()
    again = run(source)
    assert again["plan"]["member_removes"] == {} and scim.writes() == writes
    assert "employee002@example.com" in scim.member_emails("Engineering")
    # A membership the provisioning added is still removed when HR drops it.
    rows[1]["groups"] = ""
    moved = run(write_csv(tmp_path, rows))
    assert moved["plan"]["member_removes"] == {"Engineering": ["employee001@example.com"]}
    assert scim.member_emails("Engineering") == {"employee000@example.com", "employee002@example.com"}


def test_accounts_it_did_not_create_are_reported_not_deactivated(scim: Scim, tmp_path: Path) -> None:
    rows = staff(10)
    run(write_csv(tmp_path, rows))
    create_by_hand(scim, "admin@example.com")  # no externalId: not this provisioning's
    create_by_hand(scim, "former@example.com", externalId="E9999")  # an HR employee provisioned before the state
    result = run(write_csv(tmp_path, rows[:9]), max_removal_percent=25)
    assert result["plan"]["unmanaged_absent"] == ["admin@example.com"]
    assert result["plan"]["counts"]["unmanaged_absent"] == 1
    assert result["plan"]["deactivate_users"] == ["employee009@example.com", "former@example.com"]
    users = scim.users()
    assert users["admin@example.com"]["active"] is True
    assert users["employee009@example.com"]["active"] is False and users["former@example.com"]["active"] is False
    # hard_delete deletes only what deactivation would have touched
    deleted = run(write_csv(tmp_path, rows[:8]), hard_delete=True, max_removal_percent=100)
    assert sorted(deleted["plan"]["delete_users"]) == [
        "employee008@example.com",
        "employee009@example.com",
        "former@example.com",
    ]
    assert set(scim.users()) == {r["email"] for r in rows[:8]} | {"admin@example.com"}


def test_the_ownership_state_lives_in_the_warehouse_on_postgresql(
    scim: Scim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("psycopg2")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCIM_STATE_PG",
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": "test"}),
    )
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from airflow_provider_360learning.scim.ownership import TABLE

    rows = staff(3, groups="Ops")
    run(write_csv(tmp_path, rows), state_conn_id="scim_state_pg")
    pg = PostgresHook(postgres_conn_id="scim_state_pg")
    try:
        stored = pg.get_records(
            f"SELECT item_key, content_hash, status FROM {TABLE} WHERE scope = %s ORDER BY item_key", (scim.url,)
        )
        ids = {u["id"] for u in scim.users().values()}
        group_id = scim.group("Ops")["id"]  # type: ignore[index]
        assert stored == sorted(
            [(f"member\t{group_id}\t{i}", "added", "active") for i in ids]
            + [(f"user\t{i}", "created", "active") for i in ids]
        )
        rows[0]["groups"] = ""
        run(write_csv(tmp_path, rows), state_conn_id="scim_state_pg")
        removed = scim.users()["employee000@example.com"]["id"]
        status = pg.get_first(
            f"SELECT status FROM {TABLE} WHERE scope = %s AND item_key = %s",
            (scim.url, f"member\t{group_id}\t{removed}"),
        )
        assert status == ("archived",)
    finally:
        pg.run(f"DELETE FROM {TABLE} WHERE scope = %s", parameters=(scim.url,))


# -- stable identity ---------------------------------------------------------------------------------------------


def test_an_email_change_keeps_the_account_and_is_reported(
    scim: Scim, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    rows = staff(10, groups="Ops")
    run(write_csv(tmp_path, rows))
    account = scim.users()["employee003@example.com"]
    rows[3]["email"] = "married.name@example.com"
    rows[3]["title"] = "Senior Engineer"
    writes = scim.writes()
    capfd.readouterr()
    with caplog.at_level(logging.WARNING):
        result = run(write_csv(tmp_path, rows))
    out = capfd.readouterr()
    print(out.out)  # back for the suite's secret scan
    assert result["plan"]["email_changes"] == [
        {
            "external_id": "E0003",
            "user_id": account["id"],
            "old_email": "employee003@example.com",
            "new_email": "married.name@example.com",
            "action": "kept: change the email by hand in 360Learning",
        }
    ]
    assert "employee003@example.com -> married.name@example.com" in out.out + out.err + caplog.text
    assert result["plan"]["create_users"] == [] and result["plan"]["deactivate_users"] == []
    after = scim.users()
    assert set(after) == {f"employee{n:03d}@example.com" for n in range(10)}  # no new account, the email unchanged
    assert after["employee003@example.com"]["id"] == account["id"] and after["employee003@example.com"]["active"]
    assert after["employee003@example.com"]["title"] == "Senior Engineer"  # the rest is kept up to date
    assert "employee003@example.com" in scim.member_emails("Ops")
    now = scim.writes()
    assert now["PATCH /Users"] == writes.get("PATCH /Users", 0) + 1 and now["POST /Users"] == writes["POST /Users"]
    # Until an admin changes it by hand, every run reports it again and writes nothing.
    writes = scim.writes()
    assert run(write_csv(tmp_path, rows))["plan"]["counts"]["email_changes"] == 1 and scim.writes() == writes


def test_an_email_change_recreates_the_account_only_when_asked(scim: Scim, tmp_path: Path) -> None:
    rows = staff(10)
    run(write_csv(tmp_path, rows))
    old = scim.users()["employee003@example.com"]
    rows[3]["email"] = "married.name@example.com"
    result = run(write_csv(tmp_path, rows), recreate_on_email_change=True)
    assert result["plan"]["email_changes"][0]["action"] == "new account created, the old one deactivated"
    assert result["applied"]["created"] == 1 and result["applied"]["deactivated"] == 1
    users = scim.users()
    assert users["employee003@example.com"]["id"] == old["id"] and users["employee003@example.com"]["active"] is False
    assert users["married.name@example.com"]["externalId"] == "E0003" and users["married.name@example.com"]["active"]
    writes = scim.writes()
    assert run(write_csv(tmp_path, rows))["plan"]["counts"] | {"active_users_before": 0} == dict.fromkeys(
        result["plan"]["counts"], 0
    )
    assert scim.writes() == writes


def test_users_are_matched_on_the_employee_number_then_on_the_email(scim: Scim, tmp_path: Path) -> None:
    rows = staff(10)
    before = create_by_hand(  # matched by email and up to date: only its externalId is set
        scim,
        "employee000@example.com",
        schemas=[USER, ENTERPRISE],
        name={"givenName": "Given0", "familyName": "Family0"},
        title="Engineer",
        **{ENTERPRISE: {"department": "Engineering"}},
    )
    other = create_by_hand(scim, "employee001@example.com", externalId="X-42")  # someone else's number
    result = run(write_csv(tmp_path, rows))
    users = scim.users()
    assert (
        users["employee000@example.com"]["id"] == before and users["employee000@example.com"]["externalId"] == "E0000"
    )
    assert result["plan"]["update_users"][0]["changes"] == {"externalId": [None, "E0000"]}
    assert result["plan"]["counts"]["attribute_updates"] == 0  # setting the externalId is not a mass change
    assert result["plan"]["identity_conflicts"] == [
        {
            "email": "employee001@example.com",
            "external_id": "E0001",
            "reason": "the account of employee001@example.com carries externalId 'X-42', the row 'E0001'",
        }
    ]
    assert users["employee001@example.com"]["id"] == other and "name" not in users["employee001@example.com"]


# -- flags and limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["on", "y", "t", "yes", "1", "", 1, 0, None])
def test_an_ambiguous_dry_run_raises_naming_the_value(scim: Scim, tmp_path: Path, value: Any) -> None:
    source = write_csv(tmp_path, staff(3))
    with pytest.raises(ValueError, match=rf"dry_run={value!r} is not a boolean"):
        run(source, dry_run=value)
    templated = ThreeSixtyLearningScimProvisioningOperator(
        task_id="templated", users_source=source, dry_run="{{ params.dry_run }}"
    )
    templated.plan_only = value  # as rendered
    with pytest.raises(ValueError, match=rf"dry_run={value!r} is not a boolean"):
        templated.execute({})  # type: ignore[arg-type]
    assert scim.writes() == {}


@pytest.mark.parametrize(
    ("value", "dry"), [(True, True), ("TRUE", True), ("true", True), (False, False), ("False", False)]
)
def test_dry_run_accepts_a_bool_or_true_and_false(scim: Scim, tmp_path: Path, value: Any, dry: bool) -> None:
    result = run(write_csv(tmp_path, staff(3)), dry_run=value)
    assert result["dry_run"] is dry and (scim.writes() == {}) is dry


def test_swapped_name_columns_are_refused(scim: Scim, tmp_path: Path) -> None:
    run(str(SAMPLE))
    with SAMPLE.open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["given_name"], row["family_name"] = row["family_name"], row["given_name"]
    swapped = write_csv(tmp_path, rows)
    writes = scim.writes()
    with pytest.raises(ThreeSixtyLearningScimSafetyLimitError) as caught:
        run(swapped)
    assert "update 19 of 19 active users (100.0% > the 30% limit)" in str(caught.value)
    assert "alice.martin@example.com (name.familyName, name.givenName)" in str(caught.value)
    assert "allow_mass_update=True" in str(caught.value) and scim.writes() == writes
    assert run(swapped, dry_run=True)["update_limit"] == str(caught.value)
    forced = run(swapped, allow_mass_update=True)
    assert (
        forced["applied"]["updated"] == 19 and scim.users()["alice.martin@example.com"]["name"]["givenName"] == "Martin"
    )


# -- custom fields ---------------------------------------------------------------------------------------------


def test_custom_fields_are_checked_against_360learning(scim: Scim, connection: str, tmp_path: Path) -> None:
    rows = staff(3, department="Engineering")
    assert run(write_csv(tmp_path, rows), custom_fields_conn_id=connection)["applied"]["created"] == 3
    for row in rows:
        row["cost_center"] = "CC-1"
    source = write_csv(tmp_path, rows)
    writes = scim.writes()
    with pytest.raises(ScimMappingError, match=r"no user custom field 'Cost center' \(for urn:.*:costCenter\)"):
        run(source, custom_fields_conn_id=connection)
    assert scim.writes() == writes
    skipped = run(source, custom_fields_conn_id=connection, missing_custom_fields="skip")
    assert list(skipped["skipped_custom_fields"].values()) == ["Cost center"] and scim.writes() == writes
    # A field created in 360Learning under another case is found.
    mapped = run(
        source,
        custom_fields_conn_id=connection,
        custom_fields={next(iter(skipped["skipped_custom_fields"])): "HIRE DATE"},
        max_update_percent=100,
    )
    assert mapped["applied"]["updated"] == 3


def test_an_extension_the_server_does_not_announce_is_refused(scim: Scim, tmp_path: Path) -> None:
    rows = staff(2, badge="B-1")
    urn = f"urn:example:params:scim:schemas:{uuid.uuid4().hex}:User"
    with pytest.raises(ScimMappingError, match=rf"does not announce the schema of {urn}:badge \(schema {urn}\)"):
        run(write_csv(tmp_path, rows), attribute_columns={"badge": f"{urn}:badge"})
    assert scim.writes() == {}


# -- a second run --------------------------------------------------------------------------------------------------


def test_a_second_run_of_the_sample_sends_no_write_and_records_nothing(scim: Scim) -> None:
    from airflow_provider_360learning.edx.sync_state import open_state
    from airflow_provider_360learning.scim.ownership import TABLE

    first = run(str(SAMPLE))
    state = open_state("360learning_warehouse", TABLE, scim.url)
    try:
        recorded = state.load()
        assert len(recorded) == first["applied"]["created"] + first["applied"]["members_added"]
        writes = scim.writes()
        second = run(str(SAMPLE))
        assert second["applied"] == dict.fromkeys(second["applied"], 0) and scim.writes() == writes
        assert state.load() == recorded
    finally:
        state.close()


def test_what_succeeded_is_recorded_when_a_revoked_token_stops_the_run(
    scim: Scim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningScimAuthenticationError
    from airflow_provider_360learning.scim.apply import ScimApplier
    from airflow_provider_360learning.scim.ownership import OwnershipState

    create_group = ScimApplier._create_group

    def revoked_meanwhile(self: ScimApplier, name: str) -> None:
        scim.new_token()  # an admin generates a new token between the user creations and the groups
        create_group(self, name)

    monkeypatch.setattr(ScimApplier, "_create_group", revoked_meanwhile)
    with pytest.raises(ThreeSixtyLearningScimAuthenticationError):
        run(write_csv(tmp_path, staff(3, groups="Ops")))
    owned = OwnershipState("360learning_warehouse", scim.url).load()
    assert owned.users == {u["id"] for u in scim.users().values()} and len(owned.users) == 3
    assert owned.memberships == frozenset()
