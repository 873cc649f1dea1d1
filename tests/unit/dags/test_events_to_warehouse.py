"""``360learning_events_to_warehouse`` against the emulator: its watchers' triggers as a triggerer runs them,
its runs started from their asset events (``event_runs``), the statistics loaded into the embedded DuckDB.

An event leads to exactly one run that loads the new statistic; a burst of 500 events to a bounded number of
runs that load each statistic once; a triggerer restart in the middle of a burst loses and repeats nothing."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import CONN_ENV, REPO, connection_json
from tests.unit.dags.event_runs import Scheduler, Watchers, asset_event_ids, watcher_trigger_ids

DAG_ID = "360learning_events_to_warehouse"
ASSET = "360learning-completion-events"
STATUS = "path.session.user.status.updated"
POLL = 0.2


@dataclass
class Pipeline:
    emulator: Any
    scheduler: Scheduler
    watchers: Watchers
    warehouse: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(self.warehouse, read_only=True) as db:
            return db.execute(sql).fetchall()

    def polls(self) -> int:
        return int(self.emulator.state.stats()["requests"].get("get_events", 0))

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert not self.watchers.errors, self.watchers.errors
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def quiet(self) -> None:
        """Wait until every trigger has polled twice more, so what they would yield is in."""
        target = self.polls() + 2 * len(self.watchers.trigger_ids)
        self.wait(lambda: self.polls() >= target, "two more polls")

    def run_until_quiet(self, limit: int = 20) -> None:
        """Runs, one at a time, until the triggers have nothing more to say."""
        for _ in range(limit):
            self.quiet()
            result = self.scheduler.run_pending()
            if result is None:
                return
            assert result.succeeded, result.states
        raise AssertionError(f"still events after {limit} runs")

    def loaded(self, enrollments: list[str]) -> dict[str, int]:
        listed = ", ".join(f"'{e}'" for e in enrollments)
        rows = self.rows(f"SELECT id, COUNT(*) FROM learning360_path_stats WHERE id IN ({listed}) GROUP BY id")
        return {str(key): int(count) for key, count in rows}

    def successful(self, enrollments: list[str]) -> set[str]:
        """Enrollments whose warehouse row has the completion the event announced (a completedAt of today)."""
        listed = ", ".join(f"'{e}'" for e in enrollments)
        today = time.strftime("%Y-%m-%d", time.gmtime(self.emulator.state.today()))
        rows = self.rows(
            f"SELECT id FROM learning360_path_stats WHERE id IN ({listed}) "
            f"AND CAST(completed_at AS VARCHAR) LIKE '{today}%'"
        )
        return {str(row[0]) for row in rows}

    def ledger(self) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in self.rows("SELECT event_id, statistic_id FROM _360learning_events")]


def open_enrollments(emulator: Any, count: int) -> list[str]:
    stats = emulator.state.collection("path_session_user_stats")
    found = [stats.item(i)["_id"] for i in range(len(stats)) if stats.item(i)["status"]["type"] != "successful"]
    assert len(found) >= count
    return found[:count]


def succeed(emulator: Any, enrollments: list[str]) -> None:
    from airflow_provider_360learning.emulator.events import set_path_status

    for enrollment in enrollments:
        set_path_status(emulator.state, enrollment, "successful")


@pytest.fixture
def pipeline_of(
    airflow_db: None, emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[Callable[..., Pipeline]]:
    """``pipeline_of(**emulator_config)``: the setup DAG run, the events DAG stored, its watchers running."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.variable import Variable

    from airflow_provider_360learning.triggers.webhook_events import read_watermark

    started: list[Watchers] = []

    def make(**config: Any) -> Pipeline:
        emulator = emulator_factory(**config)
        monkeypatch.setenv(CONN_ENV, connection_json(emulator.url))
        monkeypatch.setenv("AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL", str(POLL))
        warehouse = str(tmp_path / "warehouse.duckdb")
        monkeypatch.setenv("AIRFLOW_360LEARNING_EMBEDDED_WAREHOUSE", warehouse)
        monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")  # the triggers read Variables from the database
        bag = DagBag(dag_folder=str(REPO / "dags" / "events_to_warehouse.py"))
        assert bag.import_errors == {}
        setup = bag.get_dag("360learning_event_subscriptions").test()
        assert str(setup.state) == "success"
        dag = bag.get_dag(DAG_ID)
        for watcher in dag.timetable.asset_condition.watchers:
            Variable.delete(watcher.trigger.state_variable)  # a previous test's watermark
            assert read_watermark(watcher.trigger.state_variable) is None
        scheduler = Scheduler(dag, ASSET)
        scheduler.consumed.update(asset_event_ids(ASSET))  # a previous test's asset events
        watchers = Watchers(watcher_trigger_ids(ASSET))
        assert len(watchers.trigger_ids) == 2
        started.append(watchers)
        watchers.start()
        return Pipeline(emulator, scheduler, watchers, warehouse)

    yield make
    for watchers in started:
        watchers.stop()


def test_the_dag_is_scheduled_on_an_asset_two_watchers_feed(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "events_to_warehouse.py"))
    dag = bag.get_dag(DAG_ID)
    asset = dag.timetable.asset_condition
    assert asset.name == ASSET and dag.max_active_runs == 1
    kinds = {w.trigger.event_type for w in asset.watchers}
    assert kinds == {STATUS, "course.attempt.closed"}


