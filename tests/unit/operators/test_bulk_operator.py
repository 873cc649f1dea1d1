"""The Bulk API operator against the emulator: chunking at each operation's documented limit, a deferred
wait that completes in the triggerer, a retried task that resumes instead of resubmitting, and per-object
failures reported while the good objects stand. Every exchange is contract-checked by the fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.exceptions import ThreeSixtyLearningBulkError, ThreeSixtyLearningParameterError
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.bulk import STATE_KEY, ThreeSixtyLearningBulkOperator
from airflow_provider_360learning.operators.bulk_actions import AddUsersToGroupsOperator, ImportExternalCoursesOperator
from airflow_provider_360learning.utils.bulk import input_limit
from tests.conftest import CONN_ENV, connection_json
from tests.unit.dag_runs import run_dag

DOCUMENTED_LIMITS = {
    "add_contents_to_groups_catalog": 20_000, "remove_contents_from_groups_catalog": 20_000,
    "add_contents_to_groups_library": 20_000, "remove_contents_from_groups_library": 20_000,
    "add_users_to_groups": 20_000, "remove_users_from_groups": 20_000, "create_subscription_events": 20_000,
    "delete_groups": 2_000, "archive_external_courses": 1_000,
}  # fmt: skip


def external_course(i: int, **changes: Any) -> dict[str, Any]:
    return {"defaultLang": "en", "externalId": f"EXT-{i}", "launchUrl": f"https://learn.example.com/{i}",
            "name": f"External course {i}", "sources": [{"name": "edX"}], "subjects": ["Data"], **changes}  # fmt: skip


def submissions(emulator: Any, action: str) -> int:
    return int(emulator.state.stats()["requests"].get(action, 0))


@pytest.fixture
def fast_bulk(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An emulator whose bulk operations complete at the first read."""
    server = emulator_factory(bulk_seconds_per_state=0)
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    return server


def test_every_submission_uses_the_limit_its_schema_documents() -> None:
    for name, action in ACTIONS.items():
        if action.api != "bulk" or action.method == "GET":
            continue
        doc = action.document.contents
        schema = deref(doc, resolve(doc, action.body_schema_pointer))
        documented = deref(doc, schema["properties"]["input"])["maxItems"]
        assert input_limit(name) == documented == DOCUMENTED_LIMITS.get(name, 10_000), name


def test_20001_memberships_take_2_requests(fast_bulk: Any) -> None:
    hook = ThreeSixtyLearningHook()
    users = [u["_id"] for u in hook.iter_action("list_users") if u["status"] != "deleted"]
    groups = [g["_id"] for g in hook.iter_action("list_groups")]
    pairs = [(u, g) for g in groups for u in users]
    items = [{"userId": u, "groupId": g, "role": "learner"} for u, g in (pairs * 11)[:20_001]]
    report = AddUsersToGroupsOperator(task_id="members", items=items).execute({})  # type: ignore[arg-type]
    assert submissions(fast_bulk, "add_users_to_groups") == 2
    assert len(report["operations"]) == 2 and report["succeeded"] + report["failed"] == 20_001


def test_25000_external_courses_take_3_requests_and_become_courses(fast_bulk: Any) -> None:
    hook = ThreeSixtyLearningHook()
    integration = next(hook.iter_action("get_integrations"))["_id"]
    op = ImportExternalCoursesOperator(task_id="courses", integrationId=integration,
                                       items=(external_course(i) for i in range(25_000)))  # fmt: skip
    report = op.execute({})  # type: ignore[arg-type]
    assert submissions(fast_bulk, "import_external_courses") == 3
    assert report == {**report, "succeeded": 25_000, "failed": 0}
    course = hook.call_action("get_external_course", integrationId=integration, externalId="EXT-24999")
    assert course["name"] == "External course 24999"


