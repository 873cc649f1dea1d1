"""The example DAGs parse cleanly and run end to end against the emulator with ``dag.test()``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def dagbag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_example_dags_import_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert "360learning_fetch_demo" in dagbag.dag_ids


def test_example_dags_are_daily_or_asset_driven_tagged_and_do_not_catch_up(dagbag: Any) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert "360learning" in dag.tags, dag_id
        assert dag.catchup is False, dag_id
        asset_driven = (
            "360learning_reporting",
            "360learning_edx_learner_stats_sync",
            "360learning_events_to_warehouse",
        )
        if dag_id in asset_driven:  # after their producers, or on 360Learning events
            assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
        else:
            assert dag.timetable.expression in ("@daily", "0 0 * * *"), (dag_id, dag.timetable.expression)


def test_fetch_demo_runs_against_the_emulator(airflow_db: None, dagbag: Any, emulator: Any, connection: str) -> None:
    from airflow.utils.state import DagRunState

    dag = dagbag.get_dag("360learning_fetch_demo")
    run = dag.test(run_conf={"completed_since": "2025-06-01T00:00:00Z"})
    assert run.state == DagRunState.SUCCESS
    requests = emulator.state.stats()["requests"]
    for action in ("list_users", "list_courses_statistics", "get_path_stats", "list_path_session_user_stats"):
        assert requests.get(action, 0) >= 1, action
    assert emulator.state.stats()["token_requests"] == 3  # one per task: each task builds one hook
