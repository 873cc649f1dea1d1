"""Provision 360Learning users and groups over SCIM from an HR source (DataFrame, CSV/Parquet, or SQL)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError
from airflow_provider_360learning.scim.diff import NAME_PATHS, plan, safety_verdict
from airflow_provider_360learning.scim.source import DEFAULT_ATTRIBUTE_COLUMNS, Source, desired_state, read_table

if TYPE_CHECKING:  # the hook and the applier (scim2-client, scim2-models) are imported when the task runs
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook

DEFAULT_SCIM_CONN_ID = "360learning_scim_default"
"""``ThreeSixtyLearningScimHook.default_conn_name``, spelt out so that parsing a DAG does not import the hook."""

LOGGED_PER_KIND = 20


class ThreeSixtyLearningScimSafetyLimitError(ThreeSixtyLearningError):
    """The plan would remove more users than the safety limit allows; nothing was written."""


class ThreeSixtyLearningScimProvisioningOperator(BaseOperator):
    """
    Bring 360Learning's SCIM-provisioned users and groups to the state an HR source describes.

    It reads the desired state (users: ``email``, ``given_name``, ``family_name``, ``active``, the
    attribute columns, an optional ``groups`` column; optional memberships table ``group``, ``email``),
    reads the current state over SCIM, computes the difference and applies it: creations, updates of the
    changed attributes, deactivations (``active=false``; ``hard_delete`` deletes instead) and explicit
    member adds and removes. Bad rows are skipped and reported, never guessed at.

    :param users_source: DataFrame, or path of a ``.csv``/``.parquet`` file (templated).
    :param users_sql: SQL query returning the users, run on ``source_conn_id`` (templated).
    :param memberships_source: optional DataFrame or file with ``group`` and ``email`` columns (templated).
    :param memberships_sql: optional SQL query returning the memberships (templated).
    :param source_conn_id: any common.sql connection, for the SQL sources (templated).
    :param scim_conn_id: connection of type ``360learning_scim`` (templated).
    :param dry_run: compute, log and return the plan without writing anything (templated).
    :param max_removal_percent: refuse to deactivate or delete more than this share of the active users
        in one run (a truncated export must not lock half the company out) (templated).
    :param allow_mass_removal: apply even above ``max_removal_percent`` (templated).
    :param hard_delete: delete users missing from the source instead of deactivating them.
    :param attribute_columns: extra source column -> SCIM attribute path mappings.
    :param hook_params: extra keyword arguments of :class:`ThreeSixtyLearningScimHook`.
    :return: the report: ``dry_run``, ``plan`` (counts and lists), ``applied`` counts, ``errors``,
        ``requests`` (SCIM HTTP requests sent) and ``duration_s``.
    """

    template_fields: Sequence[str] = (
        "users_source",
        "users_sql",
        "memberships_source",
        "memberships_sql",
        "source_conn_id",
        "scim_conn_id",
        "plan_only",
        "max_removal_percent",
        "allow_mass_removal",
    )

    def __init__(
        self,
        *,
        users_source: Source = None,
        users_sql: str | None = None,
        memberships_source: Source = None,
        memberships_sql: str | None = None,
        source_conn_id: str | None = None,
        scim_conn_id: str = DEFAULT_SCIM_CONN_ID,
        dry_run: bool | str = False,
        max_removal_percent: float | str = 10.0,
        allow_mass_removal: bool | str = False,
        hard_delete: bool = False,
        attribute_columns: Mapping[str, str] | None = None,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.users_source = users_source
        self.users_sql = users_sql
        self.memberships_source = memberships_source
        self.memberships_sql = memberships_sql
        self.source_conn_id = source_conn_id
        self.scim_conn_id = scim_conn_id
        self.plan_only = dry_run  # BaseOperator already has a dry_run() method
        self.max_removal_percent = max_removal_percent
        self.allow_mass_removal = allow_mass_removal
        self.hard_delete = hard_delete
        self.attribute_columns = dict(attribute_columns or {})
        self.hook_params = dict(hook_params or {})

    @cached_property
    def hook(self) -> ThreeSixtyLearningScimHook:
        from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook

        return ThreeSixtyLearningScimHook(self.scim_conn_id, **self.hook_params)

    @property
    def managed_paths(self) -> list[str]:
        return sorted({*NAME_PATHS.values(), *DEFAULT_ATTRIBUTE_COLUMNS.values(), *self.attribute_columns.values()})

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_360learning.scim.apply import ScimApplier, read_current

        started = time.monotonic()
        if _absent(self.users_source) and not self.users_sql:
            raise ValueError("give users_source (DataFrame, .csv or .parquet) or users_sql")
        users = read_table(self.users_source, sql=self.users_sql or None, conn_id=self.source_conn_id)
        memberships = None
        if not _absent(self.memberships_source) or self.memberships_sql:
            memberships = read_table(
                self.memberships_source, sql=self.memberships_sql or None, conn_id=self.source_conn_id
            )
        desired = desired_state(users, memberships, attribute_columns=self.attribute_columns)
        for rejected in desired.rejected:
            self.log.warning("Skipped %s row %s (%s): %s", rejected.kind, rejected.row, rejected.email, rejected.reason)
        hook = self.hook
        try:
            current_users, current_groups = read_current(hook, desired, self.managed_paths)
            the_plan = plan(
                desired, current_users, current_groups, managed_paths=self.managed_paths, hard_delete=self.hard_delete
            )
            planned = the_plan.as_dict()
            self._log_plan(planned)
            report: dict[str, Any] = {"dry_run": _true(self.plan_only), "plan": planned, "applied": None, "errors": []}
            verdict = safety_verdict(planned, float(self.max_removal_percent))
            if _true(self.plan_only):
                report["safety_limit"] = verdict
                self.log.info("Dry run: nothing written%s", f". {verdict}" if verdict else "")
            elif verdict and not _true(self.allow_mass_removal):
                raise ThreeSixtyLearningScimSafetyLimitError(verdict)
            else:
                result = ScimApplier(hook, desired, current_users, current_groups, self.managed_paths).apply(the_plan)
                report["applied"] = result.counts()
                report["errors"] = result.errors
                self.log.info("Applied: %s", result.counts())
            report["requests"] = hook.request_count
            report["duration_s"] = round(time.monotonic() - started, 3)
            return report
        finally:
            hook.close()

    def _log_plan(self, planned: Mapping[str, Any]) -> None:
        self.log.info("SCIM plan: %s", planned["counts"])
        for kind in ("create_users", "deactivate_users", "delete_users", "create_groups"):
            items = planned[kind]
            if items:
                more = f" (and {len(items) - LOGGED_PER_KIND} more)" if len(items) > LOGGED_PER_KIND else ""
                self.log.info("  %s: %s%s", kind, ", ".join(items[:LOGGED_PER_KIND]), more)
        for change in planned["update_users"][:LOGGED_PER_KIND]:
            self.log.info("  update %s: %s", change["email"], change["changes"])
        for kind in ("member_adds", "member_removes"):
            for group, emails in planned[kind].items():
                self.log.info("  %s %s: %s", kind, group, ", ".join(emails[:LOGGED_PER_KIND]))


def _absent(source: Source) -> bool:
    return source is None or (isinstance(source, str) and not source.strip())


def _true(value: bool | str) -> bool:
    """Templated flags arrive as strings ("True", "false")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
