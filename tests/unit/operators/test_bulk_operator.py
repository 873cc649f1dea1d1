"""The Bulk API operator against the emulator: chunking at each operation's documented limit, a deferred
wait that completes in the triggerer, a retried task that resumes instead of resubmitting, and per-object
failures reported while the good objects stand. Every exchange is contract-checked by the fixtures."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.bulk import input_limit
from airflow_provider_360learning.exceptions import ThreeSixtyLearningBulkError, ThreeSixtyLearningParameterError
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
from airflow_provider_360learning.operators.bulk import STATE_KEY, ThreeSixtyLearningBulkOperator
from airflow_provider_360learning.operators.generated.bulk_actions import (
    AddUsersToGroupsOperator,
    ImportExternalCoursesOperator,
)
from tests.conftest import CONN_ENV, connection_json
from tests.unit.dag_runs import run_dag

DOCUMENTED_LIMITS = {
    "add_contents_to_groups_catalog": 20_000,
    "remove_contents_from_groups_catalog": 20_000,
    "add_contents_to_groups_library": 20_000,
    "remove_contents_from_groups_library": 20_000,
    "add_users_to_groups": 20_000,
    "remove_users_from_groups": 20_000,
    "create_subscription_events": 20_000,
    "delete_groups": 2_000,
    "archive_external_courses": 1_000,
}


def external_course(i: int, **changes: Any) -> dict[str, Any]:
    return {
        "defaultLang": "en",
        "externalId": f"EXT-{i}",
        "launchUrl": f"https://learn.example.com/{i}",
        "name": f"External course {i}",
        "sources": [{"name": "edX"}],
        "subjects": ["Data"],
        **changes,
    }


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
    op = ImportExternalCoursesOperator(
        task_id="courses", integrationId=integration, items=(external_course(i) for i in range(25_000))
    )
    report = op.execute({})  # type: ignore[arg-type]
    assert submissions(fast_bulk, "import_external_courses") == 3
    assert report == {**report, "succeeded": 25_000, "failed": 0}
    course = hook.call_action("get_external_course", integrationId=integration, externalId="EXT-24999")
    assert course["name"] == "External course 24999"


def test_a_bad_object_fails_the_task_and_the_good_ones_stand(fast_bulk: Any, tmp_path: Any) -> None:
    hook = ThreeSixtyLearningHook()
    integration = next(hook.iter_action("get_integrations"))["_id"]
    items = [external_course(1), external_course(2, authorId="aaaaaaaaaaaaaaaaaaaaaaaa"), external_course(3)]
    op = ImportExternalCoursesOperator(
        task_id="courses", integrationId=integration, items=items, failures_path=str(tmp_path / "failures.jsonl")
    )
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
        ThreeSixtyLearningBulkOperator(
            task_id="t",
            action="archive_external_courses",
            items=[],
            chunk_size=1_001,
            parameters={"integrationId": "507f1f77bcf86cd799439011"},
        ).execute({})  # type: ignore[arg-type]


def test_a_deferred_wait_completes_in_the_trigger(
    dag_of: Any, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
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
        ObservedImport(
            task_id="courses",
            integrationId=integration,
            items=[external_course(i) for i in range(50)],
            deferrable=True,
            poll_interval=0.5,
        )

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["courses"]["succeeded"] == 50
    # The worker checked once and deferred; the trigger polled until the end; the worker then read the report.
    assert seen["reads_before_deferral"] == 1
    assert seen["reads_when_resumed"] >= 3
    assert status_reads() == seen["reads_when_resumed"] + 1


def test_a_retried_task_resumes_waiting_instead_of_resubmitting(
    dag_of: Any, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
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
        DiesWhileWaiting(
            task_id="courses",
            integrationId=integration,
            chunk_size=30,
            retries=1,
            retry_delay=0,
            items=[external_course(i) for i in range(70)],
            poll_interval=0.2,
        )

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert submissions(slow, "import_external_courses") == 3  # 30 + 30 + 10, once each
    assert len(stored) == 2 and stored[0] == stored[1] and len(stored[0]) == 3
    assert result.xcom["courses"]["succeeded"] == 70


# --- at most 3 unfinished bulk operations per company: a 4th submission waits for a slot -------------------------


def presubmit(hook: ThreeSixtyLearningHook, integration: str, count: int) -> list[str]:
    """Bulk operations submitted straight through the hook (another task of the company, say)."""
    return [
        hook.submit_bulk(
            "import_external_courses", integrationId=integration, body={"input": [external_course(900 + i)]}
        )
        for i in range(count)
    ]


def operation_times(emulator: Any) -> list[tuple[float, float]]:
    """``(created, end)`` of every operation the emulator holds, on its clock."""
    from airflow_provider_360learning.emulator.handlers.bulk.operations import _end, operations

    with emulator.state.lock:
        return sorted((op.created, _end(emulator.state, op)) for op in operations(emulator.state).values())


def most_unfinished_at_once(times: list[tuple[float, float]]) -> int:
    return max(sum(1 for created, end in times if created <= at < end) for at, _ in times)


@pytest.fixture
def slow_bulk(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """An emulator whose bulk operations end about 1.5 s after their submission; with 360Learning's documented
    rate limits (3 unfinished bulk operations, then 429) when the test is parametrised so."""
    mode = getattr(request, "param", "documented")
    server = emulator_factory(
        bulk_seconds_per_state=0.5, **({"rate_limit": "documented"} if mode == "documented" else {})
    )
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    server.integration = next(ThreeSixtyLearningHook().iter_action("get_integrations"))["_id"]
    return server


class ImportBesideThreeOthers(ImportExternalCoursesOperator):
    """Starts when 3 other bulk operations of the company were just submitted (and are unfinished)."""

    deferred: ClassVar[list[str]] = []

    def execute(self, context: Any) -> Any:
        presubmit(self.hook, self.parameters["integrationId"], 3)
        return super().execute(context)

    def defer(self, **kwargs: Any) -> Any:
        self.deferred.append(kwargs["trigger"].condition)
        return super().defer(**kwargs)


def check_the_4th_waited(emulator: Any) -> None:
    times = operation_times(emulator)
    assert len(times) == 4
    assert times[-1][0] >= min(end for _, end in times[:3]), "submitted before any of the 3 had ended"
    assert most_unfinished_at_once(times) <= 3
    # The slots were counted from the API, more than once (the first count found 3 unfinished).
    assert submissions(emulator, "get_bulk_operations") >= 6
    assert submissions(emulator, "import_external_courses") == 4  # no submission was sent twice
    assert emulator.state.stats()["traffic"]["limited"]["bulk_concurrency"] == 0  # not one 429, in either mode


@pytest.mark.parametrize("slow_bulk", ["documented", "default"], indirect=True)
def test_a_4th_submission_waits_for_a_slot_in_the_worker(slow_bulk: Any) -> None:
    op = ImportBesideThreeOthers(
        task_id="courses",
        integrationId=slow_bulk.integration,
        items=[external_course(i) for i in range(5)],
        poll_interval=0.2,
    )
    report = op.execute({})  # type: ignore[arg-type]
    assert report["succeeded"] == 5
    check_the_4th_waited(slow_bulk)


@pytest.mark.parametrize("slow_bulk", ["documented", "default"], indirect=True)
def test_a_4th_submission_waits_for_a_slot_in_the_triggerer(dag_of: Any, slow_bulk: Any) -> None:
    ImportBesideThreeOthers.deferred.clear()

    def build() -> None:
        ImportBesideThreeOthers(
            task_id="courses",
            integrationId=slow_bulk.integration,
            deferrable=True,
            items=[external_course(i) for i in range(5)],
            poll_interval=0.2,
        )

    result = run_dag(dag_of(build))
    assert result.succeeded, result.states
    assert result.xcom["courses"]["succeeded"] == 5
    # Deferred for a slot; then, once submitted, for the operation to finish.
    assert ImportBesideThreeOthers.deferred[0] == "bulk_slots_free"
    check_the_4th_waited(slow_bulk)


def test_chunks_wait_for_slots_one_by_one(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server = emulator_factory(bulk_seconds_per_state=0.3, rate_limit="documented")
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    integration = next(ThreeSixtyLearningHook().iter_action("get_integrations"))["_id"]
    op = ImportExternalCoursesOperator(
        task_id="courses",
        integrationId=integration,
        chunk_size=2,
        poll_interval=0.1,
        items=[external_course(i) for i in range(10)],
    )
    report = op.execute({})  # type: ignore[arg-type]
    assert report["succeeded"] == 10 and len(report["operations"]) == 5
    assert most_unfinished_at_once(operation_times(server)) == 3
    assert server.state.stats()["traffic"]["limited_total"] == 0


def test_no_free_slot_before_the_deadline_fails_clearly(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from airflow_provider_360learning.exceptions import ThreeSixtyLearningWaitError

    server = emulator_factory(bulk_seconds_per_state=60)
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    hook = ThreeSixtyLearningHook()
    integration = next(hook.iter_action("get_integrations"))["_id"]
    running = presubmit(hook, integration, 3)
    op = ImportExternalCoursesOperator(
        task_id="courses",
        integrationId=integration,
        items=[external_course(1)],
        poll_interval=0.2,
        bulk_slot_timeout=dt.timedelta(seconds=1),
    )
    with pytest.raises(ThreeSixtyLearningWaitError, match=r"no Bulk API slot freed up within 0:00:01") as failure:
        op.execute({})  # type: ignore[arg-type]
    assert all(op_id in str(failure.value) for op_id in running)
    assert "at most 3 at once" in str(failure.value)
    assert submissions(server, "import_external_courses") == 3  # nothing more was sent


def test_a_429_to_a_submission_is_retried_by_the_hook(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another client took the last slot: the documented emulator answers 429 (no Retry-After), the hook waits
    and submits again once an operation has ended."""
    server = emulator_factory(bulk_seconds_per_state=0.4, rate_limit="documented")
    monkeypatch.setenv(CONN_ENV, connection_json(server.url))
    hook = ThreeSixtyLearningHook()
    integration = next(hook.iter_action("get_integrations"))["_id"]
    presubmit(hook, integration, 3)
    fourth = presubmit(hook, integration, 1)[0]
    assert server.state.stats()["traffic"]["limited"]["bulk_concurrency"] >= 1
    assert submissions(server, "import_external_courses") >= 5  # 3, then the 4th refused at least once, then taken
    assert hook.call_action("get_bulk_operation", bulkOperationId=fourth)["_id"] == fourth
