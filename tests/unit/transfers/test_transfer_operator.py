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
    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t", action=action, table="x", destination_conn_id="nope", mode=mode
    )
    with pytest.raises(ThreeSixtyLearningParameterError, match=message):
        operator.execute({"ti": None, "run_id": "r"})  # type: ignore[arg-type]


def test_undefined_destination_without_fallback_fails_with_the_connection_id() -> None:
    from airflow.sdk.exceptions import AirflowNotFoundException

    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t", action="list_users", table="x", destination_conn_id="missing_wh"
    )
    with pytest.raises(AirflowNotFoundException, match="missing_wh"):
        _ = operator.destination_hook


def test_lineage_names_the_endpoint_and_the_table(emulator: Any, connection: str, tmp_path: Any) -> None:
    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t",
        action="get_path_stats",
        table="learning360_path_stats",
        destination_conn_id="undefined_wh",
        embedded_default_path=str(tmp_path / "wh.db"),
    )
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [(emulator.url, "/api/v2/paths/stats")]
    assert [d.name for d in lineage.outputs] == ["learning360_path_stats"]
    assert lineage.outputs[0].namespace.startswith("duckdb")


def _execute(operator: ThreeSixtyLearningToSqlOperator, try_number: int = 1) -> dict[str, Any]:
    from types import SimpleNamespace

    return operator.execute({"ti": SimpleNamespace(try_number=try_number), "run_id": "manual__kill_test"})  # type: ignore[arg-type]


def test_a_task_that_dies_midway_and_is_retried_leaves_no_partial_or_duplicate_rows(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from airflow_provider_360learning.transfers.embedded import embedded_hook
    from tests.conftest import CONN_ENV, connection_json

    flaky = emulator_factory(fault_rate=1.0, fault_kinds=("drop",))
    monkeypatch.setenv(CONN_ENV, connection_json(flaky.url))
    database = str(tmp_path / "wh.db")

    def operator(**kwargs: Any) -> ThreeSixtyLearningToSqlOperator:
        return ThreeSixtyLearningToSqlOperator(
            task_id="t",
            action="list_courses_statistics",
            table="stats",
            destination_conn_id="undefined",
            embedded_default_path=database,
            mode="full",
            **kwargs,
        )

    # First try: two pages go through, then every request drops its connection and retries run out.
    flaky.state.update_config(fault_rate=0.0)
    # One page per transaction, so that a partial load can exist at all.
    first = operator(hook_params={"max_retries": 0, "requests_per_second": 0}, rows_per_transaction=500)
    pages = first.hook.iter_page_bodies
    calls = {"n": 0}

    def failing_after_two(*args: Any, **kwargs: Any) -> Any:
        for page in pages(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                flaky.state.update_config(fault_rate=1.0)
            yield page

    monkeypatch.setattr(first.hook, "iter_page_bodies", failing_after_two)
    with pytest.raises(Exception, match=r"could not reach|HTTP 5"):
        _execute(first, try_number=1)
    hook = embedded_hook(database)
    partial = hook.get_first("SELECT COUNT(*) FROM stats")[0]
    # Whole pages only (how many of the two fetched pages were committed before the abort is a race).
    assert partial in (0, 500, 1000)
    recorded = hook.get_first("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = '_360learning_loads'")[0]
    assert not recorded or hook.get_first("SELECT COUNT(*) FROM _360learning_loads")[0] == 0  # no watermark moved

    # The retry reloads everything: the same rows as a clean load, no duplicates.
    flaky.state.update_config(fault_rate=0.0)
    result = _execute(operator(hook_params={"requests_per_second": 0}), try_number=2)
    assert result["rows"] == 1250
    assert hook.get_first("SELECT COUNT(*), COUNT(DISTINCT id) FROM stats") == (1250, 1250)


def test_on_kill_stops_between_pages(emulator: Any, connection: str, tmp_path: Any) -> None:
    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t",
        action="list_courses_statistics",
        table="stats",
        destination_conn_id="undefined",
        embedded_default_path=str(tmp_path / "wh.db"),
    )
    operator.on_kill()
    with pytest.raises(Exception, match="stopped"):
        _execute(operator)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"allow_mass_delete": "yes"}, "parameter 'allow_mass_delete' must be true or false, got 'yes'"),
        ({"allow_mass_delete": 1}, "parameter 'allow_mass_delete' must be true or false, got 1"),
        ({"max_delete_share": 1.5}, "parameter 'max_delete_share' must be a share between 0 and 1, got 1.5"),
        ({"max_delete_share": "lots"}, "parameter 'max_delete_share' must be a share between 0 and 1, got 'lots'"),
    ],
)
def test_sweep_guards_take_only_clear_values(changes: dict[str, Any], message: str) -> None:
    operator = ThreeSixtyLearningToSqlOperator(
        task_id="t", action="list_users", table="x", destination_conn_id="nope", mode="full", **changes
    )
    with pytest.raises(ThreeSixtyLearningParameterError, match=message):
        operator.execute({"ti": None, "run_id": "r"})  # type: ignore[arg-type]
