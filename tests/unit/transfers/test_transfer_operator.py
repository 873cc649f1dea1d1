"""The transfer operator on its own: bad input named, lineage reported, embedded fallback."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import (
    ThreeSixtyLearningToSqlOperator,
    incremental_field_for,
)


def test_incremental_field_follows_the_filters_the_spec_offers() -> None:
    assert incremental_field_for(ACTIONS["list_courses_statistics"]) == "completedAt"
    assert incremental_field_for(ACTIONS["get_path_stats"]) == "completedAt"
    assert incremental_field_for(ACTIONS["list_courses"]) == "modifiedAt"
    assert incremental_field_for(ACTIONS["get_all_path_sessions"]) == "modifiedAt"
    assert incremental_field_for(ACTIONS["list_users"]) is None
    assert incremental_field_for(ACTIONS["list_groups"]) is None


@pytest.mark.parametrize(
    ("action", "mode", "message"),
    [
        ("list_userz", "full", "'list_userz' is not a 360Learning action"),
        ("get_user", "full", "'get_user' is not a list action"),
        ("list_users", "sometimes", "parameter 'mode' must be 'incremental' or 'full'"),
    ],
)
def test_bad_input_is_named_before_anything_runs(action: str, mode: str, message: str) -> None:
    operator = ThreeSixtyLearningToSqlOperator(task_id="t", action=action, table="x", destination_conn_id="nope", mode=mode)
    with pytest.raises(ThreeSixtyLearningParameterError, match=message):
        operator.execute({"ti": None, "run_id": "r"})  # type: ignore[arg-type]


def test_undefined_destination_without_fallback_fails_with_the_connection_id() -> None:
    from airflow.sdk.exceptions import AirflowNotFoundException

    operator = ThreeSixtyLearningToSqlOperator(task_id="t", action="list_users", table="x", destination_conn_id="missing_wh")
    with pytest.raises(AirflowNotFoundException, match="missing_wh"):
        _ = operator.destination_hook


def test_lineage_names_the_endpoint_and_the_table(emulator: Any, connection: str, tmp_path: Any) -> None:
    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t", action="get_path_stats", table="learning360_path_stats", destination_conn_id="undefined_wh",
        embedded_default_path=str(tmp_path / "wh.db"),
    )
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [(emulator.url, "/api/v2/paths/stats")]
    assert [d.name for d in lineage.outputs] == ["learning360_path_stats"]
    assert lineage.outputs[0].namespace.startswith("sqlite")
