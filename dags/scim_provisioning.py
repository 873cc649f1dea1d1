"""Daily: provision 360Learning users and groups over SCIM from an HR export.

``plan`` checks the attribute mapping (the SCIM server announces each extension schema, 360Learning has each
user custom field: ``conn_id``), reads the HR export, the SCIM server's current state and the provisioning's
ownership state, and computes the changes (a dry run of the provisioning operator); ``check_safety_limit``
refuses a plan that would deactivate more than ``max_removal_percent`` of the active users (a truncated export
must not lock half the company out) unless ``allow_mass_removal`` is set, or update more than
``max_update_percent`` (swapped columns) unless ``allow_mass_update`` is set; ``apply`` recomputes the plan
against the state of that moment and applies it (with the same limits); ``report`` returns what was created,
updated, deactivated, the group changes, the email changes an admin must make by hand and the errors, and
appends them to a table of ``warehouse_conn_id``.

Users are matched on the HR employee number (SCIM ``externalId``), then on email; emails are never changed over
SCIM. Only memberships this DAG added are removed, and only accounts it created or that carry an ``externalId``
are deactivated: its ownership state is a table of ``warehouse_conn_id`` (the embedded default warehouse when
that connection is not defined). docs/scim-provisioning.md states each rule.

With no configuration it provisions the sample export ``dags/data/hr_employees.csv`` into the emulator's
SCIM server, when ``360learning_scim_default`` points at it (``make demo`` does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_360learning.operators.scim_provisioning import ThreeSixtyLearningScimProvisioningOperator
from airflow_provider_360learning.scim.diff import safety_verdict, update_verdict

SAMPLE_EXPORT = str(Path(__file__).parent / "data" / "hr_employees.csv")
REPORT_TABLE = "learning360_scim_provisioning_runs"
REPORT_COLUMNS = (
    "run_id",
    "finished_at",
    "dry_run",
    "created",
    "updated",
    "reactivated",
    "deactivated",
    "deleted",
    "groups_created",
    "members_added",
    "members_removed",
    "rejected",
    "errors",
    "requests",
    "details",
)

APPLIED_COUNTS = (
    "created",
    "updated",
    "reactivated",
    "deactivated",
    "deleted",
    "groups_created",
    "members_added",
    "members_removed",
)

OPERATOR_ARGS: dict[str, Any] = {
    "users_source": "{{ params.users_source }}",
    "memberships_source": "{{ params.memberships_source or '' }}",
    "scim_conn_id": "{{ params.scim_conn_id }}",
    "max_removal_percent": "{{ params.max_removal_percent }}",
    "allow_mass_removal": "{{ params.allow_mass_removal }}",
    "max_update_percent": "{{ params.max_update_percent }}",
    "allow_mass_update": "{{ params.allow_mass_update }}",
    "recreate_on_email_change": "{{ params.recreate_on_email_change }}",
    "missing_custom_fields": "{{ params.missing_custom_fields }}",
    "custom_fields_conn_id": "{{ params.conn_id }}",
    "state_conn_id": "{{ params.warehouse_conn_id }}",
}


def share_limit(kind: str, default: float, doing: str) -> dict[str, Param]:
    """``max_<kind>_percent`` and its override ``allow_mass_<kind>``."""
    return {
        f"max_{kind}_percent": Param(
            default,
            type="number",
            minimum=0,
            maximum=100,
            description=f"largest share of active users one run may {doing}",
        ),
        f"allow_mass_{kind}": Param(False, type="boolean", description=f"override the {kind} limit"),
    }


@dag(
    dag_id="360learning_scim_provisioning",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["360learning", "example", "scim"],
    doc_md=__doc__,
    params={
        "users_source": Param(SAMPLE_EXPORT, type="string", description="HR export: .csv or .parquet path"),
        "memberships_source": Param("", type="string", description="optional group,email file"),
        "scim_conn_id": Param("360learning_scim_default", type="string"),
        "dry_run": Param(False, type="boolean", description="plan and report, write nothing"),
        **share_limit("removal", 10.0, "deactivate"),
        **share_limit("update", 30.0, "update (swapped columns change everyone)"),
        "recreate_on_email_change": Param(
            False,
            type="boolean",
            description="on an HR email change, create a new account and deactivate the old one "
            "(splits the learner's history); default: keep the account and report the change",
        ),
        "conn_id": Param(
            "360learning_default",
            type="string",
            description="360Learning API connection for the custom-field check; empty: not checked",
        ),
        "missing_custom_fields": Param(
            "fail", enum=["fail", "skip"], description="a mapped custom field missing in 360Learning: fail or skip it"
        ),
        "warehouse_conn_id": Param(
            "360learning_warehouse",
            type="string",
            description="SQL connection of the ownership state and the report table; undefined: embedded default",
        ),
    },
)
def scim_provisioning() -> None:
    plan = ThreeSixtyLearningScimProvisioningOperator(task_id="plan", dry_run=True, **OPERATOR_ARGS)

    @task
    def check_safety_limit(planned: dict[str, Any]) -> dict[str, Any]:
        """Fail before anything is written when the plan removes or updates too many users."""
        params = get_current_context()["params"]
        removal = safety_verdict(planned["plan"], float(params["max_removal_percent"]))
        if removal and not params["allow_mass_removal"]:
            raise AirflowFailException(removal)
        update = update_verdict(planned["plan"], float(params["max_update_percent"]))
        if update and not params["allow_mass_update"]:
            raise AirflowFailException(update)
        return {"within_limit": removal is None and update is None, "counts": planned["plan"]["counts"]}

    apply = ThreeSixtyLearningScimProvisioningOperator(task_id="apply", dry_run="{{ params.dry_run }}", **OPERATOR_ARGS)

    @task
    def report(result: dict[str, Any]) -> dict[str, Any]:
        """The run's outcome as task output and, when a warehouse connection is given, as a table row."""
        context = get_current_context()
        applied = result["applied"] or {}
        counts = result["plan"]["counts"]
        summary = {
            "run_id": context["run_id"],
            "finished_at": pendulum.now("UTC").to_iso8601_string(),
            "dry_run": int(bool(result["dry_run"])),
            **{k: int(applied.get(k, 0)) for k in APPLIED_COUNTS},
            "rejected": counts["rejected"],
            "errors": len(result["errors"]),
            "requests": int(result.get("requests", 0)),
            "email_changes": result["plan"]["email_changes"],  # for an admin to make by hand in 360Learning
            "details": json.dumps(
                {
                    "errors": result["errors"],
                    "rejected": result["plan"]["rejected"],
                    "member_adds": result["plan"]["member_adds"],
                    "member_removes": result["plan"]["member_removes"],
                    "email_changes": result["plan"]["email_changes"],
                    "identity_conflicts": result["plan"]["identity_conflicts"],
                    "unmanaged_absent": result["plan"]["unmanaged_absent"],
                    "skipped_custom_fields": result.get("skipped_custom_fields", {}),
                }
            ),
        }
        print("SCIM provisioning report:", json.dumps({k: v for k, v in summary.items() if k != "details"}))
        conn_id = context["params"]["warehouse_conn_id"]
        if conn_id:
            from airflow_provider_360learning.transfers.sql_writer import embedded_warehouse_path
            from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

            hook = destination_hook(conn_id, embedded_warehouse_path())
            columns = ", ".join(
                f"{c} {'TEXT' if c in ('run_id', 'finished_at', 'details') else 'INTEGER'}" for c in REPORT_COLUMNS
            )
            hook.run(f"CREATE TABLE IF NOT EXISTS {REPORT_TABLE} ({columns})")
            hook.insert_rows(
                REPORT_TABLE, [tuple(summary[c] for c in REPORT_COLUMNS)], target_fields=list(REPORT_COLUMNS)
            )
        return summary

    checked = check_safety_limit(plan.output)
    applied = apply.output
    checked >> apply
    report(applied)


scim_provisioning()
