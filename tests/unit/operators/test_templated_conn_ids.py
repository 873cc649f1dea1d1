"""Connection ids are templated on every operator, sensor and transfer of the provider: ``"{{ params.conn }}"``
or ``"{{ var.value.lms_conn }}"`` picks the connection at run time."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

import pytest

from airflow_provider_360learning.get_provider_info import get_provider_info
from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator
from airflow_provider_360learning.operators.scim_provisioning import ThreeSixtyLearningScimProvisioningOperator
from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator
from airflow_provider_360learning.sensors.three_sixty_learning import (
    BulkOperationSensor,
    NewStatisticsSensor,
    PathSessionCompletionSensor,
    ThreeSixtyLearningConditionSensor,
    WebhookEventSensor,
)
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator
from tests.conftest import CONN_ENV, connection_json
from tests.unit.dag_runs import run_dag


def _subclasses(cls: type) -> set[type]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


def _provider_classes() -> set[type]:
    """Every operator and sensor class of the modules the provider info lists (named operators included)."""
    info = get_provider_info()
    for kind in ("operators", "sensors"):
        for entry in info[kind]:
            for module in entry["python-modules"]:
                import_module(module)
    return (
        _subclasses(ThreeSixtyLearningOperator)
        | _subclasses(ThreeSixtyLearningBulkOperator)
        | _subclasses(ThreeSixtyLearningConditionSensor)
        | {ThreeSixtyLearningToSqlOperator, ThreeSixtyLearningScimProvisioningOperator}
    )


def test_every_operator_and_sensor_templates_its_connection_id() -> None:
    classes = _provider_classes()
    assert len(classes) > 150  # the named operators are there
    missing = sorted(
        cls.__name__
        for cls in classes
        if not {"three_sixty_learning_conn_id", "scim_conn_id"} & set(cls.template_fields)
    )
    assert missing == []
    assert "destination_conn_id" in ThreeSixtyLearningToSqlOperator.template_fields


CONTEXT: dict[str, Any] = {"params": {"conn": "lms_from_params"}, "ds": "2026-01-01"}


@pytest.mark.parametrize(
    "make",
    [
        lambda conn: ThreeSixtyLearningOperator(task_id="t", action="list_groups", three_sixty_learning_conn_id=conn),
        lambda conn: ThreeSixtyLearningBulkOperator(
            task_id="t", action="add_users_to_groups", items=[], three_sixty_learning_conn_id=conn
        ),
        lambda conn: BulkOperationSensor(task_id="t", operation_ids="op", three_sixty_learning_conn_id=conn),
        lambda conn: PathSessionCompletionSensor(
            task_id="t", path_id="p", session_id="s", three_sixty_learning_conn_id=conn
        ),
        lambda conn: NewStatisticsSensor(task_id="t", since="2026-01-01", three_sixty_learning_conn_id=conn),
        lambda conn: WebhookEventSensor(
            task_id="t", subscription_id="s", since="2026-01-01", three_sixty_learning_conn_id=conn
        ),
        lambda conn: ThreeSixtyLearningToSqlOperator(
            task_id="t",
            action="list_users",
            table="users",
            destination_conn_id="db",
            three_sixty_learning_conn_id=conn,
            overlap=dt.timedelta(0),
        ),
    ],
    ids=["operator", "bulk", "bulk_sensor", "path_session_sensor", "statistics_sensor", "webhook_sensor", "transfer"],
)
def test_a_templated_connection_id_renders(make: Any) -> None:
    task = make("{{ params.conn }}")
    task.render_template_fields(CONTEXT)
    assert task.three_sixty_learning_conn_id == "lms_from_params"
    assert task.hook.three_sixty_learning_conn_id == "lms_from_params"


def test_the_scim_operator_templates_its_connection_id() -> None:
    task = ThreeSixtyLearningScimProvisioningOperator(task_id="t", users_source=[], scim_conn_id="{{ params.conn }}")
    task.render_template_fields(CONTEXT)
    assert task.scim_conn_id == "lms_from_params"


def test_a_dag_run_uses_the_connection_its_params_name(
    dag_of: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LMS_FROM_PARAMS", connection_json(emulator.url))
    monkeypatch.setenv(CONN_ENV, connection_json("http://127.0.0.1:9"))  # the default would fail the task

    def build() -> None:
        ThreeSixtyLearningOperator(
            task_id="groups", action="list_groups", three_sixty_learning_conn_id="{{ params.conn }}"
        )

    result = run_dag(dag_of(build, params={"conn": "lms_from_params"}))
    assert result.succeeded, result.states
    assert len(result.xcom["groups"]) == 10