def test_a_bad_object_fails_the_task_and_the_good_ones_stand(fast_bulk: Any, tmp_path: Any) -> None:
    hook = ThreeSixtyLearningHook()
    integration = next(hook.iter_action("get_integrations"))["_id"]
    items = [external_course(1), external_course(2, authorId="aaaaaaaaaaaaaaaaaaaaaaaa"), external_course(3)]
    op = ImportExternalCoursesOperator(task_id="courses", integrationId=integration, items=items,
                                       failures_path=str(tmp_path / "failures.jsonl"))  # fmt: skip
    with pytest.raises(ThreeSixtyLearningBulkError, match=r"1 object\(s\) failed.*2 succeeded and stand") as failure:
        op.execute({})  # type: ignore[arg-type]
    assert "aaaaaaaaaaaaaaaaaaaaaaaa" in str(failure.value) and "EXT-2" in str(failure.value)
    assert failure.value.report["failures"][0]["input"]["externalId"] == "EXT-2"
    assert (tmp_path / "failures.jsonl").read_text().count("\n") == 1
    for kept in ("EXT-1", "EXT-3"):
        assert hook.call_action("get_external_course", integrationId=integration, externalId=kept)["name"]


def test_every_object_is_checked_before_the_first_request(fast_bulk: Any) -> None:
    items = [external_course(i) for i in range(10_001)] + [external_course(10_001, launchUrl="")]
    op = ImportExternalCoursesOperator(task_id="courses", integrationId="507f1f77bcf86cd799439011", items=items)
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"\['input'\]\[1\]\['launchUrl'\]"):
        op.execute({})  # type: ignore[arg-type]
    assert submissions(fast_bulk, "import_external_courses") == 0
    with pytest.raises(ThreeSixtyLearningParameterError, match="chunk_size"):
        ThreeSixtyLearningBulkOperator(task_id="t", action="archive_external_courses", items=[], chunk_size=1_001,
                                       parameters={"integrationId": "507f1f77bcf86cd799439011"}).execute({})  # type: ignore[arg-type]


def test_a_deferred_wait_completes_in_the_trigger(dag_of: Any, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = emulator_factory(bulk_seconds_per_state=1.0)  # pending, queued, running: about 3 s
    monkeypatch.setenv(CONN_ENV, connection_json(slow.url))
    integration = next(ThreeSixtyLearningHook().iter_action("get_integrations"))["_id"]
    seen: dict[str, int] = {}

    def status_reads() -> int:
        return submissions(slow, "get_bulk_operation")

    class ObservedImport(ImportExternalCoursesOperator):
        def defer(self, **kwargs: Any) -> Any:
            seen["reads_before_deferral"] = status_reads()
            return super().defer(**kwargs)

        def execute_complete(self, context: Any, event: dict[str, Any], operation_ids: list[str] | None = None) -> Any:
            seen["reads_when_resumed"] = status_reads()
            return super().execute_complete(context, event, operation_ids)

    def build() -> None:
        ObservedImport(task_id="courses", integrationId=integration, items=[external_course(i) for i in range(50)],
                       deferrable=True, poll_interval=0.5)  # fmt: skip

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["courses"]["succeeded"] == 50
    # The worker checked once and deferred; the trigger polled until the end; the worker then read the report.
    assert seen["reads_before_deferral"] == 1
    assert seen["reads_when_resumed"] >= 3
    assert status_reads() == seen["reads_when_resumed"] + 1


def test_a_retried_task_resumes_waiting_instead_of_resubmitting(dag_of: Any, emulator_factory: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    slow = emulator_factory(bulk_seconds_per_state=0.5)
    monkeypatch.setenv(CONN_ENV, connection_json(slow.url))
    integration = next(ThreeSixtyLearningHook().iter_action("get_integrations"))["_id"]
    stored: list[Any] = []

    class DiesWhileWaiting(ImportExternalCoursesOperator):
        """Its first try dies after submitting (a worker lost mid-wait); the retry must not submit again."""

        def _wait(self, context: Any, operation_ids: list[str]) -> Any:
            stored.append(context["task_state_store"].get(STATE_KEY))
            if context["ti"].try_number == 1:
                raise RuntimeError("worker lost while waiting")
            return super()._wait(context, operation_ids)

    def build() -> None:
        DiesWhileWaiting(task_id="courses", integrationId=integration, chunk_size=30, retries=1, retry_delay=0,
                         items=[external_course(i) for i in range(70)], poll_interval=0.2)  # fmt: skip

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert submissions(slow, "import_external_courses") == 3  # 30 + 30 + 10, once each
    assert len(stored) == 2 and stored[0] == stored[1] and len(stored[0]) == 3
    assert result.xcom["courses"]["succeeded"] == 70
