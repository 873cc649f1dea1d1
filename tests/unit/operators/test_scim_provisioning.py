"""The provisioning operator against the SCIM emulator: creations, no-op re-runs, updates, deactivations,
exact membership changes, the safety limit, dry runs, bad input and a revoked token."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from airflow_provider_360learning.exceptions import ThreeSixtyLearningScimAuthenticationError
from airflow_provider_360learning.operators.scim_provisioning import (
    ThreeSixtyLearningScimProvisioningOperator,
    ThreeSixtyLearningScimSafetyLimitError,
)
from tests.unit.scim.conftest import Scim, employee, write_csv

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def run(source: Any, **kwargs: Any) -> dict[str, Any]:
    operator = ThreeSixtyLearningScimProvisioningOperator(task_id="provision", users_source=source, **kwargs)
    return operator.execute({})  # type: ignore[arg-type]


def staff(count: int, **changes: Any) -> list[dict[str, Any]]:
    return [employee(n, **changes) for n in range(count)]


def test_first_run_creates_everything_and_a_second_run_changes_nothing(scim: Scim, tmp_path: Path) -> None:
    rows = staff(4, groups="Engineering")
    rows[0]["groups"] = "Engineering;Managers"
    source = write_csv(tmp_path, rows)
    first = run(source)
    assert first["applied"] == {
        "created": 4,
        "updated": 0,
        "reactivated": 0,
        "deactivated": 0,
        "deleted": 0,
        "groups_created": 2,
        "members_added": 5,
        "members_removed": 0,
        "errors": 0,
    }
    users = scim.users()
    assert set(users) == {r["email"] for r in rows}
    assert users["employee000@example.com"]["name"] == {"givenName": "Given0", "familyName": "Family0"}
    assert users["employee000@example.com"][ENTERPRISE] == {"department": "Engineering"}
    assert scim.member_emails("Engineering") == {r["email"] for r in rows}
    assert scim.member_emails("Managers") == {"employee000@example.com"}
    writes = scim.writes()
    second = run(source)
    assert second["plan"]["counts"] | {"active_users_before": 0} == dict.fromkeys(second["plan"]["counts"], 0)
    assert second["applied"]["created"] == 0 and scim.writes() == writes  # not one write
    # reads only: discovery (3), one page of users, one lookup per group
    assert second["requests"] == 3 + 1 + 2


def test_a_changed_name_updates_only_that_attribute(scim: Scim, tmp_path: Path) -> None:
    rows = staff(3)
    run(write_csv(tmp_path, rows))
    rows[1]["family_name"] = "Married-Name"
    result = run(write_csv(tmp_path, rows), max_update_percent=34)  # 1 of 3 users: above the 30% default
    assert result["plan"]["update_users"] == [
        {
            "id": scim.users()["employee001@example.com"]["id"],
            "email": "employee001@example.com",
            "changes": {"name.familyName": ["Family1", "Married-Name"]},
        }
    ]
    assert result["applied"]["updated"] == 1 and scim.writes()["PATCH /Users"] == 1
    assert scim.users()["employee001@example.com"]["name"]["familyName"] == "Married-Name"


def test_a_removed_employee_is_deactivated_not_deleted_and_comes_back_reactivated(scim: Scim, tmp_path: Path) -> None:
    rows = staff(10)
    run(write_csv(tmp_path, rows))
    result = run(write_csv(tmp_path, rows[:9]))
    assert result["plan"]["deactivate_users"] == ["employee009@example.com"] and result["applied"]["deactivated"] == 1
    user = scim.users()["employee009@example.com"]
    assert user["active"] is False and "DELETE /Users" not in scim.writes()
    back = run(write_csv(tmp_path, rows))
    assert back["applied"]["reactivated"] == 1 and scim.users()["employee009@example.com"]["active"] is True
    assert scim.users()["employee009@example.com"]["id"] == user["id"]


def test_hard_delete_only_when_asked(scim: Scim, tmp_path: Path) -> None:
    rows = staff(10)
    run(write_csv(tmp_path, rows))
    result = run(write_csv(tmp_path, rows[:9]), hard_delete=True)
    assert result["applied"]["deleted"] == 1 and scim.writes()["DELETE /Users"] == 1
    assert "employee009@example.com" not in scim.users()


def test_group_changes_add_and_remove_exactly_the_named_members(scim: Scim, tmp_path: Path) -> None:
    rows = staff(5)
    for row in rows[:3]:
        row["groups"] = "Sales"
    run(write_csv(tmp_path, rows))
    outsider = scim.send(
        "POST",
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "hand@example.com",
            "emails": [{"value": "hand@example.com", "primary": True}],
        },
    ).json()
    group_id = scim.group("Sales")["id"]  # type: ignore[index]
    scim.http.post(f"/_emulator/scim/groups/{group_id}/members", json={"value": outsider["id"]})
    before = scim.member_emails("Sales")
    assert before == {
        "employee000@example.com",
        "employee001@example.com",
        "employee002@example.com",
        "hand@example.com",
    }

    rows[2]["groups"] = ""  # leaves Sales
    rows[3]["groups"] = "Sales"  # joins Sales
    patches = scim.writes().get("PATCH /Groups", 0)
    result = run(write_csv(tmp_path, rows), max_removal_percent=100)
    assert result["plan"]["member_adds"] == {"Sales": ["employee003@example.com"]}
    assert result["plan"]["member_removes"] == {"Sales": ["employee002@example.com"]}
    assert scim.member_emails("Sales") == before - {"employee002@example.com"} | {"employee003@example.com"}
    assert scim.writes()["PATCH /Groups"] == patches + 1  # one explicit PATCH, no PUT of the group
    assert "PUT /Groups" not in scim.writes()


def test_the_safety_limit_stops_a_truncated_source(scim: Scim, tmp_path: Path) -> None:
    rows = staff(20)
    run(write_csv(tmp_path, rows))
    writes = scim.writes()
    with pytest.raises(ThreeSixtyLearningScimSafetyLimitError) as caught:
        run(write_csv(tmp_path, rows[:8]))  # a truncated export: 12 of 20 would go
    message = str(caught.value)
    assert "deactivate 12 of 20 active users (60.0% > the 10% limit)" in message
    assert "employee008@example.com" in message and "Nothing was written" in message
    assert scim.writes() == writes and all(u["active"] for u in scim.users().values())
    forced = run(write_csv(tmp_path, rows[:8]), allow_mass_removal=True)
    assert forced["applied"]["deactivated"] == 12


def test_dry_run_returns_the_plan_and_writes_nothing(scim: Scim, tmp_path: Path) -> None:
    rows = staff(3, groups="Ops")
    result = run(write_csv(tmp_path, rows), dry_run=True)
    assert result["dry_run"] is True and result["applied"] is None
    assert result["plan"]["create_users"] == [r["email"] for r in rows]
    assert result["plan"]["create_groups"] == ["Ops"] and result["plan"]["member_adds"] == {
        "Ops": [r["email"] for r in rows]
    }
    assert scim.writes() == {} and scim.users() == {}


def test_bad_rows_are_reported_and_skipped_and_nobody_is_lost(scim: Scim, tmp_path: Path) -> None:
    rows = staff(6)
    run(write_csv(tmp_path, rows))
    bad = [
        *rows[:4],
        employee(4, family_name="One"),
        employee(4, family_name="Other"),  # the same email twice
        employee(5, email="employee005(at)example.com"),  # employee 5's email mistyped
        employee(7, email="not an email"),
        employee(8, active="maybe"),
    ]
    memberships = pd.DataFrame({"group": ["Ops", "Ops"], "email": ["employee000@example.com", "stranger@example.com"]})
    result = run(write_csv(tmp_path, bad), memberships_source=memberships, max_removal_percent=50)
    rejected = {(r["kind"], r["email"]): r["reason"] for r in result["plan"]["rejected"]}
    assert "duplicate email (rows 5, 6)" in rejected[("user", "employee004@example.com")]
    assert "is not an email" in rejected[("user", "not an email")]
    assert "neither true nor false" in rejected[("user", "employee008@example.com")]
    assert "unknown member" in rejected[("membership", "stranger@example.com")]
    # employee004 (duplicated) keeps their account untouched; employee005 is absent under its real email
    # and is deactivated like any leaver, which the report shows.
    users = scim.users()
    assert (
        users["employee004@example.com"]["active"] is True
        and users["employee004@example.com"]["name"]["familyName"] == "Family4"
    )
    assert result["plan"]["deactivate_users"] == ["employee005@example.com"]
    assert scim.member_emails("Ops") == {"employee000@example.com"}


def test_a_revoked_token_fails_clearly(scim: Scim, tmp_path: Path) -> None:
    source = write_csv(tmp_path, staff(2))
    scim.new_token()  # someone generated a new token in 360Learning
    with pytest.raises(ThreeSixtyLearningScimAuthenticationError, match=r"HTTP 401.*one active SCIM token per IdP"):
        run(source)
    assert scim.writes() == {}


def test_reads_a_parquet_source(scim: Scim, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pd.DataFrame(staff(2)).to_parquet(tmp_path / "hr.parquet")
    assert run(str(tmp_path / "hr.parquet"))["applied"]["created"] == 2


def test_reads_a_sql_source_on_any_common_sql_connection(
    scim: Scim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "hr.db"
    with sqlite3.connect(database) as conn:
        pd.DataFrame(staff(3)).to_sql("employees", conn, index=False)
    monkeypatch.setenv("AIRFLOW_CONN_HR_DB", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    operator = ThreeSixtyLearningScimProvisioningOperator(
        task_id="sql", users_sql="SELECT * FROM employees", source_conn_id="hr_db"
    )
    assert operator.execute({})["applied"]["created"] == 3  # type: ignore[arg-type]
