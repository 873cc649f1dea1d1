"""Extra links to the 360Learning pages of the objects a task touched: from its rendered parameters or from the
``_id`` of the object it created; empty where no id is known; on the connection's origin; never a credential."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.links.three_sixty_learning import (
    OBJECT_LINKS,
    ThreeSixtyLearningCourseLink,
    ThreeSixtyLearningGroupLink,
    ThreeSixtyLearningPathLink,
    ThreeSixtyLearningPathSessionLink,
    ThreeSixtyLearningUserLink,
    object_ids,
    result_id_parameter,
)
from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator
from tests.conftest import CONN_ENV, TEST_CLIENT_SECRET, connection_json
from tests.unit.dag_runs import run_dag


def links(task: Any) -> dict[str, str]:
    return {link.name: link.get_link(task, ti_key=None) for link in task.operator_extra_links}  # type: ignore[arg-type]


def test_every_operator_has_the_links() -> None:
    names = [link.name for link in ThreeSixtyLearningOperator.operator_extra_links]
    assert (
        names
        == [cls.name for cls in OBJECT_LINKS]
        == [
            "360Learning user",
            "360Learning group",
            "360Learning course",
            "360Learning path",
            "360Learning path session",
        ]
    )

    class NamedOperator(ThreeSixtyLearningOperator):
        action_name = "get_user"

    assert NamedOperator.operator_extra_links == ThreeSixtyLearningOperator.operator_extra_links


def test_a_link_resolves_from_the_parameters_on_the_connection_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json("https://acme.360learning.example/"))
    task = ThreeSixtyLearningOperator(
        task_id="t", action="get_path_session", parameters={"pathId": "p 1", "sessionId": "s1"}
    )
    assert links(task) == {
        "360Learning user": "",
        "360Learning group": "",
        "360Learning course": "",
        "360Learning path": "https://acme.360learning.example/path/p%201",
        "360Learning path session": "https://acme.360learning.example/path/p%201/session/s1",
    }
    for url in links(task).values():
        assert TEST_CLIENT_SECRET not in url and "token" not in url.lower()


@pytest.mark.parametrize(
    ("region", "host"), [("eu", "https://app.360learning.com"), ("us", "https://app.us.360learning.com")]
)
def test_without_a_base_url_the_region_host_is_the_origin(
    region: str, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json(None, region=region))
    task = ThreeSixtyLearningOperator(task_id="t", action="get_user", parameters={"userId": "u1"})
    assert ThreeSixtyLearningUserLink().get_link(task, ti_key=None) == f"{host}/home/users/u1"  # type: ignore[arg-type]


def test_no_link_without_an_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json("https://acme.360learning.example"))
    listing = ThreeSixtyLearningOperator(task_id="t", action="list_groups")
    assert set(links(listing).values()) == {""}
    unrendered = ThreeSixtyLearningOperator(task_id="u", action="get_group", parameters={"groupId": "{{ params.g }}"})
    assert set(links(unrendered).values()) == {""}
    session_without_path = ThreeSixtyLearningOperator(task_id="v", action="get_all_path_sessions")
    assert ThreeSixtyLearningPathSessionLink().get_link(session_without_path, ti_key=None) == ""  # type: ignore[arg-type]


def test_no_connection_means_no_link_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONN_ENV, raising=False)
    task = ThreeSixtyLearningOperator(
        task_id="t",
        action="get_course",
        parameters={"courseId": "c1"},
        three_sixty_learning_conn_id="no_such_connection",
    )
    assert ThreeSixtyLearningCourseLink().get_link(task, ti_key=None) == ""  # type: ignore[arg-type]


def test_the_result_id_names_the_object_an_action_creates() -> None:
    assert result_id_parameter(ACTIONS["create_group"]) == "groupId"
    assert result_id_parameter(ACTIONS["create_user"]) == "userId"
    assert result_id_parameter(ACTIONS["create_path"]) == "pathId"
    assert result_id_parameter(ACTIONS["create_path_session"]) == "sessionId"
    assert result_id_parameter(ACTIONS["create_e_learning_standard_course"]) == "courseId"
    assert result_id_parameter(ACTIONS["get_user"]) is None  # its id is a parameter
    assert result_id_parameter(ACTIONS["create_user_certificate"]) is None  # a certificate has no link
    ids = object_ids(ACTIONS["create_path_session"], {"pathId": "p1", "body": {}}, {"_id": "s9"})
    assert ids == {"pathId": "p1", "sessionId": "s9"}
    assert object_ids(ACTIONS["list_groups"], {}, [{"_id": "g"}]) == {}


def test_a_dag_run_stores_the_link_of_the_group_it_created(dag_of: Any, emulator: Any) -> None:
    """Airflow 3: the worker computes the links when the task ends and stores them in XCom for the UI."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    parent = next(ThreeSixtyLearningHook().iter_action("list_groups"))["_id"]
    body = {"name": "Data team", "public": False, "parentId": parent}

    def build() -> None:
        ThreeSixtyLearningOperator(task_id="create", action="create_group", parameters={"body": body})

    dag = dag_of(build)
    result = run_dag(dag)
    assert result.succeeded, result.states
    group_id = result.xcom["create"]["_id"]
    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=result.run_id, dag_ids=dag.dag_id, key=None)).all()
        stored = {row.key: XComModel.deserialize_value(row) for row in rows}
    assert stored[ThreeSixtyLearningGroupLink().xcom_key] == f"{emulator.url}/group/{group_id}"
    assert stored[ThreeSixtyLearningUserLink().xcom_key] == ""
    assert stored[ThreeSixtyLearningPathLink().xcom_key] == ""
