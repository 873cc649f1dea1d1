"""Provision 360Learning users and groups over SCIM from an HR source (DataFrame, CSV/Parquet, or SQL)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError
from airflow_provider_360learning.flags import parse_flag
from airflow_provider_360learning.scim.custom_fields import OnMissing, check_mapping, list_user_custom_fields
from airflow_provider_360learning.scim.diff import NAME_PATHS, plan, safety_verdict, update_verdict
from airflow_provider_360learning.scim.source import (
    DEFAULT_ATTRIBUTE_COLUMNS,
    DesiredState,
    Source,
    desired_state,
    read_table,
)

if TYPE_CHECKING:  # the hook and the applier (scim2-client, scim2-models) are imported when the task runs
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook

DEFAULT_SCIM_CONN_ID = "360learning_scim_default"
"""``ThreeSixtyLearningScimHook.default_conn_name``, spelt out so that parsing a DAG does not import the hook."""

DEFAULT_STATE_CONN_ID = "360learning_warehouse"
"""Where the ownership state goes; when this connection is not defined, the embedded default warehouse."""

LOGGED_PER_KIND = 20


class ThreeSixtyLearningScimSafetyLimitError(ThreeSixtyLearningError):
    """The plan would remove or update more users than a safety limit allows; nothing was written."""


def flag(name: str, value: object) -> bool:
    """A yes/no parameter: a bool, or the string 'true' or 'false' (any case, templated values are strings).
    Anything else, 'on', 'yes', 't', 1 or 0 included, is refused: an ambiguous dry_run must not write."""
    parsed = parse_flag(value)
    if parsed is None:
        raise ValueError(f"{name}={value!r} is not a boolean: give True or False, or the string 'true' or 'false'")
    return parsed


FLAGS = ("plan_only", "allow_mass_removal", "allow_mass_update", "hard_delete", "recreate_on_email_change")
FLAG_NAMES = {"plan_only": "dry_run"}


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
    :param dry_run: compute, log and return the plan without writing anything (templated). A bool or the
        string 'true'/'false' (any case); any other value ('on', 'yes', 1...) raises a ``ValueError``, as do
        the other flags.
    :param max_removal_percent: refuse to deactivate or delete more than this share of the active users
        in one run (a truncated export must not lock half the company out) (templated).
    :param allow_mass_removal: apply even above ``max_removal_percent`` (templated).
    :param max_update_percent: refuse to change the attributes of more than this share of the active users
        in one run (swapped or shifted columns change nearly everyone) (templated).
    :param allow_mass_update: apply even above ``max_update_percent`` (templated).
    :param hard_delete: delete users missing from the source instead of deactivating them (only those this
        provisioning created or that carry an ``externalId``, as for deactivations) (templated).
    :param recreate_on_email_change: when a user's HR email changed (same employee number), create a new
        account with the new email and deactivate the old one, splitting the learner's history. Default
        False: the account is kept, and the change is reported for an admin to make by hand (templated).
    :param state_conn_id: SQL connection of the ownership state (what this provisioning created and added);
        when it is not defined, the embedded default warehouse (templated).
    :param custom_fields_conn_id: 360Learning core API connection for the custom-field check; None skips
        that check (the extension-schema check always runs) (templated).
    :param custom_fields: SCIM path -> 360Learning user custom-field name, added to the defaults.
    :param missing_custom_fields: ``fail`` (default): a missing custom field fails the run before any write;
        ``skip``: its values are left out of the run and reported (templated).
    :param attribute_columns: extra source column -> SCIM attribute path mappings.
    :param hook_params: extra keyword arguments of :class:`ThreeSixtyLearningScimHook`.
    :return: the report: ``dry_run``, ``plan`` (counts and lists, email changes, identity conflicts,
        absent users left alone), ``applied`` counts, ``errors``, ``skipped_custom_fields``,
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
        "max_update_percent",
        "allow_mass_update",
        "hard_delete",
        "recreate_on_email_change",
        "state_conn_id",
        "custom_fields_conn_id",
        "missing_custom_fields",
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
        max_update_percent: float | str = 30.0,
        allow_mass_update: bool | str = False,
        hard_delete: bool | str = False,
        recreate_on_email_change: bool | str = False,
        state_conn_id: str = DEFAULT_STATE_CONN_ID,
        custom_fields_conn_id: str | None = None,
        custom_fields: Mapping[str, str] | None = None,
        missing_custom_fields: OnMissing | str = "fail",
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
        self.max_update_percent = max_update_percent
        self.allow_mass_update = allow_mass_update
        self.hard_delete = hard_delete
        self.recreate_on_email_change = recreate_on_email_change
        self.state_conn_id = state_conn_id
        self.custom_fields_conn_id = custom_fields_conn_id
        self.custom_fields = dict(custom_fields or {})
        self.missing_custom_fields = missing_custom_fields
        self.attribute_columns = dict(attribute_columns or {})
        self.hook_params = dict(hook_params or {})
        for attribute in FLAGS:  # a value given as such is checked now; a template once rendered
            value = getattr(self, attribute)
            if not (isinstance(value, str) and "{{" in value):
                flag(FLAG_NAMES.get(attribute, attribute), value)

    def flags(self) -> dict[str, bool]:
        """The rendered yes/no parameters, each checked by :func:`flag`."""
        return {a: flag(FLAG_NAMES.get(a, a), getattr(self, a)) for a in FLAGS}

    @cached_property
    def hook(self) -> ThreeSixtyLearningScimHook:
        from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook

        return ThreeSixtyLearningScimHook(self.scim_conn_id, **self.hook_params)

    @property
    def managed_paths(self) -> list[str]:
        return sorted({*NAME_PATHS.values(), *DEFAULT_ATTRIBUTE_COLUMNS.values(), *self.attribute_columns.values()})

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_360learning.scim.apply import ScimApplier, announced_schemas, read_current
        from airflow_provider_360learning.scim.ownership import OwnershipState

        started = time.monotonic()
        flags = self.flags()
        if self.missing_custom_fields not in ("fail", "skip"):
            raise ValueError(f"missing_custom_fields={self.missing_custom_fields!r}: give 'fail' or 'skip'")
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
            skipped = self._check_mapping(desired, announced_schemas(hook))
            desired = desired.without_paths(skipped)
            paths = [p for p in self.managed_paths if p not in skipped]
            ownership = OwnershipState(self.state_conn_id or DEFAULT_STATE_CONN_ID, hook.settings.base_url)
            owned = ownership.load()
            current_users, current_groups = read_current(hook, desired, paths)
            the_plan = plan(
                desired,
                current_users,
                current_groups,
                managed_paths=paths,
                hard_delete=flags["hard_delete"],
                owned=owned,
                recreate_on_email_change=flags["recreate_on_email_change"],
            )
            planned = the_plan.as_dict()
            self._log_plan(planned)
            report: dict[str, Any] = {
                "dry_run": flags["plan_only"],
                "plan": planned,
                "applied": None,
                "errors": [],
                "skipped_custom_fields": skipped,
            }
            removal = safety_verdict(planned, float(self.max_removal_percent))
            update = update_verdict(planned, float(self.max_update_percent))
            if flags["plan_only"]:
                report["safety_limit"], report["update_limit"] = removal, update
                self.log.info("Dry run: nothing written%s", "".join(f". {v}" for v in (removal, update) if v))
            elif removal and not flags["allow_mass_removal"]:
                raise ThreeSixtyLearningScimSafetyLimitError(removal)
            elif update and not flags["allow_mass_update"]:
                raise ThreeSixtyLearningScimSafetyLimitError(update)
            else:
                applier = ScimApplier(hook, desired, current_groups, paths)
                try:
                    result = applier.apply(the_plan)
                finally:  # what succeeded is recorded even when a revoked token stops the run
                    ownership.record(applier.changes, str(context.get("run_id") or f"scim-{time.time_ns()}"))
                report["applied"] = result.counts()
                report["errors"] = result.errors
                self.log.info("Applied: %s", result.counts())
            report["requests"] = hook.request_count
            report["duration_s"] = round(time.monotonic() - started, 3)
            return report
        finally:
            hook.close()

    def _check_mapping(self, desired: DesiredState, announced: list[str]) -> dict[str, str]:
        """The preflight's mapping check (``scim.custom_fields``): the paths to leave out, or an error."""
        existing = None
        if self.custom_fields_conn_id:
            existing = list_user_custom_fields(self.custom_fields_conn_id)
        else:
            self.log.info("No custom_fields_conn_id: the custom fields are not checked against 360Learning")
        skipped = check_mapping(
            desired.written_paths(),
            announced_schemas=announced,
            existing_fields=existing,
            custom_fields=self.custom_fields,
            on_missing="skip" if self.missing_custom_fields == "skip" else "fail",
        )
        for path, name in skipped.items():
            self.log.warning("Skipped %s: 360Learning has no user custom field %r, its values are not sent", path, name)
        return skipped

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
        for change in planned["email_changes"]:
            self.log.warning(
                "Email change of employee %s (user %s): %s -> %s; %s",
                change["external_id"],
                change["user_id"],
                change["old_email"],
                change["new_email"],
                change["action"],
            )
        for conflict in planned["identity_conflicts"]:
            self.log.warning(
                "Left untouched: %s (%s): %s", conflict["email"], conflict["external_id"], conflict["reason"]
            )
        if planned["unmanaged_absent"]:
            self.log.warning(
                "%d active SCIM users are absent from the source but were not created by this provisioning and "
                "carry no externalId: left as they are (%s)",
                planned["counts"]["unmanaged_absent"],
                ", ".join(planned["unmanaged_absent"][:LOGGED_PER_KIND]),
            )


def _absent(source: Source) -> bool:
    return source is None or (isinstance(source, str) and not source.strip())