def test_one_event_makes_exactly_one_run_that_loads_the_new_statistic(pipeline_of: Callable[..., Pipeline]) -> None:
    pipeline = pipeline_of()
    pipeline.quiet()
    assert pipeline.scheduler.run_pending() is None  # nothing happened, nothing runs
    # A learner succeeds, through the emulator's control interface (360Learning's player).
    first, second = open_enrollments(pipeline.emulator, 2)
    request = urllib.request.Request(
        f"{pipeline.emulator.url}/_emulator/path-stats/{first}/status",
        data=json.dumps({"status": "successful"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.load(answer)["status"] == {"type": "successful"}
    pipeline.wait(lambda: bool(pipeline.scheduler.pending()), "the asset event")
    pipeline.quiet()
    run = pipeline.scheduler.run_pending()
    assert run is not None and run.succeeded, run
    assert run.states["load_path_stats"] == "success" and run.states["load_course_stats"] == "skipped"
    assert run.xcom["record_events"]["recorded"] == 1
    assert pipeline.loaded([first]) == {first: 1} and pipeline.successful([first]) == {first}
    pipeline.quiet()
    assert pipeline.scheduler.run_pending() is None  # exactly one run
    assert [statistic for _, statistic in pipeline.ledger()] == [first]
    variable = "360learning_events_watermark__path_session_user_status_updated"
    [created] = [e["createdAt"] for p in pipeline.watchers.yielded for e in p["events"]]
    assert run.xcom["record_events"]["watermarks"] == {variable: created.replace(".000Z", "+00:00")}

    # The next event: an incremental load from the warehouse's watermark, a run of its own.
    pipeline.emulator.state.advance_time(2)
    succeed(pipeline.emulator, [second])
    pipeline.wait(lambda: bool(pipeline.scheduler.pending()), "the second asset event")
    pipeline.quiet()
    again = pipeline.scheduler.run_pending()
    assert again is not None and again.succeeded, again
    load = again.xcom["load_path_stats"]
    assert load["mode"] == "incremental" and 1 <= load["rows"] <= 2  # both completions are within the overlap
    assert pipeline.loaded([first, second]) == {first: 1, second: 1}
    assert pipeline.successful([second]) == {second}
    pipeline.quiet()
    assert pipeline.scheduler.run_pending() is None
    assert len(pipeline.scheduler.runs) == 2
    assert again.xcom["record_events"]["watermarks"][variable] > created.replace(".000Z", "+00:00")


def test_other_statuses_are_recorded_and_load_nothing(pipeline_of: Callable[..., Pipeline]) -> None:
    from airflow_provider_360learning.emulator.events import set_path_status

    pipeline = pipeline_of()
    [enrollment] = open_enrollments(pipeline.emulator, 1)
    set_path_status(pipeline.emulator.state, enrollment, "toRetake")
    pipeline.wait(lambda: bool(pipeline.scheduler.pending()), "the asset event")
    pipeline.quiet()
    run = pipeline.scheduler.run_pending()
    assert run is not None and run.succeeded
    assert run.states == {
        "plan_loads": "success",
        "load_path_stats": "skipped",
        "load_course_stats": "skipped",
        "record_events": "success",
    }
    assert run.xcom["record_events"]["recorded"] == 1


def test_a_burst_of_500_events_makes_a_few_runs_that_load_each_statistic_once(
    pipeline_of: Callable[..., Pipeline],
) -> None:
    pipeline = pipeline_of(scale=2)
    enrollments = open_enrollments(pipeline.emulator, 500)
    succeed(pipeline.emulator, enrollments[:100])
    pipeline.wait(lambda: bool(pipeline.scheduler.pending()), "the first asset event")
    first = pipeline.scheduler.run_pending()  # the rest arrives while it runs
    assert first is not None and first.succeeded
    succeed(pipeline.emulator, enrollments[100:])
    pipeline.run_until_quiet()
    runs = pipeline.scheduler.runs
    # 500 events: 5 trigger events at most 100 each, after the first one.
    assert 2 <= len(runs) <= 6, [r.xcom.get("record_events") for r in runs]
    assert sum(r.xcom["record_events"]["recorded"] for r in runs) == 500
    assert pipeline.loaded(enrollments) == dict.fromkeys(enrollments, 1)
    assert pipeline.successful(enrollments) == set(enrollments)
    ledger = pipeline.ledger()
    assert len(ledger) == 500 and sorted(s for _, s in ledger) == sorted(enrollments)


def test_a_triggerer_restart_in_the_middle_of_a_burst_loses_and_repeats_nothing(
    pipeline_of: Callable[..., Pipeline],
) -> None:
    pipeline = pipeline_of(scale=2)
    enrollments = open_enrollments(pipeline.emulator, 500)
    succeed(pipeline.emulator, enrollments[:200])
    pipeline.wait(lambda: len(pipeline.watchers.yielded) >= 2, "the first two batches")
    pipeline.quiet()
    assert pipeline.scheduler.run_pending() is not None  # consumed, the watermark advanced past them
    pipeline.emulator.state.advance_time(2)
    succeed(pipeline.emulator, enrollments[200:])
    pipeline.wait(lambda: len(pipeline.watchers.yielded) >= 3, "a batch of the second half")
    pipeline.watchers.restart()  # some of the second half yielded, none of it consumed
    pipeline.run_until_quiet()
    yielded = [e["_id"] for payload in pipeline.watchers.yielded for e in payload["events"]]
    assert len(set(yielded)) == 500 and len(yielded) > 500  # delivered again after the restart...
    runs = pipeline.scheduler.runs
    assert sum(r.xcom["record_events"]["recorded"] for r in runs) == 500  # ...but recorded once
    assert pipeline.loaded(enrollments) == dict.fromkeys(enrollments, 1)
    assert pipeline.successful(enrollments) == set(enrollments)
    assert len(pipeline.ledger()) == 500
