"""Public names that moved keep working from their old paths for one release, with a deprecation warning."""

from __future__ import annotations

import importlib
import warnings

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning

from airflow_provider_360learning.get_provider_info import get_provider_info
from airflow_provider_360learning.operators import MOVED_FAMILIES

OLD_ERROR_MODULES = {
    "airflow_provider_360learning.hooks.edx_errors": ("EdxAPIError", "EdxError", "EdxRateLimitError"),
    "airflow_provider_360learning.hooks.scim_errors": ("ThreeSixtyLearningScimError",),
}


@pytest.mark.parametrize("family", MOVED_FAMILIES)
def test_every_named_operator_is_importable_from_its_old_module_with_a_warning(family: str) -> None:
    new = importlib.import_module(f"airflow_provider_360learning.operators.generated.{family}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = importlib.import_module(f"airflow_provider_360learning.operators.{family}")  # importing alone: silent
    assert sorted(dir(old)) == sorted(new.__all__)
    for name in new.__all__:
        with pytest.warns(AirflowProviderDeprecationWarning, match=f"operators.generated.{family}"):
            assert getattr(old, name) is getattr(new, name)


def test_from_import_of_a_moved_operator_warns_and_gives_the_same_class() -> None:
    from airflow_provider_360learning.operators.generated.users import ListUsersOperator

    with pytest.warns(DeprecationWarning, match="import ListUsersOperator from .*operators.generated.users"):
        from airflow_provider_360learning.operators.users import ListUsersOperator as old

    assert old is ListUsersOperator


@pytest.mark.parametrize("module", sorted(OLD_ERROR_MODULES))
def test_the_hooks_old_error_modules_warn_and_give_the_exceptions_classes(module: str) -> None:
    from airflow_provider_360learning import exceptions

    old = importlib.import_module(module)
    for name in OLD_ERROR_MODULES[module]:
        with pytest.warns(AirflowProviderDeprecationWarning, match="airflow_provider_360learning.exceptions"):
            assert getattr(old, name) is getattr(exceptions, name)
    with pytest.raises(ImportError):
        exec(f"from {module} import ThreeSixtyLearningHook", {})


def test_the_provider_info_lists_the_new_modules_not_the_aliases() -> None:
    listed = set(get_provider_info()["operators"][0]["python-modules"])
    assert {f"airflow_provider_360learning.operators.generated.{family}" for family in MOVED_FAMILIES} <= listed
    assert not {f"airflow_provider_360learning.operators.{family}" for family in MOVED_FAMILIES} & listed
