"""Run tasks the way Airflow runs them: in a DAG, with ``dag.test()``, results read back from XCom.

The ``dag_of`` fixture is registered in ``tests/unit/conftest.py``."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum

_DAG_IDS = itertools.count()


@dataclass
class DagResult:
    state: str
    run_id: str = ""
    xcom: dict[str, Any] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def serialize(dag: Any) -> None:
    """Store a DAG built in a test the way the DAG processor stores a parsed one (``dag.test()`` needs it)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session
        )


def run_dag(dag: Any, **conf: Any) -> DagResult:
    """``dag.test()`` and what each task pushed as its return value, and each task's final state."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    serialize(dag)
    run = dag.test(run_conf=conf or None)
    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=dag.dag_id, key="return_value")).all()
        values = {row.task_id: XComModel.deserialize_value(row) for row in rows}
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}
    return DagResult(str(run.state), run.run_id, values, states)


def dag_of(airflow_db: None, connection: str) -> Callable[..., Any]:
    """``dag_of(build)``: a fresh DAG whose tasks ``build(dag)`` adds, against the test emulator."""
    from airflow.sdk import DAG

    def make(build: Callable[[], Any], **dag_kwargs: Any) -> Any:
        with DAG(
            f"operators_{next(_DAG_IDS)}",
            schedule=None,
            start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
            catchup=False,
            **dag_kwargs,
        ) as dag:
            build()
        return dag

    return make


class AfterPolls:
    """Runs ``then`` in a thread once the emulator has answered ``action`` ``polls`` more times: a sensor test
    writes what the sensor waits for only after it has looked once, whatever the machine's speed. An error
    of ``then`` is raised when the block ends, not lost in the thread."""

    def __init__(self, emulator: Any, action: str, then: Callable[[], Any], *, polls: int = 1) -> None:
        self._target = emulator.state.stats()["requests"].get(action, 0) + polls
        self._emulator, self._action, self._then = emulator, action, then
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._error: BaseException | None = None

    def _wait(self) -> None:
        while not self._stop.is_set():
            if self._emulator.state.stats()["requests"].get(self._action, 0) >= self._target:
                try:
                    self._then()
                except BaseException as error:  # re-raised in __exit__
                    self._error = error
                return
            time.sleep(0.05)

    def __enter__(self) -> AfterPolls:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self._error is not None:
            raise AssertionError(f"the write after the first poll of {self._action} failed") from self._error
