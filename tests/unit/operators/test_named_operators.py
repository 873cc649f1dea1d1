"""The named operators: generated in sync with the registry, one per core operation and per actions.csv
action, each a thin declaration whose keyword arguments are exactly the action's parameters."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from typing import Any

import pytest

import airflow_provider_360learning.operators as operators_package
from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.operators.three_sixty_learning import CREDENTIALS_CHECK, ThreeSixtyLearningOperator
from tests.conftest import REPO


def named_operators() -> dict[str, type[Any]]:
    """Every named operator class of the package (``operators.generated``), by the action it runs."""
    from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator

    found: dict[str, type[Any]] = {}
    prefix = f"{operators_package.__name__}."
    for module_info in pkgutil.walk_packages(operators_package.__path__, prefix=prefix):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            bases = (ThreeSixtyLearningOperator, ThreeSixtyLearningBulkOperator)
            if issubclass(cls, bases) and cls.action_name and cls.__module__ == module.__name__:
                assert cls.action_name not in found, f"two operators run {cls.action_name}"
                found[cls.action_name] = cls
    return found


def test_generated_modules_match_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/generate_operators.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_operation_of_the_three_documents_and_every_csv_action_has_a_named_operator() -> None:
    from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator

    operators = named_operators()
    counts = {api: sum(1 for a in ACTIONS.values() if a.api == api) for api in ("core", "bulk", "webhook")}
    assert counts == {"core": 128, "bulk": 23, "webhook": 10}
    assert sorted(set(ACTIONS) - set(operators)) == []
    assert {name for name, action in ACTIONS.items() if action.in_actions_csv} <= set(operators)
    for name, cls in operators.items():
        action = ACTIONS[name]
        bulk_submission = action.api == "bulk" and action.method != "GET"
        assert issubclass(cls, ThreeSixtyLearningBulkOperator) == bulk_submission, name


@pytest.mark.parametrize("action_name", sorted(ACTIONS))
def test_a_named_operator_takes_exactly_its_actions_parameters(action_name: str) -> None:
    cls = named_operators()[action_name]
    action = ACTIONS[action_name]
    keywords: set[str] = set()  # a class without parameters keeps the base __init__
    if "__init__" in cls.__dict__:
        signature = inspect.signature(cls.__init__)
        keywords = {name for name, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}
    expected = set(action.user_parameters)
    bulk_submission = action.api == "bulk" and action.method != "GET"
    if action.has_body and action_name != CREDENTIALS_CHECK and not bulk_submission:
        expected.add("body")
    assert keywords == expected
    assert cls.__doc__ and f"``{action.method} {action.path}``" in cls.__doc__
    for name in expected | ({"items"} if bulk_submission else set()):
        assert f":param {name}:" in cls.__doc__


def test_keyword_parameters_land_in_the_templated_parameters_mapping() -> None:
    from airflow_provider_360learning.operators.generated.paths import ReplacePathTagsOperator

    op = ReplacePathTagsOperator(task_id="t", pathId="{{ params.path_id }}", body={"tagIds": ["{{ params.tag }}"]})
    assert op.action == "replace_path_tags"
    assert op.parameters == {"pathId": "{{ params.path_id }}", "body": {"tagIds": ["{{ params.tag }}"]}}
    assert "parameters" in op.template_fields


def test_a_parameter_given_twice_or_unknown_fails_when_the_dag_is_parsed() -> None:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError
    from airflow_provider_360learning.operators.generated.paths import ReplacePathTagsOperator
    from airflow_provider_360learning.operators.generated.users import GetUserOperator

    with pytest.raises(TypeError, match="pathId"):
        ReplacePathTagsOperator(task_id="t", pathId="a" * 24, parameters={"pathId": "b" * 24})
    with pytest.raises(ThreeSixtyLearningParameterError, match=r"'get_user': parameter 'user_id' is not a parameter"):
        ThreeSixtyLearningOperator(task_id="t", action="get_user", parameters={"user_id": "x"})
    with pytest.raises(TypeError, match="user_id"):
        GetUserOperator(task_id="t", user_id="x")  # type: ignore[call-arg]


def test_an_unknown_action_is_named() -> None:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningParameterError

    with pytest.raises(ThreeSixtyLearningParameterError, match=r"'list_userz'.*not a 360Learning action"):
        ThreeSixtyLearningOperator(task_id="t", action="list_userz")


def test_named_operators_can_be_mapped_over_their_parameters() -> None:
    from airflow.sdk import DAG

    from airflow_provider_360learning.operators.generated.paths import ListPathSessionUserStatsOperator

    with DAG("mapped", schedule=None) as dag:
        mapped: Any = ListPathSessionUserStatsOperator.partial(task_id="stats", pathId="a" * 24).expand(
            sessionId=["b" * 24, "c" * 24]
        )
    assert dag.task_dict["stats"] is mapped


def test_the_docs_examples_build_a_dag_with_one_example_per_family() -> None:
    import re

    from airflow.sdk import DAG

    page = (REPO / "docs" / "operators.md").read_text()
    section = page[: page.index("## Bulk API")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    with DAG("readme_examples", schedule=None) as dag:
        for block in blocks:
            exec(compile(block, "docs/operators.md", "exec"), {})
    families = set(re.findall(r"^# ([a-z ]+)$", section, re.M))
    assert families >= {
        "users",
        "courses",
        "groups",
        "paths",
        "path sessions",
        "classrooms",
        "attendance",
        "external ids",
        "custom fields",
        "tags",
        "certificates",
        "integrations",
    }
    assert len(dag.tasks) == 17
    assert all(isinstance(task, ThreeSixtyLearningOperator) for task in dag.tasks)
