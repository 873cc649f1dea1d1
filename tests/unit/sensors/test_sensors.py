"""The sensors in poke mode and deferred to the triggerer, run by Airflow (``dag.test()``) against the emulator.

A deferred sensor first pokes once in the worker, then the trigger polls with the async hook: the tests
make the awaited thing happen while the sensor waits (a thread writes to the emulator after its first poll).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.sensors.three_sixty_learning import NewStatisticsSensor, PathSessionCompletionSensor
from tests.unit.dag_runs import AfterPolls, run_dag

FUTURE = "2099-01-01T00:00:00.000Z"


def session_with_completions(hook: ThreeSixtyLearningHook) -> tuple[str, str, float]:
    """A seeded session with some successful learners, and its share of successful learners."""
    for session in hook.iter_action("get_all_path_sessions"):
        metrics = hook.call_action("get_path_session_metrics", pathId=session["pathId"], sessionId=session["_id"])
        counts = metrics["usersCountByStatus"]
        total = sum(counts.values())
        if total and 0 < counts.get("successful", 0) < total:
            return session["pathId"], session["_id"], counts["successful"] / total
    raise AssertionError("no seeded session with some successful learners")


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_path_session_completion_sensor(dag_of: Any, emulator: Any, deferrable: bool) -> None:
    path_id, session_id, share = session_with_completions(ThreeSixtyLearningHook())
    tokens = emulator.state.stats()["token_requests"]

    def build() -> None:
        PathSessionCompletionSensor(
            task_id="reached",
            path_id=path_id,
            session_id=session_id,
            threshold=share,
            deferrable=deferrable,
            poke_interval=0.2,
            timeout=30,
        )

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    # Met at the first poke: a deferrable sensor does not defer when it need not (one hook, one token).
    assert emulator.state.stats()["token_requests"] - tokens == 1
    assert result.xcom["reached"]["share"] == pytest.approx(share)
    assert result.xcom["reached"]["completed"] == result.xcom["reached"]["usersCountByStatus"]["successful"]


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_path_session_completion_sensor_times_out_below_the_threshold(
    dag_of: Any, emulator: Any, deferrable: bool
) -> None:
    path_id, session_id, share = session_with_completions(ThreeSixtyLearningHook())

    def build() -> None:
        PathSessionCompletionSensor(
            task_id="reached",
            path_id=path_id,
            session_id=session_id,
            threshold=min(1.0, share + 0.01),
            deferrable=deferrable,
            poke_interval=0.2,
            timeout=1,
        )

    result = run_dag(dag_of(build))
    assert result.states == {"reached": "failed"}


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_new_statistics_sensor_wakes_when_a_statistic_is_completed(
    dag_of: Any, emulator: Any, deferrable: bool
) -> None:
    hook = ThreeSixtyLearningHook()
    template = next(hook.iter_action("list_courses_statistics"))
    row = {k: v for k, v in template.items() if k != "_id"}
    row.update(completedAt="2099-01-02T10:00:00.000Z", lastActivityAt="2099-01-02T10:00:00.000Z")
    before = emulator.state.stats()["requests"].get("list_courses_statistics", 0)
    tokens = emulator.state.stats()["token_requests"]

    def build() -> None:
        NewStatisticsSensor(task_id="fresh", since=FUTURE, deferrable=deferrable, poke_interval=0.3, timeout=60)

    with AfterPolls(emulator, "list_courses_statistics", lambda: emulator.state.add_row("course_stats", row)):
        result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["fresh"] == {"first_page_rows": 1, "since": FUTURE}
    polls = emulator.state.stats()["requests"]["list_courses_statistics"] - before
    assert polls >= 2  # it waited: at least one poll before the row existed and one after
    # Deferred: the worker's poke (sync hook) and the trigger's polls (async hook, its own token).
    assert emulator.state.stats()["token_requests"] - tokens == (2 if deferrable else 1)


def test_sensor_arguments_are_checked_when_the_dag_is_parsed() -> None:
    with pytest.raises(ThreeSixtyLearningParameterError, match="threshold"):
        PathSessionCompletionSensor(task_id="s", path_id="p", session_id="s", threshold=1.5)
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"list_users.*no completedAt filter"):
        NewStatisticsSensor(task_id="s", since=FUTURE, action="list_users")
