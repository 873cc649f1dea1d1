"""The action registry is derived from the official documents, complete and uniquely named."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.actions.registry import DOCUMENTS, derived_name

PACKAGE_SPEC = Path(__file__).parents[3] / "airflow_provider_360learning" / "spec"
SHARED_SPEC = Path(__file__).parents[4] / "shared" / "spec"


def _operations() -> list[tuple[str, str, str]]:
    ops = []
    for api, filename in DOCUMENTS.items():
        doc = json.loads((PACKAGE_SPEC / filename).read_text())
        for path, item in doc["paths"].items():
            ops.extend((api, method.upper(), path) for method in item if method in ("get", "post", "put", "patch", "delete"))
    return ops


def test_every_operation_of_the_three_documents_is_an_action() -> None:
    operations = _operations()
    assert len(operations) == 161
    registered = {(a.api, a.method, a.path) for a in ACTIONS.values()}
    assert registered == set(operations)
    assert len(ACTIONS) == 161


def test_actions_csv_names_method_path_scope_and_page_size_are_kept() -> None:
    rows = list(csv.DictReader((PACKAGE_SPEC / "actions.csv").open()))
    assert len(rows) == 78
    for row in rows:
        action = ACTIONS[row["action"]]
        assert (action.method, action.path) == (row["method"], row["path"])
        assert action.scope == row["scope"]
        assert action.page_size == (int(row["page_size"]) if row["page_size"] else None)
        assert action.in_actions_csv


def test_other_names_follow_the_stated_rule() -> None:
    for action in ACTIONS.values():
        if not action.in_actions_csv:
            assert action.name == derived_name(action.operation_id)
    assert ACTIONS["get_user_certificates"].path == "/api/v2/users/{userId}/certificates"
    assert ACTIONS["get_path_stats"].path == "/api/v2/paths/stats"
    assert ACTIONS["get_path_stats"].page_size == 2000


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="../shared/spec not beside the checkout")
def test_shipped_documents_are_the_official_ones() -> None:
    for name in [*DOCUMENTS.values(), "actions.csv"]:
        assert (PACKAGE_SPEC / name).read_bytes() == (SHARED_SPEC / name).read_bytes(), name


def test_every_authenticated_action_declares_a_scope_and_the_version_header() -> None:
    for action in ACTIONS.values():
        if action.name == "generate_token":
            assert action.scope is None
            continue
        assert action.scope, action.name
        assert any(p.name == "360-api-version" and p.location == "header" for p in action.parameters), action.name


def test_unknown_action_error_names_it() -> None:
    with pytest.raises(KeyError, match="list_userz"):
        ACTIONS["list_userz"]
