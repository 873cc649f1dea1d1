"""The generic and named operators run by Airflow (``dag.test()``) against the emulator: XCom output,
JSON Lines output, templating from upstream XCom, the credentials check, bad input and ``on_kill``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError, ThreeSixtyLearningParameterError
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.generated.groups import GetGroupOperator, ListGroupsOperator
from airflow_provider_360learning.operators.generated.users import GetUserOperator, ListUsersOperator
from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator
from tests.unit.dag_runs import run_dag


def api_requests(emulator: Any) -> int:
    return sum(emulator.state.stats()["requests"].values())


def test_a_small_list_goes_to_xcom_and_feeds_a_templated_downstream_task(dag_of: Any, emulator: Any) -> None:
    def build() -> None:
        groups = ListGroupsOperator(task_id="groups")
        first = GetGroupOperator(task_id="first", groupId="{{ ti.xcom_pull(task_ids='groups')[0]['_id'] }}")
        groups >> first

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    expected = list(ThreeSixtyLearningHook().iter_action("list_groups"))
    assert result.xcom["groups"] == expected and len(expected) == 10
    assert result.xcom["first"]["_id"] == expected[0]["_id"]
    assert result.xcom["first"]["name"] == expected[0]["name"]


def test_a_list_larger_than_max_xcom_items_fails_and_says_to_use_output_path(dag_of: Any, emulator: Any) -> None:
    op = ListUsersOperator(task_id="users", max_xcom_items=50)
    with pytest.raises(
        ThreeSixtyLearningParameterError, match=r"'list_users': parameter 'output_path' is needed.*max_xcom_items=50"
    ):
        op.execute({})  # type: ignore[arg-type]
    result = run_dag(dag_of(lambda: ListUsersOperator(task_id="users", max_xcom_items=50)))
    assert result.states == {"users": "failed"} and "users" not in result.xcom


def test_output_path_streams_every_item_as_json_lines(dag_of: Any, emulator: Any, tmp_path: Path) -> None:
    target = tmp_path / "users-{{ ds }}.jsonl"
    result = run_dag(dag_of(lambda: ListUsersOperator(task_id="users", output_path=str(target), max_xcom_items=1)))
    assert result.succeeded, result.states
    out = result.xcom["users"]
    written = Path(out["path"].removeprefix("file://"))
    assert "{{" not in out["path"] and written.parent == tmp_path
    lines = [json.loads(line) for line in written.read_text().splitlines()]
    assert out["items"] == len(lines) == 200
    assert [u["_id"] for u in lines] == [u["_id"] for u in ThreeSixtyLearningHook().iter_action("list_users")]


def test_the_credentials_check_returns_the_lifetime_never_the_token(dag_of: Any, emulator: Any) -> None:
    from airflow_provider_360learning.operators.generated.authentication import GenerateTokenOperator

    result = run_dag(dag_of(lambda: GenerateTokenOperator(task_id="credentials")))
    assert result.succeeded, result.states
    assert result.xcom["credentials"]["expires_in"] == pytest.approx(3600, abs=5)
    blob = json.dumps(result.xcom)
    assert emulator.state.issued_token_values() and not any(t in blob for t in emulator.state.issued_token_values())
    with pytest.raises(ThreeSixtyLearningParameterError, match="'generate_token': parameter 'body' is not a parameter"):
        ThreeSixtyLearningOperator(task_id="t", action="generate_token", parameters={"body": {}}).execute({})  # type: ignore[arg-type]


BAD_INPUT = [
    # (kind, action, parameters, field named in the error)
    ("malformed ObjectId", "get_user", {"userId": "not-an-id"}, "userId"),
    ("missing required path parameter", "get_user", {}, "userId"),
    ("wrong type in a filter", "list_courses_statistics", {"completedAt": {"gte": "last tuesday"}}, "completedAt"),
    (
        "unknown bracket operator",
        "list_courses_statistics",
        {"completedAt": {"gt": "2025-01-01T00:00:00Z"}},
        "completedAt",
    ),
    ("missing required body", "replace_path_tags", {"pathId": "507f1f77bcf86cd799439011"}, "body"),
    (
        "body breaking the request schema",
        "replace_path_tags",
        {"pathId": "507f1f77bcf86cd799439011", "body": {"tagIds": "t"}},
        "body",
    ),
    ("wrong type in a body field", "create_user", {"body": {"mail": "a@example.com", "firstName": 42}}, "body"),
    (
        "malformed ObjectId in a body",
        "add_tokens",
        {"body": {"authorId": "x", "groupId": "y", "numberTokensBought": 1, "pathId": "z"}},
        "body",
    ),
    ("missing required body field", "create_user", {"body": {"firstName": "Ada"}}, "body"),
    ("undeclared body field", "create_user", {"body": {"fistName": "Ada", "membership": {}}}, "body.fistName"),
]


@pytest.mark.parametrize(("kind", "action", "parameters", "field"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_fails_before_any_request_naming_action_and_field(
    dag_of: Any, emulator: Any, kind: str, action: str, parameters: dict[str, Any], field: str
) -> None:
    op = ThreeSixtyLearningOperator(task_id="bad", action=action, parameters=parameters)
    with pytest.raises(
        ThreeSixtyLearningParameterError, match=rf"^360Learning action '{action}': parameter '{field}(\[\w+\])?' "
    ):
        op.execute({})  # type: ignore[arg-type]
    result = run_dag(dag_of(lambda: ThreeSixtyLearningOperator(task_id="bad", action=action, parameters=parameters)))
    assert result.states == {"bad": "failed"}
    assert api_requests(emulator) == 0 and emulator.state.stats()["token_requests"] == 0


def test_an_unknown_parameter_fails_when_the_dag_is_parsed() -> None:
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"'list_users': parameter 'body' is not a parameter"):
        ThreeSixtyLearningOperator(task_id="bad", action="list_users", parameters={"body": {"a": 1}})
    with pytest.raises(
        ThreeSixtyLearningParameterError, match=r"'list_users': parameter 'mail\[eq\]' is not a parameter"
    ):
        ListUsersOperator(task_id="bad", parameters={"mail[eq]": "a@example.com"})


def test_an_unknown_parameter_of_a_templated_action_fails_at_run_time_before_any_request(
    dag_of: Any, emulator: Any
) -> None:
    def make() -> ThreeSixtyLearningOperator:
        return ThreeSixtyLearningOperator(task_id="bad", action="{{ 'get_user' }}", parameters={"user_id": "x"})

    result = run_dag(dag_of(make))
    assert result.states == {"bad": "failed"} and api_requests(emulator) == 0
    op = make()
    op.action = "get_user"
    with pytest.raises(ThreeSixtyLearningParameterError, match="parameter 'user_id' is not a parameter of this action"):
        op.execute({})  # type: ignore[arg-type]


def test_a_file_result_needs_output_path_before_any_request(emulator: Any, connection: str) -> None:
    from airflow_provider_360learning.operators.generated.users import GetUserCertificateAsPdfOperator

    op = GetUserCertificateAsPdfOperator(
        task_id="pdf", userId="507f1f77bcf86cd799439011", certificateId="507f1f77bcf86cd799439012"
    )
    with pytest.raises(ThreeSixtyLearningParameterError, match="'output_path' is required: this action returns a file"):
        op.execute({})  # type: ignore[arg-type]
    assert api_requests(emulator) == 0


def test_on_kill_stops_a_list_between_pages(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import CONN_ENV, connection_json

    slow = emulator_factory(latency_ms=100)
    monkeypatch.setenv(CONN_ENV, connection_json(slow.url))
    # 1,250 course stats: 3 pages of 500, 100 ms each.
    op = ThreeSixtyLearningOperator(task_id="stats", action="list_courses_statistics", max_xcom_items=10**9)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            op.execute({})  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    while slow.state.stats()["requests"].get("list_courses_statistics", 0) < 1:
        worker.join(0.02)
    op.on_kill()
    worker.join(10)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ThreeSixtyLearningError)
    assert slow.state.stats()["requests"]["list_courses_statistics"] < 3


def test_get_user_by_named_operator_in_a_dag(dag_of: Any, emulator: Any) -> None:
    user = next(ThreeSixtyLearningHook().iter_action("list_users"))
    result = run_dag(dag_of(lambda: GetUserOperator(task_id="user", userId=user["_id"])))
    assert result.succeeded and result.xcom["user"]["mail"] == user["mail"]
