"""Hook settings are typed keyword arguments (``**settings: Unpack[<TypedDict>]``, so IDEs and mypy see each name):
the same names as the connection's extra fields (no drift between the TypedDicts and the fields table), a misspelt
one is a ``TypeError`` at once, and only the given ones override the connection."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from airflow_provider_360learning.client import fields
from airflow_provider_360learning.hooks.edx import EdxHook
from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook, ThreeSixtyLearningHook

HOOKS: list[tuple[type, tuple[fields.ExtraField, ...]]] = [
    (ThreeSixtyLearningHook, fields.THREE_SIXTY_LEARNING_FIELDS),
    (ThreeSixtyLearningAsyncHook, fields.THREE_SIXTY_LEARNING_FIELDS),
    (EdxHook, fields.EDX_FIELDS),
    (ThreeSixtyLearningScimHook, fields.SCIM_FIELDS),
]


def _settings_type(hook: type) -> Any:
    """The TypedDict that ``**settings: Unpack[...]`` names in the hook's ``__init__``."""
    hints = typing.get_type_hints(hook.__init__, include_extras=True)
    (unpacked,) = typing.get_args(hints["settings"])
    return unpacked


@pytest.mark.parametrize(("hook", "table"), HOOKS, ids=lambda x: getattr(x, "__name__", ""))
def test_the_keyword_arguments_are_the_connection_fields(hook: type, table: tuple[fields.ExtraField, ...]) -> None:
    settings = _settings_type(hook)
    assert sorted(settings.__optional_keys__) == sorted(f.name for f in table)
    assert not settings.__required_keys__  # absent or None: the connection's value
    parameters = list(inspect.signature(hook.__init__).parameters.values())
    assert parameters[-1].kind is inspect.Parameter.VAR_KEYWORD and parameters[-1].name == "settings"


@pytest.mark.parametrize(("hook", "table"), HOOKS, ids=lambda x: getattr(x, "__name__", ""))
def test_a_misspelt_setting_is_a_type_error(hook: type, table: Any) -> None:
    with pytest.raises(TypeError, match="timout"):
        hook(timout=5)


def test_only_the_given_settings_override_the_connection() -> None:
    assert ThreeSixtyLearningHook().settings_overrides == {}
    hook = ThreeSixtyLearningHook("c", timeout=5, max_retries=0, region="us", rate_limit_key=None)
    assert hook.settings_overrides == {"timeout": 5, "max_retries": 0, "region": "us"}
    assert EdxHook(enterprise_customer_uuid="u").settings_overrides == {"enterprise_customer_uuid": "u"}
    assert ThreeSixtyLearningScimHook(page_size=10).settings_overrides == {"page_size": 10}


def test_hook_params_of_an_operator_reach_the_hook() -> None:
    from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator

    op = ThreeSixtyLearningOperator(task_id="t", action="list_users", hook_params={"timeout": 3, "max_retries": 1})
    assert op.hook.settings_overrides == {"timeout": 3, "max_retries": 1}
    with pytest.raises(TypeError, match="timout"):
        _ = ThreeSixtyLearningOperator(task_id="u", action="list_users", hook_params={"timout": 3}).hook
