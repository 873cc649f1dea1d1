"""The triggerer and the scheduler of an asset-driven DAG, in one test process.

What runs for real: the DAG file (parsed, stored as the DAG processor stores it, its watchers' triggers as
trigger rows), each watcher's ``WebhookEventTrigger`` rebuilt from its stored arguments as a triggerer
rebuilds it, ``Trigger.submit_event`` (the triggerer's call: it writes the asset events), and the DAG's
tasks, run by ``dag.test()``. What is simulated: the scheduler's choice of which asset events a new run
consumes (every asset event since the previous run; none while a run is in progress, since the DAG has
``max_active_runs=1``). The real scheduler is exercised by the end-to-end stack test.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pendulum

from tests.unit import dag_runs


@dataclass
class Watchers:
    """The watchers' triggers running in a thread, as in a triggerer; ``restart()`` is a triggerer restart."""

    trigger_ids: list[int]
    yielded: list[dict[str, Any]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._tasks = [loop.create_task(self._watch(trigger_id)) for trigger_id in self.trigger_ids]
            ready.set()
            loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(10)

    async def _watch(self, trigger_id: int) -> None:
        from airflow.models.trigger import Trigger
        from airflow.utils.session import create_session

        trigger = await asyncio.to_thread(rebuilt_trigger, trigger_id)
        try:
            async for event in trigger.run():
                self.yielded.append(event.payload)

                def submit(event: Any = event) -> None:
                    with create_session() as session:
                        Trigger.submit_event(trigger_id, event, session=session)

                await asyncio.to_thread(submit)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self.errors.append(error)

    def stop(self) -> None:
        """Cancel every trigger (what a triggerer does when it stops) and wait for the thread."""
        if self._loop is not None and self._thread is not None:
            for task in self._tasks:
                self._loop.call_soon_threadsafe(task.cancel)
            self._thread.join(20)
            assert not self._thread.is_alive(), "the triggers did not stop"
        self._loop, self._thread, self._tasks = None, None, []

    def restart(self) -> None:
        self.stop()
        self.start()


def rebuilt_trigger(trigger_id: int) -> Any:
    """The trigger of a stored row, built as the triggerer builds it: its class path and stored arguments."""
    import importlib

    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.get(Trigger, trigger_id)
        assert row is not None
        classpath, kwargs = row.classpath, dict(row.kwargs)
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**kwargs)


def watcher_trigger_ids(asset_name: str) -> list[int]:
    """The trigger rows of an asset's watchers (written when the DAG was stored)."""
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        asset = session.scalars(select(AssetModel).where(AssetModel.name == asset_name)).one()
        return sorted(trigger.id for trigger in asset.triggers)


def asset_event_ids(asset_name: str) -> list[int]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(
            session.scalars(
                select(AssetEvent.id)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .where(AssetModel.name == asset_name)
                .order_by(AssetEvent.id)
            )
        )


@contextlib.contextmanager
def consuming(event_ids: list[int]) -> Iterator[None]:
    """``dag.test()``'s run made an asset-triggered run: the asset events attached as its consumed events."""
    from unittest import mock

    from airflow.models import dagrun
    from airflow.models.asset import AssetEvent
    from sqlalchemy import select

    real = dagrun.get_or_create_dagrun

    def create(*, session: Any, **kwargs: Any) -> Any:
        run = real(session=session, **kwargs)
        run.consumed_asset_events.extend(session.scalars(select(AssetEvent).where(AssetEvent.id.in_(event_ids))))
        session.commit()
        return run

    with mock.patch.object(dagrun, "get_or_create_dagrun", create):
        yield


@dataclass
class Scheduler:
    """Starts a run of ``dag`` for the asset events not consumed yet, one run at a time."""

    dag: Any
    asset_name: str
    consumed: set[int] = field(default_factory=set)
    runs: list[dag_runs.DagResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Store the DAG, unpaused: only an active, unpaused DAG's watchers get their trigger rows."""
        from airflow.models.dag import DagModel
        from airflow.utils.session import create_session

        dag_runs.serialize(self.dag)
        with create_session() as session:
            model = session.get(DagModel, self.dag.dag_id)
            assert model is not None
            model.is_paused = False
        dag_runs.serialize(self.dag)

    def pending(self) -> list[int]:
        return [i for i in asset_event_ids(self.asset_name) if i not in self.consumed]

    def run_pending(self) -> dag_runs.DagResult | None:
        """One run for every asset event since the last run (``None`` when there is none)."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        pending = self.pending()
        if not pending:
            return None
        self.consumed.update(pending)
        with consuming(pending):
            run = self.dag.test(logical_date=None, run_after=pendulum.now("UTC"))
        with create_session() as session:
            rows = session.scalars(
                XComModel.get_many(run_id=run.run_id, dag_ids=self.dag.dag_id, key="return_value")
            ).all()
            values = {row.task_id: XComModel.deserialize_value(row) for row in rows}
            states = {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}
        result = dag_runs.DagResult(str(run.state), run.run_id, values, states)
        self.runs.append(result)
        return result
